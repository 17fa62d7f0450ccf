//! Deliveries: the channel a notification goes by, its state in the outbox, and what one
//! send attempt came to, whatever the channel.

use std::{collections::HashMap, time::Duration};

use super::webhook::EventType;

/// How a notification reaches its party.
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
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = String,
    parse_err_fn = super::not_one_of::<Self>
)]
pub enum Channel {
    Email,
    Webhook,
}

/// What a delivery waits on to be sent: its webhook endpoint (its URL), or for email the
/// one mail server all email goes through.
pub fn send_slot(channel: Channel, target: &str) -> &str {
    match channel {
        Channel::Email => "smtp",
        Channel::Webhook => target,
    }
}

/// How many more claimed deliveries each destination may take right now: what a claim may
/// take of each.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    /// Free slots of the destinations that have sent lately, by [`send_slot`].
    pub free: HashMap<String, usize>,
    /// Free slots of a destination not in `free`.
    pub fresh: usize,
}

impl Slots {
    /// The destinations with no free slot.
    pub fn full(&self) -> Vec<String> {
        self.free
            .iter()
            .filter(|(_, free)| **free == 0)
            .map(|(slot, _)| slot.clone())
            .collect()
    }

    /// Takes one slot of `slot`'s destination, if it has one free.
    pub fn take(&mut self, slot: &str) -> bool {
        let fresh = self.fresh;
        let free = self.free.entry(slot.to_owned()).or_insert(fresh);
        if *free == 0 {
            return false;
        }
        *free -= 1;
        true
    }
}

/// How many more new deliveries the running dispatcher may take straight from the
/// transaction that writes them, while `handed` it took so are still sending, of its
/// `concurrency` slots (a free slot is still needed for each). While deliveries wait in the
/// queue, those it took so hold at most half of the slots: the others are the queue's,
/// which claims fill oldest first, so a queue that new reports keep refilling still drains.
/// With nothing waiting, it may take as many as are free.
pub fn hand_over_room(handed: usize, concurrency: usize, queue_waits: bool) -> usize {
    if queue_waits {
        (concurrency / 2).saturating_sub(handed)
    } else {
        usize::MAX
    }
}

/// Where a delivery stands in the outbox.
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
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = String,
    parse_err_fn = super::not_one_of::<Self>
)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// Given up: refused for good, out of attempts, or its endpoint gone.
    Failed,
}

impl DeliveryStatus {
    /// No attempt will be made any more.
    pub fn is_finished(self) -> bool {
        self != DeliveryStatus::Pending
    }
}

/// What one recorded attempt led to.
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
#[strum(
    serialize_all = "snake_case",
    parse_err_ty = String,
    parse_err_fn = super::not_one_of::<Self>
)]
pub enum AttemptOutcome {
    Delivered,
    Retry,
    Failed,
}

/// What a delivery carries: one of the webhook contract's events, or the member's
/// confirmation email, which rides in the outbox beside the parties' events but is never
/// sent to a webhook. Stored as the event's name, or `reporter.confirmation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    Event(EventType),
    ReporterConfirmation,
    /// News of the incident for the member: a status change, a shared note, a party's
    /// answer, an officer's message.
    MemberUpdate,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Event(event) => event.into(),
            Notice::ReporterConfirmation => "reporter.confirmation",
            Notice::MemberUpdate => "member.update",
        }
    }

    /// Mail to the member: it rides on the committee's ticket but never moves it. The
    /// migration that fills `first_deliveries` names these notices too.
    pub fn is_to_member(self) -> bool {
        matches!(self, Notice::ReporterConfirmation | Notice::MemberUpdate)
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Notice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == Notice::ReporterConfirmation.as_str() {
            Ok(Notice::ReporterConfirmation)
        } else if s == Notice::MemberUpdate.as_str() {
            Ok(Notice::MemberUpdate)
        } else {
            s.parse().map(Notice::Event)
        }
    }
}

impl serde::Serialize for Notice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

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
    /// The network guard refused the target (an address in a private or reserved network):
    /// a configuration error, so the delivery fails at once, with the reason.
    Refused {
        reason: String,
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

#[cfg(test)]
mod tests {
    use super::hand_over_room;

    #[test]
    fn with_nothing_queued_new_deliveries_may_take_every_free_slot() {
        assert_eq!(hand_over_room(0, 64, false), usize::MAX);
        assert_eq!(hand_over_room(64, 64, false), usize::MAX);
    }

    #[test]
    fn while_the_queue_waits_new_deliveries_hold_at_most_half_of_the_slots() {
        assert_eq!(hand_over_room(0, 64, true), 32);
        assert_eq!(hand_over_room(20, 64, true), 12);
        assert_eq!(hand_over_room(32, 64, true), 0);
        // Taken while nothing waited, they may hold more than half: none more until they are sent.
        assert_eq!(hand_over_room(50, 64, true), 0);
        assert_eq!(hand_over_room(0, 3, true), 1);
        // One slot: it is the queue's.
        assert_eq!(hand_over_room(0, 1, true), 0);
    }
}
