use sea_orm::entity::prelude::*;

use crate::domain::{TicketStatus, correspondence::Waiting, routing::PartyKind};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub party_id: String,
    pub role: PartyKind,
    pub status: TicketStatus,
    pub external_ref: Option<String>,
    pub deadline_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Whose move it is on the ticket's conversation.
    pub waiting: Waiting,
    /// Party messages no officer has read yet.
    pub unread: i32,
    /// Since when the acknowledgement clock has been paused (waiting on the member).
    pub paused_at: Option<DateTimeUtc>,
    /// Seconds the clock spent paused before `paused_at`.
    pub paused_seconds: i64,
}

impl ActiveModelBehavior for ActiveModel {}
