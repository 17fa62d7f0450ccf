//! The dispatcher (imports usecases, channels, telemetry, config and domain; never
//! storage): claims due deliveries under a lease, sends each in its own task (a
//! global limit and a per-endpoint cap, so one slow endpoint never holds up the others),
//! then records the attempt and its effect on the ticket in one transaction guarded by
//! the lease. Delivery is at least once; every retry of a delivery carries the same id.
//! A step claims, sends, records and sweeps once; the background loop repeats it without
//! waiting for its sends, and [`Dispatcher::run_once`] lets a caller take one and wait.
//! [`mailbox`] is the other background worker: the IMAP poller of hosted mail.

pub mod mailbox;

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use tokio::{
    sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch},
    task::JoinSet,
};
use uuid::Uuid;

use crate::usecases::directory::DirectoryCache;
use crate::{
    channels::{email_channel::EmailChannel, signature::SigningKey, webhook::WebhookSender},
    config::Settings,
    domain::delivery::{Channel, Notice, SendOutcome, hand_over_room, send_slot, truncate},
    telemetry::metrics::{DeliveryOutcome, Metrics},
    usecases::{
        Database, DeliveryRow, TicketRow,
        delivery::{
            self, AttemptRecord, Attempted, Claim, Claimed, Lease, NextStep, Recorder, Slots,
        },
        member,
        outbox::{Direct, Outbox, Reserved},
    },
};

const CLAIM_BATCH: usize = 64;
/// How long a claimed delivery waits for a slot at its endpoint before it is given back.
const ENDPOINT_WAIT: Duration = Duration::from_secs(2);

pub struct Dispatcher {
    db: Database,
    settings: Arc<Settings>,
    directory: DirectoryCache,
    webhooks: WebhookSender,
    email: EmailChannel,
    /// Derives the tokens of the sign-in links that member mail carries.
    links: crate::domain::token::LinkKey,
    worker: String,
    wake: Arc<Notify>,
    outbox: Outbox,
    permits: Arc<Semaphore>,
    per_target: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Claimed deliveries not yet through their send, by destination: those sending and
    /// those waiting for a slot.
    claimed: Mutex<HashMap<String, usize>>,
    /// Webhook endpoints that answered 410 Gone to this worker. Checked just before each
    /// send, so no request starts after a 410 has come back, even for deliveries claimed
    /// before it (the database's disabled set is checked at claim time).
    gone: Mutex<HashSet<String>>,
    results: mpsc::Sender<Sent>,
    results_rx: Mutex<Option<mpsc::Receiver<Sent>>>,
    /// Finished sends not yet recorded; shutdown waits for it to reach zero.
    unrecorded: AtomicUsize,
    /// Deliveries may be waiting in the queue: the last claim took as many as it could or
    /// passed some over, or some were queued since it looked. New ones handed over then hold
    /// at most half of the slots, the rest being the queue's (see [`Taker`]).
    backlog: AtomicBool,
    /// New deliveries handed over by the transactions that wrote them, whose sends are not
    /// through.
    handed: Arc<AtomicUsize>,
    /// Due deliveries may be waiting for a slot (the last claim passed some over, or a new
    /// one found none free): each send that frees its slot wakes the loop to claim them.
    left_behind: AtomicBool,
    metrics: Metrics,
}

/// How a claimed delivery left its send.
enum Dispatched {
    Sent(Box<Sent>),
    /// Its endpoint stayed busy, so it was given back to be claimed a little later.
    Released,
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

/// What one step of the dispatcher did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Due deliveries claimed for sending.
    pub claimed: usize,
    /// Attempts that arrived.
    pub delivered: usize,
    /// Attempts that will be made again later.
    pub retried: usize,
    /// Deliveries given up: refused, out of attempts, or to an endpoint that is gone.
    pub failed: usize,
    /// Claimed deliveries given back because their endpoint stayed busy.
    pub released: usize,
    /// Overdue tickets reminded (and, for committees, escalated).
    pub reminded: usize,
    /// Member mails (sign-in links, declaration requests, reminders) sent or tried.
    pub member_mails: usize,
    /// Declaration request reminders queued.
    pub request_reminders: usize,
}

impl Step {
    /// Nothing was due and no sweep changed anything.
    pub fn is_idle(&self) -> bool {
        self.claimed == 0
            && self.failed == 0
            && self.reminded == 0
            && self.member_mails == 0
            && self.request_reminders == 0
    }

    fn count(&mut self, outcomes: &[DeliveryOutcome]) {
        for outcome in outcomes {
            match outcome {
                DeliveryOutcome::Delivered => self.delivered += 1,
                DeliveryOutcome::Retry => self.retried += 1,
                DeliveryOutcome::Failed => self.failed += 1,
            }
        }
    }
}

/// What a step sweeps besides claiming due deliveries.
#[derive(Debug, Clone, Copy)]
struct Sweeps {
    /// Ticket deadlines, declaration request reminders, expired drafts, and deliveries
    /// whose last attempt never came back.
    deadlines: bool,
    /// Member mail that is due (each look takes the write lock, so not at every claim).
    member_mail: bool,
}

/// How often the background loop looks for member mail that is due, at most.
const MEMBER_MAIL_INTERVAL: Duration = Duration::from_millis(100);

/// How the sends of a step finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Completion {
    /// Each send hands its result to the recorder, which writes down together whatever
    /// finishes together, while the loop goes on claiming.
    Detached,
    /// The step waits for its sends and records them before it returns.
    Awaited,
}

/// A step as the background loop sees it.
#[derive(Default)]
struct Turned {
    step: Step,
    /// As many deliveries were due as there were free slots: more may be waiting.
    full_batch: bool,
    /// The first thing that went wrong (each is also logged where it happened).
    error: Option<anyhow::Error>,
}

/// What writing down a batch of sends came to.
#[derive(Default)]
struct Recorded {
    outcomes: Vec<DeliveryOutcome>,
    /// Why an attempt could not be recorded; its lease expires and it is retried.
    error: Option<anyhow::Error>,
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
        directory: DirectoryCache,
        outbox: &Outbox,
        email: EmailChannel,
        links: crate::domain::token::LinkKey,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let worker = format!(
            "{}-{}-{}",
            hostname_or_local(),
            std::process::id(),
            crate::domain::token::random_token(4)
        );
        // Bounded: a send whose result cannot be queued keeps its slot, so claims slow down
        // to what the recorder writes, and memory stays bounded whatever the backlog.
        let (results, results_rx) = mpsc::channel(RECORD_BATCH);
        Ok(Self {
            results,
            results_rx: Mutex::new(Some(results_rx)),
            unrecorded: AtomicUsize::new(0),
            backlog: AtomicBool::new(true),
            handed: Arc::new(AtomicUsize::new(0)),
            left_behind: AtomicBool::new(true),
            webhooks: WebhookSender::new(&settings.webhooks)?,
            permits: Arc::new(Semaphore::new(settings.dispatcher.concurrency)),
            email,
            links,
            db,
            worker,
            wake: outbox.waker(),
            outbox: outbox.clone(),
            per_target: Mutex::new(HashMap::new()),
            claimed: Mutex::new(HashMap::new()),
            gone: Mutex::new(HashSet::new()),
            settings,
            directory,
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
        this.outbox
            .set_direct(Some(Arc::new(Taker(Arc::downgrade(&this)))));
        let task = tokio::spawn(this.run(stopped));
        DispatcherHandle { stop, task }
    }

    /// Records finished sends in batches: one transaction for all that arrived together.
    async fn record_loop(self: Arc<Self>, mut results: mpsc::Receiver<Sent>) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        while results.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            // Sends that finish soon after the first are written with it
            // (`dispatcher.record_linger`): at a light load, each incident's sends would
            // otherwise take a transaction of their own.
            let until = tokio::time::Instant::now() + self.settings.dispatcher.record_linger;
            while batch.len() < RECORD_BATCH {
                let room = RECORD_BATCH - batch.len();
                match tokio::time::timeout_at(until, results.recv_many(&mut batch, room)).await {
                    Ok(got) if got > 0 => {}
                    _ => break,
                }
            }
            self.record(&batch).await;
            self.unrecorded.fetch_sub(batch.len(), Ordering::AcqRel);
            batch.clear();
        }
    }

    /// Records a batch of sends in one transaction, or one by one if that fails.
    async fn record(&self, batch: &[Sent]) -> Recorded {
        let error = match self.record_batch(batch).await {
            Ok(outcomes) => {
                return Recorded {
                    outcomes,
                    error: None,
                };
            }
            Err(error) => error,
        };
        tracing::warn!(%error, size = batch.len(), "batch of attempts failed; recording them one by one");
        let mut recorded = Recorded::default();
        for sent in batch {
            match self.record_batch(std::slice::from_ref(sent)).await {
                Ok(outcomes) => recorded.outcomes.extend(outcomes),
                Err(error) => {
                    tracing::warn!(%error, delivery = %sent.delivery.id, "could not record an attempt; its lease will expire and it is retried");
                    recorded.error = Some(error);
                }
            }
        }
        recorded
    }

    fn max_attempts(&self) -> i32 {
        i32::try_from(self.settings.dispatcher.schedule.len()).unwrap_or(i32::MAX)
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        tracing::info!(worker = %self.worker, "dispatcher started");
        let poll = self.settings.dispatcher.poll_interval;
        // The first step sweeps (what a stopped worker left behind), then each interval.
        let mut deadlines_checked: Option<Instant> = None;
        let mut mail_checked: Option<Instant> = None;
        loop {
            if *stopped.borrow() {
                break;
            }
            let deadlines = deadlines_checked
                .is_none_or(|at| at.elapsed() >= self.settings.dispatcher.deadline_check_interval);
            if deadlines {
                deadlines_checked = Some(Instant::now());
            }
            let member_mail = mail_checked.is_none_or(|at| at.elapsed() >= MEMBER_MAIL_INTERVAL);
            if member_mail {
                mail_checked = Some(Instant::now());
            }
            let sweeps = Sweeps {
                deadlines,
                member_mail,
            };
            let turned = self.turn(Completion::Detached, sweeps).await;
            if turned.full_batch {
                continue;
            }
            // Member mail skipped in this step is looked for when its interval is up.
            let wait = if member_mail {
                poll
            } else {
                poll.min(MEMBER_MAIL_INTERVAL)
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => {}
            }
        }
        // New deliveries are queued for the next worker from now on.
        self.outbox.set_direct(None);
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

    /// The background loop's step, for a caller that drives the dispatcher itself: it always
    /// checks deadlines, and waits for its sends, so their outcomes are committed on return.
    pub async fn run_once(self: &Arc<Self>) -> anyhow::Result<Step> {
        let sweeps = Sweeps {
            deadlines: true,
            member_mail: true,
        };
        let turned = self.turn(Completion::Awaited, sweeps).await;
        match turned.error {
            Some(error) => Err(error),
            None => Ok(turned.step),
        }
    }

    /// Claims as many due deliveries as there are free slots and starts their sends, then
    /// sweeps; each stage runs even when one before it failed, as the loop needs.
    async fn turn(self: &Arc<Self>, completion: Completion, sweeps: Sweeps) -> Turned {
        let deadlines = sweeps.deadlines;
        let mut turned = Turned::default();
        let mut errors: Vec<anyhow::Error> = Vec::new();
        let mut sends = JoinSet::new();
        // Until this claim has looked, deliveries may be waiting: a send that finishes
        // meanwhile wakes the loop to look again.
        self.left_behind.store(true, Ordering::Release);
        // The slots are taken before the claim, so that a filing that hands its deliveries
        // over meanwhile cannot take them from under it.
        let free = self.permits.available_permits().min(CLAIM_BATCH);
        let held = u32::try_from(free)
            .ok()
            .filter(|n| *n > 0)
            .and_then(|n| self.permits.clone().try_acquire_many_owned(n).ok());
        if let Some(mut held) = held {
            // What is queued from now on waits for the next claim (`Outbox::wake` says so).
            self.backlog.store(false, Ordering::Release);
            match self.claim(free).await {
                Ok(Claimed {
                    claims,
                    full_batch,
                    passed_over,
                }) => {
                    if full_batch || passed_over {
                        self.backlog.store(true, Ordering::Release);
                    } else {
                        self.left_behind.store(false, Ordering::Release);
                    }
                    turned.full_batch = full_batch;
                    turned.step.claimed = claims.len();
                    for claim in claims {
                        let Some(permit) = held.split(1) else {
                            break;
                        };
                        // Its endpoint's slot is taken now if one is free; it counts as
                        // claimed until its send is through, so the next claim sees both.
                        let key = send_slot(claim.delivery.channel, &claim.delivery.target);
                        self.count_claimed(key, 1);
                        let slot = self.try_target_permit(key);
                        let this = self.clone();
                        match completion {
                            Completion::Detached => {
                                tokio::spawn(this.send_detached(claim, slot, permit));
                            }
                            Completion::Awaited => {
                                sends.spawn(async move {
                                    let _permit = permit;
                                    this.send(claim, slot).await
                                });
                            }
                        }
                    }
                }
                Err(error) => {
                    self.backlog.store(true, Ordering::Release);
                    self.left_behind.store(true, Ordering::Release);
                    tracing::warn!(%error, "could not claim deliveries");
                    errors.push(error);
                }
            }
        }
        let mut batch = Vec::new();
        while let Some(joined) = sends.join_next().await {
            match joined {
                Ok(Dispatched::Sent(sent)) => batch.push(*sent),
                Ok(Dispatched::Released) => turned.step.released += 1,
                Err(error) => errors.push(error.into()),
            }
        }
        if !batch.is_empty() {
            let recorded = self.record(&batch).await;
            turned.step.count(&recorded.outcomes);
            errors.extend(recorded.error);
        }
        // Only a worker that died during a last attempt leaves such a delivery, and finding
        // them reads every pending delivery: swept with the deadlines, not at every claim.
        if deadlines {
            match self.fail_exhausted().await {
                Ok(failed) => turned.step.failed += failed,
                Err(error) => {
                    tracing::warn!(%error, "could not sweep exhausted deliveries");
                    errors.push(error);
                }
            }
            match crate::usecases::register::remind_due(
                &self.db,
                &self.links,
                &self.settings,
                Utc::now(),
            )
            .await
            {
                Ok(queued) => turned.step.request_reminders = queued,
                Err(error) => {
                    tracing::warn!(%error, "could not queue declaration request reminders");
                    errors.push(error.into());
                }
            }
        }
        if sweeps.member_mail {
            match self.member_mail().await {
                Ok(sent) => turned.step.member_mails = sent,
                Err(error) => {
                    tracing::warn!(%error, "could not send member mail");
                    errors.push(error);
                }
            }
        }
        if deadlines {
            match crate::usecases::deadlines::sweep(
                &self.db,
                &self.settings,
                &self.directory.current(),
                &self.outbox,
            )
            .await
            {
                Ok(reminded) => turned.step.reminded = reminded,
                Err(error) => {
                    tracing::warn!(%error, "could not check ticket deadlines");
                    errors.push(error);
                }
            }
            let files =
                crate::usecases::FileStore::open_evidence(&self.settings.evidence.dir).await;
            let swept = match files {
                Ok(files) => crate::usecases::drafts::sweep(&self.db, &files, Utc::now())
                    .await
                    .map_err(anyhow::Error::from),
                Err(error) => Err(error),
            };
            match swept {
                Ok(gone) if gone > 0 => tracing::info!(gone, "expired report drafts deleted"),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "could not delete expired report drafts");
                    errors.push(error);
                }
            }
        }
        turned.error = errors.into_iter().next();
        turned
    }

    /// Sends the member mail that is due (sign-in links, declaration requests and their
    /// reminders), a few at a time, and records each outcome.
    async fn member_mail(&self) -> anyhow::Result<usize> {
        use crate::usecases::register::mail;
        let dir = self.directory.current();
        let jobs = mail::claim(
            &self.db,
            &self.links,
            &self.settings,
            |committee, locale| {
                dir.party(committee)
                    .map_or_else(|| committee.to_owned(), |p| p.name.get(locale).to_owned())
            },
            Utc::now(),
        )
        .await?;
        let mut sends = JoinSet::new();
        for job in jobs {
            let sender = self.email.sender().clone();
            let domain = self.settings.email.message_id_domain.clone();
            sends.spawn(async move {
                let outcome = crate::channels::member_mail::send(&sender, &domain, &job).await;
                (job, outcome)
            });
        }
        let mut sent = 0;
        while let Some(joined) = sends.join_next().await {
            let (job, outcome) = joined?;
            mail::record(&self.db, &self.settings, &job, &outcome, Utc::now()).await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// What each destination may take right now: room for as many claimed deliveries as
    /// it has slots, sending, and as many again waiting for a slot; a claim takes no more.
    fn slots(&self) -> Slots {
        // Each destination may have as many claimed deliveries waiting for a slot as it has
        // slots: a slot that frees starts the next send at once, without a claim between.
        let depth = 2 * self.settings.dispatcher.per_endpoint_concurrency;
        let free = self
            .claimed
            .lock()
            .map(|claimed| {
                claimed
                    .iter()
                    .map(|(target, n)| (target.clone(), depth.saturating_sub(*n)))
                    .collect()
            })
            .unwrap_or_default();
        Slots { free, fresh: depth }
    }

    /// Counts a claimed delivery to `key` in (`+1`) or out (`-1`).
    fn count_claimed(&self, key: &str, delta: isize) {
        if let Ok(mut claimed) = self.claimed.lock() {
            let n = claimed.entry(key.to_owned()).or_default();
            *n = n.saturating_add_signed(delta);
        }
    }

    /// Claims up to `limit` due deliveries under a lease.
    async fn claim(&self, limit: usize) -> anyhow::Result<Claimed> {
        let lease = Lease {
            worker: &self.worker,
            length: TimeDelta::from_std(self.settings.dispatcher.lease)?,
            max_attempts: self.max_attempts(),
        };
        Ok(delivery::claim(
            &self.db,
            &self.directory.current(),
            lease,
            limit,
            self.slots(),
        )
        .await?)
    }

    fn target_semaphore(&self, key: &str) -> Option<Arc<Semaphore>> {
        let mut map = self.per_target.lock().ok()?;
        Some(
            map.entry(key.to_owned())
                .or_insert_with(|| {
                    Arc::new(Semaphore::new(
                        self.settings.dispatcher.per_endpoint_concurrency,
                    ))
                })
                .clone(),
        )
    }

    /// A slot at this destination if one is free now.
    fn try_target_permit(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        self.target_semaphore(key)?.try_acquire_owned().ok()
    }

    async fn target_permit(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.target_semaphore(key)?;
        tokio::time::timeout(ENDPOINT_WAIT, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// Sends in a task of its own and hands the result to the recorder; the slot is held
    /// until then, so a stopping dispatcher waits for the attempt to be written down.
    async fn send_detached(
        self: Arc<Self>,
        claim: Claim,
        slot: Option<OwnedSemaphorePermit>,
        permit: impl Send + 'static,
    ) {
        if let Dispatched::Sent(sent) = self.send(claim, slot).await {
            self.unrecorded.fetch_add(1, Ordering::AcqRel);
            if self.results.send(*sent).await.is_err() {
                tracing::warn!(
                    "the attempt recorder has stopped; the lease will expire and the delivery is retried"
                );
            }
        }
        // Its slot is free: claim what waited for one.
        drop(permit);
        if self.left_behind.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    /// Makes one attempt at a claimed delivery, with its endpoint's slot (`slot`, or one
    /// waited for).
    async fn send(&self, claim: Claim, slot: Option<OwnedSemaphorePermit>) -> Dispatched {
        let key = send_slot(claim.delivery.channel, &claim.delivery.target).to_owned();
        let dispatched = self.attempt(claim, slot).await;
        self.count_claimed(&key, -1);
        dispatched
    }

    async fn attempt(&self, claim: Claim, slot: Option<OwnedSemaphorePermit>) -> Dispatched {
        let Claim {
            delivery,
            ticket,
            disabled,
        } = claim;
        let slot = match slot {
            Some(slot) => Some(slot),
            None => {
                self.target_permit(send_slot(delivery.channel, &delivery.target))
                    .await
            }
        };
        let Some(_endpoint) = slot else {
            // The endpoint stayed busy with as many sends as it may have: try a little later.
            let later = Utc::now() + TimeDelta::milliseconds(500);
            if let Err(error) = delivery::release(&self.db, delivery.id, &self.worker, later).await
            {
                tracing::warn!(%error, "could not release a delivery");
            }
            return Dispatched::Released;
        };
        let attempted_at = Utc::now();
        let started = Instant::now();
        let disabled =
            disabled || (delivery.channel == Channel::Webhook && self.is_gone(&delivery.target));
        let outcome = match delivery.channel {
            Channel::Webhook if disabled => SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "endpoint disabled after 410 Gone".to_owned(),
            },
            Channel::Webhook => self.send_webhook(&delivery, &ticket).await,
            Channel::Email if delivery.event_type == Notice::ReporterConfirmation => {
                match member::confirmation_link(&self.db, ticket.incident_id).await {
                    Ok((locale, token)) => {
                        self.email
                            .send_confirmation(
                                &self.settings,
                                &self.directory.current(),
                                &delivery,
                                locale,
                                &token,
                            )
                            .await
                    }
                    Err(error) => SendOutcome::Retry {
                        status: None,
                        reply: String::new(),
                        error: error.to_string(),
                        at_least: None,
                    },
                }
            }
            Channel::Email if delivery.event_type == Notice::MemberUpdate => {
                match member::confirmation_link(&self.db, ticket.incident_id).await {
                    Ok((locale, token)) => {
                        self.email
                            .send_member_update(&self.settings, &delivery, locale, &token)
                            .await
                    }
                    Err(error) => SendOutcome::Retry {
                        status: None,
                        reply: String::new(),
                        error: error.to_string(),
                        at_least: None,
                    },
                }
            }
            Channel::Email => {
                self.email
                    .send(
                        &self.settings,
                        &self.directory.current(),
                        &delivery,
                        &ticket,
                    )
                    .await
            }
        };
        if let SendOutcome::Refused { reason } = &outcome {
            tracing::warn!(delivery = %delivery.id, %reason, "webhook target refused by the network guard");
            self.metrics.webhook_refused();
        }
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        Dispatched::Sent(Box::new(Sent {
            delivery,
            ticket,
            attempted_at,
            duration_ms,
            outcome,
        }))
    }

    async fn send_webhook(&self, delivery: &DeliveryRow, ticket: &TicketRow) -> SendOutcome {
        let dir = self.directory.current();
        let Some(endpoint) = delivery::endpoint_of(&dir, &ticket.party_id, delivery) else {
            return SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "the endpoint was removed from this party".to_owned(),
            };
        };
        use secrecy::ExposeSecret;
        let keys: Vec<SigningKey> = endpoint
            .signing_secrets(Utc::now())
            .into_iter()
            .filter_map(|s| SigningKey::parse(s.expose_secret()).ok())
            .collect();
        let msg_id = format!("msg_{}", delivery.id.simple());
        let outcome = self
            .webhooks
            .send(&endpoint.url, &msg_id, &delivery.payload, &keys)
            .await;
        if matches!(outcome, SendOutcome::Gone { .. })
            && let Ok(mut gone) = self.gone.lock()
        {
            gone.insert(delivery.target.clone());
        }
        outcome
    }

    fn is_gone(&self, target: &str) -> bool {
        self.gone.lock().is_ok_and(|gone| gone.contains(target))
    }

    fn next_step(
        &self,
        delivery: &DeliveryRow,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> NextStep {
        match outcome {
            SendOutcome::Delivered { .. } => NextStep::Delivered,
            SendOutcome::Failed { .. } | SendOutcome::Gone { .. } | SendOutcome::Refused { .. } => {
                NextStep::Failed
            }
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
            SendOutcome::Refused { reason } => (
                None,
                String::new(),
                Some(format!("refused by the network guard: {reason}")),
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

    /// Records a batch of attempts in one transaction, with their effects.
    async fn record_batch(&self, batch: &[Sent]) -> anyhow::Result<Vec<DeliveryOutcome>> {
        let now = Utc::now();
        let attempted: Vec<Attempted> = batch
            .iter()
            .map(|sent| Attempted {
                delivery: sent.delivery.clone(),
                ticket: sent.ticket.clone(),
                attempt: self.attempt_of(sent, now),
                gone: matches!(sent.outcome, SendOutcome::Gone { .. }),
            })
            .collect();
        let dir = self.directory.current();
        Recorder {
            db: &self.db,
            settings: &self.settings,
            dir: &dir,
            outbox: &self.outbox,
            metrics: &self.metrics,
            worker: &self.worker,
        }
        .record(&attempted)
        .await
    }

    /// Fails deliveries whose last attempt never came back; returns how many.
    async fn fail_exhausted(&self) -> anyhow::Result<usize> {
        let failed = delivery::fail_exhausted(&self.db, &self.metrics, self.max_attempts()).await?;
        if !failed.is_empty() {
            tracing::warn!(
                count = failed.len(),
                "deliveries failed after their last attempt never came back"
            );
        }
        Ok(failed.len())
    }
}

/// Takes new deliveries straight from the transaction that writes them, for the running
/// dispatcher: each is leased to it as a claim would lease it, and its slots are held from
/// before the write until its send is through. While older deliveries wait to be claimed,
/// those it takes hold at most half of the slots ([`hand_over_room`]): the queue keeps the
/// others, and claims send it oldest first while new reports keep coming.
struct Taker(std::sync::Weak<Dispatcher>);

impl Direct for Taker {
    fn queued(&self) {
        if let Some(dispatcher) = self.0.upgrade() {
            dispatcher.backlog.store(true, Ordering::Release);
        }
    }

    fn reserve(&self, rows: &mut [DeliveryRow], now: DateTime<Utc>) -> Option<Box<dyn Reserved>> {
        let dispatcher = self.0.upgrade()?;
        // Only the intake's one writer task hands deliveries over, a batch at a time, so
        // no other hand-over races the share read here.
        let mut room_left = hand_over_room(
            dispatcher.handed.load(Ordering::Acquire),
            dispatcher.settings.dispatcher.concurrency,
            dispatcher.backlog.load(Ordering::Acquire),
        );
        // From now, not from when the transaction began: it may have waited for the writer.
        let until = Utc::now() + TimeDelta::from_std(dispatcher.settings.dispatcher.lease).ok()?;
        let depth = 2 * dispatcher.settings.dispatcher.per_endpoint_concurrency;
        let mut taken = Vec::new();
        for row in rows.iter_mut() {
            let key = send_slot(row.channel, &row.target);
            let room = dispatcher
                .claimed
                .lock()
                .is_ok_and(|claimed| claimed.get(key).copied().unwrap_or(0) < depth);
            let permit = match room {
                true if room_left > 0 => dispatcher.permits.clone().try_acquire_owned().ok(),
                _ => None,
            };
            let Some(permit) = permit else {
                // Left in the queue: claimed once a slot frees.
                dispatcher.left_behind.store(true, Ordering::Release);
                continue;
            };
            room_left -= 1;
            dispatcher.handed.fetch_add(1, Ordering::AcqRel);
            let permit = HandedPermit {
                _permit: permit,
                handed: dispatcher.handed.clone(),
            };
            dispatcher.count_claimed(key, 1);
            taken.push(Taken {
                id: row.id,
                slot: dispatcher.try_target_permit(key),
                key: key.to_owned(),
                permit,
            });
            row.locked_by = Some(dispatcher.worker.clone());
            row.locked_until = Some(until);
            row.attempts += 1;
            row.updated_at = now;
        }
        if taken.is_empty() {
            return None;
        }
        Some(Box::new(Reservation { dispatcher, taken }))
    }
}

/// A delivery taken by [`Taker`], with its slots.
struct Taken {
    id: Uuid,
    key: String,
    permit: HandedPermit,
    slot: Option<OwnedSemaphorePermit>,
}

/// A slot of the dispatcher held by a delivery handed over: counted among those handed
/// over until it is given back.
struct HandedPermit {
    /// Given back after the count (fields drop after [`Drop::drop`]).
    _permit: OwnedSemaphorePermit,
    handed: Arc<AtomicUsize>,
}

impl Drop for HandedPermit {
    fn drop(&mut self) {
        self.handed.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Reservation {
    dispatcher: Arc<Dispatcher>,
    taken: Vec<Taken>,
}

impl Reserved for Reservation {
    fn start(mut self: Box<Self>, claims: Vec<Claim>) {
        let mut taken: HashMap<Uuid, Taken> = self.taken.drain(..).map(|t| (t.id, t)).collect();
        self.dispatcher.metrics.handed_over(claims.len());
        for claim in claims {
            let Some(t) = taken.remove(&claim.delivery.id) else {
                continue;
            };
            tokio::spawn(
                self.dispatcher
                    .clone()
                    .send_detached(claim, t.slot, t.permit),
            );
        }
        self.taken.extend(taken.into_values());
    }
}

impl Drop for Reservation {
    /// What was not sent frees its place at its destination (its global slot frees itself).
    fn drop(&mut self) {
        for taken in &self.taken {
            self.dispatcher.count_claimed(&taken.key, -1);
        }
    }
}

fn hostname_or_local() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned())
}
