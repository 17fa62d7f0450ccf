//! Deadlines: when a ticket passes its acknowledgement deadline unanswered, its party
//! gets one reminder; a committee's ticket is also escalated, once, to the parent
//! committee, which gets a ticket of its own. Overdue itself is derived, never stored.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    outbox::{self, Channels, Outbox},
    payload,
};
use crate::{
    config::Settings,
    domain::{Actor, TicketStatus, routing::PartyKind},
    storage::{
        Database, Scope, deliveries,
        entities::ticket,
        events::{self, NewEvent},
        incidents::{self, IncidentKey, IncidentRow},
        tickets::{self, TicketRow},
    },
};

const SWEEP_LIMIT: u64 = 200;

/// Reminds and escalates every overdue ticket; returns how many were handled.
pub async fn sweep(db: &Database, settings: &Settings, outbox: &Outbox) -> anyhow::Result<usize> {
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
        remind(&*tx, settings, &incident, &ticket, now).await?;
        if ticket.role == PartyKind::Committee.as_str() {
            escalate(&*tx, settings, &incident, &ticket, now).await?;
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
    ticket.role.parse().unwrap_or(PartyKind::Committee)
}

async fn remind(
    conn: &impl sea_orm::ConnectionTrait,
    settings: &Settings,
    incident: &IncidentRow,
    ticket: &TicketRow,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let body = payload::event_bytes(
        "ticket.reminder",
        now,
        json!({
            "incident": payload::incident_view(incident, settings, party_kind(ticket)),
            "ticket": payload::ticket_view(ticket),
        }),
    );
    let rows = outbox::rows_for(
        settings,
        ticket,
        "ticket.reminder",
        &body,
        Channels::All,
        now,
    );
    if !rows.is_empty() {
        deliveries::insert_many(conn, rows).await?;
    }
    events::append(
        conn,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: "ticket.reminder_sent",
            data: json!({ "party": ticket.party_id, "deadline_at": payload::rfc3339(ticket.deadline_at) }),
            at: now,
        }],
    )
    .await?;
    Ok(())
}

async fn escalate(
    conn: &impl sea_orm::ConnectionTrait,
    settings: &Settings,
    incident: &IncidentRow,
    ticket: &TicketRow,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(parent) = settings
        .committee(&ticket.party_id)
        .and_then(|c| c.parent.clone())
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
    let Some(parent_settings) = settings.committee(&parent) else {
        return Ok(());
    };
    let deadline = TimeDelta::from_std(parent_settings.ack_deadline).unwrap_or(TimeDelta::days(1));
    let opened = ticket::Model {
        id: Uuid::now_v7(),
        incident_id: incident.id,
        party_id: parent.clone(),
        role: PartyKind::Committee.as_str().to_owned(),
        status: TicketStatus::Pending.as_str().to_owned(),
        external_ref: None,
        deadline_at: now + deadline,
        acknowledged_at: None,
        resolved_at: None,
        reminded_at: None,
        escalated_at: None,
        created_at: now,
        updated_at: now,
    };
    tickets::insert_many(conn, vec![opened.clone().into()]).await?;
    let body = payload::event_bytes(
        "ticket.escalated",
        now,
        json!({
            "incident": payload::incident_view(incident, settings, PartyKind::Committee),
            "ticket": payload::ticket_view(&opened),
            "escalated_from": ticket.party_id,
        }),
    );
    let rows = outbox::rows_for(
        settings,
        &opened,
        "ticket.escalated",
        &body,
        Channels::All,
        now,
    );
    if !rows.is_empty() {
        deliveries::insert_many(conn, rows).await?;
    }
    events::append(
        conn,
        vec![
            NewEvent {
                incident_id: incident.id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: "ticket.escalated",
                data: json!({ "from": ticket.party_id, "to": parent }),
                at: now,
            },
            NewEvent {
                incident_id: incident.id,
                ticket_id: Some(opened.id),
                actor: Actor::system(),
                event_type: "ticket.opened",
                data: json!({
                    "party": parent,
                    "role": opened.role,
                    "deadline_at": payload::rfc3339(opened.deadline_at),
                    "escalated_from": ticket.party_id,
                }),
                at: now,
            },
        ],
    )
    .await?;
    Ok(())
}
