//! Putting notifications in the outbox, and waking the dispatcher when there are new ones;
//! or, when the dispatcher runs in this process and has room, handing new deliveries
//! straight to it, leased to it in the very transaction that writes them, so that they are
//! sent as soon as they are committed, without a claim.

use std::sync::{Arc, RwLock};

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
    usecases::delivery::Claim,
};

/// Wakes the dispatcher as soon as new deliveries are committed, or hands them to it.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
    /// The dispatcher running in this process, while it runs.
    direct: Arc<RwLock<Option<Arc<dyn Direct>>>>,
}

/// A dispatcher that takes new deliveries straight from the transaction that writes them.
pub trait Direct: Send + Sync {
    /// Deliveries were queued: until it has claimed them, the new deliveries it takes
    /// straight from their transactions hold at most half of its slots.
    fn queued(&self);

    /// Takes those of `rows` it has room for (a free slot for each, room at its destination
    /// as a claim counts it, and, while deliveries wait in the queue, room in the half of
    /// its slots that new ones may hold): marks them leased to it, as a claim would, before
    /// they are written. Nothing when it takes none.
    fn reserve(&self, rows: &mut [DeliveryRow], now: DateTime<Utc>) -> Option<Box<dyn Reserved>>;
}

/// Slots a dispatcher holds for deliveries being written, leased to it. Dropped without
/// [`Reserved::start`] (the transaction failed), it frees them.
pub trait Reserved: Send {
    /// The deliveries are committed: send them.
    fn start(self: Box<Self>, claims: Vec<Claim>);
}

/// New deliveries a transaction is about to write: those the dispatcher took, and whether
/// any are left for it to claim.
pub struct Handed {
    reserved: Option<Box<dyn Reserved>>,
    /// Copies of the rows taken, to send once committed.
    taken: Vec<DeliveryRow>,
    queued: bool,
}

impl Handed {
    /// The transaction is committed: the deliveries taken are sent at once, with their
    /// tickets (from `tickets`); the dispatcher is woken for the others.
    pub fn committed<'a>(self, outbox: &Outbox, tickets: impl IntoIterator<Item = &'a TicketRow>) {
        if let Some(reserved) = self.reserved {
            let tickets: std::collections::HashMap<Uuid, &TicketRow> =
                tickets.into_iter().map(|t| (t.id, t)).collect();
            let claims = self
                .taken
                .into_iter()
                .filter_map(|delivery| {
                    let ticket = (*tickets.get(&delivery.ticket_id)?).clone();
                    Some(Claim {
                        delivery,
                        ticket,
                        disabled: false,
                    })
                })
                .collect();
            reserved.start(claims);
        }
        if self.queued {
            outbox.wake();
        }
    }
}

impl Outbox {
    /// New deliveries are queued: wakes the dispatcher to claim them (and, in this process,
    /// until it has, new ones handed to it hold at most half of its slots).
    pub fn wake(&self) {
        if let Some(direct) = self.direct.read().ok().and_then(|d| d.clone()) {
            direct.queued();
        }
        self.wake.notify_one();
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Makes `direct` the dispatcher that new deliveries are handed to (`None`: none is).
    pub fn set_direct(&self, direct: Option<Arc<dyn Direct>>) {
        if let Ok(mut slot) = self.direct.write() {
            *slot = direct;
        }
    }

    /// Offers `rows`, about to be written, to the dispatcher running in this process: those
    /// it takes are marked leased to it. After the commit, [`Handed::committed`] sends them.
    pub fn hand(&self, rows: &mut [DeliveryRow], now: DateTime<Utc>) -> Handed {
        let Some(direct) = self.direct.read().ok().and_then(|d| d.clone()) else {
            return self.queue(rows);
        };
        let reserved = direct.reserve(rows, now);
        let taken: Vec<DeliveryRow> = match reserved {
            Some(_) => rows
                .iter()
                .filter(|r| r.locked_by.is_some())
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let queued = taken.len() < rows.len();
        if queued {
            direct.queued();
        }
        Handed {
            queued,
            reserved,
            taken,
        }
    }

    /// `rows`, about to be written, all go to the queue, to be claimed.
    fn queue(&self, rows: &[DeliveryRow]) -> Handed {
        let queued = !rows.is_empty();
        if queued && let Some(direct) = self.direct.read().ok().and_then(|d| d.clone()) {
            direct.queued();
        }
        Handed {
            reserved: None,
            taken: Vec::new(),
            queued,
        }
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
