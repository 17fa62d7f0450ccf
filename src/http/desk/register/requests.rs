//! Declaration requests: those sent to committees of the scope with how many answered, the
//! form that sends one (every member of a committee's subtree is emailed a sign-in link),
//! and one request with its mail, who answered, who has not, and whose declarations are
//! stale.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Desk, Opt, broken, committee_choices, committee_name, done_text, local, not_found, redirect,
    shown,
};
use crate::{
    domain::{
        Named,
        delivery::DeliveryStatus,
        register::{AnswerState, MemberMailKind, RequestDraft},
    },
    http::{
        desk::{Who, actions::acting, directory::Fields},
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::Shown,
        },
        state::AppState,
    },
    usecases::register::{self as uc, RegisterError},
};

/// Requests listed at most.
const REQUESTS_SHOWN: u64 = 100;

/// A request in the list.
pub struct RequestLine {
    pub id: Uuid,
    pub committee: String,
    pub by: String,
    pub sent: String,
    pub deadline: String,
    pub asked: u64,
    pub answered: u64,
}

/// The form that sends a request, as typed.
#[derive(Default)]
struct Draft {
    committee: String,
    deadline: String,
    message: String,
    cq: String,
}

#[derive(Template)]
#[template(path = "desk/register/requests.html")]
struct RequestsPage {
    chrome: Chrome,
    who: Who,
    rows: Vec<RequestLine>,
    may_act: bool,
    csrf_token: String,
    committees: Vec<Opt>,
    draft: Draft,
    problems: Vec<Shown>,
}

impl RequestsPage {
    fn err(&self, id: &str) -> Option<&Shown> {
        crate::http::html::problems::of(&self.problems, id)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cq: Option<String>,
}

async fn render_list(
    state: &AppState,
    desk: &Desk,
    draft: Draft,
    problems: Vec<Shown>,
) -> Result<HttpResponse, PageError> {
    let requests = uc::requests(&state.db, &desk.scope, REQUESTS_SHOWN)
        .await
        .map_err(broken)?;
    let dir = state.directory.current();
    let tr = desk.tr();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RequestsPage {
        chrome: desk.chrome("desk-reg-requests-title", "/desk/register/requests"),
        who: Who::of(desk),
        rows: requests
            .iter()
            .map(|(r, asked, answered)| RequestLine {
                id: r.id,
                committee: committee_name(&dir, tr.0, &r.committee_id),
                by: r.created_by_name.clone(),
                sent: local(desk, &state.settings, r.created_at),
                deadline: local(desk, &state.settings, r.deadline),
                asked: *asked,
                answered: *answered,
            })
            .collect(),
        may_act: desk.may_act(),
        csrf_token: desk.csrf_token.clone(),
        committees: committee_choices(desk, &dir, &draft.cq, &draft.committee),
        draft,
        problems,
    };
    Ok(desk.respond(state, status, page::render(&page)))
}

#[tracing::instrument(skip_all)]
pub async fn requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let draft = Draft {
        cq: query.cq.clone().unwrap_or_default(),
        ..Default::default()
    };
    render_list(&state, &desk, draft, Vec::new()).await
}

/// Sends a declaration request; the dispatcher is woken to mail the members at once.
#[tracing::instrument(skip_all)]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::parse(&body);
    let desk = acting(&req, &state, &session, csrf, fields.token()).await?;
    let draft = Draft {
        committee: fields.get("committee").trim().to_owned(),
        deadline: fields.get("deadline").trim().to_owned(),
        message: fields.get("message").to_owned(),
        cq: fields.get("cq").to_owned(),
    };
    let started = uc::start_request(
        &state.db,
        &state.links,
        &state.settings,
        &state.directory.current(),
        &desk.officer,
        &desk.scope,
        &RequestDraft {
            committee: draft.committee.clone(),
            deadline: draft.deadline.clone(),
            message: draft.message.clone(),
        },
        Utc::now(),
    )
    .await;
    match started {
        Ok((request, asked)) => {
            state.outbox.wake();
            tracing::info!(user = %desk.officer.username, request = %request.id, asked, "declaration request sent");
            Ok(redirect(format!(
                "/desk/register/requests/{}?done=started&n={asked}",
                request.id
            )))
        }
        Err(RegisterError::Invalid(errors)) => {
            let problems = shown(desk.lang.locale, &errors);
            render_list(&state, &desk, draft, problems).await
        }
        Err(RegisterError::Db(error)) => Err(broken(error)),
        Err(RegisterError::NotFound | RegisterError::Conflict) => Err(broken(anyhow::anyhow!(
            "sending a request cannot miss or conflict"
        ))),
    }
}

// ---- one request ------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct RequestQuery {
    answered_after: Option<Uuid>,
    not_answered_after: Option<Uuid>,
    stale_after: Option<Uuid>,
    done: Option<String>,
    n: Option<u64>,
}

impl RequestQuery {
    fn after(&self, state: AnswerState) -> Option<Uuid> {
        match state {
            AnswerState::Answered => self.answered_after,
            AnswerState::NotAnswered => self.not_answered_after,
            AnswerState::Stale => self.stale_after,
        }
    }
}

/// A member asked by the request.
pub struct AskedLine {
    pub email: String,
    pub committee: String,
    pub answered: Option<String>,
    pub oldest_confirmation: Option<String>,
    pub stale: bool,
}

/// One of the request's three lists, with the link to its next page.
pub struct AskedList {
    pub state: &'static str,
    pub title: String,
    pub rows: Vec<AskedLine>,
    pub next: Option<String>,
}

/// The mail of a request of one kind, by status.
pub struct MailLine {
    pub kind: String,
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

#[derive(Template)]
#[template(path = "desk/register/request.html")]
struct RequestPage {
    chrome: Chrome,
    who: Who,
    committee: String,
    by: String,
    sent: String,
    deadline: String,
    message: String,
    asked: u64,
    answered: u64,
    reminder: String,
    reminded: bool,
    mail: Vec<MailLine>,
    lists: Vec<AskedList>,
    done: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let id: Uuid = path.parse().map_err(|_| not_found(&req))?;
    let (request, asked, answered) = uc::request(&state.db, &desk.scope, id)
        .await
        .map_err(broken)?
        .ok_or_else(|| not_found(&req))?;
    let dir = state.directory.current();
    let tr = desk.tr();
    let now = Utc::now();
    let size = state.settings.register.page_size;
    let mut lists = Vec::new();
    for answer in [
        AnswerState::NotAnswered,
        AnswerState::Answered,
        AnswerState::Stale,
    ] {
        let (rows, next) = uc::asked(
            &state.db,
            &state.settings,
            id,
            answer,
            query.after(answer),
            size,
            now,
        )
        .await
        .map_err(broken)?;
        let code = answer.as_str();
        lists.push(AskedList {
            state: code,
            title: tr.t(&format!("desk-reg-asked-{code}")),
            rows: rows
                .iter()
                .map(|a| AskedLine {
                    email: a.row.email.clone(),
                    committee: committee_name(&dir, tr.0, &a.row.committee_id),
                    answered: a
                        .row
                        .answered_at
                        .map(|at| local(&desk, &state.settings, at)),
                    oldest_confirmation: a
                        .oldest_confirmation
                        .map(|at| local(&desk, &state.settings, at)),
                    stale: a.state == AnswerState::Stale,
                })
                .collect(),
            next: next.map(|after| {
                format!("/desk/register/requests/{id}?{code}_after={after}#asked-{code}")
            }),
        });
    }
    let counts = uc::request_mail(&state.db, id).await.map_err(broken)?;
    let mail = MemberMailKind::ALL
        .iter()
        .filter(|k| **k != MemberMailKind::SignIn)
        .map(|kind| {
            let count = |status: DeliveryStatus| {
                counts
                    .iter()
                    .filter(|(k, s, _)| k == kind && *s == status)
                    .map(|(_, _, n)| n)
                    .sum()
            };
            MailLine {
                kind: tr.t(&format!("desk-reg-mail-{}", kind.as_str())),
                pending: count(DeliveryStatus::Pending),
                delivered: count(DeliveryStatus::Delivered),
                failed: count(DeliveryStatus::Failed),
            }
        })
        .collect();
    let page = RequestPage {
        chrome: desk.chrome(
            "desk-reg-request-title",
            &format!("/desk/register/requests/{id}"),
        ),
        who: Who::of(&desk),
        committee: committee_name(&dir, tr.0, &request.committee_id),
        by: request.created_by_name.clone(),
        sent: local(&desk, &state.settings, request.created_at),
        deadline: local(&desk, &state.settings, request.deadline),
        message: request.message.clone(),
        asked,
        answered,
        reminder: local(
            &desk,
            &state.settings,
            request.reminded_at.unwrap_or(request.remind_at),
        ),
        reminded: request.reminded_at.is_some(),
        mail,
        lists,
        done: done_text(tr.0, query.done.as_deref(), query.n),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}
