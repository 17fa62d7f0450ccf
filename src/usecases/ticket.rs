//! What parties and officers do to a ticket: acknowledge, resolve, reject, re-send.
//! Each change is a timeline event and is sent to the committee's webhooks.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        Actor, BoundedText, FieldError, StateMachine, TicketStatus, TimelineEvent,
        correspondence::{MemberUpdate, Waiting},
        directory::Directory,
        routing::PartyKind,
        webhook::{
            EventData, IncidentReportedData, TicketChangedData, TicketEscalatedData, WebhookEvent,
        },
    },
    storage::{
        Database, Scope, deliveries,
        events::{self, NewEvent},
        incidents::{self, IncidentKey, IncidentRow},
        tickets::{self, TicketRow},
    },
    telemetry::metrics::Metrics,
    usecases::incident::ActionError,
    usecases::{
        outbox::{self, Outbox},
        payload,
    },
};

/// A party's answer to its ticket.
#[derive(Debug, Clone)]
pub struct TicketAnswer {
    pub status: TicketStatus,
    /// The party's own case number.
    pub external_ref: Option<BoundedText>,
    pub note: Option<BoundedText>,
}

/// Records a party's answer. Answering the same way twice changes nothing.
pub async fn answer(
    db: &Database,
    notify: crate::usecases::incident::Notify<'_>,
    metrics: &Metrics,
    ticket_id: uuid::Uuid,
    answer: TicketAnswer,
    actor: Actor,
) -> Result<TicketRow, ActionError> {
    let Some(kind) = TimelineEvent::answered(answer.status) else {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "status",
            "not_an_answer",
            "a party acknowledges, resolves or rejects its ticket",
        )]));
    };
    let tx = db.begin_write().await?;
    let ticket = tickets::lock(&*tx, ticket_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let current = ticket.status;
    if current == answer.status {
        return Ok(ticket);
    }
    current.transition(answer.status)?;
    let now = Utc::now();
    tickets::set_status(&*tx, ticket.id, answer.status, now).await?;
    if let Some(reference) = &answer.external_ref {
        tickets::set_external_ref(&*tx, ticket.id, reference.as_str()).await?;
    }
    let updated = tickets::find(&*tx, ticket.id)
        .await?
        .ok_or(ActionError::NotFound)?;
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: ticket.incident_id,
            ticket_id: Some(ticket.id),
            actor,
            event_type: kind,
            data: json!({
                "party": ticket.party_id,
                "external_ref": updated.external_ref,
                "note": answer.note.as_ref().map(BoundedText::as_str),
            }),
            at: now,
        }],
    )
    .await?;
    let committee = tickets::committee_of(&*tx, ticket.incident_id).await?;
    let change = TicketChangedData {
        incident_id: ticket.incident_id,
        ticket: payload::ticket(&updated),
    };
    if let (Some(committee), Some(data)) = (committee, EventData::answered(answer.status, change)) {
        outbox::queue_webhooks(&*tx, &notify.dir, [&committee], data, now).await?;
    }
    let update = match answer.status {
        TicketStatus::Acknowledged => Some(MemberUpdate::PartyAcknowledged),
        TicketStatus::Resolved => Some(MemberUpdate::PartyResolved),
        _ => None,
    };
    if let Some(update) = update
        && let Some(incident) =
            incidents::find(&*tx, &Scope::All, &IncidentKey::Id(ticket.incident_id)).await?
    {
        let party = notify.dir.party(&ticket.party_id);
        crate::usecases::correspondence::tell_member(
            &*tx,
            notify.settings,
            &incident,
            update,
            json!({
                "party": ticket.party_id,
                "kind": ticket.role,
                "name_vi": party.map(|p| p.name.get(crate::domain::Locale::Vi).to_owned()),
                "name_en": party.map(|p| p.name.get(crate::domain::Locale::En).to_owned()),
            }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    notify.outbox.wake();
    if let (TicketStatus::Acknowledged, Some(at)) = (answer.status, updated.acknowledged_at) {
        let took = (at - updated.created_at).to_std().unwrap_or_default();
        metrics.acknowledged(updated.role, took);
    }
    Ok(updated)
}

/// Puts a ticket's failed deliveries back in the queue; the ticket returns to pending.
pub async fn redeliver(
    db: &Database,
    outbox: &Outbox,
    ticket_id: uuid::Uuid,
    actor: Actor,
) -> Result<u64, ActionError> {
    let tx = db.begin_write().await?;
    let ticket = tickets::lock(&*tx, ticket_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let incident = incidents::find(&*tx, &Scope::All, &IncidentKey::Id(ticket.incident_id))
        .await?
        .ok_or(ActionError::NotFound)?;
    if incident.purged_at.is_some() {
        // Its messages were emptied with the rest of its personal data.
        return Err(ActionError::Invalid(vec![FieldError::new(
            "ticket",
            "purged",
            "the incident's personal data was purged; there is nothing left to re-send",
        )]));
    }
    let now = Utc::now();
    let requeued = deliveries::requeue_failed(&*tx, ticket.id, now).await?;
    if requeued > 0 {
        tickets::transition_if(
            &*tx,
            ticket.id,
            &[TicketStatus::Failed],
            TicketStatus::Pending,
            now,
        )
        .await?;
        events::append(
            &*tx,
            vec![NewEvent {
                incident_id: ticket.incident_id,
                ticket_id: Some(ticket.id),
                actor,
                event_type: TimelineEvent::TicketRedeliveryRequested,
                data: json!({ "party": ticket.party_id, "deliveries": requeued }),
                at: now,
            }],
        )
        .await?;
    }
    tx.commit().await?;
    outbox.wake();
    Ok(requeued)
}

/// A ticket opened after filing, for a party of `kind`.
pub struct Opening<'a> {
    pub party_id: &'a str,
    pub kind: PartyKind,
    pub reason: OpeningReason,
    pub actor: Actor,
}

/// Why a ticket is opened after filing, which decides the event the party is sent.
pub enum OpeningReason {
    /// An officer added a party that routing missed: `incident.reported` with `added_by`.
    Added { by: Option<String> },
    /// The committee's parent takes the incident over: `ticket.escalated`.
    Escalated { from: String },
}

/// A new pending ticket of `party_id` on an incident, due after the party's acknowledgement
/// deadline (a day when the party sets none).
pub fn pending(
    dir: &Directory,
    incident_id: Uuid,
    party_id: &str,
    kind: PartyKind,
    now: DateTime<Utc>,
) -> TicketRow {
    let deadline = dir
        .party(party_id)
        .and_then(|p| TimeDelta::from_std(p.ack_deadline).ok())
        .unwrap_or(TimeDelta::days(1));
    TicketRow {
        id: Uuid::now_v7(),
        incident_id,
        party_id: party_id.to_owned(),
        role: kind,
        status: TicketStatus::Pending,
        external_ref: None,
        deadline_at: now + deadline,
        acknowledged_at: None,
        resolved_at: None,
        reminded_at: None,
        escalated_at: None,
        created_at: now,
        updated_at: now,
        waiting: Waiting::Nobody,
        unread: 0,
        paused_at: None,
        paused_seconds: 0,
    }
}

/// Opens a ticket for a party on a filed incident: the ticket, one delivery per channel
/// and the timeline entry, in the caller's transaction.
pub async fn open_ticket(
    conn: &impl crate::storage::Conn,
    settings: &Settings,
    dir: &Directory,
    incident: &IncidentRow,
    opening: Opening<'_>,
    now: DateTime<Utc>,
) -> Result<TicketRow, crate::storage::DbErr> {
    let opened = pending(dir, incident.id, opening.party_id, opening.kind, now);
    tickets::insert_many(conn, vec![opened.clone().into()]).await?;
    let declared = payload::declared(conn, incident).await?;
    let incident_view = payload::incident(incident, declared.as_ref(), settings, opening.kind)?;
    let ticket_view = payload::ticket(&opened);
    let mut entry = json!({
        "party": opened.party_id,
        "role": opened.role,
        "deadline_at": payload::rfc3339(opened.deadline_at),
    });
    let data = match opening.reason {
        OpeningReason::Added { by } => {
            entry["added_by"] = json!(by);
            EventData::IncidentReported(IncidentReportedData {
                added_by: by,
                incident: incident_view,
                ticket: ticket_view,
            })
        }
        OpeningReason::Escalated { from } => {
            entry["escalated_from"] = json!(from);
            EventData::TicketEscalated(TicketEscalatedData {
                escalated_from: from,
                incident: incident_view,
                ticket: ticket_view,
            })
        }
    };
    let event = WebhookEvent::new(now, data);
    let rows = outbox::rows_for(dir, &opened, &event, outbox::Channels::All, now);
    if !rows.is_empty() {
        deliveries::insert_many(conn, rows).await?;
    }
    events::append(
        conn,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(opened.id),
            actor: opening.actor,
            event_type: TimelineEvent::TicketOpened,
            data: entry,
            at: now,
        }],
    )
    .await?;
    Ok(opened)
}
