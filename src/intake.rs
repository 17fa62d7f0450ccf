//! Filing an incident: validate, route, then write the incident, its tickets, one delivery
//! per ticket and channel, and the timeline in ONE transaction.

use chrono::{Datelike, TimeDelta, Utc};
use sea_orm::ActiveValue::Set;
use serde_json::json;
use uuid::Uuid;

use crate::{
    config::Settings,
    domain::{
        Actor, IncidentStatus, TicketStatus, new_incident::NewIncident, page_key,
        routing::PartyKind,
    },
    notify::payload,
    secrets,
    storage::{
        Database, deliveries,
        entities::{delivery, incident, ticket},
        events::{self, NewEvent},
        idempotency,
        incidents::{self, IncidentRow},
        tickets::{self, TicketRow},
    },
};

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Web,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Web => "web",
        }
    }
}

/// A filed incident and its secret tracking token (shown once, stored as a digest).
pub struct Filed {
    pub incident: IncidentRow,
    pub tickets: Vec<TicketRow>,
    pub tracking_token: String,
}

/// The idempotency key whose response is stored in the same transaction.
pub struct Receipt<'a> {
    pub principal: &'a str,
    pub key: &'a str,
    pub render: &'a (dyn Fn(&Filed) -> (u16, Vec<u8>) + Sync),
}

pub const EMAIL_CHANNEL: &str = "email";
pub const WEBHOOK_CHANNEL: &str = "webhook";

#[tracing::instrument(skip_all, fields(kind = %new.kind, platform = %new.page.platform))]
pub async fn file_incident(
    db: &Database,
    settings: &Settings,
    new: NewIncident,
    source: Source,
    actor: Actor,
    receipt: Option<Receipt<'_>>,
) -> anyhow::Result<Filed> {
    let now = Utc::now();
    let incident_id = Uuid::now_v7();
    let tracking_token = secrets::random_token(16);
    let routes = settings.routing.route(
        &new.reporter.committee,
        new.kind,
        new.severity,
        new.page.platform,
    );

    let tx = db.begin_write().await?;
    let reference = incidents::next_reference(&*tx, now.year()).await?;
    let actions: Vec<&str> = new.containment.actions.iter().map(|a| a.as_str()).collect();
    let row = incident::Model {
        id: incident_id,
        reference: reference.to_string(),
        kind: new.kind.as_str().to_owned(),
        severity: new.severity.as_str().to_owned(),
        status: IncidentStatus::Open.as_str().to_owned(),
        description: new.description.as_str().to_owned(),
        detected_at: new.detected_at,
        reporter_name: new.reporter.name.as_str().to_owned(),
        reporter_email: new.reporter.email.as_ref().map(|e| e.as_str().to_owned()),
        reporter_phone: new.reporter.phone.as_ref().map(|p| p.as_str().to_owned()),
        committee_id: new.reporter.committee.clone(),
        page_platform: new.page.platform.as_str().to_owned(),
        page_url: new.page.url.as_ref().map(|u| u.as_str().to_owned()),
        page_handle: new.page.handle.as_ref().map(|h| h.as_str().to_owned()),
        page_display_name: new
            .page
            .display_name
            .as_ref()
            .map(|d| d.as_str().to_owned()),
        page_account_type: new.page.account_type.map(|a| a.as_str().to_owned()),
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
        containment: new.containment.state.as_str().to_owned(),
        contained_at: new.containment.at,
        containment_actions: json!(actions),
        duplicate_of: None,
        source: source.as_str().to_owned(),
        tracking_token_hash: Some(secrets::digest(&tracking_token)),
        created_at: now,
        updated_at: now,
    };
    incidents::insert(&*tx, row.clone().into()).await?;

    let mut ticket_rows = Vec::with_capacity(routes.len());
    let mut delivery_rows = Vec::new();
    let mut timeline = vec![NewEvent {
        incident_id,
        ticket_id: None,
        actor,
        event_type: "incident.reported",
        data: json!({
            "reference": row.reference,
            "kind": row.kind,
            "severity": row.severity,
            "containment": row.containment,
            "contained_at": row.contained_at.map(payload::rfc3339),
            "containment_actions": row.containment_actions,
            "containment_note": new.containment.note.as_ref().map(|n| n.as_str()),
        }),
        at: now,
    }];
    for route in &routes {
        let Some(party) = settings.party(&route.party_id) else {
            anyhow::bail!("routing named the unknown party `{}`", route.party_id);
        };
        let deadline =
            TimeDelta::from_std(party.settings.ack_deadline).unwrap_or(TimeDelta::days(1));
        let ticket = ticket::Model {
            id: Uuid::now_v7(),
            incident_id,
            party_id: route.party_id.clone(),
            role: route.kind.as_str().to_owned(),
            status: TicketStatus::Pending.as_str().to_owned(),
            external_ref: None,
            deadline_at: now + deadline,
            acknowledged_at: None,
            resolved_at: None,
            created_at: now,
            updated_at: now,
        };
        let body = payload::event_bytes(
            "incident.reported",
            now,
            json!({
                "incident": payload::incident_view(&row, &settings.public_base_url, route.kind),
                "ticket": payload::ticket_view(&ticket),
            }),
        );
        let contacts = &party.settings.contacts;
        let mut channels: Vec<(&str, String)> = Vec::new();
        if !contacts.emails.is_empty() {
            channels.push((EMAIL_CHANNEL, contacts.emails.join(", ")));
        }
        channels.extend(
            contacts
                .webhooks
                .iter()
                .map(|w| (WEBHOOK_CHANNEL, w.url.clone())),
        );
        for (channel, target) in channels {
            delivery_rows.push(delivery::ActiveModel {
                id: Set(Uuid::now_v7()),
                ticket_id: Set(ticket.id),
                channel: Set(channel.to_owned()),
                target: Set(target),
                status: Set("pending".to_owned()),
                event_type: Set("incident.reported".to_owned()),
                payload: Set(body.clone()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                locked_by: Set(None),
                locked_until: Set(None),
                last_error: Set(None),
                delivered_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
        timeline.push(NewEvent {
            incident_id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: "ticket.opened",
            data: json!({
                "party": ticket.party_id,
                "role": ticket.role,
                "deadline_at": payload::rfc3339(ticket.deadline_at),
            }),
            at: now,
        });
        ticket_rows.push(ticket);
    }
    debug_assert!(routes.iter().any(|r| r.kind == PartyKind::Committee));
    tickets::insert_many(&*tx, ticket_rows.iter().cloned().map(Into::into).collect()).await?;
    deliveries::insert_many(&*tx, delivery_rows).await?;
    events::append(&*tx, timeline).await?;

    let filed = Filed {
        incident: row,
        tickets: ticket_rows,
        tracking_token,
    };
    if let Some(receipt) = receipt {
        let (status, body) = (receipt.render)(&filed);
        idempotency::complete(&*tx, receipt.principal, receipt.key, status, body).await?;
    }
    tx.commit().await?;
    tracing::info!(reference = %filed.incident.reference, tickets = filed.tickets.len(), "incident filed");
    Ok(filed)
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
pub async fn release_idempotency(db: &Database, principal: &str, key: &str) -> anyhow::Result<()> {
    let tx = db.begin_write().await?;
    idempotency::release(&*tx, principal, key).await?;
    tx.commit().await?;
    Ok(())
}
