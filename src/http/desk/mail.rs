//! The unmatched mail queue on the desk: mail no ticket could be trusted with, each with
//! the reason, for an officer who reaches every committee to attach to a ticket (or to the
//! member's side of an incident) or to discard.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{Desk, Who, queue::local_time};
use crate::{
    domain::{Named, correspondence::fold_quoted},
    http::{
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
        },
        state::AppState,
    },
    usecases::{IncidentKey, Scope, correspondence, queries},
};

/// How many mails one page lists.
const PAGE: u64 = 50;

pub struct MailRow {
    pub id: Uuid,
    pub at: String,
    pub sender: String,
    pub subject: String,
    pub reason: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "desk/mail.html")]
struct MailList {
    chrome: Chrome,
    who: Who,
    rows: Vec<MailRow>,
    next: Option<Uuid>,
    done: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "desk/mail_one.html")]
struct MailPage {
    chrome: Chrome,
    who: Who,
    id: Uuid,
    at: String,
    sender: String,
    subject: String,
    reason: String,
    dmarc: String,
    status: String,
    lines: Vec<String>,
    quoted: String,
    lookup: String,
    incident: Option<String>,
    choices: Vec<Choice>,
    unmatched: bool,
    csrf_token: String,
}

/// Only an officer who reaches every committee reads unmatched mail: it may be about anyone.
async fn everyone(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
) -> Result<Desk, PageError> {
    let desk = Desk::of(req, state, session, csrf).await?;
    if desk.scope != Scope::All {
        return Err(PageError::from(page::message(
            req,
            StatusCode::FORBIDDEN,
            "desk-read-only-title",
            &["desk-mail-admins-only"],
        )));
    }
    Ok(desk)
}

#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<Uuid>,
    done: Option<String>,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = everyone(&req, &state, &session, csrf).await?;
    let tr = desk.tr();
    let rows = correspondence::unmatched(&state.db, query.before, PAGE + 1)
        .await
        .map_err(|e| PageError::broken(anyhow::Error::new(e).context("unmatched mail")))?;
    let more = rows.len() as u64 > PAGE;
    let rows: Vec<MailRow> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| MailRow {
            id: r.id,
            at: local_time(&state.settings, tr.0, r.received_at),
            sender: r.sender,
            subject: r.subject,
            reason: r
                .reason
                .map(|reason| tr.t(&format!("desk-mail-reason-{}", reason.as_str())))
                .unwrap_or_default(),
            kind: tr.t(&format!("desk-mail-kind-{}", r.kind.as_str())),
        })
        .collect();
    let page = MailList {
        chrome: desk.chrome("desk-mail-title", "/desk/mail"),
        who: Who::of(&desk),
        next: if more {
            rows.last().map(|r| r.id)
        } else {
            None
        },
        rows,
        done: query
            .done
            .as_deref()
            .and_then(|d| crate::domain::i18n::try_text(tr.0, &format!("desk-done-mail-{d}"))),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

#[derive(Deserialize)]
pub struct OneQuery {
    reference: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<Uuid>,
    query: web::Query<OneQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = everyone(&req, &state, &session, csrf).await?;
    let tr = desk.tr();
    let lookup = query
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .and_then(IncidentKey::parse);
    let found = correspondence::mail_for_officer(&state.db, &state.files, *path, lookup.as_ref())
        .await
        .map_err(|e| PageError::broken(e.context("an inbound mail")))?;
    let Some(found) = found else {
        return Err(PageError::from(page::message(
            &req,
            StatusCode::NOT_FOUND,
            "track-missing-title",
            &["desk-not-found"],
        )));
    };
    let dir = state.directory.current();
    let (lines, quoted) = found
        .mail
        .as_ref()
        .map(|m| fold_quoted(&m.text))
        .unwrap_or_default();
    let mut choices: Vec<Choice> = found
        .tickets
        .iter()
        .map(|t| Choice {
            value: format!("ticket:{}", t.id),
            label: dir.name_of(&t.party_id, tr.0),
        })
        .collect();
    if let Some(incident) = &found.incident {
        choices.push(Choice {
            value: format!("member:{}", incident.id),
            label: tr.t("desk-mail-to-member"),
        });
    }
    let row = &found.row;
    let page = MailPage {
        chrome: desk.chrome("desk-mail-one-title", &format!("/desk/mail/{}", row.id)),
        who: Who::of(&desk),
        id: row.id,
        at: local_time(&state.settings, tr.0, row.received_at),
        sender: row.sender.clone(),
        subject: row.subject.clone(),
        reason: row
            .reason
            .map(|reason| tr.t(&format!("desk-mail-reason-{}", reason.as_str())))
            .unwrap_or_default(),
        dmarc: row
            .dmarc
            .clone()
            .unwrap_or_else(|| tr.t("desk-mail-dmarc-none")),
        status: tr.t(&format!("desk-mail-status-{}", row.status.as_str())),
        lines: lines.lines().map(str::to_owned).collect(),
        quoted,
        lookup: query
            .reference
            .clone()
            .or_else(|| found.incident.as_ref().map(|i| i.reference.clone()))
            .unwrap_or_default(),
        incident: found.incident.as_ref().map(|i| i.reference.clone()),
        choices,
        unmatched: row.status == crate::domain::correspondence::InboundStatus::Unmatched,
        csrf_token: desk.csrf_token.clone(),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

#[derive(Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    csrf_token: String,
    to: Option<String>,
}

fn refused(req: &HttpRequest, status: StatusCode, key: &str) -> HttpResponse {
    page::message(req, status, "desk-refused-title", &[key])
}

pub async fn attach(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<Uuid>,
    form: web::Form<HandleForm>,
) -> Result<HttpResponse, PageError> {
    let desk = super::actions::acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    if desk.scope != Scope::All {
        return Ok(refused(
            &req,
            StatusCode::FORBIDDEN,
            "desk-mail-admins-only",
        ));
    }
    let to = form.to.as_deref().and_then(|to| {
        let (kind, id) = to.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "ticket" => Some(correspondence::AttachTo::Ticket(id)),
            "member" => Some(correspondence::AttachTo::Member(id)),
            _ => None,
        }
    });
    let Some(to) = to else {
        return Ok(refused(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            "desk-mail-choose",
        ));
    };
    let dir = state.directory.current();
    let received = match correspondence::attach(
        &state.mailroom(&dir),
        *path,
        to,
        &desk.officer.username,
    )
    .await
    {
        Ok(received) => received,
        Err(error) => return not_handled(&req, error),
    };
    let incident = match received.incident_id {
        Some(id) => queries::incident(&state.db, &Scope::All, &IncidentKey::Id(id))
            .await
            .map_err(|e| PageError::broken(anyhow::Error::new(e).context("an attached mail")))?,
        None => None,
    };
    let reference = incident.map(|i| i.reference).unwrap_or_default();
    Ok(HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("/desk/incidents/{reference}?done=attached"),
        ))
        .finish())
}

pub async fn discard(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<Uuid>,
    form: web::Form<HandleForm>,
) -> Result<HttpResponse, PageError> {
    let desk = super::actions::acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    if desk.scope != Scope::All {
        return Ok(refused(
            &req,
            StatusCode::FORBIDDEN,
            "desk-mail-admins-only",
        ));
    }
    match correspondence::discard(&state.db, *path, &desk.officer.username).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/desk/mail?done=discarded"))
            .finish()),
        Err(error) => not_handled(&req, error),
    }
}

/// The page for a mail that could not be attached or discarded.
fn not_handled(
    req: &HttpRequest,
    error: correspondence::HandleError,
) -> Result<HttpResponse, PageError> {
    use correspondence::HandleError;
    match error {
        HandleError::AlreadyHandled(_) => {
            Ok(refused(req, StatusCode::CONFLICT, "desk-mail-handled"))
        }
        HandleError::NotFound | HandleError::NoTarget => {
            Ok(refused(req, StatusCode::NOT_FOUND, "desk-not-found"))
        }
        HandleError::Receive(error) => Err(PageError::broken(
            anyhow::Error::new(error).context("could not handle an unmatched mail"),
        )),
    }
}
