//! Tickets: one per incident and party.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::ticket;

pub use ticket::Model as TicketRow;

pub async fn insert_many(
    conn: &impl ConnectionTrait,
    rows: Vec<ticket::ActiveModel>,
) -> Result<(), DbErr> {
    ticket::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn for_incident(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<TicketRow>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.incident_id.eq(incident_id))
        .order_by_asc(ticket::Column::Id)
        .all(conn)
        .await
}
