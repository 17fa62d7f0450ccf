//! The draft of a report filled in step by step: read, kept and dropped under the
//! browser's form cookie, whose digest alone is stored. Nothing is filed from a draft
//! until the member submits it (`intake`).

use chrono::{DateTime, TimeDelta, Utc};

use crate::{
    domain::{report_form::Answers, token},
    storage::{Database, DbErr, drafts, files::FileStore},
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

/// Deletes the drafts that expired, and the files only they kept; returns how many drafts.
pub async fn sweep(db: &Database, files: &FileStore, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let tx = db.begin_write().await?;
    let expired = drafts::expired(&*tx, now).await?;
    let gone = drafts::delete_expired(&*tx, now).await?;
    tx.commit().await?;
    let digests: Vec<String> = expired
        .iter()
        .filter_map(|json| serde_json::from_str::<Answers>(json).ok())
        .flat_map(|answers| answers.files.into_iter().map(|f| f.sha256))
        .collect();
    release(db, files, digests).await;
    Ok(gone)
}

/// Deletes the files a draft let go of (removed by the member, or expired with it) that
/// no report, mail or other draft names; returns how many were deleted.
pub async fn release(db: &Database, files: &FileStore, digests: Vec<String>) -> usize {
    if digests.is_empty() {
        return 0;
    }
    crate::usecases::retention::delete_files(db, files, uuid::Uuid::nil(), digests).await
}
