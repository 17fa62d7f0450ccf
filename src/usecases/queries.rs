//! Reads for the HTTP edge: the one dossier read of a whole incident, lists, single tickets
//! and the operational gauges. Each takes the caller's scope, so nothing outside it is seen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::storage::{
    Database, DbErr, Scope, deliveries,
    deliveries::{AttemptRow, DeliveryRow},
    dossier, evidence,
    evidence::EvidenceRow,
    incidents::{self, IncidentFilter, IncidentKey, IncidentRow},
    ops::{self, QueueDepth},
    queue::{self, Flags, QueueFilter},
    tickets::{self, TicketRow},
};

pub use crate::storage::dossier::Dossier;

/// Everything about one incident in the scope, read from one snapshot so its parts agree.
pub async fn dossier(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<Option<Dossier>, DbErr> {
    dossier::load(db, scope, key).await
}

pub async fn incident(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<Option<IncidentRow>, DbErr> {
    incidents::find(db.conn(), scope, key).await
}

pub async fn incidents(
    db: &Database,
    scope: &Scope,
    filter: &IncidentFilter,
) -> Result<Vec<IncidentRow>, DbErr> {
    incidents::list(db.conn(), scope, filter).await
}

/// A ticket by id, whoever's it is: the caller checks that it may see it.
pub async fn ticket(db: &Database, id: Uuid) -> Result<Option<TicketRow>, DbErr> {
    tickets::find(db.conn(), id).await
}

/// The ticket `id` of the incident `key`, when both are in the scope.
pub async fn ticket_of_incident(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
    id: Uuid,
) -> Result<Option<TicketRow>, DbErr> {
    let Some(incident) = incidents::find(db.conn(), scope, key).await? else {
        return Ok(None);
    };
    Ok(tickets::find_scoped(db.conn(), scope, id)
        .await?
        .filter(|t| t.incident_id == incident.id))
}

/// A ticket's deliveries with every attempt of each.
pub async fn ticket_deliveries(
    db: &Database,
    ticket: Uuid,
) -> Result<(Vec<DeliveryRow>, Vec<AttemptRow>), DbErr> {
    let rows = deliveries::for_tickets(db.conn(), vec![ticket]).await?;
    let attempts = deliveries::attempts_for(db.conn(), rows.iter().map(|d| d.id).collect()).await?;
    Ok((rows, attempts))
}

/// One evidence file of an incident in the scope.
pub async fn evidence_file(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
    id: Uuid,
) -> Result<Option<EvidenceRow>, DbErr> {
    let Some(incident) = incidents::find(db.conn(), scope, key).await? else {
        return Ok(None);
    };
    evidence::find(db.conn(), incident.id, id).await
}

/// Every evidence file of an incident (the caller has checked it may see the incident).
pub async fn evidence(db: &Database, incident_id: Uuid) -> Result<Vec<EvidenceRow>, DbErr> {
    evidence::for_incident(db.conn(), incident_id).await
}

/// A page of the desk queue, whether a next page exists, and each row's flags.
pub struct QueuePage {
    pub rows: Vec<IncidentRow>,
    pub more: bool,
    pub flags: std::collections::HashMap<Uuid, Flags>,
}

pub async fn queue_page(
    db: &Database,
    scope: &Scope,
    filter: &QueueFilter,
    now: DateTime<Utc>,
) -> Result<QueuePage, DbErr> {
    let tx = db.read_snapshot().await?;
    // One more than a page, to know whether a next page exists.
    let mut rows = queue::page(
        &tx,
        scope,
        &QueueFilter {
            limit: filter.limit + 1,
            ..filter.clone()
        },
        now,
    )
    .await?;
    let more = rows.len() as u64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let flags = queue::flags(&tx, &rows, now).await?;
    tx.commit().await?;
    Ok(QueuePage { rows, more, flags })
}

/// Every row the filter selects, for an export.
pub async fn queue_all(
    db: &Database,
    scope: &Scope,
    filter: &QueueFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<IncidentRow>, std::collections::HashMap<Uuid, Flags>), DbErr> {
    let rows = queue::page(db.conn(), scope, filter, now).await?;
    let flags = queue::flags(db.conn(), &rows, now).await?;
    Ok((rows, flags))
}

/// What `/metrics` reads from the database at scrape time.
pub struct Gauges {
    pub depth: QueueDepth,
    pub oldest_due_age: Duration,
    pub tickets_overdue: u64,
}

pub async fn gauges(db: &Database, now: DateTime<Utc>) -> Result<Gauges, DbErr> {
    let conn = db.conn();
    Ok(Gauges {
        depth: ops::queue_depth(conn, now).await?,
        oldest_due_age: ops::oldest_due_wait(conn, now).await?,
        tickets_overdue: queue::overdue_tickets(conn, &Scope::All, now).await?,
    })
}

/// How long the oldest due delivery has waited for a worker.
pub async fn oldest_due_wait(db: &Database, now: DateTime<Utc>) -> Result<Duration, DbErr> {
    ops::oldest_due_wait(db.conn(), now).await
}
