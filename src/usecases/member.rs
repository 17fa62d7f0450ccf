//! What a member can do through their private tracking link: add information and
//! evidence, record the platform's case number, and revoke the link (a new one is
//! emailed). Containment changes go through `incident::change_containment`.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::{
    domain::{Actor, BoundedText, EvidenceFile, Locale, TimelineEvent},
    storage::{
        Database, Scope, deliveries,
        events::{self, NewEvent},
        evidence,
        incidents::{self, IncidentKey, IncidentRow},
        tickets, tracking_tokens,
    },
    usecases::incident::ActionError,
    usecases::intake,
    usecases::outbox::Outbox,
};

/// The incident a tracking token opens, if it is valid and not revoked.
pub async fn open(
    db: &Database,
    token: &str,
) -> Result<Option<IncidentRow>, crate::storage::DbErr> {
    let Some(id) = tracking_tokens::find_incident(db.conn(), token).await? else {
        return Ok(None);
    };
    incidents::find(db.conn(), &Scope::All, &IncidentKey::Id(id)).await
}

/// The whole incident a tracking token opens, read from one snapshot.
pub async fn dossier(
    db: &Database,
    token: &str,
) -> Result<Option<crate::storage::dossier::Dossier>, crate::storage::DbErr> {
    let Some(id) = tracking_tokens::find_incident(db.conn(), token).await? else {
        return Ok(None);
    };
    crate::storage::dossier::load(db, &Scope::All, &IncidentKey::Id(id)).await
}

/// The member's language and a fresh tracking token for their confirmation email, issued
/// at send time so that no token ever sits in the outbox.
pub async fn confirmation_link(
    db: &Database,
    incident_id: Uuid,
) -> Result<(Locale, String), crate::storage::DbErr> {
    let tx = db.begin_write().await?;
    let incident = incidents::find(&*tx, &Scope::All, &IncidentKey::Id(incident_id)).await?;
    let token = tracking_tokens::issue(&*tx, incident_id, Utc::now()).await?;
    tx.commit().await?;
    Ok((
        incident.map(|row| row.reporter_locale).unwrap_or_default(),
        token,
    ))
}

/// A fresh tracking link for an incident the member has just filed (a replayed form).
pub async fn issue_link(db: &Database, incident_id: Uuid) -> Result<String, crate::storage::DbErr> {
    let tx = db.begin_write().await?;
    let token = tracking_tokens::issue(&*tx, incident_id, Utc::now()).await?;
    tx.commit().await?;
    Ok(token)
}

/// Information the member adds after filing: a text, files, or both.
pub async fn add_info(
    db: &Database,
    incident_id: Uuid,
    text: Option<BoundedText>,
    files: &[EvidenceFile],
    actor: Actor,
) -> Result<(), ActionError> {
    let (tx, _) = super::incident::locked(db, &Scope::All, &IncidentKey::Id(incident_id)).await?;
    let now = Utc::now();
    let stored = evidence::insert_many(&*tx, incident_id, files, now).await?;
    let names: Vec<&str> = stored.iter().map(|e| e.file_name.as_str()).collect();
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::MemberInfoAdded,
            data: json!({ "text": text.as_ref().map(BoundedText::as_str), "files": names }),
            at: now,
        }],
    )
    .await?;
    incidents::touch(&*tx, incident_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The case number the platform gave the member when they reported there too.
pub async fn record_platform_case(
    db: &Database,
    incident_id: Uuid,
    case_ref: BoundedText,
    actor: Actor,
) -> Result<(), ActionError> {
    let (tx, incident) =
        super::incident::locked(db, &Scope::All, &IncidentKey::Id(incident_id)).await?;
    let now = Utc::now();
    incidents::set_platform_case_ref(&*tx, incident_id, case_ref.as_str(), now).await?;
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::PlatformCaseRecorded,
            data: json!({
                "platform": incident.page_platform,
                "case_ref": case_ref.as_str(),
                "previous": incident.platform_case_ref,
            }),
            at: now,
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes every tracking link of the incident and, when the member gave an email,
/// queues a confirmation carrying a new one. Returns whether a new link was sent.
pub async fn revoke(
    db: &Database,
    outbox: &Outbox,
    incident_id: Uuid,
    actor: Actor,
) -> Result<bool, ActionError> {
    let (tx, incident) =
        super::incident::locked(db, &Scope::All, &IncidentKey::Id(incident_id)).await?;
    let now = Utc::now();
    tracking_tokens::revoke_all(&*tx, incident_id, now).await?;
    let tickets = tickets::for_incident(&*tx, incident_id).await?;
    let confirmation = incident
        .reporter_email
        .as_deref()
        .and_then(|email| intake::confirmation_delivery(&incident, &tickets, email, now));
    let resent = confirmation.is_some();
    if let Some(delivery) = confirmation {
        deliveries::insert_many(&*tx, vec![delivery]).await?;
    }
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::TrackingRevoked,
            data: json!({ "new_link_emailed": resent }),
            at: now,
        }],
    )
    .await?;
    tx.commit().await?;
    outbox.wake();
    Ok(resent)
}
