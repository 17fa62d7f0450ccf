//! Mail that comes in: the reply mailbox, the trust policy, size limits, each provider's
//! case-number pattern, and the IMAP mailbox polled for hosted mail.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::correspondence::ReplyMailbox;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundSettings {
    /// Refuse (keep in the unmatched queue) mail whose `Authentication-Results` lacks
    /// `dmarc=pass`, unless it came by its ticket's own reply address.
    #[serde(default)]
    pub require_dmarc_pass: bool,
    /// Largest raw message taken, in bytes.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// A party's own case number in its replies, by party id: a regular expression whose
    /// first group (or whole match) fills the ticket's `external_ref` when it has none.
    #[serde(default)]
    pub case_patterns: BTreeMap<String, String>,
    /// A hosted mailbox polled over IMAP; absent, nothing is polled.
    #[serde(default)]
    pub imap: Option<ImapSettings>,
}

/// A mailbox polled over IMAP: each message is handed to the inbound pipeline and moved out
/// of `folder` only once it is stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    /// Poll from this process; `false` leaves the mailbox to another instance.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `imaps://host:993` (TLS), or `imap://host:143` in plain text, to a loopback host only.
    pub url: String,
    pub user: String,
    pub password: SecretString,
    /// The folder mail arrives in.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Where a message goes once it is stored (created when missing).
    #[serde(default = "default_processed_folder")]
    pub processed_folder: String,
    /// Where a message the pipeline refuses for good goes: not a message, no sender, too
    /// large (created when missing).
    #[serde(default = "default_failed_folder")]
    pub failed_folder: String,
    /// Time between polls; with IDLE, the longest wait when no mail comes.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// Wait with IDLE when the server has it, so new mail is taken at once.
    #[serde(default = "yes")]
    pub idle: bool,
    /// Time limit of one connection attempt or one IMAP command.
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// PEM file of certificates to trust besides the public roots (a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

fn default_folder() -> String {
    "INBOX".to_owned()
}

fn default_processed_folder() -> String {
    "Processed".to_owned()
}

fn default_failed_folder() -> String {
    "Failed".to_owned()
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_timeout() -> Duration {
    Duration::from_secs(60)
}

/// How the IMAP server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// `imaps://`: TLS from the first byte.
    Tls,
    /// `imap://`: plain text, to a loopback host.
    Plain,
}

/// The parts of `email.inbound.imap.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapServer {
    pub security: ImapSecurity,
    pub host: String,
    pub port: u16,
}

impl ImapSettings {
    /// The server named by `url`; checked at start.
    pub fn server(&self) -> Result<ImapServer, String> {
        let url = url::Url::parse(&self.url).map_err(|e| format!("not a URL: {e}"))?;
        let (security, default_port) = match url.scheme() {
            "imaps" => (ImapSecurity::Tls, 993),
            "imap" => (ImapSecurity::Plain, 143),
            _ => return Err("must start with imaps:// or imap://".to_owned()),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user or password; set `user` and `password`".to_owned());
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(
                "must name only a host and a port; set the folder with `folder`".to_owned(),
            );
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err("must name a host".to_owned()),
        };
        if security == ImapSecurity::Plain && !is_loopback(&host) {
            return Err(
                "imap:// sends the password in plain text: use imaps://, or a loopback host"
                    .to_owned(),
            );
        }
        Ok(ImapServer {
            security,
            host,
            port: url.port().unwrap_or(default_port),
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            require_dmarc_pass: false,
            max_message_bytes: default_max_message_bytes(),
            case_patterns: BTreeMap::new(),
            imap: None,
        }
    }
}

fn default_max_message_bytes() -> usize {
    25 * 1024 * 1024
}

impl InboundSettings {
    /// The compiled case-number pattern of a party; patterns are checked at start.
    pub fn case_pattern(&self, party: &str) -> Option<regex::Regex> {
        regex::Regex::new(self.case_patterns.get(party)?).ok()
    }
}

pub(super) fn problems(
    reply_address: Option<&str>,
    inbound: &InboundSettings,
    problems: &mut Vec<String>,
) {
    if let Some(address) = reply_address
        && let Err(problem) = ReplyMailbox::parse(address)
    {
        problems.push(format!("email.reply_address: {problem}"));
    }
    if inbound.max_message_bytes < 1024 {
        problems.push("email.inbound.max_message_bytes: must be at least 1024".to_owned());
    }
    for (party, pattern) in &inbound.case_patterns {
        if let Err(error) = regex::Regex::new(pattern) {
            problems.push(format!(
                "email.inbound.case_patterns.{party}: not a regular expression: {error}"
            ));
        }
    }
    if let Some(imap) = &inbound.imap {
        imap_problems(imap, problems);
    }
}

fn imap_problems(imap: &ImapSettings, problems: &mut Vec<String>) {
    let key = "email.inbound.imap";
    if let Err(problem) = imap.server() {
        problems.push(format!("{key}.url: {problem}"));
    }
    if imap.user.trim().is_empty() {
        problems.push(format!("{key}.user: must not be empty"));
    }
    if imap.password.expose_secret().is_empty() {
        problems.push(format!("{key}.password: must not be empty"));
    }
    let folders = [
        ("folder", &imap.folder),
        ("processed_folder", &imap.processed_folder),
        ("failed_folder", &imap.failed_folder),
    ];
    for (name, folder) in folders {
        if folder.trim().is_empty() {
            problems.push(format!("{key}.{name}: must not be empty"));
        } else if folder
            .chars()
            .any(|c| c.is_control() || c == '*' || c == '%')
        {
            problems.push(format!(
                "{key}.{name}: must not hold control characters, `*` or `%`"
            ));
        }
    }
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    if same(&imap.folder, &imap.processed_folder)
        || same(&imap.folder, &imap.failed_folder)
        || same(&imap.processed_folder, &imap.failed_folder)
    {
        problems.push(format!(
            "{key}: folder, processed_folder and failed_folder must be three different folders"
        ));
    }
    if imap.interval < Duration::from_secs(1) {
        problems.push(format!("{key}.interval: must be at least 1s"));
    }
    if imap.timeout < Duration::from_secs(1) {
        problems.push(format!("{key}.timeout: must be at least 1s"));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{ImapSecurity, ImapServer};
    use crate::config::{ConfigError, from_defaults_and};

    fn problems(imap: &str) -> Vec<String> {
        match from_defaults_and(&format!("[email.inbound.imap]\n{imap}\n"), None) {
            Err(ConfigError::Invalid(problems)) => problems,
            Err(other) => panic!("{other}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn no_mailbox_is_polled_by_default_and_a_configured_one_has_defaults() {
        let settings = from_defaults_and("", None).expect("defaults load");
        assert!(settings.email.inbound.imap.is_none());
        let settings = from_defaults_and(
            "[email.inbound.imap]\nurl = \"imaps://imap.example.org\"\nuser = \"cases\"\npassword = \"pw\"\n",
            None,
        )
        .expect("a mailbox with its defaults");
        let imap = settings.email.inbound.imap.expect("the mailbox");
        assert!(imap.enabled && imap.idle);
        assert_eq!(
            (
                imap.folder.as_str(),
                imap.processed_folder.as_str(),
                imap.failed_folder.as_str()
            ),
            ("INBOX", "Processed", "Failed")
        );
        assert_eq!(imap.interval, Duration::from_secs(60));
        assert_eq!(
            imap.server(),
            Ok(ImapServer {
                security: ImapSecurity::Tls,
                host: "imap.example.org".to_owned(),
                port: 993,
            })
        );
        assert!(
            !format!("{imap:?}").contains("pw\""),
            "the password stays out of Debug"
        );
    }

    #[test]
    fn plain_text_is_for_loopback_only_and_each_key_is_checked() {
        let ok = "user = \"cases\"\npassword = \"pw\"\n";
        assert!(problems(&format!("url = \"imap://127.0.0.1:1143\"\n{ok}")).is_empty());
        assert!(problems(&format!("url = \"imap://localhost\"\n{ok}")).is_empty());
        assert!(problems(&format!("url = \"imap://[::1]:143\"\n{ok}")).is_empty());
        for (url, want) in [
            ("imap://imap.example.org", "plain text"),
            (
                "https://imap.example.org",
                "must start with imaps:// or imap://",
            ),
            (
                "imaps://me:pw@imap.example.org",
                "must not hold a user or password",
            ),
            (
                "imaps://imap.example.org/INBOX",
                "must name only a host and a port",
            ),
            ("imaps://", "must name a host"),
        ] {
            let found = problems(&format!("url = \"{url}\"\n{ok}"));
            assert!(
                found
                    .iter()
                    .any(|p| p.starts_with("email.inbound.imap.url: ") && p.contains(want)),
                "{url}: {found:?}"
            );
        }
        let found = problems(
            "url = \"imaps://imap.example.org\"\nuser = \" \"\npassword = \"\"\nfolder = \"INBOX\"\nprocessed_folder = \"inbox\"\nfailed_folder = \"Cases/*\"\ninterval = \"0s\"\ntimeout = \"0s\"",
        );
        for want in [
            "email.inbound.imap.user: must not be empty",
            "email.inbound.imap.password: must not be empty",
            "email.inbound.imap.failed_folder: must not hold control characters, `*` or `%`",
            "email.inbound.imap: folder, processed_folder and failed_folder must be three different folders",
            "email.inbound.imap.interval: must be at least 1s",
            "email.inbound.imap.timeout: must be at least 1s",
        ] {
            assert!(found.iter().any(|p| p == want), "{want}: {found:?}");
        }
    }
}
