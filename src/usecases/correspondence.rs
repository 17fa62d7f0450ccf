//! Correspondence: mail that comes in, by any of the three ways, goes through `receive`;
//! messages written through the API or the desk go through `write`. Each lands on its
//! ticket (or on the member's side of the incident) as a message, a timeline entry and a
//! `ticket.message` webhook event, and moves whose turn it is on the ticket.
//!
//! Mail is matched in order of trust: the signed token of the plus-address it was sent to;
//! then `In-Reply-To`/`References` naming one of our Message-IDs; then the incident's
//! reference in the subject, but only from a known address of one of its parties. What
//! matches nothing, or cannot be trusted, is kept in the unmatched queue with the reason.

mod inbound;
mod mail_writer;
mod member;
mod messages;

pub use inbound::{
    AttachTo, HandleError, Mailroom, ReceiveError, Received, attach, discard, receive,
};
pub use mail_writer::MailWriter;
pub use member::{member_thread, tell_member, write_to_member};
pub use messages::{MessageWriter, NewMessage, Writer, write};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        correspondence::{Direction, MailKind},
        webhook::{WebhookEvidence, WebhookMessage},
    },
    storage::{Conn, DbErr, correspondence, evidence, evidence::EvidenceRow, files::FileStore},
};

pub use crate::storage::correspondence::{InboundRow, InboundSummary, MessageRow};

/// The bytes of a stored mail: from its row for mail stored before the mail files, else
/// from its file; `None` once purged.
async fn raw_mail(files: &FileStore, row: &InboundRow) -> std::io::Result<Option<Vec<u8>>> {
    if !row.raw.is_empty() {
        return Ok(Some(row.raw.clone()));
    }
    match files.read(&row.sha256).await {
        Ok(raw) => Ok(Some(raw)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Our Message-IDs: `ticket-<ticket id>@domain` for a ticket's first email, and
/// `<delivery id>@domain` for every other email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OurId {
    TicketRoot(Uuid),
    Delivery(Uuid),
}

fn our_id(message_id: &str, domain: &str) -> Option<OurId> {
    let (local, host) = message_id.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    match local.strip_prefix("ticket-") {
        Some(ticket) => Uuid::parse_str(ticket).ok().map(OurId::TicketRoot),
        None => Uuid::parse_str(local).ok().map(OurId::Delivery),
    }
}

/// A message as the API and webhooks show it, with the evidence it carries.
pub fn message_view(row: &MessageRow, files: &[EvidenceRow]) -> WebhookMessage {
    let ids = evidence_ids(row);
    WebhookMessage {
        author: row.author,
        author_ref: row.author_ref.clone(),
        body: row.body.clone(),
        channel: row.channel,
        created_at: row.created_at,
        direction: row.direction,
        evidence: files
            .iter()
            .filter(|f| ids.contains(&f.id))
            .map(|f| WebhookEvidence {
                content_type: f.content_type.clone(),
                name: f.file_name.clone(),
                sha256: f.sha256.clone(),
                size_bytes: u64::try_from(f.size_bytes).unwrap_or_default(),
            })
            .collect(),
        id: row.id,
        kind: row.kind,
        subject: row.subject.clone(),
    }
}

/// The evidence ids a message carries.
pub fn evidence_ids(row: &MessageRow) -> Vec<Uuid> {
    serde_json::from_str(&row.evidence).unwrap_or_default()
}

/// One message of a conversation, with whose it is.
pub struct Thread {
    pub messages: Vec<MessageRow>,
    pub evidence: Vec<EvidenceRow>,
}

/// A ticket's conversation, oldest first; reading it as an officer marks it read.
pub async fn ticket_thread(
    db: &crate::storage::Database,
    incident_id: Uuid,
    ticket_id: Uuid,
    mark_read: bool,
) -> Result<Thread, DbErr> {
    let messages = correspondence::ticket_messages(db.conn(), ticket_id).await?;
    let evidence = evidence::for_incident(db.conn(), incident_id).await?;
    if mark_read
        && messages
            .iter()
            .any(|m| m.direction == Direction::Inbound && m.read_at.is_none())
    {
        let tx = db.begin_write().await?;
        correspondence::mark_read(&*tx, ticket_id, Utc::now()).await?;
        tx.commit().await?;
    }
    Ok(Thread { messages, evidence })
}

/// Marks the party messages of these tickets read.
pub async fn mark_read(db: &crate::storage::Database, tickets: &[Uuid]) -> Result<(), DbErr> {
    let tx = db.begin_write().await?;
    let now = Utc::now();
    for ticket in tickets {
        correspondence::mark_read(&*tx, *ticket, now).await?;
    }
    tx.commit().await
}

/// The unmatched queue, newest first.
pub async fn unmatched(
    db: &crate::storage::Database,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<InboundSummary>, DbErr> {
    correspondence::inbound_list(
        db.conn(),
        crate::domain::correspondence::InboundStatus::Unmatched,
        before,
        limit,
    )
    .await
}

fn new_message(
    incident_id: Uuid,
    ticket_id: Option<Uuid>,
    direction: Direction,
    kind: MailKind,
    now: DateTime<Utc>,
) -> MessageRow {
    MessageRow {
        id: Uuid::now_v7(),
        incident_id,
        ticket_id,
        direction,
        author: crate::domain::correspondence::Author::Party,
        author_ref: None,
        channel: crate::domain::correspondence::MessageChannel::Email,
        kind,
        subject: String::new(),
        body: String::new(),
        inbound_id: None,
        shared_with_member: false,
        evidence: "[]".to_owned(),
        read_at: None,
        created_at: now,
    }
}

async fn insert(conn: &impl Conn, row: &MessageRow) -> Result<(), DbErr> {
    correspondence::insert_message(conn, row.clone()).await
}

/// One inbound mail as an officer reads it: the stored row, what it says, and the incident
/// it could go to (the one its subject names, or the one the officer looked up) with that
/// incident's tickets.
pub struct MailForOfficer {
    pub row: InboundRow,
    pub mail: Option<crate::domain::correspondence::InboundMail>,
    pub incident: Option<crate::storage::incidents::IncidentRow>,
    pub tickets: Vec<crate::storage::tickets::TicketRow>,
}

/// An inbound mail with what an officer needs to place it; `lookup` names another incident.
pub async fn mail_for_officer(
    db: &crate::storage::Database,
    files: &FileStore,
    id: Uuid,
    lookup: Option<&crate::storage::incidents::IncidentKey>,
) -> anyhow::Result<Option<MailForOfficer>> {
    use crate::storage::{Scope, incidents, tickets};
    let Some(row) = correspondence::inbound(db.conn(), id).await? else {
        return Ok(None);
    };
    let mail = raw_mail(files, &row)
        .await?
        .and_then(|raw| crate::domain::correspondence::parse_mail(&raw).ok());
    let incident = match (lookup, row.incident_id) {
        (Some(key), _) => incidents::find(db.conn(), &Scope::All, key).await?,
        (None, Some(id)) => {
            incidents::find(db.conn(), &Scope::All, &incidents::IncidentKey::Id(id)).await?
        }
        (None, None) => None,
    };
    let tickets = match &incident {
        Some(incident) => tickets::for_incident(db.conn(), incident.id).await?,
        None => Vec::new(),
    };
    Ok(Some(MailForOfficer {
        row,
        mail,
        incident,
        tickets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_are_recognised() {
        let id = Uuid::now_v7();
        assert_eq!(
            our_id(&format!("ticket-{id}@desk.example.org"), "desk.example.org"),
            Some(OurId::TicketRoot(id))
        );
        assert_eq!(
            our_id(&format!("{id}@DESK.example.org"), "desk.example.org"),
            Some(OurId::Delivery(id))
        );
        assert_eq!(
            our_id(&format!("{id}@elsewhere.org"), "desk.example.org"),
            None
        );
        assert_eq!(our_id("reply-1@desk.example.org", "desk.example.org"), None);
    }
}
