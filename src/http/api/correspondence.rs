//! Correspondence over the API: raw mail from a mail service or `incident-desk mailgate`
//! (`POST /api/v1/inbound/email`), and the messages of a ticket's conversation.

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    auth::ApiPrincipal,
    tickets::{parse_id, visible_ticket},
};
use crate::{
    domain::{
        Actor, ActorKind, BoundedText, FieldError, TextRule,
        access::ApiScope,
        correspondence::{InboundVia, MessageChannel, Waiting},
        webhook::WebhookMessage,
    },
    http::{
        error::ApiError,
        extract::json::{JsonBody, read_limited},
        state::AppState,
    },
    usecases::{
        IncidentKey,
        correspondence::{self, MessageWriter, NewMessage, ReceiveError, Received, Writer},
        queries,
    },
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(at("/inbound/email").post(inbound_email).done())
        .service(at("/inbound/unmatched").get(list_unmatched).done())
        .service(
            at("/incidents/{id}/messages")
                .get(member_messages)
                .post(write_member)
                .done(),
        )
        .service(at("/inbound/{id}/attach").post(attach_mail).done())
        .service(at("/inbound/{id}/discard").post(discard_mail).done())
        .service(
            at("/tickets/{id}/messages")
                .get(list_messages)
                .post(post_message)
                .done(),
        );
}

/// A raw RFC 5322 message, read up to `email.inbound.max_message_bytes`.
pub struct RawMail(web::Bytes);

impl FromRequest for RawMail {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_mail = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                (m.type_() == "message" && m.subtype() == "rfc822")
                    || (m.type_() == mime::APPLICATION && m.subtype() == mime::OCTET_STREAM)
            });
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let mut payload = payload.take();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            if !is_mail {
                return Err(ApiError::UnsupportedMediaType("message/rfc822"));
            }
            let limit = state.settings.email.inbound.max_message_bytes;
            let raw =
                read_limited(&mut payload, limit, state.settings.server.body_read_timeout).await?;
            Ok(RawMail(raw))
        })
    }
}

/// Who the mail server was delivering to, when the way in knows (a pipe transport's
/// `${original_recipient}`): comma-separated addresses.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Envelope {
    /// The envelope recipients, comma-separated.
    pub recipient: Option<String>,
    /// How the mail came: `http` (the default) or `mailgate`.
    pub via: Option<InboundVia>,
}

impl From<ReceiveError> for ApiError {
    fn from(e: ReceiveError) -> Self {
        match e {
            ReceiveError::TooLarge { limit, .. } => ApiError::PayloadTooLarge(limit),
            ReceiveError::NotAMessage(problem) => ApiError::Validation(vec![FieldError::new(
                "body",
                match problem {
                    crate::domain::correspondence::MailError::NotAMessage => "not_a_message",
                    crate::domain::correspondence::MailError::NoSender => "no_sender",
                },
                problem.to_string(),
            )]),
            ReceiveError::Storage(e) => ApiError::Internal(e.into()),
            ReceiveError::Files(e) => ApiError::Internal(e.into()),
        }
    }
}

/// Takes one raw mail, as a mail service or `incident-desk mailgate` forwards it. The same
/// mail twice (same bytes or Message-ID) is stored once: the second answer is 200 with
/// `duplicate`. Mail that cannot be matched or trusted is kept in the unmatched queue.
#[utoipa::path(
    post, path = "/api/v1/inbound/email", tag = "correspondence",
    params(Envelope),
    request_body(
        description = "The whole message, headers and body, as received (`message/rfc822`, or the same bytes as `application/octet-stream`)",
        content((String = "message/rfc822"), (String = "application/octet-stream"))
    ),
    responses(
        (status = 201, description = "Stored: on its ticket, or in the unmatched queue", body = Received),
        (status = 200, description = "Already stored; nothing changed", body = Received),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 413, response = crate::http::error::answers::TooLarge),
        (status = 415, response = crate::http::error::answers::UnsupportedMediaType),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["mail:inbound"]))
)]
pub async fn inbound_email(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<Envelope>,
    raw: RawMail,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::MailInbound)?;
    let envelope: Vec<String> = query
        .recipient
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty())
        .take(20)
        .collect();
    let via = match query.via {
        Some(InboundVia::Mailgate) => InboundVia::Mailgate,
        _ => InboundVia::Http,
    };
    let dir = state.directory.current();
    let received = correspondence::receive(&state.mailroom(&dir), raw.0, via, &envelope).await?;
    Ok(if received.duplicate {
        HttpResponse::Ok().json(received)
    } else {
        HttpResponse::Created().json(received)
    })
}

/// A message for a ticket's conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "subject": "Page restored?", "body": "Could you confirm that the page is back with its owner?", "evidence": [] }))]
pub struct MessageInput {
    /// One line, 1 to 200 characters; `[INC-…]` when left out.
    #[schema(max_length = 200)]
    pub subject: Option<String>,
    /// 1 to 5,000 characters.
    #[schema(max_length = 5000, min_length = 1)]
    pub body: String,
    /// Evidence files of the incident to send with it (officers only).
    #[serde(default)]
    pub evidence: Vec<Uuid>,
}

/// A ticket's conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView {
    pub ticket_id: Uuid,
    /// Whose move it is.
    pub waiting: Waiting,
    /// Party messages no officer has read.
    pub unread: i32,
    /// Oldest first.
    pub messages: Vec<WebhookMessage>,
}

/// The ticket's conversation, both ways, oldest first. An officer's key reading it marks
/// the party's messages read.
#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/messages", tag = "correspondence",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The conversation", body = ThreadView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn list_messages(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if principal.party.is_none() {
        principal.require(ApiScope::IncidentsRead)?;
    }
    let ticket = visible_ticket(&state, &principal, parse_id(&path)?).await?;
    let officer = principal.party.is_none();
    let thread =
        correspondence::ticket_thread(&state.db, ticket.incident_id, ticket.id, officer).await?;
    Ok(HttpResponse::Ok().json(ThreadView {
        ticket_id: ticket.id,
        waiting: ticket.waiting,
        unread: if officer { 0 } else { ticket.unread },
        messages: thread
            .messages
            .iter()
            .map(|m| correspondence::message_view(m, &thread.evidence))
            .collect(),
    }))
}

/// Writes on a ticket's conversation. An officer's key writes to the party (by email and
/// webhook, with the evidence chosen); the ticket then waits on the party. The party's own
/// key writes to the desk; the ticket then waits on the desk, unread.
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/messages", tag = "correspondence",
    params(("id" = Uuid, Path, description = "The ticket's id")),
    request_body = MessageInput,
    responses(
        (status = 201, description = "The message", body = WebhookMessage),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 413, response = crate::http::error::answers::TooLarge),
        (status = 415, response = crate::http::error::answers::NotJson),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn post_message(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::TicketsWrite)?;
    let ticket = visible_ticket(&state, &principal, parse_id(&path)?).await?;
    let message = message_of(body.value)?;
    let writer = match &principal.party {
        Some(party) => Writer::Party(Actor {
            kind: ActorKind::Party,
            id: Some(party.clone()),
            name: Some(principal.name.clone()),
        }),
        None => Writer::Officer(principal.actor()),
    };
    let dir = state.directory.current();
    let row = correspondence::write(
        &MessageWriter {
            db: &state.db,
            dir: &dir,
            outbox: &state.outbox,
        },
        ticket.id,
        writer,
        message,
    )
    .await?;
    let files = queries::evidence(&state.db, ticket.incident_id).await?;
    Ok(HttpResponse::Created().json(correspondence::message_view(&row, &files)))
}

/// Only a key that reaches every committee handles the unmatched queue: its mail may be
/// about anyone.
fn require_everyone(principal: &ApiPrincipal, scope: ApiScope) -> Result<(), ApiError> {
    principal.require(scope)?;
    if principal.party.is_some() || principal.scope != crate::usecases::Scope::All {
        return Err(ApiError::Forbidden(
            "only a key bound to no committee or party handles the unmatched queue".to_owned(),
        ));
    }
    Ok(())
}

/// A mail in the unmatched queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedView {
    pub id: Uuid,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub via: InboundVia,
    pub sender: String,
    pub subject: String,
    pub kind: crate::domain::correspondence::MailKind,
    #[schema(required = true)]
    pub reason: Option<crate::domain::correspondence::UnmatchedReason>,
    /// What the reason means.
    pub reason_text: Option<&'static str>,
    /// The incident its subject names, when it names one.
    #[schema(required = true)]
    pub incident_id: Option<Uuid>,
    /// `dmarc=` of its Authentication-Results.
    #[schema(required = true)]
    pub dmarc: Option<String>,
}

/// A page of the unmatched queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedPage {
    /// Newest first.
    pub mails: Vec<UnmatchedView>,
    /// Pass as `before` for the next page; null on the last.
    #[schema(required = true)]
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnmatchedQuery {
    /// The `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 100; 50 by default.
    pub limit: Option<u64>,
}

/// Mail that matched no ticket or could not be trusted, newest first, with the reason.
#[utoipa::path(
    get, path = "/api/v1/inbound/unmatched", tag = "correspondence",
    params(UnmatchedQuery),
    responses(
        (status = 200, description = "The unmatched queue", body = UnmatchedPage),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn list_unmatched(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<UnmatchedQuery>,
) -> Result<HttpResponse, ApiError> {
    require_everyone(&principal, ApiScope::IncidentsRead)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::Validation(vec![
            FieldError::new("limit", "out_of_range", "must be between 1 and 100")
                .with_limit(100u64),
        ]));
    }
    let rows = correspondence::unmatched(&state.db, query.before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    let mails: Vec<UnmatchedView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| UnmatchedView {
            id: r.id,
            received_at: r.received_at,
            via: r.via,
            sender: r.sender,
            subject: r.subject,
            kind: r.kind,
            reason: r.reason,
            reason_text: r.reason.map(|r| r.meaning()),
            incident_id: r.incident_id,
            dmarc: r.dmarc,
        })
        .collect();
    let next_before = if more {
        mails.last().map(|m| m.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(UnmatchedPage { mails, next_before }))
}

/// Where to attach an unmatched mail: a ticket, or the member's side of an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachInput {
    /// The ticket whose conversation it joins.
    pub ticket_id: Option<Uuid>,
    /// Or the incident whose member wrote it.
    pub member_of_incident: Option<Uuid>,
}

impl From<correspondence::HandleError> for ApiError {
    fn from(e: correspondence::HandleError) -> Self {
        use correspondence::HandleError;
        match e {
            HandleError::NotFound => ApiError::NotFound("mail"),
            HandleError::NoTarget => ApiError::Validation(vec![FieldError::new(
                "ticket_id",
                "not_found",
                "no such ticket or incident",
            )]),
            HandleError::AlreadyHandled(status) => ApiError::Conflict {
                code: "already_handled",
                message: format!("this mail is already {status}"),
            },
            HandleError::Receive(e) => e.into(),
        }
    }
}

/// Attaches an unmatched mail: it lands on the ticket as if it had matched.
#[utoipa::path(
    post, path = "/api/v1/inbound/{id}/attach", tag = "correspondence",
    params(("id" = Uuid, Path, description = "The mail's id")),
    request_body = AttachInput,
    responses(
        (status = 200, description = "Attached", body = Received),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
        (status = 413, response = crate::http::error::answers::TooLarge),
        (status = 415, response = crate::http::error::answers::NotJson),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn attach_mail(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<AttachInput>,
) -> Result<HttpResponse, ApiError> {
    require_everyone(&principal, ApiScope::TicketsWrite)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound("mail"))?;
    let to = match (body.value.ticket_id, body.value.member_of_incident) {
        (Some(ticket), None) => correspondence::AttachTo::Ticket(ticket),
        (None, Some(incident)) => correspondence::AttachTo::Member(incident),
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "ticket_id",
                "one_of",
                "give exactly one of ticket_id and member_of_incident",
            )]));
        }
    };
    let dir = state.directory.current();
    let received = correspondence::attach(&state.mailroom(&dir), id, to, &principal.name).await?;
    Ok(HttpResponse::Ok().json(received))
}

/// Discards an unmatched mail; it stays stored, marked discarded.
#[utoipa::path(
    post, path = "/api/v1/inbound/{id}/discard", tag = "correspondence",
    params(("id" = Uuid, Path, description = "The mail's id")),
    responses(
        (status = 204, description = "Discarded"),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 409, response = crate::http::error::answers::Conflict),
    ),
    security(("api_key" = ["tickets:write"]))
)]
pub async fn discard_mail(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_everyone(&principal, ApiScope::TicketsWrite)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound("mail"))?;
    correspondence::discard(&state.db, id, &principal.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The member's side of an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberThreadView {
    pub incident_id: Uuid,
    /// Oldest first: what officers wrote to the member and what the member wrote back.
    pub messages: Vec<WebhookMessage>,
}

/// The conversation with the member who filed the incident.
#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/messages", tag = "correspondence",
    params(("id" = String, Path, description = "The incident's id or reference")),
    responses(
        (status = 200, description = "The member's conversation", body = MemberThreadView),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["incidents:read"]))
)]
pub async fn member_messages(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsRead)?;
    let key = IncidentKey::parse(&path).ok_or(ApiError::NotFound("incident"))?;
    let incident = queries::incident(&state.db, &principal.scope, &key)
        .await?
        .ok_or(ApiError::NotFound("incident"))?;
    let messages = correspondence::member_thread(&state.db, incident.id).await?;
    let files = queries::evidence(&state.db, incident.id).await?;
    Ok(HttpResponse::Ok().json(MemberThreadView {
        incident_id: incident.id,
        messages: messages
            .iter()
            .map(|m| correspondence::message_view(m, &files))
            .collect(),
    }))
}

/// Writes to the member who filed the incident: shown on their tracking page and emailed
/// (per `notifications.member_updates`) with a reply address. Every open ticket's
/// acknowledgement clock pauses until the member answers.
#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/messages", tag = "correspondence",
    params(("id" = String, Path, description = "The incident's id or reference")),
    request_body = MessageInput,
    responses(
        (status = 201, description = "The message", body = WebhookMessage),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 413, response = crate::http::error::answers::TooLarge),
        (status = 415, response = crate::http::error::answers::NotJson),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["incidents:write"]))
)]
pub async fn write_member(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    body: JsonBody<MessageInput>,
) -> Result<HttpResponse, ApiError> {
    principal.require(ApiScope::IncidentsWrite)?;
    if principal.party.is_some() {
        return Err(ApiError::Forbidden(
            "a party's key writes on its own ticket, not to the member".to_owned(),
        ));
    }
    let key = IncidentKey::parse(&path).ok_or(ApiError::NotFound("incident"))?;
    let message = message_of(body.value)?;
    let row = correspondence::write_to_member(
        &state.db,
        &state.settings,
        &state.outbox,
        &principal.scope,
        &key,
        message,
        principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(correspondence::message_view(&row, &[])))
}

/// A message's fields checked, every broken one named.
fn message_of(input: MessageInput) -> Result<NewMessage, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let subject = input
        .subject
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| {
            BoundedText::parse("subject", s, TextRule::line(1, 200))
                .map_err(|e| errors.push(e))
                .ok()
        });
    let text = BoundedText::parse("body", &input.body, TextRule::block(1, 5000))
        .map_err(|e| errors.push(e))
        .ok();
    if input.evidence.len() > 20 {
        errors.push(FieldError::new("evidence", "too_many", "at most 20 files").with_limit(20u64));
    }
    match text.filter(|_| errors.is_empty()) {
        Some(body) => Ok(NewMessage {
            subject,
            body,
            evidence: input.evidence,
            channel: MessageChannel::Api,
        }),
        None => Err(ApiError::Validation(errors)),
    }
}
