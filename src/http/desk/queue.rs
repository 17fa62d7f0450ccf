//! The queue at `/desk`: counters, filters, search, sorting, keyset pages, and the CSV of
//! the filtered set.

use crate::domain::Named;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Desk, Who,
    export::{self, cell},
};
use crate::domain::directory::Directory;
use crate::http::html::error::PageError;
use crate::{
    config::Settings,
    domain::i18n::Tr,
    domain::{ContainmentState, IncidentKind, IncidentStatus, Locale, Platform},
    http::state::AppState,
    http::{extract::csrf::Csrf, html::page::Chrome},
    usecases::{Counters, Cursor, Flags, IncidentRow, QueueFilter, Scope, Sort, queries},
};

#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    kind: Option<String>,
    platform: Option<String>,
    containment: Option<String>,
    committee: Option<String>,
    overdue: Option<String>,
    failed: Option<String>,
    waiting: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    changed: Option<u32>,
    refused: Option<u32>,
}

fn parsed<T: std::str::FromStr>(raw: &Option<String>) -> Option<T> {
    raw.as_deref()
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse().ok())
}

fn on(raw: &Option<String>) -> bool {
    matches!(raw.as_deref(), Some("1" | "on" | "true"))
}

fn sort_of(raw: &Option<String>) -> Sort {
    match raw.as_deref() {
        Some("oldest") => Sort::Oldest,
        Some("updated") => Sort::Updated,
        _ => Sort::Newest,
    }
}

fn cursor_of(raw: &Option<String>) -> Option<Cursor> {
    let raw = raw.as_deref()?;
    match raw.split_once('~') {
        Some((at, id)) => Some(Cursor {
            id: id.parse().ok()?,
            updated_at: DateTime::parse_from_rfc3339(at)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }),
        None => Some(Cursor {
            id: raw.parse().ok()?,
            updated_at: None,
        }),
    }
}

fn cursor_after(row: &IncidentRow, sort: Sort) -> String {
    match sort {
        Sort::Updated => format!("{}~{}", row.updated_at.to_rfc3339(), row.id),
        _ => row.id.to_string(),
    }
}

impl QueueQuery {
    pub fn filter(&self, dir: &Directory, limit: u64) -> QueueFilter {
        QueueFilter {
            status: parsed::<IncidentStatus>(&self.status),
            kind: parsed::<IncidentKind>(&self.kind),
            platform: parsed::<Platform>(&self.platform),
            containment: parsed::<ContainmentState>(&self.containment),
            committees: self
                .committee
                .as_deref()
                .filter(|c| dir.committee(c).is_some())
                .map(|c| dir.committee_subtree(c)),
            overdue_only: on(&self.overdue),
            failed_only: on(&self.failed),
            waiting_only: on(&self.waiting),
            search: self.q.clone().filter(|q| !q.trim().is_empty()),
            sort: sort_of(&self.sort),
            after: cursor_of(&self.after),
            limit,
        }
    }

    /// The query string of the filters, without the page cursor.
    fn filters_query(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("kind", &self.kind),
            ("platform", &self.platform),
            ("containment", &self.containment),
            ("committee", &self.committee),
            ("overdue", &self.overdue),
            ("failed", &self.failed),
            ("waiting", &self.waiting),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.append_pair(name, v);
            }
        }
        out.finish()
    }
}

pub struct Row {
    pub reference: String,
    pub id: Uuid,
    pub created: String,
    pub committee: String,
    pub kind: String,
    pub platform: String,
    pub page: String,
    pub status: String,
    pub status_code: String,
    pub containment: String,
    pub lost_control: bool,
    pub overdue: bool,
    pub failed: bool,
    /// Party messages nobody has read.
    pub unread: i64,
    /// A party wrote last.
    pub waiting_on_us: bool,
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "desk/queue.html")]
struct QueuePage {
    chrome: Chrome,
    who: Who,
    counters: Counters,
    rows: Vec<Row>,
    next: Option<String>,
    export: String,
    q: String,
    overdue: bool,
    failed: bool,
    waiting: bool,
    statuses: Vec<Opt>,
    kinds: Vec<Opt>,
    platforms: Vec<Opt>,
    containments: Vec<Opt>,
    committees: Vec<Opt>,
    sorts: Vec<Opt>,
    may_act: bool,
    csrf_token: String,
    done: Option<String>,
}

fn options<T: Copy>(
    all: &[T],
    chosen: &Option<String>,
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Opt> {
    all.iter()
        .map(|&v| Opt {
            value: code(v).to_owned(),
            label: label(v),
            selected: chosen.as_deref() == Some(code(v)),
        })
        .collect()
}

pub fn committee_name(dir: &Directory, locale: Locale, id: &str) -> String {
    dir.committee(id)
        .map(|c| c.name.get(locale).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

pub fn local_time(settings: &Settings, locale: Locale, at: DateTime<Utc>) -> String {
    crate::http::member::track::local(settings, locale, at)
}

fn row(settings: &Settings, dir: &Directory, tr: Tr, incident: &IncidentRow, flags: Flags) -> Row {
    Row {
        reference: incident.reference.clone(),
        id: incident.id,
        created: local_time(settings, tr.0, incident.created_at),
        committee: committee_name(dir, tr.0, &incident.committee_id),
        kind: tr.t(&format!("form-kind-{}", incident.kind)),
        platform: tr.w("platform", incident.page_platform),
        page: incident
            .page_url
            .clone()
            .or_else(|| incident.page_handle.clone())
            .unwrap_or_default(),
        status: tr.w("status", incident.status),
        status_code: incident.status.to_string(),
        containment: tr.t(&format!("desk-containment-{}", incident.containment)),
        lost_control: incident.containment == ContainmentState::LostControl,
        overdue: flags.overdue,
        failed: flags.failed,
        unread: flags.unread,
        waiting_on_us: flags.waiting_on_us,
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let query = query.into_inner();
    let now = Utc::now();
    let filter = query.filter(&state.directory.current(), state.settings.desk.page_size);
    let loaded = async {
        let page = queries::queue_page(&state.db, &desk.scope, &filter, now).await?;
        let counters = state.counters.get(&state.db, &desk.scope).await?;
        Ok::<_, crate::usecases::DbErr>((page.rows, page.more, page.flags, counters))
    }
    .await;
    let (rows, more, flags, counters) = loaded.map_err(|e| {
        PageError::broken(anyhow::Error::new(e).context("could not load the desk queue"))
    })?;
    let tr = desk.tr();
    let filters = query.filters_query();
    let next = more.then(|| rows.last()).flatten().map(|last| {
        let mut q = url::form_urlencoded::Serializer::new(filters.clone());
        q.append_pair("after", &cursor_after(last, filter.sort));
        format!("/desk?{}", q.finish())
    });
    let dir = state.directory.current();
    let visible: Vec<_> = dir
        .of_kind(crate::domain::routing::PartyKind::Committee)
        .filter(|c| desk.scope.allows(&c.id))
        .map(|c| Opt {
            value: c.id.clone(),
            label: c.name.get(tr.0).to_owned(),
            selected: query.committee.as_deref() == Some(c.id.as_str()),
        })
        .collect();
    let done = match (query.changed, query.refused) {
        (None, None) => None,
        (changed, refused) => Some(tr.t1(
            "desk-bulk-done",
            "changed",
            &format!(
                "{}/{}",
                changed.unwrap_or(0),
                changed.unwrap_or(0) + refused.unwrap_or(0)
            ),
        )),
    };
    let page = QueuePage {
        chrome: desk.chrome("desk-queue-title", "/desk"),
        who: Who::of(&desk),
        counters,
        rows: rows
            .iter()
            .map(|r| {
                row(
                    &state.settings,
                    &dir,
                    tr,
                    r,
                    flags.get(&r.id).copied().unwrap_or_default(),
                )
            })
            .collect(),
        next,
        export: format!("/desk/export.csv?{filters}"),
        q: query.q.clone().unwrap_or_default(),
        overdue: filter.overdue_only,
        failed: filter.failed_only,
        waiting: filter.waiting_only,
        statuses: options(
            IncidentStatus::ALL,
            &query.status,
            IncidentStatus::as_str,
            |s| tr.w("status", s.as_str()),
        ),
        kinds: options(IncidentKind::ALL, &query.kind, IncidentKind::as_str, |k| {
            tr.t(&format!("form-kind-{k}"))
        }),
        platforms: options(Platform::ALL, &query.platform, Platform::as_str, |p| {
            tr.w("platform", p.as_str())
        }),
        containments: options(
            ContainmentState::ALL,
            &query.containment,
            ContainmentState::as_str,
            |c| tr.t(&format!("desk-containment-{c}")),
        ),
        committees: visible,
        sorts: ["newest", "oldest", "updated"]
            .into_iter()
            .map(|s| Opt {
                value: s.to_owned(),
                label: tr.t(&format!("desk-sort-{s}")),
                selected: query.sort.as_deref().unwrap_or("newest") == s,
            })
            .collect(),
        may_act: desk.may_act(),
        csrf_token: desk.csrf_token.clone(),
        done,
    };
    Ok(desk.respond(
        &state,
        StatusCode::OK,
        crate::http::html::page::render(&page),
    ))
}

struct Export {
    state: web::Data<AppState>,
    scope: Scope,
    filter: QueueFilter,
    locale: Locale,
    header: bool,
    done: bool,
}

async fn next_chunk(mut export: Export) -> Option<(Result<web::Bytes, actix_web::Error>, Export)> {
    if export.done {
        return None;
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    if export.header {
        export.header = false;
        let _ = out.write_record([
            "reference",
            "reported_at",
            "committee",
            "kind",
            "platform",
            "page",
            "status",
            "containment",
            "severity",
            "reporter",
            "overdue",
            "failed",
        ]);
    }
    let now = Utc::now();
    let loaded = queries::queue_all(&export.state.db, &export.scope, &export.filter, now).await;
    let (rows, flags) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(%error, "the CSV export stopped");
            return Some((
                Err(actix_web::error::ErrorInternalServerError("export failed")),
                Export {
                    done: true,
                    ..export
                },
            ));
        }
    };
    let dir = export.state.directory.current();
    for r in &rows {
        let f = flags.get(&r.id).copied().unwrap_or_default();
        let page = r
            .page_url
            .clone()
            .or_else(|| r.page_handle.clone())
            .unwrap_or_default();
        let _ = out.write_record([
            cell(&r.reference),
            r.created_at.to_rfc3339(),
            cell(&committee_name(&dir, export.locale, &r.committee_id)),
            r.kind.to_string(),
            r.page_platform.to_string(),
            cell(&page),
            r.status.to_string(),
            r.containment.to_string(),
            r.severity.to_string(),
            cell(&r.reporter_name),
            f.overdue.to_string(),
            f.failed.to_string(),
        ]);
    }
    match rows.last() {
        Some(last) if rows.len() as u64 == export.filter.limit => {
            export.filter.after = Some(Cursor {
                id: last.id,
                updated_at: Some(last.updated_at),
            });
        }
        _ => export.done = true,
    }
    let bytes = out.into_inner().unwrap_or_default();
    Some((Ok(web::Bytes::from(bytes)), export))
}

/// The filtered set as CSV, streamed in batches so a large export holds little memory.
#[tracing::instrument(skip_all)]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let mut filter = query.filter(&state.directory.current(), export::BATCH);
    filter.after = None;
    let first = Export {
        state: state.clone(),
        scope: desk.scope.clone(),
        filter,
        locale: desk.lang.locale,
        header: true,
        done: false,
    };
    tracing::info!(user = %desk.officer.username, "CSV export");
    Ok(export::attachment(
        "incidents",
        stream::unfold(first, next_chunk),
    ))
}
