use sea_orm::entity::prelude::*;

use crate::domain::{Platform, register::PageStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "register_pages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    /// The declaring member's committee when the version was written (the officers' scope).
    pub committee_id: String,
    pub platform: Platform,
    pub url: String,
    pub page_key: String,
    pub name: String,
    pub created_on: Option<String>,
    pub purpose: String,
    pub status: PageStatus,
    pub closed_on: Option<String>,
    pub closed_reason: Option<String>,
    pub deleted_on_platform: bool,
    pub linked_phone: Option<String>,
    pub linked_email: Option<String>,
    /// JSON list of `{account, role}`.
    pub admins: String,
    /// JSON list of `{name, url}`.
    pub memberships: String,
    pub version: i32,
    pub declared_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub confirmed_at: DateTimeUtc,
    pub search_text: String,
}

impl ActiveModelBehavior for ActiveModel {}
