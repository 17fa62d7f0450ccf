//! `/api/v1/tickets`: a ticket with every delivery and attempt, a party's answer to its
//! ticket, and re-sending a ticket whose deliveries failed.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    auth::ApiPrincipal,
    views::{AttemptView, DeliveryView, TicketView},
};
use crate::{
    domain::{BoundedText, TextRule, TicketStatus, access::ApiScope},
    http::error::ApiError,
    http::extract::json::JsonBody,
    http::state::AppState,
    telemetry::metrics::Metrics,
    usecases::ticket::{self, TicketAnswer},
    usecases::{IncidentKey, TicketRow, queries},
};

/// A party's answer, with its own case number if it has one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "external_ref": "CERT-2026-4411", "note": "Assigned to the on-call analyst." }))]
pub struct TicketAnswerInput {
    /// The party's own case number, 1 to 100 characters.
    #[schema(
        max_length = 100,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub external_ref: Option<String>,
    /// 1 to 2000 characters.
    #[schema(
        max_length = 2000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivered {
    /// How many failed deliveries were queued again.
    pub requeued: u64,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(at("/tickets/{id}").get(get_ticket).done())
        .service(at("/tickets/{id}/acknowledge").post(acknowledge).done())
        .service(at("/tickets/{id}/resolve").post(resolve).done())
        .service(at("/tickets/{id}/reject").post(reject).done())
        .service(at("/tickets/{id}/redeliver").post(redeliver).done());
}

pub(super) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("ticket"))
}

/// The ticket, if the caller's committee scope covers its incident or the caller is its party.
pub(super) async fn visible_ticket(
    state: &AppState,
    principal: &ApiPrincipal,
    id: Uuid,
) -> Result<TicketRow, ApiError> {
    let ticket = queries::ticket(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    // A key bound to a party sees that party's tickets and nothing else.
    if let Some(party) = &principal.party {
        return if *party == ticket.party_id {
            Ok(ticket)
        } else {
            Err(ApiError::NotFound("ticket"))
        };
    }
    queries::incident(
        &state.db,
        &principal.scope,
        &IncidentKey::Id(ticket.incident_id),
    )
    .await?
    .ok_or(ApiError::NotFound("ticket"))?;
    Ok(ticket)
}

/// A ticket with every delivery and every attempt.
#[utoipa::path(
    get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn get_ticket(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    if principal.party.is_none() {
        principal.require(ApiScope::IncidentsRead)?;
    }
    let ticket = visible_ticket(&state, &principal, id).await?;
    let (delivery_rows, attempts) = queries::ticket_deliveries(&state.db, ticket.id).await?;
    let views = delivery_rows
        .iter()
        .map(|d| {
            let mut view = DeliveryView::from(d);
            view.attempts_made = Some(
                attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(AttemptView::from)
                    .collect(),
            );
            view
        })
        .collect();
    Ok(HttpResponse::Ok().json(TicketView::new(
        &ticket,
        &state.directory.current(),
        Utc::now(),
        Some(views),
    )))
}

async fn answer(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<TicketAnswerInput>,
    status: TicketStatus,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::TicketsWrite)?;
    let id = parse_id(&path)?;
    // Another party's ticket, or one outside a committee key's scope, is not found.
    let ticket = visible_ticket(&state, &principal, id).await?;
    if principal.party.is_none() {
        return Err(ApiError::Forbidden(format!(
            "only a key bound to the party `{}` may answer this ticket",
            ticket.party_id
        )));
    }
    let mut errors = Vec::new();
    let external_ref = body
        .value
        .external_ref
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| {
            BoundedText::parse("external_ref", v, TextRule::line(1, 100))
                .map_err(|e| errors.push(e))
                .ok()
        });
    let note = body
        .value
        .note
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| {
            BoundedText::parse("note", v, TextRule::block(1, 2000))
                .map_err(|e| errors.push(e))
                .ok()
        });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let updated = ticket::answer(
        &state.db,
        state.notify(),
        &metrics,
        id,
        TicketAnswer {
            status,
            external_ref,
            note,
        },
        principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TicketView::new(
        &updated,
        &state.directory.current(),
        Utc::now(),
        None,
    )))
}

/// The party acknowledges its ticket; doing it twice is harmless.
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/acknowledge", tag = "tickets",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    request_body = TicketAnswerInput,
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<TicketAnswerInput>,
) -> Result<HttpResponse, ApiError> {
    answer(
        state,
        metrics,
        principal,
        path,
        body,
        TicketStatus::Acknowledged,
    )
    .await
}

/// The party has done what it could: the ticket is resolved.
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/resolve", tag = "tickets",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    request_body = TicketAnswerInput,
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn resolve(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<TicketAnswerInput>,
) -> Result<HttpResponse, ApiError> {
    answer(
        state,
        metrics,
        principal,
        path,
        body,
        TicketStatus::Resolved,
    )
    .await
}

/// The party declines the ticket (not theirs to handle).
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/reject", tag = "tickets",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    request_body = TicketAnswerInput,
    responses(
        (status = 200, description = "The ticket", body = TicketView),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn reject(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<TicketAnswerInput>,
) -> Result<HttpResponse, ApiError> {
    answer(
        state,
        metrics,
        principal,
        path,
        body,
        TicketStatus::Rejected,
    )
    .await
}

/// Queue a ticket's failed deliveries again with a fresh schedule.
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/redeliver", tag = "tickets",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "Queued again", body = Redelivered),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, description = "The incident's personal data was purged (rule `purged`): its messages are gone", body = crate::http::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn redeliver(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsWrite)?;
    let id = parse_id(&path)?;
    let ticket = visible_ticket(&state, &principal, id).await?;
    let requeued =
        ticket::redeliver(&state.db, &state.outbox, ticket.id, principal.actor()).await?;
    Ok(HttpResponse::Ok().json(Redelivered { requeued }))
}
