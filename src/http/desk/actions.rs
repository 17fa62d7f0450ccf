//! Officer actions from the desk. Each checks the role (viewers act on nothing), the CSRF
//! token and the officer's scope, runs one use case, and answers with a redirect back to
//! the page it came from; every change is on the timeline with the officer's name.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;
use uuid::Uuid;

use super::Desk;
use crate::http::html::error::PageError;
use crate::{
    domain::{BoundedText, IncidentStatus, RejectReason, TextRule},
    http::state::AppState,
    http::{extract::csrf::Csrf, html::page},
    usecases::desk,
    usecases::incident::{self, ActionError, NoteVisibility, StatusChange},
    usecases::ticket,
    usecases::{IncidentKey, Scope, queries},
};

/// The officer, when they may act and the form is theirs; otherwise the answer.
pub(super) async fn acting(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
    token: &str,
) -> Result<Desk, PageError> {
    let desk = Desk::of(req, state, session, csrf).await?;
    if !state.csrf.verify(&desk.csrf, token) {
        return Err(page::message(
            req,
            StatusCode::FORBIDDEN,
            "refused-title",
            &["refused-csrf"],
        )
        .into());
    }
    if !desk.may_act() {
        return Err(desk.read_only(req).into());
    }
    Ok(desk)
}

fn back(reference: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/desk/incidents/{reference}?done={done}"),
        ))
        .finish()
}

fn failed(req: &HttpRequest, error: ActionError) -> HttpResponse {
    match error {
        ActionError::NotFound => page::message(
            req,
            StatusCode::NOT_FOUND,
            "track-missing-title",
            &["desk-not-found"],
        ),
        ActionError::Transition(_) => page::message(
            req,
            StatusCode::CONFLICT,
            "desk-refused-title",
            &["error-transition"],
        ),
        ActionError::Invalid(errors) => {
            let keys: Vec<String> = errors
                .iter()
                .map(|e| format!("desk-error-{}", e.rule))
                .collect();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            page::message(
                req,
                StatusCode::UNPROCESSABLE_ENTITY,
                "desk-refused-title",
                &keys,
            )
        }
        ActionError::Storage(error) => PageError::answer("a desk action failed", error),
    }
}

/// The officer and the incident a form acts on.
async fn acting_on(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
    token: &str,
    reference: &str,
) -> Result<(Desk, IncidentKey), PageError> {
    let desk = acting(req, state, session, csrf, token).await?;
    match IncidentKey::parse(reference) {
        Some(key) => Ok((desk, key)),
        None => Err(not_found(req).into()),
    }
}

/// Back to the incident on success, else the reason.
fn answer<T>(
    req: &HttpRequest,
    reference: &str,
    done: &str,
    result: Result<T, ActionError>,
) -> HttpResponse {
    match result {
        Ok(_) => back(reference, done),
        Err(error) => failed(req, error),
    }
}

fn not_found(req: &HttpRequest) -> HttpResponse {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "track-missing-title",
        &["desk-not-found"],
    )
}

fn text(
    raw: &Option<String>,
    rule: TextRule,
    field: &str,
) -> Result<Option<BoundedText>, ActionError> {
    match raw.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => BoundedText::parse(field, v, rule)
            .map(Some)
            .map_err(|e| ActionError::Invalid(vec![e])),
        None => Ok(None),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf_token: String,
    status: Option<String>,
    reason: Option<String>,
    duplicate_of: Option<String>,
    note: Option<String>,
}

fn status_change(form: &StatusForm) -> Result<StatusChange, ActionError> {
    let invalid = |field: &str, rule: &'static str| {
        ActionError::Invalid(vec![crate::domain::FieldError::new(field, rule, rule)])
    };
    let status: IncidentStatus = form
        .status
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("status", "one_of"))?;
    let reason: Option<RejectReason> = form
        .reason
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(|r| r.parse().map_err(|_| invalid("reason", "one_of")))
        .transpose()?;
    if status == IncidentStatus::Rejected && reason.is_none() {
        return Err(invalid("reason", "required"));
    }
    let duplicate_of = match form
        .duplicate_of
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(raw) => {
            Some(IncidentKey::parse(raw).ok_or_else(|| invalid("duplicate_of", "reference"))?)
        }
        None => None,
    };
    if reason == Some(RejectReason::Duplicate) && duplicate_of.is_none() {
        return Err(invalid("duplicate_of", "required"));
    }
    Ok(StatusChange {
        status,
        reason: reason.filter(|_| status == IncidentStatus::Rejected),
        duplicate_of: duplicate_of.filter(|_| reason == Some(RejectReason::Duplicate)),
        note: text(&form.note, TextRule::block(1, 2000), "note")?,
    })
}

pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    let (desk, key) = acting_on(&req, &state, &session, csrf, &form.csrf_token, &path).await?;
    let change = match status_change(&form) {
        Ok(change) => change,
        Err(error) => return Ok(failed(&req, error)),
    };
    let result = incident::change_status(
        &state.db,
        state.notify(),
        &desk.scope,
        &key,
        change,
        desk.officer.actor(),
    )
    .await;
    Ok(answer(&req, &path, "status", result))
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf_token: String,
    text: Option<String>,
    visibility: Option<String>,
}

pub async fn note(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, PageError> {
    let (desk, key) = acting_on(&req, &state, &session, csrf, &form.csrf_token, &path).await?;
    let text = match text(&form.text, TextRule::block(1, 5000), "text") {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Ok(failed(
                &req,
                ActionError::Invalid(vec![crate::domain::FieldError::new(
                    "text", "required", "required",
                )]),
            ));
        }
        Err(error) => return Ok(failed(&req, error)),
    };
    let visibility = match form.visibility.as_deref() {
        Some("shared") => NoteVisibility::Shared,
        _ => NoteVisibility::Internal,
    };
    let result = incident::add_note(
        &state.db,
        state.notify(),
        &desk.scope,
        &key,
        text,
        visibility,
        desk.officer.actor(),
    )
    .await;
    Ok(answer(&req, &path, "note", result))
}

#[derive(Deserialize)]
pub struct PartyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    party: String,
}

pub async fn add_party(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    form: web::Form<PartyForm>,
) -> Result<HttpResponse, PageError> {
    let (desk, key) = acting_on(&req, &state, &session, csrf, &form.csrf_token, &path).await?;
    let result = desk::add_party(
        &state.db,
        state.notify(),
        &desk.scope,
        &key,
        &form.party,
        desk.officer.actor(),
    )
    .await;
    Ok(answer(&req, &path, "party", result))
}

#[derive(Deserialize)]
pub struct PlainForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn escalate(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, PageError> {
    let (desk, key) = acting_on(&req, &state, &session, csrf, &form.csrf_token, &path).await?;
    let result = desk::escalate(
        &state.db,
        state.notify(),
        &desk.scope,
        &key,
        desk.officer.actor(),
    )
    .await;
    Ok(answer(&req, &path, "escalated", result))
}

/// The ticket named in the path, only if it belongs to the incident of the path and the
/// incident is in the officer's scope.
async fn ticket_in(
    state: &AppState,
    scope: &Scope,
    reference: &str,
    ticket: Uuid,
) -> Result<Uuid, ActionError> {
    let key = IncidentKey::parse(reference).ok_or(ActionError::NotFound)?;
    let found = queries::ticket_of_incident(&state.db, scope, &key, ticket)
        .await?
        .ok_or(ActionError::NotFound)?;
    Ok(found.id)
}

pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, Uuid)>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, PageError> {
    let desk = acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    let (reference, ticket) = path.into_inner();
    let result = async {
        let ticket = ticket_in(&state, &desk.scope, &reference, ticket).await?;
        ticket::redeliver(&state.db, &state.outbox, ticket, desk.officer.actor()).await
    }
    .await;
    Ok(answer(&req, &reference, "resent", result))
}

pub async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, Uuid)>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, PageError> {
    let desk = acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    let (reference, ticket) = path.into_inner();
    let result = async {
        let ticket = ticket_in(&state, &desk.scope, &reference, ticket).await?;
        desk::send_test(
            &state.db,
            state.notify(),
            &desk.scope,
            ticket,
            desk.officer.actor(),
        )
        .await
    }
    .await;
    Ok(answer(&req, &reference, "tested", result))
}

/// Closes or rejects the incidents ticked in the queue; each one that cannot move is
/// left as it was and counted.
pub async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut token = String::new();
    let mut action = String::new();
    let mut reason = None;
    let mut ids = Vec::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf_token" => token = v.into_owned(),
            "action" => action = v.into_owned(),
            "reason" => reason = Some(v.into_owned()),
            "incident" => ids.extend(v.parse::<Uuid>().ok()),
            _ => {}
        }
    }
    let desk = acting(&req, &state, &session, csrf, &token).await?;
    let change = match action.as_str() {
        "close" => StatusChange {
            status: IncidentStatus::Closed,
            reason: None,
            duplicate_of: None,
            note: None,
        },
        "reject" => match reason
            .as_deref()
            .and_then(|r| r.parse::<RejectReason>().ok())
        {
            Some(reason) if reason != RejectReason::Duplicate => StatusChange {
                status: IncidentStatus::Rejected,
                reason: Some(reason),
                duplicate_of: None,
                note: None,
            },
            _ => {
                return Ok(failed(
                    &req,
                    ActionError::Invalid(vec![crate::domain::FieldError::new(
                        "reason", "required", "required",
                    )]),
                ));
            }
        },
        _ => {
            return Ok(failed(
                &req,
                ActionError::Invalid(vec![crate::domain::FieldError::new(
                    "action", "one_of", "one_of",
                )]),
            ));
        }
    };
    let (mut changed, mut refused) = (0u32, 0u32);
    for id in ids.iter().take(500) {
        let result = incident::change_status(
            &state.db,
            state.notify(),
            &desk.scope,
            &IncidentKey::Id(*id),
            change.clone(),
            desk.officer.actor(),
        )
        .await;
        match result {
            Ok(_) => changed += 1,
            Err(ActionError::Storage(error)) => {
                tracing::error!(%error, "a bulk change failed");
                refused += 1;
            }
            Err(_) => refused += 1,
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/desk?changed={changed}&refused={refused}"),
        ))
        .finish())
}

/// An officer writes to a ticket's party from the desk: sent by email (with the evidence
/// ticked, attached) and webhook.
pub async fn message(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut token = String::new();
    let (mut subject, mut text_raw, mut files) = (None, None, Vec::new());
    let mut unknown_file = false;
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf_token" => token = v.into_owned(),
            "subject" => subject = Some(v.into_owned()),
            "body" => text_raw = Some(v.into_owned()),
            "evidence" => match v.parse::<Uuid>() {
                Ok(id) => files.push(id),
                Err(_) => unknown_file = true,
            },
            _ => {}
        }
    }
    let desk = acting(&req, &state, &session, csrf, &token).await?;
    let (reference, ticket) = path.into_inner();
    let result = async {
        let ticket = ticket_in(&state, &desk.scope, &reference, ticket).await?;
        let subject = text(&subject, TextRule::line(1, 200), "subject")?;
        let text = text(&text_raw, TextRule::block(1, 5000), "body")?.ok_or_else(|| {
            ActionError::Invalid(vec![crate::domain::FieldError::new(
                "body", "required", "required",
            )])
        })?;
        if unknown_file {
            return Err(ActionError::Invalid(vec![crate::domain::FieldError::new(
                "evidence",
                "unknown_evidence",
                "must be the id of a file of this incident",
            )]));
        }
        let dir = state.directory.current();
        crate::usecases::correspondence::write(
            &crate::usecases::correspondence::MessageWriter {
                db: &state.db,
                dir: &dir,
                outbox: &state.outbox,
            },
            ticket,
            crate::usecases::correspondence::Writer::Officer(desk.officer.actor()),
            crate::usecases::correspondence::NewMessage {
                subject,
                body: text,
                evidence: files,
                channel: crate::domain::correspondence::MessageChannel::Desk,
            },
        )
        .await
    }
    .await;
    Ok(answer(&req, &reference, "message", result))
}

#[derive(Deserialize)]
pub struct MemberMessageForm {
    #[serde(default)]
    csrf_token: String,
    body: Option<String>,
}

/// An officer writes to the member from the desk.
pub async fn message_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    form: web::Form<MemberMessageForm>,
) -> Result<HttpResponse, PageError> {
    let (desk, key) = acting_on(&req, &state, &session, csrf, &form.csrf_token, &path).await?;
    let result = async {
        let body = text(&form.body, TextRule::block(1, 5000), "body")?.ok_or_else(|| {
            ActionError::Invalid(vec![crate::domain::FieldError::new(
                "body", "required", "required",
            )])
        })?;
        crate::usecases::correspondence::write_to_member(
            &state.db,
            &state.settings,
            &state.outbox,
            &desk.scope,
            &key,
            crate::usecases::correspondence::NewMessage {
                subject: None,
                body,
                evidence: Vec::new(),
                channel: crate::domain::correspondence::MessageChannel::Desk,
            },
            desk.officer.actor(),
        )
        .await
    }
    .await;
    Ok(answer(&req, &path, "message", result))
}
