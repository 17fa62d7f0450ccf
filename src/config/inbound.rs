//! Mail that comes in: the reply mailbox, the trust policy, size limits, and each
//! provider's case-number pattern.

use std::collections::BTreeMap;

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
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            require_dmarc_pass: false,
            max_message_bytes: default_max_message_bytes(),
            case_patterns: BTreeMap::new(),
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
}
