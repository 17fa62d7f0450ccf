//! Putting notifications in the outbox, and waking the dispatcher when there are new ones.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::webhook::{EventData, WebhookEvent},
    storage::{deliveries, entities::delivery, tickets::TicketRow},
};

pub const EMAIL_CHANNEL: &str = "email";
pub const WEBHOOK_CHANNEL: &str = "webhook";

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
) -> Vec<delivery::ActiveModel> {
    let Some(party) = settings.party(&ticket.party_id) else {
        return Vec::new();
    };
    let (event_type, body) = (event.event_type.as_str(), event.to_bytes());
    let contacts = &party.settings.contacts;
    let mut targets: Vec<(&str, String)> = Vec::new();
    if channels == Channels::All && !contacts.emails.is_empty() {
        targets.push((EMAIL_CHANNEL, contacts.emails.join(", ")));
    }
    targets.extend(
        contacts
            .webhooks
            .iter()
            .map(|w| (WEBHOOK_CHANNEL, w.url.clone())),
    );
    targets
        .into_iter()
        .map(|(channel, target)| row(ticket, channel, target, event_type, &body, now))
        .collect()
}

/// One pending delivery of `body` to `target` over `channel`.
pub fn row(
    ticket: &TicketRow,
    channel: &str,
    target: String,
    event_type: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        ticket_id: Set(ticket.id),
        channel: Set(channel.to_owned()),
        target: Set(target),
        status: Set("pending".to_owned()),
        event_type: Set(event_type.to_owned()),
        payload: Set(body.to_vec()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Queues an event for the webhooks of `recipient`'s party.
pub async fn queue_webhooks(
    conn: &impl ConnectionTrait,
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
