//! When the personal data of a closed incident was purged, so that a purge runs once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    PurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(timestamp_with_time_zone_null(Incidents::PurgedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::PurgedAt)
                    .to_owned(),
            )
            .await
    }
}
