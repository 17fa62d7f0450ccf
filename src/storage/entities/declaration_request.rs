use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "declaration_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The root of the subtree asked.
    pub committee_id: String,
    pub created_by: Uuid,
    pub created_by_name: String,
    pub message: String,
    pub deadline: DateTimeUtc,
    pub remind_at: DateTimeUtc,
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// Members the request asked.
    pub asked_count: i32,
    /// Of them, members who have answered.
    pub answered_count: i32,
}

impl ActiveModelBehavior for ActiveModel {}
