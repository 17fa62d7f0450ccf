//! The dispatcher: claims due deliveries under a lease, sends each in its own task (a
//! global limit and a per-endpoint cap, so one slow endpoint never holds up the others),
//! then records the attempt and its effect on the ticket in one transaction guarded by
//! the lease. Delivery is at least once; every retry of a delivery carries the same id.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde_json::json;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::{
    channels::{email_channel::EmailChannel, signature::SigningKey, webhook::WebhookSender},
    config::Settings,
    domain::delivery::{REPORTER_CONFIRMATION, SendOutcome, truncate},
    domain::{
        Actor, TicketStatus, TimelineEvent,
        webhook::{EventData, TicketChangedData},
    },
    storage::{
        Database,
        deliveries::{self, AttemptRecord, DeliveryRow, NextStep, Skip},
        disabled_endpoints,
        events::{self, NewEvent},
        tickets::{self, TicketRow},
    },
    telemetry::metrics::{DeliveryOutcome, Metrics},
    usecases::{
        outbox::{self, EMAIL_CHANNEL, Outbox, WEBHOOK_CHANNEL},
        payload,
    },
};

const CLAIM_BATCH: usize = 64;
/// How long a claimed delivery waits for a slot at its endpoint before it is given back.
const ENDPOINT_WAIT: Duration = Duration::from_secs(2);

pub struct Dispatcher {
    db: Database,
    settings: Arc<Settings>,
    webhooks: WebhookSender,
    email: EmailChannel,
    worker: String,
    wake: Arc<Notify>,
    outbox: Outbox,
    permits: Arc<Semaphore>,
    per_target: Mutex<HashMap<String, Arc<Semaphore>>>,
    results: mpsc::Sender<Sent>,
    results_rx: Mutex<Option<mpsc::Receiver<Sent>>>,
    /// Finished sends not yet recorded; shutdown waits for it to reach zero.
    unrecorded: AtomicUsize,
    metrics: Metrics,
}

/// What a committed transaction of attempts adds to the metrics.
#[derive(Default)]
struct Tally {
    /// Channel and outcome of each delivery attempt (or delivery given up).
    outcomes: Vec<(String, DeliveryOutcome)>,
    /// Time from filing to the first arrival, for incidents whose first delivery to a
    /// party arrived.
    first_arrivals: Vec<Duration>,
}

impl Tally {
    fn count(self, metrics: &Metrics) {
        for (channel, outcome) in &self.outcomes {
            metrics.delivery(channel, *outcome);
        }
        for took in self.first_arrivals {
            metrics.first_delivery(took);
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

/// A finished send, waiting to be recorded.
struct Sent {
    delivery: DeliveryRow,
    ticket: TicketRow,
    attempted_at: DateTime<Utc>,
    duration_ms: i64,
    outcome: SendOutcome,
}

/// Most attempts recorded in one transaction.
const RECORD_BATCH: usize = 256;

/// Stops a running dispatcher and waits for its sends in flight.
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl DispatcherHandle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Dispatcher {
    pub fn new(
        db: Database,
        settings: Arc<Settings>,
        outbox: &Outbox,
        email: EmailChannel,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let worker = format!(
            "{}-{}-{}",
            hostname_or_local(),
            std::process::id(),
            crate::domain::token::random_token(4)
        );
        let (results, results_rx) = mpsc::channel(4096);
        Ok(Self {
            results,
            results_rx: Mutex::new(Some(results_rx)),
            unrecorded: AtomicUsize::new(0),
            webhooks: WebhookSender::new(&settings.webhooks)?,
            permits: Arc::new(Semaphore::new(settings.dispatcher.concurrency)),
            email,
            db,
            worker,
            wake: outbox.waker(),
            outbox: outbox.clone(),
            per_target: Mutex::new(HashMap::new()),
            settings,
            metrics,
        })
    }

    pub fn spawn(self) -> DispatcherHandle {
        let (stop, stopped) = watch::channel(false);
        let this = Arc::new(self);
        let results = this.results_rx.lock().ok().and_then(|mut r| r.take());
        if let Some(results) = results {
            tokio::spawn(this.clone().record_loop(results));
        }
        let task = tokio::spawn(this.run(stopped));
        DispatcherHandle { stop, task }
    }

    /// Records finished sends in batches: one transaction for all that arrived together.
    async fn record_loop(self: Arc<Self>, mut results: mpsc::Receiver<Sent>) {
        while let Some(first) = results.recv().await {
            let mut batch = vec![first];
            while batch.len() < RECORD_BATCH {
                match results.try_recv() {
                    Ok(sent) => batch.push(sent),
                    Err(_) => break,
                }
            }
            if let Err(error) = self.record_batch(&batch).await {
                tracing::warn!(%error, size = batch.len(), "batch of attempts failed; recording them one by one");
                for sent in &batch {
                    if let Err(error) = self.record_batch(std::slice::from_ref(sent)).await {
                        tracing::warn!(%error, delivery = %sent.delivery.id, "could not record an attempt; its lease will expire and it is retried");
                    }
                }
            }
            self.unrecorded.fetch_sub(batch.len(), Ordering::AcqRel);
            self.wake.notify_one();
        }
    }

    fn max_attempts(&self) -> i32 {
        i32::try_from(self.settings.dispatcher.schedule.len()).unwrap_or(i32::MAX)
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        tracing::info!(worker = %self.worker, "dispatcher started");
        let poll = self.settings.dispatcher.poll_interval;
        let mut deadlines_checked = Instant::now();
        loop {
            if *stopped.borrow() {
                break;
            }
            let mut full_batch = false;
            let free = self.permits.available_permits().min(CLAIM_BATCH);
            if free > 0 {
                match self.claim(free).await {
                    Ok((claimed, tickets, disabled)) => {
                        full_batch = claimed.len() == free;
                        for delivery in claimed {
                            let Some(ticket) = tickets.get(&delivery.ticket_id).cloned() else {
                                continue;
                            };
                            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                                break;
                            };
                            let off = disabled.contains(&delivery.target);
                            tokio::spawn(self.clone().process(delivery, ticket, off, permit));
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not claim deliveries"),
                }
            }
            if let Err(error) = self.fail_exhausted().await {
                tracing::warn!(%error, "could not sweep exhausted deliveries");
            }
            if deadlines_checked.elapsed() >= self.settings.dispatcher.deadline_check_interval {
                deadlines_checked = Instant::now();
                if let Err(error) =
                    crate::usecases::deadlines::sweep(&self.db, &self.settings, &self.outbox).await
                {
                    tracing::warn!(%error, "could not check ticket deadlines");
                }
            }
            if full_batch {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stopped.changed() => {}
            }
        }
        // Let the sends in flight finish (each is bounded by its timeout).
        let all = u32::try_from(self.settings.dispatcher.concurrency).unwrap_or(u32::MAX);
        let grace = self
            .settings
            .webhooks
            .timeout
            .max(self.settings.email.timeout)
            + crate::config::LEASE_MARGIN;
        let drained = async {
            let _ = self.permits.acquire_many(all).await;
            // Then let the recorder write down every attempt that was made.
            while self.unrecorded.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let _ = tokio::time::timeout(grace, drained).await;
        tracing::info!(worker = %self.worker, "dispatcher stopped");
    }

    /// Endpoints sending all they may right now: claiming for them would only wait.
    fn saturated(&self) -> Skip {
        let mut skip = Skip::default();
        if let Ok(map) = self.per_target.lock() {
            for (target, semaphore) in map.iter() {
                if semaphore.available_permits() == 0 {
                    if target == "smtp" {
                        skip.email = true;
                    } else {
                        skip.targets.push(target.clone());
                    }
                }
            }
        }
        skip
    }

    #[allow(clippy::type_complexity)]
    async fn claim(
        &self,
        limit: usize,
    ) -> anyhow::Result<(
        Vec<DeliveryRow>,
        HashMap<uuid::Uuid, TicketRow>,
        HashSet<String>,
    )> {
        let now = Utc::now();
        let lease = TimeDelta::from_std(self.settings.dispatcher.lease)?;
        let skip = self.saturated();
        let tx = self.db.begin_write().await?;
        let claimed = deliveries::claim_due(
            &*tx,
            &self.worker,
            now,
            now + lease,
            self.max_attempts(),
            limit as u64,
            &skip,
        )
        .await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok((claimed, HashMap::new(), HashSet::new()));
        }
        let ids: Vec<uuid::Uuid> = claimed.iter().map(|d| d.ticket_id).collect();
        let tickets = tickets::find_many(self.db.conn(), ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let disabled = if claimed.iter().any(|d| d.channel == WEBHOOK_CHANNEL) {
            disabled_endpoints::all(self.db.conn()).await?
        } else {
            HashSet::new()
        };
        Ok((claimed, tickets, disabled))
    }

    fn target_key(delivery: &DeliveryRow) -> String {
        match delivery.channel.as_str() {
            EMAIL_CHANNEL => "smtp".to_owned(),
            _ => delivery.target.clone(),
        }
    }

    async fn target_permit(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut map = self.per_target.lock().ok()?;
            map.entry(key.to_owned())
                .or_insert_with(|| {
                    Arc::new(Semaphore::new(
                        self.settings.dispatcher.per_endpoint_concurrency,
                    ))
                })
                .clone()
        };
        tokio::time::timeout(ENDPOINT_WAIT, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()
    }

    async fn process(
        self: Arc<Self>,
        delivery: DeliveryRow,
        ticket: TicketRow,
        disabled: bool,
        _permit: OwnedSemaphorePermit,
    ) {
        let Some(_endpoint) = self.target_permit(&Self::target_key(&delivery)).await else {
            // The endpoint stayed busy with as many sends as it may have: try a little later.
            let later = Utc::now() + TimeDelta::milliseconds(500);
            let released = async {
                let tx = self.db.begin_write().await?;
                deliveries::release(&*tx, delivery.id, &self.worker, later).await?;
                tx.commit().await
            };
            if let Err(error) = released.await {
                tracing::warn!(%error, "could not release a delivery");
            }
            return;
        };
        let attempted_at = Utc::now();
        let started = Instant::now();
        let outcome = match delivery.channel.as_str() {
            WEBHOOK_CHANNEL if disabled => SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "endpoint disabled after 410 Gone".to_owned(),
            },
            WEBHOOK_CHANNEL => self.send_webhook(&delivery, &ticket).await,
            EMAIL_CHANNEL => {
                self.email
                    .send(&self.settings, &self.db, &delivery, &ticket)
                    .await
            }
            other => SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: format!("unknown channel `{other}`"),
            },
        };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let sent = Sent {
            delivery,
            ticket,
            attempted_at,
            duration_ms,
            outcome,
        };
        self.unrecorded.fetch_add(1, Ordering::AcqRel);
        if self.results.send(sent).await.is_err() {
            tracing::warn!(
                "the attempt recorder has stopped; the lease will expire and the delivery is retried"
            );
        }
    }

    async fn send_webhook(&self, delivery: &DeliveryRow, ticket: &TicketRow) -> SendOutcome {
        let endpoint = self.settings.party(&ticket.party_id).and_then(|p| {
            p.settings
                .contacts
                .webhooks
                .iter()
                .find(|w| w.url == delivery.target)
        });
        let Some(endpoint) = endpoint else {
            return SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "the endpoint is no longer configured for this party".to_owned(),
            };
        };
        use secrecy::ExposeSecret;
        let keys: Vec<SigningKey> = std::iter::once(&endpoint.secret)
            .chain(endpoint.previous_secret.as_ref())
            .filter_map(|s| SigningKey::parse(s.expose_secret()).ok())
            .collect();
        let msg_id = format!("msg_{}", delivery.id.simple());
        self.webhooks
            .send(&delivery.target, &msg_id, &delivery.payload, &keys)
            .await
    }

    fn next_step(
        &self,
        delivery: &DeliveryRow,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> NextStep {
        match outcome {
            SendOutcome::Delivered { .. } => NextStep::Delivered,
            SendOutcome::Failed { .. } | SendOutcome::Gone { .. } => NextStep::Failed,
            SendOutcome::Retry { at_least, .. } => {
                let schedule = &self.settings.dispatcher.schedule;
                let made = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
                let Some(base) = schedule.get(made) else {
                    return NextStep::Failed;
                };
                let jitter = self.settings.dispatcher.jitter;
                let factor = if jitter > 0.0 {
                    rand::rng().random_range(1.0 - jitter..=1.0 + jitter)
                } else {
                    1.0
                };
                let mut wait = base.0.mul_f64(factor);
                if let Some(floor) = at_least {
                    wait = wait.max(*floor);
                }
                NextStep::RetryAt(now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(10)))
            }
        }
    }

    fn attempt_of(&self, sent: &Sent, now: DateTime<Utc>) -> AttemptRecord {
        let next = self.next_step(&sent.delivery, &sent.outcome, now);
        let (status_code, reply, error) = match &sent.outcome {
            SendOutcome::Delivered { status, reply } => (*status, reply.clone(), None),
            SendOutcome::Retry {
                status,
                reply,
                error,
                ..
            }
            | SendOutcome::Failed {
                status,
                reply,
                error,
            } => (*status, reply.clone(), Some(error.clone())),
            SendOutcome::Gone { reply } => (
                Some(410),
                reply.clone(),
                Some("410 Gone: endpoint disabled".to_owned()),
            ),
        };
        AttemptRecord {
            attempted_at: sent.attempted_at,
            duration_ms: sent.duration_ms,
            status_code: status_code.map(i32::from),
            reply: Some(truncate(reply, 20 * 1024)).filter(|r| !r.is_empty()),
            error,
            next,
        }
    }

    /// Records a batch of attempts in one transaction. Deliveries that arrived are marked
    /// with one statement and their tickets moved to `notified` with another; the rest
    /// (retries and failures) are recorded one by one with their effects.
    async fn record_batch(&self, batch: &[Sent]) -> anyhow::Result<()> {
        let now = Utc::now();
        let tx = self.db.begin_write().await?;
        let mut timeline = Vec::new();
        let mut tally = Tally::default();
        let (delivered, others): (Vec<&Sent>, Vec<&Sent>) = batch
            .iter()
            .partition(|s| matches!(s.outcome, SendOutcome::Delivered { .. }));

        let held = deliveries::mark_delivered(
            &*tx,
            delivered.iter().map(|s| s.delivery.id).collect(),
            &self.worker,
            now,
        )
        .await?;
        let held: HashSet<uuid::Uuid> = held.iter().map(|d| d.id).collect();
        if held.len() < delivered.len() {
            tracing::warn!(
                lost = delivered.len() - held.len(),
                "leases lost before attempts were recorded; other workers own them"
            );
        }
        let confirmed: Vec<&&Sent> = delivered
            .iter()
            .filter(|s| held.contains(&s.delivery.id))
            .collect();
        deliveries::insert_attempts(
            &*tx,
            confirmed
                .iter()
                .map(|s| deliveries::attempt_row(s.delivery.id, &self.attempt_of(s, now)))
                .collect(),
        )
        .await?;
        tally.outcomes.extend(
            confirmed
                .iter()
                .map(|s| (s.delivery.channel.clone(), DeliveryOutcome::Delivered)),
        );
        tally.first_arrivals = first_arrivals(&*tx, &confirmed, now).await?;
        // The member's confirmation rides on the committee's ticket but does not reach the
        // committee: only the party's own deliveries move its ticket.
        let reached: Vec<&&Sent> = confirmed
            .iter()
            .copied()
            .filter(|s| s.delivery.event_type != REPORTER_CONFIRMATION)
            .collect();
        let mut ticket_ids: Vec<uuid::Uuid> = reached.iter().map(|s| s.ticket.id).collect();
        ticket_ids.sort();
        ticket_ids.dedup();
        for moved in tickets::notify_many(&*tx, ticket_ids, now).await? {
            let channel = reached
                .iter()
                .find(|s| s.ticket.id == moved.id)
                .map(|s| s.delivery.channel.clone());
            timeline.push(NewEvent {
                incident_id: moved.incident_id,
                ticket_id: Some(moved.id),
                actor: Actor::system(),
                event_type: TimelineEvent::TicketNotified,
                data: json!({ "party": moved.party_id, "channel": channel }),
                at: now,
            });
        }

        for sent in others {
            self.record_one(&*tx, sent, now, &mut timeline, &mut tally)
                .await?;
        }
        if !timeline.is_empty() {
            events::append(&*tx, timeline).await?;
        }
        tx.commit().await?;
        tally.count(&self.metrics);
        Ok(())
    }

    /// A retry or a failure, with its effect on the endpoint and the ticket.
    async fn record_one(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        sent: &Sent,
        now: DateTime<Utc>,
        timeline: &mut Vec<NewEvent>,
        tally: &mut Tally,
    ) -> anyhow::Result<()> {
        let (delivery, ticket) = (&sent.delivery, &sent.ticket);
        let attempt = self.attempt_of(sent, now);
        tickets::lock(conn, ticket.id).await?;
        if !deliveries::record_attempt(conn, delivery, &self.worker, &attempt).await? {
            tracing::warn!(delivery = %delivery.id, "lease lost before the attempt was recorded; another worker owns it");
            return Ok(());
        }
        tally
            .outcomes
            .push((delivery.channel.clone(), outcome_of(&attempt.next)));
        if let SendOutcome::Gone { .. } = sent.outcome {
            disabled_endpoints::disable(conn, &delivery.target, &ticket.party_id, "410 Gone", now)
                .await?;
            let cancelled = deliveries::cancel_pending_to(conn, &delivery.target).await?;
            tally.outcomes.extend(
                (0..cancelled).map(|_| (WEBHOOK_CHANNEL.to_owned(), DeliveryOutcome::Failed)),
            );
            timeline.push(NewEvent {
                incident_id: ticket.incident_id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: TimelineEvent::WebhookEndpointDisabled,
                data: json!({ "party": ticket.party_id, "url": delivery.target, "reason": "410 Gone" }),
                at: now,
            });
        }
        if attempt.next == NextStep::Failed && delivery.event_type != REPORTER_CONFIRMATION {
            let all = deliveries::for_tickets(conn, vec![ticket.id]).await?;
            let gave_up = all
                .iter()
                .filter(|d| d.event_type != REPORTER_CONFIRMATION)
                .all(|d| d.status == "failed");
            let moved = gave_up
                && tickets::transition_if(
                    conn,
                    ticket.id,
                    &[TicketStatus::Pending],
                    TicketStatus::Failed,
                    now,
                )
                .await?;
            if moved {
                timeline.push(NewEvent {
                    incident_id: ticket.incident_id,
                    ticket_id: Some(ticket.id),
                    actor: Actor::system(),
                    event_type: TimelineEvent::TicketFailed,
                    data: json!({ "party": ticket.party_id }),
                    at: now,
                });
                self.tell_failure_to_committee(conn, ticket, now).await?;
            }
        }
        Ok(())
    }

    /// Queues `ticket.failed` about `ticket` for the webhooks of the incident's committee.
    async fn tell_failure_to_committee(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        ticket: &TicketRow,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let all = tickets::for_incident(conn, ticket.incident_id).await?;
        if let Some(committee) = all.iter().find(|t| t.role == "committee") {
            let mut updated = ticket.clone();
            updated.status = TicketStatus::Failed.as_str().to_owned();
            let data = EventData::TicketFailed(TicketChangedData {
                incident_id: ticket.incident_id,
                ticket: payload::ticket(&updated)?,
            });
            outbox::queue_webhooks(conn, &self.settings, committee, data, now).await?;
            self.outbox.wake();
        }
        Ok(())
    }

    async fn fail_exhausted(&self) -> anyhow::Result<()> {
        let tx = self.db.begin_write().await?;
        let failed = deliveries::fail_exhausted(&*tx, Utc::now(), self.max_attempts()).await?;
        tx.commit().await?;
        for delivery in &failed {
            self.metrics
                .delivery(&delivery.channel, DeliveryOutcome::Failed);
        }
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                "deliveries failed after their last attempt never came back"
            );
        }
        Ok(())
    }
}

/// For each incident whose first delivery to a party is among `arrived` (just marked
/// delivered in this transaction), the time from its filing to `now`.
async fn first_arrivals(
    conn: &impl sea_orm::ConnectionTrait,
    arrived: &[&&Sent],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Duration>> {
    let to_parties: Vec<&Sent> = arrived
        .iter()
        .map(|s| **s)
        .filter(|s| s.delivery.event_type != REPORTER_CONFIRMATION)
        .collect();
    let mut incidents: Vec<uuid::Uuid> = to_parties.iter().map(|s| s.ticket.incident_id).collect();
    incidents.sort();
    incidents.dedup();
    let counts = deliveries::arrived_per_incident(conn, incidents, REPORTER_CONFIRMATION).await?;
    Ok(counts
        .into_iter()
        .filter(|(incident, _, arrived)| {
            let now_arrived = to_parties
                .iter()
                .filter(|s| s.ticket.incident_id == *incident)
                .count();
            usize::try_from(*arrived).is_ok_and(|all| all == now_arrived)
        })
        .map(|(_, filed_at, _)| (now - filed_at).to_std().unwrap_or_default())
        .collect())
}

fn hostname_or_local() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned())
}
