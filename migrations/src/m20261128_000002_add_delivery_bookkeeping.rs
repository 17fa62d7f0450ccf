//! Reminder and escalation marks on tickets, webhook endpoints disabled after 410 Gone,
//! and the service's own secrets (the key that signs acknowledge links).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    RemindedAt,
    EscalatedAt,
}

#[derive(DeriveIden)]
enum DisabledEndpoints {
    Table,
    Url,
    PartyId,
    Reason,
    DisabledAt,
}

#[derive(DeriveIden)]
enum ServiceSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(timestamp_with_time_zone_null(Tickets::RemindedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(timestamp_with_time_zone_null(Tickets::EscalatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DisabledEndpoints::Table)
                    .col(text(DisabledEndpoints::Url).primary_key())
                    .col(string(DisabledEndpoints::PartyId))
                    .col(text(DisabledEndpoints::Reason))
                    .col(timestamp_with_time_zone(DisabledEndpoints::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceSecrets::Table)
                    .col(string(ServiceSecrets::Name).primary_key())
                    .col(blob(ServiceSecrets::Value))
                    .col(timestamp_with_time_zone(ServiceSecrets::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceSecrets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DisabledEndpoints::Table).to_owned())
            .await?;
        for column in [Tickets::EscalatedAt, Tickets::RemindedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tickets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
