//! What an incident's timeline records: one name per kind of entry, stored as text.

use super::TicketStatus;

/// The kind of a timeline entry.
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
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
    strum::EnumMessage,
)]
#[strum(parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum TimelineEvent {
    /// The incident was filed.
    #[strum(serialize = "incident.reported")]
    #[serde(rename = "incident.reported")]
    IncidentReported,
    /// A party was given a ticket: by routing, by an officer, or by escalation.
    #[strum(serialize = "ticket.opened")]
    #[serde(rename = "ticket.opened")]
    TicketOpened,
    /// The first message reached the party.
    #[strum(serialize = "ticket.notified")]
    #[serde(rename = "ticket.notified")]
    TicketNotified,
    /// Every channel of the party gave up.
    #[strum(serialize = "ticket.failed")]
    #[serde(rename = "ticket.failed")]
    TicketFailed,
    /// The party acknowledged its ticket.
    #[strum(serialize = "ticket.acknowledged")]
    #[serde(rename = "ticket.acknowledged")]
    TicketAcknowledged,
    /// The party resolved its ticket.
    #[strum(serialize = "ticket.resolved")]
    #[serde(rename = "ticket.resolved")]
    TicketResolved,
    /// The party rejected its ticket.
    #[strum(serialize = "ticket.rejected")]
    #[serde(rename = "ticket.rejected")]
    TicketRejected,
    /// The incident went to the parent committee.
    #[strum(serialize = "ticket.escalated")]
    #[serde(rename = "ticket.escalated")]
    TicketEscalated,
    /// Failed deliveries of a ticket were queued again.
    #[strum(serialize = "ticket.redelivery_requested")]
    #[serde(rename = "ticket.redelivery_requested")]
    TicketRedeliveryRequested,
    /// The party was reminded of its deadline.
    #[strum(serialize = "ticket.reminder_sent")]
    #[serde(rename = "ticket.reminder_sent")]
    TicketReminderSent,
    /// An officer sent the party a test notification.
    #[strum(serialize = "ticket.test_sent")]
    #[serde(rename = "ticket.test_sent")]
    TicketTestSent,
    /// A webhook endpoint answered 410 and is no longer sent to.
    #[strum(serialize = "webhook.endpoint_disabled")]
    #[serde(rename = "webhook.endpoint_disabled")]
    WebhookEndpointDisabled,
    /// The page's containment changed.
    #[strum(serialize = "containment.changed")]
    #[serde(rename = "containment.changed")]
    ContainmentChanged,
    /// The incident's status changed.
    #[strum(serialize = "status.changed")]
    #[serde(rename = "status.changed")]
    StatusChanged,
    /// Another incident was rejected as a duplicate of this one.
    #[strum(serialize = "duplicate.linked")]
    #[serde(rename = "duplicate.linked")]
    DuplicateLinked,
    /// An officer wrote a note.
    #[strum(serialize = "note.added")]
    #[serde(rename = "note.added")]
    NoteAdded,
    /// The member added information from the tracking page.
    #[strum(serialize = "member.info_added")]
    #[serde(rename = "member.info_added")]
    MemberInfoAdded,
    /// The platform's own case number was recorded.
    #[strum(serialize = "platform_case.recorded")]
    #[serde(rename = "platform_case.recorded")]
    PlatformCaseRecorded,
    /// The member's tracking link was revoked.
    #[strum(serialize = "tracking.revoked")]
    #[serde(rename = "tracking.revoked")]
    TrackingRevoked,
    /// The page register contradicts the report: the page is declared by another member,
    /// or its declaration says it was closed.
    #[strum(serialize = "register.flagged")]
    #[serde(rename = "register.flagged")]
    RegisterFlagged,
    /// A party or the member wrote to the desk (by mail or by API); `kind` says whether a
    /// person wrote it or an auto-reply.
    #[strum(serialize = "message.received")]
    #[serde(rename = "message.received")]
    MessageReceived,
    /// An officer wrote to a party or to the member.
    #[strum(serialize = "message.sent")]
    #[serde(rename = "message.sent")]
    MessageSent,
    /// A mail server reported an email it had taken undeliverable (a hard bounce).
    #[strum(serialize = "mail.bounced")]
    #[serde(rename = "mail.bounced")]
    MailBounced,
    /// A mail server reported an email delayed (a soft bounce); it may still arrive.
    #[strum(serialize = "mail.delayed")]
    #[serde(rename = "mail.delayed")]
    MailDelayed,
    /// The incident's personal data was purged.
    #[strum(serialize = "personal_data_purged")]
    #[serde(rename = "personal_data_purged")]
    PersonalDataPurged,
}

impl TimelineEvent {
    /// The variant's documentation, on one line.
    pub fn meaning(self) -> String {
        strum::EnumMessage::get_documentation(&self)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl TimelineEvent {
    /// The entry a party's answer leaves; `None` when `status` is not an answer.
    pub fn answered(status: TicketStatus) -> Option<Self> {
        match status {
            TicketStatus::Acknowledged => Some(Self::TicketAcknowledged),
            TicketStatus::Resolved => Some(Self::TicketResolved),
            TicketStatus::Rejected => Some(Self::TicketRejected),
            TicketStatus::Pending | TicketStatus::Notified | TicketStatus::Failed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Named;

    #[test]
    fn every_name_reads_back_as_its_kind() {
        for kind in TimelineEvent::ALL {
            assert_eq!(kind.as_str().parse::<TimelineEvent>(), Ok(*kind));
            assert!(!kind.meaning().is_empty(), "{kind} is documented");
        }
        assert!("ticket.pending".parse::<TimelineEvent>().is_err());
    }
}
