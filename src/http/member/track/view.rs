//! The incident, its parties and its timeline as the member reads them.

use chrono::{DateTime, Utc};

use super::local;
use crate::domain::directory::{Directory, NamedContact};
use crate::{
    config::Settings,
    domain::i18n::{self, Tr},
    domain::{Locale, TimelineEvent},
    usecases::{EventRow, IncidentRow, TicketRow},
};

pub struct IncidentFacts {
    pub reference: String,
    pub kind: String,
    pub status: String,
    pub containment: String,
    pub contained_at: Option<String>,
    pub platform: String,
    pub page: String,
    pub reported_at: String,
    pub platform_case_ref: Option<String>,
    /// The reference of the report this one was merged into.
    pub duplicate_of: Option<String>,
}

impl IncidentFacts {
    pub fn new(settings: &Settings, locale: Locale, incident: &IncidentRow) -> Self {
        let tr = Tr(locale);
        Self {
            reference: incident.reference.clone(),
            kind: tr.t(&format!("form-kind-{}", incident.kind)),
            status: tr.w("status", incident.status),
            containment: tr.t(&format!("track-state-{}", incident.containment)),
            contained_at: incident.contained_at.map(|t| local(settings, locale, t)),
            platform: tr.w("platform", incident.page_platform),
            page: incident
                .page_url
                .clone()
                .or_else(|| incident.page_handle.clone())
                .unwrap_or_default(),
            reported_at: local(settings, locale, incident.created_at),
            platform_case_ref: incident.platform_case_ref.clone(),
            duplicate_of: None,
        }
    }
}

pub struct PartyLine {
    pub name: String,
    pub role: String,
    pub state: String,
    pub state_class: String,
    pub external_ref: Option<String>,
    pub deadline: String,
    pub overdue: bool,
    /// The person the member may call or write to at this party.
    pub contact: Option<NamedContact>,
}

fn party_name(dir: &Directory, locale: Locale, id: &str) -> String {
    dir.name_of(id, locale)
}

/// What a member of `committee` reads about who was notified, from the incident's tickets.
pub fn notified(
    dir: &Directory,
    locale: Locale,
    committee: &str,
    tickets: &[TicketRow],
) -> Vec<String> {
    crate::domain::routing::told_to_member(
        dir,
        locale,
        committee,
        tickets.iter().map(|t| (t.party_id.as_str(), t.role)),
    )
}

impl PartyLine {
    pub fn all(
        settings: &Settings,
        dir: &Directory,
        locale: Locale,
        tickets: &[TicketRow],
        now: DateTime<Utc>,
    ) -> Vec<Self> {
        let tr = Tr(locale);
        tickets
            .iter()
            .map(|t| {
                let open = t.status.is_open();
                let overdue = open && t.deadline_at < now && t.paused_at.is_none();
                PartyLine {
                    name: party_name(dir, locale, &t.party_id),
                    role: tr.t(&format!("role-{}", t.role)),
                    state: tr.t(&format!("ticket-{}", t.status)),
                    state_class: if overdue {
                        "state-overdue".to_owned()
                    } else {
                        format!("state-{}", t.status)
                    },
                    external_ref: t.external_ref.clone(),
                    deadline: local(settings, locale, t.deadline_at),
                    overdue,
                    contact: dir.party(&t.party_id).and_then(|p| p.contact.clone()),
                }
            })
            .collect()
    }
}

pub struct EventLine {
    pub at: String,
    pub text: String,
    pub detail: Option<String>,
}

impl EventLine {
    /// What the member may see, oldest first: internal notes and plumbing are left out.
    pub fn all(
        settings: &Settings,
        dir: &Directory,
        locale: Locale,
        events: &[EventRow],
        tickets: &[TicketRow],
    ) -> Vec<Self> {
        let tr = Tr(locale);
        let party_of = |e: &EventRow| {
            let id = e
                .ticket_id
                .and_then(|id| tickets.iter().find(|t| t.id == id))
                .map(|t| t.party_id.clone())
                .or_else(|| e.data["party"].as_str().map(str::to_owned))
                .unwrap_or_default();
            party_name(dir, locale, &id)
        };
        let data = |e: &EventRow, key: &str| e.data[key].as_str().map(str::to_owned);
        let lines = events
            .iter()
            .filter_map(|e| {
                let party = party_of(e);
                let (key, args, detail): (&str, Vec<(&'static str, String)>, Option<String>) =
                    match e.event_type {
                        TimelineEvent::IncidentReported => ("event-reported", vec![], None),
                        TimelineEvent::TicketOpened => {
                            ("event-ticket-opened", vec![("party", party)], None)
                        }
                        TimelineEvent::TicketNotified => {
                            ("event-ticket-notified", vec![("party", party)], None)
                        }
                        TimelineEvent::TicketFailed => {
                            ("event-ticket-failed", vec![("party", party)], None)
                        }
                        TimelineEvent::TicketAcknowledged => (
                            "event-ticket-acknowledged",
                            vec![("party", party)],
                            data(e, "external_ref"),
                        ),
                        TimelineEvent::TicketResolved => (
                            "event-ticket-resolved",
                            vec![("party", party)],
                            data(e, "note"),
                        ),
                        TimelineEvent::TicketRejected => (
                            "event-ticket-rejected",
                            vec![("party", party)],
                            data(e, "note"),
                        ),
                        TimelineEvent::TicketEscalated => {
                            ("event-ticket-escalated", vec![("party", party)], None)
                        }
                        TimelineEvent::TicketRedeliveryRequested => {
                            ("event-ticket-resent", vec![("party", party)], None)
                        }
                        TimelineEvent::ContainmentChanged => (
                            "event-containment",
                            vec![(
                                "state",
                                tr.t(&format!(
                                    "track-state-{}",
                                    data(e, "to").unwrap_or_default()
                                )),
                            )],
                            data(e, "note"),
                        ),
                        TimelineEvent::StatusChanged => (
                            "event-status",
                            vec![("status", tr.w("status", data(e, "to").unwrap_or_default()))],
                            // An officer's note on a status change stays with the officers;
                            // what the member should read is posted as a shared note.
                            None,
                        ),
                        TimelineEvent::NoteAdded
                            if data(e, "visibility").as_deref() == Some("shared") =>
                        {
                            ("event-note", vec![], data(e, "text"))
                        }
                        TimelineEvent::MemberInfoAdded => ("event-info", vec![], data(e, "text")),
                        TimelineEvent::PlatformCaseRecorded => {
                            ("event-platform-case", vec![], data(e, "case_ref"))
                        }
                        TimelineEvent::DuplicateLinked => {
                            ("event-duplicate", vec![], data(e, "duplicate"))
                        }
                        TimelineEvent::TrackingRevoked => ("event-revoked", vec![], None),
                        _ => return None,
                    };
                let folds = matches!(
                    e.event_type,
                    TimelineEvent::IncidentReported
                        | TimelineEvent::TicketOpened
                        | TimelineEvent::TicketNotified
                );
                let party = args
                    .iter()
                    .find(|(k, _)| *k == "party")
                    .map(|(_, v)| v.clone());
                let args: Vec<(&'static str, &str)> =
                    args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let line = EventLine {
                    at: local(settings, locale, e.created_at),
                    // A folded entry is told by its moment's line (see `fold_moments`).
                    text: if folds {
                        String::new()
                    } else {
                        i18n::text_with(locale, key, &args)
                    },
                    detail,
                };
                Some((line, folds.then_some((e.event_type, party))))
            })
            .collect();
        fold_moments(locale, lines)
    }
}

/// How an entry folds with the others of its moment: its kind and its party, when it is
/// one of the service's own.
type Fold = Option<(TimelineEvent, Option<String>)>;

/// The service's entries of one moment: the report, the parties whose tickets were
/// opened, and those notified.
struct Moment {
    at: String,
    reported: bool,
    opened: Vec<String>,
    notified: Vec<String>,
}

impl Moment {
    fn lines(self, locale: Locale, out: &mut Vec<EventLine>) {
        let mut say = |key: &str, parties: &[String]| {
            out.push(EventLine {
                at: self.at.clone(),
                text: i18n::text_with(locale, key, &[("parties", &i18n::joined(locale, parties))]),
                detail: None,
            })
        };
        match (self.reported, self.opened.is_empty()) {
            (true, false) => say("event-reported-opened", &self.opened),
            (true, true) => say("event-reported", &[]),
            (false, false) => say("event-tickets-opened", &self.opened),
            (false, true) => {}
        }
        if !self.notified.is_empty() {
            say("event-tickets-notified", &self.notified);
        }
    }
}

/// The service's own entries of one moment (the report, the tickets it opened, the
/// parties notified) read as one line each: "Report received and sent to A, B and C",
/// "A, B and C notified". The others stay as they are.
fn fold_moments(locale: Locale, lines: Vec<(EventLine, Fold)>) -> Vec<EventLine> {
    let mut out: Vec<EventLine> = Vec::new();
    let mut moment: Option<Moment> = None;
    for (line, fold) in lines {
        let Some((kind, party)) = fold else {
            if let Some(m) = moment.take() {
                m.lines(locale, &mut out);
            }
            out.push(line);
            continue;
        };
        if let Some(m) = moment.take_if(|m| m.at != line.at) {
            m.lines(locale, &mut out);
        }
        let m = moment.get_or_insert_with(|| Moment {
            at: line.at.clone(),
            reported: false,
            opened: Vec::new(),
            notified: Vec::new(),
        });
        match kind {
            TimelineEvent::IncidentReported => m.reported = true,
            TimelineEvent::TicketOpened => m.opened.extend(party),
            _ => m.notified.extend(party),
        }
    }
    if let Some(m) = moment {
        m.lines(locale, &mut out);
    }
    out
}

/// One message of the member's conversation with the committee.
pub struct ConversationLine {
    pub at: String,
    pub from_member: bool,
    pub who: String,
    pub lines: Vec<String>,
}

impl ConversationLine {
    /// What was written to the member and by them, oldest first; quoted history folded away.
    pub fn all(
        settings: &Settings,
        locale: Locale,
        messages: &[crate::usecases::correspondence::MessageRow],
    ) -> Vec<Self> {
        use crate::domain::correspondence::{Author, fold_quoted};
        let tr = Tr(locale);
        messages
            .iter()
            .filter(|m| m.ticket_id.is_none() && m.shared_with_member)
            .map(|m| {
                let from_member = m.author == Author::Member;
                ConversationLine {
                    at: local(settings, locale, m.created_at),
                    from_member,
                    who: tr.t(if from_member {
                        "track-conversation-you"
                    } else {
                        "track-conversation-committee"
                    }),
                    lines: fold_quoted(&m.body).0.lines().map(str::to_owned).collect(),
                }
            })
            .collect()
    }
}

/// A file size in the member's words.
pub fn size(locale: Locale, bytes: i64) -> String {
    let kb = (bytes as f64 / 1024.0).max(0.1);
    let (value, unit) = if kb >= 1024.0 {
        (kb / 1024.0, "MB")
    } else {
        (kb, "kB")
    };
    let number = format!("{value:.1}");
    let number = match locale {
        Locale::Vi => number.replace('.', ","),
        Locale::En => number,
    };
    format!("{number} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(at: &str, text: &str, fold: Fold) -> (EventLine, Fold) {
        let line = EventLine {
            at: at.to_owned(),
            text: text.to_owned(),
            detail: None,
        };
        (line, fold)
    }

    #[test]
    fn the_service_s_entries_of_one_moment_read_as_one_line_each() {
        let (reported, opened, notified) = (
            TimelineEvent::IncidentReported,
            TimelineEvent::TicketOpened,
            TimelineEvent::TicketNotified,
        );
        let lines = vec![
            line("08:00", "-", Some((reported, None))),
            line("08:00", "-", Some((opened, Some("A".into())))),
            line("08:00", "-", Some((opened, Some("B".into())))),
            line("08:00", "-", Some((notified, Some("A".into())))),
            line("08:00", "-", Some((notified, Some("B".into())))),
            line("08:01", "A shared note", None),
            line("08:02", "-", Some((notified, Some("C".into())))),
            line("08:03", "-", Some((notified, Some("D".into())))),
        ];
        let folded: Vec<(String, String)> = fold_moments(Locale::En, lines)
            .into_iter()
            .map(|l| (l.at, l.text))
            .collect();
        let expected = [
            ("08:00", "Report received; tickets opened for A and B"),
            ("08:00", "A and B notified"),
            ("08:01", "A shared note"),
            ("08:02", "C notified"),
            ("08:03", "D notified"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(at, text)| (at.to_string(), text.to_string()))
            .collect();
        assert_eq!(folded, expected);
    }
}
