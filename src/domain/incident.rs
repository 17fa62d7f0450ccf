//! Incident vocabulary and the three state machines: incident status, containment, ticket.

use super::machine::StateMachine;

/// Declares a closed set of snake_case names with `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use named_enum;

/// As `named_enum!`, for dotted event names such as `ticket.acknowledged`, which serde writes
/// verbatim; each variant's documentation is its `meaning`.
macro_rules! dotted_enum {
    ($(#[$meta:meta])* $name:ident {
        $($(#[doc = $doc:literal])* $variant:ident => $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[doc = $doc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The variant's documentation, on one line.
            pub fn meaning(self) -> &'static str {
                match self { $($name::$variant => concat!($($doc),*).trim()),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("`{s}` is not a known {}", stringify!($name))),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use dotted_enum;

named_enum!(
    /// What happened to the page.
    IncidentKind {
        Abnormal => "abnormal",
        Hijacked => "hijacked",
        Impersonated => "impersonated",
        Misused => "misused",
    }
);

named_enum!(
    /// How urgent the incident is; routing rules choose authorities by it.
    Severity {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

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

named_enum!(
    /// Lifecycle of an incident.
    IncidentStatus {
        Open => "open",
        InProgress => "in_progress",
        Resolved => "resolved",
        Closed => "closed",
        Rejected => "rejected",
    }
);

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

named_enum!(
    /// Why an incident was rejected.
    RejectReason {
        Spam => "spam",
        Duplicate => "duplicate",
        NotAnIncident => "not_an_incident",
    }
);

named_enum!(
    /// Whether the page's activity has been stopped.
    ContainmentState {
        Active => "active",
        Stopped => "stopped",
        LostControl => "lost_control",
        Recovered => "recovered",
    }
);

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

named_enum!(
    /// What the member did to stop the page.
    ContainmentAction {
        PasswordChanged => "password_changed",
        SessionsRevoked => "sessions_revoked",
        TwoFactorEnabled => "two_factor_enabled",
        AdminsRemoved => "admins_removed",
        AppsRevoked => "apps_revoked",
        EmailSecured => "email_secured",
        PostsUnpublished => "posts_unpublished",
        PageDeactivated => "page_deactivated",
        Other => "other",
    }
);

named_enum!(
    /// Lifecycle of one party's ticket.
    TicketStatus {
        Pending => "pending",
        Notified => "notified",
        Acknowledged => "acknowledged",
        Resolved => "resolved",
        Rejected => "rejected",
        Failed => "failed",
    }
);

impl StateMachine for TicketStatus {
    const NAME: &'static str = "ticket status";

    fn allowed_next(self) -> &'static [Self] {
        use TicketStatus::*;
        match self {
            Pending => &[Notified, Acknowledged, Resolved, Rejected, Failed],
            Notified => &[Acknowledged, Resolved, Rejected],
            Failed => &[Pending, Notified, Acknowledged, Resolved, Rejected],
            Acknowledged => &[Resolved, Rejected],
            Resolved | Rejected => &[],
        }
    }
}

named_enum!(
    /// The language a person reads: Vietnamese first, English second.
    Locale {
        Vi => "vi",
        En => "en",
    }
);

#[expect(
    clippy::derivable_impls,
    reason = "named_enum! cannot mark a default variant"
)]
impl Default for Locale {
    fn default() -> Self {
        Locale::Vi
    }
}

named_enum!(
    /// Who did something on the timeline.
    ActorKind {
        Member => "member",
        Officer => "officer",
        Party => "party",
        Integration => "integration",
        System => "system",
    }
);

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
