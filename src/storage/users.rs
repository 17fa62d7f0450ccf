//! Desk officers. Only an argon2id hash of each password is stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::user;
use crate::domain::access::{Officer, Role};

pub use user::Model as UserRow;

pub struct NewUser<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub committee: Option<&'a str>,
    pub password_hash: String,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    new: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<UserRow, DbErr> {
    let row = UserRow {
        id: Uuid::now_v7(),
        username: new.username.to_owned(),
        name: new.name.to_owned(),
        role: new.role,
        committee_id: new.committee.map(str::to_owned),
        password_hash: new.password_hash,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    user::Entity::insert(user::ActiveModel::from(row.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}

pub async fn by_username(
    conn: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<UserRow>, DbErr> {
    user::Entity::find()
        .filter(user::COLUMN.username.eq(username))
        .one(conn)
        .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<UserRow>, DbErr> {
    user::Entity::find_by_id(id).one(conn).await
}

pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<UserRow>, DbErr> {
    user::Entity::find()
        .order_by_asc(user::Column::Username)
        .all(conn)
        .await
}

pub async fn set_disabled(
    conn: &impl ConnectionTrait,
    id: Uuid,
    disabled: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update(user::ActiveModel {
        id: Set(id),
        disabled_at: Set(disabled),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update(user::ActiveModel {
        id: Set(id),
        password_hash: Set(password_hash),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map(|_| ())
}

impl UserRow {
    /// The officer this row describes, unless disabled or unreadable.
    pub fn officer(&self) -> Option<Officer> {
        if self.disabled_at.is_some() {
            return None;
        }
        Some(Officer {
            id: self.id,
            username: self.username.clone(),
            name: self.name.clone(),
            role: self.role,
            committee: self.committee_id.clone(),
        })
    }
}
