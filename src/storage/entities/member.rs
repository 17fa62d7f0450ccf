use sea_orm::entity::prelude::*;

use crate::domain::Locale;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-cased; the member's identity.
    pub email: String,
    pub committee_id: Option<String>,
    /// When an officer of the committee confirmed the member belongs to it.
    pub committee_confirmed_at: Option<DateTimeUtc>,
    pub locale: Locale,
    /// When the member last confirmed that their declarations are complete and current.
    pub confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_signed_in_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
