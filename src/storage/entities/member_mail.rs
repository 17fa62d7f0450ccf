use sea_orm::entity::prelude::*;

use crate::domain::{delivery::DeliveryStatus, register::MemberMailKind};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_mails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub kind: MemberMailKind,
    /// The sign-in link the mail carries; its token is derived again when the mail is sent.
    pub link_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
