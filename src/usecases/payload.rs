//! Event payloads in the Standard Webhooks shape `{type, timestamp, data}`, serialised once
//! at enqueue time and sent byte for byte on every attempt.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::{
    config::Settings,
    domain::routing::PartyKind,
    storage::{incidents::IncidentRow, tickets::TicketRow},
};

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What a party of `kind` is told about an incident; who gets the reporter's and the
/// account's contacts is set in `[notifications]`.
pub fn incident_view(incident: &IncidentRow, settings: &Settings, kind: PartyKind) -> Value {
    let public_base_url = &settings.public_base_url;
    let shown = &settings.notifications;
    let reporter = if shown.reporter_contacts_for.contains(&kind) {
        json!({
            "name": incident.reporter_name,
            "email": incident.reporter_email,
            "phone": incident.reporter_phone,
        })
    } else {
        json!({ "name": incident.reporter_name })
    };
    let account = shown.account_contacts_for.contains(&kind);
    json!({
        "id": incident.id,
        "reference": incident.reference,
        "url": format!("{}/api/v1/incidents/{}", public_base_url.trim_end_matches('/'), incident.id),
        "kind": incident.kind,
        "severity": incident.severity,
        "status": incident.status,
        "description": incident.description,
        "detected_at": rfc3339(incident.detected_at),
        "committee": incident.committee_id,
        "reporter": reporter,
        "page": {
            "platform": incident.page_platform,
            "url": incident.page_url,
            "handle": incident.page_handle,
            "display_name": incident.page_display_name,
            "account_type": incident.page_account_type,
            "linked_email": incident.page_linked_email.as_ref().filter(|_| account),
            "linked_phone": incident.page_linked_phone.as_ref().filter(|_| account),
            "created_on": incident.page_created_on,
            "purpose": incident.page_purpose,
        },
        "containment": {
            "state": incident.containment,
            "at": incident.contained_at.map(rfc3339),
            "actions": incident.containment_actions,
        },
        "reported_at": rfc3339(incident.created_at),
    })
}

pub fn ticket_view(ticket: &TicketRow) -> Value {
    json!({
        "id": ticket.id,
        "party": ticket.party_id,
        "role": ticket.role,
        "status": ticket.status,
        "deadline_at": rfc3339(ticket.deadline_at),
        "external_ref": ticket.external_ref,
    })
}

/// The bytes of one event.
pub fn event_bytes(event_type: &str, at: DateTime<Utc>, data: Value) -> Vec<u8> {
    let body = json!({ "type": event_type, "timestamp": rfc3339(at), "data": data });
    serde_json::to_vec(&body).unwrap_or_default()
}
