//! Correspondence: the messages of a ticket in both directions, the mail that comes in and
//! how it finds its ticket, and the reply address every outgoing email carries.

mod mail;
mod quote;
mod reply;

pub use mail::{Dsn, InboundMail, MailAttachment, MailError, parse_mail};
pub use quote::fold_quoted;
pub use reply::{ReplyKey, ReplyMailbox, ReplyTo, ReplyTokenError};

/// Names of a closed set, stored as text: derives shared by every enum of this module.
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
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
        pub enum $name { $($(#[$vmeta])* $variant),+ }
    };
}

vocabulary! {
    /// Which way a message went.
    pub enum Direction {
        /// From a party or the member to the desk.
        Inbound,
        /// From the desk to a party or the member.
        Outbound,
    }
}

vocabulary! {
    /// Who wrote a message.
    pub enum Author {
        Party,
        Member,
        Officer,
    }
}

vocabulary! {
    /// How a message travelled.
    pub enum MessageChannel {
        Email,
        Api,
        Desk,
    }
}

vocabulary! {
    /// What kind of mail came in.
    pub enum MailKind {
        /// Written by a person.
        Reply,
        /// An out-of-office or other automatic answer: recorded, never answered.
        AutoReply,
        /// A delivery status notification saying the mail will never arrive.
        HardBounce,
        /// A delivery status notification saying the mail is delayed.
        SoftBounce,
    }
}

impl MailKind {
    pub fn is_bounce(self) -> bool {
        matches!(self, Self::HardBounce | Self::SoftBounce)
    }
}

vocabulary! {
    /// How a mail reached the service.
    pub enum InboundVia {
        /// `POST /api/v1/inbound/email`.
        Http,
        /// `incident-desk mailgate`, from a mail server's pipe.
        Mailgate,
        /// Polled from an IMAP mailbox.
        Imap,
    }
}

vocabulary! {
    /// Where an inbound mail stands.
    pub enum InboundStatus {
        /// It is on a ticket or an incident.
        Attached,
        /// No ticket could be trusted with it; an officer decides.
        Unmatched,
        /// An officer threw it away.
        Discarded,
    }
}

impl InboundStatus {
    pub fn transition(self, to: Self) -> Result<Self, super::TransitionError> {
        super::StateMachine::transition(self, to)
    }
}

impl super::StateMachine for InboundStatus {
    const NAME: &'static str = "inbound mail";

    fn allowed_next(self) -> &'static [Self] {
        use InboundStatus::*;
        match self {
            Unmatched => &[Attached, Discarded],
            Attached | Discarded => &[],
        }
    }
}

vocabulary! {
    /// What tied an inbound mail to its ticket.
    pub enum MatchRule {
        /// The signed token of the plus-address it was sent to.
        Token,
        /// `In-Reply-To` or `References` naming one of our messages.
        Thread,
        /// The incident's reference in the subject, from a known address of a party.
        SubjectTag,
        /// An officer attached it by hand.
        Officer,
    }
}

vocabulary! {
    /// Why an inbound mail is in the unmatched queue.
    pub enum UnmatchedReason {
        /// Nothing in it points at a ticket.
        NoMatch,
        /// It was sent to a plus-address whose token we never issued.
        ForgedToken,
        /// Its subject names an incident, but it does not come from a known address of any
        /// of the incident's parties.
        UnknownSender,
        /// Policy asks for `dmarc=pass` and its `Authentication-Results` does not say so.
        DmarcNotPass,
        /// A delivery report about a message we cannot find.
        UnknownBounce,
        /// The incident's personal data was purged.
        Purged,
    }
}

impl UnmatchedReason {
    /// The reason in one sentence, for the officer who decides.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::NoMatch => "nothing in the mail points at a ticket",
            Self::ForgedToken => "sent to a reply address that this service never issued",
            Self::UnknownSender => {
                "the subject names an incident, but the sender is not a known address of its parties"
            }
            Self::DmarcNotPass => "policy requires dmarc=pass and the mail does not have it",
            Self::UnknownBounce => "a delivery report about a message this service did not send",
            Self::Purged => "the incident's personal data was purged",
        }
    }
}

vocabulary! {
    /// What the member is told by email after the confirmation.
    pub enum MemberUpdate {
        /// The incident's status changed.
        StatusChanged,
        /// An officer added a note shared with the member.
        SharedNote,
        /// A party acknowledged its ticket.
        PartyAcknowledged,
        /// A party resolved its ticket.
        PartyResolved,
        /// An officer wrote to the member.
        OfficerMessage,
    }
}

vocabulary! {
    /// Whose move it is on a ticket's conversation.
    pub enum Waiting {
        /// No conversation yet, or nothing outstanding.
        Nobody,
        /// An officer wrote to the party and waits for the answer.
        OnParty,
        /// The party wrote and nobody has answered yet.
        OnUs,
        /// An officer asked the member; the party's acknowledgement clock is paused.
        OnMember,
    }
}

/// What the authentication results of a mail say about DMARC, from the
/// `Authentication-Results` header added by the receiving mail server.
pub fn dmarc_verdict(auth_results: &str) -> Option<String> {
    auth_results
        .split(';')
        .map(str::trim)
        .find_map(|clause| {
            let lower = clause.to_ascii_lowercase();
            let rest = lower.strip_prefix("dmarc=")?;
            Some(
                rest.split(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .filter(|v| !v.is_empty())
}

/// The party's own case number in a mail, by the provider's pattern: the first capture group
/// when the pattern has one, or else the whole match.
pub fn case_number(pattern: &regex::Regex, subject: &str, text: &str) -> Option<String> {
    [subject, text].into_iter().find_map(|haystack| {
        let found = pattern.captures(haystack)?;
        let hit = found.get(1).or_else(|| found.get(0))?;
        let value: String = hit.as_str().trim().chars().take(100).collect();
        (!value.is_empty()).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmarc_is_read_from_authentication_results() {
        let header = "mx.example.org; dkim=pass header.d=meta.com; spf=pass smtp.mailfrom=meta.com; \
                      dmarc=pass (p=REJECT) header.from=meta.com";
        assert_eq!(dmarc_verdict(header).as_deref(), Some("pass"));
        assert_eq!(
            dmarc_verdict("mx; DMARC=fail header.from=x").as_deref(),
            Some("fail")
        );
        assert_eq!(dmarc_verdict("mx; spf=pass"), None);
    }

    #[test]
    fn a_case_number_comes_from_the_pattern() {
        let meta = regex::Regex::new(r"Case #\d+").expect("pattern");
        assert_eq!(
            case_number(&meta, "Re: your report", "Your Case #88123 is open").as_deref(),
            Some("Case #88123")
        );
        let group = regex::Regex::new(r"Case #(\d+)").expect("pattern");
        assert_eq!(
            case_number(&group, "Case #42 update", "").as_deref(),
            Some("42")
        );
        assert_eq!(case_number(&group, "hello", "nothing"), None);
    }

    #[test]
    fn unmatched_mail_can_be_attached_or_discarded_once() {
        use InboundStatus::*;
        assert_eq!(Unmatched.transition(Attached), Ok(Attached));
        assert!(Attached.transition(Discarded).is_err());
        assert!(Discarded.transition(Attached).is_err());
    }
}
