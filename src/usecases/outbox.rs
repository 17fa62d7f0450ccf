//! Putting notifications in the outbox, and waking the dispatcher when there are new ones.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        delivery::{Channel, DeliveryStatus, Notice},
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
pub fn rows_for(
    settings: &Settings,
    ticket: &TicketRow,
    event: &WebhookEvent,
    channels: Channels,
    now: DateTime<Utc>,
) -> Vec<DeliveryRow> {
    let Some(party) = settings.party(&ticket.party_id) else {
        return Vec::new();
    };
    let (event_type, body) = (event.event_type, event.to_bytes());
    let contacts = &party.settings.contacts;
    let mut targets: Vec<(Channel, String)> = Vec::new();
    if channels == Channels::All && !contacts.emails.is_empty() {
        targets.push((Channel::Email, contacts.emails.join(", ")));
    }
    targets.extend(
        contacts
            .webhooks
            .iter()
            .map(|w| (Channel::Webhook, w.url.clone())),
    );
    targets
        .into_iter()
        .map(|(channel, target)| {
            row(
                ticket,
                channel,
                target,
                Notice::Event(event_type),
                &body,
                now,
            )
        })
        .collect()
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
    }
}

/// Queues an event for the webhooks of `recipient`'s party.
pub async fn queue_webhooks(
    conn: &impl Conn,
    settings: &Settings,
    recipient: &TicketRow,
    data: EventData,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event = WebhookEvent::new(now, data);
    let rows = rows_for(settings, recipient, &event, Channels::WebhooksOnly, now);
    if rows.is_empty() {
        return Ok(());
    }
    deliveries::insert_many(conn, rows).await
}
