//! Secrets the service makes for itself, shared by every process on the same database.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entities::service_secret;

/// The secret named `name`, created with `fresh` bytes on first use.
pub async fn get_or_create(
    conn: &impl ConnectionTrait,
    name: &str,
    fresh: Vec<u8>,
) -> Result<Vec<u8>, DbErr> {
    service_secret::Entity::insert(service_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(fresh),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(service_secret::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    service_secret::Entity::find_by_id(name.to_owned())
        .one(conn)
        .await?
        .map(|s| s.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("service secret {name}")))
}
