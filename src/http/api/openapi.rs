//! The OpenAPI 3.1 document, generated from the handlers and types.

use crate::domain::Named;
use actix_web::HttpResponse;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use super::{incidents, tickets, views};
use crate::{
    domain::webhook::{EventType, WebhookEvent},
    http::error::{Problem, ProblemField, answers},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "incident-desk API",
        description = "File account-compromise incidents, follow each party's ticket, and record containment and status.",
        version = "1"
    ),
    paths(
        incidents::create_incident,
        incidents::list_incidents,
        incidents::get_incident,
        incidents::change_containment,
        incidents::change_status,
        incidents::add_note,
        tickets::get_ticket,
        tickets::acknowledge,
        tickets::resolve,
        tickets::reject,
        tickets::redeliver,
        crate::http::ops::health::healthz,
        crate::http::ops::health::readyz,
        crate::http::ops::metrics::metrics,
    ),
    components(
    responses(
        answers::BadRequest, answers::Unauthorized, answers::Forbidden, answers::NotFound,
        answers::Conflict, answers::TooLarge, answers::NotJson, answers::Invalid,
    ),
    schemas(
        Problem, ProblemField,
        incidents::CreateIncident, crate::domain::new_incident::ReporterDraft,
        crate::domain::new_incident::PageDraft, crate::domain::new_incident::ContainmentDraft,
        incidents::ChangeStatus, incidents::AddNote,
        views::IncidentCreated, views::IncidentSummary, views::IncidentPage, views::IncidentDetail,
        views::ReporterView, views::PageView, views::ContainmentView, views::TicketView,
        views::DeliveryView, views::EventView, views::ActorView, views::AttemptView,
        tickets::TicketAnswerInput, tickets::Redelivered,
        crate::domain::IncidentKind, crate::domain::Severity, crate::domain::IncidentStatus,
        crate::domain::ContainmentState, crate::domain::ContainmentAction, crate::domain::Platform,
        crate::domain::AccountType, crate::domain::RejectReason,
        crate::http::ops::health::Readiness,
        WebhookEvent,
    )),
    modifiers(&BearerAuth, &WebhookEvents),
    tags((name = "incidents", description = "Incident reports and their lifecycle"), (name = "tickets", description = "One party's ticket: deliveries, attempts and its answer"), (name = "operations", description = "Health checks and metrics"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An API key created with `incident-desk api-key create`. Scopes: incidents:write, incidents:read, tickets:write."
                .to_owned(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
        let mut metrics = Http::new(HttpAuthScheme::Bearer);
        metrics.description =
            Some("The token of `metrics.bearer_token`, when one is set.".to_owned());
        components.add_security_scheme("metrics_token", SecurityScheme::Http(metrics));
    }
}

/// Lists the webhook events in the description, since the document has no `webhooks`
/// section to show them in.
struct WebhookEvents;

impl Modify for WebhookEvents {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let rows: Vec<String> = EventType::ALL
            .iter()
            .map(|t| format!("| `{t}` | `{}` | {} |", t.schema_name(), t.meaning()))
            .collect();
        let webhooks = format!(
            "\n\n## Webhooks\n\n\
             Each party's endpoints receive events signed as Standard Webhooks \
             (`webhook-id`, `webhook-timestamp`, `webhook-signature`), with the body \
             `{{type, timestamp, data}}`. The schema of each event type is in the \
             components under the name below; `WebhookEvent` is any of them, told apart \
             by `type`.\n\n\
             | type | schema | sent when |\n|---|---|---|\n{}",
            rows.join("\n")
        );
        let description = openapi.info.description.get_or_insert_with(String::new);
        description.push_str(&webhooks);
    }
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
