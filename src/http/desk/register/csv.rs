//! The register of the scope as CSV: the list's filters, every page of them, streamed a
//! batch at a time, every cell neutralised against formulas.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;

use super::{Desk, committee_name, pages::ListQuery};
use crate::{
    domain::{Locale, directory::Directory},
    http::{
        desk::export::{self, cell},
        extract::csrf::Csrf,
        html::error::PageError,
        state::AppState,
    },
    usecases::{
        Scope,
        register::{self as uc, ListedPage, PageCursor, PageFilter},
    },
};

const CSV_HEADER: [&str; 21] = [
    "id",
    "name",
    "url",
    "platform",
    "status",
    "declarer_email",
    "committee",
    "created_on",
    "purpose",
    "linked_phone",
    "linked_email",
    "admins",
    "memberships",
    "closed_on",
    "closed_reason",
    "deleted_on_platform",
    "declared_at",
    "updated_at",
    "confirmed_at",
    "version",
    "shared",
];

fn csv_record(dir: &Directory, locale: Locale, p: &ListedPage) -> Vec<String> {
    let d = &p.page.declaration;
    let admins = d
        .admins
        .iter()
        .map(|a| format!("{} ({})", a.account, a.role))
        .collect::<Vec<_>>()
        .join("; ");
    let memberships = d
        .memberships
        .iter()
        .map(|m| format!("{} <{}>", m.name, m.url))
        .collect::<Vec<_>>()
        .join("; ");
    [
        p.page.id.to_string(),
        d.name.clone(),
        d.url.clone(),
        d.platform.to_string(),
        d.status.to_string(),
        p.email.clone(),
        committee_name(dir, locale, &p.page.committee_id),
        d.created_on.map(|c| c.to_string()).unwrap_or_default(),
        d.purpose.clone(),
        d.linked_phone.clone().unwrap_or_default(),
        d.linked_email.clone().unwrap_or_default(),
        admins,
        memberships,
        d.closed_on.map(|c| c.to_string()).unwrap_or_default(),
        d.closed_reason.clone().unwrap_or_default(),
        d.deleted_on_platform.to_string(),
        p.page.declared_at.to_rfc3339(),
        p.page.updated_at.to_rfc3339(),
        p.page.confirmed_at.to_rfc3339(),
        p.page.version.to_string(),
        p.shared.to_string(),
    ]
    .iter()
    .map(|v| cell(v))
    .collect()
}

struct Export {
    state: web::Data<AppState>,
    scope: Scope,
    filter: PageFilter,
    after: Option<PageCursor>,
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
        let _ = out.write_record(CSV_HEADER);
    }
    let loaded = uc::search(
        &export.state.db,
        &export.scope,
        &export.filter,
        false,
        export.after,
        export::BATCH,
    )
    .await;
    let (listed, next) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(%error, "the register's CSV export stopped");
            export.done = true;
            return Some((
                Err(actix_web::error::ErrorInternalServerError("export failed")),
                export,
            ));
        }
    };
    let dir = export.state.directory.current();
    for p in &listed {
        let _ = out.write_record(csv_record(&dir, export.locale, p));
    }
    export.after = next;
    export.done = next.is_none();
    let bytes = out.into_inner().unwrap_or_default();
    Some((Ok(web::Bytes::from(bytes)), export))
}

/// The filtered register of the scope as CSV, streamed a batch at a time.
#[tracing::instrument(skip_all)]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let first = Export {
        filter: query.filter(&state.directory.current()),
        state: state.clone(),
        scope: desk.scope.clone(),
        after: None,
        locale: desk.lang.locale,
        header: true,
        done: false,
    };
    tracing::info!(user = %desk.officer.username, "register CSV export");
    Ok(export::attachment(
        "register",
        stream::unfold(first, next_chunk),
    ))
}
