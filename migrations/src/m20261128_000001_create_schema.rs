//! The whole domain of DESIGN.md: parties, incidents, tickets, the delivery outbox with
//! its attempts, the timeline, evidence, API keys and idempotency records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Parties {
    Table,
    Id,
    Kind,
    ParentId,
    NameVi,
    NameEn,
    Locale,
    AckDeadlineSecs,
    Active,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Reference,
    Kind,
    Severity,
    Status,
    Description,
    DetectedAt,
    ReporterName,
    ReporterEmail,
    ReporterPhone,
    CommitteeId,
    PagePlatform,
    PageUrl,
    PageHandle,
    PageDisplayName,
    PageAccountType,
    PageLinkedEmail,
    PageLinkedPhone,
    PageCreatedOn,
    PagePurpose,
    PageKey,
    Containment,
    ContainedAt,
    ContainmentActions,
    DuplicateOf,
    Source,
    TrackingTokenHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    IncidentId,
    PartyId,
    Role,
    Status,
    ExternalRef,
    DeadlineAt,
    AcknowledgedAt,
    ResolvedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    TicketId,
    Channel,
    Target,
    Status,
    EventType,
    Payload,
    Attempts,
    NextAttemptAt,
    LockedBy,
    LockedUntil,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    DurationMs,
    Outcome,
    StatusCode,
    Reply,
    Error,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    IncidentId,
    TicketId,
    ActorKind,
    ActorId,
    ActorName,
    EventType,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Evidence {
    Table,
    Id,
    IncidentId,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Prefix,
    KeyHash,
    Scopes,
    CommitteeId,
    PartyId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Principal,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum ReferenceCounters {
    Table,
    Year,
    LastValue,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Parties::Table)
                    .col(string(Parties::Id).primary_key())
                    .col(string(Parties::Kind))
                    .col(string_null(Parties::ParentId))
                    .col(string(Parties::NameVi))
                    .col(string(Parties::NameEn))
                    .col(string(Parties::Locale))
                    .col(big_integer(Parties::AckDeadlineSecs))
                    .col(boolean(Parties::Active))
                    .col(timestamp_with_time_zone(Parties::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(uuid(Incidents::Id).primary_key())
                    .col(string_uniq(Incidents::Reference))
                    .col(string(Incidents::Kind))
                    .col(string(Incidents::Severity))
                    .col(string(Incidents::Status))
                    .col(text(Incidents::Description))
                    .col(timestamp_with_time_zone(Incidents::DetectedAt))
                    .col(string(Incidents::ReporterName))
                    .col(string_null(Incidents::ReporterEmail))
                    .col(string_null(Incidents::ReporterPhone))
                    .col(string(Incidents::CommitteeId))
                    .col(string(Incidents::PagePlatform))
                    .col(text_null(Incidents::PageUrl))
                    .col(string_null(Incidents::PageHandle))
                    .col(string_null(Incidents::PageDisplayName))
                    .col(string_null(Incidents::PageAccountType))
                    .col(string_null(Incidents::PageLinkedEmail))
                    .col(string_null(Incidents::PageLinkedPhone))
                    .col(string_null(Incidents::PageCreatedOn))
                    .col(text_null(Incidents::PagePurpose))
                    .col(string(Incidents::PageKey))
                    .col(string(Incidents::Containment))
                    .col(timestamp_with_time_zone_null(Incidents::ContainedAt))
                    .col(json_binary(Incidents::ContainmentActions))
                    .col(uuid_null(Incidents::DuplicateOf))
                    .col(string(Incidents::Source))
                    .col(string_null(Incidents::TrackingTokenHash).unique_key())
                    .col(timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(timestamp_with_time_zone(Incidents::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_incidents_committee",
                        (Incidents::Table, Incidents::CommitteeId),
                        (Parties::Table, Parties::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_incidents_duplicate_of",
                        (Incidents::Table, Incidents::DuplicateOf),
                        (Incidents::Table, Incidents::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_incidents_committee", &["committee_id", "id"][..]),
            ("idx_incidents_status", &["status", "id"][..]),
            ("idx_incidents_page_key", &["page_key"][..]),
            ("idx_incidents_updated_at", &["updated_at"][..]),
        ] {
            manager
                .create_index(index(name, Incidents::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(uuid(Tickets::Id).primary_key())
                    .col(uuid(Tickets::IncidentId))
                    .col(string(Tickets::PartyId))
                    .col(string(Tickets::Role))
                    .col(string(Tickets::Status))
                    .col(string_null(Tickets::ExternalRef))
                    .col(timestamp_with_time_zone(Tickets::DeadlineAt))
                    .col(timestamp_with_time_zone_null(Tickets::AcknowledgedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ResolvedAt))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_tickets_incident",
                        (Tickets::Table, Tickets::IncidentId),
                        (Incidents::Table, Incidents::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_tickets_party",
                        (Tickets::Table, Tickets::PartyId),
                        (Parties::Table, Parties::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_tickets_incident_party",
                    Tickets::Table,
                    &["incident_id", "party_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tickets_status_deadline",
                Tickets::Table,
                &["status", "deadline_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(uuid(Deliveries::Id).primary_key())
                    .col(uuid(Deliveries::TicketId))
                    .col(string(Deliveries::Channel))
                    .col(text(Deliveries::Target))
                    .col(string(Deliveries::Status))
                    .col(string(Deliveries::EventType))
                    .col(blob(Deliveries::Payload))
                    .col(integer(Deliveries::Attempts))
                    .col(timestamp_with_time_zone(Deliveries::NextAttemptAt))
                    .col(string_null(Deliveries::LockedBy))
                    .col(timestamp_with_time_zone_null(Deliveries::LockedUntil))
                    .col(text_null(Deliveries::LastError))
                    .col(timestamp_with_time_zone_null(Deliveries::DeliveredAt))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .col(timestamp_with_time_zone(Deliveries::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_deliveries_ticket",
                        (Deliveries::Table, Deliveries::TicketId),
                        (Tickets::Table, Tickets::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_deliveries_due",
                Deliveries::Table,
                &["status", "next_attempt_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_deliveries_ticket",
                Deliveries::Table,
                &["ticket_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempts::Table)
                    .col(uuid(DeliveryAttempts::Id).primary_key())
                    .col(uuid(DeliveryAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(DeliveryAttempts::AttemptedAt))
                    .col(big_integer(DeliveryAttempts::DurationMs))
                    .col(string(DeliveryAttempts::Outcome))
                    .col(integer_null(DeliveryAttempts::StatusCode))
                    .col(text_null(DeliveryAttempts::Reply))
                    .col(text_null(DeliveryAttempts::Error))
                    .foreign_key(&mut fk(
                        "fk_delivery_attempts_delivery",
                        (DeliveryAttempts::Table, DeliveryAttempts::DeliveryId),
                        (Deliveries::Table, Deliveries::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_delivery_attempts_delivery",
                DeliveryAttempts::Table,
                &["delivery_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(uuid(Events::Id).primary_key())
                    .col(uuid(Events::IncidentId))
                    .col(uuid_null(Events::TicketId))
                    .col(string(Events::ActorKind))
                    .col(string_null(Events::ActorId))
                    .col(string_null(Events::ActorName))
                    .col(string(Events::EventType))
                    .col(json_binary(Events::Data))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_events_incident",
                        (Events::Table, Events::IncidentId),
                        (Incidents::Table, Incidents::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_events_incident",
                Events::Table,
                &["incident_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Evidence::Table)
                    .col(uuid(Evidence::Id).primary_key())
                    .col(uuid(Evidence::IncidentId))
                    .col(string(Evidence::FileName))
                    .col(string(Evidence::ContentType))
                    .col(big_integer(Evidence::SizeBytes))
                    .col(string(Evidence::Sha256))
                    .col(timestamp_with_time_zone(Evidence::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_evidence_incident",
                        (Evidence::Table, Evidence::IncidentId),
                        (Incidents::Table, Incidents::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_evidence_incident",
                Evidence::Table,
                &["incident_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid(ApiKeys::Id).primary_key())
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Scopes))
                    .col(string_null(ApiKeys::CommitteeId))
                    .col(string_null(ApiKeys::PartyId))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string(IdempotencyKeys::Principal))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::RequestHash))
                    .col(integer_null(IdempotencyKeys::ResponseStatus))
                    .col(blob_null(IdempotencyKeys::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::LockedUntil))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Principal)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_idempotency_keys_created_at",
                IdempotencyKeys::Table,
                &["created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferenceCounters::Table)
                    .col(integer(ReferenceCounters::Year).primary_key())
                    .col(big_integer(ReferenceCounters::LastValue))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReferenceCounters::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Evidence::Table.into_iden(),
            Events::Table.into_iden(),
            DeliveryAttempts::Table.into_iden(),
            Deliveries::Table.into_iden(),
            Tickets::Table.into_iden(),
            Incidents::Table.into_iden(),
            Parties::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
