//! What the member web needs on an incident: the language the member used (their emails
//! follow it) and the case number the platform gave them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    ReporterLocale,
    PlatformCaseRef,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(string(Incidents::ReporterLocale).default("vi"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(string_null(Incidents::PlatformCaseRef))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Incidents::PlatformCaseRef, Incidents::ReporterLocale] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Incidents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
