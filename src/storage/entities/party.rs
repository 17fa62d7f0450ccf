use sea_orm::entity::prelude::*;

use crate::domain::{Locale, routing::PartyKind};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: PartyKind,
    pub parent_id: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub locale: Locale,
    pub ack_deadline_secs: i64,
    /// Kept for the first schema; the directory's parties are all active.
    pub active: bool,
    pub updated_at: DateTimeUtc,
    /// A JSON array of addresses.
    pub emails: String,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTimeUtc>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
