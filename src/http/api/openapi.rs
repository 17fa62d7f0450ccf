//! The OpenAPI 3.1 document, generated from the handlers and types.

use crate::domain::Named;
use actix_web::HttpResponse;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use super::{correspondence, directory, incidents, register, tickets, views};
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
        correspondence::inbound_email,
        correspondence::list_messages,
        correspondence::post_message,
        correspondence::list_unmatched,
        correspondence::member_messages,
        correspondence::write_member,
        correspondence::attach_mail,
        correspondence::discard_mail,
        directory::list_parties,
        directory::get_party,
        directory::list_endpoints,
        directory::create_endpoint,
        directory::get_endpoint,
        directory::update_endpoint,
        directory::delete_endpoint,
        directory::rotate_secret,
        directory::disable_endpoint,
        directory::enable_endpoint,
        directory::test_endpoint,
        directory::endpoint_activity,
        directory::routing_preview,
        directory::list_changes,
        register::list_pages,
        register::get_page,
        register::request_members,
        crate::http::ops::health::healthz,
        crate::http::ops::health::readyz,
        crate::http::ops::metrics::metrics,
    ),
    components(
    responses(
        answers::BadRequest, answers::Unauthorized, answers::Forbidden, answers::NotFound,
        answers::Conflict, answers::TooLarge, answers::NotJson, answers::Invalid, answers::Busy,
        answers::BodyTimeout, answers::UnsupportedMediaType, answers::Unavailable,
    ),
    schemas(
        Problem, ProblemField,
        incidents::CreateIncident, crate::domain::new_incident::ReporterDraft,
        crate::domain::new_incident::PageDraft, crate::domain::new_incident::ContainmentDraft,
        incidents::ChangeStatus, incidents::AddNote,
        views::IncidentCreated, views::IncidentSummary, views::IncidentPage, views::IncidentDetail,
        views::ReporterView, views::PageView, views::ContainmentView, views::TicketView,
        views::DeliveryView, views::EventView, views::ActorView, views::AttemptView,
        views::DeclarationRef, crate::domain::register::RegisterFlag,
        tickets::TicketAnswerInput, tickets::Redelivered,
        correspondence::MessageInput, correspondence::ThreadView,
        correspondence::MemberThreadView, correspondence::UnmatchedView, correspondence::UnmatchedPage, correspondence::AttachInput,
        crate::usecases::correspondence::Received,
        crate::domain::webhook::WebhookMessage, crate::domain::correspondence::Waiting,
        crate::domain::correspondence::Author, crate::domain::correspondence::Direction,
        crate::domain::correspondence::MessageChannel, crate::domain::correspondence::MailKind,
        crate::domain::correspondence::InboundStatus, crate::domain::correspondence::MatchRule,
        crate::domain::correspondence::UnmatchedReason, crate::domain::correspondence::InboundVia,
        directory::NamesView, directory::ContactView, directory::DisabledView, directory::PartyView, directory::PartyPage,
        directory::EndpointView, directory::EndpointList, directory::EndpointWithSecret,
        directory::CreateEndpoint, directory::UpdateEndpoint, directory::RotateSecret,
        directory::RotatedSecretView, directory::DisableEndpoint, directory::EndpointTestView,
        directory::EndpointActivityView, directory::RoutedParty, directory::RoutingPreview,
        directory::DirectoryChangeView, directory::DirectoryChangePage,
        register::DeclarationView, register::RegisterPageView, register::RegisterPageList,
        register::PageVersionView, register::OtherDeclarationView, register::RegisterPageDetail,
        register::AskedMemberView, register::AskedMemberList,
        crate::domain::register::PageStatus, crate::domain::register::PageChange,
        crate::domain::register::AnswerState, crate::domain::register::AdminRole,
        crate::domain::register::PageAdmin, crate::domain::register::Membership,
        crate::domain::routing::PartyKind, crate::domain::Locale,
        crate::domain::directory::ChangeSubject, crate::domain::directory::ChangeAction,
        crate::domain::IncidentKind, crate::domain::Severity, crate::domain::IncidentStatus,
        crate::domain::ContainmentState, crate::domain::ContainmentAction, crate::domain::Platform,
        crate::domain::AccountType, crate::domain::RejectReason,
        crate::http::ops::health::Readiness,
        WebhookEvent,
    )),
    modifiers(&BearerAuth, &WebhookEvents, &EveryStatus, &Links),
    tags((name = "incidents", description = "Incident reports and their lifecycle"), (name = "tickets", description = "One party's ticket: deliveries, attempts and its answer"), (name = "correspondence", description = "Mail that comes in, and the conversation on each ticket"), (name = "directory", description = "Parties, their webhook endpoints (created, rotated, tested, watched) and the routing preview"), (name = "register", description = "The page register: the pages members declared, with every version, and who answered a committee's declaration request"), (name = "operations", description = "Health checks and metrics"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An API key created with `incident-desk api-key create`. Scopes: incidents:write, incidents:read, tickets:write, directory:read, directory:write, register:read, mail:inbound."
                .to_owned(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
        let mut metrics = Http::new(HttpAuthScheme::Bearer);
        metrics.description =
            Some("The token of `metrics.bearer_token`, when one is set.".to_owned());
        components.add_security_scheme("metrics_token", SecurityScheme::Http(metrics));
    }
}

/// Lists, on every operation, each status its shape can give, from the extractors every
/// handler shares: a JSON body (400 malformed, 408 too slow, 413 too large, 415 not JSON,
/// 422 invalid), a query (400 unreadable, 422 out of range), the API key (401, 403, and
/// 503 when the database does not answer in time) and a path id (404). Each handler lists
/// the statuses of its own rules (409, 201...).
struct EveryStatus;

impl Modify for EveryStatus {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, path::ParameterIn};
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let keyed = operation.security.as_ref().is_some_and(|all| {
                    serde_json::to_value(all)
                        .map(|v| v.to_string().contains("\"api_key\""))
                        .unwrap_or(false)
                });
                let queried = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == ParameterIn::Query);
                let body = operation.request_body.is_some();
                let mut wanted: Vec<(&str, &str)> = Vec::new();
                if body || queried {
                    wanted.extend([("400", "BadRequest"), ("422", "Invalid")]);
                }
                if body {
                    wanted.extend([
                        ("408", "BodyTimeout"),
                        ("413", "TooLarge"),
                        ("415", "NotJson"),
                    ]);
                }
                if keyed {
                    // The key is looked up in the database, which may not answer in time.
                    wanted.extend([
                        ("401", "Unauthorized"),
                        ("403", "Forbidden"),
                        ("503", "Unavailable"),
                    ]);
                }
                if path.contains('{') {
                    wanted.push(("404", "NotFound"));
                }
                for (status, answer) in wanted {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::Ref(utoipa::openapi::Ref::from_response_name(answer))
                        });
                }
            }
        }
    }
}

/// OpenAPI links from a filed incident (and a listed one) to the operations on it and on
/// its tickets, so a client, or a stateful test, can follow them.
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, link::Link};
        let on_incident = [
            ("GetIncident", "get_incident"),
            ("ChangeContainment", "change_containment"),
            ("ChangeStatus", "change_status"),
            ("AddNote", "add_note"),
        ];
        let on_ticket = [
            ("GetTicket", "get_ticket"),
            ("AcknowledgeTicket", "acknowledge"),
            ("ResolveTicket", "resolve"),
            ("RejectTicket", "reject"),
            ("RedeliverTicket", "redeliver"),
        ];
        let sources = [
            (
                "/api/v1/incidents",
                "post",
                "201",
                "$response.body#/id",
                "$response.body#/tickets/0/id",
            ),
            (
                "/api/v1/incidents",
                "get",
                "200",
                "$response.body#/items/0/id",
                "",
            ),
            (
                "/api/v1/incidents/{id}",
                "get",
                "200",
                "",
                "$response.body#/tickets/0/id",
            ),
        ];
        for (path, method, status, incident_id, ticket_id) in sources {
            let Some(item) = openapi.paths.paths.get_mut(path) else {
                continue;
            };
            let operation = match method {
                "post" => item.post.as_mut(),
                _ => item.get.as_mut(),
            };
            let Some(RefOr::T(response)) =
                operation.and_then(|o| o.responses.responses.get_mut(status))
            else {
                continue;
            };
            let targets = on_incident
                .iter()
                .map(|t| (t, incident_id))
                .chain(on_ticket.iter().map(|t| (t, ticket_id)))
                .filter(|(_, id)| !id.is_empty());
            for ((name, operation_id), id) in targets {
                let link = Link::builder()
                    .operation_id(*operation_id)
                    .parameter("id", id)
                    .build();
                response.links.insert((*name).to_owned(), RefOr::T(link));
            }
        }
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

/// The served document: utoipa 5 writes a link's fields in snake case (`operation_id`),
/// so they are renamed to the specification's `operationId`, `operationRef` and
/// `requestBody` here; the duplicate example names this year's first incident.
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let operations = document
        .get_mut("paths")
        .and_then(|p| p.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let responses = operation
            .get_mut("responses")
            .and_then(|r| r.as_object_mut())
            .into_iter()
            .flat_map(|r| r.values_mut());
        for response in responses {
            let links = response
                .get_mut("links")
                .and_then(|l| l.as_object_mut())
                .into_iter()
                .flat_map(|l| l.values_mut())
                .filter_map(|link| link.as_object_mut());
            for link in links {
                for (from, to) in [
                    ("operation_id", "operationId"),
                    ("operation_ref", "operationRef"),
                    ("request_body", "requestBody"),
                ] {
                    if let Some(value) = link.remove(from) {
                        link.insert(to.to_owned(), value);
                    }
                }
            }
        }
    }
    // The example of a duplicate names the first incident of the current year, which
    // exists once the service has filed one (the contract check files it first).
    let first = format!("INC-{}-000001", chrono::Datelike::year(&chrono::Utc::now()));
    if let Some(example) =
        document.pointer_mut("/components/schemas/ChangeStatus/example/duplicate_of")
    {
        *example = serde_json::Value::String(first);
    }
    document
}

pub async fn serve() -> HttpResponse {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    HttpResponse::Ok().json(DOCUMENT.get_or_init(document))
}
