//! The directory as data: each party's contacts and disabled state, webhook endpoints with
//! their own ids, routing rules, a version counter that tells every instance the
//! directory changed, and the audit trail of every change. Deliveries name the endpoint
//! they go to, so an endpoint's log survives a change of its URL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Parties {
    Table,
    Id,
    ParentId,
    Emails,
    DisabledReason,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    Id,
    PartyId,
    Url,
    Description,
    Secret,
    PreviousSecret,
    PreviousExpiresAt,
    EventTypes,
    DisabledReason,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoutingRules {
    Table,
    Id,
    Position,
    Rule,
    PartyId,
    Kinds,
    Platforms,
    MinSeverity,
}

#[derive(DeriveIden)]
enum DirectoryState {
    Table,
    Id,
    Version,
    SeededAt,
}

#[derive(DeriveIden)]
enum DirectoryChanges {
    Table,
    Id,
    At,
    ActorKind,
    ActorId,
    ActorName,
    Subject,
    SubjectId,
    PartyId,
    Action,
    Before,
    After,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    EndpointId,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            text(Parties::Emails).default("[]").to_owned(),
            text_null(Parties::DisabledReason).to_owned(),
            timestamp_with_time_zone_null(Parties::DisabledAt).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Parties::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_parties_parent")
                    .table(Parties::Table)
                    .col(Parties::ParentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Endpoints::Table)
                    .col(string(Endpoints::Id).primary_key())
                    .col(string(Endpoints::PartyId))
                    .col(text(Endpoints::Url))
                    .col(text(Endpoints::Description))
                    .col(text(Endpoints::Secret))
                    .col(text_null(Endpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(Endpoints::PreviousExpiresAt))
                    .col(text(Endpoints::EventTypes))
                    .col(text_null(Endpoints::DisabledReason))
                    .col(timestamp_with_time_zone_null(Endpoints::DisabledAt))
                    .col(timestamp_with_time_zone(Endpoints::CreatedAt))
                    .col(timestamp_with_time_zone(Endpoints::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_endpoints_party")
                            .from(Endpoints::Table, Endpoints::PartyId)
                            .to(Parties::Table, Parties::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_endpoints_party")
                    .table(Endpoints::Table)
                    .col(Endpoints::PartyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoutingRules::Table)
                    .col(string(RoutingRules::Id).primary_key())
                    .col(integer(RoutingRules::Position))
                    .col(string(RoutingRules::Rule))
                    .col(string(RoutingRules::PartyId))
                    .col(text(RoutingRules::Kinds))
                    .col(text(RoutingRules::Platforms))
                    .col(string(RoutingRules::MinSeverity))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_routing_rules_party")
                            .from(RoutingRules::Table, RoutingRules::PartyId)
                            .to(Parties::Table, Parties::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryState::Table)
                    .col(integer(DirectoryState::Id).primary_key())
                    .col(big_integer(DirectoryState::Version))
                    .col(timestamp_with_time_zone(DirectoryState::SeededAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryChanges::Table)
                    .col(uuid(DirectoryChanges::Id).primary_key())
                    .col(timestamp_with_time_zone(DirectoryChanges::At))
                    .col(string(DirectoryChanges::ActorKind))
                    .col(string_null(DirectoryChanges::ActorId))
                    .col(string_null(DirectoryChanges::ActorName))
                    .col(string(DirectoryChanges::Subject))
                    .col(string(DirectoryChanges::SubjectId))
                    .col(string_null(DirectoryChanges::PartyId))
                    .col(string(DirectoryChanges::Action))
                    .col(text_null(DirectoryChanges::Before))
                    .col(text_null(DirectoryChanges::After))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directory_changes_party")
                    .table(DirectoryChanges::Table)
                    .col(DirectoryChanges::PartyId)
                    .col(DirectoryChanges::At)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .add_column(string_null(Deliveries::EndpointId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .drop_column(Deliveries::EndpointId)
                    .to_owned(),
            )
            .await?;
        for table in [
            DirectoryChanges::Table.into_iden(),
            DirectoryState::Table.into_iden(),
            RoutingRules::Table.into_iden(),
            Endpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_parties_parent")
                    .table(Parties::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Parties::DisabledAt,
            Parties::DisabledReason,
            Parties::Emails,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Parties::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
