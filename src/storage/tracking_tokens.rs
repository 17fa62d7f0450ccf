//! Tracking links: only their digests are stored. The first is on the incident row; links
//! issued later (by email, or for a resubmitted form) are rows here, each revocable.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::entities::{incident, tracking_token};
use crate::domain::token;

/// Makes a new tracking token for an incident and returns it (shown once).
pub async fn issue(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = token::random_token(16);
    tracking_token::Entity::insert(tracking_token::ActiveModel {
        token_hash: Set(token::digest(&token)),
        incident_id: Set(incident_id),
        created_at: Set(now),
        revoked_at: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(token)
}

/// The incident a tracking token opens: the link from the form, or one sent by email,
/// unless revoked.
pub async fn find_incident(
    conn: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Uuid>, DbErr> {
    let digest = token::digest(token);
    let issued = tracking_token::Entity::find_by_id(digest.clone())
        .filter(tracking_token::COLUMN.revoked_at.is_null())
        .one(conn)
        .await?;
    if let Some(issued) = issued {
        return Ok(Some(issued.incident_id));
    }
    let first = incident::Entity::find()
        .filter(incident::COLUMN.tracking_token_hash.eq(digest))
        .one(conn)
        .await?;
    Ok(first.map(|i| i.id))
}

/// Revokes every tracking link of an incident.
pub async fn revoke_all(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    tracking_token::Entity::update_many()
        .col_expr(tracking_token::Column::RevokedAt, Expr::value(now))
        .filter(tracking_token::COLUMN.incident_id.eq(incident_id))
        .filter(tracking_token::COLUMN.revoked_at.is_null())
        .exec(conn)
        .await?;
    incident::Entity::update_many()
        .col_expr(
            incident::Column::TrackingTokenHash,
            Expr::value(Option::<String>::None),
        )
        .filter(incident::COLUMN.id.eq(incident_id))
        .exec(conn)
        .await?;
    Ok(())
}
