//! The declared pages of the scope: the searchable list with keyset pages, one page with
//! every fact and version, and one version as it was declared.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{Desk, Opt, broken, committee_name, local, not_found};
use crate::{
    domain::{
        Named,
        directory::Directory,
        i18n::Tr,
        register::{Declaration, PageStatus, RegisterQuery},
        routing::PartyKind,
    },
    http::{
        desk::Who,
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
        },
        state::AppState,
    },
    usecases::register::{self as uc, ListedPage, PageCursor, PageFilter},
};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    committee: Option<String>,
    after: Option<String>,
}

fn filled(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListQuery {
    pub(super) fn filter(&self, dir: &Directory) -> PageFilter {
        PageFilter {
            query: filled(&self.q).and_then(RegisterQuery::parse),
            status: filled(&self.status).and_then(|s| s.parse::<PageStatus>().ok()),
            committee: filled(&self.committee)
                .filter(|c| dir.committee(c).is_some())
                .map(|c| dir.committee_subtree(c)),
            ..Default::default()
        }
    }

    /// The query string of the filters, without the page cursor.
    fn filters_query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("committee", &self.committee),
        ] {
            if let Some(v) = filled(value) {
                out.append_pair(name, v);
            }
        }
        out.finish()
    }
}

/// `updated_at~id`, the place after which the next page starts.
fn cursor_text((at, id): PageCursor) -> String {
    format!("{}~{id}", at.to_rfc3339())
}

fn cursor_of(raw: Option<&str>) -> Option<PageCursor> {
    let (at, id) = raw?.split_once('~')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id.parse().ok()?,
    ))
}

/// A declared page in the list.
pub struct Line {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub platform: String,
    pub status: String,
    pub status_code: &'static str,
    pub email: String,
    pub committee: String,
    pub updated: String,
    pub shared: bool,
}

fn line(desk: &Desk, state: &AppState, dir: &Directory, p: &ListedPage) -> Line {
    let tr = desk.tr();
    let d = &p.page.declaration;
    Line {
        id: p.page.id,
        name: d.name.clone(),
        url: d.url.clone(),
        platform: tr.w("platform", d.platform.as_str()),
        status: tr.t(&format!("desk-reg-status-{}", d.status.as_str())),
        status_code: d.status.as_str(),
        email: p.email.clone(),
        committee: committee_name(dir, tr.0, &p.page.committee_id),
        updated: local(desk, &state.settings, p.page.updated_at),
        shared: p.shared,
    }
}

#[derive(Template)]
#[template(path = "desk/register/index.html")]
struct IndexPage {
    chrome: Chrome,
    who: Who,
    q: String,
    statuses: Vec<Opt>,
    committees: Vec<Opt>,
    rows: Vec<Line>,
    next: Option<String>,
    export: String,
}

#[tracing::instrument(skip_all)]
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let filter = query.filter(&dir);
    let (listed, next) = uc::search(
        &state.db,
        &desk.scope,
        &filter,
        false,
        cursor_of(query.after.as_deref()),
        state.settings.register.page_size,
    )
    .await
    .map_err(broken)?;
    let tr = desk.tr();
    let filters = query.filters_query();
    let next = next.map(|cursor| {
        let mut q = url::form_urlencoded::Serializer::new(filters.clone());
        q.append_pair("after", &cursor_text(cursor));
        format!("/desk/register?{}", q.finish())
    });
    let committees = dir
        .of_kind(PartyKind::Committee)
        .filter(|c| desk.scope.allows(&c.id))
        .map(|c| Opt {
            value: c.id.clone(),
            label: c.name.get(tr.0).to_owned(),
            selected: filled(&query.committee) == Some(c.id.as_str()),
        })
        .collect();
    let page = IndexPage {
        chrome: desk.chrome("desk-reg-title", "/desk/register"),
        who: Who::of(&desk),
        q: query.q.clone().unwrap_or_default(),
        statuses: PageStatus::ALL
            .iter()
            .map(|s| Opt {
                value: s.as_str().to_owned(),
                label: tr.t(&format!("desk-reg-status-{}", s.as_str())),
                selected: filled(&query.status) == Some(s.as_str()),
            })
            .collect(),
        committees,
        rows: listed
            .iter()
            .map(|p| line(&desk, &state, &dir, p))
            .collect(),
        next,
        export: format!("/desk/register/export.csv?{filters}"),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

// ---- one page ---------------------------------------------------------------------------

/// A fact of a declaration: its label and its value (`—` when not declared).
pub struct Fact {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

/// What a declaration says, fact by fact, with its administrators and memberships.
pub struct Facts {
    pub facts: Vec<Fact>,
    /// (account, role)
    pub admins: Vec<(String, String)>,
    /// (name, link)
    pub memberships: Vec<(String, String)>,
}

fn facts_of(tr: Tr, d: &Declaration) -> Facts {
    let none = || "—".to_owned();
    let mut facts = vec![
        ("name", d.name.clone()),
        ("url", d.url.clone()),
        ("platform", tr.w("platform", d.platform.as_str())),
        (
            "status",
            tr.t(&format!("desk-reg-status-{}", d.status.as_str())),
        ),
        (
            "created_on",
            d.created_on.map_or_else(none, |c| c.display()),
        ),
        ("purpose", d.purpose.clone()),
        ("linked_phone", d.linked_phone.clone().unwrap_or_else(none)),
        ("linked_email", d.linked_email.clone().unwrap_or_else(none)),
    ];
    if d.status == PageStatus::Closed {
        facts.push((
            "closed_on",
            d.closed_on
                .map_or_else(none, |c| c.format("%d/%m/%Y").to_string()),
        ));
        facts.push((
            "closed_reason",
            d.closed_reason.clone().unwrap_or_else(none),
        ));
        facts.push((
            "deleted_on_platform",
            tr.t(if d.deleted_on_platform {
                "desk-reg-yes"
            } else {
                "desk-reg-no"
            }),
        ));
    }
    Facts {
        facts: facts
            .into_iter()
            .map(|(id, value)| Fact {
                id,
                label: tr.t(&format!("desk-reg-field-{id}")),
                value,
            })
            .collect(),
        admins: d
            .admins
            .iter()
            .map(|a| {
                (
                    a.account.clone(),
                    tr.t(&format!("desk-reg-role-{}", a.role.as_str())),
                )
            })
            .collect(),
        memberships: d
            .memberships
            .iter()
            .map(|m| (m.name.clone(), m.url.clone()))
            .collect(),
    }
}

/// A version in the page's history.
pub struct VersionLine {
    pub version: i32,
    pub change: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "desk/register/page.html")]
struct PagePage {
    chrome: Chrome,
    who: Who,
    id: Uuid,
    name: String,
    facts: Facts,
    email: String,
    committee: String,
    version: i32,
    declared: String,
    updated: String,
    confirmed: String,
    shared: bool,
    versions: Vec<VersionLine>,
    others: Vec<Line>,
}

fn page_id(req: &HttpRequest, raw: &str) -> Result<Uuid, PageError> {
    raw.parse().map_err(|_| not_found(req))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let id = page_id(&req, &path)?;
    let record = uc::page_record(&state.db, &desk.scope, id)
        .await
        .map_err(broken)?
        .ok_or_else(|| not_found(&req))?;
    let dir = state.directory.current();
    let tr = desk.tr();
    let listed = &record.listed;
    let page = PagePage {
        chrome: desk.chrome("desk-reg-page-title", &format!("/desk/register/pages/{id}")),
        who: Who::of(&desk),
        id,
        name: listed.page.declaration.name.clone(),
        facts: facts_of(tr, &listed.page.declaration),
        email: listed.email.clone(),
        committee: committee_name(&dir, tr.0, &listed.page.committee_id),
        version: listed.page.version,
        declared: local(&desk, &state.settings, listed.page.declared_at),
        updated: local(&desk, &state.settings, listed.page.updated_at),
        confirmed: local(&desk, &state.settings, listed.page.confirmed_at),
        shared: listed.shared,
        versions: record
            .versions
            .iter()
            .rev()
            .map(|v| VersionLine {
                version: v.version,
                change: tr.t(&format!("desk-reg-change-{}", uc::change_of(v).as_str())),
                at: local(&desk, &state.settings, v.at),
            })
            .collect(),
        others: record
            .others
            .iter()
            .map(|p| line(&desk, &state, &dir, p))
            .collect(),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

#[derive(Template)]
#[template(path = "desk/register/version.html")]
struct VersionPage {
    chrome: Chrome,
    who: Who,
    id: Uuid,
    version: i32,
    change: String,
    at: String,
    facts: Facts,
}

/// One version of a page as it was declared then.
#[tracing::instrument(skip_all)]
pub async fn version(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let (raw, number) = path.into_inner();
    let id = page_id(&req, &raw)?;
    let number: i32 = number.parse().map_err(|_| not_found(&req))?;
    let (row, declaration) = uc::page_version(&state.db, &desk.scope, id, number)
        .await
        .map_err(broken)?
        .ok_or_else(|| not_found(&req))?;
    let tr = desk.tr();
    let page = VersionPage {
        chrome: desk.chrome(
            "desk-reg-version-title",
            &format!("/desk/register/pages/{id}/versions/{number}"),
        ),
        who: Who::of(&desk),
        id,
        version: row.version,
        change: tr.t(&format!("desk-reg-change-{}", uc::change_of(&row).as_str())),
        at: local(&desk, &state.settings, row.at),
        facts: facts_of(tr, &declaration),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}
