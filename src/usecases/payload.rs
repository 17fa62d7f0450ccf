//! Webhook payloads built from stored rows, in the shapes of `domain::webhook`; serialised
//! once at enqueue time and sent byte for byte on every attempt.

pub use crate::domain::webhook::rfc3339;
use crate::{
    config::Settings,
    domain::{
        routing::PartyKind,
        webhook::{
            WebhookContainment, WebhookIncident, WebhookIncidentRef, WebhookPage, WebhookReporter,
            WebhookTicket,
        },
    },
    storage::{DbErr, incidents::IncidentRow, tickets::TicketRow},
};

/// What a party of `kind` is told about an incident; who gets the reporter's and the
/// account's contacts is set in `[notifications]`.
pub fn incident(
    incident: &IncidentRow,
    settings: &Settings,
    kind: PartyKind,
) -> Result<WebhookIncident, DbErr> {
    let shown = &settings.notifications;
    let reporter_contacts = shown.reporter_contacts_for.contains(&kind);
    let account = shown.account_contacts_for.contains(&kind);
    let actions = serde_json::from_value(incident.containment_actions.clone())
        .map_err(|e| DbErr::Custom(format!("stored containment actions are not known: {e}")))?;
    Ok(WebhookIncident {
        committee: incident.committee_id.clone(),
        containment: WebhookContainment {
            actions,
            at: incident.contained_at,
            state: incident.containment,
        },
        description: incident.description.clone(),
        detected_at: incident.detected_at,
        evidence: None,
        id: incident.id,
        kind: incident.kind,
        page: WebhookPage {
            account_type: incident.page_account_type,
            created_on: incident.page_created_on.clone(),
            display_name: incident.page_display_name.clone(),
            handle: incident.page_handle.clone(),
            linked_email: incident.page_linked_email.clone().filter(|_| account),
            linked_phone: incident.page_linked_phone.clone().filter(|_| account),
            platform: incident.page_platform,
            purpose: incident.page_purpose.clone(),
            url: incident.page_url.clone(),
        },
        reference: incident.reference.clone(),
        reported_at: incident.created_at,
        reporter: WebhookReporter {
            email: reporter_contacts.then(|| incident.reporter_email.clone()),
            name: incident.reporter_name.clone(),
            phone: reporter_contacts.then(|| incident.reporter_phone.clone()),
        },
        severity: incident.severity,
        status: incident.status,
        url: format!(
            "{}/api/v1/incidents/{}",
            settings.public_base_url.trim_end_matches('/'),
            incident.id
        ),
    })
}

pub fn ticket(ticket: &TicketRow) -> WebhookTicket {
    WebhookTicket {
        deadline_at: ticket.deadline_at,
        external_ref: ticket.external_ref.clone(),
        id: ticket.id,
        party: ticket.party_id.clone(),
        role: ticket.role,
        status: ticket.status,
    }
}

pub fn incident_ref(incident: &IncidentRow) -> WebhookIncidentRef {
    WebhookIncidentRef {
        id: incident.id,
        reference: incident.reference.clone(),
    }
}

#[cfg(test)]
mod tests;
