//! Typed settings: the embedded defaults, `config/default.toml`, `config/<INCIDENT_DESK_ENV>.toml`,
//! an extra file (`--config` or `INCIDENT_DESK_CONFIG`), then `INCIDENT_DESK__SECTION__KEY`
//! variables; validated at load with messages that name the key. Imports only domain.

use std::{
    collections::{BTreeMap, HashSet},
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

mod directory_file;
mod inbound;
mod register;
mod retention;
mod web;

pub use directory_file::{DirectoryFile, party_rows, read_csv, read_toml};

pub use inbound::{ImapSecurity, ImapServer, ImapSettings, InboundSettings};
pub use register::RegisterSettings;
pub use retention::RetentionSettings;
pub use web::{
    DeskSettings, EvidenceSettings, PlatformGuide, PlatformGuides, Rate, RateLimits, WebSettings,
};

use crate::domain::{
    Email,
    routing::{PartyKind, RoutingRules},
};

/// A duration written like `5m` or `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct HumanDuration(#[serde(with = "humantime_serde")] pub Duration);

/// The longest `dispatcher.record_linger`: a record waits no longer than this.
pub const MAX_RECORD_LINGER: Duration = Duration::from_secs(1);

/// Time a send may take beyond its timeout before its lease may expire.
pub const LEASE_MARGIN: Duration = Duration::from_secs(2);

pub const EMBEDDED_DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub public_base_url: String,
    pub logging: LoggingSettings,
    pub parties: PartiesSettings,
    #[serde(default)]
    pub routing: RoutingRules,
    pub email: EmailSettings,
    pub webhooks: WebhookSettings,
    pub dispatcher: DispatcherSettings,
    pub metrics: MetricsSettings,
    pub tickets: TicketSettings,
    pub notifications: NotificationSettings,
    pub web: WebSettings,
    pub desk: DeskSettings,
    pub register: RegisterSettings,
    pub evidence: EvidenceSettings,
    /// Each platform's own help pages, for the member's guidance.
    #[serde(default)]
    pub platforms: PlatformGuides,
    pub retention: RetentionSettings,
}

/// What each kind of party is told about the people involved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Party kinds given the reporter's email and phone.
    pub reporter_contacts_for: Vec<PartyKind>,
    /// Party kinds given the email and phone linked to the affected account.
    pub account_contacts_for: Vec<PartyKind>,
    /// What the member is emailed about after the confirmation (each email carries a fresh
    /// tracking link and the incident's reply address).
    #[serde(default = "all_member_updates")]
    pub member_updates: Vec<crate::domain::correspondence::MemberUpdate>,
}

fn all_member_updates() -> Vec<crate::domain::correspondence::MemberUpdate> {
    use crate::domain::Named;
    crate::domain::correspondence::MemberUpdate::ALL.to_vec()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// lettre's URL form: `smtp://host:port` (plain), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (implicit TLS), with optional `user:password@`.
    pub smtp_url: SecretString,
    pub from: String,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// The domain of Message-IDs.
    pub message_id_domain: String,
    /// The mailbox replies go to. Every email then carries `Reply-To: local+<token>@domain`,
    /// a per-ticket address that reveals nothing and cannot be forged.
    #[serde(default)]
    pub reply_address: Option<String>,
    #[serde(default)]
    pub inbound: InboundSettings,
}

impl EmailSettings {
    /// The reply mailbox, when one is configured (checked at start).
    pub fn reply_mailbox(&self) -> Option<crate::domain::correspondence::ReplyMailbox> {
        crate::domain::correspondence::ReplyMailbox::parse(self.reply_address.as_deref()?).ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Whole request, from connect to the last byte of the answer.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Networks that webhooks may reach although they are private (CIDR).
    #[serde(default)]
    pub allow_networks: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherSettings {
    pub enabled: bool,
    /// Fallback poll for due deliveries; new ones wake the dispatcher at once.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Sends in flight at once in this process.
    pub concurrency: usize,
    /// Sends in flight at once to one endpoint or mail server.
    pub per_endpoint_concurrency: usize,
    /// How long a claimed delivery belongs to this process.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Wait before each attempt; its length is the number of attempts.
    pub schedule: Vec<HumanDuration>,
    /// Random spread of each wait, as a fraction (0.2 = plus or minus 20 %).
    pub jitter: f64,
    /// How long the recorder waits for more finished sends to write in one transaction
    /// with the first (`0s`: it writes what has finished at once).
    #[serde(with = "humantime_serde")]
    pub record_linger: Duration,
    /// How often deadlines are checked for reminders and escalation.
    #[serde(with = "humantime_serde")]
    pub deadline_check_interval: Duration,
    /// `/readyz` fails when a due delivery has waited longer than this (dispatcher enabled).
    #[serde(with = "humantime_serde")]
    pub stall_threshold: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics` in the Prometheus text format.
    pub enabled: bool,
    /// When set, `/metrics` asks for `Authorization: Bearer <token>`.
    #[serde(default)]
    pub bearer_token: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    /// How long an acknowledge link in an email stays valid.
    #[serde(with = "humantime_serde")]
    pub ack_link_ttl: Duration,
}

/// The most `server.max_filings_in_progress` may be: far beyond what any instance writes at
/// once, and within what a semaphore can count.
pub const MAX_FILINGS_IN_PROGRESS: usize = 1_000_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a request's body may take to arrive, whole, after its head; a slower
    /// body is answered 408 and its connection closed.
    #[serde(with = "humantime_serde")]
    pub body_read_timeout: Duration,
    /// HTTP worker threads; the number of cores when absent.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Reports (API or form) being filed at once; more are answered 503 with
    /// `Retry-After: 1` and nothing of them is written. Bounds what an overload costs in
    /// memory and in waiting.
    pub max_filings_in_progress: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path?mode=rwc` or `postgres://user:password@host/db`.
    pub url: SecretString,
    pub max_connections: u32,
    /// How long a request waits for a free connection of the pool (opening one included),
    /// or (on a SQLite file) for the write lock another connection holds, before it is
    /// refused with 503 and `Retry-After` instead.
    #[serde(with = "humantime_serde")]
    pub wait: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingSettings {
    pub format: LogFormat,
    /// A tracing filter such as `info` or `incident_desk=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartiesSettings {
    #[serde(default)]
    pub committees: Vec<PartySettings>,
    #[serde(default)]
    pub authorities: Vec<PartySettings>,
    #[serde(default)]
    pub providers: Vec<PartySettings>,
}

pub use crate::domain::Locale;

pub use crate::domain::directory::Names;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartySettings {
    pub id: String,
    /// The parent committee (committees only).
    #[serde(default)]
    pub parent: Option<String>,
    pub name: Names,
    #[serde(default)]
    pub locale: Locale,
    #[serde(with = "humantime_serde")]
    pub ack_deadline: Duration,
    #[serde(default)]
    pub contacts: Contacts,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub webhooks: Vec<WebhookEndpoint>,
    /// The person members may call or write to about their report.
    #[serde(default)]
    pub person: Option<crate::domain::directory::NamedContact>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    pub url: String,
    /// `whsec_` followed by base64 of 24 to 64 random bytes.
    pub secret: SecretString,
    /// The secret being rotated out: messages carry both signatures until it is removed.
    #[serde(default)]
    pub previous_secret: Option<SecretString>,
}

/// A party with the kind of list it came from.
#[derive(Debug, Clone)]
pub struct Party<'a> {
    pub kind: PartyKind,
    pub settings: &'a PartySettings,
}

/// Where the configuration comes from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Folder holding `default.toml` and `<env>.toml`.
    pub dir: Option<PathBuf>,
    /// The extra file from `--config` or `INCIDENT_DESK_CONFIG`.
    pub extra_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration is invalid:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Settings {
    /// Loads and validates the layered configuration.
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        Self::from_figment(figment(sources))
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        let problems = settings.problems();
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Every party, committees first.
    pub fn all_parties(&self) -> impl Iterator<Item = Party<'_>> {
        self.parties
            .committees
            .iter()
            .map(|settings| Party {
                kind: PartyKind::Committee,
                settings,
            })
            .chain(self.parties.authorities.iter().map(|settings| Party {
                kind: PartyKind::Authority,
                settings,
            }))
            .chain(self.parties.providers.iter().map(|settings| Party {
                kind: PartyKind::Provider,
                settings,
            }))
    }

    pub fn party(&self, id: &str) -> Option<Party<'_>> {
        self.all_parties().find(|p| p.settings.id == id)
    }

    pub fn committee(&self, id: &str) -> Option<&PartySettings> {
        self.parties.committees.iter().find(|c| c.id == id)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.server.body_read_timeout < Duration::from_secs(1) {
            problems.push("server.body_read_timeout: must be at least 1s".to_owned());
        }
        if self.server.max_body_bytes < 1024 {
            problems.push("server.max_body_bytes: must be at least 1024".to_owned());
        }
        let db = self.database.url.expose_secret();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            problems.push(
                "database.url: must start with sqlite:, postgres:// or postgresql://".to_owned(),
            );
        }
        if !(1..=MAX_FILINGS_IN_PROGRESS).contains(&self.server.max_filings_in_progress) {
            problems.push(format!(
                "server.max_filings_in_progress: must be between 1 and {MAX_FILINGS_IN_PROGRESS}"
            ));
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections: must be at least 1".to_owned());
        }
        if self.database.wait < Duration::from_millis(100) {
            problems.push("database.wait: must be at least 100ms".to_owned());
        }
        match url::Url::parse(&self.public_base_url) {
            Ok(u) if crate::domain::has_userinfo(&self.public_base_url, &u) => problems.push(
                "public_base_url: must not contain a user name or password before the host"
                    .to_owned(),
            ),
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => problems.push("public_base_url: must be an absolute http(s) URL".to_owned()),
        }
        if tracing_subscriber::EnvFilter::try_new(&self.logging.level).is_err() {
            problems.push(format!(
                "logging.level: `{}` is not a valid log filter",
                self.logging.level
            ));
        }
        if self.parties.committees.is_empty() {
            problems.push("parties.committees: at least one committee is required".to_owned());
        }
        self.delivery_problems(&mut problems);
        web::problems(&self.web, &self.evidence, &self.platforms, &mut problems);
        web::desk_problems(&self.desk, &mut problems);
        register::problems(&self.register, &mut problems);
        inbound::problems(
            self.email.reply_address.as_deref(),
            &self.email.inbound,
            &mut problems,
        );
        self.party_problems(&mut problems);
        self.routing_problems(&mut problems);
        retention::problems(&self.retention, &mut problems);
        problems
    }

    fn delivery_problems(&self, problems: &mut Vec<String>) {
        if lettre::message::Mailbox::from_str(&self.email.from).is_err() {
            problems.push(format!(
                "email.from: `{}` must be an address such as `Desk <desk@example.org>`",
                self.email.from
            ));
        }
        let smtp = self.email.smtp_url.expose_secret();
        if !(smtp.starts_with("smtp://") || smtp.starts_with("smtps://")) {
            problems.push("email.smtp_url: must start with smtp:// or smtps://".to_owned());
        }
        let d = &self.dispatcher;
        if d.schedule.is_empty() {
            problems.push("dispatcher.schedule: at least one attempt is required".to_owned());
        }
        if !(0.0..1.0).contains(&d.jitter) {
            problems.push("dispatcher.jitter: must be at least 0 and below 1".to_owned());
        }
        if d.concurrency == 0 || d.per_endpoint_concurrency == 0 {
            problems.push(
                "dispatcher.concurrency, dispatcher.per_endpoint_concurrency: must be at least 1"
                    .to_owned(),
            );
        }
        if d.record_linger > MAX_RECORD_LINGER {
            problems.push(format!(
                "dispatcher.record_linger: must be at most {}ms",
                MAX_RECORD_LINGER.as_millis()
            ));
        }
        // A lease covers the send and the wait for its record.
        let longest = self.email.timeout.max(self.webhooks.timeout) + LEASE_MARGIN;
        if d.lease <= longest + d.record_linger {
            problems.push(format!(
                "dispatcher.lease: must be longer than the longest send and its record ({}s: the email or webhook timeout plus {}s, plus dispatcher.record_linger)",
                longest.as_secs(),
                LEASE_MARGIN.as_secs()
            ));
        }
        if self.webhooks.connect_timeout > self.webhooks.timeout {
            problems.push("webhooks.connect_timeout: must not exceed webhooks.timeout".to_owned());
        }
        if d.stall_threshold.is_zero() {
            problems.push("dispatcher.stall_threshold: must be longer than zero".to_owned());
        }
        if self
            .metrics
            .bearer_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().trim().len() < 16)
        {
            problems.push("metrics.bearer_token: must be at least 16 characters".to_owned());
        }
    }

    fn party_problems(&self, problems: &mut Vec<String>) {
        let mut seen = HashSet::new();
        let lists = [
            ("committees", &self.parties.committees),
            ("authorities", &self.parties.authorities),
            ("providers", &self.parties.providers),
        ];
        for (list, parties) in lists {
            for (i, party) in parties.iter().enumerate() {
                let key = format!("parties.{list}[{i}]");
                let id_ok = !party.id.is_empty()
                    && party.id.len() <= 64
                    && party.id.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if !id_ok {
                    problems.push(format!(
                        "{key}.id: `{}` must be 1 to 64 of a-z, 0-9, - and _",
                        party.id
                    ));
                }
                if !seen.insert(party.id.as_str()) {
                    problems.push(format!("{key}.id: duplicate party id `{}`", party.id));
                }
                if party.ack_deadline.is_zero() {
                    problems.push(format!("{key}.ack_deadline: must be longer than zero"));
                }
                if party.name.vi.trim().is_empty() || party.name.en.trim().is_empty() {
                    problems.push(format!("{key}.name: both `vi` and `en` are required"));
                }
                match (&party.parent, list) {
                    (Some(parent), "committees") if self.committee(parent).is_none() => {
                        problems.push(format!("{key}.parent: unknown committee `{parent}`"))
                    }
                    (Some(_), "committees") | (None, _) => {}
                    (Some(_), _) => {
                        problems.push(format!("{key}.parent: only committees have a parent"))
                    }
                }
                if party.contacts.emails.is_empty() && party.contacts.webhooks.is_empty() {
                    problems.push(format!(
                        "{key}.contacts: at least one email address or webhook is required"
                    ));
                }
                for (j, email) in party.contacts.emails.iter().enumerate() {
                    if let Err(e) = Email::parse("", email) {
                        problems.push(format!(
                            "{key}.contacts.emails[{j}]: `{email}` {}",
                            e.message
                        ));
                    }
                }
                for (j, hook) in party.contacts.webhooks.iter().enumerate() {
                    let hook_key = format!("{key}.contacts.webhooks[{j}]");
                    match url::Url::parse(&hook.url) {
                        Ok(u) if crate::domain::has_userinfo(&hook.url, &u) => problems
                            .push(format!(
                                "{hook_key}.url: must not contain a user name or password before the host"
                            )),
                        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                        _ => problems.push(format!(
                            "{hook_key}.url: `{}` must be an absolute http(s) URL",
                            hook.url
                        )),
                    }
                    if let Err(rule) = check_webhook_secret(hook.secret.expose_secret()) {
                        problems.push(format!("{hook_key}.secret: {rule}"));
                    }
                    if let Some(Err(rule)) = hook
                        .previous_secret
                        .as_ref()
                        .map(|s| check_webhook_secret(s.expose_secret()))
                    {
                        problems.push(format!("{hook_key}.previous_secret: {rule}"));
                    }
                }
            }
        }
        for (i, committee) in self.parties.committees.iter().enumerate() {
            if self.has_cycle(committee) {
                problems.push(format!(
                    "parties.committees[{i}].parent: `{}` is its own ancestor",
                    committee.id
                ));
            }
        }
    }

    fn has_cycle(&self, start: &PartySettings) -> bool {
        let mut current = start.parent.as_deref();
        let mut steps = 0;
        while let Some(id) = current {
            if id == start.id || steps > self.parties.committees.len() {
                return true;
            }
            current = self.committee(id).and_then(|c| c.parent.as_deref());
            steps += 1;
        }
        false
    }

    fn routing_problems(&self, problems: &mut Vec<String>) {
        let kinds: BTreeMap<&str, PartyKind> = self
            .all_parties()
            .map(|p| (p.settings.id.as_str(), p.kind))
            .collect();
        for (key, party) in self.routing.named_parties() {
            let wanted = if key.starts_with("routing.authorities") {
                PartyKind::Authority
            } else {
                PartyKind::Provider
            };
            match kinds.get(party) {
                None => problems.push(format!("{key}: unknown party `{party}`")),
                Some(kind) if *kind != wanted => problems.push(format!(
                    "{key}: `{party}` is a {kind}, but this rule needs a {wanted}"
                )),
                Some(_) => {}
            }
        }
    }
}

pub use crate::domain::directory::check_webhook_secret;

/// The layered sources, lowest priority first.
pub fn figment(sources: &Sources) -> Figment {
    let dir = sources
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("config"));
    let env = std::env::var("INCIDENT_DESK_ENV").unwrap_or_else(|_| "local".to_owned());
    let mut figment = Figment::new()
        .merge(Toml::string(EMBEDDED_DEFAULTS))
        .merge(Toml::file(dir.join("default.toml")))
        .merge(Toml::file(dir.join(format!("{env}.toml"))));
    let extra = sources
        .extra_file
        .clone()
        .or_else(|| std::env::var_os("INCIDENT_DESK_CONFIG").map(PathBuf::from));
    if let Some(extra) = extra {
        figment = figment.merge(Toml::file_exact(extra));
    }
    figment.merge(Env::prefixed("INCIDENT_DESK__").split("__"))
}

/// Loads TOML layers on top of the embedded defaults only (later layers win), for tests
/// and tools.
pub fn from_layers(layers: &[&str]) -> Result<Settings, ConfigError> {
    let figment = layers.iter().fold(
        Figment::new().merge(Toml::string(EMBEDDED_DEFAULTS)),
        |f, layer| f.merge(Toml::string(layer)),
    );
    Settings::from_figment(figment)
}

/// Loads a settings file on top of the embedded defaults only, for tests and tools.
pub fn from_defaults_and(overrides: &str, path: Option<&Path>) -> Result<Settings, ConfigError> {
    let mut figment = Figment::new()
        .merge(Toml::string(EMBEDDED_DEFAULTS))
        .merge(Toml::string(overrides));
    if let Some(path) = path {
        figment = figment.merge(Toml::file_exact(path));
    }
    Settings::from_figment(figment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        let settings = from_defaults_and("", None).expect("defaults load");
        assert_eq!(settings.server.port, 8080);
        let plan = crate::domain::directory::ImportPlan::new(
            &crate::domain::directory::Directory::default(),
            party_rows(&settings.parties),
            Some(settings.routing.clone()),
            chrono::Utc::now(),
        );
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        let seeded = crate::domain::directory::Directory::new(
            1,
            plan.created.into_iter().map(|p| p.after).collect(),
            settings.routing.clone(),
        );
        assert_eq!(
            seeded.committee_subtree("hn"),
            ["hn", "hn-ba-dinh", "hn-cau-giay", "hn-ba-dinh-phuc-xa"]
        );
    }

    fn problems_of(overrides: &str) -> Vec<String> {
        match from_defaults_and(overrides, None) {
            Err(ConfigError::Invalid(problems)) => problems,
            other => panic!("expected invalid config, got {other:?}"),
        }
    }

    #[test]
    fn names_the_key_of_each_problem() {
        let problems = problems_of(
            r#"
            public_base_url = "not a url"
            [[parties.committees]]
            id = "a"
            parent = "nowhere"
            name = { vi = "A", en = "A" }
            ack_deadline = "1h"
            contacts.emails = ["bad-address"]
            contacts.webhooks = [{ url = "ftp://x.example.org", secret = "nope" }]
            [[parties.committees]]
            id = "a"
            name = { vi = "A", en = "A" }
            ack_deadline = "1h"
            "#,
        );
        let expected = [
            "public_base_url:",
            "parties.committees[0].parent: unknown committee `nowhere`",
            "parties.committees[0].contacts.emails[0]:",
            "parties.committees[0].contacts.webhooks[0].url:",
            "parties.committees[0].contacts.webhooks[0].secret: must start with `whsec_`",
            "parties.committees[1].id: duplicate party id `a`",
        ];
        for want in expected {
            assert!(
                problems.iter().any(|p| p.starts_with(want)),
                "missing `{want}` in {problems:#?}"
            );
        }
    }

    #[test]
    fn reports_in_progress_are_at_least_one_and_a_countable_number() {
        for value in ["0", "1000001"] {
            let problems = problems_of(&format!("[server]\nmax_filings_in_progress = {value}\n"));
            assert_eq!(
                problems,
                ["server.max_filings_in_progress: must be between 1 and 1000000"]
            );
        }
        let settings = from_defaults_and("", None).expect("defaults load");
        assert_eq!(settings.server.max_filings_in_progress, 256);
    }

    #[test]
    fn urls_with_a_user_name_or_password_are_refused() {
        let problems = problems_of(
            r#"
            public_base_url = "https://:pw@desk.example.org"
            [[parties.committees]]
            id = "a"
            name = { vi = "A", en = "A" }
            ack_deadline = "1h"
            contacts.webhooks = [{ url = "https://:Hunter2@hooks.example.org/x", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }]
            "#,
        );
        for want in [
            "public_base_url: must not contain a user name or password",
            "parties.committees[0].contacts.webhooks[0].url: must not contain a user name or password",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(want)),
                "missing `{want}` in {problems:#?}"
            );
        }
        assert!(
            problems.iter().all(|p| !p.contains("Hunter2")),
            "the password is not echoed: {problems:#?}"
        );
    }

    #[test]
    fn routing_must_name_known_parties_of_the_right_kind() {
        let problems = problems_of(
            r#"
            [[routing.authorities]]
            party = "ghost"
            [[routing.authorities]]
            party = "meta"
            "#,
        );
        assert!(
            problems.iter().any(|p| p.contains("unknown party `ghost`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`meta` is a provider, but this rule needs a authority")),
            "{problems:?}"
        );
    }

    #[test]
    fn refuses_cycles_in_the_committee_tree() {
        let problems = problems_of(
            r#"
            [[parties.committees]]
            id = "a"
            parent = "b"
            name = { vi = "A", en = "A" }
            ack_deadline = "1h"
            [[parties.committees]]
            id = "b"
            parent = "a"
            name = { vi = "B", en = "B" }
            ack_deadline = "1h"
            "#,
        );
        assert!(
            problems.iter().any(|p| p.contains("its own ancestor")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_lease_must_outlast_the_longest_send() {
        let problems = problems_of("[dispatcher]\nlease = \"15s\"\n");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("dispatcher.lease: must be longer")),
            "{problems:?}"
        );
        assert!(from_defaults_and("[dispatcher]\nlease = \"18s\"\n", None).is_ok());
        // The wait for the record counts too.
        let problems = problems_of("[dispatcher]\nlease = \"18s\"\nrecord_linger = \"1s\"\n");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("dispatcher.lease: must be longer")),
            "{problems:?}"
        );
        let problems = problems_of("[dispatcher]\nrecord_linger = \"2s\"\n");
        assert!(
            problems
                .iter()
                .any(|p| p == "dispatcher.record_linger: must be at most 1000ms"),
            "{problems:?}"
        );
    }

    #[test]
    fn the_stall_threshold_and_the_metrics_token_are_checked() {
        let problems = problems_of(
            "[dispatcher]\nstall_threshold = \"0s\"\n[metrics]\nbearer_token = \"short\"\n",
        );
        for want in [
            "dispatcher.stall_threshold: must be longer than zero",
            "metrics.bearer_token: must be at least 16 characters",
        ] {
            assert!(problems.iter().any(|p| p == want), "{problems:?}");
        }
        let settings = from_defaults_and("", None).expect("defaults load");
        assert_eq!(
            settings.dispatcher.stall_threshold,
            Duration::from_secs(300)
        );
        assert!(settings.metrics.enabled);
        assert!(settings.metrics.bearer_token.is_none());
    }

    #[test]
    fn webhook_secrets_follow_the_standard() {
        assert!(check_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(check_webhook_secret("whsec_c2hvcnQ=").is_err());
    }
}
