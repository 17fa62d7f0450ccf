use sea_orm::entity::prelude::*;

use crate::domain::access::SessionRealm;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_hash: String,
    pub user_id: Option<Uuid>,
    /// Whose session: an officer's at the desk, or a member's.
    pub realm: SessionRealm,
    pub member_id: Option<Uuid>,
    pub state: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
