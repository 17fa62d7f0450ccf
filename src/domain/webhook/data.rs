//! The `data` of each webhook event and the incident and ticket they carry.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    AccountType, ContainmentAction, ContainmentState, IncidentKind, IncidentStatus, Platform,
    RejectReason, Severity, TicketStatus,
    correspondence::{Author, Direction, MailKind, MessageChannel},
    register::{AdminRole, PageStatus},
    routing::PartyKind,
};

/// An incident as one kind of party is told of it; which contacts it shows is set in
/// `[notifications]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookIncident {
    /// The reporter's committee (a party id).
    #[schema(example = "hn-ba-dinh")]
    pub committee: String,
    pub containment: WebhookContainment,
    /// The member's declaration of the page in the organisation's page register, when the
    /// report started from one: their proof of ownership, written before the incident.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub declaration: Option<WebhookDeclaration>,
    pub description: String,
    #[serde(serialize_with = "super::millis")]
    pub detected_at: DateTime<Utc>,
    /// The member's files; only in `incident.reported` sent at filing, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub evidence: Option<Vec<WebhookEvidence>>,
    pub id: Uuid,
    pub kind: IncidentKind,
    pub page: WebhookPage,
    #[schema(example = "INC-2026-000123")]
    pub reference: String,
    /// When the incident was filed.
    #[serde(serialize_with = "super::millis")]
    pub reported_at: DateTime<Utc>,
    pub reporter: WebhookReporter,
    pub severity: Severity,
    pub status: IncidentStatus,
    /// The incident in the API.
    #[schema(format = "uri")]
    pub url: String,
}

/// What the member had declared about the page in the page register, in the version the
/// report used. `linked_email` and `linked_phone` are null unless the party's kind is in
/// `notifications.account_contacts_for`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookDeclaration {
    /// The administrator accounts declared: names or handles and their roles, never a
    /// password.
    pub admins: Vec<WebhookPageAdmin>,
    /// When the page was created, as declared: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(
        required = true,
        pattern = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        example = "2019-03"
    )]
    pub created_on: Option<String>,
    /// When this version of the declaration was written.
    #[serde(serialize_with = "super::millis")]
    pub declared_at: DateTime<Utc>,
    /// When the page was first declared.
    #[serde(serialize_with = "super::millis")]
    pub first_declared_at: DateTime<Utc>,
    #[schema(required = true)]
    pub linked_email: Option<String>,
    #[schema(required = true)]
    pub linked_phone: Option<String>,
    /// The declaration's id in the page register.
    pub page_id: Uuid,
    pub status: PageStatus,
    /// The version the report used (1 for the first declaration).
    #[schema(minimum = 1, example = 2)]
    pub version: i32,
}

/// An administrator account of a declared page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookPageAdmin {
    /// The account's name or handle.
    #[schema(example = "@lan.nguyen")]
    pub account: String,
    pub role: AdminRole,
}

/// Whether the page's activity has been stopped, and how.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookContainment {
    pub actions: Vec<ContainmentAction>,
    /// When the page was stopped or recovered.
    #[serde(serialize_with = "super::millis_or_null")]
    #[schema(required = true)]
    pub at: Option<DateTime<Utc>>,
    pub state: ContainmentState,
}

/// One file the member attached, kept by its digest.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookEvidence {
    #[schema(example = "image/png")]
    pub content_type: String,
    pub name: String,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub size_bytes: u64,
}

/// The page or account the incident is about. `linked_email` and `linked_phone` are
/// null unless the party's kind is in `notifications.account_contacts_for`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookPage {
    #[schema(required = true)]
    pub account_type: Option<AccountType>,
    /// When the account was created, as the member knew it: `YYYY`, `YYYY-MM` or
    /// `YYYY-MM-DD`.
    #[schema(
        required = true,
        pattern = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        example = "2019-03"
    )]
    pub created_on: Option<String>,
    #[schema(required = true)]
    pub display_name: Option<String>,
    #[schema(required = true)]
    pub handle: Option<String>,
    #[schema(required = true)]
    pub linked_email: Option<String>,
    #[schema(required = true)]
    pub linked_phone: Option<String>,
    pub platform: Platform,
    #[schema(required = true)]
    pub purpose: Option<String>,
    #[schema(required = true)]
    pub url: Option<String>,
}

/// The member who reported. `email` and `phone` are present only for the kinds of party
/// in `notifications.reporter_contacts_for`, and null there when the member gave none.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookReporter {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
}

/// One party's ticket on the incident.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookTicket {
    /// When the party should have acknowledged.
    #[serde(serialize_with = "super::millis")]
    pub deadline_at: DateTime<Utc>,
    /// The party's own case number.
    #[schema(required = true)]
    pub external_ref: Option<String>,
    pub id: Uuid,
    /// The party's id.
    #[schema(example = "meta")]
    pub party: String,
    pub role: PartyKind,
    pub status: TicketStatus,
}

/// Just enough to name the incident.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookIncidentRef {
    pub id: Uuid,
    pub reference: String,
}

/// The `data` of `incident.reported`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentReportedData {
    /// The officer who added the party; only when the party was added after filing.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub added_by: Option<String>,
    pub incident: WebhookIncident,
    /// The receiving party's ticket.
    pub ticket: WebhookTicket,
}

/// The `data` of `incident.containment_changed`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContainmentChangedData {
    pub change: ContainmentChange,
    pub incident: WebhookIncident,
    /// The receiving party's ticket.
    pub ticket: WebhookTicket,
}

/// A containment change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContainmentChange {
    /// When the page was stopped or recovered.
    #[serde(serialize_with = "super::millis_or_null")]
    #[schema(required = true)]
    pub at: Option<DateTime<Utc>>,
    pub from: ContainmentState,
    pub to: ContainmentState,
}

/// The `data` of `incident.status_changed`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusChangedData {
    pub change: StatusChange,
    pub incident: WebhookIncident,
    /// The receiving party's ticket.
    pub ticket: WebhookTicket,
}

/// A status change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusChange {
    pub from: IncidentStatus,
    /// Why the incident was rejected; null for other statuses.
    #[schema(required = true)]
    pub reason: Option<RejectReason>,
    pub to: IncidentStatus,
}

/// The `data` of `ticket.acknowledged`, `ticket.resolved`, `ticket.rejected` and
/// `ticket.failed`, sent to the committee.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketChangedData {
    pub incident_id: Uuid,
    /// The ticket that changed, of another party.
    pub ticket: WebhookTicket,
}

/// The `data` of `ticket.message`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketMessageData {
    pub incident: WebhookIncidentRef,
    pub message: WebhookMessage,
    /// The ticket whose conversation it is.
    pub ticket: WebhookTicket,
}

/// One message of a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookMessage {
    pub author: Author,
    /// The party's id or the officer's name.
    #[schema(required = true)]
    pub author_ref: Option<String>,
    /// The text, whole (quoted history included).
    pub body: String,
    pub channel: MessageChannel,
    #[serde(serialize_with = "super::millis")]
    pub created_at: DateTime<Utc>,
    pub direction: Direction,
    /// Evidence of the incident the message carries.
    pub evidence: Vec<WebhookEvidence>,
    pub id: Uuid,
    pub kind: MailKind,
    pub subject: String,
}

/// The `data` of `ticket.reminder`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketReminderData {
    pub incident: WebhookIncident,
    /// The receiving party's overdue ticket.
    pub ticket: WebhookTicket,
}

/// The `data` of `ticket.escalated`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketEscalatedData {
    /// The committee whose ticket was escalated.
    pub escalated_from: String,
    pub incident: WebhookIncident,
    /// The parent committee's new ticket.
    pub ticket: WebhookTicket,
}

/// The `data` of `notification.test`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NotificationTestData {
    pub incident: WebhookIncidentRef,
    /// The officer who sent the test.
    #[schema(required = true)]
    pub sent_by: Option<String>,
    /// The receiving party's ticket, unchanged by the test.
    pub ticket: WebhookTicket,
}

/// The `data` of `endpoint.test`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EndpointTestData {
    /// The endpoint checked.
    #[schema(example = "ep_01938f6c2a3b7c4d9e8f0a1b2c3d4e5f")]
    pub endpoint: String,
    /// Its party.
    #[schema(example = "cert")]
    pub party: String,
    /// Who sent the test: an officer's user name or an API key's name.
    #[schema(required = true)]
    pub sent_by: Option<String>,
}
