//! The routing rules (admins only): what they are, a form that replaces them, and a
//! preview of who an incident would reach.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{Desk, Failure, Fields, Opt, Who, acting, failure, kind_label, redirect, shown};
use crate::{
    domain::{
        FieldError, IncidentKind, Named, Platform, Severity,
        access::DirectoryRight,
        directory::Directory,
        i18n::{Tr, text_with},
        routing::{AuthorityRule, PartyKind, RoutingGap, RoutingRules},
    },
    http::{
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::Shown,
        },
        state::AppState,
    },
    usecases::directory as uc,
};

/// Blank authority rows offered below the rules, to add new ones.
const BLANK_RULES: usize = 2;

/// One authority rule as the form shows it.
pub struct RuleRow {
    pub n: usize,
    pub parties: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub platforms: Vec<Opt>,
    pub severities: Vec<Opt>,
}

/// A provider choice for one platform.
pub struct ProviderRow {
    pub platform: String,
    pub label: String,
    pub parties: Vec<Opt>,
}

/// A rule in words.
pub struct RuleText {
    pub party: String,
    pub kinds: String,
    pub platforms: String,
    pub min_severity: String,
}

/// Who an incident would reach.
pub struct Reached {
    pub name: String,
    pub id: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "desk/directory/routing.html")]
struct RoutingPage {
    chrome: Chrome,
    who: Who,
    csrf_token: String,
    done: Option<String>,
    rules: Vec<RuleText>,
    providers_text: Vec<(String, String)>,
    default_text: String,
    rows: Vec<RuleRow>,
    providers: Vec<ProviderRow>,
    default_provider: Vec<Opt>,
    problems: Vec<Shown>,
    preview_kinds: Vec<Opt>,
    preview_platforms: Vec<Opt>,
    preview_severities: Vec<Opt>,
    preview_committee: String,
    preview_problems: Vec<Shown>,
    reached: Option<Vec<Reached>>,
    /// The reports the live routing leaves without an authority or a provider.
    gaps: Vec<String>,
}

impl RoutingPage {
    pub fn err(&self, id: &str) -> Option<&Shown> {
        super::problem(&self.problems, id)
    }

    pub fn preview_err(&self, id: &str) -> Option<&Shown> {
        super::problem(&self.preview_problems, id)
    }
}

fn opts<T>(tr: Tr, all: &[T], label: impl Fn(Tr, T) -> String, chosen: &[T]) -> Vec<Opt>
where
    T: Named + PartialEq,
{
    all.iter()
        .map(|v| Opt {
            value: v.as_str().to_owned(),
            label: label(tr, *v),
            selected: chosen.contains(v),
        })
        .collect()
}

fn kind_word(tr: Tr, k: IncidentKind) -> String {
    tr.t(&format!("form-kind-{}", k.as_str()))
}

fn platform_word(tr: Tr, p: Platform) -> String {
    tr.w("platform", p.as_str())
}

fn severity_word(tr: Tr, s: Severity) -> String {
    tr.w("severity", s.as_str())
}

/// A gap of the routing as the officer reads it.
fn gap_text(tr: Tr, gap: &RoutingGap) -> String {
    let platforms = |platforms: &[Platform]| {
        if platforms.len() == Platform::ALL.len() {
            tr.t("desk-dir-gap-every-platform")
        } else {
            let words: Vec<String> = platforms.iter().map(|p| platform_word(tr, *p)).collect();
            words.join(", ")
        }
    };
    match gap {
        RoutingGap::NoAuthority {
            kind,
            severity,
            platforms: on,
        } => text_with(
            tr.0,
            "desk-dir-gap-authority",
            &[
                ("kind", &kind_word(tr, *kind)),
                ("severity", &severity_word(tr, *severity)),
                ("platforms", &platforms(on)),
            ],
        ),
        RoutingGap::NoProvider { platforms: on } => {
            tr.t1("desk-dir-gap-provider", "platforms", &platforms(on))
        }
    }
}

fn party_opts(dir: &Directory, tr: Tr, kind: PartyKind, chosen: Option<&str>) -> Vec<Opt> {
    dir.of_kind(kind)
        .map(|p| Opt {
            value: p.id.clone(),
            label: format!("{} ({})", p.name.get(tr.0), p.id),
            selected: chosen == Some(p.id.as_str()),
        })
        .collect()
}

fn name_of(dir: &Directory, tr: Tr, id: &str) -> String {
    dir.party(id)
        .map_or_else(|| id.to_owned(), |p| format!("{} ({id})", p.name.get(tr.0)))
}

/// The form shows `rules` (the stored ones, or those just posted).
fn form_rows(
    dir: &Directory,
    tr: Tr,
    rules: &RoutingRules,
) -> (Vec<RuleRow>, Vec<ProviderRow>, Vec<Opt>) {
    let blank = AuthorityRule {
        party: String::new(),
        kinds: Vec::new(),
        platforms: Vec::new(),
        min_severity: Severity::Low,
    };
    let rows = rules
        .authorities
        .iter()
        .chain(std::iter::repeat_n(&blank, BLANK_RULES))
        .enumerate()
        .map(|(n, rule)| RuleRow {
            n,
            parties: party_opts(dir, tr, PartyKind::Authority, Some(&rule.party)),
            kinds: opts(tr, IncidentKind::ALL, kind_word, &rule.kinds),
            platforms: opts(tr, Platform::ALL, platform_word, &rule.platforms),
            severities: opts(tr, Severity::ALL, severity_word, &[rule.min_severity]),
        })
        .collect();
    let providers = Platform::ALL
        .iter()
        .map(|p| ProviderRow {
            platform: p.as_str().to_owned(),
            label: platform_word(tr, *p),
            parties: party_opts(
                dir,
                tr,
                PartyKind::Provider,
                rules.providers.get(p).map(String::as_str),
            ),
        })
        .collect();
    let default_provider = party_opts(
        dir,
        tr,
        PartyKind::Provider,
        rules.default_provider.as_deref(),
    );
    (rows, providers, default_provider)
}

/// What the preview asked.
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    committee: String,
    done: Option<String>,
}

fn build(
    state: &AppState,
    desk: &Desk,
    shown_rules: &RoutingRules,
    problems: Vec<Shown>,
    preview: &PreviewQuery,
    asked: bool,
) -> RoutingPage {
    let dir = state.directory.current();
    let tr = desk.tr();
    let stored = dir.routing();
    let list = |words: Vec<String>| {
        if words.is_empty() {
            tr.t("desk-dir-any")
        } else {
            words.join(", ")
        }
    };
    let rules = stored
        .authorities
        .iter()
        .map(|r| RuleText {
            party: name_of(&dir, tr, &r.party),
            kinds: list(r.kinds.iter().map(|k| kind_word(tr, *k)).collect()),
            platforms: list(r.platforms.iter().map(|p| platform_word(tr, *p)).collect()),
            min_severity: severity_word(tr, r.min_severity),
        })
        .collect();
    let providers_text = stored
        .providers
        .iter()
        .map(|(p, party)| (platform_word(tr, *p), name_of(&dir, tr, party)))
        .collect();
    let default_text = stored
        .default_provider
        .as_deref()
        .map_or_else(|| "—".to_owned(), |p| name_of(&dir, tr, p));
    let (rows, providers, default_provider) = form_rows(&dir, tr, shown_rules);
    let kind: Option<IncidentKind> = preview.kind.parse().ok();
    let platform: Option<Platform> = preview.platform.parse().ok();
    let severity: Option<Severity> = preview.severity.parse().ok();
    let committee = preview.committee.trim();
    let mut preview_errors = Vec::new();
    let mut reached = None;
    if asked {
        if kind.is_none() {
            preview_errors.push(FieldError::new("preview-kind", "one_of", "one_of"));
        }
        if platform.is_none() {
            preview_errors.push(FieldError::new("preview-platform", "one_of", "one_of"));
        }
        if severity.is_none() {
            preview_errors.push(FieldError::new("preview-severity", "one_of", "one_of"));
        }
        if dir.committee(committee).is_none() {
            preview_errors.push(FieldError::new(
                "preview-committee",
                "unknown_committee",
                "unknown_committee",
            ));
        }
        if let (Some(k), Some(p), Some(s), true) =
            (kind, platform, severity, preview_errors.is_empty())
        {
            reached = Some(
                dir.route(committee, k, s, p)
                    .into_iter()
                    .map(|r| Reached {
                        name: dir
                            .party(&r.party_id)
                            .map_or_else(|| r.party_id.clone(), |p| p.name.get(tr.0).to_owned()),
                        id: r.party_id.clone(),
                        kind: kind_label(tr, r.kind),
                    })
                    .collect(),
            );
        }
    }
    RoutingPage {
        chrome: desk.chrome("desk-dir-routing-title", "/desk/directory/routing"),
        who: Who::of(desk),
        csrf_token: desk.csrf_token.clone(),
        done: super::done_text(tr.0, preview.done.as_deref()),
        rules,
        providers_text,
        default_text,
        rows,
        providers,
        default_provider,
        problems,
        preview_kinds: opts(tr, IncidentKind::ALL, kind_word, kind.as_slice()),
        preview_platforms: opts(tr, Platform::ALL, platform_word, platform.as_slice()),
        preview_severities: opts(tr, Severity::ALL, severity_word, severity.as_slice()),
        preview_committee: committee.to_owned(),
        preview_problems: super::shown(tr.0, &preview_errors, str::to_owned),
        reached,
        gaps: dir.routing_gaps().iter().map(|g| gap_text(tr, g)).collect(),
    }
}

async fn admin(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
) -> Result<Desk, PageError> {
    let desk = Desk::of(req, state, session, csrf).await?;
    if desk.officer.manages_directory() {
        Ok(desk)
    } else {
        Err(desk.read_only(req).into())
    }
}

pub async fn routing_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = admin(&req, &state, &session, csrf).await?;
    let rules = state.directory.current().routing().clone();
    let page = build(&state, &desk, &rules, Vec::new(), &query, false);
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

pub async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = admin(&req, &state, &session, csrf).await?;
    let rules = state.directory.current().routing().clone();
    let page = build(&state, &desk, &rules, Vec::new(), &query, true);
    let status = if page.reached.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(desk.respond(&state, status, page::render(&page)))
}

/// The rules of the form; a value that is not one of the choices is named beside its
/// field. Returns the rules and, for each authority rule, the form row it came from.
fn posted_rules(f: &Fields) -> (RoutingRules, Vec<usize>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut rules = RoutingRules::default();
    let mut rows = Vec::new();
    let mut n = 0;
    loop {
        let prefix = format!("authority-{n}");
        let present =
            f.0.iter()
                .any(|(k, _)| k.starts_with(&format!("{prefix}-")));
        if !present {
            break;
        }
        let party = f.get(&format!("{prefix}-party")).trim().to_owned();
        if !party.is_empty() {
            let parse_all = |field: &str| -> Vec<String> { f.all(&format!("{prefix}-{field}")) };
            let kinds = parse_all("kinds")
                .iter()
                .filter_map(|k| {
                    k.parse()
                        .map_err(|_| {
                            errors.push(FieldError::new(
                                format!("{prefix}-kinds"),
                                "one_of",
                                "one_of",
                            ))
                        })
                        .ok()
                })
                .collect();
            let platforms = parse_all("platforms")
                .iter()
                .filter_map(|p| {
                    p.parse()
                        .map_err(|_| {
                            errors.push(FieldError::new(
                                format!("{prefix}-platforms"),
                                "one_of",
                                "one_of",
                            ))
                        })
                        .ok()
                })
                .collect();
            let min_severity = f
                .get(&format!("{prefix}-min_severity"))
                .parse()
                .unwrap_or_else(|_| {
                    errors.push(FieldError::new(
                        format!("{prefix}-min_severity"),
                        "one_of",
                        "one_of",
                    ));
                    Severity::Low
                });
            rules.authorities.push(AuthorityRule {
                party,
                kinds,
                platforms,
                min_severity,
            });
            rows.push(n);
        }
        n += 1;
    }
    let mut providers = BTreeMap::new();
    for p in Platform::ALL {
        let party = f.get(&format!("provider-{}", p.as_str())).trim();
        if !party.is_empty() {
            providers.insert(*p, party.to_owned());
        }
    }
    rules.providers = providers;
    rules.default_provider =
        Some(f.get("default_provider").trim().to_owned()).filter(|p| !p.is_empty());
    (rules, rows, errors)
}

/// Where the use case's field (`authorities[1].party`, `providers.facebook`) is on the form.
fn element_of(rows: &[usize]) -> impl Fn(&str) -> String + '_ {
    move |field| {
        if let Some(rest) = field.strip_prefix("authorities[")
            && let Some((i, tail)) = rest.split_once(']')
        {
            let row = i
                .parse::<usize>()
                .ok()
                .and_then(|i| rows.get(i).copied())
                .unwrap_or(0);
            return format!("authority-{row}-{}", tail.trim_start_matches('.'));
        }
        if let Some(platform) = field.strip_prefix("providers.") {
            return format!("provider-{platform}");
        }
        field.to_owned()
    }
}

pub async fn save_routing(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let f = Fields::parse(&body);
    let desk = acting(
        &req,
        &state,
        &session,
        csrf,
        f.token(),
        None,
        DirectoryRight::Manage,
    )
    .await?;
    let (rules, rows, errors) = posted_rules(&f);
    let result = if errors.is_empty() {
        uc::save_routing(
            &state.db,
            &state.directory,
            &desk.officer.actor(),
            rules.clone(),
        )
        .await
    } else {
        Err(uc::DirectoryError::Invalid(errors))
    };
    match result {
        Ok(_) => Ok(redirect("/desk/directory/routing?done=routing".to_owned())),
        Err(error) => {
            let problems = match failure(&req, error)? {
                Failure::Invalid(errors) => shown(desk.tr().0, &errors, element_of(&rows)),
                Failure::Refused(message) => vec![Shown {
                    id: "authority-0-party".to_owned(),
                    label: desk.tr().t("desk-dir-routing-title"),
                    message,
                }],
            };
            let page = build(
                &state,
                &desk,
                &rules,
                problems,
                &PreviewQuery::default(),
                false,
            );
            Ok(desk.respond(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                page::render(&page),
            ))
        }
    }
}
