//! Routing: which parties receive an incident. The rules are data from config.

use std::collections::BTreeMap;

use super::{IncidentKind, Platform, Severity};

mod notified;
pub use notified::{Notified, notified_sentences, told_to_member};

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

/// The reports that `route` sends to no authority or to no provider, which the
/// organisation's rule asks for: a member notifies their committee, the competent
/// authorities and the service provider. Rules only set a lowest severity, so the
/// severities of one kind's gap are its lowest ones.
pub fn gaps_of(route: impl Fn(IncidentKind, Severity, Platform) -> Vec<Route>) -> Vec<RoutingGap> {
    use strum::VariantArray;
    let mut gaps = Vec::new();
    let reaches = |routes: &[Route], wanted: PartyKind| routes.iter().any(|r| r.kind == wanted);
    for &kind in IncidentKind::VARIANTS {
        for &severity in Severity::VARIANTS {
            let platforms: Vec<Platform> = Platform::VARIANTS
                .iter()
                .copied()
                .filter(|&p| !reaches(&route(kind, severity, p), PartyKind::Authority))
                .collect();
            if !platforms.is_empty() {
                gaps.push(RoutingGap::NoAuthority {
                    kind,
                    severity,
                    platforms,
                });
            }
        }
    }
    // Which provider a report reaches depends on its platform only.
    let unserved: Vec<Platform> = Platform::VARIANTS
        .iter()
        .copied()
        .filter(|&p| {
            !reaches(
                &route(IncidentKind::Abnormal, Severity::Low, p),
                PartyKind::Provider,
            )
        })
        .collect();
    if !unserved.is_empty() {
        gaps.push(RoutingGap::NoProvider {
            platforms: unserved,
        });
    }
    gaps
}

/// Reports that routing leaves without one of the parties the organisation's rule asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingGap {
    /// Reports of this kind and severity on these platforms reach no authority.
    NoAuthority {
        kind: IncidentKind,
        severity: Severity,
        platforms: Vec<Platform>,
    },
    /// Reports on these platforms reach no provider.
    NoProvider { platforms: Vec<Platform> },
}

impl std::fmt::Display for RoutingGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let on = |platforms: &[Platform]| {
            use strum::VariantArray;
            if platforms.len() == Platform::VARIANTS.len() {
                "on every platform".to_owned()
            } else {
                let names: Vec<&str> = platforms.iter().map(|p| p.as_ref()).collect();
                format!("on {}", names.join(", "))
            }
        };
        match self {
            RoutingGap::NoAuthority {
                kind,
                severity,
                platforms,
            } => write!(
                f,
                "reports of kind `{kind}` at severity `{severity}` reach no authority {}",
                on(platforms)
            ),
            RoutingGap::NoProvider { platforms } => {
                write!(f, "reports reach no provider {}", on(platforms))
            }
        }
    }
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

    /// The reports these rules send to no authority or to no provider (see [`gaps_of`]).
    pub fn gaps(&self) -> Vec<RoutingGap> {
        gaps_of(|kind, severity, platform| self.route("", kind, severity, platform))
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
    fn gaps_name_the_reports_that_reach_no_authority_or_no_provider() {
        let mut r = rules();
        let gaps = r.gaps();
        // `cert` takes high and critical; `police` impersonation and misuse at any severity.
        let expected: Vec<(IncidentKind, Severity)> =
            [IncidentKind::Abnormal, IncidentKind::Hijacked]
                .into_iter()
                .flat_map(|k| [(k, Severity::Low), (k, Severity::Medium)])
                .collect();
        let found: Vec<(IncidentKind, Severity)> = gaps
            .iter()
            .map(|g| match g {
                RoutingGap::NoAuthority {
                    kind,
                    severity,
                    platforms,
                } => {
                    assert_eq!(platforms.len(), 9, "{g}");
                    (*kind, *severity)
                }
                RoutingGap::NoProvider { .. } => panic!("a provider gap: {g}"),
            })
            .collect();
        assert_eq!(found, expected);
        assert_eq!(
            gaps[0].to_string(),
            "reports of kind `abnormal` at severity `low` reach no authority on every platform"
        );
        r.authorities.push(AuthorityRule {
            party: "police".into(),
            kinds: vec![],
            platforms: vec![Platform::Facebook],
            min_severity: Severity::Low,
        });
        r.default_provider = None;
        let gaps = r.gaps();
        assert!(gaps.iter().all(|g| match g {
            RoutingGap::NoAuthority { platforms, .. } => !platforms.contains(&Platform::Facebook),
            RoutingGap::NoProvider { platforms } => !platforms.contains(&Platform::Facebook),
        }));
        assert_eq!(
            gaps.last().map(ToString::to_string).as_deref(),
            Some(
                "reports reach no provider on tiktok, youtube, zalo, x, instagram, telegram, website, other"
            )
        );
        r.authorities[0].min_severity = Severity::Low;
        r.default_provider = Some("registrar".into());
        assert_eq!(r.gaps(), []);
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
