//! What an incident's timeline records: one name per kind of entry, stored as text.

use super::{TicketStatus, incident::dotted_enum};

dotted_enum!(
    /// The kind of a timeline entry.
    TimelineEvent {
        /// The incident was filed.
        IncidentReported => "incident.reported",
        /// A party was given a ticket: by routing, by an officer, or by escalation.
        TicketOpened => "ticket.opened",
        /// The first message reached the party.
        TicketNotified => "ticket.notified",
        /// Every channel of the party gave up.
        TicketFailed => "ticket.failed",
        /// The party acknowledged its ticket.
        TicketAcknowledged => "ticket.acknowledged",
        /// The party resolved its ticket.
        TicketResolved => "ticket.resolved",
        /// The party rejected its ticket.
        TicketRejected => "ticket.rejected",
        /// The incident went to the parent committee.
        TicketEscalated => "ticket.escalated",
        /// Failed deliveries of a ticket were queued again.
        TicketRedeliveryRequested => "ticket.redelivery_requested",
        /// The party was reminded of its deadline.
        TicketReminderSent => "ticket.reminder_sent",
        /// An officer sent the party a test notification.
        TicketTestSent => "ticket.test_sent",
        /// A webhook endpoint answered 410 and is no longer sent to.
        WebhookEndpointDisabled => "webhook.endpoint_disabled",
        /// The page's containment changed.
        ContainmentChanged => "containment.changed",
        /// The incident's status changed.
        StatusChanged => "status.changed",
        /// Another incident was rejected as a duplicate of this one.
        DuplicateLinked => "duplicate.linked",
        /// An officer wrote a note.
        NoteAdded => "note.added",
        /// The member added information from the tracking page.
        MemberInfoAdded => "member.info_added",
        /// The platform's own case number was recorded.
        PlatformCaseRecorded => "platform_case.recorded",
        /// The member's tracking link was revoked.
        TrackingRevoked => "tracking.revoked",
        /// The incident's personal data was purged.
        PersonalDataPurged => "personal_data_purged",
    }
);

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

    #[test]
    fn every_name_reads_back_as_its_kind() {
        for kind in TimelineEvent::ALL {
            assert_eq!(kind.as_str().parse::<TimelineEvent>(), Ok(*kind));
            assert!(!kind.meaning().is_empty(), "{kind} is documented");
        }
        assert!("ticket.pending".parse::<TimelineEvent>().is_err());
    }
}
