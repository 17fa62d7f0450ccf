//! What an officer does from the desk beyond status and notes: add a party that routing
//! missed, escalate to the parent committee, send a party a test notification. Each runs
//! in one write transaction on an incident of the officer's scope.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::{
    domain::{
        Actor, FieldError, TimelineEvent,
        routing::PartyKind,
        webhook::{EventData, NotificationTestData, WebhookEvent},
    },
    storage::{
        Database, Scope, deliveries,
        events::{self, NewEvent},
        incidents::{self, IncidentKey},
        tickets::{self, TicketRow},
    },
    usecases::incident::{ActionError, Notify},
    usecases::ticket::{Opening, OpeningReason, open_ticket},
    usecases::{outbox, payload},
};

fn invalid(field: &str, rule: &'static str, message: &str) -> ActionError {
    ActionError::Invalid(vec![FieldError::new(field, rule, message)])
}

/// Opens a ticket for a party that routing did not choose.
pub async fn add_party(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    key: &IncidentKey,
    party_id: &str,
    actor: Actor,
) -> Result<TicketRow, ActionError> {
    let Some(party) = notify.dir.party(party_id) else {
        return Err(invalid("party", "unknown_party", "is not a party"));
    };
    if !party.is_enabled() {
        return Err(invalid(
            "party",
            "disabled_party",
            "is disabled and receives nothing new",
        ));
    }
    let (tx, incident) = super::incident::locked(db, scope, key).await?;
    let existing = tickets::for_incident(&*tx, incident.id).await?;
    if existing.iter().any(|t| t.party_id == party_id) {
        return Err(invalid("party", "already_notified", "already has a ticket"));
    }
    let now = Utc::now();
    let opened = open_ticket(
        &*tx,
        notify.settings,
        &notify.dir,
        &incident,
        Opening {
            party_id,
            kind: party.kind,
            reason: OpeningReason::Added {
                by: actor.name.clone(),
            },
            actor,
        },
        now,
    )
    .await?;
    incidents::touch(&*tx, incident.id, now).await?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(opened)
}

/// Hands the incident to the parent of its committee, which gets a ticket of its own.
pub async fn escalate(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    key: &IncidentKey,
    actor: Actor,
) -> Result<TicketRow, ActionError> {
    let (tx, incident) = super::incident::locked(db, scope, key).await?;
    let Some(parent) = notify
        .dir
        .enabled_parent(&incident.committee_id)
        .map(|c| c.id.clone())
    else {
        return Err(invalid(
            "escalate",
            "no_parent",
            "the committee has no enabled parent",
        ));
    };
    let existing = tickets::for_incident(&*tx, incident.id).await?;
    if existing.iter().any(|t| t.party_id == parent) {
        return Err(invalid(
            "escalate",
            "already_notified",
            "the parent committee already has a ticket",
        ));
    }
    let now = Utc::now();
    let opened = open_ticket(
        &*tx,
        notify.settings,
        &notify.dir,
        &incident,
        Opening {
            party_id: &parent,
            kind: PartyKind::Committee,
            reason: OpeningReason::Escalated {
                from: incident.committee_id.clone(),
            },
            actor: actor.clone(),
        },
        now,
    )
    .await?;
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(opened.id),
            actor,
            event_type: TimelineEvent::TicketEscalated,
            data: json!({ "from": incident.committee_id, "to": parent, "ticket": opened.id }),
            at: now,
        }],
    )
    .await?;
    incidents::touch(&*tx, incident.id, now).await?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(opened)
}

/// Sends a party a test notification through every channel of its ticket, to check that
/// its addresses and endpoints work. The ticket itself does not change.
pub async fn send_test(
    db: &Database,
    notify: Notify<'_>,
    scope: &Scope,
    ticket_id: Uuid,
    actor: Actor,
) -> Result<usize, ActionError> {
    let tx = db.begin_write().await?;
    let ticket = tickets::find_scoped(&*tx, scope, ticket_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let incident = incidents::find(&*tx, scope, &IncidentKey::Id(ticket.incident_id))
        .await?
        .ok_or(ActionError::NotFound)?;
    let now = Utc::now();
    let event = WebhookEvent::new(
        now,
        EventData::NotificationTest(NotificationTestData {
            incident: payload::incident_ref(&incident),
            sent_by: actor.name.clone(),
            ticket: payload::ticket(&ticket),
        }),
    );
    let rows = outbox::rows_for(&notify.dir, &ticket, &event, outbox::Channels::All, now);
    let sent = rows.len();
    if sent > 0 {
        deliveries::insert_many(&*tx, rows).await?;
    }
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(ticket.id),
            actor,
            event_type: TimelineEvent::TicketTestSent,
            data: json!({ "party": ticket.party_id, "deliveries": sent }),
            at: now,
        }],
    )
    .await?;
    tx.commit().await?;
    notify.outbox.wake();
    Ok(sent)
}
