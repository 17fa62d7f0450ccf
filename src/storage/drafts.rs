//! Report drafts, each under the digest of a browser's form cookie.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, sea_query::OnConflict};

use super::entities::report_draft;

/// The answers of the draft under `digest`, unless it has expired.
pub async fn find(
    conn: &impl ConnectionTrait,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    Ok(report_draft::Entity::find_by_id(digest.to_owned())
        .filter(report_draft::COLUMN.expires_at.gt(now))
        .one(conn)
        .await?
        .map(|row| row.answers))
}

/// Writes the draft under `digest`, replacing any earlier one.
pub async fn put(
    conn: &impl ConnectionTrait,
    digest: &str,
    answers: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    report_draft::Entity::insert(report_draft::ActiveModel {
        digest: Set(digest.to_owned()),
        answers: Set(answers),
        updated_at: Set(now),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(report_draft::Column::Digest)
            .update_columns([
                report_draft::Column::Answers,
                report_draft::Column::UpdatedAt,
                report_draft::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub async fn delete(conn: &impl ConnectionTrait, digest: &str) -> Result<(), DbErr> {
    report_draft::Entity::delete_by_id(digest.to_owned())
        .exec(conn)
        .await
        .map(|_| ())
}

/// The answers of the drafts that expired before `now`, to release their files.
pub async fn expired(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    report_draft::Entity::find()
        .select_only()
        .column(report_draft::Column::Answers)
        .filter(report_draft::COLUMN.expires_at.lte(now))
        .into_tuple()
        .all(conn)
        .await
}

/// Which of `digests` (of files) a kept draft names.
pub async fn holding(
    conn: &impl ConnectionTrait,
    digests: &[String],
) -> Result<Vec<String>, DbErr> {
    let mut held = Vec::new();
    for digest in digests {
        let found = report_draft::Entity::find()
            .filter(report_draft::COLUMN.answers.contains(digest.as_str()))
            .one(conn)
            .await?;
        if found.is_some() {
            held.push(digest.clone());
        }
    }
    Ok(held)
}

/// Deletes the drafts that expired before `now`; returns how many.
pub async fn delete_expired(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    report_draft::Entity::delete_many()
        .filter(report_draft::COLUMN.expires_at.lte(now))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}
