//! Tracking links beyond the first: only their digests are stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

use super::entities::tracking_token;
use crate::secrets;

/// Makes a new tracking token for an incident and returns it (shown once).
pub async fn issue(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = secrets::random_token(16);
    tracking_token::Entity::insert(tracking_token::ActiveModel {
        token_hash: Set(secrets::digest(&token)),
        incident_id: Set(incident_id),
        created_at: Set(now),
        revoked_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(token)
}
