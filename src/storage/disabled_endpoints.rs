//! Webhook endpoints that an earlier version disabled after 410 Gone, by URL; read once,
//! when the directory is seeded, so that they stay disabled.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::entities::disabled_endpoint;

pub async fn all_with_reasons(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, (String, DateTime<Utc>)>, DbErr> {
    Ok(disabled_endpoint::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| (d.url, (d.reason, d.disabled_at)))
        .collect())
}
