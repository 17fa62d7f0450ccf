//! The directory: every party (committees in a tree, authorities, providers), their
//! contacts and webhook endpoints, and the routing rules, as one immutable snapshot.
//! Routing, sending and every page read a snapshot; a change builds a new one.

mod change;
mod edit;
mod import;

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use secrecy::SecretString;

pub use change::{
    ChangeAction, ChangeSubject, DirectoryChange, endpoint_record, party_record, routing_record,
};
pub use edit::{
    CheckedEndpoint, ContactDraft, DEADLINE_BOUNDS, EndpointDraft, MAX_ENDPOINTS, PartyDraft,
    check_endpoint_url, check_party_id, check_reason, check_webhook_secret, new_endpoint_id,
    new_webhook_secret, parse_deadline,
};
pub use import::{ImportEndpoint, ImportPlan, ImportRow, PlannedParty};

use super::{
    IncidentKind, Locale, Platform, Severity, fold_for_search,
    routing::{PartyKind, Route, RoutingRules},
    webhook::EventType,
};

/// A name in each language of the product.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub vi: String,
    pub en: String,
}

impl Names {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Vi => &self.vi,
            Locale::En => &self.en,
        }
    }
}

/// The person a member may call or write to about their report: a committee's officer on
/// duty, say. Shown to members beside the party; never sent anything by the service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedContact {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Why and since when a party or an endpoint receives nothing new.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Disabled {
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A webhook endpoint of a party.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `ep_` and 32 hex digits.
    pub id: String,
    pub party_id: String,
    pub url: String,
    pub description: String,
    /// `whsec_` and base64; kept whole because every message is signed with it.
    pub secret: SecretString,
    /// The secret being rotated out, still signed with until `previous_expires_at`.
    pub previous_secret: Option<SecretString>,
    pub previous_expires_at: Option<DateTime<Utc>>,
    /// The event types sent here; every type when empty.
    pub event_types: Vec<EventType>,
    pub disabled: Option<Disabled>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    pub fn accepts(&self, event_type: EventType) -> bool {
        self.disabled.is_none()
            && (self.event_types.is_empty() || self.event_types.contains(&event_type))
    }

    /// The secrets a message sent at `now` is signed with: the current one, and the one
    /// being rotated out while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&SecretString> {
        let previous = self
            .previous_secret
            .as_ref()
            .filter(|_| self.previous_expires_at.is_none_or(|until| now < until));
        std::iter::once(&self.secret).chain(previous).collect()
    }
}

/// A committee, an authority or a provider.
#[derive(Debug, Clone)]
pub struct Party {
    pub id: String,
    pub kind: PartyKind,
    /// The parent committee (committees only).
    pub parent: Option<String>,
    pub name: Names,
    pub locale: Locale,
    pub ack_deadline: Duration,
    pub emails: Vec<String>,
    /// The person members may reach about their report.
    pub contact: Option<NamedContact>,
    pub endpoints: Vec<Endpoint>,
    pub disabled: Option<Disabled>,
    pub updated_at: DateTime<Utc>,
}

impl Party {
    pub fn is_enabled(&self) -> bool {
        self.disabled.is_none()
    }

    pub fn endpoint(&self, id: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }
}

/// One snapshot of the whole directory.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    version: i64,
    parties: Vec<Party>,
    by_id: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    /// Each party's id and names, lowercased and without diacritics, for search.
    search_keys: Vec<String>,
    /// Each committee's search key with the names of the committees above it, so that a
    /// member can say "Phúc Xá Ba Đình"; empty for other parties.
    path_keys: Vec<String>,
    routing: RoutingRules,
    /// The reports the routing sends to no enabled authority or provider, worked out once
    /// per snapshot.
    gaps: Vec<super::routing::RoutingGap>,
}

impl Directory {
    /// A snapshot of `parties` (committees in any order) and `routing` at `version`.
    pub fn new(version: i64, mut parties: Vec<Party>, routing: RoutingRules) -> Self {
        parties.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.id.cmp(&b.id)));
        let by_id: HashMap<String, usize> = parties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in parties.iter().enumerate() {
            if let Some(parent) = &p.parent {
                children.entry(parent.clone()).or_default().push(i);
            }
        }
        let search_keys = parties
            .iter()
            .map(|p| fold_for_search(&format!("{} {} {}", p.id, p.name.vi, p.name.en)))
            .collect();
        let mut directory = Self {
            version,
            parties,
            by_id,
            children,
            search_keys,
            path_keys: Vec::new(),
            routing,
            gaps: Vec::new(),
        };
        directory.path_keys = directory
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| match p.kind {
                PartyKind::Committee => {
                    let above: Vec<&str> = directory
                        .path(&p.id)
                        .iter()
                        .rev()
                        .skip(1)
                        .map(|a| directory.search_keys[directory.by_id[&a.id]].as_str())
                        .collect();
                    format!("{} {}", directory.search_keys[i], above.join(" "))
                }
                _ => String::new(),
            })
            .collect();
        directory.gaps = super::routing::gaps_of(|kind, severity, platform| {
            directory.route("", kind, severity, platform)
        });
        directory
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    pub fn routing(&self) -> &RoutingRules {
        &self.routing
    }

    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Every party: committees, then authorities, then providers, each by id.
    pub fn parties(&self) -> impl Iterator<Item = &Party> {
        self.parties.iter()
    }

    pub fn of_kind(&self, kind: PartyKind) -> impl Iterator<Item = &Party> {
        self.parties.iter().filter(move |p| p.kind == kind)
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.by_id.get(id).map(|&i| &self.parties[i])
    }

    /// The name of the party `id` in `locale`; the id itself when the directory has no
    /// such party (any more).
    pub fn name_of(&self, id: &str, locale: Locale) -> String {
        self.party(id)
            .map_or_else(|| id.to_owned(), |p| p.name.get(locale).to_owned())
    }

    pub fn committee(&self, id: &str) -> Option<&Party> {
        self.party(id).filter(|p| p.kind == PartyKind::Committee)
    }

    /// A committee that may receive new incidents.
    pub fn open_committee(&self, id: &str) -> Option<&Party> {
        self.committee(id).filter(|p| p.is_enabled())
    }

    /// The committees directly below `id`, by id.
    pub fn children(&self, id: &str) -> impl Iterator<Item = &Party> {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.parties[i])
    }

    pub fn child_count(&self, id: &str) -> usize {
        self.children.get(id).map_or(0, Vec::len)
    }

    /// The committees with no parent.
    pub fn roots(&self) -> impl Iterator<Item = &Party> {
        self.of_kind(PartyKind::Committee)
            .filter(|p| p.parent.is_none())
    }

    /// The committee and every committee below it.
    pub fn committee_subtree(&self, root: &str) -> Vec<String> {
        let mut out = vec![root.to_owned()];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(out[i].as_str()) {
                out.extend(kids.iter().map(|&k| self.parties[k].id.clone()));
            }
            i += 1;
        }
        out
    }

    /// Whether `id` is `root` or below it.
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        self.path(id).iter().any(|p| p.id == root)
    }

    /// The committee's ancestors from the top down, ending with the committee itself.
    pub fn path(&self, id: &str) -> Vec<&Party> {
        let mut path = Vec::new();
        let mut current = self.party(id);
        while let Some(p) = current {
            if path.len() > self.parties.len() {
                break;
            }
            path.push(p);
            current = p.parent.as_deref().and_then(|parent| self.party(parent));
        }
        path.reverse();
        path
    }

    /// The nearest enabled committee above `id`.
    pub fn enabled_parent(&self, id: &str) -> Option<&Party> {
        let mut path = self.path(id);
        path.pop();
        path.into_iter().rev().find(|p| p.is_enabled())
    }

    /// The reporter's committee always, then matching authorities, then the provider;
    /// each party at most once, and only enabled parties.
    pub fn route(
        &self,
        committee: &str,
        kind: IncidentKind,
        severity: Severity,
        platform: Platform,
    ) -> Vec<Route> {
        self.routing
            .route(committee, kind, severity, platform)
            .into_iter()
            .filter(|r| self.party(&r.party_id).is_some_and(Party::is_enabled))
            .collect()
    }

    /// The reports the live routing sends to no enabled authority or provider.
    pub fn routing_gaps(&self) -> &[super::routing::RoutingGap] {
        &self.gaps
    }

    /// The open committees a member may mean by `query`: every word starts a word of the
    /// committee's id or name, or of the names of the committees above it (so "7" is not
    /// "17"); those named by their own words first, each group in directory order; at
    /// most `limit`.
    pub fn find_committees(&self, query: &str, limit: usize) -> Vec<&Party> {
        let words: Vec<String> = fold_for_search(query)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let all = |key: &str| {
            words
                .iter()
                .all(|w| key.split_whitespace().any(|k| k.starts_with(w.as_str())))
        };
        let mut own = Vec::new();
        let mut through_parents = Vec::new();
        for (i, p) in self.parties.iter().enumerate() {
            if p.kind != PartyKind::Committee || !p.is_enabled() {
                continue;
            }
            if all(&self.search_keys[i]) {
                own.push(p);
                if own.len() >= limit {
                    break;
                }
            } else if through_parents.len() < limit && all(&self.path_keys[i]) {
                through_parents.push(p);
            }
        }
        own.extend(through_parents);
        own.truncate(limit);
        own
    }

    /// Parties whose id or name contains every word of `query` (case and diacritics
    /// ignored), of `kind` when given, within `within` when given; at most `limit`, in
    /// directory order.
    pub fn search(
        &self,
        query: &str,
        kind: Option<PartyKind>,
        within: Option<&[String]>,
        limit: usize,
    ) -> Vec<&Party> {
        let words: Vec<String> = fold_for_search(query)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let within: Option<std::collections::HashSet<&str>> =
            within.map(|ids| ids.iter().map(String::as_str).collect());
        self.parties
            .iter()
            .zip(&self.search_keys)
            .filter(|(p, _)| kind.is_none_or(|k| p.kind == k))
            .filter(|(p, _)| within.as_ref().is_none_or(|w| w.contains(p.id.as_str())))
            .filter(|(_, key)| words.iter().all(|w| key.contains(w.as_str())))
            .map(|(p, _)| p)
            .take(limit)
            .collect()
    }

    /// The endpoint with this id, and its party.
    pub fn endpoint(&self, id: &str) -> Option<(&Party, &Endpoint)> {
        self.parties
            .iter()
            .find_map(|p| p.endpoint(id).map(|e| (p, e)))
    }
}

#[cfg(test)]
mod tests;
