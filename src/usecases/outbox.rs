//! Putting notifications in the outbox, and waking the dispatcher when there are new ones.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    domain::{
        delivery::{Channel, DeliveryStatus, Notice},
        directory::Directory,
        webhook::{EventData, WebhookEvent},
    },
    storage::{Conn, DbErr, deliveries, deliveries::DeliveryRow, tickets::TicketRow},
};

/// Wakes the dispatcher as soon as new deliveries are committed.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// Which channels of a party receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    All,
    WebhooksOnly,
}

/// Delivery rows for one event to one ticket's party: one email to all of its addresses,
/// one per webhook endpoint, all with the same payload bytes.
/// A disabled party receives nothing new; an endpoint receives only the event types it
/// chose, and nothing while it is disabled.
pub fn rows_for(
    dir: &Directory,
    ticket: &TicketRow,
    event: &WebhookEvent,
    channels: Channels,
    now: DateTime<Utc>,
) -> Vec<DeliveryRow> {
    let Some(party) = dir.party(&ticket.party_id).filter(|p| p.is_enabled()) else {
        return Vec::new();
    };
    let (event_type, body) = (event.event_type, event.to_bytes());
    let notice = Notice::Event(event_type);
    let mut rows = Vec::new();
    if channels == Channels::All && !party.emails.is_empty() {
        rows.push(row(
            ticket,
            Channel::Email,
            party.emails.join(", "),
            notice,
            &body,
            now,
        ));
    }
    rows.extend(
        party
            .endpoints
            .iter()
            .filter(|e| e.accepts(event_type))
            .map(|e| DeliveryRow {
                endpoint_id: Some(e.id.clone()),
                ..row(ticket, Channel::Webhook, e.url.clone(), notice, &body, now)
            }),
    );
    rows
}

/// One pending delivery of `body` to `target` over `channel`.
pub fn row(
    ticket: &TicketRow,
    channel: Channel,
    target: String,
    event_type: Notice,
    body: &[u8],
    now: DateTime<Utc>,
) -> DeliveryRow {
    DeliveryRow {
        id: Uuid::now_v7(),
        ticket_id: ticket.id,
        channel,
        target,
        status: DeliveryStatus::Pending,
        event_type,
        payload: body.to_vec(),
        attempts: 0,
        next_attempt_at: now,
        locked_by: None,
        locked_until: None,
        last_error: None,
        delivered_at: None,
        created_at: now,
        updated_at: now,
        endpoint_id: None,
    }
}

/// Queues an event for the webhooks of each recipient's party, in one insert.
pub async fn queue_webhooks<'a>(
    conn: &impl Conn,
    dir: &Directory,
    recipients: impl IntoIterator<Item = &'a TicketRow>,
    data: EventData,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let rows = webhook_rows(dir, recipients, data, now);
    if rows.is_empty() {
        return Ok(());
    }
    deliveries::insert_many(conn, rows).await
}

/// The deliveries of an event to the webhooks of each recipient's party, not yet queued.
pub fn webhook_rows<'a>(
    dir: &Directory,
    recipients: impl IntoIterator<Item = &'a TicketRow>,
    data: EventData,
    now: DateTime<Utc>,
) -> Vec<DeliveryRow> {
    let event = WebhookEvent::new(now, data);
    recipients
        .into_iter()
        .flat_map(|to| rows_for(dir, to, &event, Channels::WebhooksOnly, now))
        .collect()
}
