//! The reads and rewrites of the personal-data purge: which closed incidents are due, and
//! what each table that holds personal data keeps of them.

use crate::domain::Named;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, UpdateMany,
    sea_query::{Expr, Func, Query, SelectStatement},
};
use uuid::Uuid;

use super::{
    entities::{delivery, delivery_attempt, event, evidence, incident, ticket},
    incidents::IncidentRow,
};
use crate::domain::{
    IncidentStatus, TimelineEvent,
    delivery::{DeliveryStatus, Notice},
    retention::REDACTED,
};

/// What a finished delivery keeps instead of the message it sent.
pub const PURGED_PAYLOAD: &[u8] = br#"{"purged":true}"#;

/// When each incident was closed: its last status change (closed is final), or its last
/// update for rows that have no such entry.
fn closed_at() -> Expr {
    let last_change: SelectStatement = Query::select()
        .expr(Func::max(Expr::col((
            event::Entity,
            event::Column::CreatedAt,
        ))))
        .from(event::Entity)
        .and_where(
            Expr::col((event::Entity, event::Column::IncidentId))
                .equals((incident::Entity, incident::Column::Id)),
        )
        .and_where(
            Expr::col((event::Entity, event::Column::EventType))
                .eq(TimelineEvent::StatusChanged.as_str()),
        )
        .to_owned();
    Func::coalesce([
        Expr::SubQuery(None, Box::new(last_change.into())),
        Expr::col((incident::Entity, incident::Column::UpdatedAt)),
    ])
    .into()
}

/// Closed incidents, not purged yet, that were closed before `cutoff`.
fn due(cutoff: DateTime<Utc>) -> Select<incident::Entity> {
    incident::Entity::find()
        .filter(incident::COLUMN.status.eq(IncidentStatus::Closed.as_str()))
        .filter(incident::COLUMN.purged_at.is_null())
        .filter(incident::COLUMN.created_at.lt(cutoff))
        .filter(closed_at().lt(cutoff))
}

/// The next `limit` due incidents after `after`, oldest first.
pub async fn due_page(
    conn: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<IncidentRow>, DbErr> {
    let mut select = due(cutoff);
    if let Some(after) = after {
        select = select.filter(incident::COLUMN.id.gt(after));
    }
    select
        .order_by_asc(incident::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// The incident if it is still due, its row locked until the transaction ends
/// (PostgreSQL; on SQLite the write transaction already holds the database).
pub async fn lock_if_due(
    conn: &impl ConnectionTrait,
    id: Uuid,
    cutoff: DateTime<Utc>,
) -> Result<Option<IncidentRow>, DbErr> {
    due(cutoff)
        .filter(incident::COLUMN.id.eq(id))
        .lock_exclusive()
        .one(conn)
        .await
}

/// Clears the reporter, the page and the free texts of an incident and marks it purged.
/// The kind, severity, platform, committee, states and times stay.
pub async fn redact_incident(
    conn: &impl ConnectionTrait,
    row: &IncidentRow,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let none = || Set(None::<String>);
    incident::Entity::update(incident::ActiveModel {
        id: Set(row.id),
        description: Set(REDACTED.to_owned()),
        reporter_name: Set(REDACTED.to_owned()),
        reporter_email: none(),
        reporter_phone: none(),
        page_url: none(),
        page_handle: none(),
        page_display_name: none(),
        page_linked_email: none(),
        page_linked_phone: none(),
        page_created_on: none(),
        page_purpose: none(),
        // Shared with no other report, so that no page is linked by it any more.
        page_key: Set(format!("{}:purged:{}", row.page_platform, row.id)),
        platform_case_ref: none(),
        tracking_token_hash: none(),
        search_text: Set(crate::domain::search_text(&[Some(&row.reference)])),
        purged_at: Set(Some(now)),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

/// Replaces the data and author name of one timeline entry.
pub async fn rewrite_event(
    conn: &impl ConnectionTrait,
    id: Uuid,
    data: serde_json::Value,
    actor_name: Option<String>,
) -> Result<(), DbErr> {
    event::Entity::update(event::ActiveModel {
        id: Set(id),
        data: Set(data),
        actor_name: Set(actor_name),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

/// Empties the payloads of these tickets' finished deliveries and the answers recorded for
/// them; deliveries of `personal_type` (sent to the member) also lose their address and
/// errors. Outcomes, counts and times stay. Returns the number of payloads emptied.
pub async fn redact_deliveries(
    conn: &impl ConnectionTrait,
    ticket_ids: Vec<Uuid>,
    personal_types: &[Notice],
) -> Result<u64, DbErr> {
    let of_tickets = |q: &mut SelectStatement| {
        q.column(delivery::Column::Id)
            .from(delivery::Entity)
            .and_where(Expr::col(delivery::Column::TicketId).is_in(ticket_ids.clone()));
    };
    let mut all = Query::select();
    of_tickets(&mut all);
    let mut personal = Query::select();
    of_tickets(&mut personal);
    personal.and_where(Expr::col(delivery::Column::EventType).is_in(personal_types.to_vec()));

    delivery_attempt::Entity::update_many()
        .col_expr(delivery_attempt::Column::Reply, Expr::value(None::<String>))
        .filter(Expr::col(delivery_attempt::Column::DeliveryId).in_subquery(all))
        .exec(conn)
        .await?;
    delivery_attempt::Entity::update_many()
        .col_expr(delivery_attempt::Column::Error, Expr::value(None::<String>))
        .filter(Expr::col(delivery_attempt::Column::DeliveryId).in_subquery(personal))
        .exec(conn)
        .await?;
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Target, Expr::value(REDACTED))
        .col_expr(delivery::Column::LastError, Expr::value(None::<String>))
        .filter(delivery::COLUMN.ticket_id.is_in(ticket_ids.clone()))
        .filter(delivery::COLUMN.event_type.is_in(personal_types.to_vec()))
        .exec(conn)
        .await?;
    empty_payloads(ticket_ids)
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

fn empty_payloads(ticket_ids: Vec<Uuid>) -> UpdateMany<delivery::Entity> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Payload,
            Expr::value(PURGED_PAYLOAD.to_vec()),
        )
        .filter(delivery::COLUMN.ticket_id.is_in(ticket_ids))
        .filter(super::checked_on_found_rows(
            delivery::COLUMN
                .status
                .is_in([DeliveryStatus::Delivered, DeliveryStatus::Failed]),
        ))
}

/// Empties an incident's conversations: the text of every message and every mail kept
/// whole. What happened (who wrote when, matched how) stays.
pub async fn redact_correspondence(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<u64, DbErr> {
    use super::entities::{inbound_mail, message};
    let messages = message::Entity::update_many()
        .col_expr(message::Column::Subject, Expr::value(REDACTED))
        .col_expr(message::Column::Body, Expr::value(REDACTED))
        .col_expr(message::Column::Evidence, Expr::value("[]"))
        .filter(message::COLUMN.incident_id.eq(incident_id))
        .exec(conn)
        .await?
        .rows_affected;
    inbound_mail::Entity::update_many()
        .col_expr(inbound_mail::Column::Subject, Expr::value(REDACTED))
        .col_expr(inbound_mail::Column::Sender, Expr::value(REDACTED))
        .col_expr(inbound_mail::Column::Raw, Expr::value(Vec::<u8>::new()))
        .col_expr(
            inbound_mail::Column::AuthResults,
            Expr::value(Option::<String>::None),
        )
        .filter(inbound_mail::COLUMN.incident_id.eq(incident_id))
        .exec(conn)
        .await?;
    Ok(messages)
}

/// Deletes the evidence rows of an incident.
pub async fn delete_evidence(conn: &impl ConnectionTrait, incident_id: Uuid) -> Result<u64, DbErr> {
    evidence::Entity::delete_many()
        .filter(evidence::COLUMN.incident_id.eq(incident_id))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

/// The digests of the files an incident's inbound mails are kept in.
pub async fn mail_digests(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    use super::entities::inbound_mail;
    inbound_mail::Entity::find()
        .select_only()
        .column(inbound_mail::Column::Sha256)
        .filter(inbound_mail::COLUMN.incident_id.eq(incident_id))
        .into_tuple()
        .all(conn)
        .await
}

/// Those of `digests` that a file of something else still names: evidence of another
/// incident (the same file sent with another report), or a mail not of this incident.
pub async fn digests_in_use(
    conn: &impl ConnectionTrait,
    digests: Vec<String>,
    except_incident: Uuid,
) -> Result<Vec<String>, DbErr> {
    use super::entities::inbound_mail;
    if digests.is_empty() {
        return Ok(Vec::new());
    }
    let mut in_use: Vec<String> = evidence::Entity::find()
        .select_only()
        .column(evidence::Column::Sha256)
        .filter(evidence::COLUMN.sha256.is_in(digests.clone()))
        .filter(evidence::COLUMN.incident_id.ne(except_incident))
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    // A report being filled in step by step keeps its files until it is submitted.
    in_use.extend(super::drafts::holding(conn, &digests).await?);
    let mails: Vec<String> = inbound_mail::Entity::find()
        .select_only()
        .column(inbound_mail::Column::Sha256)
        .filter(inbound_mail::COLUMN.sha256.is_in(digests))
        .filter(
            Condition::any()
                .add(inbound_mail::COLUMN.incident_id.is_null())
                .add(inbound_mail::COLUMN.incident_id.ne(except_incident)),
        )
        .into_tuple()
        .all(conn)
        .await?;
    in_use.extend(mails);
    Ok(in_use)
}

/// The tickets of an incident, their rows locked until the transaction ends (PostgreSQL),
/// so that no reminder or escalation reads the incident while it is being purged.
pub async fn lock_tickets(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<ticket::Model>, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.incident_id.eq(incident_id))
        .order_by_asc(ticket::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn emptying_the_payloads_of_many_tickets_looks_them_up_by_ticket() {
        super::super::assert_every_step_uses(
            &empty_payloads(super::super::many_ids()),
            "idx_deliveries_ticket (ticket_id=?)",
        )
        .await;
    }
}
