//! The acknowledge page behind the signed link in a party's email. Opening the link
//! changes nothing (mail scanners open links); the form's POST acknowledges.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;

use crate::http::html::error::PageError;
use crate::http::{
    extract::csrf::{self, Csrf},
    extract::form::{Problem, urlencoded},
    extract::lang::Lang,
    html::page::{self, Chrome, Extras},
    html::problems::{self, Shown},
};
use crate::{
    channels::ack_link::AckLinkError,
    domain::{Actor, ActorKind, BoundedText, Locale, TextRule, TicketStatus},
    http::state::AppState,
    telemetry::metrics::Metrics,
    usecases::ticket::{self, TicketAnswer},
    usecases::{IncidentKey, Scope, TicketRow, queries},
};

struct TicketSummary {
    reference: String,
    party: String,
    kind: String,
    page: String,
    status: String,
    external_ref: Option<String>,
    open: bool,
}

#[derive(Template)]
#[template(path = "web/ack.html")]
struct AckPage {
    chrome: Chrome,
    message: Option<String>,
    problem: bool,
    ticket: Option<TicketSummary>,
    csrf_token: String,
    /// What was wrong with the form, per field, after a refused answer.
    problems: Vec<Shown>,
    /// The values sent, shown again after a refused answer.
    external_ref: String,
    note: String,
}

impl AckPage {
    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }
}

/// What the page says above the ticket: a message, or what was wrong with a refused
/// answer, with the values sent.
#[derive(Default)]
struct Said {
    message: Option<&'static str>,
    problems: Vec<Shown>,
    external_ref: String,
    note: String,
}

impl Said {
    fn message(key: &'static str) -> Self {
        Self {
            message: Some(key),
            ..Self::default()
        }
    }
}

/// The acknowledge form's fields, and the ones that could not be read.
#[derive(Debug, Default)]
pub struct AckForm {
    csrf_token: Option<String>,
    external_ref: Option<String>,
    note: Option<String>,
    unreadable: Vec<Problem>,
}

impl AckForm {
    fn read(body: &[u8]) -> Self {
        let (mut fields, unreadable) = urlencoded(body);
        Self {
            csrf_token: fields.remove("csrf_token"),
            external_ref: fields.remove("external_ref"),
            note: fields.remove("note"),
            unreadable,
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        crate::http::routes::at("/ack/{token}")
            .get(show)
            .post(acknowledge)
            .done(),
    );
}

/// The page in the party's language (the link is theirs, not the browser's).
fn respond(
    state: &AppState,
    req: &HttpRequest,
    csrf: &Csrf,
    status: StatusCode,
    locale: Locale,
    ticket: Option<TicketSummary>,
    refill: Said,
) -> HttpResponse {
    let title = if refill.problems.is_empty() {
        "ack-title"
    } else {
        "ack-title-error"
    };
    let chrome = Chrome::new(locale, title, req.path());
    let page = AckPage {
        message: refill.message.map(|key| chrome.tr.t(key)),
        problem: status.is_client_error() && refill.problems.is_empty(),
        ticket,
        csrf_token: state.csrf.token(csrf),
        chrome,
        problems: refill.problems,
        external_ref: refill.external_ref,
        note: refill.note,
    };
    match page::render(&page) {
        Some(body) => page::html(
            status,
            body,
            Extras {
                lang: None,
                csrf: Some(csrf),
                secure: state.settings.public_base_url.starts_with("https://"),
            },
        ),
        None => page::broken(),
    }
}

fn refused(state: &AppState, req: &HttpRequest, csrf: &Csrf, error: AckLinkError) -> HttpResponse {
    let (status, key) = match error {
        AckLinkError::Expired => (StatusCode::GONE, "ack-expired"),
        AckLinkError::Invalid => (StatusCode::NOT_FOUND, "ack-invalid"),
    };
    respond(
        state,
        req,
        csrf,
        status,
        Locale::Vi,
        None,
        Said::message(key),
    )
}

async fn load(
    state: &AppState,
    req: &HttpRequest,
    csrf: &Csrf,
    token: &str,
) -> Result<(TicketRow, Locale), PageError> {
    let id = state
        .ack
        .verify(token, Utc::now())
        .map_err(|e| PageError::from(refused(state, req, csrf, e)))?;
    match queries::ticket(&state.db, id).await {
        Ok(Some(ticket)) => {
            let locale = state
                .directory
                .current()
                .party(&ticket.party_id)
                .map(|p| p.locale)
                .unwrap_or_default();
            Ok((ticket, locale))
        }
        Ok(None) => Err(refused(state, req, csrf, AckLinkError::Invalid).into()),
        Err(error) => Err(PageError::broken(
            anyhow::Error::new(error).context("could not load a ticket for its acknowledge link"),
        )),
    }
}

fn is_open(ticket: &TicketRow) -> bool {
    ticket.status.is_open()
}

async fn summary(state: &AppState, locale: Locale, ticket: &TicketRow) -> Option<TicketSummary> {
    let incident = queries::incident(&state.db, &Scope::All, &IncidentKey::Id(ticket.incident_id))
        .await
        .ok()??;
    let tr = crate::domain::i18n::Tr(locale);
    let party = state.directory.current().name_of(&ticket.party_id, locale);
    Some(TicketSummary {
        reference: incident.reference,
        party,
        kind: tr.t(&format!("form-kind-{}", incident.kind)),
        page: incident
            .page_url
            .or(incident.page_handle)
            .unwrap_or_default(),
        status: tr.t(&format!("ticket-{}", ticket.status)),
        external_ref: ticket.external_ref.clone(),
        open: is_open(ticket),
    })
}

/// Shows what the link acknowledges. Changes nothing.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    csrf: Csrf,
    lang: Lang,
) -> Result<HttpResponse, PageError> {
    let (ticket, locale) = load(&state, &req, &csrf, &path).await?;
    // The party's language, unless the reader switched.
    let locale = if lang.remember { lang.locale } else { locale };
    let message = (!is_open(&ticket)).then_some("ack-already");
    let summary = summary(&state, locale, &ticket).await;
    Ok(respond(
        &state,
        &req,
        &csrf,
        StatusCode::OK,
        locale,
        summary,
        message.map(Said::message).unwrap_or_default(),
    ))
}

/// Acknowledges the ticket the link names, with the party's case number and a note.
pub async fn acknowledge(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    path: web::Path<String>,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = AckForm::read(&body);
    let (ticket, locale) = load(&state, &req, &csrf, &path).await?;
    let locale = req
        .cookie(crate::http::extract::lang::COOKIE)
        .and_then(|c| c.value().parse().ok())
        .unwrap_or(locale);
    let token = form.csrf_token.as_deref().unwrap_or_default();
    if !state.csrf.verify(&csrf, token) {
        tracing::info!(
            field = csrf::FIELD,
            "acknowledgement refused: bad CSRF token"
        );
        let summary = summary(&state, locale, &ticket).await;
        return Ok(respond(
            &state,
            &req,
            &csrf,
            StatusCode::FORBIDDEN,
            locale,
            summary,
            Said::message("refused-csrf"),
        ));
    }
    let mut refused = form.unreadable.clone();
    let mut clean = |field: &str, raw: &Option<String>, rule: TextRule| {
        let raw = raw.as_deref().filter(|v| !v.trim().is_empty())?;
        BoundedText::parse(field, raw, rule)
            .map_err(|error| refused.push(problems::from_field_error(&error)))
            .ok()
    };
    let answer = TicketAnswer {
        status: TicketStatus::Acknowledged,
        external_ref: clean("external_ref", &form.external_ref, TextRule::line(1, 100)),
        note: clean("note", &form.note, TextRule::block(1, 2000)),
    };
    if !refused.is_empty() {
        tracing::info!(
            fields = refused.len(),
            "acknowledgement refused: invalid fields"
        );
        let summary = summary(&state, locale, &ticket).await;
        let refill = Said {
            message: None,
            problems: problems::show(locale, refused),
            external_ref: form.external_ref.clone().unwrap_or_default(),
            note: form.note.clone().unwrap_or_default(),
        };
        return Ok(respond(
            &state,
            &req,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
            locale,
            summary,
            refill,
        ));
    }
    let actor = Actor {
        kind: ActorKind::Party,
        id: Some(ticket.party_id.clone()),
        name: state
            .directory
            .current()
            .party(&ticket.party_id)
            .map(|p| p.name.en.clone()),
    };
    let already = !is_open(&ticket);
    Ok(
        match ticket::answer(
            &state.db,
            state.notify(),
            &metrics,
            ticket.id,
            answer,
            actor,
        )
        .await
        {
            Ok(updated) => {
                let message = if already { "ack-already" } else { "ack-done" };
                let summary = summary(&state, locale, &updated).await;
                respond(
                    &state,
                    &req,
                    &csrf,
                    StatusCode::OK,
                    locale,
                    summary,
                    Said::message(message),
                )
            }
            Err(crate::usecases::incident::ActionError::Transition(_)) => {
                let summary = summary(&state, locale, &ticket).await;
                respond(
                    &state,
                    &req,
                    &csrf,
                    StatusCode::CONFLICT,
                    locale,
                    summary,
                    Said::message("ack-already"),
                )
            }
            Err(error) => PageError::answer("could not record an acknowledgement", error),
        },
    )
}
