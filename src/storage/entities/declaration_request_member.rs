use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "declaration_request_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// The member's committee when asked.
    pub committee_id: String,
    pub asked_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
