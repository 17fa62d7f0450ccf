//! Evidence rows: which stored file belongs to which incident.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::evidence;
use crate::domain::EvidenceFile;

pub use evidence::Model as EvidenceRow;

pub async fn insert_many(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    files: &[EvidenceFile],
    now: DateTime<Utc>,
) -> Result<Vec<EvidenceRow>, DbErr> {
    let rows = new_rows(incident_id, files, now);
    insert_rows(conn, rows.clone()).await?;
    Ok(rows)
}

/// The rows that record `files` as evidence of the incident, not yet stored.
pub fn new_rows(incident_id: Uuid, files: &[EvidenceFile], now: DateTime<Utc>) -> Vec<EvidenceRow> {
    files
        .iter()
        .map(|f| EvidenceRow {
            id: Uuid::now_v7(),
            incident_id,
            file_name: f.file_name.clone(),
            content_type: f.kind.mime().to_owned(),
            size_bytes: i64::try_from(f.size_bytes).unwrap_or(i64::MAX),
            sha256: f.sha256.clone(),
            created_at: now,
        })
        .collect()
}

/// Stores evidence rows in one insert.
pub async fn insert_rows(conn: &impl ConnectionTrait, rows: Vec<EvidenceRow>) -> Result<(), DbErr> {
    evidence::Entity::insert_many(rows.into_iter().map(Into::<evidence::ActiveModel>::into))
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn for_incident(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<EvidenceRow>, DbErr> {
    evidence::Entity::find()
        .filter(evidence::COLUMN.incident_id.eq(incident_id))
        .order_by_asc(evidence::Column::Id)
        .all(conn)
        .await
}

/// One file of one incident (the incident's id scopes the lookup).
pub async fn find(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    id: Uuid,
) -> Result<Option<EvidenceRow>, DbErr> {
    evidence::Entity::find_by_id(id)
        .filter(evidence::COLUMN.incident_id.eq(incident_id))
        .one(conn)
        .await
}
