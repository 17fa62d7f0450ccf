//! Sessions of the desk and the register: the state behind a signed cookie's random key, stored under the key's
//! digest with its expiry. Each call is its own transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::access::SessionRealm;
use crate::storage::{Database, DbErr, sessions};

/// The state of a live session.
pub async fn load(db: &Database, realm: SessionRealm, key: &str) -> Result<Option<String>, DbErr> {
    sessions::load(db.conn(), realm, key, Utc::now()).await
}

pub async fn create(
    db: &Database,
    realm: SessionRealm,
    key: &str,
    subject: Option<Uuid>,
    state: String,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    sessions::store(&*tx, realm, key, subject, state, expires_at, Utc::now()).await?;
    tx.commit().await
}

/// A session ended meanwhile (signed out, user disabled) stays ended.
pub async fn update(
    db: &Database,
    realm: SessionRealm,
    key: &str,
    subject: Option<Uuid>,
    state: String,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    sessions::update(&*tx, realm, key, subject, state, expires_at).await?;
    tx.commit().await
}

pub async fn extend(db: &Database, key: &str, expires_at: DateTime<Utc>) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    sessions::extend(&*tx, key, expires_at).await?;
    tx.commit().await
}

pub async fn end(db: &Database, key: &str) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    sessions::delete(&*tx, key).await?;
    tx.commit().await
}
