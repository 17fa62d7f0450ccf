//! Purging the personal data of closed incidents, by hand (`incident-desk purge`) or on a
//! schedule in `serve`. The reporter, the page, free texts of the timeline, the payloads
//! of sent notifications and the evidence files go; kind, severity, platform, committee,
//! states, times, tickets and delivery outcomes stay for statistics. Each incident is
//! purged in its own write transaction, and its files are deleted once it committed.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        Actor, ActorKind, TimelineEvent,
        delivery::Notice,
        retention::{REDACTED, redact_event_data},
    },
    storage::{Conn, DbErr},
    storage::{
        Database, deliveries,
        events::{self, NewEvent},
        evidence,
        files::FileStore,
        incidents::IncidentRow,
        retention::{self as store, PURGED_PAYLOAD},
        tickets, tracking_tokens,
    },
    usecases::payload::rfc3339,
};

/// Incidents read per query.
const PAGE: u64 = 100;

/// The longest wait before the first scheduled purge after start.
const FIRST_RUN_DELAY: Duration = Duration::from_secs(10);

/// What a purge removes, or would remove, from one incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentPurge {
    pub reference: String,
    /// The incident's fields that held personal data.
    pub fields: Vec<&'static str>,
    /// Timeline entries with free text, file names or the member's name.
    pub timeline_entries: usize,
    /// Sent (or given up) notifications whose message is emptied.
    pub notifications: usize,
    pub evidence_files: usize,
}

/// The outcome of one purge run.
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub purged: Vec<IncidentPurge>,
    /// Incidents left for a later run, with how many of their notifications are still
    /// being sent (a purge never takes a message from under the dispatcher).
    pub deferred: Vec<(String, usize)>,
    /// Files deleted from disk (or that would be); a file that another report also sent
    /// stays.
    pub files_deleted: usize,
}

/// Everything a purge of one incident changes, read before anything is written.
struct Assessment {
    plan: IncidentPurge,
    pending: usize,
    ticket_ids: Vec<Uuid>,
    rewrites: Vec<(Uuid, Value, Option<String>)>,
    /// Digests of the incident's files (evidence and kept mail) that nothing else names.
    orphaned: Vec<String>,
}

/// Purges (or, with `dry_run`, lists) every closed incident closed before `cutoff` and
/// not purged yet.
pub async fn purge(
    db: &Database,
    files: &FileStore,
    cutoff: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<Report> {
    let mut report = Report {
        dry_run,
        ..Default::default()
    };
    let mut after = None;
    loop {
        let due = store::due_page(db.conn(), cutoff, after, PAGE).await?;
        let Some(last) = due.last() else {
            return Ok(report);
        };
        after = Some(last.id);
        for incident in &due {
            if dry_run {
                let tickets = tickets::for_incident(db.conn(), incident.id)
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect();
                let a = assess(db.conn(), incident, tickets).await?;
                if a.pending > 0 {
                    report.deferred.push((a.plan.reference, a.pending));
                } else {
                    report.files_deleted += a.orphaned.len();
                    report.purged.push(a.plan);
                }
                continue;
            }
            match purge_one(db, incident.id, cutoff).await? {
                Outcome::Purged(plan, orphaned) => {
                    report.files_deleted += delete_files(db, files, incident.id, orphaned).await;
                    report.purged.push(plan);
                }
                Outcome::Deferred(reference, pending) => report.deferred.push((reference, pending)),
                Outcome::NoLongerDue => {}
            }
        }
    }
}

enum Outcome {
    Purged(IncidentPurge, Vec<String>),
    Deferred(String, usize),
    NoLongerDue,
}

/// Purges one incident in one write transaction, if it is still due.
async fn purge_one(db: &Database, id: Uuid, cutoff: DateTime<Utc>) -> Result<Outcome, DbErr> {
    let tx = db.begin_write().await?;
    let Some(incident) = store::lock_if_due(&*tx, id, cutoff).await? else {
        return Ok(Outcome::NoLongerDue);
    };
    let tickets = store::lock_tickets(&*tx, id)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let a = assess(&*tx, &incident, tickets).await?;
    if a.pending > 0 {
        return Ok(Outcome::Deferred(a.plan.reference, a.pending));
    }
    let now = Utc::now();
    store::redact_incident(&*tx, &incident, now).await?;
    tracking_tokens::revoke_all(&*tx, id, now).await?;
    for (event_id, data, actor_name) in a.rewrites {
        store::rewrite_event(&*tx, event_id, data, actor_name).await?;
    }
    store::redact_deliveries(
        &*tx,
        a.ticket_ids,
        &[Notice::ReporterConfirmation, Notice::MemberUpdate],
    )
    .await?;
    store::delete_evidence(&*tx, id).await?;
    let messages = store::redact_correspondence(&*tx, id).await?;
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: id,
            ticket_id: None,
            actor: Actor::system(),
            event_type: TimelineEvent::PersonalDataPurged,
            data: json!({
                "closed_before": rfc3339(cutoff),
                "fields": a.plan.fields,
                "timeline_entries": a.plan.timeline_entries,
                "notifications": a.plan.notifications,
                "evidence_files": a.plan.evidence_files,
                "messages": messages,
                "tracking_links_revoked": true,
            }),
            at: now,
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Purged(a.plan, a.orphaned))
}

async fn assess(
    conn: &impl Conn,
    incident: &IncidentRow,
    ticket_ids: Vec<Uuid>,
) -> Result<Assessment, DbErr> {
    let deliveries = deliveries::for_tickets(conn, ticket_ids.clone()).await?;
    let pending = deliveries
        .iter()
        .filter(|d| !d.status.is_finished())
        .count();
    let notifications = deliveries
        .iter()
        .filter(|d| d.status.is_finished() && d.payload != PURGED_PAYLOAD)
        .count();
    let mut rewrites = Vec::new();
    for event in events::for_incident(conn, incident.id).await? {
        let mut data = event.data.clone();
        let text_changed = redact_event_data(&mut data);
        let named_member = event.actor_kind == ActorKind::Member && event.actor_name.is_some();
        if text_changed || named_member {
            let actor_name = event.actor_name.filter(|_| !named_member);
            rewrites.push((event.id, data, actor_name));
        }
    }
    let files = evidence::for_incident(conn, incident.id).await?;
    let mut digests: BTreeSet<String> = files.iter().map(|f| f.sha256.clone()).collect();
    digests.extend(store::mail_digests(conn, incident.id).await?);
    let in_use =
        store::digests_in_use(conn, digests.iter().cloned().collect(), incident.id).await?;
    let orphaned = digests
        .into_iter()
        .filter(|d| !in_use.contains(d))
        .collect();
    Ok(Assessment {
        plan: IncidentPurge {
            reference: incident.reference.clone(),
            fields: personal_fields(incident),
            timeline_entries: rewrites.len(),
            notifications,
            evidence_files: files.len(),
        },
        pending,
        ticket_ids,
        rewrites,
        orphaned,
    })
}

/// The incident's fields that still hold personal data.
fn personal_fields(i: &IncidentRow) -> Vec<&'static str> {
    [
        ("reporter_name", i.reporter_name != REDACTED),
        ("reporter_email", i.reporter_email.is_some()),
        ("reporter_phone", i.reporter_phone.is_some()),
        ("description", i.description != REDACTED),
        ("page_url", i.page_url.is_some()),
        ("page_handle", i.page_handle.is_some()),
        ("page_display_name", i.page_display_name.is_some()),
        ("page_linked_email", i.page_linked_email.is_some()),
        ("page_linked_phone", i.page_linked_phone.is_some()),
        ("page_created_on", i.page_created_on.is_some()),
        ("page_purpose", i.page_purpose.is_some()),
        ("platform_case_ref", i.platform_case_ref.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect()
}

/// Deletes the files of a purged incident (or, with the nil id, of a dropped draft) that no
/// other report, mail or draft names; returns how many were deleted. A file that cannot be
/// deleted is logged and left.
pub async fn delete_files(
    db: &Database,
    files: &FileStore,
    incident: Uuid,
    digests: Vec<String>,
) -> usize {
    // A report filed since the purge committed may have sent the same file again.
    let in_use = match store::digests_in_use(db.conn(), digests.clone(), incident).await {
        Ok(in_use) => in_use,
        Err(error) => {
            tracing::warn!(%error, "could not check evidence files before deleting them");
            return 0;
        }
    };
    let mut deleted = 0;
    for digest in digests.iter().filter(|d| !in_use.contains(d)) {
        match files.remove(digest).await {
            Ok(true) => deleted += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, %digest, "could not delete an evidence file"),
        }
    }
    deleted
}

/// Runs the purge every `retention.purge_interval` when `retention.purge_closed_after` is
/// set, the first time shortly after start.
pub fn spawn_schedule(db: Database, settings: Arc<Settings>, files: FileStore) {
    let Some(after) = settings.retention.purge_closed_after else {
        return;
    };
    let Ok(age) = TimeDelta::from_std(after.0) else {
        return;
    };
    let every = settings.retention.purge_interval;
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + every.min(FIRST_RUN_DELAY);
        let mut tick = tokio::time::interval_at(first, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match purge(&db, &files, Utc::now() - age, false).await {
                Ok(report) if report.purged.is_empty() && report.deferred.is_empty() => {
                    tracing::debug!("no closed incident is due for purging")
                }
                Ok(report) => tracing::info!(
                    purged = report.purged.len(),
                    files_deleted = report.files_deleted,
                    deferred = report.deferred.len(),
                    "personal data of closed incidents purged"
                ),
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "the scheduled purge failed")
                }
            }
        }
    });
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl IncidentPurge {
    /// One line per incident, as `purge` prints it.
    pub fn line(&self, dry_run: bool) -> String {
        let fields = if self.fields.is_empty() {
            "no fields".to_owned()
        } else {
            self.fields.join(", ")
        };
        format!(
            "{}: {} {}; {}, {}, {}",
            self.reference,
            if dry_run { "would clear" } else { "cleared" },
            fields,
            count(self.timeline_entries, "timeline entry", "timeline entries"),
            count(self.notifications, "notification", "notifications"),
            count(self.evidence_files, "evidence file", "evidence files"),
        )
    }
}

impl Report {
    pub fn summary(&self) -> String {
        let mut line = if self.dry_run {
            format!(
                "dry run: {} would be purged, {} would be deleted",
                count(self.purged.len(), "incident", "incidents"),
                count(self.files_deleted, "file", "files"),
            )
        } else {
            format!(
                "{} purged, {} deleted",
                count(self.purged.len(), "incident", "incidents"),
                count(self.files_deleted, "file", "files"),
            )
        };
        if !self.deferred.is_empty() {
            line.push_str(&format!(
                ", {} deferred until their notifications are sent",
                count(self.deferred.len(), "incident", "incidents")
            ));
        }
        line
    }
}
