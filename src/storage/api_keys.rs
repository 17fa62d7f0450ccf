//! API keys: only the digest of a key is stored; the key itself is shown once.

use crate::domain::Named;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::entities::api_key;
use crate::{domain::access::ApiScope, domain::token};

pub use api_key::Model as ApiKeyRow;

pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub committee_id: Option<String>,
    pub party_id: Option<String>,
}

/// Creates a key and returns its row and the secret, which is never stored.
pub async fn create(
    conn: &impl ConnectionTrait,
    new: NewApiKey,
) -> Result<(ApiKeyRow, String), DbErr> {
    let secret = format!("idk_{}", token::random_token(32));
    let row = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        prefix: Set(secret.chars().take(12).collect()),
        key_hash: Set(token::digest(&secret)),
        scopes: Set(new
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        committee_id: Set(new.committee_id),
        party_id: Set(new.party_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    };
    let model = api_key::Entity::insert(row)
        .exec_with_returning(conn)
        .await?;
    Ok((model, secret))
}

/// The active key whose secret is `presented`, if any.
pub async fn authenticate(
    conn: &impl ConnectionTrait,
    presented: &str,
) -> Result<Option<ApiKeyRow>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::COLUMN.key_hash.eq(token::digest(presented)))
        .filter(api_key::COLUMN.revoked_at.is_null())
        .one(conn)
        .await
}

/// Records use at most once a minute, so reads do not turn into writes.
pub async fn mark_used(
    conn: &impl ConnectionTrait,
    key: &ApiKeyRow,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stale = key
        .last_used_at
        .is_none_or(|t| now - t > TimeDelta::minutes(1));
    if stale {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::COLUMN.id.eq(key.id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<ApiKeyRow>, DbErr> {
    api_key::Entity::find()
        .order_by_asc(api_key::Column::Id)
        .all(conn)
        .await
}

/// Revokes a key; false when no active key has that id.
pub async fn revoke(conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let result = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::COLUMN.id.eq(id))
        .filter(api_key::COLUMN.revoked_at.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected > 0)
}

pub fn scopes_of(row: &ApiKeyRow) -> Vec<ApiScope> {
    ApiScope::parse_list(&row.scopes).unwrap_or_default()
}
