//! `/api/v1/parties`: the directory for integrations, svix/Stripe style. A key sees the
//! parties within its reach: its own party (a party-bound key), its committee's subtree
//! (a committee-bound key), or every party (a key bound to neither); a party outside its
//! reach does not exist for it (404). Reads need `directory:read`, endpoint changes
//! `directory:write`. Secrets are shown once, when created or rotated.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{auth::ApiPrincipal, views::DeliveryView};
use crate::{
    domain::{
        FieldError, IncidentKind, Locale, Named, Platform, Severity,
        access::ApiScope,
        directory::{Directory, DirectoryChange, Endpoint, EndpointDraft, Party},
        routing::PartyKind,
    },
    http::{error::ApiError, extract::json::JsonBody, state::AppState},
    usecases::directory::{self as directory, EndpointChange},
};

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
/// The default overlap of a secret rotation: a day, as svix gives.
const DEFAULT_OVERLAP: u64 = 24 * 3600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(at("/parties").get(list_parties).done())
        .service(at("/parties/{id}").get(get_party).done())
        .service(
            at("/parties/{id}/endpoints")
                .get(list_endpoints)
                .post(create_endpoint)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}")
                .get(get_endpoint)
                .patch(update_endpoint)
                .delete(delete_endpoint)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}/rotate")
                .post(rotate_secret)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}/disable")
                .post(disable_endpoint)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}/enable")
                .post(enable_endpoint)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}/test")
                .post(test_endpoint)
                .done(),
        )
        .service(
            at("/parties/{id}/endpoints/{endpoint}/activity")
                .get(endpoint_activity)
                .done(),
        )
        .service(at("/routing/preview").get(routing_preview).done())
        .service(at("/directory/changes").get(list_changes).done());
}

/// The parties a key may see.
enum Reach {
    All,
    Party(String),
    Subtree(Vec<String>),
}

impl Reach {
    fn of(principal: &ApiPrincipal, dir: &Directory) -> Self {
        match (&principal.party, &principal.committee) {
            (Some(p), _) => Reach::Party(p.clone()),
            (None, Some(c)) => Reach::Subtree(dir.committee_subtree(c)),
            (None, None) => Reach::All,
        }
    }

    fn allows(&self, id: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Party(p) => p == id,
            Reach::Subtree(ids) => ids.iter().any(|c| c == id),
        }
    }
}

/// 422 when a query parameter is longer than the document allows.
fn bounded(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(ApiError::Validation(vec![
            FieldError::new(
                field,
                "too_long",
                format!("must be at most {max} characters"),
            )
            .with_limit(max),
        ]));
    }
    Ok(())
}

/// A party within the key's reach, or 404.
fn party_in_reach<'a>(
    dir: &'a Directory,
    principal: &ApiPrincipal,
    id: &str,
) -> Result<&'a Party, ApiError> {
    dir.party(id)
        .filter(|_| Reach::of(principal, dir).allows(id))
        .ok_or(ApiError::NotFound("party"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamesView {
    #[schema(example = "Ban Quận Ba Đình")]
    pub vi: String,
    #[schema(example = "Ba Dinh District Committee")]
    pub en: String,
}

/// Why and since when a party or an endpoint receives nothing new.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisabledView {
    #[schema(example = "merged into hn-ba-dinh")]
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A party of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    #[schema(example = "hn-ba-dinh")]
    pub id: String,
    #[schema(example = "committee")]
    pub kind: PartyKind,
    /// The parent committee (committees only).
    #[schema(example = "hn")]
    pub parent: Option<String>,
    pub name: NamesView,
    #[schema(example = "vi")]
    pub locale: Locale,
    /// How long the party has to acknowledge a ticket.
    #[schema(example = 7200)]
    pub ack_deadline_seconds: u64,
    #[schema(example = json!(["ba-dinh@hn.example.org"]))]
    pub emails: Vec<String>,
    /// The person members may call or write to about their report, shown on their pages.
    pub contact: Option<ContactView>,
    /// Set when the party receives nothing new.
    pub disabled: Option<DisabledView>,
    /// Committees directly below.
    pub children: usize,
    pub endpoints: usize,
    pub updated_at: DateTime<Utc>,
}

/// A party's named contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    #[schema(example = "Nguyễn Thị Lan")]
    pub name: String,
    #[schema(example = "0912345678")]
    pub phone: Option<String>,
    #[schema(example = "lan@hn.example.org")]
    pub email: Option<String>,
}

fn disabled_view(d: &Option<crate::domain::directory::Disabled>) -> Option<DisabledView> {
    d.as_ref().map(|d| DisabledView {
        reason: d.reason.clone(),
        at: d.at,
    })
}

impl PartyView {
    fn new(dir: &Directory, p: &Party) -> Self {
        Self {
            id: p.id.clone(),
            kind: p.kind,
            parent: p.parent.clone(),
            name: NamesView {
                vi: p.name.vi.clone(),
                en: p.name.en.clone(),
            },
            locale: p.locale,
            ack_deadline_seconds: p.ack_deadline.as_secs(),
            emails: p.emails.clone(),
            contact: p.contact.as_ref().map(|c| ContactView {
                name: c.name.clone(),
                phone: c.phone.clone(),
                email: c.email.clone(),
            }),
            disabled: disabled_view(&p.disabled),
            children: dir.child_count(&p.id),
            endpoints: p.endpoints.len(),
            updated_at: p.updated_at,
        }
    }
}

/// A page of parties.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyPage {
    pub data: Vec<PartyView>,
    /// Pass as `after` for the next page; absent on the last.
    #[schema(example = "hn-cau-giay")]
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartyQuery {
    /// Only parties of this kind.
    pub kind: Option<PartyKind>,
    /// Words that the id or a name contains (case and diacritics ignored).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only the committees directly below this one.
    #[param(max_length = 64)]
    pub parent: Option<String>,
    /// 1 to 100; 20 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_after` of the previous page.
    #[param(max_length = 64)]
    pub after: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/parties", tag = "directory",
    params(PartyQuery),
    responses(
        (status = 200, description = "The parties within the key's reach, committees first, each kind by id", body = PartyPage),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn list_parties(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<PartyQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::DirectoryRead)?;
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Validation(vec![
            FieldError::new(
                "limit",
                "range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )
            .with_limit(MAX_LIMIT),
        ]));
    }
    bounded("q", q.q.as_deref(), 200)?;
    bounded("parent", q.parent.as_deref(), 64)?;
    bounded("after", q.after.as_deref(), 64)?;
    let dir = state.directory.current();
    let reach = Reach::of(&principal, &dir);
    let within: Option<Vec<String>> = match &reach {
        Reach::All => None,
        Reach::Party(p) => Some(vec![p.clone()]),
        Reach::Subtree(ids) => Some(ids.clone()),
    };
    let after = q
        .after
        .as_deref()
        .and_then(|a| dir.party(a))
        .map(|p| (p.kind, p.id.clone()));
    let mut page: Vec<&Party> = dir
        .search(
            q.q.as_deref().unwrap_or(""),
            q.kind,
            within.as_deref(),
            usize::MAX,
        )
        .into_iter()
        .filter(|p| {
            q.parent
                .as_deref()
                .is_none_or(|parent| p.parent.as_deref() == Some(parent))
        })
        .filter(|p| {
            after
                .as_ref()
                .is_none_or(|a| (p.kind, p.id.as_str()) > (a.0, a.1.as_str()))
        })
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    Ok(HttpResponse::Ok().json(PartyPage {
        next_after: more.then(|| page.last().map(|p| p.id.clone())).flatten(),
        data: page.into_iter().map(|p| PartyView::new(&dir, p)).collect(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/parties/{id}", tag = "directory",
    params(("id" = String, Path, description = "The party's id")),
    responses(
        (status = 200, description = "The party", body = PartyView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn get_party(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::DirectoryRead)?;
    let dir = state.directory.current();
    let party = party_in_reach(&dir, &principal, &path)?;
    Ok(HttpResponse::Ok().json(PartyView::new(&dir, party)))
}

/// A webhook endpoint of a party; its secret is never shown here.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    #[schema(example = "ep_01938f6c2a3b7c4d9e8f0a1b2c3d4e5f")]
    pub id: String,
    #[schema(example = "cert")]
    pub party: String,
    #[schema(example = "https://intake.cert.example.org/webhooks/incident-desk")]
    pub url: String,
    #[schema(example = "Case intake")]
    pub description: String,
    /// The event types sent here; every type when empty.
    #[schema(example = json!(["incident.reported", "incident.status_changed"]))]
    pub event_types: Vec<String>,
    /// Set when the endpoint receives nothing.
    pub disabled: Option<DisabledView>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Endpoint> for EndpointView {
    fn from(e: &Endpoint) -> Self {
        Self {
            id: e.id.clone(),
            party: e.party_id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e.event_types.iter().map(|t| t.to_string()).collect(),
            disabled: disabled_view(&e.disabled),
            previous_secret_expires_at: e.previous_secret.as_ref().and(e.previous_expires_at),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<EndpointView>,
}

/// An endpoint and its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    pub endpoint: EndpointView,
    /// `whsec_` and base64: verify each message's `webhook-signature` with it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A new endpoint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "url": "https://intake.cert.example.org/webhooks/incident-desk", "description": "Case intake", "event_types": ["incident.reported"] }))]
pub struct CreateEndpoint {
    /// An absolute http(s) URL that leads to a public address.
    #[schema(max_length = 2000)]
    pub url: String,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// Event types to send; every type when absent or empty.
    pub event_types: Option<Vec<String>>,
    /// A secret of your own (`whsec_` and base64 of 24 to 64 bytes); one is generated
    /// when absent.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]{32,86}={0,2}$")]
    pub secret: Option<String>,
}

/// The fields to change; the others stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "event_types": [] }))]
pub struct UpdateEndpoint {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
}

/// A new secret for an endpoint.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "overlap_seconds": 86400 }))]
pub struct RotateSecret {
    /// A secret of your own (`whsec_` and base64 of 24 to 64 bytes); one is generated
    /// when absent.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/]{32,86}={0,2}$")]
    pub secret: Option<String>,
    /// How long the old secret keeps signing beside the new one: 0 to 604800; a day when
    /// absent.
    #[schema(minimum = 0, maximum = 604800)]
    pub overlap_seconds: Option<u64>,
}

/// A rotated secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecretView {
    pub endpoint: EndpointView,
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
    /// Until then, messages carry a signature with each secret.
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// Why an endpoint is disabled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "reason": "Receiver moves to a new host on Monday" }))]
pub struct DisableEndpoint {
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// What a test send did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointTestView {
    /// The `webhook-id` of the test message.
    #[schema(example = "msg_01938f6c2a3b7c4d9e8f0a1b2c3d4e5f")]
    pub message_id: String,
    pub delivered: bool,
    /// The endpoint's HTTP status, when it answered.
    #[schema(example = 200)]
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// An endpoint's deliveries over a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointActivityView {
    pub since: DateTime<Utc>,
    pub delivered: u64,
    pub failed: u64,
    pub pending: u64,
    /// Delivered over delivered and failed; null when neither happened.
    #[schema(example = 0.98)]
    pub success_rate: Option<f64>,
    /// The newest deliveries, at most 100.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// The window in hours: 1 to 168; 24 when absent.
    #[param(minimum = 1, maximum = 168)]
    pub hours: Option<u64>,
}

type EndpointPath = web::Path<(String, String)>;

/// The party, checked against the key's reach and scope for `scope`.
fn reach(
    state: &AppState,
    principal: &ApiPrincipal,
    party: &str,
    scope: ApiScope,
) -> Result<(), ApiError> {
    principal.require(scope)?;
    party_in_reach(&state.directory.current(), principal, party).map(|_| ())
}

fn endpoint_view(state: &AppState, party: &str, endpoint: &str) -> Result<EndpointView, ApiError> {
    state
        .directory
        .current()
        .party(party)
        .and_then(|p| p.endpoint(endpoint))
        .map(EndpointView::from)
        .ok_or(ApiError::NotFound("endpoint"))
}

#[utoipa::path(
    get, path = "/api/v1/parties/{id}/endpoints", tag = "directory",
    params(("id" = String, Path, description = "The party's id")),
    responses(
        (status = 200, description = "The party's webhook endpoints", body = EndpointList),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn list_endpoints(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::DirectoryRead)?;
    let dir = state.directory.current();
    let party = party_in_reach(&dir, &principal, &path)?;
    Ok(HttpResponse::Ok().json(EndpointList {
        data: party.endpoints.iter().map(EndpointView::from).collect(),
    }))
}

#[utoipa::path(
    post, path = "/api/v1/parties/{id}/endpoints", tag = "directory",
    params(("id" = String, Path, description = "The party's id")),
    request_body = CreateEndpoint,
    responses(
        (status = 201, description = "The endpoint, with its secret shown this once", body = EndpointWithSecret),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn create_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<CreateEndpoint>,
) -> Result<HttpResponse, ApiError> {
    reach(&state, &principal, &path, ApiScope::DirectoryWrite)?;
    let input = body.value;
    let created = directory::create_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &principal.actor(),
        &path,
        EndpointDraft {
            url: input.url,
            description: input.description.unwrap_or_default(),
            event_types: input.event_types.unwrap_or_default(),
            secret: input.secret,
        },
    )
    .await?;
    use secrecy::ExposeSecret;
    Ok(HttpResponse::Created().json(EndpointWithSecret {
        endpoint: EndpointView::from(&created.endpoint),
        secret: created.secret.expose_secret().to_owned(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/parties/{id}/endpoints/{endpoint}", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn get_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryRead)?;
    Ok(HttpResponse::Ok().json(endpoint_view(&state, &party, &endpoint)?))
}

#[utoipa::path(
    patch, path = "/api/v1/parties/{id}/endpoints/{endpoint}", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    request_body = UpdateEndpoint,
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn update_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
    body: JsonBody<UpdateEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryWrite)?;
    let input = body.value;
    let updated = directory::update_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &principal.actor(),
        &party,
        &endpoint,
        EndpointChange {
            url: input.url,
            description: input.description,
            event_types: input.event_types,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(EndpointView::from(&updated)))
}

#[utoipa::path(
    delete, path = "/api/v1/parties/{id}/endpoints/{endpoint}", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 204, description = "Removed; its past deliveries stay on their tickets"),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn delete_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryWrite)?;
    directory::delete_endpoint(
        &state.db,
        &state.directory,
        &principal.actor(),
        &party,
        &endpoint,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/parties/{id}/endpoints/{endpoint}/rotate", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    request_body = RotateSecret,
    responses(
        (status = 200, description = "The new secret, shown this once; the old one signs beside it until `previous_secret_expires_at`", body = RotatedSecretView),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
    body: JsonBody<RotateSecret>,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryWrite)?;
    let input = body.value;
    let rotated = directory::rotate_secret(
        &state.db,
        &state.directory,
        &principal.actor(),
        &party,
        &endpoint,
        input.secret,
        Duration::from_secs(input.overlap_seconds.unwrap_or(DEFAULT_OVERLAP)),
    )
    .await?;
    use secrecy::ExposeSecret;
    Ok(HttpResponse::Ok().json(RotatedSecretView {
        endpoint: EndpointView::from(&rotated.endpoint),
        secret: rotated.secret.expose_secret().to_owned(),
        previous_secret_expires_at: rotated.previous_expires_at,
    }))
}

/// Disables the endpoint of the path with `reason`, or enables it.
async fn set_disabled(
    state: &AppState,
    principal: &ApiPrincipal,
    path: EndpointPath,
    reason: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(state, principal, &party, ApiScope::DirectoryWrite)?;
    let updated = directory::set_endpoint_disabled(
        &state.db,
        &state.directory,
        &principal.actor(),
        &party,
        &endpoint,
        reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(EndpointView::from(&updated)))
}

#[utoipa::path(
    post, path = "/api/v1/parties/{id}/endpoints/{endpoint}/disable", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    request_body = DisableEndpoint,
    responses(
        (status = 200, description = "The endpoint, which receives nothing until enabled", body = EndpointView),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn disable_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
    body: JsonBody<DisableEndpoint>,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&state, &principal, path, Some(&body.value.reason)).await
}

#[utoipa::path(
    post, path = "/api/v1/parties/{id}/endpoints/{endpoint}/enable", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "The endpoint, which receives new messages again", body = EndpointView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn enable_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
) -> Result<HttpResponse, ApiError> {
    set_disabled(&state, &principal, path, None).await
}

#[utoipa::path(
    post, path = "/api/v1/parties/{id}/endpoints/{endpoint}/test", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
    ),
    responses(
        (status = 200, description = "A signed `endpoint.test` event was sent now; what the endpoint answered", body = EndpointTestView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["directory:write"]))
)]
pub async fn test_endpoint(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryWrite)?;
    let result = directory::test_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &principal.actor(),
        &party,
        &endpoint,
    )
    .await?;
    Ok(HttpResponse::Ok().json(EndpointTestView {
        message_id: result.message_id,
        delivered: result.delivered,
        status: result.status,
        duration_ms: result.duration_ms,
        error: result.error,
    }))
}

#[utoipa::path(
    get, path = "/api/v1/parties/{id}/endpoints/{endpoint}/activity", tag = "directory",
    params(
        ("id" = String, Path, description = "The party's id"),
        ("endpoint" = String, Path, description = "The endpoint's id"),
        ActivityQuery,
    ),
    responses(
        (status = 200, description = "The endpoint's delivery log and success rate over the window", body = EndpointActivityView),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn endpoint_activity(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: EndpointPath,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, ApiError> {
    let (party, endpoint) = path.into_inner();
    reach(&state, &principal, &party, ApiScope::DirectoryRead)?;
    endpoint_view(&state, &party, &endpoint)?;
    let hours = query.hours.unwrap_or(24);
    if !(1..=168).contains(&hours) {
        return Err(ApiError::Validation(vec![
            FieldError::new("hours", "range", "must be between 1 and 168").with_limit(168u64),
        ]));
    }
    let activity =
        directory::activity(&state.db, &endpoint, Duration::from_secs(hours * 3600), 100).await?;
    Ok(HttpResponse::Ok().json(EndpointActivityView {
        since: activity.since,
        delivered: activity.delivered,
        failed: activity.failed,
        pending: activity.pending,
        success_rate: activity.success_rate,
        deliveries: activity.recent.iter().map(DeliveryView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The reporter's committee.
    #[param(max_length = 64)]
    pub committee: String,
    pub kind: IncidentKind,
    pub platform: Platform,
    pub severity: Severity,
}

/// One party that would be notified.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutedParty {
    #[schema(example = "cert")]
    pub id: String,
    #[schema(example = "authority")]
    pub kind: PartyKind,
    pub name: NamesView,
    /// How many channels it would be sent on: its addresses (as one email) and enabled
    /// endpoints.
    pub channels: usize,
}

/// Who would be notified of such a report, in routing order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingPreview {
    pub parties: Vec<RoutedParty>,
    /// Which of the three kinds of party the rule asks for would get no ticket.
    #[schema(example = json!([]))]
    pub missing: Vec<PartyKind>,
}

#[utoipa::path(
    get, path = "/api/v1/routing/preview", tag = "directory",
    params(PreviewQuery),
    responses(
        (status = 200, description = "The parties a report of this kind, platform and severity from this committee would notify now", body = RoutingPreview),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn routing_preview(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::DirectoryRead)?;
    bounded("committee", Some(&query.committee), 64)?;
    let dir = state.directory.current();
    let committee = dir
        .committee(&query.committee)
        .filter(|c| principal.party.is_none() && Reach::of(&principal, &dir).allows(&c.id))
        .ok_or(ApiError::NotFound("committee"))?;
    let parties: Vec<RoutedParty> = dir
        .route(&committee.id, query.kind, query.severity, query.platform)
        .into_iter()
        .filter_map(|r| dir.party(&r.party_id).map(|p| (r.kind, p)))
        .map(|(kind, p)| RoutedParty {
            id: p.id.clone(),
            kind,
            name: NamesView {
                vi: p.name.vi.clone(),
                en: p.name.en.clone(),
            },
            channels: usize::from(!p.emails.is_empty())
                + p.endpoints.iter().filter(|e| e.disabled.is_none()).count(),
        })
        .collect();
    let missing = PartyKind::ALL
        .iter()
        .copied()
        .filter(|k| !parties.iter().any(|p| p.kind == *k))
        .collect();
    Ok(HttpResponse::Ok().json(RoutingPreview { parties, missing }))
}

/// One change of the directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryChangeView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: super::views::ActorView,
    #[schema(example = "endpoint")]
    pub subject: crate::domain::directory::ChangeSubject,
    #[schema(example = "ep_01938f6c2a3b7c4d9e8f0a1b2c3d4e5f")]
    pub subject_id: String,
    #[schema(example = "cert")]
    pub party: Option<String>,
    #[schema(example = "secret_rotated")]
    pub action: crate::domain::directory::ChangeAction,
    /// The record before the change (never a secret).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change (never a secret).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<DirectoryChange> for DirectoryChangeView {
    fn from(c: DirectoryChange) -> Self {
        Self {
            id: c.id,
            at: c.at,
            actor: super::views::ActorView {
                kind: c.actor.kind,
                id: c.actor.id,
                name: c.actor.name,
            },
            subject: c.subject,
            subject_id: c.subject_id,
            party: c.party_id,
            action: c.action,
            before: c.before,
            after: c.after,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryChangePage {
    pub data: Vec<DirectoryChangeView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Only the changes of this party (and its endpoints); required for a key bound to a
    /// party or a committee.
    #[param(max_length = 64)]
    pub party: Option<String>,
    /// The `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[utoipa::path(
    get, path = "/api/v1/directory/changes", tag = "directory",
    params(ChangesQuery),
    responses(
        (status = 200, description = "The directory's audit trail, newest first: who changed what, when, before and after", body = DirectoryChangePage),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["directory:read"]))
)]
pub async fn list_changes(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::DirectoryRead)?;
    bounded("party", query.party.as_deref(), 64)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::Validation(vec![
            FieldError::new("limit", "range", "must be between 1 and 100").with_limit(100u64),
        ]));
    }
    let dir = state.directory.current();
    let party = match (&query.party, Reach::of(&principal, &dir)) {
        (Some(p), reach) if reach.allows(p) && dir.party(p).is_some() => Some(p.as_str()),
        (Some(_), _) => return Err(ApiError::NotFound("party")),
        (None, Reach::All) => None,
        (None, _) => {
            return Err(ApiError::Forbidden(
                "a key bound to a party or a committee reads the changes of one party: give `party`"
                    .to_owned(),
            ));
        }
    };
    let rows = directory::changes(&state.db, party, query.before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    let data: Vec<DirectoryChangeView> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(DirectoryChangeView::from)
        .collect();
    Ok(HttpResponse::Ok().json(DirectoryChangePage {
        next_before: more.then(|| data.last().map(|c| c.id)).flatten(),
        data,
    }))
}
