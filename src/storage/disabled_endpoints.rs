//! Webhook endpoints disabled after answering 410 Gone.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entities::disabled_endpoint;

pub async fn disable(
    conn: &impl ConnectionTrait,
    url: &str,
    party_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    disabled_endpoint::Entity::insert(disabled_endpoint::ActiveModel {
        url: Set(url.to_owned()),
        party_id: Set(party_id.to_owned()),
        reason: Set(reason.to_owned()),
        disabled_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(disabled_endpoint::Column::Url)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub async fn all(conn: &impl ConnectionTrait) -> Result<std::collections::HashSet<String>, DbErr> {
    Ok(disabled_endpoint::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|d| d.url)
        .collect())
}
