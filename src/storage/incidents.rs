//! Incidents: insert, scoped look-ups, filtered keyset listing and state updates.

use crate::domain::Named;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
    sea_query::{Expr, OnConflict, Query},
};
use uuid::Uuid;

use super::{Scope, entities::incident};
use crate::domain::{
    ContainmentState, IncidentKind, IncidentStatus, Platform, ReferenceCode,
    new_incident::Containment,
};

pub use incident::Model as IncidentRow;

/// An incident named by its id or its reference.
#[derive(Debug, Clone)]
pub enum IncidentKey {
    Id(Uuid),
    Reference(String),
}

impl IncidentKey {
    pub fn parse(raw: &str) -> Option<Self> {
        if let Ok(id) = Uuid::parse_str(raw) {
            return Some(Self::Id(id));
        }
        ReferenceCode::parse(raw).map(|r| Self::Reference(r.to_string()))
    }
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub kind: Option<IncidentKind>,
    pub platform: Option<Platform>,
    /// Committees to include (a committee and its subtree).
    pub committees: Option<Vec<String>>,
    pub containment: Option<ContainmentState>,
    pub updated_since: Option<DateTime<Utc>>,
    /// List incidents older than this one (newest first).
    pub before: Option<Uuid>,
    pub limit: u64,
}

fn scoped(scope: &Scope) -> Select<incident::Entity> {
    let select = incident::Entity::find();
    match scope {
        Scope::All => select,
        Scope::Committees(ids) => select.filter(incident::COLUMN.committee_id.is_in(ids.clone())),
    }
}

/// Takes the next `count` numbers of the year's reference sequence.
pub async fn next_references(
    conn: &impl ConnectionTrait,
    year: i32,
    count: u64,
) -> Result<Vec<ReferenceCode>, DbErr> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    #[derive(sea_orm::DeriveIden)]
    enum ReferenceCounters {
        Table,
        Year,
        LastValue,
    }
    let stmt = Query::insert()
        .into_table(ReferenceCounters::Table)
        .columns([ReferenceCounters::Year, ReferenceCounters::LastValue])
        .values_panic([year.into(), count.into()])
        .on_conflict(
            OnConflict::column(ReferenceCounters::Year)
                .value(
                    ReferenceCounters::LastValue,
                    Expr::col((ReferenceCounters::Table, ReferenceCounters::LastValue)).add(count),
                )
                .to_owned(),
        )
        .returning_col(ReferenceCounters::LastValue)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("reference counter returned no row".into()))?;
    let last: i64 = row.try_get("", "last_value")?;
    Ok((last - count + 1..=last)
        .map(|n| ReferenceCode::new(year, u64::try_from(n).unwrap_or_default()))
        .collect())
}

pub async fn insert_many(
    conn: &impl ConnectionTrait,
    rows: Vec<incident::ActiveModel>,
) -> Result<(), DbErr> {
    incident::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn find(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<Option<IncidentRow>, DbErr> {
    let select = scoped(scope);
    let select = match key {
        IncidentKey::Id(id) => select.filter(incident::COLUMN.id.eq(*id)),
        IncidentKey::Reference(r) => select.filter(incident::COLUMN.reference.eq(r.as_str())),
    };
    select.one(conn).await
}

/// Looks an incident up and locks its row until the transaction ends (PostgreSQL; on
/// SQLite the write transaction already holds the database).
pub async fn find_for_update(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<Option<IncidentRow>, DbErr> {
    let select = scoped(scope);
    let select = match key {
        IncidentKey::Id(id) => select.filter(incident::COLUMN.id.eq(*id)),
        IncidentKey::Reference(r) => select.filter(incident::COLUMN.reference.eq(r.as_str())),
    };
    select.lock_exclusive().one(conn).await
}

pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &IncidentFilter,
) -> Result<Vec<IncidentRow>, DbErr> {
    let mut select = scoped(scope);
    if let Some(status) = filter.status {
        select = select.filter(incident::COLUMN.status.eq(status));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(incident::COLUMN.kind.eq(kind));
    }
    if let Some(platform) = filter.platform {
        select = select.filter(incident::COLUMN.page_platform.eq(platform));
    }
    if let Some(committees) = &filter.committees {
        select = select.filter(incident::COLUMN.committee_id.is_in(committees.clone()));
    }
    if let Some(containment) = filter.containment {
        select = select.filter(incident::COLUMN.containment.eq(containment));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(incident::COLUMN.updated_at.gte(since));
    }
    if let Some(before) = filter.before {
        select = select.filter(incident::COLUMN.id.lt(before));
    }
    select
        .order_by_desc(incident::Column::Id)
        .limit(filter.limit)
        .all(conn)
        .await
}

/// Incidents filed earlier for the same page, newest first.
pub async fn same_page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    page_key: &str,
    except: Uuid,
) -> Result<Vec<IncidentRow>, DbErr> {
    scoped(scope)
        .filter(incident::COLUMN.page_key.eq(page_key))
        .filter(incident::COLUMN.id.ne(except))
        .order_by_desc(incident::Column::Id)
        .limit(20)
        .all(conn)
        .await
}

pub async fn set_containment(
    conn: &impl ConnectionTrait,
    id: Uuid,
    containment: &Containment,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let actions: Vec<&str> = containment.actions.iter().map(|a| a.as_str()).collect();
    incident::Entity::update(incident::ActiveModel {
        id: Set(id),
        containment: Set(containment.state),
        contained_at: Set(containment.at),
        containment_actions: Set(serde_json::json!(actions)),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    status: IncidentStatus,
    duplicate_of: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    incident::Entity::update(incident::ActiveModel {
        id: Set(id),
        status: Set(status),
        duplicate_of: Set(duplicate_of),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

pub async fn touch(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    incident::Entity::update_many()
        .col_expr(incident::Column::UpdatedAt, Expr::value(now))
        .filter(incident::COLUMN.id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn set_platform_case_ref(
    conn: &impl ConnectionTrait,
    id: Uuid,
    case_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    incident::Entity::update(incident::ActiveModel {
        id: Set(id),
        platform_case_ref: Set(Some(case_ref.to_owned())),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}
