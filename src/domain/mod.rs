//! Types and rules of the product: no web framework, no database, no I/O; it imports no
//! other module of the crate.

pub mod access;
mod contact;
pub mod correspondence;
pub mod delivery;
pub mod directory;
mod evidence;
pub mod i18n;
mod incident;
mod machine;
pub mod new_incident;
mod page;
mod reference;
pub mod register;
pub mod report_form;
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
    RejectReason, Severity, Source, TicketStatus,
};
pub use machine::{StateMachine, TransitionError};
pub use page::{AccountType, PageHandle, PageUrl, Platform, has_userinfo, page_key};
pub use reference::ReferenceCode;
pub use text::{BoundedText, TextRule, fold_for_search, search_text};
pub use timeline::TimelineEvent;

/// A closed set of snake_case names: the vocabulary's enums derive their text, parsing and
/// list with strum, and this gives each the same two names for them.
pub trait Named: Copy + Into<&'static str> + strum::VariantArray + 'static {
    const ALL: &'static [Self] = Self::VARIANTS;

    fn as_str(self) -> &'static str {
        self.into()
    }
}

impl<T: Copy + Into<&'static str> + strum::VariantArray + 'static> Named for T {}

/// The error of parsing a name that is not in the set.
fn not_one_of<T: Named>(_: &str) -> String {
    let names: Vec<&str> = T::ALL.iter().map(|v| v.as_str()).collect();
    format!("must be one of: {}", names.join(", "))
}

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
