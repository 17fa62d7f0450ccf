//! `/api/v1/pages` and `/api/v1/declaration-requests/{id}/members`: the page register for
//! the committees' own tools, with the scope `register:read`. A key reads the register of
//! the committees it reaches, as for incidents: a committee-bound key its subtree, a key
//! bound to neither every committee, a party-bound key only its own committee's pages and
//! requests (nothing when its party is not a committee). A page or a request beyond reach
//! does not exist for the key (404).

use actix_web::{HttpResponse, web};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::ApiPrincipal;
use crate::{
    domain::{
        FieldError, Platform,
        access::ApiScope,
        register::{
            AnswerState, Declaration, Membership, PageAdmin, PageChange, PageStatus, RegisterQuery,
        },
    },
    http::{error::ApiError, state::AppState},
    usecases::{
        Scope,
        register::{self as uc, ListedPage, PageCursor, PageFilter, VersionRow},
    },
};

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(at("/pages").get(list_pages).done())
        .service(at("/pages/{id}").get(get_page).done())
        .service(
            at("/declaration-requests/{id}/members")
                .get(request_members)
                .done(),
        );
}

/// The committees whose register the key reads; `None`: none at all.
fn reach(state: &AppState, principal: &ApiPrincipal) -> Result<Option<Scope>, ApiError> {
    principal.require(ApiScope::RegisterRead)?;
    Ok(match &principal.party {
        Some(party) => state
            .directory
            .current()
            .committee(party)
            .map(|c| Scope::Committees(vec![c.id.clone()])),
        None => Some(principal.scope.clone()),
    })
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, rule, message)])
}

fn limit_of(raw: Option<u64>) -> Result<u64, ApiError> {
    let limit = raw.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Validation(vec![
            FieldError::new(
                "limit",
                "range",
                format!("must be between 1 and {MAX_LIMIT}"),
            )
            .with_limit(MAX_LIMIT),
        ]));
    }
    Ok(limit)
}

fn bounded(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(ApiError::Validation(vec![
            FieldError::new(
                field,
                "too_long",
                format!("must be at most {max} characters"),
            )
            .with_limit(max),
        ]));
    }
    Ok(())
}

/// A keyset cursor: the last page's change time (nanoseconds) and id, as base64url.
fn encode_cursor((at, id): PageCursor) -> String {
    let nanos = at.timestamp_nanos_opt().unwrap_or(i64::MAX);
    let mut bytes = nanos.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(raw: &str) -> Result<PageCursor, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .filter(|b| b.len() == 24)
        .ok_or_else(|| invalid("after", "cursor", "is not a cursor this API returned"))?;
    let (nanos, id) = bytes.split_at(8);
    let nanos = i64::from_be_bytes(nanos.try_into().unwrap_or_default());
    let id = Uuid::from_slice(id)
        .map_err(|_| invalid("after", "cursor", "is not a cursor this API returned"))?;
    Ok((DateTime::from_timestamp_nanos(nanos), id))
}

/// What a member declared about a page, in one version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "platform": "facebook",
    "url": "https://www.facebook.com/badinh.news",
    "name": "Tin tức Ba Đình",
    "created_on": "2019-03",
    "purpose": "Đưa tin hoạt động của phường",
    "status": "active",
    "closed_on": null,
    "closed_reason": null,
    "deleted_on_platform": false,
    "linked_phone": "0912345678",
    "linked_email": "admin@example.org",
    "admins": [{ "account": "@lan.nguyen", "role": "owner" }],
    "memberships": [{ "name": "Nhóm phường Phúc Xá", "url": "https://www.facebook.com/groups/phucxa" }]
}))]
pub struct DeclarationView {
    pub platform: Platform,
    pub url: String,
    pub name: String,
    /// When the page was created, as declared: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(pattern = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")]
    pub created_on: Option<String>,
    pub purpose: String,
    pub status: PageStatus,
    /// When the page was closed (`closed` only).
    pub closed_on: Option<NaiveDate>,
    pub closed_reason: Option<String>,
    /// The member says the platform deleted the page (`closed` only).
    pub deleted_on_platform: bool,
    pub linked_phone: Option<String>,
    pub linked_email: Option<String>,
    /// Administrator accounts: names or handles with their roles, never a password.
    pub admins: Vec<PageAdmin>,
    /// The groups and pages the member belongs to through this account.
    pub memberships: Vec<Membership>,
}

impl From<&Declaration> for DeclarationView {
    fn from(d: &Declaration) -> Self {
        Self {
            platform: d.platform,
            url: d.url.clone(),
            name: d.name.clone(),
            created_on: d.created_on.map(|c| c.to_string()),
            purpose: d.purpose.clone(),
            status: d.status,
            closed_on: d.closed_on,
            closed_reason: d.closed_reason.clone(),
            deleted_on_platform: d.deleted_on_platform,
            linked_phone: d.linked_phone.clone(),
            linked_email: d.linked_email.clone(),
            admins: d.admins.clone(),
            memberships: d.memberships.clone(),
        }
    }
}

/// A declared page as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterPageView {
    pub id: Uuid,
    /// The declaring member's email.
    #[schema(example = "lan.nguyen@example.org")]
    pub member_email: String,
    /// The declaring member's committee.
    #[schema(example = "hn-ba-dinh")]
    pub committee: String,
    pub declaration: DeclarationView,
    /// 1 when declared, one more at each change.
    #[schema(minimum = 1, example = 2)]
    pub version: i32,
    /// When the page was first declared.
    pub declared_at: DateTime<Utc>,
    /// When the declaration last changed.
    pub updated_at: DateTime<Utc>,
    /// When the member last confirmed it.
    pub confirmed_at: DateTime<Utc>,
    /// Another member declared the same page too.
    pub shared: bool,
}

impl From<&ListedPage> for RegisterPageView {
    fn from(l: &ListedPage) -> Self {
        Self {
            id: l.page.id,
            member_email: l.email.clone(),
            committee: l.page.committee_id.clone(),
            declaration: DeclarationView::from(&l.page.declaration),
            version: l.page.version,
            declared_at: l.page.declared_at,
            updated_at: l.page.updated_at,
            confirmed_at: l.page.confirmed_at,
            shared: l.shared,
        }
    }
}

/// A page of the register.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterPageList {
    pub data: Vec<RegisterPageView>,
    /// Pass as `after` for the next page; absent on the last.
    #[schema(example = "GHsN3mXcQAABk4_GKjt8TZ6PCgsbPE5f")]
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// A link (the same page whatever its form), a phone number or an email linked to the
    /// page, or words of its name, link or administrators (case and diacritics ignored).
    #[param(max_length = 200, example = "https://www.facebook.com/badinh.news")]
    pub q: Option<String>,
    /// A committee id; its whole subtree is included.
    #[param(max_length = 64, example = "hn-ba-dinh")]
    pub committee: Option<String>,
    #[param(value_type = Option<PageStatus>)]
    pub status: Option<String>,
    /// Only pages changed at or after this time (RFC 3339); the oldest change then comes
    /// first, for tools that follow the register.
    #[param(format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub updated_since: Option<String>,
    /// The `next_after` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{32}$")]
    pub after: Option<String>,
    /// 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// List the declared pages within the key's reach: the newest change first, or the oldest
/// first with `updated_since`.
#[utoipa::path(
    get, path = "/api/v1/pages", tag = "register",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of declared pages", body = RegisterPageList),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["register:read"]))
)]
pub async fn list_pages(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = reach(&state, &principal)?;
    let q = query.into_inner();
    let limit = limit_of(q.limit)?;
    bounded("q", q.q.as_deref(), 200)?;
    bounded("committee", q.committee.as_deref(), 64)?;
    let dir = state.directory.current();
    let committee = match &q.committee {
        Some(c) if dir.committee(c).is_none() => {
            return Err(invalid(
                "committee",
                "unknown_committee",
                format!("`{c}` is not a committee"),
            ));
        }
        Some(c) => Some(dir.committee_subtree(c)),
        None => None,
    };
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<PageStatus>())
        .transpose()
        .map_err(|m| invalid("status", "one_of", m))?;
    let updated_since = q
        .updated_since
        .as_deref()
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        "updated_since",
                        "date_time",
                        "must be an RFC 3339 date and time",
                    )
                })
        })
        .transpose()?;
    let after = q.after.as_deref().map(decode_cursor).transpose()?;
    let Some(scope) = reach else {
        return Ok(HttpResponse::Ok().json(RegisterPageList {
            data: Vec::new(),
            next_after: None,
        }));
    };
    // A control character separates words, as a space does; the database never sees one.
    let words = q.q.map(|q| {
        q.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    });
    let filter = PageFilter {
        query: words.as_deref().and_then(RegisterQuery::parse),
        committee,
        status,
        updated_since,
        member: None,
    };
    let (pages, next) = uc::search(
        &state.db,
        &scope,
        &filter,
        updated_since.is_some(),
        after,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RegisterPageList {
        data: pages.iter().map(RegisterPageView::from).collect(),
        next_after: next.map(encode_cursor),
    }))
}

/// One version in a page's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageVersionView {
    #[schema(minimum = 1, example = 1)]
    pub version: i32,
    /// What made the version: `declared`, `edited`, `closed` or `reopened`.
    pub change: PageChange,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// The declaration as it stood in this version.
    pub declaration: DeclarationView,
}

/// Another member's declaration of the same page.
#[derive(Debug, Serialize, ToSchema)]
pub struct OtherDeclarationView {
    pub id: Uuid,
    #[schema(example = "minh.tran@example.org")]
    pub member_email: String,
    #[schema(example = "hn-cau-giay")]
    pub committee: String,
    pub status: PageStatus,
}

/// A declared page with its whole history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterPageDetail {
    #[serde(flatten)]
    pub page: RegisterPageView,
    /// Every version, oldest first.
    pub history: Vec<PageVersionView>,
    /// Other members' declarations of the same page, within the key's reach.
    pub others: Vec<OtherDeclarationView>,
}

fn version_view(v: &VersionRow) -> Option<PageVersionView> {
    let declaration = serde_json::from_str::<Declaration>(&v.snapshot)
        .map_err(|error| {
            tracing::warn!(page = %v.page_id, version = v.version, %error, "a version's snapshot does not read back");
        })
        .ok()?;
    Some(PageVersionView {
        version: v.version,
        change: v.change,
        at: v.at,
        declaration: DeclarationView::from(&declaration),
    })
}

/// Read one declared page with every version of its declaration.
#[utoipa::path(
    get, path = "/api/v1/pages/{id}", tag = "register",
    params(("id" = Uuid, Path, description = "The page's id")),
    responses(
        (status = 200, description = "The page and its history", body = RegisterPageDetail),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
    ),
    security(("api_key" = ["register:read"]))
)]
pub async fn get_page(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = reach(&state, &principal)?.ok_or(ApiError::NotFound("page"))?;
    let id: Uuid = path.parse().map_err(|_| ApiError::NotFound("page"))?;
    let record = uc::page_record(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("page"))?;
    Ok(HttpResponse::Ok().json(RegisterPageDetail {
        page: RegisterPageView::from(&record.listed),
        history: record.versions.iter().filter_map(version_view).collect(),
        others: record
            .others
            .iter()
            .map(|o| OtherDeclarationView {
                id: o.page.id,
                member_email: o.email.clone(),
                committee: o.page.committee_id.clone(),
                status: o.page.declaration.status,
            })
            .collect(),
    }))
}

/// A member asked by a declaration request, and where they stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskedMemberView {
    pub member_id: Uuid,
    #[schema(example = "lan.nguyen@example.org")]
    pub email: String,
    #[schema(example = "hn-ba-dinh-phuc-xa")]
    pub committee: String,
    pub asked_at: DateTime<Utc>,
    /// When the member confirmed their declaration; null while not answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// `not_answered`, `answered`, or `stale` (answered, but a page of theirs was not
    /// confirmed within `register.stale_after`).
    pub state: AnswerState,
    /// The oldest confirmation among the member's open pages.
    pub oldest_confirmation: Option<DateTime<Utc>>,
}

/// A page of the members asked by a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct AskedMemberList {
    pub data: Vec<AskedMemberView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AskedQuery {
    /// `not_answered` (when absent), `answered` (every member who answered, stale or
    /// not) or `stale`.
    #[param(value_type = Option<AnswerState>)]
    pub state: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<Uuid>,
    /// 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// List the members a declaration request asked, in one state, by member id.
#[utoipa::path(
    get, path = "/api/v1/declaration-requests/{id}/members", tag = "register",
    params(("id" = Uuid, Path, description = "The request's id"), AskedQuery),
    responses(
        (status = 200, description = "A page of the members asked, in the state asked for", body = AskedMemberList),
        (status = 400, response = crate::http::error::answers::BadRequest),
        (status = 401, response = crate::http::error::answers::Unauthorized),
        (status = 403, response = crate::http::error::answers::Forbidden),
        (status = 404, response = crate::http::error::answers::NotFound),
        (status = 422, response = crate::http::error::answers::Invalid),
    ),
    security(("api_key" = ["register:read"]))
)]
pub async fn request_members(
    state: web::Data<AppState>,
    principal: ApiPrincipal,
    path: web::Path<String>,
    query: web::Query<AskedQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = reach(&state, &principal)?;
    let q = query.into_inner();
    let limit = limit_of(q.limit)?;
    let wanted = q
        .state
        .as_deref()
        .map(|s| s.parse::<AnswerState>())
        .transpose()
        .map_err(|m| invalid("state", "one_of", m))?
        .unwrap_or(AnswerState::NotAnswered);
    let scope = reach.ok_or(ApiError::NotFound("declaration request"))?;
    let id: Uuid = path
        .parse()
        .map_err(|_| ApiError::NotFound("declaration request"))?;
    uc::request(&state.db, &scope, id)
        .await?
        .ok_or(ApiError::NotFound("declaration request"))?;
    let (asked, next) = uc::asked(
        &state.db,
        &state.settings,
        id,
        wanted,
        q.after,
        limit,
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(AskedMemberList {
        data: asked
            .into_iter()
            .map(|a| AskedMemberView {
                member_id: a.row.member_id,
                email: a.row.email,
                committee: a.row.committee_id,
                asked_at: a.row.asked_at,
                answered_at: a.row.answered_at,
                state: a.state,
                oldest_confirmation: a.oldest_confirmation,
            })
            .collect(),
        next_after: next,
    }))
}
