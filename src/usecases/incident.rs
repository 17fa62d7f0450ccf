//! Changes to a filed incident: containment, status and notes. Each runs in one write
//! transaction, checks its state machine against the locked row, and appends to the timeline.

use crate::domain::Named;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        Actor, BoundedText, FieldError, IncidentStatus, RejectReason, StateMachine, TimelineEvent,
        TransitionError,
        new_incident::Containment,
        webhook::{self, EventData, WebhookIncident, WebhookTicket},
    },
    storage::{Conn, DbErr, WriteTx},
    storage::{
        Database, Scope,
        events::{self, EventRow, NewEvent},
        incidents::{self, IncidentKey, IncidentRow},
        tickets,
    },
    usecases::{
        outbox::{self, Outbox},
        payload::{self, rfc3339},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("incident not found")]
    NotFound,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Storage(#[from] DbErr),
}

#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: IncidentStatus,
    pub reason: Option<RejectReason>,
    pub duplicate_of: Option<IncidentKey>,
    pub note: Option<BoundedText>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteVisibility {
    Internal,
    Shared,
}

impl NoteVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteVisibility::Internal => "internal",
            NoteVisibility::Shared => "shared",
        }
    }
}

/// Opens a write transaction and locks the incident `key` within `scope`: how every change
/// to an incident begins.
pub(crate) async fn locked(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<(WriteTx, IncidentRow), ActionError> {
    let tx = db.begin_write().await?;
    let incident = incidents::find_for_update(&*tx, scope, key)
        .await?
        .ok_or(ActionError::NotFound)?;
    Ok((tx, incident))
}

pub async fn change_containment(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    key: &IncidentKey,
    change: Containment,
    actor: Actor,
) -> Result<IncidentRow, ActionError> {
    let (tx, incident) = locked(db, scope, key).await?;
    let current = incident.containment;
    current.transition(change.state)?;
    let now = Utc::now();
    incidents::set_containment(&*tx, incident.id, &change, now).await?;
    let actions: Vec<&str> = change.actions.iter().map(|a| a.as_str()).collect();
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::ContainmentChanged,
            data: json!({
                "from": current,
                "to": change.state,
                "at": change.at.map(rfc3339),
                "actions": actions,
                "note": change.note.as_ref().map(BoundedText::as_str),
            }),
            at: now,
        }],
    )
    .await?;
    let updated = incidents::find(&*tx, &Scope::All, &IncidentKey::Id(incident.id))
        .await?
        .ok_or(ActionError::NotFound)?;
    let change = webhook::ContainmentChange {
        at: change.at,
        from: current,
        to: change.state,
    };
    broadcast(&*tx, &notify, &updated, now, |incident, ticket| {
        EventData::IncidentContainmentChanged(webhook::ContainmentChangedData {
            change: change.clone(),
            incident,
            ticket,
        })
    })
    .await?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(updated)
}

pub async fn change_status(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    key: &IncidentKey,
    change: StatusChange,
    actor: Actor,
) -> Result<IncidentRow, ActionError> {
    let (tx, incident) = locked(db, scope, key).await?;
    let current = incident.status;
    current.transition(change.status)?;

    let mut duplicate_of: Option<IncidentRow> = None;
    if change.status == IncidentStatus::Rejected {
        let mut problems = Vec::new();
        match (change.reason, &change.duplicate_of) {
            (None, _) => problems.push(FieldError::new(
                "reason",
                "required",
                "say why the incident is rejected",
            )),
            (Some(RejectReason::Duplicate), None) => problems.push(FieldError::new(
                "duplicate_of",
                "required",
                "name the incident this one duplicates",
            )),
            (Some(RejectReason::Duplicate), Some(original)) => {
                match incidents::find(&*tx, scope, original).await? {
                    Some(found) if found.id != incident.id => duplicate_of = Some(found),
                    Some(_) => problems.push(FieldError::new(
                        "duplicate_of",
                        "not_itself",
                        "an incident cannot duplicate itself",
                    )),
                    None => problems.push(FieldError::new(
                        "duplicate_of",
                        "unknown_incident",
                        "no such incident",
                    )),
                }
            }
            (Some(_), Some(_)) => problems.push(FieldError::new(
                "duplicate_of",
                "duplicate_only",
                "goes only with the reason `duplicate`",
            )),
            (Some(_), None) => {}
        }
        if !problems.is_empty() {
            return Err(ActionError::Invalid(problems));
        }
    } else if change.reason.is_some() || change.duplicate_of.is_some() {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "reason",
            "rejected_only",
            "reason and duplicate_of go only with the status `rejected`",
        )]));
    }

    let now = Utc::now();
    let duplicate_id: Option<Uuid> = duplicate_of.as_ref().map(|d| d.id);
    incidents::set_status(&*tx, incident.id, change.status, duplicate_id, now).await?;
    let mut timeline = vec![NewEvent {
        incident_id: incident.id,
        ticket_id: None,
        actor: actor.clone(),
        event_type: TimelineEvent::StatusChanged,
        data: json!({
            "from": current,
            "to": change.status,
            "reason": change.reason,
            "duplicate_of": duplicate_of.as_ref().map(|d| &d.reference),
            "note": change.note.as_ref().map(BoundedText::as_str),
        }),
        at: now,
    }];
    if let Some(original) = &duplicate_of {
        timeline.push(NewEvent {
            incident_id: original.id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::DuplicateLinked,
            data: json!({ "duplicate": incident.reference }),
            at: now,
        });
        incidents::touch(&*tx, original.id, now).await?;
    }
    events::append(&*tx, timeline).await?;
    let updated = incidents::find(&*tx, &Scope::All, &IncidentKey::Id(incident.id))
        .await?
        .ok_or(ActionError::NotFound)?;
    let change = webhook::StatusChange {
        from: current,
        reason: change.reason,
        to: change.status,
    };
    broadcast(&*tx, &notify, &updated, now, |incident, ticket| {
        EventData::IncidentStatusChanged(webhook::StatusChangedData {
            change: change.clone(),
            incident,
            ticket,
        })
    })
    .await?;
    crate::usecases::correspondence::tell_member(
        &*tx,
        notify.settings,
        &updated,
        crate::domain::correspondence::MemberUpdate::StatusChanged,
        json!({ "from": current, "to": updated.status }),
        now,
    )
    .await?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(updated)
}

/// Sends an incident change to the webhooks of every party with a ticket on it, each told
/// of the incident as its kind of party is.
async fn broadcast(
    conn: &impl Conn,
    notify: &Notify<'_>,
    incident: &IncidentRow,
    now: DateTime<Utc>,
    event: impl Fn(WebhookIncident, WebhookTicket) -> EventData,
) -> Result<(), DbErr> {
    let declared = payload::declared(conn, incident).await?;
    for ticket in tickets::for_incident(conn, incident.id).await? {
        let kind = ticket.role;
        let data = event(
            payload::incident(incident, declared.as_ref(), notify.settings, kind)?,
            payload::ticket(&ticket),
        );
        outbox::queue_webhooks(conn, &notify.dir, [&ticket], data, now).await?;
    }
    Ok(())
}

/// What an action needs to tell the parties about it.
#[derive(Clone)]
pub struct Notify<'a> {
    pub settings: &'a Settings,
    pub dir: std::sync::Arc<crate::domain::directory::Directory>,
    pub outbox: &'a Outbox,
}

pub async fn add_note(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    key: &IncidentKey,
    text: BoundedText,
    visibility: NoteVisibility,
    actor: Actor,
) -> Result<EventRow, ActionError> {
    let (tx, incident) = locked(db, scope, key).await?;
    let now = Utc::now();
    let event = NewEvent {
        incident_id: incident.id,
        ticket_id: None,
        actor,
        event_type: TimelineEvent::NoteAdded,
        data: json!({ "text": text.as_str(), "visibility": visibility.as_str() }),
        at: now,
    };
    events::append(&*tx, vec![event]).await?;
    incidents::touch(&*tx, incident.id, now).await?;
    if visibility == NoteVisibility::Shared {
        crate::usecases::correspondence::tell_member(
            &*tx,
            notify.settings,
            &incident,
            crate::domain::correspondence::MemberUpdate::SharedNote,
            json!({ "text": text.as_str() }),
            now,
        )
        .await?;
    }
    let stored = events::for_incident(&*tx, incident.id)
        .await?
        .pop()
        .ok_or(ActionError::NotFound)?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(stored)
}
