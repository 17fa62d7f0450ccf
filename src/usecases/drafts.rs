//! The draft of a report filled in step by step: read, kept and dropped under the
//! browser's form cookie, whose digest alone is stored. Nothing is filed from a draft
//! until the member submits it (`intake`).

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::{report_form::Answers, token},
    storage::{Database, DbErr, drafts},
};

/// The draft kept under the browser's cookie `cookie`, unless it has expired (or cannot
/// be read any more, after a change of its shape).
pub async fn load(
    db: &Database,
    cookie: &str,
    now: DateTime<Utc>,
) -> Result<Option<Answers>, DbErr> {
    let found = drafts::find(db.conn(), &token::digest(cookie), now).await?;
    Ok(found.and_then(|json| match serde_json::from_str(&json) {
        Ok(answers) => Some(answers),
        Err(error) => {
            tracing::warn!(%error, "a report draft could not be read; it is started again");
            None
        }
    }))
}

/// Keeps `answers` for `lifetime` from `now`.
pub async fn save(
    db: &Database,
    cookie: &str,
    answers: &Answers,
    now: DateTime<Utc>,
    lifetime: std::time::Duration,
) -> anyhow::Result<()> {
    let json = serde_json::to_string(answers)?;
    let expires = now + TimeDelta::from_std(lifetime)?;
    let tx = db.begin_write().await?;
    drafts::put(&*tx, &token::digest(cookie), json, now, expires).await?;
    tx.commit().await?;
    Ok(())
}

/// Drops the draft: it was submitted, or the member started again.
pub async fn discard(db: &Database, cookie: &str) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    drafts::delete(&*tx, &token::digest(cookie)).await?;
    tx.commit().await
}

/// Deletes the drafts that expired; returns how many.
pub async fn sweep(db: &Database, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let tx = db.begin_write().await?;
    let gone = drafts::delete_expired(&*tx, now).await?;
    tx.commit().await?;
    Ok(gone)
}
