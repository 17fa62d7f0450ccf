//! Types and rules of the product: no web framework, no database.

pub mod access;
mod contact;
pub mod delivery;
mod evidence;
pub mod i18n;
mod incident;
mod machine;
pub mod new_incident;
mod page;
mod reference;
pub mod retention;
pub mod routing;
mod secret;
mod text;
mod timeline;
pub mod token;
pub mod webhook;

pub use contact::{Email, Phone};
pub use evidence::{EvidenceFile, EvidenceType, clean_file_name};
pub use incident::{
    Actor, ActorKind, ContainmentAction, ContainmentState, IncidentKind, IncidentStatus, Locale,
    RejectReason, Severity, TicketStatus,
};
pub use machine::{StateMachine, TransitionError};
pub use page::{AccountType, PageHandle, PageUrl, Platform, page_key};
pub use reference::ReferenceCode;
pub use text::{BoundedText, TextRule, search_text};
pub use timeline::TimelineEvent;

/// A rule that one input field broke: the JSON path of the field and a stable rule name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: &'static str,
    pub message: String,
    /// The number in rules such as `too_long`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule,
            message: message.into(),
            limit: None,
        }
    }

    pub fn with_limit(mut self, limit: impl TryInto<u64>) -> Self {
        self.limit = limit.try_into().ok();
        self
    }
}
