//! The directory's audit trail: who changed what, when, and the record before and after.
//! Records never hold a secret.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Endpoint, Party};
use crate::domain::{Actor, Named, routing::RoutingRules};

/// What a change is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
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
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = crate::domain::not_one_of::<Self>)]
pub enum ChangeSubject {
    Party,
    Endpoint,
    Routing,
}

/// What was done.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
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
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = crate::domain::not_one_of::<Self>)]
pub enum ChangeAction {
    Created,
    Updated,
    Disabled,
    Enabled,
    Removed,
    SecretRotated,
    Tested,
}

/// One change, as recorded.
#[derive(Debug, Clone)]
pub struct DirectoryChange {
    pub id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub subject: ChangeSubject,
    pub subject_id: String,
    /// The party the subject belongs to (the party itself, or an endpoint's party).
    pub party_id: Option<String>,
    pub action: ChangeAction,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl DirectoryChange {
    pub fn new(
        actor: &Actor,
        at: DateTime<Utc>,
        subject: ChangeSubject,
        subject_id: &str,
        party_id: Option<&str>,
        action: ChangeAction,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7(),
            at,
            actor: actor.clone(),
            subject,
            subject_id: subject_id.to_owned(),
            party_id: party_id.map(str::to_owned),
            action,
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }

    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }

    /// The fields whose values differ between before and after, by name.
    pub fn changed_fields(&self) -> Vec<String> {
        let (Some(Value::Object(before)), Some(Value::Object(after))) = (&self.before, &self.after)
        else {
            return Vec::new();
        };
        let mut keys: Vec<String> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// A party as the audit trail records it (without its endpoints, which have their own).
pub fn party_record(p: &Party) -> Value {
    json!({
        "id": p.id,
        "kind": p.kind.as_str(),
        "parent": p.parent,
        "name": {"vi": p.name.vi, "en": p.name.en},
        "locale": p.locale.as_str(),
        "ack_deadline": humantime::format_duration(p.ack_deadline).to_string(),
        "emails": p.emails,
        "contact": p.contact,
        "disabled": p.disabled.as_ref().map(|d| d.reason.clone()),
    })
}

/// An endpoint as the audit trail records it: never its secrets, only whether a previous
/// one is still signed with and until when.
pub fn endpoint_record(e: &Endpoint) -> Value {
    json!({
        "id": e.id,
        "party": e.party_id,
        "url": e.url,
        "description": e.description,
        "event_types": e.event_types.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "previous_secret_until": e.previous_secret.as_ref().map(|_| e.previous_expires_at.map(crate::domain::webhook::rfc3339)),
        "disabled": e.disabled.as_ref().map(|d| d.reason.clone()),
    })
}

/// The routing rules as the audit trail records them.
pub fn routing_record(rules: &RoutingRules) -> Value {
    serde_json::to_value(rules).unwrap_or(Value::Null)
}
