//! When each incident was filed and when its first delivery to a party arrived: one row
//! per incident, written by the first batch of attempts that brings one. Recording an
//! arrival then inserts what is not there yet and learns from the rows it inserted which
//! incidents had their first one, by primary key alone, instead of joining each incident's
//! tickets with their deliveries (which PostgreSQL, before its statistics catch up with a
//! fresh backlog, answered by reading every delivery for each batch). Incidents whose
//! deliveries arrived before this migration get the time of their first arrival, bounced
//! emails included: a first arrival stays recorded when its email bounces later.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum FirstDeliveries {
    Table,
    IncidentId,
    FiledAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FirstDeliveries::Table)
                    .col(uuid(FirstDeliveries::IncidentId).primary_key())
                    .col(timestamp_with_time_zone(FirstDeliveries::FiledAt))
                    .col(timestamp_with_time_zone(FirstDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_first_deliveries_incident")
                            .from(FirstDeliveries::Table, FirstDeliveries::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // The member's own notices (`reporter.confirmation`, `member.update`: the notices
        // of `Notice::is_to_member`) do not reach a party. A bounce fails a delivered email
        // but keeps its `delivered_at`.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO first_deliveries (incident_id, filed_at, delivered_at) \
                 SELECT i.id, i.created_at, MIN(d.delivered_at) FROM deliveries d \
                 JOIN tickets t ON t.id = d.ticket_id JOIN incidents i ON i.id = t.incident_id \
                 WHERE d.delivered_at IS NOT NULL \
                 AND d.event_type NOT IN ('reporter.confirmation', 'member.update') \
                 GROUP BY i.id, i.created_at",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FirstDeliveries::Table).to_owned())
            .await
    }
}
