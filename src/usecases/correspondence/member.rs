//! The member hears back: news of the incident by email in their language (each with a
//! fresh tracking link, issued at send time, and the incident's reply address), and the
//! officers' messages to them, which pause the parties' acknowledgement clocks until the
//! member answers.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{MessageRow, insert, new_message};
use crate::{
    config::Settings,
    domain::{
        Actor, FieldError, TicketStatus, TimelineEvent,
        correspondence::{Author, Direction, MailKind, MemberUpdate},
        delivery::{Channel, Notice},
        routing::PartyKind,
    },
    storage::{
        Conn, Database, DbErr, Scope, correspondence, deliveries,
        events::{self, NewEvent},
        incidents::{IncidentKey, IncidentRow},
        tickets,
    },
    usecases::{
        incident::{ActionError, locked},
        outbox::{self, Outbox},
        payload,
    },
};

/// Queues an email to the member about `update`, when the member left an address and the
/// organisation mails this kind of news. The caller wakes the outbox after committing.
pub async fn tell_member(
    conn: &impl Conn,
    settings: &Settings,
    incident: &IncidentRow,
    update: MemberUpdate,
    detail: Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !settings.notifications.member_updates.contains(&update) || incident.purged_at.is_some() {
        return Ok(());
    }
    let Some(email) = incident
        .reporter_email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    else {
        return Ok(());
    };
    let all = tickets::for_incident(conn, incident.id).await?;
    let Some(committee) = all.iter().find(|t| t.role == PartyKind::Committee) else {
        return Ok(());
    };
    let body = serde_json::to_vec(&json!({
        "type": Notice::MemberUpdate,
        "timestamp": payload::rfc3339(now),
        "data": {
            "update": update,
            "incident": {
                "id": incident.id,
                "reference": incident.reference,
                "kind": incident.kind,
                "status": incident.status,
            },
            "detail": detail,
        },
    }))
    .unwrap_or_default();
    deliveries::insert_many(
        conn,
        vec![outbox::row(
            committee,
            Channel::Email,
            email.to_owned(),
            Notice::MemberUpdate,
            &body,
            now,
        )],
    )
    .await
}

/// An officer writes to the member: the message is on the member's side of the incident
/// (shown on the tracking page and mailed), and every open ticket's acknowledgement clock
/// pauses until the member answers.
pub async fn write_to_member(
    db: &Database,
    settings: &Settings,
    outbox: &Outbox,
    scope: &Scope,
    key: &IncidentKey,
    message: super::NewMessage,
    actor: Actor,
) -> Result<MessageRow, ActionError> {
    let (tx, incident) = locked(db, scope, key).await?;
    if incident.purged_at.is_some() {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "incident",
            "purged",
            "the incident's personal data was purged; its conversations are closed",
        )]));
    }
    if !message.evidence.is_empty() {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "evidence",
            "not_allowed",
            "the member's own evidence is not sent back to them",
        )]));
    }
    let now = Utc::now();
    let mut row = new_message(incident.id, None, Direction::Outbound, MailKind::Reply, now);
    row.author = Author::Officer;
    row.author_ref = actor.name.clone().or(actor.id.clone());
    row.channel = message.channel;
    row.subject = message
        .subject
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| format!("[{}]", incident.reference));
    row.body = message.body.as_str().to_owned();
    row.shared_with_member = true;
    insert(&*tx, &row).await?;
    let paused = correspondence::pause_clocks(&*tx, incident.id, &TicketStatus::OPEN, now).await?;
    events::append(
        &*tx,
        vec![NewEvent {
            incident_id: incident.id,
            ticket_id: None,
            actor,
            event_type: TimelineEvent::MessageSent,
            data: json!({
                "to": Author::Member,
                "message": row.id,
                "channel": row.channel,
                "clocks_paused": paused,
            }),
            at: now,
        }],
    )
    .await?;
    tell_member(
        &*tx,
        settings,
        &incident,
        MemberUpdate::OfficerMessage,
        json!({ "message": row.id, "subject": row.subject, "body": row.body }),
        now,
    )
    .await?;
    tx.commit().await?;
    outbox.wake();
    Ok(row)
}

/// The member's side of an incident, oldest first: what was written to them and by them.
pub async fn member_thread(
    db: &Database,
    incident_id: uuid::Uuid,
) -> Result<Vec<MessageRow>, DbErr> {
    Ok(correspondence::incident_messages(db.conn(), incident_id)
        .await?
        .into_iter()
        .filter(|m| m.ticket_id.is_none() && m.shared_with_member)
        .collect())
}
