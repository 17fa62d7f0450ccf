//! Extra tracking links of an incident (the one sent by email to the reporter), each stored
//! only as a digest and revocable.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrackingTokens {
    Table,
    TokenHash,
    IncidentId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrackingTokens::Table)
                    .col(string(TrackingTokens::TokenHash).primary_key())
                    .col(uuid(TrackingTokens::IncidentId))
                    .col(timestamp_with_time_zone(TrackingTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(TrackingTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tracking_tokens_incident")
                            .from(TrackingTokens::Table, TrackingTokens::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tracking_tokens_incident")
                    .table(TrackingTokens::Table)
                    .col(TrackingTokens::IncidentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TrackingTokens::Table).to_owned())
            .await
    }
}
