//! Routing: which parties receive an incident. The rules are data from config.

use std::collections::BTreeMap;

use super::{IncidentKind, Platform, Severity};

/// The three sorts of party that receive tickets.
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
pub enum PartyKind {
    Committee,
    Authority,
    Provider,
}

/// How a stored routing rule reads: an authority by kind, platform and severity; the
/// provider of some platforms; the provider of every other platform.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum RuleKind {
    Authority,
    Provider,
    DefaultProvider,
}

/// An authority receives incidents of these kinds (all when empty), on these
/// platforms (all when empty), at this severity or above.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityRule {
    pub party: String,
    #[serde(default)]
    pub kinds: Vec<IncidentKind>,
    #[serde(default)]
    pub platforms: Vec<Platform>,
    #[serde(default = "lowest")]
    pub min_severity: Severity,
}

fn lowest() -> Severity {
    Severity::Low
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRules {
    #[serde(default)]
    pub authorities: Vec<AuthorityRule>,
    /// The provider party for each platform.
    #[serde(default)]
    pub providers: BTreeMap<Platform, String>,
    /// The provider for platforms not listed in `providers`.
    #[serde(default)]
    pub default_provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub party_id: String,
    pub kind: PartyKind,
}

impl RoutingRules {
    /// The reporter's committee always, then matching authorities, then the provider;
    /// each party at most once.
    pub fn route(
        &self,
        committee: &str,
        kind: IncidentKind,
        severity: Severity,
        platform: Platform,
    ) -> Vec<Route> {
        let mut routes = vec![Route {
            party_id: committee.to_owned(),
            kind: PartyKind::Committee,
        }];
        let mut push = |party_id: &str, kind: PartyKind| {
            if !routes.iter().any(|r| r.party_id == party_id) {
                routes.push(Route {
                    party_id: party_id.to_owned(),
                    kind,
                });
            }
        };
        for rule in &self.authorities {
            let kind_matches = rule.kinds.is_empty() || rule.kinds.contains(&kind);
            let platform_matches = rule.platforms.is_empty() || rule.platforms.contains(&platform);
            if kind_matches && platform_matches && severity >= rule.min_severity {
                push(&rule.party, PartyKind::Authority);
            }
        }
        if let Some(provider) = self
            .providers
            .get(&platform)
            .or(self.default_provider.as_ref())
        {
            push(provider, PartyKind::Provider);
        }
        routes
    }

    /// Every party id a rule names, with the key that names it.
    pub fn named_parties(&self) -> Vec<(String, &str)> {
        let mut named = Vec::new();
        for (i, rule) in self.authorities.iter().enumerate() {
            named.push((
                format!("routing.authorities[{i}].party"),
                rule.party.as_str(),
            ));
        }
        for (platform, party) in &self.providers {
            named.push((format!("routing.providers.{platform}"), party.as_str()));
        }
        if let Some(party) = &self.default_provider {
            named.push(("routing.default_provider".to_owned(), party.as_str()));
        }
        named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RoutingRules {
        RoutingRules {
            authorities: vec![
                AuthorityRule {
                    party: "cert".into(),
                    kinds: vec![],
                    platforms: vec![],
                    min_severity: Severity::High,
                },
                AuthorityRule {
                    party: "police".into(),
                    kinds: vec![IncidentKind::Impersonated, IncidentKind::Misused],
                    platforms: vec![],
                    min_severity: Severity::Low,
                },
            ],
            providers: BTreeMap::from([(Platform::Facebook, "meta".to_owned())]),
            default_provider: Some("registrar".into()),
        }
    }

    fn ids(routes: &[Route]) -> Vec<&str> {
        routes.iter().map(|r| r.party_id.as_str()).collect()
    }

    #[test]
    fn committee_always_then_authorities_by_kind_and_severity_then_provider() {
        let r = rules();
        let routes = r.route(
            "hn",
            IncidentKind::Hijacked,
            Severity::High,
            Platform::Facebook,
        );
        assert_eq!(ids(&routes), ["hn", "cert", "meta"]);
        let routes = r.route(
            "hn",
            IncidentKind::Abnormal,
            Severity::Low,
            Platform::Website,
        );
        assert_eq!(ids(&routes), ["hn", "registrar"]);
        let routes = r.route(
            "hn",
            IncidentKind::Misused,
            Severity::Medium,
            Platform::Facebook,
        );
        assert_eq!(ids(&routes), ["hn", "police", "meta"]);
        assert_eq!(routes[1].kind, PartyKind::Authority);
    }

    #[test]
    fn a_party_is_routed_once() {
        let mut r = rules();
        r.authorities[1].party = "cert".into();
        let routes = r.route(
            "hn",
            IncidentKind::Misused,
            Severity::Critical,
            Platform::Facebook,
        );
        assert_eq!(ids(&routes), ["hn", "cert", "meta"]);
    }
}
