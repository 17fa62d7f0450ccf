use sea_orm::entity::prelude::*;

use crate::domain::correspondence::{Author, Direction, MailKind, MessageChannel};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    /// None for the member's conversation.
    pub ticket_id: Option<Uuid>,
    pub direction: Direction,
    pub author: Author,
    /// The party's id or the officer's username.
    pub author_ref: Option<String>,
    pub channel: MessageChannel,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    pub inbound_id: Option<Uuid>,
    pub shared_with_member: bool,
    /// JSON array of the evidence ids the message carries.
    pub evidence: String,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
