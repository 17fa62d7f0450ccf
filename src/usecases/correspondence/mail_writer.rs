//! The writer of inbound mail: each mail's rows are built before the write, and the mails
//! handed in while one transaction is written go together in the next (group commit), with
//! one insert per table; the effect of a matched mail on its conversation.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::{
    inbound::{Kept, ReceiveError, Received, Target},
    new_message,
};
use crate::{
    config::Settings,
    domain::{
        Actor, ActorKind, TicketStatus, TimelineEvent,
        correspondence::{Author, InboundMail, MailKind, case_number},
        directory::Directory,
        webhook::{EventData, TicketMessageData},
    },
    storage::{
        Conn, Database, DbErr, correspondence,
        correspondence::InboundRow,
        database_error,
        deliveries::{self, DeliveryRow},
        events::{self, NewEvent},
        evidence,
        incidents::IncidentRow,
        tickets::{self, TicketRow},
    },
    usecases::{
        delivery::give_up_if_all_failed,
        directory::DirectoryCache,
        group_commit::{BatchWriter, GroupCommit},
        outbox::{self, Outbox},
        payload,
    },
};

/// One mail to store, with its effect on a conversation when it matched one.
pub struct MailJob {
    pub(super) inbound: InboundRow,
    pub(super) effect: Option<Planned>,
}

/// A matched mail's effect, its rows built before the write.
pub(super) struct Planned {
    target: Target,
    pub(super) incident: IncidentRow,
    /// The committee's ticket, told of a party's reply.
    committee: Option<TicketRow>,
    /// The mail as read, without its attachments (they are files by now).
    mail: InboundMail,
    /// The attachments kept, as evidence of the incident.
    files: Vec<evidence::EvidenceRow>,
    /// The message it becomes on the conversation (none for a delivery report).
    message: Option<super::MessageRow>,
    /// Attachments not kept, each with the reason.
    skipped: Vec<String>,
    now: DateTime<Utc>,
}

impl Planned {
    pub(super) fn new(
        target: Target,
        incident: IncidentRow,
        committee: Option<TicketRow>,
        mut mail: InboundMail,
        inbound: &InboundRow,
        kept: Kept,
        now: DateTime<Utc>,
    ) -> Self {
        mail.attachments = Vec::new();
        let (author, ticket) = match &target {
            Target::Ticket(ticket) => (Some(Author::Party), Some(ticket)),
            Target::Member => (Some(Author::Member), None),
            Target::Bounce(..) => (None, None),
        };
        let files = match author {
            Some(_) => evidence::new_rows(incident.id, &kept.files, now),
            None => Vec::new(),
        };
        let message = author.map(|author| {
            let ids: Vec<Uuid> = files.iter().map(|f| f.id).collect();
            let mut row = new_message(
                incident.id,
                ticket.map(|t| t.id),
                crate::domain::correspondence::Direction::Inbound,
                mail.kind,
                now,
            );
            row.author = author;
            row.author_ref = ticket.map(|t| t.party_id.clone());
            row.subject = inbound.subject.clone();
            row.body = mail.text.clone();
            row.inbound_id = Some(inbound.id);
            row.shared_with_member = author == Author::Member;
            row.evidence = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
            row
        });
        Self {
            target,
            incident,
            committee,
            mail,
            files,
            message,
            skipped: kept.skipped,
            now,
        }
    }

    /// What the sender is told: the message the mail became and the files it left.
    pub(super) fn tell(&self, received: &mut Received) {
        received.skipped = self.skipped.clone();
        if let Some(message) = &self.message {
            received.message_id = Some(message.id);
            received.evidence = self.files.iter().map(|f| f.id).collect();
        }
    }
}

/// Most mails written in one transaction.
const MAX_BATCH: usize = 64;

/// Stores inbound mail. Mails handed in while a transaction is being written are written
/// together in the next one (group commit), one insert per table for the whole batch.
#[derive(Clone)]
pub struct MailWriter {
    jobs: GroupCommit<MailJob, bool>,
}

struct MailStore {
    db: Database,
    settings: Arc<Settings>,
    directory: DirectoryCache,
    outbox: Outbox,
}

impl MailWriter {
    pub fn start(
        db: Database,
        settings: Arc<Settings>,
        directory: DirectoryCache,
        outbox: Outbox,
    ) -> Self {
        let store = MailStore {
            db,
            settings,
            directory,
            outbox,
        };
        Self {
            jobs: GroupCommit::start(store, "inbound mail", MAX_BATCH),
        }
    }

    /// Stores the mail and its effect; false when the same mail was stored before.
    pub(super) async fn store(&self, job: MailJob) -> Result<bool, ReceiveError> {
        self.jobs.submit(job).await.map_err(|e| {
            // The database's own error when there is one, so that a timeout stays one.
            ReceiveError::Storage(
                database_error(&e)
                    .cloned()
                    .unwrap_or_else(|| DbErr::Custom(format!("{e:#}"))),
            )
        })
    }
}

impl BatchWriter for MailStore {
    type Job = MailJob;
    type Done = bool;

    async fn write(&self, jobs: &[MailJob]) -> anyhow::Result<Vec<bool>> {
        let dir = self.directory.current();
        let tx = self.db.begin_write().await?;
        let rows = jobs.iter().map(|j| j.inbound.clone()).collect();
        let stored = correspondence::insert_inbound_many(&*tx, rows).await?;
        let place = Place {
            settings: &self.settings,
            dir: &dir,
            outbox: &self.outbox,
        };
        let matched = jobs
            .iter()
            .filter(|j| stored.contains(&j.inbound.id))
            .filter_map(|j| j.effect.as_ref().map(|e| (&j.inbound, e)));
        place.take_effect(&*tx, matched).await?;
        tx.commit().await?;
        Ok(jobs
            .iter()
            .map(|j| stored.contains(&j.inbound.id))
            .collect())
    }

    fn written(&self) {
        self.outbox.wake();
    }
}

/// What an effect reaches beyond its rows.
pub(super) struct Place<'a> {
    pub(super) settings: &'a Settings,
    pub(super) dir: &'a Directory,
    pub(super) outbox: &'a Outbox,
}

impl Place<'_> {
    /// The effects of stored mails on their conversations, inside the transaction that
    /// stores them; the rows of all of them go in one insert per table.
    pub(super) async fn take_effect<'m>(
        &self,
        conn: &impl Conn,
        mails: impl Iterator<Item = (&'m InboundRow, &'m Planned)>,
    ) -> Result<(), DbErr> {
        let mut rows = EffectRows::default();
        for (inbound, planned) in mails {
            let effect = Effect {
                place: self,
                inbound,
                planned,
            };
            match &planned.target {
                Target::Ticket(ticket) => effect.on_ticket(conn, ticket, &mut rows).await?,
                Target::Member => effect.on_member(conn, &mut rows).await?,
                Target::Bounce(delivery, ticket) => {
                    effect.bounce(conn, delivery, ticket, &mut rows).await?
                }
            }
        }
        rows.write(conn, self.dir).await
    }
}

/// The rows of a batch of effects, written together.
#[derive(Default)]
struct EffectRows<'m> {
    files: Vec<evidence::EvidenceRow>,
    messages: Vec<super::MessageRow>,
    timeline: Vec<NewEvent>,
    /// Replies of parties, announced once their tickets are marked.
    replies: Vec<(&'m TicketRow, &'m Planned)>,
}

impl EffectRows<'_> {
    async fn write(self, conn: &impl Conn, dir: &Directory) -> Result<(), DbErr> {
        evidence::insert_rows(conn, self.files).await?;
        correspondence::insert_messages(conn, self.messages).await?;
        // One update for all tickets that got the same number of replies in this batch.
        let mut per_ticket: BTreeMap<Uuid, i32> = BTreeMap::new();
        for (ticket, _) in &self.replies {
            *per_ticket.entry(ticket.id).or_default() += 1;
        }
        let mut by_count: BTreeMap<i32, Vec<Uuid>> = BTreeMap::new();
        for (ticket, replies) in per_ticket {
            by_count.entry(replies).or_default().push(ticket);
        }
        let now = Utc::now();
        let mut marked = HashMap::new();
        for (replies, tickets) in by_count {
            for ticket in correspondence::mark_replied(conn, tickets, replies, now).await? {
                marked.insert(ticket.id, ticket);
            }
        }
        events::append(conn, self.timeline).await?;
        let mut announcements = Vec::new();
        for (ticket, planned) in self.replies {
            if let (Some(ticket), Some(message)) = (marked.get(&ticket.id), &planned.message) {
                let what = Announced {
                    incident: &planned.incident,
                    ticket,
                    committee: planned.committee.as_ref(),
                    message,
                    files: &planned.files,
                };
                announcements.extend(announcement(dir, what, planned.now));
            }
        }
        deliveries::insert_many(conn, announcements).await
    }
}

/// The effect of one matched mail, inside the transaction that stores it.
struct Effect<'p, 'm> {
    place: &'p Place<'p>,
    inbound: &'m InboundRow,
    planned: &'m Planned,
}

impl<'m> Effect<'_, 'm> {
    fn actor(&self, kind: ActorKind, id: Option<String>) -> Actor {
        let mail = &self.planned.mail;
        Actor {
            kind,
            id,
            name: Some(mail.from_name.clone().unwrap_or_else(|| mail.from.clone())),
        }
    }

    /// The mail as a message of the conversation, with its files as evidence.
    fn message(&self, rows: &mut EffectRows<'m>) -> Option<Uuid> {
        let message = self.planned.message.as_ref()?;
        rows.files.extend(self.planned.files.iter().cloned());
        rows.messages.push(message.clone());
        Some(message.id)
    }

    async fn on_ticket(
        &self,
        conn: &impl Conn,
        ticket: &'m TicketRow,
        rows: &mut EffectRows<'m>,
    ) -> Result<(), DbErr> {
        let (planned, mail) = (self.planned, &self.planned.mail);
        let message = self.message(rows);
        if mail.kind == MailKind::Reply {
            rows.replies.push((ticket, planned));
        }
        let actor = self.actor(ActorKind::Party, Some(ticket.party_id.clone()));
        rows.timeline.push(NewEvent {
            incident_id: planned.incident.id,
            ticket_id: Some(ticket.id),
            actor: actor.clone(),
            event_type: TimelineEvent::MessageReceived,
            data: json!({
                "party": ticket.party_id,
                "message": message,
                "kind": mail.kind,
                "matched_by": self.inbound.matched_by,
                "evidence": planned.files.len(),
                "skipped": planned.skipped.len(),
            }),
            at: planned.now,
        });
        if ticket.external_ref.is_none()
            && let Some(pattern) = self
                .place
                .settings
                .email
                .inbound
                .case_pattern(&ticket.party_id)
            && let Some(case) = case_number(&pattern, &mail.subject, &mail.text)
        {
            tickets::set_external_ref(conn, ticket.id, &case).await?;
            rows.timeline.push(NewEvent {
                incident_id: planned.incident.id,
                ticket_id: Some(ticket.id),
                actor,
                event_type: TimelineEvent::PlatformCaseRecorded,
                data: json!({
                    "party": ticket.party_id,
                    "case_ref": case,
                    "external_ref": case,
                    "from": "mail",
                }),
                at: planned.now,
            });
        }
        Ok(())
    }

    async fn on_member(&self, conn: &impl Conn, rows: &mut EffectRows<'m>) -> Result<(), DbErr> {
        let planned = self.planned;
        let message = self.message(rows);
        if planned.mail.kind == MailKind::Reply {
            for ticket in tickets::for_incident(conn, planned.incident.id).await? {
                correspondence::resume_clock(conn, &ticket, planned.now).await?;
            }
        }
        rows.timeline.push(NewEvent {
            incident_id: planned.incident.id,
            ticket_id: None,
            actor: self.actor(ActorKind::Member, None),
            event_type: TimelineEvent::MessageReceived,
            data: json!({
                "author": Author::Member,
                "message": message,
                "kind": planned.mail.kind,
                "matched_by": self.inbound.matched_by,
                "evidence": planned.files.len(),
                "skipped": planned.skipped.len(),
            }),
            at: planned.now,
        });
        Ok(())
    }

    /// A hard bounce fails the email it is about (and the ticket, when that was the party's
    /// last way in, telling the committee); a soft one is noted.
    async fn bounce(
        &self,
        conn: &impl Conn,
        delivery: &DeliveryRow,
        ticket: &TicketRow,
        rows: &mut EffectRows<'m>,
    ) -> Result<(), DbErr> {
        let (planned, now) = (self.planned, self.planned.now);
        let dsn = planned.mail.dsn.as_ref();
        let detail = json!({
            "party": ticket.party_id,
            "delivery": delivery.id,
            "status": dsn.and_then(|d| d.status.clone()),
            "recipient": dsn.and_then(|d| d.recipient.clone()),
            "diagnostic": dsn.and_then(|d| d.diagnostic.clone()),
            "to_member": delivery.event_type.is_to_member(),
        });
        if planned.mail.kind != MailKind::HardBounce {
            rows.timeline.push(NewEvent {
                incident_id: planned.incident.id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: TimelineEvent::MailDelayed,
                data: detail,
                at: now,
            });
            return Ok(());
        }
        let reason = format!(
            "bounced after delivery: {}",
            dsn.and_then(|d| d.diagnostic.clone().or(d.status.clone()))
                .unwrap_or_else(|| "undeliverable".to_owned())
        );
        if !correspondence::bounce(conn, delivery.id, &reason, now).await? {
            return Ok(());
        }
        let mut timeline = vec![NewEvent {
            incident_id: planned.incident.id,
            ticket_id: Some(ticket.id),
            actor: Actor::system(),
            event_type: TimelineEvent::MailBounced,
            data: detail,
            at: now,
        }];
        if !delivery.event_type.is_to_member() {
            give_up_if_all_failed(
                conn,
                self.place.dir,
                self.place.outbox,
                ticket,
                &[TicketStatus::Pending, TicketStatus::Notified],
                now,
                &mut timeline,
            )
            .await?;
        }
        rows.timeline.extend(timeline);
        Ok(())
    }
}

/// A message to announce, with the evidence files it carries.
pub(super) struct Announced<'a> {
    pub incident: &'a IncidentRow,
    pub ticket: &'a TicketRow,
    /// The committee's ticket of the incident, told too.
    pub committee: Option<&'a TicketRow>,
    pub message: &'a super::MessageRow,
    pub files: &'a [evidence::EvidenceRow],
}

/// `ticket.message` to the committee's webhooks and to the ticket's party's webhooks.
pub(super) async fn announce(
    conn: &impl Conn,
    dir: &Directory,
    what: Announced<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    deliveries::insert_many(conn, announcement(dir, what, now)).await
}

/// The deliveries of a `ticket.message`, not yet queued.
fn announcement(dir: &Directory, what: Announced<'_>, now: DateTime<Utc>) -> Vec<DeliveryRow> {
    let Announced {
        incident,
        ticket,
        committee,
        message,
        files,
    } = what;
    let data = EventData::TicketMessage(TicketMessageData {
        incident: payload::incident_ref(incident),
        message: super::message_view(message, files),
        ticket: payload::ticket(ticket),
    });
    let committee = committee.filter(|c| c.id != ticket.id);
    outbox::webhook_rows(dir, committee.into_iter().chain([ticket]), data, now)
}
