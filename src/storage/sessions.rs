//! Sessions of the desk and of the register. The cookie carries a random key; only its
//! digest is stored, with the session's realm, state and expiry. A session is only ever
//! loaded in its own realm.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::entities::session;
use crate::domain::{access::SessionRealm, token};

pub async fn load(
    conn: &impl ConnectionTrait,
    realm: SessionRealm,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    Ok(session::Entity::find_by_id(token::digest(key))
        .filter(session::COLUMN.expires_at.gt(now))
        .filter(sea_orm::ColumnTrait::eq(&session::Column::Realm, realm))
        .one(conn)
        .await?
        .map(|s| s.state))
}

/// Changes a session's state, if the session still exists.
pub async fn update(
    conn: &impl ConnectionTrait,
    realm: SessionRealm,
    key: &str,
    subject: Option<Uuid>,
    state: String,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (user_id, member_id) = subjects(realm, subject);
    session::Entity::update_many()
        .col_expr(session::Column::UserId, Expr::value(user_id))
        .col_expr(session::Column::MemberId, Expr::value(member_id))
        .col_expr(session::Column::State, Expr::value(state))
        .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
        .filter(session::COLUMN.key_hash.eq(token::digest(key)))
        .filter(sea_orm::ColumnTrait::eq(&session::Column::Realm, realm))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The officer or the member a session stands for, in the column of its realm.
fn subjects(realm: SessionRealm, subject: Option<Uuid>) -> (Option<Uuid>, Option<Uuid>) {
    match realm {
        SessionRealm::Desk => (subject, None),
        SessionRealm::Member => (None, subject),
    }
}

/// Writes a session's state under `key`, creating it when new.
pub async fn store(
    conn: &impl ConnectionTrait,
    realm: SessionRealm,
    key: &str,
    subject: Option<Uuid>,
    state: String,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (user_id, member_id) = subjects(realm, subject);
    session::Entity::insert(session::ActiveModel {
        key_hash: Set(token::digest(key)),
        user_id: Set(user_id),
        realm: Set(realm),
        member_id: Set(member_id),
        state: Set(state),
        created_at: Set(now),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(session::Column::KeyHash)
            .update_columns([
                session::Column::UserId,
                session::Column::MemberId,
                session::Column::State,
                session::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub async fn extend(
    conn: &impl ConnectionTrait,
    key: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(session::COLUMN.key_hash.eq(token::digest(key)))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete(conn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(token::digest(key))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Ends every session of a member.
pub async fn delete_for_member(conn: &impl ConnectionTrait, member_id: Uuid) -> Result<u64, DbErr> {
    session::Entity::delete_many()
        .filter(session::COLUMN.member_id.eq(member_id))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

/// Ends every session of a user (disabled, or given a new password).
pub async fn delete_for_user(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    session::Entity::delete_many()
        .filter(session::COLUMN.user_id.eq(user_id))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

pub async fn purge_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    session::Entity::delete_many()
        .filter(session::COLUMN.expires_at.lte(now))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}
