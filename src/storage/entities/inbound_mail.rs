use sea_orm::entity::prelude::*;

use crate::domain::correspondence::{
    InboundStatus, InboundVia, MailKind, MatchRule, UnmatchedReason,
};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_mails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub received_at: DateTimeUtc,
    pub via: InboundVia,
    pub message_id: Option<String>,
    pub sha256: String,
    pub sender: String,
    pub subject: String,
    pub kind: MailKind,
    pub status: InboundStatus,
    pub reason: Option<UnmatchedReason>,
    pub matched_by: Option<MatchRule>,
    pub incident_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub auth_results: Option<String>,
    pub dmarc: Option<String>,
    /// The message as it arrived, byte for byte, for mail stored before the mail files;
    /// empty for later mail (kept whole in the file store under `sha256`) and once purged.
    pub raw: Vec<u8>,
    pub handled_by: Option<String>,
    pub handled_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
