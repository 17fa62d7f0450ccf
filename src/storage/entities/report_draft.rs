use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_drafts")]
pub struct Model {
    /// The digest of the browser's form cookie; the cookie itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    /// The answers so far, as JSON.
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
