//! Inbound mail and the messages of conversations; the conversation state of tickets.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::entities::{delivery, inbound_mail, message, ticket};
use crate::domain::{
    correspondence::{InboundStatus, InboundVia, MailKind, MatchRule, UnmatchedReason, Waiting},
    delivery::DeliveryStatus,
};

pub use inbound_mail::Model as InboundRow;
pub use message::Model as MessageRow;

/// An inbound mail without its raw bytes, for lists.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct InboundSummary {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub via: InboundVia,
    pub message_id: Option<String>,
    pub sender: String,
    pub subject: String,
    pub kind: MailKind,
    pub status: InboundStatus,
    pub reason: Option<UnmatchedReason>,
    pub incident_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub dmarc: Option<String>,
}

/// The mail already stored with these bytes or this Message-ID.
pub async fn find_same(
    conn: &impl ConnectionTrait,
    sha256: &str,
    message_id: Option<&str>,
) -> Result<Option<InboundRow>, DbErr> {
    let mut same = Condition::any().add(inbound_mail::COLUMN.sha256.eq(sha256));
    if let Some(id) = message_id {
        same = same.add(inbound_mail::COLUMN.message_id.eq(id));
    }
    inbound_mail::Entity::find()
        .filter(same)
        .order_by_asc(inbound_mail::Column::ReceivedAt)
        .one(conn)
        .await
}

/// Stores inbound mails in one insert; the ids of those stored. A mail whose digest or
/// Message-ID is already stored (or comes twice in `rows`) is left out, which the unique
/// indexes tell even of two copies arriving at once.
pub async fn insert_inbound_many(
    conn: &impl ConnectionTrait,
    rows: Vec<InboundRow>,
) -> Result<Vec<Uuid>, DbErr> {
    inbound_mail::Entity::insert_many(
        rows.into_iter()
            .map(Into::<inbound_mail::ActiveModel>::into),
    )
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_with_returning_keys(conn)
    .await
}

pub async fn inbound(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<InboundRow>, DbErr> {
    inbound_mail::Entity::find_by_id(id).one(conn).await
}

/// Mail in one state, newest first, before `before` (a keyset on the id, which grows with time).
pub async fn inbound_list(
    conn: &impl ConnectionTrait,
    status: InboundStatus,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<InboundSummary>, DbErr> {
    let mut select = inbound_mail::Entity::find()
        .select_only()
        .columns([
            inbound_mail::Column::Id,
            inbound_mail::Column::ReceivedAt,
            inbound_mail::Column::Via,
            inbound_mail::Column::MessageId,
            inbound_mail::Column::Sender,
            inbound_mail::Column::Subject,
            inbound_mail::Column::Kind,
            inbound_mail::Column::Status,
            inbound_mail::Column::Reason,
            inbound_mail::Column::IncidentId,
            inbound_mail::Column::TicketId,
            inbound_mail::Column::Dmarc,
        ])
        .filter(inbound_mail::COLUMN.status.eq(status));
    if let Some(before) = before {
        select = select.filter(inbound_mail::COLUMN.id.lt(before));
    }
    select
        .order_by_desc(inbound_mail::Column::Id)
        .limit(limit)
        .into_model::<InboundSummary>()
        .all(conn)
        .await
}

pub async fn count_inbound(
    conn: &impl ConnectionTrait,
    status: InboundStatus,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    inbound_mail::Entity::find()
        .filter(inbound_mail::COLUMN.status.eq(status))
        .count(conn)
        .await
}

/// Where an unmatched mail went; the update holds only while it is still unmatched.
pub struct Handled<'a> {
    pub to: InboundStatus,
    pub incident_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

/// Moves an unmatched mail; false when another officer handled it first.
pub async fn handle_unmatched(
    conn: &impl ConnectionTrait,
    id: Uuid,
    handled: Handled<'_>,
) -> Result<bool, DbErr> {
    let mut update = inbound_mail::Entity::update_many()
        .col_expr(inbound_mail::Column::Status, Expr::value(handled.to))
        .col_expr(inbound_mail::Column::HandledBy, Expr::value(handled.by))
        .col_expr(inbound_mail::Column::HandledAt, Expr::value(handled.at));
    if handled.to == InboundStatus::Attached {
        update = update
            .col_expr(
                inbound_mail::Column::MatchedBy,
                Expr::value(MatchRule::Officer),
            )
            .col_expr(
                inbound_mail::Column::IncidentId,
                Expr::value(handled.incident_id),
            )
            .col_expr(
                inbound_mail::Column::TicketId,
                Expr::value(handled.ticket_id),
            );
    }
    let result = update
        .filter(inbound_mail::COLUMN.id.eq(id))
        .filter(inbound_mail::COLUMN.status.eq(InboundStatus::Unmatched))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn insert_message(conn: &impl ConnectionTrait, row: MessageRow) -> Result<(), DbErr> {
    insert_messages(conn, vec![row]).await
}

/// Stores messages in one insert.
pub async fn insert_messages(
    conn: &impl ConnectionTrait,
    rows: Vec<MessageRow>,
) -> Result<(), DbErr> {
    message::Entity::insert_many(rows.into_iter().map(Into::<message::ActiveModel>::into))
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn message(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<MessageRow>, DbErr> {
    message::Entity::find_by_id(id).one(conn).await
}

/// A ticket's conversation, oldest first.
pub async fn ticket_messages(
    conn: &impl ConnectionTrait,
    ticket_id: Uuid,
) -> Result<Vec<MessageRow>, DbErr> {
    message::Entity::find()
        .filter(message::COLUMN.ticket_id.eq(ticket_id))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await
}

/// Every message of an incident (all tickets and the member's), oldest first.
pub async fn incident_messages(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<MessageRow>, DbErr> {
    message::Entity::find()
        .filter(message::COLUMN.incident_id.eq(incident_id))
        .order_by_asc(message::Column::CreatedAt)
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await
}

/// The `dmarc=` verdict of each inbound mail of an incident, by mail id.
pub async fn incident_mail_auth(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<(Uuid, Option<String>)>, DbErr> {
    inbound_mail::Entity::find()
        .select_only()
        .column(inbound_mail::Column::Id)
        .column(inbound_mail::Column::Dmarc)
        .filter(inbound_mail::COLUMN.incident_id.eq(incident_id))
        .into_tuple()
        .all(conn)
        .await
}

/// Marks a ticket's inbound messages read; the ticket's unread count goes to zero.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    ticket_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let read = message::Entity::update_many()
        .col_expr(message::Column::ReadAt, Expr::value(now))
        .filter(message::COLUMN.ticket_id.eq(ticket_id))
        .filter(message::Column::ReadAt.is_null())
        .filter(
            message::COLUMN
                .direction
                .eq(crate::domain::correspondence::Direction::Inbound),
        )
        .exec(conn)
        .await?
        .rows_affected;
    ticket::Entity::update_many()
        .col_expr(ticket::Column::Unread, Expr::value(0))
        .filter(ticket::COLUMN.id.eq(ticket_id))
        .exec(conn)
        .await?;
    Ok(read)
}

/// What a new message does to its ticket's conversation state.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    pub waiting: Waiting,
    /// One more unread party message.
    pub unread: bool,
}

/// Sets whose turn it is on a ticket; the ticket as it now is (`None` when there is none).
pub async fn set_turn(
    conn: &impl ConnectionTrait,
    ticket_id: Uuid,
    turn: Turn,
    now: DateTime<Utc>,
) -> Result<Option<super::tickets::TicketRow>, DbErr> {
    let mut update = ticket::Entity::update_many()
        .col_expr(ticket::Column::Waiting, Expr::value(turn.waiting))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now));
    if turn.unread {
        update = update.col_expr(
            ticket::Column::Unread,
            Expr::col(ticket::Column::Unread).add(1),
        );
    }
    Ok(update
        .filter(ticket::COLUMN.id.eq(ticket_id))
        .exec_with_returning(conn)
        .await?
        .pop())
}

/// Marks the tickets as having `replies` more unread replies each, in one update: a ticket
/// that waits on the member keeps waiting on the member, any other now waits on us.
pub async fn mark_replied(
    conn: &impl ConnectionTrait,
    ticket_ids: Vec<Uuid>,
    replies: i32,
    now: DateTime<Utc>,
) -> Result<Vec<super::tickets::TicketRow>, DbErr> {
    if ticket_ids.is_empty() {
        return Ok(Vec::new());
    }
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::Waiting,
            Expr::case(
                Expr::col(ticket::Column::Waiting).eq(Waiting::OnMember),
                Expr::value(Waiting::OnMember),
            )
            .finally(Expr::value(Waiting::OnUs))
            .into(),
        )
        .col_expr(
            ticket::Column::Unread,
            Expr::col(ticket::Column::Unread).add(replies),
        )
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.is_in(ticket_ids))
        .exec_with_returning(conn)
        .await
}

/// Pauses the acknowledgement clock of the incident's open tickets that are not paused yet.
pub async fn pause_clocks(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    open: &[crate::domain::TicketStatus],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    ticket::Entity::update_many()
        .col_expr(ticket::Column::PausedAt, Expr::value(now))
        .col_expr(ticket::Column::Waiting, Expr::value(Waiting::OnMember))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::COLUMN.incident_id.eq(incident_id))
        .filter(ticket::Column::PausedAt.is_null())
        .filter(ticket::COLUMN.status.is_in(open.to_vec()))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

/// Restarts a paused clock: the deadline moves by the time it was paused.
pub async fn resume_clock(
    conn: &impl ConnectionTrait,
    ticket: &ticket::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(since) = ticket.paused_at else {
        return Ok(());
    };
    let paused = (now - since).max(chrono::TimeDelta::zero());
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::PausedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            ticket::Column::PausedSeconds,
            Expr::value(ticket.paused_seconds + paused.num_seconds()),
        )
        .col_expr(
            ticket::Column::DeadlineAt,
            Expr::value(ticket.deadline_at + paused),
        )
        .col_expr(ticket::Column::Waiting, Expr::value(Waiting::OnUs))
        .col_expr(ticket::Column::UpdatedAt, Expr::value(now))
        .filter(ticket::COLUMN.id.eq(ticket.id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// A delivery by id.
pub async fn delivery(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<delivery::Model>, DbErr> {
    delivery::Entity::find_by_id(id).one(conn).await
}

/// The delivery that carried a ticket's first email (its thread's root).
pub async fn first_email(
    conn: &impl ConnectionTrait,
    ticket_id: Uuid,
) -> Result<Option<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::COLUMN.ticket_id.eq(ticket_id))
        .filter(
            delivery::COLUMN
                .channel
                .eq(crate::domain::delivery::Channel::Email),
        )
        .order_by_asc(delivery::Column::Id)
        .one(conn)
        .await
}

/// A mail server reported a delivered email undeliverable after all: it becomes failed.
/// False when it was not delivered (already failed, or still pending).
pub async fn bounce(
    conn: &impl ConnectionTrait,
    delivery_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed),
        )
        .col_expr(delivery::Column::LastError, Expr::value(reason))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::COLUMN.id.eq(delivery_id))
        .filter(delivery::COLUMN.status.eq(DeliveryStatus::Delivered))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
