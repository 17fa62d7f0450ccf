//! The dispatcher: claims due deliveries under a lease, sends each in its own task (a
//! global limit and a per-endpoint cap, so one slow endpoint never holds up the others),
//! then records the attempt and its effect on the ticket in one transaction guarded by
//! the lease. Delivery is at least once; every retry of a delivery carries the same id.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde_json::json;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::{
    email_channel::EmailChannel,
    outbox::{self, EMAIL_CHANNEL, Outbox, WEBHOOK_CHANNEL},
    outcome::{SendOutcome, truncate},
    signature::SigningKey,
    webhook::WebhookSender,
};
use crate::{
    config::Settings,
    domain::{Actor, TicketStatus},
    storage::{
        Database,
        deliveries::{self, AttemptRecord, DeliveryRow, NextStep},
        disabled_endpoints,
        events::{self, NewEvent},
        tickets::{self, TicketRow},
    },
};

const CLAIM_BATCH: usize = 64;

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
}

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
    ) -> anyhow::Result<Self> {
        let worker = format!(
            "{}-{}-{}",
            hostname_or_local(),
            std::process::id(),
            crate::secrets::random_token(4)
        );
        Ok(Self {
            webhooks: WebhookSender::new(&settings.webhooks)?,
            permits: Arc::new(Semaphore::new(settings.dispatcher.concurrency)),
            email,
            db,
            worker,
            wake: outbox.waker(),
            outbox: outbox.clone(),
            per_target: Mutex::new(HashMap::new()),
            settings,
        })
    }

    pub fn spawn(self) -> DispatcherHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(Arc::new(self).run(stopped));
        DispatcherHandle { stop, task }
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
                    Ok(claimed) => {
                        full_batch = claimed.len() == free;
                        for delivery in claimed {
                            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                                break;
                            };
                            tokio::spawn(self.clone().process(delivery, permit));
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
                    super::deadlines::sweep(&self.db, &self.settings, &self.outbox).await
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
        let _ = tokio::time::timeout(grace, self.permits.acquire_many(all)).await;
        tracing::info!(worker = %self.worker, "dispatcher stopped");
    }

    async fn claim(&self, limit: usize) -> anyhow::Result<Vec<DeliveryRow>> {
        let now = Utc::now();
        let lease = TimeDelta::from_std(self.settings.dispatcher.lease)?;
        let tx = self.db.begin_write().await?;
        let claimed = deliveries::claim_due(
            &*tx,
            &self.worker,
            now,
            now + lease,
            self.max_attempts(),
            limit as u64,
        )
        .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    fn target_key(delivery: &DeliveryRow) -> String {
        match delivery.channel.as_str() {
            EMAIL_CHANNEL => "smtp".to_owned(),
            _ => delivery.target.clone(),
        }
    }

    fn target_permit(&self, key: &str) -> Option<OwnedSemaphorePermit> {
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
        semaphore.try_acquire_owned().ok()
    }

    async fn process(self: Arc<Self>, delivery: DeliveryRow, _permit: OwnedSemaphorePermit) {
        let Some(_endpoint) = self.target_permit(&Self::target_key(&delivery)) else {
            // The endpoint is busy with as many sends as it may have: try a little later.
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
        let ticket = match tickets::find(self.db.conn(), delivery.ticket_id).await {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, "could not load a delivery's ticket");
                return;
            }
        };
        let outcome = match delivery.channel.as_str() {
            WEBHOOK_CHANNEL => self.send_webhook(&delivery, &ticket).await,
            EMAIL_CHANNEL => self.email.send(&self.settings, &delivery, &ticket).await,
            other => SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: format!("unknown channel `{other}`"),
            },
        };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        if let Err(error) = self
            .record(&delivery, &ticket, attempted_at, duration_ms, outcome)
            .await
        {
            tracing::warn!(%error, delivery = %delivery.id, "could not record an attempt; the lease will expire and it is retried");
        }
        self.wake.notify_one();
    }

    async fn send_webhook(&self, delivery: &DeliveryRow, ticket: &TicketRow) -> SendOutcome {
        match disabled_endpoints::is_disabled(self.db.conn(), &delivery.target).await {
            Ok(true) => {
                return SendOutcome::Failed {
                    status: None,
                    reply: String::new(),
                    error: "endpoint disabled after 410 Gone".to_owned(),
                };
            }
            Ok(false) => {}
            Err(e) => {
                return SendOutcome::Retry {
                    status: None,
                    reply: String::new(),
                    error: e.to_string(),
                    at_least: None,
                };
            }
        }
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

    async fn record(
        &self,
        delivery: &DeliveryRow,
        ticket: &TicketRow,
        attempted_at: DateTime<Utc>,
        duration_ms: i64,
        outcome: SendOutcome,
    ) -> anyhow::Result<()> {
        let now = Utc::now();
        let next = self.next_step(delivery, &outcome, now);
        let (status_code, reply, error) = match &outcome {
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
        let attempt = AttemptRecord {
            attempted_at,
            duration_ms,
            status_code: status_code.map(i32::from),
            reply: Some(truncate(reply, 20 * 1024)).filter(|r| !r.is_empty()),
            error,
            next: next.clone(),
        };
        let tx = self.db.begin_write().await?;
        tickets::lock(&*tx, ticket.id).await?;
        if !deliveries::record_attempt(&*tx, delivery, &self.worker, &attempt).await? {
            tracing::warn!(delivery = %delivery.id, "lease lost before the attempt was recorded; another worker owns it");
            return Ok(());
        }
        let mut timeline = Vec::new();
        if let SendOutcome::Gone { .. } = outcome {
            disabled_endpoints::disable(&*tx, &delivery.target, &ticket.party_id, "410 Gone", now)
                .await?;
            deliveries::cancel_pending_to(&*tx, &delivery.target).await?;
            timeline.push(NewEvent {
                incident_id: ticket.incident_id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: "webhook.endpoint_disabled",
                data: json!({ "party": ticket.party_id, "url": delivery.target, "reason": "410 Gone" }),
                at: now,
            });
        }
        match next {
            NextStep::Delivered => {
                let moved = tickets::transition_if(
                    &*tx,
                    ticket.id,
                    &[TicketStatus::Pending, TicketStatus::Failed],
                    TicketStatus::Notified,
                    now,
                )
                .await?;
                if moved {
                    timeline.push(NewEvent {
                        incident_id: ticket.incident_id,
                        ticket_id: Some(ticket.id),
                        actor: Actor::system(),
                        event_type: "ticket.notified",
                        data: json!({ "party": ticket.party_id, "channel": delivery.channel }),
                        at: now,
                    });
                }
            }
            NextStep::Failed => {
                let all = deliveries::for_tickets(&*tx, vec![ticket.id]).await?;
                let gave_up = all.iter().all(|d| d.status == "failed");
                let moved = gave_up
                    && tickets::transition_if(
                        &*tx,
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
                        event_type: "ticket.failed",
                        data: json!({ "party": ticket.party_id }),
                        at: now,
                    });
                    self.tell_committee(&*tx, ticket, "ticket.failed", now)
                        .await?;
                }
            }
            NextStep::RetryAt(_) => {}
        }
        if !timeline.is_empty() {
            events::append(&*tx, timeline).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Queues `event_type` about `ticket` for the webhooks of the incident's committee.
    async fn tell_committee(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        ticket: &TicketRow,
        event_type: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let all = tickets::for_incident(conn, ticket.incident_id).await?;
        if let Some(committee) = all.iter().find(|t| t.role == "committee") {
            let mut updated = ticket.clone();
            updated.status = TicketStatus::Failed.as_str().to_owned();
            let data = json!({ "incident_id": ticket.incident_id, "ticket": super::payload::ticket_view(&updated) });
            outbox::queue_webhooks(conn, &self.settings, committee, event_type, data, now).await?;
            self.outbox.wake();
        }
        Ok(())
    }

    async fn fail_exhausted(&self) -> anyhow::Result<()> {
        let tx = self.db.begin_write().await?;
        let failed = deliveries::fail_exhausted(&*tx, Utc::now(), self.max_attempts()).await?;
        tx.commit().await?;
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                "deliveries failed after their last attempt never came back"
            );
        }
        Ok(())
    }
}

fn hostname_or_local() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned())
}
