//! The page register's tables: members, their one-time sign-in links, declared pages with
//! every version, declaration requests with the members asked, and the member mail queue.
//! Every officer read goes through a [`Scope`] on the page's (or member's) committee.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Select,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::{
    Scope,
    entities::{
        declaration_request, declaration_request_member, member, member_link, member_mail,
        register_page, register_page_version,
    },
};
use crate::domain::{
    Locale,
    delivery::DeliveryStatus,
    register::{
        ApproxDate, Declaration, MemberMailKind, Membership, PageAdmin, PageChange, PageStatus,
        RegisterQuery,
    },
};

pub type MemberRow = member::Model;
pub type LinkRow = member_link::Model;
pub type RequestRow = declaration_request::Model;
pub type MailRow = member_mail::Model;
pub type VersionRow = register_page_version::Model;

/// Rows per INSERT: well under SQLite's limit of bound parameters.
const BATCH: usize = 400;

// ---- members ----------------------------------------------------------------------------

pub async fn member(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<MemberRow>, DbErr> {
    member::Entity::find_by_id(id).one(conn).await
}

pub async fn member_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<MemberRow>, DbErr> {
    member::Entity::find()
        .filter(member::COLUMN.email.eq(email))
        .one(conn)
        .await
}

/// The member with this email, created when new.
pub async fn ensure_member(
    conn: &impl ConnectionTrait,
    email: &str,
    locale: Locale,
    committee: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MemberRow, DbErr> {
    member::Entity::insert(member::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.to_owned()),
        committee_id: Set(committee.map(str::to_owned)),
        committee_confirmed_at: Set(None),
        locale: Set(locale),
        confirmed_at: Set(None),
        created_at: Set(now),
        last_signed_in_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(member::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    member_by_email(conn, email)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("member {email}")))
}

pub async fn set_committee(
    conn: &impl ConnectionTrait,
    id: Uuid,
    committee: &str,
    confirmed_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    member::Entity::update_many()
        .col_expr(member::Column::CommitteeId, Expr::value(committee))
        .col_expr(
            member::Column::CommitteeConfirmedAt,
            Expr::value(confirmed_at),
        )
        .filter(member::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Confirms that these members belong to their committee, when it is in `scope`.
pub async fn confirm_committee(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = member::Entity::update_many()
        .col_expr(member::Column::CommitteeConfirmedAt, Expr::value(now))
        .filter(member::COLUMN.id.is_in(ids.to_vec()))
        .filter(member::COLUMN.committee_confirmed_at.is_null());
    if let Scope::Committees(committees) = scope {
        update = update.filter(member::COLUMN.committee_id.is_in(committees.clone()));
    }
    Ok(update.exec(conn).await?.rows_affected)
}

pub async fn touch_sign_in(
    conn: &impl ConnectionTrait,
    id: Uuid,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    member::Entity::update_many()
        .col_expr(member::Column::LastSignedInAt, Expr::value(now))
        .col_expr(member::Column::Locale, Expr::value(locale))
        .filter(member::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The member says every page they run is declared and current.
pub async fn confirm_declarations(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    member::Entity::update_many()
        .col_expr(member::Column::ConfirmedAt, Expr::value(now))
        .filter(member::COLUMN.id.eq(id))
        .exec(conn)
        .await?;
    register_page::Entity::update_many()
        .col_expr(register_page::Column::ConfirmedAt, Expr::value(now))
        .filter(register_page::COLUMN.member_id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Which members the roster lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterFilter {
    All,
    /// Chose a committee that has not confirmed them yet.
    Unconfirmed,
}

/// Members of the scope's committees, by email, after `after`.
pub async fn roster(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: RosterFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<MemberRow>, DbErr> {
    let mut select = member::Entity::find().filter(member::COLUMN.committee_id.is_not_null());
    if let Scope::Committees(committees) = scope {
        select = select.filter(member::COLUMN.committee_id.is_in(committees.clone()));
    }
    if filter == RosterFilter::Unconfirmed {
        select = select.filter(member::COLUMN.committee_confirmed_at.is_null());
    }
    if let Some(after) = after {
        select = select.filter(member::COLUMN.email.gt(after));
    }
    select
        .order_by_asc(member::Column::Email)
        .limit(limit)
        .all(conn)
        .await
}

/// The email of each of these members.
pub async fn emails_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(BATCH) {
        let rows: Vec<(Uuid, String)> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .column(member::Column::Email)
            .filter(member::COLUMN.id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Every member of these committees: (id, committee).
pub async fn members_of(
    conn: &impl ConnectionTrait,
    committees: &[String],
) -> Result<Vec<(Uuid, String)>, DbErr> {
    let mut out = Vec::new();
    for chunk in committees.chunks(BATCH) {
        let rows: Vec<(Uuid, Option<String>)> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .column(member::Column::CommitteeId)
            .filter(member::COLUMN.committee_id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().filter_map(|(id, c)| c.map(|c| (id, c))));
    }
    Ok(out)
}

// ---- sign-in links ----------------------------------------------------------------------

pub async fn insert_link(conn: &impl ConnectionTrait, link: LinkRow) -> Result<(), DbErr> {
    member_link::Entity::insert(member_link::ActiveModel {
        id: Set(link.id),
        digest: Set(link.digest),
        member_id: Set(link.member_id),
        request_id: Set(link.request_id),
        created_at: Set(link.created_at),
        expires_at: Set(link.expires_at),
        used_at: Set(link.used_at),
    })
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub async fn link(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<LinkRow>, DbErr> {
    member_link::Entity::find_by_id(id).one(conn).await
}

pub async fn link_by_digest(
    conn: &impl ConnectionTrait,
    digest: &str,
) -> Result<Option<LinkRow>, DbErr> {
    member_link::Entity::find()
        .filter(member_link::COLUMN.digest.eq(digest))
        .one(conn)
        .await
}

/// Spends a link: true for the one caller that used it while it was valid.
pub async fn use_link(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = member_link::Entity::update_many()
        .col_expr(member_link::Column::UsedAt, Expr::value(now))
        .filter(member_link::COLUMN.id.eq(id))
        .filter(member_link::COLUMN.used_at.is_null())
        .filter(member_link::COLUMN.expires_at.gt(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A member's pages follow them to their committee.
pub async fn move_pages(
    conn: &impl ConnectionTrait,
    member: Uuid,
    committee: &str,
) -> Result<(), DbErr> {
    register_page::Entity::update_many()
        .col_expr(register_page::Column::CommitteeId, Expr::value(committee))
        .filter(register_page::COLUMN.member_id.eq(member))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Forgets links that expired a day ago or more.
pub async fn purge_links(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(member_link::Entity::delete_many()
        .filter(member_link::COLUMN.expires_at.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}

// ---- declared pages ---------------------------------------------------------------------

/// A declared page as it stands, with its declaration.
#[derive(Debug, Clone)]
pub struct PageRow {
    pub id: Uuid,
    pub member_id: Uuid,
    pub committee_id: String,
    pub page_key: String,
    pub declaration: Declaration,
    pub version: i32,
    pub declared_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
}

fn page_row(m: register_page::Model) -> PageRow {
    let admins: Vec<PageAdmin> = serde_json::from_str(&m.admins).unwrap_or_default();
    let memberships: Vec<Membership> = serde_json::from_str(&m.memberships).unwrap_or_default();
    PageRow {
        id: m.id,
        member_id: m.member_id,
        committee_id: m.committee_id,
        page_key: m.page_key,
        declaration: Declaration {
            platform: m.platform,
            url: m.url,
            name: m.name,
            created_on: m
                .created_on
                .and_then(|d| ApproxDate::parse("created_on", &d, chrono::NaiveDate::MAX).ok()),
            purpose: m.purpose,
            status: m.status,
            closed_on: m.closed_on.and_then(|d| d.parse().ok()),
            closed_reason: m.closed_reason,
            deleted_on_platform: m.deleted_on_platform,
            linked_phone: m.linked_phone,
            linked_email: m.linked_email,
            admins,
            memberships,
        },
        version: m.version,
        declared_at: m.declared_at,
        updated_at: m.updated_at,
        confirmed_at: m.confirmed_at,
    }
}

fn page_model(page: &PageRow) -> register_page::ActiveModel {
    let d = &page.declaration;
    register_page::ActiveModel {
        id: Set(page.id),
        member_id: Set(page.member_id),
        committee_id: Set(page.committee_id.clone()),
        platform: Set(d.platform),
        url: Set(d.url.clone()),
        page_key: Set(page.page_key.clone()),
        name: Set(d.name.clone()),
        created_on: Set(d.created_on.map(|c| c.to_string())),
        purpose: Set(d.purpose.clone()),
        status: Set(d.status),
        closed_on: Set(d.closed_on.map(|c| c.to_string())),
        closed_reason: Set(d.closed_reason.clone()),
        deleted_on_platform: Set(d.deleted_on_platform),
        linked_phone: Set(d.linked_phone.clone()),
        linked_email: Set(d.linked_email.clone()),
        admins: Set(serde_json::to_string(&d.admins).unwrap_or_else(|_| "[]".to_owned())),
        memberships: Set(serde_json::to_string(&d.memberships).unwrap_or_else(|_| "[]".to_owned())),
        version: Set(page.version),
        declared_at: Set(page.declared_at),
        updated_at: Set(page.updated_at),
        confirmed_at: Set(page.confirmed_at),
        search_text: Set(d.search_text()),
    }
}

async fn insert_version(
    conn: &impl ConnectionTrait,
    page: &PageRow,
    change: PageChange,
) -> Result<(), DbErr> {
    register_page_version::Entity::insert(register_page_version::ActiveModel {
        page_id: Set(page.id),
        version: Set(page.version),
        at: Set(page.updated_at),
        change: Set(change),
        snapshot: Set(serde_json::to_string(&page.declaration).unwrap_or_default()),
    })
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

/// A new declaration, at version 1.
pub async fn insert_page(conn: &impl ConnectionTrait, page: &PageRow) -> Result<(), DbErr> {
    register_page::Entity::insert(page_model(page))
        .exec_without_returning(conn)
        .await?;
    insert_version(conn, page, PageChange::Declared).await
}

/// Writes the next version of a declaration; false when another change came first
/// (the stored version is no longer `page.version - 1`).
pub async fn update_page(
    conn: &impl ConnectionTrait,
    page: &PageRow,
    change: PageChange,
) -> Result<bool, DbErr> {
    let model = page_model(page);
    let updated = register_page::Entity::update_many()
        .set(model)
        .filter(register_page::COLUMN.id.eq(page.id))
        .filter(register_page::COLUMN.version.eq(page.version - 1))
        .exec(conn)
        .await?
        .rows_affected;
    if updated != 1 {
        return Ok(false);
    }
    insert_version(conn, page, change).await?;
    Ok(true)
}

pub async fn page(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<PageRow>, DbErr> {
    Ok(register_page::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(page_row))
}

/// A page when the scope sees its committee.
pub async fn page_in(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<PageRow>, DbErr> {
    Ok(scoped(scope)
        .filter(register_page::COLUMN.id.eq(id))
        .one(conn)
        .await?
        .map(page_row))
}

pub async fn pages_of(conn: &impl ConnectionTrait, member: Uuid) -> Result<Vec<PageRow>, DbErr> {
    Ok(register_page::Entity::find()
        .filter(register_page::COLUMN.member_id.eq(member))
        .order_by_asc(register_page::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(page_row)
        .collect())
}

/// A page's versions, oldest first.
pub async fn versions(conn: &impl ConnectionTrait, page: Uuid) -> Result<Vec<VersionRow>, DbErr> {
    register_page_version::Entity::find()
        .filter(register_page_version::COLUMN.page_id.eq(page))
        .order_by_asc(register_page_version::Column::Version)
        .all(conn)
        .await
}

pub async fn version(
    conn: &impl ConnectionTrait,
    page: Uuid,
    version: i32,
) -> Result<Option<VersionRow>, DbErr> {
    register_page_version::Entity::find_by_id((page, version))
        .one(conn)
        .await
}

fn scoped(scope: &Scope) -> Select<register_page::Entity> {
    let select = register_page::Entity::find();
    match scope {
        Scope::All => select,
        Scope::Committees(ids) => {
            select.filter(register_page::COLUMN.committee_id.is_in(ids.clone()))
        }
    }
}

/// The place after which a keyset page of pages starts: (updated_at, id).
pub type PageCursor = (DateTime<Utc>, Uuid);

/// What a list of the register asks for.
#[derive(Debug, Clone, Default)]
pub struct PageFilter {
    pub query: Option<RegisterQuery>,
    pub committee: Option<Vec<String>>,
    pub status: Option<PageStatus>,
    pub updated_since: Option<DateTime<Utc>>,
    pub member: Option<Uuid>,
}

/// Pages in the scope matching the filter: newest change first, or oldest first (for
/// tools that follow changes with `updated_since`), after the cursor.
pub async fn search(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &PageFilter,
    oldest_first: bool,
    after: Option<PageCursor>,
    limit: u64,
) -> Result<Vec<PageRow>, DbErr> {
    let mut select = scoped(scope);
    match &filter.query {
        Some(RegisterQuery::PageKey(key)) => {
            select = select.filter(register_page::COLUMN.page_key.eq(key.as_str()));
        }
        Some(RegisterQuery::Phone(phone)) => {
            select = select.filter(register_page::COLUMN.linked_phone.eq(phone.as_str()));
        }
        Some(RegisterQuery::Email(email)) => {
            select = select.filter(register_page::COLUMN.linked_email.eq(email.as_str()));
        }
        Some(RegisterQuery::Words(words)) => {
            for word in words.split_whitespace().take(8) {
                let escaped = word
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                select =
                    select.filter(Expr::col(register_page::Column::SearchText).like(
                        sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'),
                    ));
            }
        }
        None => {}
    }
    if let Some(committees) = &filter.committee {
        select = select.filter(register_page::COLUMN.committee_id.is_in(committees.clone()));
    }
    if let Some(status) = filter.status {
        select = select.filter(register_page::Column::Status.eq(status));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(register_page::COLUMN.updated_at.gte(since));
    }
    if let Some(member) = filter.member {
        select = select.filter(register_page::COLUMN.member_id.eq(member));
    }
    if let Some((at, id)) = after {
        let (later, same) = (register_page::Column::UpdatedAt, register_page::Column::Id);
        select = if oldest_first {
            select.filter(
                sea_orm::Condition::any()
                    .add(later.gt(at))
                    .add(sea_orm::Condition::all().add(later.eq(at)).add(same.gt(id))),
            )
        } else {
            select.filter(
                sea_orm::Condition::any()
                    .add(later.lt(at))
                    .add(sea_orm::Condition::all().add(later.eq(at)).add(same.lt(id))),
            )
        };
    }
    let select = if oldest_first {
        select
            .order_by_asc(register_page::Column::UpdatedAt)
            .order_by_asc(register_page::Column::Id)
    } else {
        select
            .order_by_desc(register_page::Column::UpdatedAt)
            .order_by_desc(register_page::Column::Id)
    };
    Ok(select
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(page_row)
        .collect())
}

/// Of these page keys, the ones declared by more than one member.
pub async fn shared_keys(
    conn: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashSet<String>, DbErr> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(BATCH) {
        let rows: Vec<(String, Uuid)> = register_page::Entity::find()
            .select_only()
            .column(register_page::Column::PageKey)
            .column(register_page::Column::MemberId)
            .filter(register_page::COLUMN.page_key.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        let mut first: std::collections::HashMap<String, Uuid> = std::collections::HashMap::new();
        for (key, member) in rows {
            match first.get(&key) {
                Some(m) if *m != member => {
                    out.insert(key);
                }
                Some(_) => {}
                None => {
                    first.insert(key, member);
                }
            }
        }
    }
    Ok(out)
}

/// The declarations of one page key: (member, whether closed).
pub async fn declarers(conn: &impl ConnectionTrait, key: &str) -> Result<Vec<(Uuid, bool)>, DbErr> {
    let rows: Vec<(Uuid, PageStatus)> = register_page::Entity::find()
        .select_only()
        .column(register_page::Column::MemberId)
        .column(register_page::Column::Status)
        .filter(register_page::COLUMN.page_key.eq(key))
        .limit(100)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(m, s)| (m, s == PageStatus::Closed))
        .collect())
}

// ---- declaration requests ---------------------------------------------------------------

pub async fn insert_request(
    conn: &impl ConnectionTrait,
    request: RequestRow,
    asked: &[(Uuid, String)],
) -> Result<(), DbErr> {
    let (id, at) = (request.id, request.created_at);
    declaration_request::Entity::insert(declaration_request::ActiveModel {
        id: Set(request.id),
        committee_id: Set(request.committee_id),
        created_by: Set(request.created_by),
        created_by_name: Set(request.created_by_name),
        message: Set(request.message),
        deadline: Set(request.deadline),
        remind_at: Set(request.remind_at),
        reminded_at: Set(None),
        created_at: Set(request.created_at),
        asked_count: Set(i32::try_from(asked.len()).unwrap_or(i32::MAX)),
        answered_count: Set(0),
    })
    .exec_without_returning(conn)
    .await?;
    for chunk in asked.chunks(BATCH) {
        declaration_request_member::Entity::insert_many(chunk.iter().map(|(member, committee)| {
            declaration_request_member::ActiveModel {
                request_id: Set(id),
                member_id: Set(*member),
                committee_id: Set(committee.clone()),
                asked_at: Set(at),
                answered_at: Set(None),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

pub async fn request_in(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<RequestRow>, DbErr> {
    let mut select = declaration_request::Entity::find_by_id(id);
    if let Scope::Committees(ids) = scope {
        select = select.filter(declaration_request::COLUMN.committee_id.is_in(ids.clone()));
    }
    select.one(conn).await
}

/// Requests sent to committees of the scope, newest first.
pub async fn requests(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    limit: u64,
) -> Result<Vec<RequestRow>, DbErr> {
    let mut select = declaration_request::Entity::find();
    if let Scope::Committees(ids) = scope {
        select = select.filter(declaration_request::COLUMN.committee_id.is_in(ids.clone()));
    }
    select
        .order_by_desc(declaration_request::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await
}

/// How many members a request asked, and how many answered: kept on the request as members
/// answer, so that it costs one row however many were asked.
pub async fn request_counts(conn: &impl ConnectionTrait, id: Uuid) -> Result<(u64, u64), DbErr> {
    let counts: Option<(i32, i32)> = declaration_request::Entity::find_by_id(id)
        .select_only()
        .column(declaration_request::Column::AskedCount)
        .column(declaration_request::Column::AnsweredCount)
        .into_tuple()
        .one(conn)
        .await?;
    let (asked, answered) = counts.unwrap_or_default();
    Ok((
        u64::try_from(asked).unwrap_or_default(),
        u64::try_from(answered).unwrap_or_default(),
    ))
}

/// A member asked by a request, with their email and the oldest confirmation of their pages.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AskedRow {
    pub member_id: Uuid,
    pub email: String,
    pub committee_id: String,
    pub asked_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// The members of a request who answered (or not), by member id after `after`.
pub async fn asked(
    conn: &impl ConnectionTrait,
    request: Uuid,
    answered: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AskedRow>, DbErr> {
    let mut select = declaration_request_member::Entity::find()
        .select_only()
        .column(declaration_request_member::Column::MemberId)
        .column_as(member::Column::Email, "email")
        .column(declaration_request_member::Column::CommitteeId)
        .column(declaration_request_member::Column::AskedAt)
        .column(declaration_request_member::Column::AnsweredAt)
        .join(
            sea_orm::JoinType::InnerJoin,
            declaration_request_member::Entity::belongs_to(member::Entity)
                .from(declaration_request_member::Column::MemberId)
                .to(member::Column::Id)
                .into(),
        )
        .filter(declaration_request_member::COLUMN.request_id.eq(request));
    select = if answered {
        select.filter(declaration_request_member::COLUMN.answered_at.is_not_null())
    } else {
        select.filter(declaration_request_member::COLUMN.answered_at.is_null())
    };
    if let Some(after) = after {
        select = select.filter(declaration_request_member::COLUMN.member_id.gt(after));
    }
    select
        .order_by_asc(declaration_request_member::Column::MemberId)
        .limit(limit)
        .into_model::<AskedRow>()
        .all(conn)
        .await
}

/// The oldest confirmation among each member's pages.
pub async fn oldest_confirmations(
    conn: &impl ConnectionTrait,
    members: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, DbErr> {
    let mut out = std::collections::HashMap::new();
    for chunk in members.chunks(BATCH) {
        let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = register_page::Entity::find()
            .select_only()
            .column(register_page::Column::MemberId)
            .column_as(register_page::Column::ConfirmedAt.min(), "oldest")
            .filter(register_page::COLUMN.member_id.is_in(chunk.to_vec()))
            .filter(register_page::Column::Status.ne(PageStatus::Closed))
            .group_by(register_page::Column::MemberId)
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().filter_map(|(m, at)| at.map(|at| (m, at))));
    }
    Ok(out)
}

/// The member answered every open request that asked them; each request's count of
/// answers grows by the rows this call marked, so that two confirmations at once count once.
pub async fn answer_requests(
    conn: &impl ConnectionTrait,
    member: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let open: Vec<Uuid> = declaration_request_member::Entity::find()
        .select_only()
        .column(declaration_request_member::Column::RequestId)
        .filter(declaration_request_member::COLUMN.member_id.eq(member))
        .filter(declaration_request_member::COLUMN.answered_at.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut answered = 0;
    for request in open {
        let marked = declaration_request_member::Entity::update_many()
            .col_expr(
                declaration_request_member::Column::AnsweredAt,
                Expr::value(now),
            )
            .filter(declaration_request_member::COLUMN.request_id.eq(request))
            .filter(declaration_request_member::COLUMN.member_id.eq(member))
            .filter(declaration_request_member::COLUMN.answered_at.is_null())
            .exec(conn)
            .await?
            .rows_affected;
        if marked == 1 {
            declaration_request::Entity::update_many()
                .col_expr(
                    declaration_request::Column::AnsweredCount,
                    Expr::col(declaration_request::Column::AnsweredCount).add(1),
                )
                .filter(declaration_request::COLUMN.id.eq(request))
                .exec(conn)
                .await?;
            answered += 1;
        }
    }
    Ok(answered)
}

/// Requests of this member not answered yet, with their deadlines.
pub async fn open_requests_of(
    conn: &impl ConnectionTrait,
    member: Uuid,
) -> Result<Vec<RequestRow>, DbErr> {
    let ids: Vec<Uuid> = declaration_request_member::Entity::find()
        .select_only()
        .column(declaration_request_member::Column::RequestId)
        .filter(declaration_request_member::COLUMN.member_id.eq(member))
        .filter(declaration_request_member::COLUMN.answered_at.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    declaration_request::Entity::find()
        .filter(declaration_request::COLUMN.id.is_in(ids))
        .order_by_asc(declaration_request::Column::Deadline)
        .all(conn)
        .await
}

/// Requests whose reminder is due and not sent.
pub async fn due_reminders(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<RequestRow>, DbErr> {
    declaration_request::Entity::find()
        .filter(declaration_request::COLUMN.reminded_at.is_null())
        .filter(declaration_request::COLUMN.remind_at.lte(now))
        .filter(declaration_request::COLUMN.deadline.gt(now))
        .limit(limit)
        .all(conn)
        .await
}

/// Marks a request reminded; false when another instance did first.
pub async fn mark_reminded(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(declaration_request::Entity::update_many()
        .col_expr(declaration_request::Column::RemindedAt, Expr::value(now))
        .filter(declaration_request::COLUMN.id.eq(id))
        .filter(declaration_request::COLUMN.reminded_at.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Every member of a request who has not answered.
pub async fn unanswered(conn: &impl ConnectionTrait, request: Uuid) -> Result<Vec<Uuid>, DbErr> {
    declaration_request_member::Entity::find()
        .select_only()
        .column(declaration_request_member::Column::MemberId)
        .filter(declaration_request_member::COLUMN.request_id.eq(request))
        .filter(declaration_request_member::COLUMN.answered_at.is_null())
        .into_tuple()
        .all(conn)
        .await
}

// ---- member mail ------------------------------------------------------------------------

/// A mail to queue: to whom, what, and the link or request it carries.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub member_id: Uuid,
    pub kind: MemberMailKind,
    pub link_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
}

pub async fn enqueue_mail(
    conn: &impl ConnectionTrait,
    mails: &[NewMail],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in mails.chunks(BATCH) {
        member_mail::Entity::insert_many(chunk.iter().map(|m| member_mail::ActiveModel {
            id: Set(Uuid::now_v7()),
            member_id: Set(m.member_id),
            kind: Set(m.kind),
            link_id: Set(m.link_id),
            request_id: Set(m.request_id),
            status: Set(DeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Takes up to `limit` due mails, pushing each one's next attempt past `lease`, so that
/// another instance does not send it meanwhile.
pub async fn claim_mails(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MailRow>, DbErr> {
    let due = member_mail::Entity::find()
        .filter(member_mail::Column::Status.eq(DeliveryStatus::Pending))
        .filter(member_mail::COLUMN.next_attempt_at.lte(now))
        .order_by_asc(member_mail::Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for mail in due {
        let taken = member_mail::Entity::update_many()
            .col_expr(member_mail::Column::NextAttemptAt, Expr::value(lease))
            .filter(member_mail::COLUMN.id.eq(mail.id))
            .filter(member_mail::COLUMN.next_attempt_at.eq(mail.next_attempt_at))
            .exec(conn)
            .await?
            .rows_affected;
        if taken == 1 {
            claimed.push(mail);
        }
    }
    Ok(claimed)
}

/// Records what one attempt of a mail came to.
pub async fn record_mail(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: DeliveryStatus,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    member_mail::Entity::update_many()
        .col_expr(member_mail::Column::Status, Expr::value(status))
        .col_expr(member_mail::Column::Attempts, Expr::value(attempts))
        .col_expr(
            member_mail::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(member_mail::Column::LastError, Expr::value(error))
        .col_expr(
            member_mail::Column::SentAt,
            Expr::value((status == DeliveryStatus::Delivered).then_some(now)),
        )
        .filter(member_mail::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Mails of a request, by status, for the desk's progress line.
pub async fn request_mail_counts(
    conn: &impl ConnectionTrait,
    request: Uuid,
) -> Result<Vec<(MemberMailKind, DeliveryStatus, i64)>, DbErr> {
    member_mail::Entity::find()
        .select_only()
        .column(member_mail::Column::Kind)
        .column(member_mail::Column::Status)
        .column_as(member_mail::Column::Id.count(), "n")
        .filter(member_mail::COLUMN.request_id.eq(request))
        .group_by(member_mail::Column::Kind)
        .group_by(member_mail::Column::Status)
        .into_tuple()
        .all(conn)
        .await
}
