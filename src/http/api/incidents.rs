//! `/api/v1/incidents`: file, list, read, and change containment, status and notes.

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    auth::{ApiCredentials, ApiPrincipal},
    views::{
        self, DeliveryView, EventView, IncidentCreated, IncidentDetail, IncidentPage,
        IncidentSummary, TicketView,
    },
};
use crate::{
    domain::{
        BoundedText, ContainmentState, FieldError, IncidentKind, IncidentStatus, Platform,
        RejectReason, TextRule,
        access::ApiScope,
        new_incident::{ContainmentDraft, IncidentDraft, PageDraft, ReporterDraft},
    },
    http::error::ApiError,
    http::extract::json::JsonBody,
    http::state::AppState,
    usecases::incident::{self, NoteVisibility, StatusChange},
    usecases::intake::{self, Filed, Once, Receipt, Source},
    usecases::{IncidentFilter, IncidentKey, Scope, queries},
};

const MAX_LIMIT: u64 = 200;
const DEFAULT_LIMIT: u64 = 50;

/// A new incident report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "hijacked",
    "description": "Since 07:40 the page posts scam investment offers; the admin email was changed and I cannot sign in.",
    "detected_at": "2026-11-28T07:45:00+07:00",
    "reporter": {
        "name": "Nguyễn Văn An",
        "email": "an.nguyen@example.org",
        "phone": "+84 912 345 678",
        "committee": "hn-ba-dinh"
    },
    "page": {
        "url": "https://www.facebook.com/bandinh.news",
        "handle": "bandinh.news",
        "display_name": "Ba Đình News",
        "account_type": "page",
        "linked_email": "page-admin@example.org",
        "linked_phone": "+84 912 345 678",
        "created_on": "2019-05-01",
        "purpose": "News of the district committee"
    },
    "containment": { "state": "lost_control", "note": "Password reset emails go to the attacker's address." }
}))]
pub struct CreateIncident {
    /// `abnormal`, `hijacked`, `impersonated` or `misused`.
    #[schema(required = true, nullable = false, value_type = IncidentKind)]
    pub kind: Option<String>,
    /// `low`, `medium`, `high` or `critical`; derived from kind and containment when absent.
    #[schema(value_type = Option<crate::domain::Severity>)]
    pub severity: Option<String>,
    /// What happened, 10 to 5000 characters (after trimming), no control, invisible or
    /// direction-changing characters.
    #[schema(
        required = true,
        nullable = false,
        min_length = 10,
        max_length = 5000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub description: Option<String>,
    /// When the member noticed it (RFC 3339).
    #[schema(required = true, nullable = false, format = DateTime)]
    pub detected_at: Option<String>,
    #[schema(required = true, nullable = false)]
    #[serde(default, deserialize_with = "crate::http::extract::json::object")]
    pub reporter: Option<ReporterDraft>,
    #[schema(required = true, nullable = false)]
    #[serde(default, deserialize_with = "crate::http::extract::json::object")]
    pub page: Option<PageDraft>,
    /// Whether the page has been stopped; `active` when absent.
    #[serde(default, deserialize_with = "crate::http::extract::json::object")]
    pub containment: Option<ContainmentDraft>,
}

impl From<CreateIncident> for IncidentDraft {
    fn from(c: CreateIncident) -> Self {
        IncidentDraft {
            kind: c.kind,
            severity: c.severity,
            description: c.description,
            detected_at: c.detected_at,
            reporter: c.reporter.unwrap_or_default(),
            page: c.page.unwrap_or_default(),
            containment: c.containment.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "status": "rejected", "reason": "duplicate", "duplicate_of": "INC-2026-000101" }))]
pub struct ChangeStatus {
    #[schema(value_type = IncidentStatus)]
    pub status: String,
    /// Required with `rejected`.
    #[schema(value_type = Option<RejectReason>)]
    pub reason: Option<String>,
    /// Id or reference of the original, with the reason `duplicate`.
    #[schema(min_length = 1, max_length = 64)]
    pub duplicate_of: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "text": "Called the member; the page is back under their control.", "visibility": "shared" }))]
pub struct AddNote {
    /// 1 to 5000 characters.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub text: String,
    /// `internal` (default) or `shared` with the member on the tracking page.
    pub visibility: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<IncidentStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<IncidentKind>)]
    pub kind: Option<String>,
    #[param(value_type = Option<Platform>)]
    pub platform: Option<String>,
    /// A committee id; its whole subtree is included.
    pub committee: Option<String>,
    #[param(value_type = Option<ContainmentState>)]
    pub containment: Option<String>,
    /// Only incidents updated at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub updated_since: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(
        at("/incidents")
            .get(list_incidents)
            .post(create_incident)
            .done(),
    )
    .service(at("/incidents/{id}").get(get_incident).done())
    .service(
        at("/incidents/{id}/containment")
            .post(change_containment)
            .done(),
    )
    .service(at("/incidents/{id}/status").post(change_status).done())
    .service(at("/incidents/{id}/notes").post(add_note).done());
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            "idempotency_key",
            "must be 1 to 255 visible ASCII characters",
        )])
    };
    let key = value.to_str().map_err(|_| invalid())?.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}

/// The digest of a body's meaning: the same JSON with other spacing or key order matches.
fn request_hash(raw: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(raw)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_else(|_| raw.to_vec());
    hex::encode(Sha256::digest(canonical))
}

fn created_body(filed: &Filed, state: &AppState) -> IncidentCreated {
    let now = Utc::now();
    let dir = state.directory.current();
    IncidentCreated {
        id: filed.incident.id,
        reference: filed.incident.reference.clone(),
        status: filed.incident.status,
        severity: filed.incident.severity,
        tracking_url: tracking_url(state, &filed.tracking_token),
        tickets: filed
            .tickets
            .iter()
            .map(|t| TicketView::new(t, &dir, now, None))
            .collect(),
        created_at: filed.incident.created_at,
    }
}

/// The 201 body as an idempotency receipt keeps it: everything but the tracking link,
/// whose token is stored only as a digest.
fn receipt_body(filed: &Filed, state: &AppState) -> Vec<u8> {
    let mut body = serde_json::to_value(created_body(filed, state)).unwrap_or_default();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("tracking_url");
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// A stored receipt with a tracking link issued now, to the same incident.
async fn with_fresh_link(state: &AppState, receipt: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut body: serde_json::Value = serde_json::from_slice(receipt)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("unreadable receipt: {e}")))?;
    let id = body["id"]
        .as_str()
        .and_then(|id| id.parse::<Uuid>().ok())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a receipt without an incident id")))?;
    let token = crate::usecases::member::issue_link(&state.db, id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    body["tracking_url"] = serde_json::Value::String(tracking_url(state, &token));
    serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.into()))
}

fn tracking_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/track/{token}",
        state.settings.public_base_url.trim_end_matches('/')
    )
}

/// File an incident: routes it to its parties and queues their notifications.
#[utoipa::path(
    post, path = "/api/v1/incidents", tag = "incidents",
    request_body = CreateIncident,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for 24 h when the same key is sent with the same body")),
    responses(
        (status = 201, description = "Filed", body = IncidentCreated),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 409, response = crate::http::error::answers::Conflict),
        (status = 413, response = crate::http::error::answers::TooLarge),
        (status = 415, response = crate::http::error::answers::NotJson),
        (status = 422, response = crate::http::error::answers::Invalid),
        (status = 503, response = crate::http::error::answers::Busy),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn create_incident(
    req: HttpRequest,
    state: web::Data<AppState>,
    credentials: ApiCredentials,
    body: JsonBody<CreateIncident>,
) -> Result<HttpResponse, ApiError> {
    // Refused before the key is looked up: under an overload, the requests turned away
    // must not queue for database connections ahead of the reports being filed.
    let admission = state
        .intake
        .admit()
        .map_err(|busy| ApiError::Unavailable(busy.to_string()))?;
    let principal = credentials.authenticate(&state).await?;
    principal.require(ApiScope::IncidentsWrite)?;
    let key = idempotency_key(&req)?;
    let principal_id = principal.key_id.to_string();
    let hash = request_hash(&body.raw);
    let work = || {
        file(
            &state,
            &principal,
            body.value,
            key.as_deref(),
            &principal_id,
            admission,
        )
    };
    let filed = match intake::once(&state.db, &principal_id, key.as_deref(), &hash, work).await? {
        Once::Done(filed) => filed,
        Once::Replay { status, body } => {
            let body = with_fresh_link(&state, &body).await?;
            return Ok(HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status)
                    .unwrap_or(actix_web::http::StatusCode::CREATED),
            )
            .insert_header(("Idempotent-Replayed", "true"))
            .content_type("application/json")
            .body(body));
        }
        Once::Mismatch => return Err(ApiError::IdempotencyMismatch),
        Once::InProgress => return Err(ApiError::IdempotencyInProgress),
    };
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/incidents/{}", filed.incident.id),
        ))
        .json(created_body(&filed, &state)))
}

async fn file(
    state: &web::Data<AppState>,
    principal: &ApiPrincipal,
    input: CreateIncident,
    key: Option<&str>,
    principal_id: &str,
    admission: intake::Admission,
) -> Result<Filed, ApiError> {
    let draft = IncidentDraft::from(input);
    let new = draft
        .parse(Utc::now(), |c| {
            state.directory.current().open_committee(c).is_some()
        })
        .map_err(ApiError::Validation)?;
    if !principal.scope.allows(&new.reporter.committee) {
        return Err(ApiError::Forbidden(format!(
            "this API key may not file for the committee `{}`",
            new.reporter.committee
        )));
    }
    let receipt = key.map(|key| {
        let state = state.clone();
        Receipt {
            principal: principal_id.to_owned(),
            key: key.to_owned(),
            render: Box::new(move |filed: &Filed| (201u16, receipt_body(filed, &state))),
        }
    });
    state
        .intake
        .file(new, Source::Api, principal.actor(), receipt, admission)
        .await
        .map_err(ApiError::Internal)
}

fn parse_param<T: std::str::FromStr<Err = String>>(
    name: &str,
    raw: &Option<String>,
) -> Result<Option<T>, ApiError> {
    raw.as_deref()
        .map(|v| {
            v.parse::<T>()
                .map_err(|m| ApiError::Validation(vec![FieldError::new(name, "one_of", m)]))
        })
        .transpose()
}

fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(raw: &str) -> Result<Uuid, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "cursor",
                "cursor",
                "is not a cursor this API returned",
            )])
        })
}

/// List incidents, newest first, with filters and keyset pagination.
#[utoipa::path(
    get, path = "/api/v1/incidents", tag = "incidents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of incidents", body = IncidentPage),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn list_incidents(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsRead)?;
    if principal.party.is_some() {
        return Err(ApiError::Forbidden(
            "a key bound to a party reads the incidents of its tickets one at a time (GET /api/v1/incidents/{id}), not the list".to_owned(),
        ));
    }
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "limit",
            "range",
            format!("must be between 1 and {MAX_LIMIT}"),
        )]));
    }
    let committees = match &q.committee {
        Some(c) if state.directory.current().committee(c).is_none() => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "committee",
                "unknown_committee",
                format!("`{c}` is not a committee"),
            )]));
        }
        Some(c) => Some(state.directory.current().committee_subtree(c)),
        None => None,
    };
    let updated_since = q
        .updated_since
        .as_deref()
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::Validation(vec![FieldError::new(
                        "updated_since",
                        "date_time",
                        "must be an RFC 3339 date and time",
                    )])
                })
        })
        .transpose()?;
    let filter = IncidentFilter {
        status: parse_param("status", &q.status)?,
        kind: parse_param("kind", &q.kind)?,
        platform: parse_param("platform", &q.platform)?,
        committees,
        containment: parse_param("containment", &q.containment)?,
        updated_since,
        before: q.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut rows = queries::incidents(&state.db, &principal.scope, &filter).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(r.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(IncidentPage {
        items: rows.iter().map(IncidentSummary::from).collect(),
        next_cursor,
    }))
}

fn parse_key(raw: &str) -> Result<IncidentKey, ApiError> {
    IncidentKey::parse(raw).ok_or(ApiError::NotFound("incident"))
}

/// One incident as `principal` may read it. A key bound to a party reads only incidents
/// on which its party has a ticket, sees only that ticket, and sees the member's own
/// contacts and the account's linked contacts only where `[notifications]` gives them to
/// its kind of party, as in the notifications it receives.
async fn detail_for(
    state: &AppState,
    principal: &ApiPrincipal,
    key: &IncidentKey,
) -> Result<IncidentDetail, ApiError> {
    let Some(party) = &principal.party else {
        return detail(state, &principal.scope, key).await;
    };
    let mut view = detail(state, &Scope::All, key).await?;
    let Some(mine) = view.tickets.iter().find(|t| &t.party == party) else {
        return Err(ApiError::NotFound("incident"));
    };
    let (kind, ticket) = (mine.role, mine.id);
    view.tickets.retain(|t| &t.party == party);
    // Its own ticket's entries and the incident's own, never officers' notes or other
    // parties' tickets, nor other reports of the same page.
    view.timeline.retain(|e| {
        e.ticket_id.is_none_or(|t| t == ticket)
            && e.event_type != crate::domain::TimelineEvent::NoteAdded
    });
    view.same_page.clear();
    if kind != crate::domain::routing::PartyKind::Committee {
        view.register_flag = None;
    }
    let shown = &state.settings.notifications;
    if !shown.reporter_contacts_for.contains(&kind) {
        view.reporter.email = None;
        view.reporter.phone = None;
    }
    if !shown.account_contacts_for.contains(&kind) {
        view.page.linked_email = None;
        view.page.linked_phone = None;
    }
    Ok(view)
}

async fn detail(
    state: &AppState,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<IncidentDetail, ApiError> {
    let dossier = queries::dossier(&state.db, scope, key)
        .await?
        .ok_or(ApiError::NotFound("incident"))?;
    let now = Utc::now();
    let dir = state.directory.current();
    let tickets = dossier
        .tickets
        .iter()
        .map(|t| {
            let mine = dossier
                .deliveries
                .iter()
                .filter(|d| d.ticket_id == t.id)
                .map(DeliveryView::from)
                .collect();
            TicketView::new(t, &dir, now, Some(mine))
        })
        .collect();
    let timeline = dossier.events.iter().map(EventView::from).collect();
    let same_page = dossier
        .same_page
        .iter()
        .map(IncidentSummary::from)
        .collect();
    Ok(views::incident_detail(
        &dossier.incident,
        tickets,
        timeline,
        same_page,
    ))
}

/// Read one incident by id or reference, with its tickets, deliveries and timeline.
#[utoipa::path(
    get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "The incident's id or its reference such as INC-2026-000123")),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn get_incident(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsRead)?;
    let key = parse_key(&path)?;
    Ok(HttpResponse::Ok().json(detail_for(&state, &principal, &key).await?))
}

/// Record that the page was stopped, that control was lost, or that it was recovered.
#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/containment", tag = "incidents",
    params(("id" = String, Path, description = "The incident's id or reference")),
    request_body = ContainmentDraft,
    responses(
        (status = 200, description = "The updated incident", body = IncidentDetail),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn change_containment(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<ContainmentDraft>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsWrite)?;
    let key = parse_key(&path)?;
    let mut errors = Vec::new();
    let change = body.value.parse(&mut errors, Utc::now());
    let change = change.ok_or(ApiError::Validation(errors))?;
    let incident = incident::change_containment(
        &state.db,
        state.notify(),
        &principal.scope,
        &key,
        change,
        principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .json(detail(&state, &principal.scope, &IncidentKey::Id(incident.id)).await?))
}

/// Move the incident along its lifecycle; refused transitions answer 409.
#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/status", tag = "incidents",
    params(("id" = String, Path, description = "The incident's id or reference")),
    request_body = ChangeStatus,
    responses(
        (status = 200, description = "The updated incident", body = IncidentDetail),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn change_status(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<ChangeStatus>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsWrite)?;
    let key = parse_key(&path)?;
    let input = body.value;
    let mut errors = Vec::new();
    let status = input
        .status
        .parse::<IncidentStatus>()
        .map_err(|m| errors.push(FieldError::new("status", "one_of", m)))
        .ok();
    let reason = match input.reason.as_deref() {
        Some(r) => r
            .parse::<RejectReason>()
            .map_err(|m| errors.push(FieldError::new("reason", "one_of", m)))
            .ok(),
        None => None,
    };
    let duplicate_of = match input.duplicate_of.as_deref() {
        Some(d) => match IncidentKey::parse(d) {
            Some(k) => Some(k),
            None => {
                errors.push(FieldError::new(
                    "duplicate_of",
                    "incident_id",
                    "must be an incident id or reference",
                ));
                None
            }
        },
        None => None,
    };
    let note = match input.note.as_deref() {
        Some(n) => BoundedText::parse("note", n, TextRule::block(1, 2000))
            .map_err(|e| errors.push(e))
            .ok(),
        None => None,
    };
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let change = StatusChange {
        status,
        reason,
        duplicate_of,
        note,
    };
    let incident = incident::change_status(
        &state.db,
        state.notify(),
        &principal.scope,
        &key,
        change,
        principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .json(detail(&state, &principal.scope, &IncidentKey::Id(incident.id)).await?))
}

/// Add a note to the timeline, internal or shared with the member.
#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/notes", tag = "incidents",
    params(("id" = String, Path, description = "The incident's id or reference")),
    request_body = AddNote,
    responses(
        (status = 201, description = "The note as recorded on the timeline", body = EventView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn add_note(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<AddNote>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsWrite)?;
    let key = parse_key(&path)?;
    let mut errors = Vec::new();
    let text = BoundedText::parse("text", &body.value.text, TextRule::block(1, 5000))
        .map_err(|e| errors.push(e))
        .ok();
    let visibility = match body.value.visibility.as_deref() {
        None | Some("internal") => Some(NoteVisibility::Internal),
        Some("shared") => Some(NoteVisibility::Shared),
        Some(_) => {
            errors.push(FieldError::new(
                "visibility",
                "one_of",
                "must be one of: internal, shared",
            ));
            None
        }
    };
    let (Some(text), Some(visibility)) = (text, visibility) else {
        return Err(ApiError::Validation(errors));
    };
    let event = incident::add_note(
        &state.db,
        state.notify(),
        &principal.scope,
        &key,
        text,
        visibility,
        principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(EventView::from(&event)))
}
