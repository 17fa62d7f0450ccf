//! Importing a directory file: each row checked against the directory as it will be after
//! the whole file, then sorted into what it creates, changes and leaves as it is.

use std::collections::{HashMap, HashSet};

use secrecy::{ExposeSecret, SecretString};

use super::{
    Directory, Endpoint, Party, PartyDraft, change::party_record, edit::check_webhook_secret,
    new_endpoint_id,
};
use crate::domain::routing::{PartyKind, RoutingRules};

/// An endpoint named in an import file; matched to the party's existing one by URL.
#[derive(Debug, Clone)]
pub struct ImportEndpoint {
    pub url: String,
    pub secret: SecretString,
    pub previous_secret: Option<SecretString>,
}

/// One party of an import file, with where it stands in the file for messages.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// `line 12` for CSV, `parties.committees[3]` for TOML.
    pub place: String,
    pub draft: PartyDraft,
    /// The party's endpoints (TOML only); `None` leaves the party's endpoints alone.
    pub endpoints: Option<Vec<ImportEndpoint>>,
}

/// A party the import creates or changes, as it will be stored.
#[derive(Debug, Clone)]
pub struct PlannedParty {
    pub before: Option<Party>,
    pub after: Party,
}

/// What an import would do.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub created: Vec<PlannedParty>,
    pub changed: Vec<PlannedParty>,
    pub unchanged: Vec<String>,
    /// The routing rules before and after, when the file sets them and they differ.
    pub routing: Option<(RoutingRules, RoutingRules)>,
    /// Every problem, prefixed by its place in the file; nothing is written when any.
    pub errors: Vec<String>,
}

fn same(a: &Party, b: &Party) -> bool {
    let endpoints = |p: &Party| {
        let mut e: Vec<(String, String, Option<String>, String)> = p
            .endpoints
            .iter()
            .map(|e| {
                (
                    e.url.clone(),
                    e.secret.expose_secret().to_owned(),
                    e.previous_secret
                        .as_ref()
                        .map(|s| s.expose_secret().to_owned()),
                    e.id.clone(),
                )
            })
            .collect();
        e.sort();
        e
    };
    party_record(a) == party_record(b) && endpoints(a) == endpoints(b)
}

impl ImportPlan {
    /// Plans `rows` (and `routing`, when the file has rules) against `current`.
    pub fn new(
        current: &Directory,
        rows: Vec<ImportRow>,
        routing: Option<RoutingRules>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let mut plan = ImportPlan::default();
        let mut seen: HashMap<String, String> = HashMap::new();
        for row in &rows {
            if let Some(first) = seen.insert(row.draft.id.clone(), row.place.clone()) {
                plan.errors.push(format!(
                    "{}: id: `{}` is already in this file at {first}",
                    row.place, row.draft.id
                ));
            }
        }
        // The directory as it would be: every row over the current parties, so that a
        // parent may come later in the file than its children.
        let mut provisional: HashMap<String, Party> = current
            .parties()
            .map(|p| (p.id.clone(), p.clone()))
            .collect();
        for row in &rows {
            let existing = current.party(&row.draft.id);
            let kind = existing
                .map(|p| p.kind)
                .or(row.draft.kind)
                .unwrap_or(PartyKind::Committee);
            let endpoints = match &row.endpoints {
                None => existing.map(|p| p.endpoints.clone()).unwrap_or_default(),
                Some(list) => merge_endpoints(existing, &row.draft.id, list, now),
            };
            provisional.insert(
                row.draft.id.clone(),
                Party {
                    id: row.draft.id.clone(),
                    kind,
                    parent: row.draft.parent.clone().filter(|p| !p.trim().is_empty()),
                    name: super::Names {
                        vi: row.draft.name_vi.clone(),
                        en: row.draft.name_en.clone(),
                    },
                    locale: row.draft.locale.unwrap_or_default(),
                    ack_deadline: std::time::Duration::from_secs(3600),
                    emails: row.draft.emails.clone(),
                    contact: None,
                    endpoints,
                    disabled: existing.and_then(|p| p.disabled.clone()),
                    updated_at: now,
                },
            );
        }
        let provisional = Directory::new(
            0,
            provisional.into_values().collect(),
            RoutingRules::default(),
        );
        for row in rows {
            let place = &row.place;
            if let Err(e) = super::check_party_id("id", &row.draft.id) {
                plan.errors
                    .push(format!("{place}: id: `{}` {}", row.draft.id, e.message));
                continue;
            }
            if let (Some(existing), Some(kind)) = (current.party(&row.draft.id), row.draft.kind)
                && existing.kind != kind
            {
                plan.errors.push(format!(
                    "{place}: kind: `{}` is already a {}, not a {kind}",
                    row.draft.id, existing.kind
                ));
                continue;
            }
            let Some(shape) = provisional.party(&row.draft.id) else {
                continue;
            };
            if provisional.path(&row.draft.id).len() > provisional.len()
                || shape
                    .parent
                    .as_deref()
                    .is_some_and(|p| provisional.is_within(p, &row.draft.id))
            {
                plan.errors.push(format!(
                    "{place}: parent: `{}` would be its own ancestor",
                    row.draft.id
                ));
                continue;
            }
            match row.draft.check(&provisional, Some(shape)) {
                Err(errors) => plan.errors.extend(
                    errors
                        .into_iter()
                        .map(|e| format!("{place}: {}: {}", e.field, e.message)),
                ),
                Ok(mut after) => {
                    after.endpoints = shape.endpoints.clone();
                    if let Some(list) = &row.endpoints {
                        for (i, e) in list.iter().enumerate() {
                            if let Err(err) =
                                super::check_endpoint_url(&format!("webhooks[{i}].url"), &e.url)
                            {
                                plan.errors
                                    .push(format!("{place}: {}: {}", err.field, err.message));
                            }
                            for (name, secret) in [
                                ("secret", Some(&e.secret)),
                                ("previous_secret", e.previous_secret.as_ref()),
                            ] {
                                if let Some(Err(rule)) =
                                    secret.map(|s| check_webhook_secret(s.expose_secret()))
                                {
                                    plan.errors
                                        .push(format!("{place}: webhooks[{i}].{name}: {rule}"));
                                }
                            }
                        }
                    }
                    match current.party(&after.id) {
                        None => plan.created.push(PlannedParty {
                            before: None,
                            after,
                        }),
                        Some(before) if same(before, &after) => plan.unchanged.push(after.id),
                        Some(before) => plan.changed.push(PlannedParty {
                            before: Some(before.clone()),
                            after,
                        }),
                    }
                }
            }
        }
        if let Some(rules) = routing {
            for (key, party) in rules.named_parties() {
                let wanted = if key.starts_with("routing.authorities") {
                    PartyKind::Authority
                } else {
                    PartyKind::Provider
                };
                match provisional.party(party) {
                    None => plan.errors.push(format!("{key}: unknown party `{party}`")),
                    Some(p) if p.kind != wanted => plan.errors.push(format!(
                        "{key}: `{party}` is a {}, but this rule needs a {wanted}",
                        p.kind
                    )),
                    Some(_) => {}
                }
            }
            if super::change::routing_record(&rules)
                != super::change::routing_record(current.routing())
            {
                plan.routing = Some((current.routing().clone(), rules));
            }
        }
        plan
    }

    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.changed.is_empty() && self.routing.is_none()
    }

    /// The ids of parties named by the file, to tell what the file left out.
    pub fn named(&self) -> HashSet<&str> {
        self.created
            .iter()
            .chain(&self.changed)
            .map(|p| p.after.id.as_str())
            .chain(self.unchanged.iter().map(String::as_str))
            .collect()
    }
}

/// The party's endpoints after an import that lists `list`: one per URL, keeping the id
/// (and disabled state) of an endpoint already at that URL; others of the party stay.
fn merge_endpoints(
    existing: Option<&Party>,
    party_id: &str,
    list: &[ImportEndpoint],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = existing.map(|p| p.endpoints.clone()).unwrap_or_default();
    for e in list {
        match out.iter_mut().find(|o| o.url == e.url) {
            Some(o) => {
                o.secret = e.secret.clone();
                o.previous_secret = e.previous_secret.clone();
                o.previous_expires_at = None;
            }
            None => out.push(Endpoint {
                id: new_endpoint_id(),
                party_id: party_id.to_owned(),
                url: e.url.clone(),
                description: String::new(),
                secret: e.secret.clone(),
                previous_secret: e.previous_secret.clone(),
                previous_expires_at: None,
                event_types: Vec::new(),
                disabled: None,
                created_at: now,
                updated_at: now,
            }),
        }
    }
    out
}
