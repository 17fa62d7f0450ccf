//! A delivery's way through the outbox once a worker takes it: claimed under a lease, given
//! back when its endpoint is busy, and its attempt recorded with every effect in one
//! transaction guarded by the lease: the ticket notified or failed, the committee told of a
//! failed ticket, an endpoint that answered 410 disabled with its pending deliveries. The
//! worker sends; this decides and stores.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::directory::{
    ChangeAction, ChangeSubject, Directory, DirectoryChange, Disabled, Endpoint, endpoint_record,
};
use crate::storage::directory;
use crate::{
    config::Settings,
    domain::{
        Actor, TicketStatus, TimelineEvent,
        delivery::{Channel, DeliveryStatus, send_slot},
        webhook::{EventData, TicketChangedData},
    },
    storage::{
        Conn, Database, DbErr,
        deliveries::{self, DeliveryRow},
        events::{self, NewEvent},
        tickets::{self, TicketRow},
    },
    telemetry::metrics::{DeliveryOutcome, Metrics},
    usecases::{
        outbox::{self, Outbox},
        payload,
    },
};

pub use crate::domain::delivery::Slots;
pub use crate::storage::deliveries::{AttemptRecord, NextStep};

/// A claimed delivery, with what its send needs to know.
pub struct Claim {
    pub delivery: DeliveryRow,
    pub ticket: TicketRow,
    /// Its webhook endpoint is disabled (after 410 Gone, or by hand) or was removed.
    pub disabled: bool,
}

/// One finished send, as the worker saw it.
pub struct Attempted {
    pub delivery: DeliveryRow,
    pub ticket: TicketRow,
    pub attempt: AttemptRecord,
    /// The endpoint answered 410 Gone: it is disabled for good.
    pub gone: bool,
}

/// The worker whose lease guards a claim.
#[derive(Clone, Copy)]
pub struct Lease<'a> {
    pub worker: &'a str,
    pub length: TimeDelta,
    pub max_attempts: i32,
}

/// How far past the first due delivery a claim looks, as a multiple of what it may take:
/// destinations with no free slot are left out of the walk, and those with fewer free
/// slots than due deliveries are passed over within this window.
const CLAIM_WINDOW: usize = 8;

/// What a claim took, and what it may have left.
#[derive(Default)]
pub struct Claimed {
    pub claims: Vec<Claim>,
    /// As many were due as it could take: more may be waiting.
    pub full_batch: bool,
    /// Due deliveries to destinations with no free slot may have been left, to be claimed
    /// when a slot frees.
    pub passed_over: bool,
}

/// Claims up to `limit` due deliveries, oldest due first, no more for each destination
/// than `slots` leaves it (so one busy destination never stops the others, and nothing is
/// claimed only to wait for its endpoint).
pub async fn claim(
    db: &Database,
    dir: &Directory,
    lease: Lease<'_>,
    limit: usize,
    mut slots: Slots,
) -> Result<Claimed, DbErr> {
    // No more than the destinations can take: at most every free slot of those that sent
    // lately, and one destination's worth besides for those that did not. While every
    // one of those is full, nothing: a walk for the others would pass over the whole
    // backlog, and a slot that frees wakes the dispatcher to claim again.
    let every_one_full = !slots.free.is_empty() && slots.free.values().all(|f| *f == 0);
    let limit = if every_one_full {
        0
    } else {
        limit.min(slots.free.values().sum::<usize>() + slots.fresh)
    };
    if limit == 0 {
        return Ok(Claimed {
            passed_over: every_one_full,
            ..Claimed::default()
        });
    }
    let now = Utc::now();
    let tx = db.begin_write().await?;
    let full = slots.full();
    let mut passed_over = !full.is_empty();
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    let due = deliveries::due(
        &*tx,
        now,
        lease.max_attempts,
        (limit * CLAIM_WINDOW) as u64,
        &full,
    )
    .await?;
    let picked: Vec<Uuid> = due
        .into_iter()
        .filter(|d| {
            let free = slots.take(send_slot(d.channel, &d.target));
            passed_over |= !free;
            free
        })
        .take(limit)
        .map(|d| d.id)
        .collect();
    let claimed = deliveries::lease(&*tx, picked, lease.worker, now, now + lease.length).await?;
    tx.commit().await?;
    let full_batch = claimed.len() == limit;
    if claimed.is_empty() {
        return Ok(Claimed {
            full_batch,
            passed_over,
            ..Claimed::default()
        });
    }
    let ids: Vec<Uuid> = claimed.iter().map(|d| d.ticket_id).collect();
    let tickets: HashMap<Uuid, TicketRow> = tickets::find_many(db.conn(), ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let claims = claimed
        .into_iter()
        .filter_map(|delivery| {
            let ticket = tickets.get(&delivery.ticket_id).cloned()?;
            let disabled = delivery.channel == Channel::Webhook
                && endpoint_of(dir, &ticket.party_id, &delivery)
                    .is_none_or(|e| e.disabled.is_some());
            Some(Claim {
                delivery,
                ticket,
                disabled,
            })
        })
        .collect();
    Ok(Claimed {
        claims,
        full_batch,
        passed_over,
    })
}

/// Gives a claimed delivery back, to be claimed again at `later`.
pub async fn release(
    db: &Database,
    delivery: Uuid,
    worker: &str,
    later: DateTime<Utc>,
) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    deliveries::release(&*tx, delivery, worker, later).await?;
    tx.commit().await
}

/// Where a batch of attempts is recorded, and what is told of it.
pub struct Recorder<'a> {
    pub db: &'a Database,
    pub settings: &'a Settings,
    pub dir: &'a Directory,
    pub outbox: &'a Outbox,
    pub metrics: &'a Metrics,
    pub worker: &'a str,
}

/// What a committed transaction of attempts adds to the metrics.
#[derive(Default)]
struct Tally {
    /// Channel and outcome of each delivery attempt (or delivery given up).
    outcomes: Vec<(Channel, DeliveryOutcome)>,
    /// Time from filing to the first arrival, for incidents whose first delivery to a
    /// party arrived.
    first_arrivals: Vec<Duration>,
}

impl Tally {
    fn count(&self, metrics: &Metrics) {
        for (channel, outcome) in &self.outcomes {
            metrics.delivery(*channel, *outcome);
        }
        for took in &self.first_arrivals {
            metrics.first_delivery(*took);
        }
    }
}

fn outcome_of(next: &NextStep) -> DeliveryOutcome {
    match next {
        NextStep::Delivered => DeliveryOutcome::Delivered,
        NextStep::RetryAt(_) => DeliveryOutcome::Retry,
        NextStep::Failed => DeliveryOutcome::Failed,
    }
}

impl Recorder<'_> {
    /// Records a batch of attempts in one transaction and returns each outcome. Deliveries
    /// that arrived are marked with one statement and their tickets moved to `notified`
    /// with another; the rest (retries and failures) are recorded one by one with their
    /// effects.
    pub async fn record(&self, batch: &[Attempted]) -> anyhow::Result<Vec<DeliveryOutcome>> {
        let now = Utc::now();
        let tx = self.db.begin_write().await?;
        let mut timeline = Vec::new();
        let mut tally = Tally::default();
        let (delivered, others): (Vec<&Attempted>, Vec<&Attempted>) = batch
            .iter()
            .partition(|a| a.attempt.next == NextStep::Delivered);

        let held = deliveries::mark_delivered(
            &*tx,
            delivered.iter().map(|a| a.delivery.id).collect(),
            self.worker,
            now,
        )
        .await?;
        let held: HashSet<Uuid> = held.into_iter().collect();
        if held.len() < delivered.len() {
            tracing::warn!(
                lost = delivered.len() - held.len(),
                "leases lost before attempts were recorded; other workers own them"
            );
        }
        let confirmed: Vec<&Attempted> = delivered
            .into_iter()
            .filter(|a| held.contains(&a.delivery.id))
            .collect();
        deliveries::insert_attempts(
            &*tx,
            confirmed
                .iter()
                .map(|a| deliveries::attempt_row(a.delivery.id, &a.attempt))
                .collect(),
        )
        .await?;
        tally.outcomes.extend(
            confirmed
                .iter()
                .map(|a| (a.delivery.channel, DeliveryOutcome::Delivered)),
        );
        // The member's confirmation rides on the committee's ticket but does not reach the
        // committee: only the party's own deliveries move its ticket.
        let reached: Vec<&Attempted> = confirmed
            .iter()
            .copied()
            .filter(|a| !a.delivery.event_type.is_to_member())
            .collect();
        let mut ticket_ids: Vec<Uuid> = reached.iter().map(|a| a.ticket.id).collect();
        ticket_ids.sort();
        ticket_ids.dedup();
        for moved in tickets::notify_many(&*tx, ticket_ids, now).await? {
            let channel = reached
                .iter()
                .find(|a| a.ticket.id == moved.id)
                .map(|a| a.delivery.channel);
            timeline.push(NewEvent {
                incident_id: moved.incident_id,
                ticket_id: Some(moved.id),
                actor: Actor::system(),
                event_type: TimelineEvent::TicketNotified,
                data: json!({ "party": moved.party_id, "channel": channel }),
                at: now,
            });
        }

        for attempted in others {
            self.record_one(&*tx, attempted, now, &mut timeline, &mut tally)
                .await?;
        }
        // Last of the statements that wait on other processes' rows: an insert that waits on
        // another batch's first arrival then holds no lock that batch may still need.
        tally.first_arrivals = first_arrivals(&*tx, &confirmed, now).await?;
        if !timeline.is_empty() {
            events::append(&*tx, timeline).await?;
        }
        tx.commit().await?;
        tally.count(self.metrics);
        Ok(tally
            .outcomes
            .into_iter()
            .map(|(_, outcome)| outcome)
            .collect())
    }

    /// A retry or a failure, with its effect on the endpoint and the ticket.
    async fn record_one(
        &self,
        conn: &impl Conn,
        attempted: &Attempted,
        now: DateTime<Utc>,
        timeline: &mut Vec<NewEvent>,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let (delivery, ticket, attempt) =
            (&attempted.delivery, &attempted.ticket, &attempted.attempt);
        tickets::lock(conn, ticket.id).await?;
        if !deliveries::record_attempt(conn, delivery, self.worker, attempt).await? {
            tracing::warn!(delivery = %delivery.id, "lease lost before the attempt was recorded; another worker owns it");
            return Ok(());
        }
        tally
            .outcomes
            .push((delivery.channel, outcome_of(&attempt.next)));
        if attempted.gone {
            self.disable_gone_endpoint(conn, ticket, delivery, now)
                .await?;
            let cancelled = deliveries::cancel_pending_to(conn, &delivery.target).await?;
            tally.outcomes.extend(
                cancelled
                    .iter()
                    .map(|_| (Channel::Webhook, DeliveryOutcome::Failed)),
            );
            timeline.push(NewEvent {
                incident_id: ticket.incident_id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: TimelineEvent::WebhookEndpointDisabled,
                data: json!({ "party": ticket.party_id, "url": delivery.target, "reason": "410 Gone" }),
                at: now,
            });
            let others: HashSet<Uuid> = cancelled
                .iter()
                .map(|d| d.ticket_id)
                .filter(|id| *id != ticket.id)
                .collect();
            for other in tickets::find_many(conn, others.into_iter().collect()).await? {
                self.fail_if_given_up(conn, &other, now, timeline).await?;
            }
        }
        if attempt.next == NextStep::Failed && !delivery.event_type.is_to_member() {
            self.fail_if_given_up(conn, ticket, now, timeline).await?;
        }
        Ok(())
    }

    async fn fail_if_given_up(
        &self,
        conn: &impl Conn,
        ticket: &TicketRow,
        now: DateTime<Utc>,
        timeline: &mut Vec<NewEvent>,
    ) -> anyhow::Result<()> {
        give_up_if_all_failed(
            conn,
            self.dir,
            self.outbox,
            ticket,
            &[TicketStatus::Pending],
            now,
            timeline,
        )
        .await?;
        Ok(())
    }

    /// Disables the endpoint that answered 410 Gone, on the directory's audit trail; every
    /// instance sees it at its next directory check (this one at once: the dispatcher
    /// keeps the endpoints gone in memory).
    async fn disable_gone_endpoint(
        &self,
        conn: &impl Conn,
        ticket: &TicketRow,
        delivery: &DeliveryRow,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(before) = endpoint_of(self.dir, &ticket.party_id, delivery) else {
            return Ok(());
        };
        if before.disabled.is_some() {
            return Ok(());
        }
        let mut after = before.clone();
        after.disabled = Some(Disabled {
            reason: "410 Gone".to_owned(),
            at: now,
        });
        after.updated_at = now;
        let change = DirectoryChange::new(
            &Actor::system(),
            now,
            ChangeSubject::Endpoint,
            &after.id,
            Some(&after.party_id),
            ChangeAction::Disabled,
        )
        .before(endpoint_record(before))
        .after(endpoint_record(&after));
        directory::save_endpoints(conn, &[&after]).await?;
        directory::record(conn, &[change]).await?;
        directory::bump(conn).await
    }
}

/// A ticket in one of `from` all of whose deliveries to its party have failed becomes
/// failed, and the committee is told (`ticket.failed`); true when it moved.
pub async fn give_up_if_all_failed(
    conn: &impl Conn,
    dir: &Directory,
    outbox: &Outbox,
    ticket: &TicketRow,
    from: &[TicketStatus],
    now: DateTime<Utc>,
    timeline: &mut Vec<NewEvent>,
) -> Result<bool, DbErr> {
    let all = deliveries::for_tickets(conn, vec![ticket.id]).await?;
    let gave_up = all
        .iter()
        .filter(|d| !d.event_type.is_to_member())
        .all(|d| d.status == DeliveryStatus::Failed);
    let moved =
        gave_up && tickets::transition_if(conn, ticket.id, from, TicketStatus::Failed, now).await?;
    if !moved {
        return Ok(false);
    }
    timeline.push(NewEvent {
        incident_id: ticket.incident_id,
        ticket_id: Some(ticket.id),
        actor: Actor::system(),
        event_type: TimelineEvent::TicketFailed,
        data: json!({ "party": ticket.party_id }),
        at: now,
    });
    if let Some(committee) = tickets::committee_of(conn, ticket.incident_id).await? {
        let mut updated = ticket.clone();
        updated.status = TicketStatus::Failed;
        let data = EventData::TicketFailed(TicketChangedData {
            incident_id: ticket.incident_id,
            ticket: payload::ticket(&updated),
        });
        outbox::queue_webhooks(conn, dir, [&committee], data, now).await?;
        outbox.wake();
    }
    Ok(true)
}

/// Fails deliveries whose last attempt never came back, and counts them.
pub async fn fail_exhausted(
    db: &Database,
    metrics: &Metrics,
    max_attempts: i32,
) -> Result<Vec<DeliveryRow>, DbErr> {
    let tx = db.begin_write().await?;
    let failed = deliveries::fail_exhausted(&*tx, Utc::now(), max_attempts).await?;
    tx.commit().await?;
    for delivery in &failed {
        metrics.delivery(delivery.channel, DeliveryOutcome::Failed);
    }
    Ok(failed)
}

/// For each incident whose first delivery to a party is among `arrived` (just marked
/// delivered in this transaction), the time from its filing to `now`.
async fn first_arrivals(
    conn: &impl Conn,
    arrived: &[&Attempted],
    now: DateTime<Utc>,
) -> Result<Vec<Duration>, DbErr> {
    let incidents: Vec<Uuid> = arrived
        .iter()
        .filter(|a| !a.delivery.event_type.is_to_member())
        .map(|a| a.ticket.incident_id)
        .collect();
    Ok(deliveries::first_arrivals(conn, incidents, now)
        .await?
        .into_iter()
        .map(|(_, filed_at)| (now - filed_at).to_std().unwrap_or_default())
        .collect())
}

/// The endpoint a webhook delivery goes to: by its id, or (for deliveries queued before
/// endpoints had ids) by its URL among the party's endpoints.
pub fn endpoint_of<'a>(
    dir: &'a Directory,
    party_id: &str,
    delivery: &DeliveryRow,
) -> Option<&'a Endpoint> {
    let party = dir.party(party_id)?;
    match &delivery.endpoint_id {
        Some(id) => party.endpoint(id),
        None => party.endpoints.iter().find(|e| e.url == delivery.target),
    }
}
