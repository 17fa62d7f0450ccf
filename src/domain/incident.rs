//! Incident vocabulary and the three state machines: incident status, containment, ticket.

use super::machine::StateMachine;

/// What happened to the page.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum IncidentKind {
    Abnormal,
    Hijacked,
    Impersonated,
    Misused,
}

/// How urgent the incident is; routing rules choose authorities by it.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The default when the reporter does not say: by kind, one step higher when the
    /// member has lost control and only the platform can stop the page.
    pub fn default_for(kind: IncidentKind, containment: ContainmentState) -> Self {
        let base = match kind {
            IncidentKind::Abnormal => Severity::Low,
            IncidentKind::Impersonated => Severity::Medium,
            IncidentKind::Hijacked | IncidentKind::Misused => Severity::High,
        };
        if containment == ContainmentState::LostControl {
            base.raised()
        } else {
            base
        }
    }

    fn raised(self) -> Self {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

/// Lifecycle of an incident.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum IncidentStatus {
    Open,
    InProgress,
    Resolved,
    Closed,
    Rejected,
}

impl IncidentStatus {
    /// The states no queue lists as work: closed or rejected.
    pub const FINISHED: [IncidentStatus; 2] = [IncidentStatus::Closed, IncidentStatus::Rejected];

    /// The states in which the incident is still being worked.
    pub const ACTIVE: [IncidentStatus; 2] = [IncidentStatus::Open, IncidentStatus::InProgress];

    pub fn is_finished(self) -> bool {
        Self::FINISHED.contains(&self)
    }
}

impl StateMachine for IncidentStatus {
    const NAME: &'static str = "incident status";

    fn allowed_next(self) -> &'static [Self] {
        use IncidentStatus::*;
        match self {
            Open => &[InProgress, Resolved, Rejected],
            InProgress => &[Resolved, Rejected],
            Resolved => &[Closed, InProgress],
            Rejected => &[Open],
            Closed => &[],
        }
    }
}

/// Where a report came from.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum Source {
    Api,
    Web,
}

/// Why an incident was rejected.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum RejectReason {
    Spam,
    Duplicate,
    NotAnIncident,
}

/// Whether the page's activity has been stopped.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum ContainmentState {
    Active,
    Stopped,
    LostControl,
    Recovered,
}

impl StateMachine for ContainmentState {
    const NAME: &'static str = "containment";

    fn allowed_next(self) -> &'static [Self] {
        use ContainmentState::*;
        match self {
            Active => &[Stopped, LostControl, Recovered],
            Stopped => &[LostControl, Recovered],
            LostControl => &[Stopped, Recovered],
            Recovered => &[],
        }
    }
}

/// What the member did to stop the page.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum ContainmentAction {
    PasswordChanged,
    SessionsRevoked,
    TwoFactorEnabled,
    AdminsRemoved,
    AppsRevoked,
    EmailSecured,
    PostsUnpublished,
    PageDeactivated,
    Other,
}

/// Lifecycle of one party's ticket.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum TicketStatus {
    Pending,
    Notified,
    Acknowledged,
    Resolved,
    Rejected,
    Failed,
}

impl TicketStatus {
    /// A ticket still waiting for its party: not yet acknowledged, resolved or rejected.
    pub const OPEN: [TicketStatus; 3] = [
        TicketStatus::Pending,
        TicketStatus::Notified,
        TicketStatus::Failed,
    ];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

impl StateMachine for TicketStatus {
    const NAME: &'static str = "ticket status";

    fn allowed_next(self) -> &'static [Self] {
        use TicketStatus::*;
        match self {
            Pending => &[Notified, Acknowledged, Resolved, Rejected, Failed],
            // A mail server can report a notification undeliverable after taking it.
            Notified => &[Acknowledged, Resolved, Rejected, Failed],
            Failed => &[Pending, Notified, Acknowledged, Resolved, Rejected],
            Acknowledged => &[Resolved, Rejected],
            Resolved | Rejected => &[],
        }
    }
}

/// The language a person reads: Vietnamese first, English second.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
    Default,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum Locale {
    #[default]
    Vi,
    En,
}

/// Who did something on the timeline.
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
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum ActorKind {
    Member,
    Officer,
    Party,
    Integration,
    System,
}

/// The author of a timeline event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    pub name: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            name: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Named;

    fn check_machine<S: StateMachine + std::fmt::Debug>(all: &[S], allowed: &[(S, S)]) {
        for &from in all {
            for &to in all {
                let result = from.transition(to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(to), "{from} -> {to} must be allowed");
                } else {
                    let err = result.expect_err("transition must be refused");
                    assert_eq!(err.from, from.to_string());
                    assert_eq!(err.to, to.to_string());
                    let expected: Vec<String> = allowed
                        .iter()
                        .filter(|(f, _)| *f == from)
                        .map(|(_, t)| t.to_string())
                        .collect();
                    assert_eq!(err.allowed, expected, "allowed after {from}");
                }
            }
        }
    }

    #[test]
    fn incident_status_transitions() {
        use IncidentStatus::*;
        check_machine(
            IncidentStatus::ALL,
            &[
                (Open, InProgress),
                (Open, Resolved),
                (Open, Rejected),
                (InProgress, Resolved),
                (InProgress, Rejected),
                (Resolved, Closed),
                (Resolved, InProgress),
                (Rejected, Open),
            ],
        );
    }

    #[test]
    fn containment_transitions() {
        use ContainmentState::*;
        check_machine(
            ContainmentState::ALL,
            &[
                (Active, Stopped),
                (Active, LostControl),
                (Active, Recovered),
                (Stopped, LostControl),
                (Stopped, Recovered),
                (LostControl, Stopped),
                (LostControl, Recovered),
            ],
        );
    }

    #[test]
    fn ticket_status_transitions() {
        use TicketStatus::*;
        check_machine(
            TicketStatus::ALL,
            &[
                (Pending, Notified),
                (Pending, Acknowledged),
                (Pending, Resolved),
                (Pending, Rejected),
                (Pending, Failed),
                (Notified, Acknowledged),
                (Notified, Resolved),
                (Notified, Rejected),
                (Notified, Failed),
                (Failed, Pending),
                (Failed, Notified),
                (Failed, Acknowledged),
                (Failed, Resolved),
                (Failed, Rejected),
                (Acknowledged, Resolved),
                (Acknowledged, Rejected),
            ],
        );
    }

    #[test]
    fn names_round_trip() {
        for kind in IncidentKind::ALL {
            assert_eq!(kind.as_str().parse::<IncidentKind>(), Ok(*kind));
        }
        assert!("nope".parse::<IncidentKind>().is_err());
    }

    #[test]
    fn default_severity_rises_when_control_is_lost() {
        assert_eq!(
            Severity::default_for(IncidentKind::Abnormal, ContainmentState::Active),
            Severity::Low
        );
        assert_eq!(
            Severity::default_for(IncidentKind::Hijacked, ContainmentState::LostControl),
            Severity::Critical
        );
    }
}
