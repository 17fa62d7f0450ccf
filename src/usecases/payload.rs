//! Webhook payloads built from stored rows, in the shapes of `domain::webhook`; serialised
//! once at enqueue time and sent byte for byte on every attempt.

pub use crate::domain::webhook::rfc3339;
use crate::{
    config::Settings,
    domain::{
        register::DeclaredVersion,
        routing::PartyKind,
        webhook::{
            WebhookContainment, WebhookDeclaration, WebhookIncident, WebhookIncidentRef,
            WebhookPage, WebhookPageAdmin, WebhookReporter, WebhookTicket,
        },
    },
    storage::{DbErr, incidents::IncidentRow, tickets::TicketRow},
};

/// The declaration an incident's report used, to pass to [`incident`].
pub use super::register::report::of_incident as declared;

/// What a party of `kind` is told about an incident, with the declaration its report used
/// (`declared`, from [`declared`]); who gets the reporter's and the account's contacts is
/// set in `[notifications]`, and the declared contacts follow the account's.
pub fn incident(
    incident: &IncidentRow,
    declared: Option<&DeclaredVersion>,
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
        declaration: declared.map(|d| declaration(d, account)),
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

fn declaration(declared: &DeclaredVersion, contacts: bool) -> WebhookDeclaration {
    let d = &declared.declaration;
    WebhookDeclaration {
        admins: d
            .admins
            .iter()
            .map(|a| WebhookPageAdmin {
                account: a.account.clone(),
                role: a.role,
            })
            .collect(),
        created_on: d.created_on.map(|c| c.to_string()),
        declared_at: declared.at,
        first_declared_at: declared.first_declared_at,
        linked_email: d.linked_email.clone().filter(|_| contacts),
        linked_phone: d.linked_phone.clone().filter(|_| contacts),
        page_id: declared.page_id,
        status: d.status,
        version: declared.version,
    }
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
