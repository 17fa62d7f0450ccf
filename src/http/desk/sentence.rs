//! Each timeline entry as a sentence in the officer's language: who did what, with parties
//! named and states in words; the free text an entry carries (a note, a case number)
//! goes below it. Never raw data.

use crate::{
    domain::{TimelineEvent, directory::Directory, i18n, i18n::Tr},
    usecases::{EventRow, TicketRow},
};

/// The party an entry is about, by name in the officer's language; empty when none.
pub fn party_of(tr: Tr, dir: &Directory, tickets: &[TicketRow], e: &EventRow) -> String {
    e.ticket_id
        .and_then(|id| tickets.iter().find(|t| t.id == id))
        .map(|t| t.party_id.clone())
        .or_else(|| {
            e.data["party"]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        })
        .map(|id| dir.name_of(&id, tr.0))
        .unwrap_or_default()
}

/// The service's tickets opened, or parties notified, at one moment, as one sentence:
/// "Đã mở phiếu cho A, B và C".
pub fn said_of_many(tr: Tr, kind: TimelineEvent, parties: &[String]) -> String {
    let (one, many) = match kind {
        TimelineEvent::TicketOpened => ("desk-said-ticket-opened", "desk-said-tickets-opened"),
        TimelineEvent::TicketNotified => {
            ("desk-said-ticket-notified", "desk-said-tickets-notified")
        }
        other => unreachable!("only opened and notified tickets fold, not {other:?}"),
    };
    match parties {
        [party] => i18n::text_with(tr.0, one, &[("party", party)]),
        _ => i18n::text_with(tr.0, many, &[("parties", &i18n::joined(tr.0, parties))]),
    }
}

/// The sentence of an entry, and what it carries (empty when nothing): notes, case
/// numbers, the time the page was stopped and what the member did, file names. `when`
/// writes an RFC 3339 time in the officer's words.
pub fn said(
    tr: Tr,
    dir: &Directory,
    tickets: &[TicketRow],
    e: &EventRow,
    when: &dyn Fn(&str) -> String,
) -> (String, String) {
    let data = |key: &str| {
        e.data[key]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let party = party_of(tr, dir, tickets, e);
    let containment = |key: &str| {
        data(key)
            .map(|s| tr.t(&format!("desk-containment-{s}")))
            .unwrap_or_default()
    };
    let status = |key: &str| data(key).map(|s| tr.w("status", s)).unwrap_or_default();
    let say = |key: &str, args: &[(&'static str, &str)]| i18n::text_with(tr.0, key, args);
    let with_party = |key: &str| say(key, &[("party", &party)]);
    let note = data("note").unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        e.data[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    // When the page was stopped, what the member did, and their note, in one line.
    let stopping = |at: &str, actions: &str, note: &str| {
        let done: Vec<String> = list(actions)
            .iter()
            .map(|a| tr.t(&format!("form-action-{a}")))
            .collect();
        data(at)
            .map(|t| tr.t1("desk-said-stopped-at", "time", &when(&t)))
            .into_iter()
            .chain((!done.is_empty()).then(|| i18n::joined(tr.0, &done)))
            .chain(data(note))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    // A message without a party is the member's.
    let of_message = |key: &str| {
        if party.is_empty() {
            say(&format!("{key}-member"), &[])
        } else {
            with_party(key)
        }
    };
    match e.event_type {
        TimelineEvent::IncidentReported => (
            say("desk-said-reported", &[]),
            data("containment")
                .map(|c| tr.t(&format!("desk-containment-{c}")))
                .into_iter()
                .chain(Some(stopping(
                    "contained_at",
                    "containment_actions",
                    "containment_note",
                )))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        TimelineEvent::TicketOpened => (with_party("desk-said-ticket-opened"), String::new()),
        TimelineEvent::TicketNotified => (with_party("desk-said-ticket-notified"), String::new()),
        TimelineEvent::TicketFailed => (with_party("desk-said-ticket-failed"), String::new()),
        TimelineEvent::TicketAcknowledged => (
            with_party("desk-said-ticket-acknowledged"),
            data("external_ref")
                .map(|r| tr.t1("parties-case", "case", &r))
                .into_iter()
                .chain((!note.is_empty()).then(|| note.clone()))
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        TimelineEvent::TicketResolved => (with_party("desk-said-ticket-resolved"), note),
        TimelineEvent::TicketRejected => (with_party("desk-said-ticket-rejected"), note),
        TimelineEvent::TicketEscalated => (with_party("desk-said-ticket-escalated"), String::new()),
        TimelineEvent::TicketRedeliveryRequested => {
            (with_party("desk-said-ticket-resend"), String::new())
        }
        TimelineEvent::TicketReminderSent => {
            (with_party("desk-said-ticket-reminded"), String::new())
        }
        TimelineEvent::TicketTestSent => (with_party("desk-said-ticket-test"), String::new()),
        TimelineEvent::WebhookEndpointDisabled => (
            with_party("desk-said-endpoint-disabled"),
            [data("url"), data("reason")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        TimelineEvent::ContainmentChanged => (
            say(
                "desk-said-containment",
                &[("from", &containment("from")), ("to", &containment("to"))],
            ),
            stopping("at", "actions", "note"),
        ),
        TimelineEvent::StatusChanged => {
            let reason = data("reason")
                .map(|r| tr.t(&format!("desk-reason-{r}")))
                .into_iter()
                .chain(
                    data("duplicate_of").map(|d| tr.t1("desk-said-duplicate-of", "reference", &d)),
                )
                .chain((!note.is_empty()).then_some(note))
                .collect::<Vec<_>>()
                .join(" · ");
            (
                say(
                    "desk-said-status",
                    &[("from", &status("from")), ("to", &status("to"))],
                ),
                reason,
            )
        }
        TimelineEvent::DuplicateLinked => (
            say(
                "desk-said-duplicate",
                &[("reference", &data("duplicate").unwrap_or_default())],
            ),
            String::new(),
        ),
        TimelineEvent::NoteAdded => (
            if data("visibility").as_deref() == Some("shared") {
                say("desk-said-note-shared", &[])
            } else {
                say("desk-said-note-internal", &[])
            },
            data("text").unwrap_or_default(),
        ),
        TimelineEvent::MemberInfoAdded => (
            say("desk-said-member-info", &[]),
            data("text").unwrap_or_default(),
        ),
        TimelineEvent::PlatformCaseRecorded => (
            say(
                "desk-said-platform-case",
                &[("case", &data("case_ref").unwrap_or_default())],
            ),
            String::new(),
        ),
        TimelineEvent::TrackingRevoked => (say("desk-said-tracking-revoked", &[]), String::new()),
        TimelineEvent::RegisterFlagged => (
            say("desk-said-register-flagged", &[]),
            data("flag")
                .map(|f| tr.t(&format!("desk-register-flag-{f}")))
                .unwrap_or_default(),
        ),
        TimelineEvent::MessageReceived => (of_message("desk-said-message-received"), String::new()),
        TimelineEvent::MessageSent => (of_message("desk-said-message-sent"), String::new()),
        TimelineEvent::MailBounced => (of_message("desk-said-mail-bounced"), String::new()),
        TimelineEvent::MailDelayed => (of_message("desk-said-mail-delayed"), String::new()),
        TimelineEvent::PersonalDataPurged => (say("desk-said-purged", &[]), String::new()),
    }
}

/// What the officer should do next on the incident, first things first: a party that
/// could not be told, a party's unread message, a page still not stopped, a deadline
/// passed, then the incident's own next state.
pub fn next_action(
    tr: Tr,
    dir: &Directory,
    incident: &crate::usecases::IncidentRow,
    tickets: &[TicketRow],
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    use crate::domain::{ContainmentState, IncidentStatus, TicketStatus};
    let name = |t: &TicketRow| dir.name_of(&t.party_id, tr.0);
    let with_party = |key: &str, t: &TicketRow| tr.t1(key, "party", &name(t));
    if IncidentStatus::FINISHED.contains(&incident.status) {
        return tr.t1(
            "desk-next-finished",
            "status",
            &tr.w("status", incident.status),
        );
    }
    if let Some(t) = tickets.iter().find(|t| t.status == TicketStatus::Failed) {
        return with_party("desk-next-failed", t);
    }
    if let Some(t) = tickets.iter().find(|t| t.unread > 0) {
        return with_party("desk-next-unread", t);
    }
    if incident.containment == ContainmentState::Active {
        return tr.t("desk-next-stop");
    }
    let overdue =
        |t: &&TicketRow| t.status.is_open() && t.deadline_at < now && t.paused_at.is_none();
    if let Some(t) = tickets.iter().find(overdue) {
        return with_party("desk-next-overdue", t);
    }
    if tickets.is_empty() {
        return tr.t("desk-next-nobody");
    }
    let settled = tickets
        .iter()
        .filter(|t| matches!(t.status, TicketStatus::Resolved | TicketStatus::Rejected))
        .count();
    match incident.status {
        IncidentStatus::Open => tr.t("desk-next-open"),
        IncidentStatus::InProgress if settled == tickets.len() => tr.t("desk-next-resolve"),
        IncidentStatus::Resolved => tr.t("desk-next-close"),
        _ => i18n::text_with(
            tr.0,
            "desk-next-wait",
            &[
                ("done", &settled.to_string()),
                ("count", &tickets.len().to_string()),
            ],
        ),
    }
}
