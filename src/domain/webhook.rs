//! The webhook contract: each event sent to a party's endpoints, in the Standard Webhooks
//! shape `{type, timestamp, data}`, published in the OpenAPI document (see `schema`).
//! Fields are declared in alphabetical order, the order of the bytes parties received
//! before these types existed.

mod data;
mod schema;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

pub use data::{
    ContainmentChange, ContainmentChangedData, EndpointTestData, IncidentReportedData,
    NotificationTestData, StatusChange, StatusChangedData, TicketChangedData, TicketEscalatedData,
    TicketMessageData, TicketReminderData, WebhookContainment, WebhookDeclaration, WebhookEvidence,
    WebhookIncident, WebhookIncidentRef, WebhookMessage, WebhookPage, WebhookPageAdmin,
    WebhookReporter, WebhookTicket,
};

use super::TicketStatus;

/// The `type` of a webhook event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
    strum::EnumMessage,
)]
#[strum(parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum EventType {
    /// An incident for the party: sent to each routed party when it is filed, and to a
    /// party an officer adds later (with `added_by`).
    #[strum(serialize = "incident.reported")]
    #[serde(rename = "incident.reported")]
    IncidentReported,
    /// The page's containment changed; sent to every party with a ticket.
    #[strum(serialize = "incident.containment_changed")]
    #[serde(rename = "incident.containment_changed")]
    IncidentContainmentChanged,
    /// The incident's status changed; sent to every party with a ticket.
    #[strum(serialize = "incident.status_changed")]
    #[serde(rename = "incident.status_changed")]
    IncidentStatusChanged,
    /// A party acknowledged its ticket; sent to the incident's committee.
    #[strum(serialize = "ticket.acknowledged")]
    #[serde(rename = "ticket.acknowledged")]
    TicketAcknowledged,
    /// A party resolved its ticket; sent to the incident's committee.
    #[strum(serialize = "ticket.resolved")]
    #[serde(rename = "ticket.resolved")]
    TicketResolved,
    /// A party rejected its ticket; sent to the incident's committee.
    #[strum(serialize = "ticket.rejected")]
    #[serde(rename = "ticket.rejected")]
    TicketRejected,
    /// Every channel of a party gave up; sent to the incident's committee.
    #[strum(serialize = "ticket.failed")]
    #[serde(rename = "ticket.failed")]
    TicketFailed,
    /// The party's ticket passed its acknowledgement deadline unanswered; sent once.
    #[strum(serialize = "ticket.reminder")]
    #[serde(rename = "ticket.reminder")]
    TicketReminder,
    /// A committee's ticket went unanswered or an officer escalated it: its parent
    /// committee gets a ticket of its own and this event.
    #[strum(serialize = "ticket.escalated")]
    #[serde(rename = "ticket.escalated")]
    TicketEscalated,
    /// A message on a ticket's conversation, written by an officer to the party or received
    /// from the party; sent to the incident's committee and to the ticket's party.
    #[strum(serialize = "ticket.message")]
    #[serde(rename = "ticket.message")]
    TicketMessage,
    /// An officer checks the party's channels; the ticket does not change.
    #[strum(serialize = "notification.test")]
    #[serde(rename = "notification.test")]
    NotificationTest,
    /// Someone checks one webhook endpoint; no incident or ticket is involved.
    #[strum(serialize = "endpoint.test")]
    #[serde(rename = "endpoint.test")]
    EndpointTest,
}

impl EventType {
    /// The variant's documentation, on one line.
    pub fn meaning(self) -> String {
        strum::EnumMessage::get_documentation(&self)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The `data` of an event, one variant per event type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    IncidentReported(IncidentReportedData),
    IncidentContainmentChanged(ContainmentChangedData),
    IncidentStatusChanged(StatusChangedData),
    TicketAcknowledged(TicketChangedData),
    TicketResolved(TicketChangedData),
    TicketRejected(TicketChangedData),
    TicketFailed(TicketChangedData),
    TicketReminder(TicketReminderData),
    TicketEscalated(TicketEscalatedData),
    TicketMessage(TicketMessageData),
    NotificationTest(NotificationTestData),
    EndpointTest(EndpointTestData),
}

impl EventData {
    pub fn event_type(&self) -> EventType {
        match self {
            EventData::IncidentReported(_) => EventType::IncidentReported,
            EventData::IncidentContainmentChanged(_) => EventType::IncidentContainmentChanged,
            EventData::IncidentStatusChanged(_) => EventType::IncidentStatusChanged,
            EventData::TicketAcknowledged(_) => EventType::TicketAcknowledged,
            EventData::TicketResolved(_) => EventType::TicketResolved,
            EventData::TicketRejected(_) => EventType::TicketRejected,
            EventData::TicketFailed(_) => EventType::TicketFailed,
            EventData::TicketReminder(_) => EventType::TicketReminder,
            EventData::TicketEscalated(_) => EventType::TicketEscalated,
            EventData::TicketMessage(_) => EventType::TicketMessage,
            EventData::NotificationTest(_) => EventType::NotificationTest,
            EventData::EndpointTest(_) => EventType::EndpointTest,
        }
    }

    /// What the committee is told of a party's answer; `None` when `status` is not one.
    pub fn answered(status: TicketStatus, change: TicketChangedData) -> Option<Self> {
        match status {
            TicketStatus::Acknowledged => Some(EventData::TicketAcknowledged(change)),
            TicketStatus::Resolved => Some(EventData::TicketResolved(change)),
            TicketStatus::Rejected => Some(EventData::TicketRejected(change)),
            TicketStatus::Pending | TicketStatus::Notified | TicketStatus::Failed => None,
        }
    }
}

/// One event as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    pub data: EventData,
    #[serde(serialize_with = "millis")]
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: EventType,
}

impl WebhookEvent {
    pub fn new(at: DateTime<Utc>, data: EventData) -> Self {
        Self {
            event_type: data.event_type(),
            timestamp: at,
            data,
        }
    }

    /// The bytes stored at enqueue and sent on every attempt.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A time as every payload writes it: RFC 3339 in UTC with milliseconds.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn millis<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*t))
}

fn millis_or_null<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => millis(t, serializer),
        None => serializer.serialize_none(),
    }
}
