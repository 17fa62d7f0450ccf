//! Filing an incident: validate, route, then write the incident, its tickets, one delivery
//! per ticket and channel, the timeline and the idempotency receipt in ONE transaction.
//! What the page register says of the report (the declaration it started from, and a flag
//! when the register contradicts it) is read before the write, outside the group commit.

use crate::domain::Named;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::delivery::Channel;
use crate::domain::directory::Directory;
use crate::domain::routing::PartyKind;
use crate::usecases::directory::DirectoryCache;
use crate::{
    config::Settings,
    domain::token,
    domain::{
        Actor, IncidentStatus, TimelineEvent,
        delivery::Notice,
        new_incident::NewIncident,
        page_key,
        register::{DeclaredVersion, RegisterFlag, report_key},
        webhook::{EventData, IncidentReportedData, WebhookEvent, WebhookEvidence},
    },
    storage::{
        Database, deliveries,
        deliveries::DeliveryRow,
        entities::incident,
        events::{self, NewEvent},
        evidence, idempotency,
        incidents::{self, IncidentRow},
        tickets::{self, TicketRow},
    },
    telemetry::metrics::Metrics,
    usecases::{
        group_commit::{BatchWriter, GroupCommit},
        outbox::{self, Channels, Outbox},
        payload, register,
    },
};

pub use crate::domain::Source;
pub use crate::storage::idempotency::CLAIM_LEASE;

/// A filed incident and its secret tracking token (shown once, stored as a digest).
pub struct Filed {
    pub incident: IncidentRow,
    pub tickets: Vec<TicketRow>,
    pub tracking_token: String,
}

/// Renders the response that an idempotency key replays.
pub type RenderReceipt = Box<dyn Fn(&Filed) -> (u16, Vec<u8>) + Send + Sync>;

/// The idempotency key whose response is stored in the same transaction as the incident.
pub struct Receipt {
    pub principal: String,
    pub key: String,
    pub render: RenderReceipt,
}

/// Most reports written in one transaction.
const MAX_BATCH: usize = 64;

/// A report that starts from a member's declaration in the page register.
pub struct FromRegister {
    /// The version of the declaration the report used.
    pub declared: DeclaredVersion,
    /// The signed-in member's email: who the register knows the reporter as.
    pub member_email: String,
}

/// What the register says of one report, read before it is written.
struct Registered {
    declared: Option<DeclaredVersion>,
    flag: Option<RegisterFlag>,
}

struct Job {
    new: NewIncident,
    source: Source,
    actor: Actor,
    receipt: Option<Receipt>,
    register: Registered,
    _admission: Admission,
}

/// The intake writer. Reports that arrive while a transaction is being written are
/// written together in the next one (group commit); each report is still all-or-nothing.
#[derive(Clone)]
pub struct Intake {
    jobs: GroupCommit<Job, Filed>,
    db: Database,
    metrics: Metrics,
    /// One permit per report being filed (`server.max_filings_in_progress`): reports
    /// beyond it are refused at once with [`Busy`], so that an overload costs the memory
    /// of that many reports, not of every request that arrived.
    in_progress: Arc<tokio::sync::Semaphore>,
}

/// A report refused because `server.max_filings_in_progress` reports are being filed:
/// nothing of it was written, and the same report may be sent again in a moment.
#[derive(Debug, thiserror::Error)]
#[error("as many reports as allowed are being filed at once; nothing of this one was written")]
pub struct Busy;

/// A report's place among those being filed, from [`Intake::admit`] until the writer is
/// done with it (it travels with the report, so a request that goes away while its report
/// waits to be written does not free the place early).
pub struct Admission(
    #[expect(dead_code, reason = "held for its drop")] tokio::sync::OwnedSemaphorePermit,
);

struct Writer {
    db: Database,
    settings: Arc<Settings>,
    directory: DirectoryCache,
    outbox: Outbox,
}

impl Intake {
    /// Starts the writer, counting each committed filing in `metrics`.
    pub fn start(
        db: Database,
        settings: Arc<Settings>,
        directory: DirectoryCache,
        outbox: Outbox,
        metrics: Metrics,
    ) -> Self {
        let writer = Writer {
            db: db.clone(),
            settings,
            directory,
            outbox,
        };
        let limit = writer.settings.server.max_filings_in_progress;
        let jobs = GroupCommit::start(writer, "intake", MAX_BATCH);
        Self {
            jobs,
            db,
            metrics,
            in_progress: Arc::new(tokio::sync::Semaphore::new(limit)),
        }
    }

    /// A place for one report among those being filed, or [`Busy`] at once when
    /// `server.max_filings_in_progress` are. Taken before anything of the report is
    /// written or kept (its idempotency key, its files), so a refusal writes nothing.
    pub fn admit(&self) -> Result<Admission, Busy> {
        self.in_progress
            .clone()
            .try_acquire_owned()
            .map(Admission)
            .map_err(|_| Busy)
    }

    /// Routes and writes one report; returns once it is committed.
    pub async fn file(
        &self,
        new: NewIncident,
        source: Source,
        actor: Actor,
        receipt: Option<Receipt>,
        admission: Admission,
    ) -> anyhow::Result<Filed> {
        self.file_from(new, source, actor, receipt, None, admission)
            .await
    }

    /// Routes and writes one report, which may start from a declaration of the register;
    /// returns once it is committed.
    #[tracing::instrument(skip_all, fields(kind = %new.kind, platform = %new.page.platform))]
    pub async fn file_from(
        &self,
        new: NewIncident,
        source: Source,
        actor: Actor,
        receipt: Option<Receipt>,
        from: Option<FromRegister>,
        admission: Admission,
    ) -> anyhow::Result<Filed> {
        let register = self.registered(&new, from).await?;
        let job = Job {
            new,
            source,
            actor,
            receipt,
            register,
            _admission: admission,
        };
        let filed = self.jobs.submit(job).await?;
        tracing::info!(reference = %filed.incident.reference, tickets = filed.tickets.len(), "incident filed");
        self.metrics
            .incident_filed(filed.incident.kind, filed.incident.page_platform);
        Ok(filed)
    }

    /// The register's word on a report: its page declared by someone else than the
    /// reporter (known by their email, or as the signed-in member), or declared closed.
    async fn registered(
        &self,
        new: &NewIncident,
        from: Option<FromRegister>,
    ) -> anyhow::Result<Registered> {
        let reporter = match &from {
            Some(from) => Some(from.member_email.as_str()),
            None => new.reporter.email.as_ref().map(|e| e.as_str()),
        };
        let flag = match report_key(new.page.url.as_ref()) {
            Some(key) => register::flag_for_report(&self.db, &key, reporter).await?,
            None => None,
        };
        Ok(Registered {
            declared: from.map(|f| f.declared),
            flag,
        })
    }
}

impl BatchWriter for Writer {
    type Job = Job;
    type Done = Filed;

    async fn write(&self, jobs: &[Job]) -> anyhow::Result<Vec<Filed>> {
        write_batch(
            &self.db,
            &self.settings,
            &self.directory.current(),
            &self.outbox,
            jobs,
        )
        .await
    }
}

/// Rows of one report, built before they are written.
struct Rows {
    filed: Filed,
    deliveries: Vec<DeliveryRow>,
    timeline: Vec<NewEvent>,
}

/// How the notifications list the evidence: names, types, sizes and digests.
fn evidence_view(new: &NewIncident) -> Vec<WebhookEvidence> {
    new.evidence
        .iter()
        .map(|f| WebhookEvidence {
            content_type: f.kind.mime().to_owned(),
            name: f.file_name.clone(),
            sha256: f.sha256.clone(),
            size_bytes: f.size_bytes,
        })
        .collect()
}

fn build_rows(
    settings: &Settings,
    dir: &Directory,
    job: &Job,
    reference: String,
    now: DateTime<Utc>,
) -> anyhow::Result<Rows> {
    let new = &job.new;
    let incident_id = Uuid::now_v7();
    let tracking_token = token::random_token(16);
    let routes = dir.route(
        &new.reporter.committee,
        new.kind,
        new.severity,
        new.page.platform,
    );
    let actions: Vec<&str> = new.containment.actions.iter().map(|a| a.as_str()).collect();
    let search_text = crate::domain::search_text(&[
        Some(reference.as_str()),
        new.page.url.as_ref().map(|u| u.as_str()),
        new.page.handle.as_ref().map(|h| h.as_str()),
        Some(new.reporter.name.as_str()),
        new.reporter.email.as_ref().map(|e| e.as_str()),
        new.reporter.phone.as_ref().map(|p| p.as_str()),
    ]);
    let row = incident::Model {
        id: incident_id,
        reference,
        kind: new.kind,
        severity: new.severity,
        status: IncidentStatus::Open,
        description: new.description.as_str().to_owned(),
        detected_at: new.detected_at,
        reporter_name: new.reporter.name.as_str().to_owned(),
        reporter_email: new.reporter.email.as_ref().map(|e| e.as_str().to_owned()),
        reporter_phone: new.reporter.phone.as_ref().map(|p| p.as_str().to_owned()),
        committee_id: new.reporter.committee.clone(),
        page_platform: new.page.platform,
        page_url: new.page.url.as_ref().map(|u| u.as_str().to_owned()),
        page_handle: new.page.handle.as_ref().map(|h| h.as_str().to_owned()),
        page_display_name: new
            .page
            .display_name
            .as_ref()
            .map(|d| d.as_str().to_owned()),
        page_account_type: new.page.account_type,
        page_linked_email: new
            .page
            .linked_email
            .as_ref()
            .map(|e| e.as_str().to_owned()),
        page_linked_phone: new
            .page
            .linked_phone
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        page_created_on: new.page.created_on.map(|d| d.to_string()),
        page_purpose: new.page.purpose.as_ref().map(|p| p.as_str().to_owned()),
        page_key: page_key(
            new.page.platform,
            new.page.handle.as_ref(),
            new.page.url.as_ref(),
        ),
        containment: new.containment.state,
        contained_at: new.containment.at,
        containment_actions: json!(actions),
        duplicate_of: None,
        source: job.source,
        tracking_token_hash: Some(token::digest(&tracking_token)),
        reporter_locale: new.reporter.locale,
        platform_case_ref: None,
        search_text,
        created_at: now,
        updated_at: now,
        purged_at: None,
        register_page_id: job.register.declared.as_ref().map(|d| d.page_id),
        register_version: job.register.declared.as_ref().map(|d| d.version),
        register_flag: job.register.flag,
    };

    let mut tickets = Vec::with_capacity(routes.len());
    let mut deliveries = Vec::new();
    let mut timeline = vec![NewEvent {
        incident_id,
        ticket_id: None,
        actor: job.actor.clone(),
        event_type: TimelineEvent::IncidentReported,
        data: json!({
            "reference": row.reference,
            "kind": row.kind,
            "severity": row.severity,
            "containment": row.containment,
            "contained_at": row.contained_at.map(payload::rfc3339),
            "containment_actions": row.containment_actions,
            "containment_note": new.containment.note.as_ref().map(|n| n.as_str()),
            "evidence": evidence_view(new),
        }),
        at: now,
    }];
    if let Some(flag) = job.register.flag {
        timeline.push(NewEvent {
            incident_id,
            ticket_id: None,
            actor: Actor::system(),
            event_type: TimelineEvent::RegisterFlagged,
            data: json!({ "flag": flag, "page_key": report_key(new.page.url.as_ref()) }),
            at: now,
        });
    }
    for route in &routes {
        if dir.party(&route.party_id).is_none() {
            anyhow::bail!("routing named the unknown party `{}`", route.party_id);
        }
        let ticket = super::ticket::pending(dir, incident_id, &route.party_id, route.kind, now);
        let mut incident =
            payload::incident(&row, job.register.declared.as_ref(), settings, route.kind)?;
        incident.evidence = (!new.evidence.is_empty()).then(|| evidence_view(new));
        let event = WebhookEvent::new(
            now,
            EventData::IncidentReported(IncidentReportedData {
                added_by: None,
                incident,
                ticket: payload::ticket(&ticket),
            }),
        );
        deliveries.extend(outbox::rows_for(dir, &ticket, &event, Channels::All, now));
        timeline.push(NewEvent {
            incident_id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: TimelineEvent::TicketOpened,
            data: json!({
                "party": ticket.party_id,
                "role": ticket.role,
                "deadline_at": payload::rfc3339(ticket.deadline_at),
            }),
            at: now,
        });
        tickets.push(ticket);
    }
    if let Some(email) = &new.reporter.email {
        deliveries.extend(confirmation_delivery(&row, &tickets, email.as_str(), now));
    }
    Ok(Rows {
        filed: Filed {
            incident: row,
            tickets,
            tracking_token,
        },
        deliveries,
        timeline,
    })
}

/// The member's confirmation email, queued on the committee's ticket (none without one).
/// It names the parties the incident's tickets went to, so that the member is told who
/// was notified, and carries no tracking token: the email channel issues one at send time.
pub fn confirmation_delivery(
    row: &IncidentRow,
    tickets: &[TicketRow],
    email: &str,
    now: DateTime<Utc>,
) -> Option<DeliveryRow> {
    let committee = tickets.iter().find(|t| t.role == PartyKind::Committee)?;
    let notified: Vec<_> = tickets
        .iter()
        .map(|t| json!({ "party": t.party_id, "role": t.role }))
        .collect();
    let body = serde_json::to_vec(&json!({
        "type": Notice::ReporterConfirmation,
        "timestamp": payload::rfc3339(now),
        "data": {
            "incident": {
                "id": row.id,
                "reference": row.reference,
                "kind": row.kind,
                "committee": row.committee_id,
                "page": { "platform": row.page_platform, "url": row.page_url, "handle": row.page_handle },
            },
            "notified": notified,
        },
    }))
    .unwrap_or_default();
    Some(outbox::row(
        committee,
        Channel::Email,
        email.to_owned(),
        Notice::ReporterConfirmation,
        &body,
        now,
    ))
}

/// Writes the reports of `batch` in ONE transaction: incidents, tickets, deliveries,
/// timeline and idempotency receipts. Nothing of it is kept if any step fails. The
/// deliveries that the dispatcher in this process takes are sent once it is committed.
async fn write_batch(
    db: &Database,
    settings: &Settings,
    dir: &Directory,
    outbox: &Outbox,
    batch: &[Job],
) -> anyhow::Result<Vec<Filed>> {
    let now = Utc::now();
    let tx = db.begin_write().await?;
    let references = incidents::next_references(&*tx, now.year(), batch.len() as u64).await?;
    let mut all = Vec::with_capacity(batch.len());
    for (job, reference) in batch.iter().zip(references) {
        all.push(build_rows(settings, dir, job, reference.to_string(), now)?);
    }
    incidents::insert_many(
        &*tx,
        all.iter()
            .map(|r| r.filed.incident.clone().into())
            .collect(),
    )
    .await?;
    tickets::insert_many(
        &*tx,
        all.iter()
            .flat_map(|r| r.filed.tickets.iter().cloned().map(Into::into))
            .collect(),
    )
    .await?;
    let mut deliveries_rows = Vec::new();
    let mut timeline = Vec::new();
    let mut filed = Vec::with_capacity(all.len());
    for rows in all {
        deliveries_rows.extend(rows.deliveries);
        timeline.extend(rows.timeline);
        filed.push(rows.filed);
    }
    // Those the running dispatcher takes need no claim: under load, that is the writer's
    // time of a claim saved for each.
    let handed = outbox.hand(&mut deliveries_rows, now);
    deliveries::insert_many(&*tx, deliveries_rows).await?;
    for (job, filed) in batch.iter().zip(&filed) {
        evidence::insert_many(&*tx, filed.incident.id, &job.new.evidence, now).await?;
    }
    events::append(&*tx, timeline).await?;
    for (job, filed) in batch.iter().zip(&filed) {
        if let Some(receipt) = &job.receipt {
            let (status, body) = (receipt.render)(filed);
            idempotency::complete(&*tx, &receipt.principal, &receipt.key, status, body).await?;
        }
    }
    tx.commit().await?;
    handed.committed(outbox, filed.iter().flat_map(|f| &f.tickets));
    Ok(filed)
}

/// How a request under an Idempotency-Key came out.
pub enum Once<T> {
    /// This request did the work.
    Done(T),
    /// An earlier request with the same key and body did it; its stored answer.
    Replay { status: u16, body: Vec<u8> },
    /// The key was used before with another body.
    Mismatch,
    /// A request with the key is still being handled.
    InProgress,
}

/// The Idempotency-Key protocol around one filing: claim the key (when there is one), do
/// the work only if this request holds it, and free the key again if the work failed, so
/// that a corrected retry may use it. The receipt itself is stored by the work's own
/// transaction.
pub async fn once<T, E, Fut>(
    db: &Database,
    principal: &str,
    key: Option<&str>,
    request_hash: &str,
    work: impl FnOnce() -> Fut,
) -> Result<Once<T>, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: From<anyhow::Error>,
{
    if let Some(key) = key {
        match claim_idempotency(db, principal, key, request_hash).await? {
            idempotency::Claim::Claimed => {}
            idempotency::Claim::Replay { status, body } => {
                return Ok(Once::Replay { status, body });
            }
            idempotency::Claim::Mismatch => return Ok(Once::Mismatch),
            idempotency::Claim::InProgress => return Ok(Once::InProgress),
        }
    }
    let result = match key {
        Some(key) => renewing(db, principal, key, work()).await,
        None => work().await,
    };
    if let (Err(_), Some(key)) = (&result, key) {
        release_idempotency(db, principal, key).await?;
    }
    result.map(Once::Done)
}

/// How often a request at work renews its claim on its key: well within the lease, so a
/// live request keeps its key and a dead one frees it within `CLAIM_LEASE`.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `work`, renewing the claim on `key` while it runs.
async fn renewing<T>(
    db: &Database,
    principal: &str,
    key: &str,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = tick.tick() => {
                let renewed = async {
                    let tx = db.begin_write().await?;
                    idempotency::renew(&*tx, principal, key, Utc::now()).await?;
                    tx.commit().await
                };
                if let Err(error) = renewed.await {
                    tracing::warn!(%error, "could not renew an idempotency key's claim");
                }
            }
        }
    }
}

/// Claims an idempotency key for a request (a short write of its own).
pub async fn claim_idempotency(
    db: &Database,
    principal: &str,
    key: &str,
    request_hash: &str,
) -> anyhow::Result<idempotency::Claim> {
    let tx = db.begin_write().await?;
    let claim = idempotency::claim(&*tx, principal, key, request_hash, Utc::now()).await?;
    tx.commit().await?;
    Ok(claim)
}

/// Frees a claimed key whose request stored nothing, so that a corrected retry may use it.
async fn release_idempotency(db: &Database, principal: &str, key: &str) -> anyhow::Result<()> {
    let tx = db.begin_write().await?;
    idempotency::release(&*tx, principal, key).await?;
    tx.commit().await?;
    Ok(())
}
