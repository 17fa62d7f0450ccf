use sea_orm::entity::prelude::*;

use crate::domain::register::PageChange;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "register_page_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub page_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub at: DateTimeUtc,
    pub change: PageChange,
    /// The declaration as JSON.
    pub snapshot: String,
}

impl ActiveModelBehavior for ActiveModel {}
