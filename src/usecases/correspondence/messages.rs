//! Messages written through the API or the desk: an officer to a party (sent by email and
//! webhook), or a party to the desk through its own API key.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::{
    MessageRow, insert,
    mail_writer::{Announced, announce},
    message_view, new_message,
};
use crate::{
    domain::{
        Actor, BoundedText, FieldError, TimelineEvent,
        correspondence::{Author, Direction, MailKind, MessageChannel, Waiting},
        directory::Directory,
        webhook::{EventData, TicketMessageData, WebhookEvent},
    },
    storage::{
        Database, Scope,
        correspondence::{self, Turn},
        deliveries,
        events::{self, NewEvent},
        evidence,
        incidents::{self, IncidentKey},
        tickets,
    },
    usecases::{
        incident::ActionError,
        outbox::{self, Outbox},
        payload,
    },
};

/// What a message needs.
pub struct MessageWriter<'a> {
    pub db: &'a Database,
    pub dir: &'a Directory,
    pub outbox: &'a Outbox,
}

/// Who writes.
#[derive(Debug, Clone)]
pub enum Writer {
    /// An officer, to the ticket's party.
    Officer(Actor),
    /// The ticket's party, to the desk.
    Party(Actor),
}

/// A message as written.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub subject: Option<BoundedText>,
    pub body: BoundedText,
    /// Evidence of the incident to send with it (officers only).
    pub evidence: Vec<Uuid>,
    pub channel: MessageChannel,
}

/// Adds a message to a ticket's conversation and sends it on.
pub async fn write(
    w: &MessageWriter<'_>,
    ticket_id: Uuid,
    writer: Writer,
    message: NewMessage,
) -> Result<MessageRow, ActionError> {
    let tx = w.db.begin_write().await?;
    let ticket = tickets::lock(&*tx, ticket_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let incident = incidents::find(&*tx, &Scope::All, &IncidentKey::Id(ticket.incident_id))
        .await?
        .ok_or(ActionError::NotFound)?;
    if incident.purged_at.is_some() {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "ticket",
            "purged",
            "the incident's personal data was purged; its conversations are closed",
        )]));
    }
    let files = evidence::for_incident(&*tx, incident.id).await?;
    let mut problems = Vec::new();
    if matches!(writer, Writer::Party(_)) && !message.evidence.is_empty() {
        problems.push(FieldError::new(
            "evidence",
            "not_allowed",
            "a party cannot attach the incident's evidence to its own message",
        ));
    }
    for (i, id) in message.evidence.iter().enumerate() {
        if !files.iter().any(|f| f.id == *id) {
            problems.push(FieldError::new(
                format!("evidence[{i}]"),
                "unknown_evidence",
                "must be the id of a file of this incident",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ActionError::Invalid(problems));
    }
    let now = Utc::now();
    let (direction, author, actor) = match &writer {
        Writer::Officer(actor) => (Direction::Outbound, Author::Officer, actor.clone()),
        Writer::Party(actor) => (Direction::Inbound, Author::Party, actor.clone()),
    };
    let mut row = new_message(
        incident.id,
        Some(ticket.id),
        direction,
        MailKind::Reply,
        now,
    );
    row.author = author;
    row.author_ref = match author {
        Author::Officer => actor.name.clone().or(actor.id.clone()),
        _ => Some(ticket.party_id.clone()),
    };
    row.channel = message.channel;
    row.subject = message
        .subject
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| format!("[{}]", incident.reference));
    row.body = message.body.as_str().to_owned();
    row.evidence = serde_json::to_string(&message.evidence).unwrap_or_else(|_| "[]".to_owned());
    if direction == Direction::Inbound {
        row.read_at = None;
    }
    insert(&*tx, &row).await?;
    let turn = match writer {
        Writer::Officer(_) => Turn {
            waiting: Waiting::OnParty,
            unread: false,
        },
        Writer::Party(_) => Turn {
            waiting: Waiting::OnUs,
            unread: true,
        },
    };
    let updated = correspondence::set_turn(&*tx, ticket.id, turn, now)
        .await?
        .ok_or(ActionError::NotFound)?;
    let committee = tickets::committee_of(&*tx, incident.id)
        .await?
        .filter(|c| c.id != ticket.id);
    let sent = match writer {
        Writer::Officer(_) => {
            // To the party by every channel, and to the committee's webhooks.
            let event = WebhookEvent::new(
                now,
                EventData::TicketMessage(TicketMessageData {
                    incident: payload::incident_ref(&incident),
                    message: message_view(&row, &files),
                    ticket: payload::ticket(&updated),
                }),
            );
            let rows = outbox::rows_for(w.dir, &updated, &event, outbox::Channels::All, now);
            let count = rows.len();
            if !rows.is_empty() {
                deliveries::insert_many(&*tx, rows).await?;
            }
            if let Some(committee) = &committee {
                outbox::queue_webhooks(&*tx, w.dir, [committee], event.data.clone(), now).await?;
            }
            count
        }
        Writer::Party(_) => {
            let what = Announced {
                incident: &incident,
                ticket: &updated,
                committee: committee.as_ref(),
                message: &row,
                files: &files,
            };
            announce(&*tx, w.dir, what, now).await?;
            0
        }
    };
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: Some(ticket.id),
            actor,
            event_type: match direction {
                Direction::Outbound => TimelineEvent::MessageSent,
                Direction::Inbound => TimelineEvent::MessageReceived,
            },
            data: json!({
                "party": ticket.party_id,
                "message": row.id,
                "kind": row.kind,
                "channel": row.channel,
                "evidence": message.evidence.len(),
                "deliveries": sent,
            }),
            at: now,
        }],
    )
    .await?;
    tx.commit().await?;
    w.outbox.wake();
    Ok(row)
}
