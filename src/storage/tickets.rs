//! Tickets: one per incident and party.

use crate::domain::Named;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    UpdateMany, sea_query::Expr,
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

/// The committee's ticket of an incident.
pub async fn committee_of(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Option<TicketRow>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.incident_id.eq(incident_id))
        .filter(
            ticket::COLUMN
                .role
                .eq(crate::domain::routing::PartyKind::Committee),
        )
        .order_by_asc(ticket::Column::Id)
        .one(conn)
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

/// Tickets past their deadline, unacknowledged, that have had no reminder yet.
pub async fn overdue_unreminded(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<TicketRow>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.status.is_in(TicketStatus::OPEN))
        .filter(ticket::COLUMN.deadline_at.lt(now))
        // The clock stands still while the desk waits on the member.
        .filter(ticket::Column::PausedAt.is_null())
        .filter(ticket::COLUMN.reminded_at.is_null())
        .order_by_asc(ticket::Column::DeadlineAt)
        .limit(limit)
        .all(conn)
        .await
}

/// Marks a reminder as sent; false when another process did it first.
pub async fn mark_reminded(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = ticket::Entity::update_many()
        .col_expr(ticket::Column::RemindedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.eq(id))
        .filter(ticket::COLUMN.reminded_at.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a committee ticket as escalated; false when it already was.
pub async fn mark_escalated(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = ticket::Entity::update_many()
        .col_expr(ticket::Column::EscalatedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.eq(id))
        .filter(ticket::COLUMN.escalated_at.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_many(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<TicketRow>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.id.is_in(ids))
        .all(conn)
        .await
}

/// Moves to `notified` those of `ids` still pending or failed; returns the ones it moved.
pub async fn notify_many(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<TicketRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    notify_update(ids, now).exec_with_returning(conn).await
}

fn notify_update(ids: Vec<Uuid>, now: DateTime<Utc>) -> UpdateMany<ticket::Entity> {
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::Status,
            Expr::value(TicketStatus::Notified.as_str()),
        )
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.is_in(ids))
        .filter(super::checked_on_found_rows(ticket::COLUMN.status.is_in([
            TicketStatus::Pending.as_str(),
            TicketStatus::Failed.as_str(),
        ])))
}

/// A ticket, only if its incident is in the scope.
pub async fn find_scoped(
    conn: &impl ConnectionTrait,
    scope: &super::Scope,
    id: Uuid,
) -> Result<Option<TicketRow>, DbErr> {
    let Some(ticket) = find(conn, id).await? else {
        return Ok(None);
    };
    let incident = super::incidents::find(
        conn,
        scope,
        &super::incidents::IncidentKey::Id(ticket.incident_id),
    )
    .await?;
    Ok(incident.map(|_| ticket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notifying_many_tickets_looks_each_one_up_by_its_id() {
        super::super::assert_every_step_uses(
            &notify_update(super::super::many_ids(), Utc::now()),
            "sqlite_autoindex_tickets_1 (id=?)",
        )
        .await;
    }
}
