//! "My pages": the member's declared pages, the form that declares or edits one (every
//! field of the organisation's rule), closing a page, a page's history, choosing a
//! committee (search by name, no script), and confirming the declaration.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::{Me, broken, redirect};
use crate::{
    domain::{
        FieldError, Locale, Named,
        i18n::{self, Tr},
        register::{
            AdminRole, ApproxDate, Declaration, DeclarationDraft, MAX_ROWS, PageStatus,
            today_in_vietnam,
        },
    },
    http::{
        extract::{csrf::Csrf, form::urlencoded},
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::{self, Shown},
        },
        state::AppState,
    },
    usecases::register::{self as uc, PageRow, RegisterError, VersionRow},
};

/// Blank rows offered below the filled ones for administrators and memberships.
const BLANK_ROWS: usize = 2;

fn local(at: chrono::DateTime<Utc>) -> String {
    (at + chrono::TimeDelta::hours(7))
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn not_found(req: &HttpRequest) -> PageError {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "register-missing-title",
        &["register-missing"],
    )
    .into()
}

/// The problems of a form in the member's language, one per field, labelled.
fn shown(locale: Locale, errors: &[FieldError]) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    for e in errors {
        let id = problems::field_id(&e.field);
        if out.iter().any(|s| s.id == id) {
            continue;
        }
        let limit = e.limit.map(|l| l.to_string()).unwrap_or_default();
        let args: &[(&'static str, &str)] = &[("limit", limit.as_str())];
        let message = i18n::try_text_with(locale, &format!("register-error-{}", e.rule), args)
            .or_else(|| i18n::try_text_with(locale, &format!("error-{}", e.rule), args))
            .unwrap_or_else(|| i18n::text(locale, "error-invalid"));
        let label = i18n::try_text(locale, &format!("register-field-{id}")).unwrap_or(id.clone());
        out.push(Shown { id, label, message });
    }
    out
}

/// A declared page in a list.
pub struct PageLine {
    pub id: String,
    pub name: String,
    pub url: String,
    pub platform: String,
    pub status: String,
    pub closed: bool,
    pub updated: String,
}

fn line(tr: Tr, p: &PageRow) -> PageLine {
    PageLine {
        id: p.id.to_string(),
        name: p.declaration.name.clone(),
        url: p.declaration.url.clone(),
        platform: tr.w("platform", p.declaration.platform.as_str()),
        status: tr.t(&format!(
            "register-status-{}",
            p.declaration.status.as_str()
        )),
        closed: p.declaration.status == PageStatus::Closed,
        updated: local(p.updated_at),
    }
}

// ---- index ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/register/index.html")]
struct IndexPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    committee: Option<String>,
    committee_confirmed: bool,
    pages: Vec<PageLine>,
    /// Open requests: (committee name, deadline).
    requests: Vec<(String, String)>,
    confirmed_at: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let tr = me.tr();
    let dir = state.directory.current();
    let pages = uc::my_pages(&state.db, &me.member).await.map_err(broken)?;
    let requests = uc::open_requests(&state.db, &me.member)
        .await
        .map_err(broken)?;
    let name_of = |id: &str| dir.name_of(id, me.lang.locale);
    let done = query
        .done
        .as_deref()
        .filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .and_then(|d| i18n::try_text(me.lang.locale, &format!("register-done-{d}")));
    let page = IndexPage {
        chrome: me.chrome("register-title", "/me"),
        csrf_token: me.csrf_token.clone(),
        email: me.member.email.clone(),
        committee: me.member.committee_id.as_deref().map(name_of),
        committee_confirmed: me.member.committee_confirmed_at.is_some(),
        pages: pages.iter().map(|p| line(tr, p)).collect(),
        requests: requests
            .iter()
            .map(|r| (name_of(&r.committee_id), local(r.deadline)))
            .collect(),
        confirmed_at: me.member.confirmed_at.map(local),
        done,
    };
    Ok(me.respond(&state, StatusCode::OK, page::render(&page)))
}

// ---- the declaration form ---------------------------------------------------------------

/// A choice of a radio group or select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One row of a repeated group: its index and its two values.
pub struct Row {
    pub i: usize,
    pub a: String,
    pub b: String,
}

#[derive(Template)]
#[template(path = "web/register/page_form.html")]
struct PageForm {
    chrome: Chrome,
    csrf_token: String,
    heading: String,
    action: String,
    back: String,
    version: i32,
    values: HashMap<String, String>,
    statuses: Vec<Choice>,
    roles: Vec<String>,
    role_labels: Vec<String>,
    admins: Vec<Row>,
    memberships: Vec<Row>,
    problems: Vec<Shown>,
}

impl PageForm {
    fn v(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }

    fn hint(&self, name: &str) -> Option<String> {
        i18n::try_text(self.chrome.tr.0, &format!("register-hint-{name}"))
    }

    fn role_selected(&self, row: &Row, role: &str) -> bool {
        row.b == role
    }
}

/// The form's values of a draft, by field name.
fn values_of(d: &DeclarationDraft, today: chrono::NaiveDate) -> HashMap<String, String> {
    let (day, month, year) = ApproxDate::parse("created_on", &d.created_on, today)
        .map(|a| a.parts())
        .unwrap_or_default();
    HashMap::from([
        ("name".to_owned(), d.name.clone()),
        ("url".to_owned(), d.url.clone()),
        ("created_day".to_owned(), day),
        ("created_month".to_owned(), month),
        ("created_year".to_owned(), year),
        ("purpose".to_owned(), d.purpose.clone()),
        ("status".to_owned(), d.status.clone()),
        ("linked_phone".to_owned(), d.linked_phone.clone()),
        ("linked_email".to_owned(), d.linked_email.clone()),
    ])
}

/// The draft of a posted form: every field as typed.
fn draft_of(f: &HashMap<String, String>) -> (DeclarationDraft, Option<FieldError>) {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let rows = |prefix: &str, a: &str, b: &str| -> Vec<(String, String)> {
        (0..MAX_ROWS + BLANK_ROWS + 10)
            .map(|i| {
                (
                    get(&format!("{prefix}[{i}].{a}")),
                    get(&format!("{prefix}[{i}].{b}")),
                )
            })
            .collect()
    };
    let today = today_in_vietnam(Utc::now());
    let (created_on, date_error) = match ApproxDate::from_parts(
        "created_on",
        &get("created_day"),
        &get("created_month"),
        &get("created_year"),
        today,
    ) {
        Ok(date) => (date.map(|d| d.to_string()).unwrap_or_default(), None),
        Err(e) => (String::new(), Some(e)),
    };
    (
        DeclarationDraft {
            name: get("name"),
            url: get("url"),
            created_on,
            purpose: get("purpose"),
            status: get("status"),
            closed_on: get("closed_on"),
            closed_reason: get("closed_reason"),
            deleted_on_platform: f.get("deleted_on_platform").is_some_and(|v| v == "yes"),
            linked_phone: get("linked_phone"),
            linked_email: get("linked_email"),
            admins: rows("admins", "account", "role"),
            memberships: rows("memberships", "name", "url"),
        },
        date_error,
    )
}

/// Filled rows, then blank ones (`extra` more when the member asked for more rows).
fn rows_of(pairs: &[(String, String)], extra: usize) -> Vec<Row> {
    let filled: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(a, b)| !(a.trim().is_empty() && b.trim().is_empty()))
        .collect();
    let total = (filled.len() + BLANK_ROWS + extra).min(MAX_ROWS);
    (0..total)
        .map(|i| {
            let (a, b) = filled
                .get(i)
                .map_or((String::new(), String::new()), |(a, b)| {
                    (a.clone(), b.clone())
                });
            Row { i, a, b }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    me: &Me,
    state: &AppState,
    status: StatusCode,
    editing: Option<&PageRow>,
    draft: &DeclarationDraft,
    extra_rows: usize,
    problems: Vec<Shown>,
    values: Option<HashMap<String, String>>,
) -> HttpResponse {
    let tr = me.tr();
    let (heading, action, back, version) = match editing {
        Some(p) => (
            tr.t1("register-edit-title", "name", &p.declaration.name),
            format!("/me/pages/{}/edit", p.id),
            format!("/me/pages/{}", p.id),
            p.version,
        ),
        None => (
            tr.t("register-new-title"),
            "/me/pages/new".to_owned(),
            "/me".to_owned(),
            0,
        ),
    };
    let title = match (problems.is_empty(), editing.is_some()) {
        (true, false) => "register-new-title",
        (false, false) => "register-new-title-error",
        (true, true) => "register-edit-heading",
        (false, true) => "register-edit-heading-error",
    };
    let values = values.unwrap_or_else(|| values_of(draft, today_in_vietnam(Utc::now())));
    let current = values.get("status").cloned().unwrap_or_default();
    let page = PageForm {
        chrome: me.chrome(title, &action),
        csrf_token: me.csrf_token.clone(),
        heading,
        action,
        back,
        version,
        statuses: [PageStatus::Active, PageStatus::Inactive]
            .into_iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: tr.t(&format!("register-status-{}", s.as_str())),
                selected: current == s.as_str(),
            })
            .collect(),
        roles: AdminRole::ALL
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        role_labels: AdminRole::ALL
            .iter()
            .map(|r| tr.t(&format!("register-role-{}", r.as_str())))
            .collect(),
        admins: rows_of(&draft.admins, extra_rows),
        memberships: rows_of(&draft.memberships, extra_rows),
        values,
        problems,
    };
    me.respond(state, status, page::render(&page))
}

fn parse_body(body: &[u8]) -> HashMap<String, String> {
    urlencoded(body).0
}

fn posted_values(f: &HashMap<String, String>) -> HashMap<String, String> {
    [
        "name",
        "url",
        "created_day",
        "created_month",
        "created_year",
        "purpose",
        "status",
        "linked_phone",
        "linked_email",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), f.get(k).cloned().unwrap_or_default()))
    .collect()
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    if me.member.committee_id.is_none() {
        return Ok(redirect("/me/committee?next=new"));
    }
    let draft = DeclarationDraft {
        status: PageStatus::Active.as_str().to_owned(),
        ..Default::default()
    };
    Ok(form_page(
        &me,
        &state,
        StatusCode::OK,
        None,
        &draft,
        0,
        Vec::new(),
        None,
    ))
}

/// Declares or edits, from the posted form: asking for more rows re-shows it unsaved.
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
    page_id: Option<Uuid>,
) -> Result<HttpResponse, PageError> {
    let f = parse_body(&body);
    let token = f.get("csrf_token").cloned().unwrap_or_default();
    let me = Me::acting(&req, &state, &session, csrf, &token).await?;
    let editing = match page_id {
        Some(id) => match uc::my_page(&state.db, &me.member, id).await {
            Ok((p, _)) => Some(p),
            Err(RegisterError::NotFound) => return Err(not_found(&req)),
            Err(e) => return Err(broken(e)),
        },
        None => None,
    };
    let (mut draft, date_error) = draft_of(&f);
    if let Some(p) = &editing
        && p.declaration.status == PageStatus::Closed
        && draft.status == PageStatus::Closed.as_str()
    {
        draft.closed_on = p
            .declaration
            .closed_on
            .map(|d| d.to_string())
            .unwrap_or_default();
        draft.closed_reason = p.declaration.closed_reason.clone().unwrap_or_default();
        draft.deleted_on_platform = p.declaration.deleted_on_platform;
    }
    if f.contains_key("more_rows") {
        return Ok(form_page(
            &me,
            &state,
            StatusCode::OK,
            editing.as_ref(),
            &draft,
            3,
            Vec::new(),
            Some(posted_values(&f)),
        ));
    }
    let now = Utc::now();
    let result = match (&editing, date_error) {
        (_, Some(e)) => {
            // Every other rule is checked too, so the member sees all problems at once.
            let mut errors = vec![e];
            if let Err(more) = draft.check(today_in_vietnam(now)) {
                errors.extend(more.into_iter().filter(|m| m.field != "created_on"));
            }
            Err(RegisterError::Invalid(errors))
        }
        (Some(p), None) => {
            let shown_version = f
                .get("version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(p.version);
            uc::edit(&state.db, &me.member, p.id, shown_version, &draft, now).await
        }
        (None, None) => uc::declare(&state.db, &me.member, &draft, now).await,
    };
    match result {
        Ok(page) => Ok(redirect(format!(
            "/me/pages/{}?done={}",
            page.id,
            if editing.is_some() {
                "saved"
            } else {
                "declared"
            }
        ))),
        Err(RegisterError::Invalid(errors)) => Ok(form_page(
            &me,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            editing.as_ref(),
            &draft,
            0,
            shown(me.lang.locale, &errors),
            Some(posted_values(&f)),
        )),
        Err(RegisterError::Conflict) => Ok(page::message(
            &req,
            StatusCode::CONFLICT,
            "register-conflict-title",
            &["register-conflict"],
        )),
        Err(RegisterError::NotFound) => Err(not_found(&req)),
        Err(RegisterError::Db(e)) => Err(broken(e)),
    }
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    save(req, state, session, csrf, body, None).await
}

fn page_id(req: &HttpRequest, raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| not_found(req))
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let id = page_id(&req, &path)?;
    let (page_row, _) = match uc::my_page(&state.db, &me.member, id).await {
        Ok(found) => found,
        Err(RegisterError::NotFound) => return Err(not_found(&req)),
        Err(e) => return Err(broken(e)),
    };
    let draft = page_row.declaration.draft();
    Ok(form_page(
        &me,
        &state,
        StatusCode::OK,
        Some(&page_row),
        &draft,
        0,
        Vec::new(),
        None,
    ))
}

pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let id = page_id(&req, &path)?;
    save(req, state, session, csrf, body, Some(id)).await
}

// ---- closing ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/register/close.html")]
struct ClosePage {
    chrome: Chrome,
    csrf_token: String,
    id: String,
    name: String,
    version: i32,
    closed_on: String,
    closed_reason: String,
    deleted_on_platform: bool,
    today: String,
    problems: Vec<Shown>,
}

impl ClosePage {
    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }
}

async fn own(
    req: &HttpRequest,
    state: &AppState,
    me: &Me,
    raw: &str,
) -> Result<(PageRow, Vec<VersionRow>), PageError> {
    let id = page_id(req, raw)?;
    match uc::my_page(&state.db, &me.member, id).await {
        Ok(found) => Ok(found),
        Err(RegisterError::NotFound) => Err(not_found(req)),
        Err(e) => Err(broken(e)),
    }
}

pub async fn close_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let (p, _) = own(&req, &state, &me, &path).await?;
    let page = ClosePage {
        chrome: me.chrome("register-close-title", &format!("/me/pages/{}/close", p.id)),
        csrf_token: me.csrf_token.clone(),
        id: p.id.to_string(),
        name: p.declaration.name.clone(),
        version: p.version,
        closed_on: String::new(),
        closed_reason: String::new(),
        deleted_on_platform: false,
        today: today_in_vietnam(Utc::now()).to_string(),
        problems: Vec::new(),
    };
    Ok(me.respond(&state, StatusCode::OK, page::render(&page)))
}

pub async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let f = parse_body(&body);
    let token = f.get("csrf_token").cloned().unwrap_or_default();
    let me = Me::acting(&req, &state, &session, csrf, &token).await?;
    let (p, _) = own(&req, &state, &me, &path).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let draft = DeclarationDraft {
        status: PageStatus::Closed.as_str().to_owned(),
        closed_on: get("closed_on"),
        closed_reason: get("closed_reason"),
        deleted_on_platform: get("deleted_on_platform") == "yes",
        ..p.declaration.draft()
    };
    let shown_version = get("version").parse().unwrap_or(p.version);
    match uc::edit(
        &state.db,
        &me.member,
        p.id,
        shown_version,
        &draft,
        Utc::now(),
    )
    .await
    {
        Ok(page) => Ok(redirect(format!("/me/pages/{}?done=closed", page.id))),
        Err(RegisterError::Invalid(errors)) => {
            let page = ClosePage {
                chrome: me.chrome(
                    "register-close-title-error",
                    &format!("/me/pages/{}/close", p.id),
                ),
                csrf_token: me.csrf_token.clone(),
                id: p.id.to_string(),
                name: p.declaration.name.clone(),
                version: p.version,
                closed_on: draft.closed_on.clone(),
                closed_reason: draft.closed_reason.clone(),
                deleted_on_platform: draft.deleted_on_platform,
                today: today_in_vietnam(Utc::now()).to_string(),
                problems: shown(me.lang.locale, &errors),
            };
            Ok(me.respond(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                page::render(&page),
            ))
        }
        Err(RegisterError::Conflict) => Ok(page::message(
            &req,
            StatusCode::CONFLICT,
            "register-conflict-title",
            &["register-conflict"],
        )),
        Err(RegisterError::NotFound) => Err(not_found(&req)),
        Err(RegisterError::Db(e)) => Err(broken(e)),
    }
}

// ---- one page and its history ---------------------------------------------------------------

/// A declaration shown as label / value lines.
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// The lines that show a declaration, in the reader's language.
pub fn facts(tr: Tr, d: &Declaration) -> Vec<Fact> {
    let mut out = vec![
        Fact {
            label: tr.t("register-field-name"),
            value: d.name.clone(),
        },
        Fact {
            label: tr.t("register-field-url"),
            value: d.url.clone(),
        },
        Fact {
            label: tr.t("register-platform"),
            value: tr.w("platform", d.platform.as_str()),
        },
        Fact {
            label: tr.t("register-field-created_on"),
            value: d
                .created_on
                .map_or_else(|| tr.t("register-not-given"), |c| c.display()),
        },
        Fact {
            label: tr.t("register-field-purpose"),
            value: d.purpose.clone(),
        },
        Fact {
            label: tr.t("register-field-status"),
            value: tr.t(&format!("register-status-{}", d.status.as_str())),
        },
    ];
    if d.status == PageStatus::Closed {
        out.push(Fact {
            label: tr.t("register-field-closed_on"),
            value: d
                .closed_on
                .map(|c| c.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
        });
        out.push(Fact {
            label: tr.t("register-field-closed_reason"),
            value: d.closed_reason.clone().unwrap_or_default(),
        });
        if d.deleted_on_platform {
            out.push(Fact {
                label: tr.t("register-deleted-on-platform"),
                value: tr.t("register-yes"),
            });
        }
    }
    out.push(Fact {
        label: tr.t("register-field-linked_phone"),
        value: d
            .linked_phone
            .clone()
            .unwrap_or_else(|| tr.t("register-not-given")),
    });
    out.push(Fact {
        label: tr.t("register-field-linked_email"),
        value: d
            .linked_email
            .clone()
            .unwrap_or_else(|| tr.t("register-not-given")),
    });
    out.push(Fact {
        label: tr.t("register-field-admins"),
        value: if d.admins.is_empty() {
            tr.t("register-not-given")
        } else {
            d.admins
                .iter()
                .map(|a| {
                    format!(
                        "{} ({})",
                        a.account,
                        tr.t(&format!("register-role-{}", a.role.as_str()))
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
    });
    out.push(Fact {
        label: tr.t("register-field-memberships"),
        value: if d.memberships.is_empty() {
            tr.t("register-not-given")
        } else {
            d.memberships
                .iter()
                .map(|m| format!("{} – {}", m.name, m.url))
                .collect::<Vec<_>>()
                .join("; ")
        },
    });
    out
}

/// One version in a page's history.
pub struct HistoryLine {
    pub version: i32,
    pub at: String,
    pub change: String,
    pub facts: Vec<Fact>,
}

pub fn history(tr: Tr, versions: &[VersionRow]) -> Vec<HistoryLine> {
    versions
        .iter()
        .rev()
        .map(|v| HistoryLine {
            version: v.version,
            at: local(v.at),
            change: tr.t(&format!("register-change-{}", v.change.as_str())),
            facts: serde_json::from_str::<Declaration>(&v.snapshot)
                .map(|d| facts(tr, &d))
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "web/register/page.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    name: String,
    closed: bool,
    declared: String,
    confirmed: String,
    version: i32,
    facts: Vec<Fact>,
    history: Vec<HistoryLine>,
    done: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let (p, versions) = own(&req, &state, &me, &path).await?;
    let tr = me.tr();
    let done = query
        .done
        .as_deref()
        .filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .and_then(|d| i18n::try_text(me.lang.locale, &format!("register-done-{d}")));
    let page = ShowPage {
        chrome: Chrome {
            title: p.declaration.name.clone(),
            ..me.chrome("register-title", &format!("/me/pages/{}", p.id))
        },
        id: p.id.to_string(),
        name: p.declaration.name.clone(),
        closed: p.declaration.status == PageStatus::Closed,
        declared: local(p.declared_at),
        confirmed: local(p.confirmed_at),
        version: p.version,
        facts: facts(tr, &p.declaration),
        history: history(tr, &versions),
        done,
    };
    Ok(me.respond(&state, StatusCode::OK, page::render(&page)))
}

// ---- committee ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/register/committee.html")]
struct CommitteePage {
    chrome: Chrome,
    csrf_token: String,
    q: String,
    /// (id, name, path above it)
    results: Vec<(String, String, String)>,
    searched: bool,
    current: Option<String>,
    confirmed: bool,
    next: String,
    problems: Vec<Shown>,
}

impl CommitteePage {
    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }
}

#[derive(Deserialize)]
pub struct CommitteeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    next: String,
}

/// Committees found for a search: at most 30, each with the path above it.
fn committee_results(state: &AppState, locale: Locale, q: &str) -> Vec<(String, String, String)> {
    let dir = state.directory.current();
    if q.trim().chars().count() < 2 {
        return Vec::new();
    }
    dir.search(
        q,
        Some(crate::domain::routing::PartyKind::Committee),
        None,
        30,
    )
    .into_iter()
    .filter(|p| p.is_enabled())
    .map(|p| {
        let path = dir
            .path(&p.id)
            .iter()
            .rev()
            .skip(1)
            .rev()
            .map(|a| a.name.get(locale).to_owned())
            .collect::<Vec<_>>()
            .join(" › ");
        (p.id.clone(), p.name.get(locale).to_owned(), path)
    })
    .collect()
}

pub async fn committee_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<CommitteeQuery>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let q: String = query.q.chars().take(100).collect();
    let page = CommitteePage {
        chrome: me.chrome("register-committee-title", "/me/committee"),
        csrf_token: me.csrf_token.clone(),
        results: committee_results(&state, me.lang.locale, &q),
        searched: !q.trim().is_empty(),
        q,
        current: me
            .member
            .committee_id
            .as_deref()
            .and_then(|c| dir.party(c))
            .map(|p| p.name.get(me.lang.locale).to_owned()),
        confirmed: me.member.committee_confirmed_at.is_some(),
        next: if query.next == "new" {
            "new".to_owned()
        } else {
            String::new()
        },
        problems: Vec::new(),
    };
    Ok(me.respond(&state, StatusCode::OK, page::render(&page)))
}

#[derive(Deserialize)]
pub struct CommitteeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    committee: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    next: String,
}

pub async fn choose_committee(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    form: web::Form<CommitteeForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let me = Me::acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    let dir = state.directory.current();
    match uc::choose_committee(&state.db, &dir, &me.member, form.committee.trim()).await {
        Ok(()) => Ok(redirect(if form.next == "new" {
            "/me/pages/new"
        } else {
            "/me?done=committee"
        })),
        Err(RegisterError::Invalid(errors)) => {
            let q: String = form.q.chars().take(100).collect();
            let page = CommitteePage {
                chrome: me.chrome("register-committee-title-error", "/me/committee"),
                csrf_token: me.csrf_token.clone(),
                results: committee_results(&state, me.lang.locale, &q),
                searched: !q.trim().is_empty(),
                q,
                current: None,
                confirmed: me.member.committee_confirmed_at.is_some(),
                next: form.next.clone(),
                problems: shown(me.lang.locale, &errors),
            };
            Ok(me.respond(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                page::render(&page),
            ))
        }
        Err(e) => Err(broken(e)),
    }
}

// ---- confirming -----------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let me = Me::acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    uc::confirm(&state.db, &me.member, Utc::now())
        .await
        .map_err(broken)?;
    Ok(redirect("/me?done=confirmed"))
}
