//! Idempotency records: the first request with a key claims it; the response is stored in
//! the same transaction as the work, so a replay returns exactly what the first one did.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use super::entities::idempotency_key;

/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);
/// How long a claimed key may stay unfinished before another request may take it over,
/// unless the request holding it renews the claim (see `renew`). A request whose process
/// died frees its key within this time.
pub const CLAIM_LEASE: TimeDelta = TimeDelta::seconds(5);

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key and must do the work.
    Claimed,
    /// A finished request with the same body: replay its response.
    Replay { status: u16, body: Vec<u8> },
    /// The same key was used with a different body.
    Mismatch,
    /// Another request with this key is still running.
    InProgress,
}

pub async fn claim(
    conn: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let row = idempotency_key::ActiveModel {
        principal: Set(principal.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
        locked_until: Set(now + CLAIM_LEASE),
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::Principal,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    if inserted > 0 {
        return Ok(Claim::Claimed);
    }
    let Some(existing) =
        idempotency_key::Entity::find_by_id((principal.to_owned(), key.to_owned()))
            .one(conn)
            .await?
    else {
        return Ok(Claim::InProgress);
    };
    let expired = existing.created_at + RETENTION < now;
    let abandoned = existing.response_status.is_none() && existing.locked_until < now;
    if expired || abandoned {
        // Take the key over, unless another request did so first.
        let taken = idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::RequestHash,
                Expr::value(request_hash),
            )
            .col_expr(
                idempotency_key::Column::ResponseStatus,
                Expr::value(Option::<i32>::None),
            )
            .col_expr(
                idempotency_key::Column::ResponseBody,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now))
            .col_expr(
                idempotency_key::Column::LockedUntil,
                Expr::value(now + CLAIM_LEASE),
            )
            .filter(idempotency_key::COLUMN.principal.eq(principal))
            .filter(idempotency_key::COLUMN.key.eq(key))
            .filter(idempotency_key::COLUMN.created_at.eq(existing.created_at))
            .exec(conn)
            .await?;
        return Ok(if taken.rows_affected > 0 {
            Claim::Claimed
        } else {
            Claim::InProgress
        });
    }
    match (existing.response_status, existing.response_body) {
        (Some(_), Some(_)) if existing.request_hash != request_hash => Ok(Claim::Mismatch),
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        }),
        _ => Ok(Claim::InProgress),
    }
}

/// Extends the claim of a request still at work on its key.
pub async fn renew(
    conn: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::LockedUntil,
            Expr::value(now + CLAIM_LEASE),
        )
        .filter(idempotency_key::COLUMN.principal.eq(principal))
        .filter(idempotency_key::COLUMN.key.eq(key))
        .filter(idempotency_key::COLUMN.response_status.is_null())
        .exec(conn)
        .await
        .map(|_| ())
}

/// Stores the response of the request that claimed the key.
pub async fn complete(
    conn: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    status: u16,
    body: Vec<u8>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_key::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_key::COLUMN.principal.eq(principal))
        .filter(idempotency_key::COLUMN.key.eq(key))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Forgets a claim whose request ended without doing any work (refused input).
pub async fn release(conn: &impl ConnectionTrait, principal: &str, key: &str) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::COLUMN.principal.eq(principal))
        .filter(idempotency_key::COLUMN.key.eq(key))
        .filter(idempotency_key::COLUMN.response_status.is_null())
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes records older than the retention period.
pub async fn purge_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::COLUMN.created_at.lt(now - RETENTION))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}
