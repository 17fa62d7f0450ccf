//! Tickets: one per incident and party.

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::entities::ticket;
use crate::domain::TicketStatus;

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

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<TicketRow>, DbErr> {
    ticket::Entity::find_by_id(id).one(conn).await
}

pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: TicketStatus,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = ticket::Entity::update_many()
        .col_expr(ticket::Column::Status, Expr::value(status.as_str()))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now));
    match status {
        TicketStatus::Acknowledged => {
            update = update.col_expr(ticket::Column::AcknowledgedAt, Expr::value(now));
        }
        TicketStatus::Resolved | TicketStatus::Rejected => {
            update = update.col_expr(ticket::Column::ResolvedAt, Expr::value(now));
        }
        _ => {}
    }
    update
        .filter(ticket::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Moves a ticket to `to` only if it is still in one of `from`; true when it moved.
/// The condition is checked by the UPDATE itself, so concurrent workers cannot both win.
pub async fn transition_if(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: &[TicketStatus],
    to: TicketStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let result = ticket::Entity::update_many()
        .col_expr(ticket::Column::Status, Expr::value(to.as_str()))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.eq(id))
        .filter(ticket::COLUMN.status.is_in(from))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Locks a ticket's row until the transaction ends (PostgreSQL; SQLite's write
/// transaction already excludes other writers), so that outcomes of its deliveries
/// recorded at the same time see each other.
pub async fn lock(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<TicketRow>, DbErr> {
    ticket::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await
}

pub async fn set_external_ref(
    conn: &impl ConnectionTrait,
    id: Uuid,
    reference: &str,
) -> Result<(), DbErr> {
    ticket::Entity::update_many()
        .col_expr(ticket::Column::ExternalRef, Expr::value(reference))
        .filter(ticket::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}
