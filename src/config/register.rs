//! The page register: member sign-in links, member sessions, declaration requests.

use serde::Deserialize;

use super::web::{FailureBudget, Rate};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSettings {
    /// How long a sign-in link the member asked for stays valid.
    #[serde(with = "humantime_serde")]
    pub link_ttl: std::time::Duration,
    /// How long the link sent with a declaration request stays valid at most (it never
    /// outlives the request's deadline).
    #[serde(with = "humantime_serde")]
    pub request_link_ttl: std::time::Duration,
    /// A member's session ends after this long without use.
    #[serde(with = "humantime_serde")]
    pub session_ttl: std::time::Duration,
    /// A declaration not confirmed for this long is stale.
    #[serde(with = "humantime_serde")]
    pub stale_after: std::time::Duration,
    /// A request's one reminder goes this long before its deadline.
    #[serde(with = "humantime_serde")]
    pub reminder_before: std::time::Duration,
    /// Sign-in links asked for from one client address.
    pub sign_in_per_address: Rate,
    /// Sign-in links sent to one email address.
    pub sign_in_per_email: FailureBudget,
    /// Pages per page of the desk's register.
    pub page_size: u64,
}

pub(super) fn problems(register: &RegisterSettings, problems: &mut Vec<String>) {
    let at_least =
        |name: &str, value: std::time::Duration, min: u64, problems: &mut Vec<String>| {
            if value.as_secs() < min {
                problems.push(format!(
                    "register.{name}: must be at least {}",
                    humantime::format_duration(std::time::Duration::from_secs(min))
                ));
            }
        };
    at_least("link_ttl", register.link_ttl, 60, problems);
    at_least(
        "request_link_ttl",
        register.request_link_ttl,
        3600,
        problems,
    );
    at_least("session_ttl", register.session_ttl, 60, problems);
    at_least("stale_after", register.stale_after, 86_400, problems);
    at_least("reminder_before", register.reminder_before, 3600, problems);
    if register.link_ttl.as_secs() > 86_400 {
        problems.push("register.link_ttl: must be at most 1 day".to_owned());
    }
    let rate = register.sign_in_per_address;
    if rate.per_minute == 0 || rate.burst == 0 {
        problems.push(
            "register.sign_in_per_address: per_minute and burst must be at least 1".to_owned(),
        );
    }
    if register.sign_in_per_email.max == 0 {
        problems.push("register.sign_in_per_email: max must be at least 1".to_owned());
    }
    if !(10..=500).contains(&register.page_size) {
        problems.push("register.page_size: must be between 10 and 500".to_owned());
    }
}
