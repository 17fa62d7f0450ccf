//! Deadlines: when a ticket passes its acknowledgement deadline unanswered, its party
//! gets one reminder; a committee's ticket is also escalated, once, to the parent
//! committee, which gets a ticket of its own. Overdue itself is derived, never stored.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    outbox::{self, Channels, Outbox},
    payload,
};
use crate::{
    config::Settings,
    domain::directory::Directory,
    domain::{
        Actor, TimelineEvent,
        routing::PartyKind,
        webhook::{EventData, TicketReminderData, WebhookEvent},
    },
    storage::{
        Database, Scope, deliveries,
        events::{self, NewEvent},
        incidents::{self, IncidentKey, IncidentRow},
        tickets::{self, TicketRow},
    },
};

const SWEEP_LIMIT: u64 = 200;

/// Reminds and escalates every overdue ticket; returns how many were handled.
pub async fn sweep(
    db: &Database,
    settings: &Settings,
    dir: &Directory,
    outbox: &Outbox,
) -> anyhow::Result<usize> {
    let now = Utc::now();
    let overdue = tickets::overdue_unreminded(db.conn(), now, SWEEP_LIMIT).await?;
    let mut handled = 0;
    for ticket in overdue {
        let tx = db.begin_write().await?;
        if !tickets::mark_reminded(&*tx, ticket.id, now).await? {
            continue;
        }
        let Some(incident) =
            incidents::find(&*tx, &Scope::All, &IncidentKey::Id(ticket.incident_id)).await?
        else {
            continue;
        };
        remind(&*tx, settings, dir, &incident, &ticket, now).await?;
        if ticket.role == PartyKind::Committee {
            escalate(&*tx, settings, dir, &incident, &ticket, now).await?;
        }
        tx.commit().await?;
        handled += 1;
    }
    if handled > 0 {
        outbox.wake();
    }
    Ok(handled)
}

fn party_kind(ticket: &TicketRow) -> PartyKind {
    ticket.role
}

async fn remind(
    conn: &impl crate::storage::Conn,
    settings: &Settings,
    dir: &Directory,
    incident: &IncidentRow,
    ticket: &TicketRow,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let declared = payload::declared(conn, incident).await?;
    let event = WebhookEvent::new(
        now,
        EventData::TicketReminder(TicketReminderData {
            incident: payload::incident(incident, declared.as_ref(), settings, party_kind(ticket))?,
            ticket: payload::ticket(ticket),
        }),
    );
    let rows = outbox::rows_for(dir, ticket, &event, Channels::All, now);
    if !rows.is_empty() {
        deliveries::insert_many(conn, rows).await?;
    }
    events::append(
        conn,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: TimelineEvent::TicketReminderSent,
            data: json!({ "party": ticket.party_id, "deadline_at": payload::rfc3339(ticket.deadline_at) }),
            at: now,
        }],
    )
    .await?;
    Ok(())
}

async fn escalate(
    conn: &impl crate::storage::Conn,
    settings: &Settings,
    dir: &Directory,
    incident: &IncidentRow,
    ticket: &TicketRow,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(parent) = dir
        .committee(&ticket.party_id)
        .and_then(|_| dir.enabled_parent(&ticket.party_id))
        .map(|c| c.id.clone())
    else {
        return Ok(());
    };
    if !tickets::mark_escalated(conn, ticket.id, now).await? {
        return Ok(());
    }
    let existing = tickets::for_incident(conn, incident.id).await?;
    if existing.iter().any(|t| t.party_id == parent) {
        return Ok(());
    }
    let opened = crate::usecases::ticket::open_ticket(
        conn,
        settings,
        dir,
        incident,
        crate::usecases::ticket::Opening {
            party_id: &parent,
            kind: PartyKind::Committee,
            reason: crate::usecases::ticket::OpeningReason::Escalated {
                from: ticket.party_id.clone(),
            },
            actor: Actor::system(),
        },
        now,
    )
    .await?;
    events::append(
        conn,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: TimelineEvent::TicketEscalated,
            data: json!({ "from": ticket.party_id, "to": parent, "ticket": opened.id }),
            at: now,
        }],
    )
    .await?;
    Ok(())
}
