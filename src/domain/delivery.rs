//! What one send attempt came to, whatever the channel.

use std::time::Duration;

/// The type of the member's confirmation email; it rides in the outbox beside the parties'
/// events but is never sent to a webhook.
pub const REPORTER_CONFIRMATION: &str = "reporter.confirmation";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Delivered {
        status: Option<u16>,
        reply: String,
    },
    /// Try again later; `at_least` is the shortest wait the answer asked for.
    Retry {
        status: Option<u16>,
        reply: String,
        error: String,
        at_least: Option<Duration>,
    },
    /// Never try again.
    Failed {
        status: Option<u16>,
        reply: String,
        error: String,
    },
    /// The endpoint is gone for good (410): fail and disable it.
    Gone {
        reply: String,
    },
}

/// Keeps at most `max` bytes of a reply, on a character boundary.
pub fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}
