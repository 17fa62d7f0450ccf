//! Settings of the member web: time zone of the form, rate limits, uploads and the
//! platforms' own help pages.

use std::{collections::BTreeMap, path::PathBuf};

use chrono::FixedOffset;
use serde::Deserialize;

use crate::domain::Platform;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// UTC offset of the times members type in the form, such as `+07:00`.
    pub utc_offset: String,
    /// Header in which a trusted reverse proxy puts the client's address (for example
    /// `X-Forwarded-For` or `X-Real-IP`); without it the peer address is used.
    #[serde(default)]
    pub trusted_proxy_header: Option<String>,
    pub rate_limits: RateLimits,
    /// How long a report being filled in step by step is kept after its last change.
    #[serde(default = "default_draft_lifetime", with = "humantime_serde")]
    pub draft_lifetime: std::time::Duration,
}

fn default_draft_lifetime() -> std::time::Duration {
    std::time::Duration::from_secs(72 * 3600)
}

impl WebSettings {
    pub fn offset(&self) -> Option<FixedOffset> {
        self.utc_offset.parse::<FixedOffset>().ok()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Reports, additions and changes sent from one address.
    pub submissions: Rate,
    /// Tracking pages opened from one address.
    pub tracking: Rate,
}

/// `per_minute` requests on average, with bursts of up to `burst`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

/// The committee desk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    /// How long a desk session lasts without use.
    #[serde(with = "humantime_serde")]
    pub session_ttl: std::time::Duration,
    /// Incidents per page of the queue.
    pub page_size: u64,
    /// How long the queue's counters are reused before they are counted again (in the
    /// background, while the last count is shown); `0s` counts on every page.
    #[serde(with = "humantime_serde")]
    pub counters_max_age: std::time::Duration,
    /// Failed sign-ins for one username from one client address: tight, so a guesser at
    /// one address is stopped soon.
    pub sign_in_failures_per_pair: FailureBudget,
    /// Failed sign-ins for one username from any address: loose, over a longer window.
    /// Past it, only an address without recent failures for that username may still try,
    /// so a stranger cannot lock an officer out.
    pub sign_in_failures_per_account: FailureBudget,
    /// Sign-in attempts from one client address, whatever the username.
    pub sign_in_per_address: Rate,
}

/// At most `max` failures within `window`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureBudget {
    pub max: u32,
    #[serde(with = "humantime_serde")]
    pub window: std::time::Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Folder of the evidence files, each named by the SHA-256 of its bytes.
    pub dir: PathBuf,
    pub max_files: usize,
    pub max_file_bytes: usize,
}

/// A platform's own help pages, shown to the member beside the summary to paste there.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformGuide {
    /// Recovering a hacked account or a lost page.
    #[serde(default)]
    pub hacked: Vec<String>,
    /// Reporting an impersonation.
    #[serde(default)]
    pub impersonation: Vec<String>,
    /// Reporting other misuse.
    #[serde(default)]
    pub misuse: Vec<String>,
    /// The language the help pages are written in, when their addresses do not say it
    /// (`vi` or `en`); members reading another language are told.
    #[serde(default)]
    pub language: Option<crate::domain::Locale>,
}

pub type PlatformGuides = BTreeMap<Platform, PlatformGuide>;

pub(super) fn desk_problems(desk: &DeskSettings, problems: &mut Vec<String>) {
    if desk.session_ttl.as_secs() < 60 {
        problems.push("desk.session_ttl: must be at least one minute".to_owned());
    }
    if !(10..=500).contains(&desk.page_size) {
        problems.push("desk.page_size: must be between 10 and 500".to_owned());
    }
    let rate = desk.sign_in_per_address;
    if rate.per_minute == 0 || rate.burst == 0 {
        problems
            .push("desk.sign_in_per_address: per_minute and burst must be at least 1".to_owned());
    }
    for (name, budget) in [
        ("sign_in_failures_per_pair", desk.sign_in_failures_per_pair),
        (
            "sign_in_failures_per_account",
            desk.sign_in_failures_per_account,
        ),
    ] {
        if budget.max == 0 || budget.window.is_zero() {
            problems.push(format!("desk.{name}: max and window must be at least 1"));
        }
    }
    if desk.sign_in_failures_per_account.max < desk.sign_in_failures_per_pair.max {
        problems.push(
            "desk.sign_in_failures_per_account: max must be at least sign_in_failures_per_pair's"
                .to_owned(),
        );
    }
}

pub(super) fn problems(
    web: &WebSettings,
    evidence: &EvidenceSettings,
    guides: &PlatformGuides,
    problems: &mut Vec<String>,
) {
    if web.offset().is_none() {
        problems.push(format!(
            "web.utc_offset: `{}` is not an offset such as +07:00",
            web.utc_offset
        ));
    }
    if web.draft_lifetime < std::time::Duration::from_secs(24 * 3600) {
        problems.push(
            "web.draft_lifetime: must be at least 24h, so a member can come back the next day"
                .to_owned(),
        );
    }
    if let Some(header) = &web.trusted_proxy_header
        && actix_web::http::header::HeaderName::try_from(header.as_str()).is_err()
    {
        problems.push(format!(
            "web.trusted_proxy_header: `{header}` is not a header name"
        ));
    }
    for (name, rate) in [
        ("submissions", web.rate_limits.submissions),
        ("tracking", web.rate_limits.tracking),
    ] {
        if rate.per_minute == 0 || rate.burst == 0 {
            problems.push(format!(
                "web.rate_limits.{name}: per_minute and burst must be at least 1"
            ));
        }
    }
    if evidence.max_files == 0 || evidence.max_file_bytes < 1024 {
        problems.push(
            "evidence: max_files must be at least 1 and max_file_bytes at least 1024".to_owned(),
        );
    }
    for (platform, guide) in guides {
        for (list, urls) in [
            ("hacked", &guide.hacked),
            ("impersonation", &guide.impersonation),
            ("misuse", &guide.misuse),
        ] {
            for url in urls {
                match url::Url::parse(url) {
                    Ok(u)
                        if matches!(u.scheme(), "http" | "https")
                            && !crate::domain::has_userinfo(url, &u) => {}
                    _ => problems.push(format!(
                        "platforms.{platform}.{list}: `{url}` is not an http(s) URL without a user name or password"
                    )),
                }
            }
        }
    }
}
