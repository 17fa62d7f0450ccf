//! Response bodies of the incidents API, built from stored rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{
        AccountType, ActorKind, ContainmentState, IncidentKind, IncidentStatus, Platform, Severity,
        Source, TicketStatus, TimelineEvent,
        delivery::{AttemptOutcome, Channel, DeliveryStatus, Notice},
        register::RegisterFlag,
        routing::PartyKind,
    },
    usecases::{DeliveryRow, EventRow, IncidentRow, TicketRow},
};

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentCreated {
    pub id: Uuid,
    #[schema(example = "INC-2026-000123")]
    pub reference: String,
    #[schema(example = "open")]
    pub status: IncidentStatus,
    #[schema(example = "high")]
    pub severity: Severity,
    /// The member's private tracking link; shown only in this response.
    pub tracking_url: String,
    pub tickets: Vec<TicketView>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentSummary {
    pub id: Uuid,
    pub reference: String,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub committee: String,
    pub platform: Platform,
    pub page_url: Option<String>,
    pub page_handle: Option<String>,
    pub containment: ContainmentState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<IncidentSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterView {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub committee: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageView {
    pub platform: Platform,
    pub url: Option<String>,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub account_type: Option<AccountType>,
    pub linked_email: Option<String>,
    pub linked_phone: Option<String>,
    /// When the page was created: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub created_on: Option<String>,
    pub purpose: Option<String>,
    /// Canonical key of the page, shared by reports of the same page.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContainmentView {
    #[schema(example = "stopped")]
    pub state: ContainmentState,
    /// When the page was stopped or recovered.
    pub at: Option<DateTime<Utc>>,
    #[schema(value_type = Vec<String>)]
    pub actions: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    pub id: Uuid,
    pub reference: String,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub description: String,
    pub detected_at: DateTime<Utc>,
    pub reporter: ReporterView,
    pub page: PageView,
    pub containment: ContainmentView,
    /// The incident this one duplicates, when rejected as a duplicate.
    pub duplicate_of: Option<Uuid>,
    /// The member's declaration in the page register the report started from.
    pub declaration: Option<DeclarationRef>,
    /// What the page register says against the report: the page is declared by another
    /// member than the reporter (`declared_by_other`), or declared closed (`closed`).
    /// For the committee; null for a key bound to another kind of party.
    #[schema(example = json!(RegisterFlag::DeclaredByOther))]
    pub register_flag: Option<RegisterFlag>,
    #[schema(example = json!(Source::Api))]
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tickets: Vec<TicketView>,
    pub timeline: Vec<EventView>,
    /// Other incidents about the same page.
    pub same_page: Vec<IncidentSummary>,
}

/// A version of a declared page: read it with `GET /api/v1/pages/{page_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationRef {
    pub page_id: Uuid,
    #[schema(minimum = 1, example = 2)]
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    #[schema(example = "hn")]
    pub party: String,
    pub party_name: String,
    #[schema(example = json!(PartyKind::Committee))]
    pub role: PartyKind,
    #[schema(example = json!(TicketStatus::Pending))]
    pub status: TicketStatus,
    pub deadline_at: DateTime<Utc>,
    /// Derived: past the deadline, not yet acknowledged, and the clock not paused.
    pub overdue: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The party's own case number.
    pub external_ref: Option<String>,
    /// Whose move it is on the ticket's conversation.
    pub waiting: crate::domain::correspondence::Waiting,
    /// Party messages no officer has read.
    pub unread: i32,
    /// Since when the acknowledgement clock has stood still, while the desk waits on the
    /// member; the deadline moves by that time when the member answers.
    pub paused_since: Option<DateTime<Utc>>,
    /// Seconds the clock stood still before, already added to the deadline.
    pub paused_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<Vec<DeliveryView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    #[schema(example = "webhook")]
    pub channel: Channel,
    pub target: String,
    #[schema(example = json!(DeliveryStatus::Pending))]
    pub status: DeliveryStatus,
    #[schema(value_type = String, example = "incident.reported")]
    pub event_type: Notice,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Every attempt, oldest first (on the ticket resource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_made: Option<Vec<AttemptView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// `delivered`, `retry` or `failed`.
    #[schema(example = "retry")]
    pub outcome: AttemptOutcome,
    /// The HTTP status of a webhook attempt.
    pub status_code: Option<i32>,
    /// The answer: up to 20 kB of the HTTP body, or the SMTP reply.
    pub reply: Option<String>,
    pub error: Option<String>,
}

impl From<&crate::usecases::AttemptRow> for AttemptView {
    fn from(a: &crate::usecases::AttemptRow) -> Self {
        Self {
            attempted_at: a.attempted_at,
            duration_ms: a.duration_ms,
            outcome: a.outcome,
            status_code: a.status_code,
            reply: a.reply.clone(),
            error: a.error.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    #[schema(example = "integration")]
    pub kind: ActorKind,
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = json!(TimelineEvent::IncidentReported))]
    pub event_type: TimelineEvent,
    pub actor: ActorView,
    pub ticket_id: Option<Uuid>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<&IncidentRow> for IncidentSummary {
    fn from(i: &IncidentRow) -> Self {
        Self {
            id: i.id,
            reference: i.reference.clone(),
            kind: i.kind,
            severity: i.severity,
            status: i.status,
            committee: i.committee_id.clone(),
            platform: i.page_platform,
            page_url: i.page_url.clone(),
            page_handle: i.page_handle.clone(),
            containment: i.containment,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

impl TicketView {
    pub fn new(
        t: &TicketRow,
        dir: &crate::domain::directory::Directory,
        now: DateTime<Utc>,
        deliveries: Option<Vec<DeliveryView>>,
    ) -> Self {
        let acknowledged = !t.status.is_open();
        Self {
            id: t.id,
            party: t.party_id.clone(),
            party_name: dir
                .party(&t.party_id)
                .map(|p| p.name.en.clone())
                .unwrap_or_else(|| t.party_id.clone()),
            role: t.role,
            status: t.status,
            deadline_at: t.deadline_at,
            overdue: !acknowledged && t.deadline_at < now && t.paused_at.is_none(),
            acknowledged_at: t.acknowledged_at,
            resolved_at: t.resolved_at,
            external_ref: t.external_ref.clone(),
            waiting: t.waiting,
            unread: t.unread,
            paused_since: t.paused_at,
            paused_seconds: t.paused_seconds,
            deliveries,
        }
    }
}

impl From<&DeliveryRow> for DeliveryView {
    fn from(d: &DeliveryRow) -> Self {
        Self {
            id: d.id,
            channel: d.channel,
            target: d.target.clone(),
            status: d.status,
            event_type: d.event_type,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            last_error: d.last_error.clone(),
            attempts_made: None,
        }
    }
}

impl From<&EventRow> for EventView {
    fn from(e: &EventRow) -> Self {
        Self {
            id: e.id,
            event_type: e.event_type,
            actor: ActorView {
                kind: e.actor_kind,
                id: e.actor_id.clone(),
                name: e.actor_name.clone(),
            },
            ticket_id: e.ticket_id,
            data: e.data.clone(),
            created_at: e.created_at,
        }
    }
}

pub fn incident_detail(
    i: &IncidentRow,
    tickets: Vec<TicketView>,
    timeline: Vec<EventView>,
    same_page: Vec<IncidentSummary>,
) -> IncidentDetail {
    IncidentDetail {
        id: i.id,
        reference: i.reference.clone(),
        kind: i.kind,
        severity: i.severity,
        status: i.status,
        description: i.description.clone(),
        detected_at: i.detected_at,
        reporter: ReporterView {
            name: i.reporter_name.clone(),
            email: i.reporter_email.clone(),
            phone: i.reporter_phone.clone(),
            committee: i.committee_id.clone(),
        },
        page: PageView {
            platform: i.page_platform,
            url: i.page_url.clone(),
            handle: i.page_handle.clone(),
            display_name: i.page_display_name.clone(),
            account_type: i.page_account_type,
            linked_email: i.page_linked_email.clone(),
            linked_phone: i.page_linked_phone.clone(),
            created_on: i.page_created_on.clone(),
            purpose: i.page_purpose.clone(),
            key: i.page_key.clone(),
        },
        containment: ContainmentView {
            state: i.containment,
            at: i.contained_at,
            actions: i.containment_actions.clone(),
        },
        duplicate_of: i.duplicate_of,
        declaration: i
            .register_page_id
            .zip(i.register_version)
            .map(|(page_id, version)| DeclarationRef { page_id, version }),
        register_flag: i.register_flag,
        source: i.source,
        created_at: i.created_at,
        updated_at: i.updated_at,
        tickets,
        timeline,
        same_page,
    }
}
