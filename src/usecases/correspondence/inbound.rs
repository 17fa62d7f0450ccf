//! One inbound mail through the pipeline: size, parse, the same mail twice, matching,
//! trust, then its effect on the ticket in one transaction.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use futures_util::TryFutureExt;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{OurId, new_message, our_id};
use crate::{
    config::Settings,
    domain::{
        Actor, ActorKind, EvidenceFile, EvidenceType, ReferenceCode, TicketStatus, TimelineEvent,
        clean_file_name,
        correspondence::{
            Author, InboundMail, InboundStatus, InboundVia, MailError, MailKind, MatchRule,
            ReplyKey, ReplyTo, UnmatchedReason, case_number, dmarc_verdict, parse_mail,
        },
        directory::Directory,
        webhook::{EventData, TicketMessageData},
    },
    storage::{
        Conn, Database, DbErr, Scope, correspondence,
        correspondence::InboundRow,
        deliveries::{self, DeliveryRow},
        events::{self, NewEvent},
        evidence,
        files::FileStore,
        incidents::{self, IncidentKey, IncidentRow},
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

/// What the pipeline needs.
pub struct Mailroom<'a> {
    pub db: &'a Database,
    pub settings: &'a Settings,
    pub dir: &'a Directory,
    pub outbox: &'a Outbox,
    pub files: &'a FileStore,
    pub reply: &'a ReplyKey,
    pub writer: &'a MailWriter,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the message is {size} bytes; at most {limit} are taken")]
    TooLarge { size: usize, limit: usize },
    #[error(transparent)]
    NotAMessage(#[from] MailError),
    #[error(transparent)]
    Storage(#[from] DbErr),
    #[error("could not keep an attachment: {0}")]
    Files(#[from] std::io::Error),
}

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Received {
    /// The stored mail's id.
    pub id: Uuid,
    /// The same mail (same bytes or same Message-ID) was already stored; nothing changed.
    pub duplicate: bool,
    pub kind: MailKind,
    pub status: InboundStatus,
    #[schema(required = true)]
    pub matched_by: Option<MatchRule>,
    /// Why the mail is in the unmatched queue.
    #[schema(required = true)]
    pub reason: Option<UnmatchedReason>,
    #[schema(required = true)]
    pub incident_id: Option<Uuid>,
    #[schema(required = true)]
    pub ticket_id: Option<Uuid>,
    /// The message it became on the conversation.
    #[schema(required = true)]
    pub message_id: Option<Uuid>,
    /// Attachments kept as evidence of the incident.
    pub evidence: Vec<Uuid>,
    /// Attachments not kept, each with the reason.
    pub skipped: Vec<String>,
}

impl Received {
    fn from_row(row: &InboundRow, duplicate: bool) -> Self {
        Self {
            id: row.id,
            duplicate,
            kind: row.kind,
            status: row.status,
            matched_by: row.matched_by,
            reason: row.reason,
            incident_id: row.incident_id,
            ticket_id: row.ticket_id,
            message_id: None,
            evidence: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// Whose conversation a mail belongs to.
#[derive(Debug, Clone)]
enum Target {
    Ticket(TicketRow),
    Member,
    /// A delivery report about one of our emails.
    Bounce(Box<DeliveryRow>, TicketRow),
}

#[derive(Debug, Clone)]
struct Verdict {
    target: Option<Target>,
    incident: Option<IncidentRow>,
    matched_by: Option<MatchRule>,
    reason: Option<UnmatchedReason>,
}

impl Verdict {
    fn unmatched(reason: UnmatchedReason) -> Self {
        Self {
            target: None,
            incident: None,
            matched_by: None,
            reason: Some(reason),
        }
    }

    fn matched(target: Target, incident: IncidentRow, rule: MatchRule) -> Self {
        Self {
            target: Some(target),
            incident: Some(incident),
            matched_by: Some(rule),
            reason: None,
        }
    }

    fn ticket_id(&self) -> Option<Uuid> {
        match &self.target {
            Some(Target::Ticket(t)) | Some(Target::Bounce(_, t)) => Some(t.id),
            _ => None,
        }
    }
}

/// Takes one raw mail: stores it once, and puts it on its ticket or in the unmatched queue.
/// `envelope` holds the recipients the mail server was given, when the way in knows them.
pub async fn receive(
    room: &Mailroom<'_>,
    raw: &[u8],
    via: InboundVia,
    envelope: &[String],
) -> Result<Received, ReceiveError> {
    let limit = room.settings.email.inbound.max_message_bytes;
    if raw.len() > limit {
        return Err(ReceiveError::TooLarge {
            size: raw.len(),
            limit,
        });
    }
    let mail = parse_mail(raw)?;
    if let Some(row) =
        correspondence::find_same(room.db.conn(), &mail.sha256, mail.message_id.as_deref()).await?
    {
        return Ok(Received::from_row(&row, true));
    }
    // The mail is kept whole as a file under its digest (the row names it by the digest),
    // written while it is matched.
    let (mut verdict, _) = tokio::try_join!(
        async { Ok(resolve(room, &mail, envelope).await?) },
        room.files
            .store_many(vec![raw.into()])
            .map_err(ReceiveError::from),
    )?;
    let dmarc = mail.auth_results.as_deref().and_then(dmarc_verdict);
    if let Some(incident) = &verdict.incident
        && incident.purged_at.is_some()
    {
        verdict.target = None;
        verdict.reason = Some(UnmatchedReason::Purged);
    } else if verdict.target.is_some()
        && verdict.matched_by != Some(MatchRule::Token)
        && room.settings.email.inbound.require_dmarc_pass
        && dmarc.as_deref() != Some("pass")
    {
        verdict.target = None;
        verdict.reason = Some(UnmatchedReason::DmarcNotPass);
    }
    // A reply's attachments become evidence.
    let with_attachments = matches!(
        (&verdict.target, mail.kind),
        (Some(Target::Ticket(_) | Target::Member), MailKind::Reply)
    );
    // Read beside the writing of the files, before the write transaction, which then only
    // writes: a committee's ticket is made with its incident and never changes party.
    let (kept, committee) = tokio::try_join!(keep_files(room, &mail, with_attachments), async {
        Ok(match (&verdict.target, &verdict.incident) {
            (Some(target), Some(incident)) => {
                committee_told(room.db.conn(), target, incident).await?
            }
            _ => None,
        })
    },)?;
    let now = Utc::now();
    let row = InboundRow {
        id: Uuid::now_v7(),
        received_at: now,
        via,
        message_id: mail.message_id.clone(),
        sha256: mail.sha256.clone(),
        sender: mail.from.clone(),
        subject: mail.subject.chars().take(1_000).collect(),
        kind: mail.kind,
        status: if verdict.target.is_some() {
            InboundStatus::Attached
        } else {
            InboundStatus::Unmatched
        },
        reason: verdict.reason,
        matched_by: verdict.target.as_ref().and(verdict.matched_by),
        incident_id: verdict.incident.as_ref().map(|i| i.id),
        ticket_id: verdict.ticket_id(),
        auth_results: mail.auth_results.clone(),
        dmarc,
        raw: Vec::new(),
        handled_by: None,
        handled_at: None,
    };
    let (sha256, message_id) = (mail.sha256.clone(), mail.message_id.clone());
    let mut received = Received::from_row(&row, false);
    let effect = match (verdict.target, verdict.incident) {
        (Some(target), Some(incident)) => {
            let planned = Planned::new(target, incident, committee, mail, &row, kept, now);
            planned.tell(&mut received);
            Some(planned)
        }
        _ => {
            received.skipped = kept.skipped;
            None
        }
    };
    let job = MailJob {
        inbound: row,
        effect,
    };
    let stored = room.writer.store(job).await?;
    if !stored {
        // Another copy was stored while this one was being matched.
        if let Some(same) =
            correspondence::find_same(room.db.conn(), &sha256, message_id.as_deref()).await?
        {
            return Ok(Received::from_row(&same, true));
        }
        return Err(ReceiveError::Storage(DbErr::Custom(
            "the mail was refused as stored already, but is not".to_owned(),
        )));
    }
    Ok(received)
}

/// The incident's reference in a subject: `[INC-2026-000123]` or the bare reference.
fn subject_reference(subject: &str) -> Option<String> {
    let upper = subject.to_ascii_uppercase();
    upper.match_indices("INC-").find_map(|(at, _)| {
        let rest = &upper[at..];
        let end = rest
            .char_indices()
            .skip(4)
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        ReferenceCode::parse(&rest[..end]).map(|code| code.to_string())
    })
}

/// The committee's ticket when a party's ticket is the target: it is told of the reply.
async fn committee_told(
    conn: &impl Conn,
    target: &Target,
    incident: &IncidentRow,
) -> Result<Option<TicketRow>, DbErr> {
    match target {
        Target::Ticket(_) => tickets::committee_of(conn, incident.id).await,
        _ => Ok(None),
    }
}

async fn incident_of(conn: &impl Conn, id: Uuid) -> Result<Option<IncidentRow>, DbErr> {
    incidents::find(conn, &Scope::All, &IncidentKey::Id(id)).await
}

/// The ticket or member conversation one of our Message-IDs belongs to.
async fn by_our_id(
    conn: &impl Conn,
    id: &str,
    domain: &str,
) -> Result<Option<(Option<DeliveryRow>, TicketRow)>, DbErr> {
    match our_id(id, domain) {
        Some(OurId::TicketRoot(ticket)) => {
            let Some(ticket) = tickets::find(conn, ticket).await? else {
                return Ok(None);
            };
            let first = correspondence::first_email(conn, ticket.id).await?;
            Ok(Some((first, ticket)))
        }
        Some(OurId::Delivery(delivery)) => {
            let Some(delivery) = correspondence::delivery(conn, delivery).await? else {
                return Ok(None);
            };
            Ok(tickets::find(conn, delivery.ticket_id)
                .await?
                .map(|t| (Some(delivery), t)))
        }
        None => Ok(None),
    }
}

async fn resolve(
    room: &Mailroom<'_>,
    mail: &InboundMail,
    envelope: &[String],
) -> Result<Verdict, DbErr> {
    let conn = room.db.conn();
    let domain = room.settings.email.message_id_domain.as_str();
    if let Some(dsn) = &mail.dsn {
        for id in dsn.original_ids.iter().chain(&mail.thread_ids) {
            if let Some((Some(delivery), ticket)) = by_our_id(conn, id, domain).await?
                && let Some(incident) = incident_of(conn, ticket.incident_id).await?
            {
                return Ok(Verdict::matched(
                    Target::Bounce(Box::new(delivery), ticket),
                    incident,
                    MatchRule::Thread,
                ));
            }
        }
        return Ok(Verdict::unmatched(UnmatchedReason::UnknownBounce));
    }
    let mut forged = false;
    if let Some(mailbox) = room.settings.email.reply_mailbox() {
        for address in mail.recipients.iter().chain(envelope) {
            let Some(token) = mailbox.token_in(address) else {
                continue;
            };
            match room.reply.open(token) {
                Ok(ReplyTo::Ticket(id)) => {
                    if let Some(ticket) = tickets::find(conn, id).await?
                        && let Some(incident) = incident_of(conn, ticket.incident_id).await?
                    {
                        return Ok(Verdict::matched(
                            Target::Ticket(ticket),
                            incident,
                            MatchRule::Token,
                        ));
                    }
                }
                Ok(ReplyTo::Incident(id)) => {
                    if let Some(incident) = incident_of(conn, id).await? {
                        return Ok(Verdict::matched(Target::Member, incident, MatchRule::Token));
                    }
                }
                Err(_) => forged = true,
            }
        }
    }
    for id in &mail.thread_ids {
        let Some((delivery, ticket)) = by_our_id(conn, id, domain).await? else {
            continue;
        };
        let Some(incident) = incident_of(conn, ticket.incident_id).await? else {
            continue;
        };
        let to_member = delivery
            .as_ref()
            .is_some_and(|d| d.event_type.is_to_member());
        let target = if to_member {
            Target::Member
        } else {
            Target::Ticket(ticket)
        };
        return Ok(Verdict::matched(target, incident, MatchRule::Thread));
    }
    if let Some(reference) = subject_reference(&mail.subject)
        && let Some(incident) =
            incidents::find(conn, &Scope::All, &IncidentKey::Reference(reference)).await?
    {
        let known = |addresses: &[String]| {
            addresses
                .iter()
                .any(|a| a.trim().eq_ignore_ascii_case(&mail.from))
        };
        for ticket in tickets::for_incident(conn, incident.id).await? {
            if room
                .dir
                .party(&ticket.party_id)
                .is_some_and(|p| known(&p.emails))
            {
                return Ok(Verdict::matched(
                    Target::Ticket(ticket),
                    incident,
                    MatchRule::SubjectTag,
                ));
            }
        }
        if incident
            .reporter_email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&mail.from))
        {
            return Ok(Verdict::matched(
                Target::Member,
                incident,
                MatchRule::SubjectTag,
            ));
        }
        let mut verdict = Verdict::unmatched(UnmatchedReason::UnknownSender);
        verdict.incident = Some(incident);
        return Ok(verdict);
    }
    Ok(Verdict::unmatched(if forged {
        UnmatchedReason::ForgedToken
    } else {
        UnmatchedReason::NoMatch
    }))
}

/// Attachments kept as evidence files, and those refused.
#[derive(Debug, Clone, Default)]
struct Kept {
    files: Vec<EvidenceFile>,
    skipped: Vec<String>,
}

/// Keeps the attachments the evidence rules accept (type from the bytes, size and count
/// caps of the report form) in the file store, each under its digest, with one trip to
/// the disk.
async fn keep_files(
    room: &Mailroom<'_>,
    mail: &InboundMail,
    attachments: bool,
) -> Result<Kept, ReceiveError> {
    let caps = &room.settings.evidence;
    let mut kept = Kept::default();
    let mut accepted = Vec::new();
    for attachment in mail.attachments.iter().filter(|_| attachments) {
        let name: String = attachment.name.chars().take(120).collect();
        if accepted.len() >= caps.max_files {
            kept.skipped
                .push(format!("{name}: more than {} files", caps.max_files));
            continue;
        }
        if attachment.bytes.len() > caps.max_file_bytes {
            kept.skipped
                .push(format!("{name}: larger than {} bytes", caps.max_file_bytes));
            continue;
        }
        match EvidenceType::sniff("attachment", &attachment.bytes) {
            Ok(kind) => accepted.push((attachment, kind)),
            Err(problem) => kept.skipped.push(format!("{name}: {}", problem.message)),
        }
    }
    let bytes = accepted
        .iter()
        .map(|(a, _)| a.bytes.as_slice().into())
        .collect();
    let digests = room.files.store_many(bytes).await?;
    for ((attachment, kind), sha256) in accepted.into_iter().zip(digests) {
        if kept.files.iter().any(|f| f.sha256 == sha256) {
            continue;
        }
        kept.files.push(EvidenceFile {
            file_name: clean_file_name(&attachment.name, kind),
            kind,
            size_bytes: attachment.bytes.len() as u64,
            sha256,
        });
    }
    Ok(kept)
}

/// One mail to store, with its effect on a conversation when it matched one.
pub struct MailJob {
    inbound: InboundRow,
    effect: Option<Planned>,
}

/// A matched mail's effect, its rows built before the write.
struct Planned {
    target: Target,
    incident: IncidentRow,
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
    fn new(
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
    fn tell(&self, received: &mut Received) {
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
    async fn store(&self, job: MailJob) -> Result<bool, ReceiveError> {
        self.jobs
            .submit(job)
            .await
            .map_err(|e| ReceiveError::Storage(DbErr::Custom(format!("{e:#}"))))
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
struct Place<'a> {
    settings: &'a Settings,
    dir: &'a Directory,
    outbox: &'a Outbox,
}

impl Place<'_> {
    /// The effects of stored mails on their conversations, inside the transaction that
    /// stores them; the rows of all of them go in one insert per table.
    async fn take_effect<'m>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_found_in_a_subject() {
        assert_eq!(
            subject_reference("Re: [INC-2026-000123] Page hijacked").as_deref(),
            Some("INC-2026-000123")
        );
        assert_eq!(
            subject_reference("AW: inc-2026-000123 follow-up").as_deref(),
            Some("INC-2026-000123")
        );
        assert_eq!(subject_reference("Re: INC-26-1 nothing"), None);
        assert_eq!(subject_reference("hello"), None);
    }
}

/// Where an officer puts an unmatched mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachTo {
    Ticket(Uuid),
    /// The member's side of the incident.
    Member(Uuid),
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("no such mail in the unmatched queue")]
    NotFound,
    #[error("no such ticket or incident")]
    NoTarget,
    #[error("this mail was already {0}")]
    AlreadyHandled(InboundStatus),
    #[error(transparent)]
    Receive(#[from] ReceiveError),
}

impl From<DbErr> for HandleError {
    fn from(e: DbErr) -> Self {
        Self::Receive(ReceiveError::Storage(e))
    }
}

/// An officer attaches an unmatched mail to a ticket (or the member's conversation): it
/// takes effect there as if it had matched.
pub async fn attach(
    room: &Mailroom<'_>,
    inbound_id: Uuid,
    to: AttachTo,
    by: &str,
) -> Result<Received, HandleError> {
    let row = correspondence::inbound(room.db.conn(), inbound_id)
        .await?
        .ok_or(HandleError::NotFound)?;
    row.status
        .transition(InboundStatus::Attached)
        .map_err(|_| HandleError::AlreadyHandled(row.status))?;
    let raw = super::raw_mail(room.files, &row)
        .await
        .map_err(ReceiveError::from)?
        .ok_or(HandleError::NotFound)?;
    let mail = parse_mail(&raw).map_err(ReceiveError::from)?;
    let conn = room.db.conn();
    let (target, incident) = match to {
        AttachTo::Ticket(id) => {
            let ticket = tickets::find(conn, id)
                .await?
                .ok_or(HandleError::NoTarget)?;
            let incident = incident_of(conn, ticket.incident_id)
                .await?
                .ok_or(HandleError::NoTarget)?;
            (Target::Ticket(ticket), incident)
        }
        AttachTo::Member(id) => (
            Target::Member,
            incident_of(conn, id).await?.ok_or(HandleError::NoTarget)?,
        ),
    };
    let kept = keep_files(room, &mail, mail.kind == MailKind::Reply).await?;
    let committee = committee_told(conn, &target, &incident).await?;
    let now = Utc::now();
    let ticket_id = match &target {
        Target::Ticket(t) => Some(t.id),
        _ => None,
    };
    let mut attached = row.clone();
    attached.status = InboundStatus::Attached;
    attached.matched_by = Some(MatchRule::Officer);
    attached.incident_id = Some(incident.id);
    attached.ticket_id = ticket_id;
    let planned = Planned::new(target, incident, committee, mail, &attached, kept, now);
    let mut received = Received::from_row(&attached, false);
    planned.tell(&mut received);
    let tx = room.db.begin_write().await?;
    let moved = correspondence::handle_unmatched(
        &*tx,
        row.id,
        correspondence::Handled {
            to: InboundStatus::Attached,
            incident_id: Some(planned.incident.id),
            ticket_id,
            by,
            at: now,
        },
    )
    .await?;
    if !moved {
        return Err(HandleError::AlreadyHandled(InboundStatus::Attached));
    }
    let place = Place {
        settings: room.settings,
        dir: room.dir,
        outbox: room.outbox,
    };
    place
        .take_effect(&*tx, std::iter::once((&attached, &planned)))
        .await?;
    tx.commit().await?;
    room.outbox.wake();
    Ok(received)
}

/// An officer throws an unmatched mail away (it is kept, marked discarded).
pub async fn discard(db: &Database, inbound_id: Uuid, by: &str) -> Result<(), HandleError> {
    let row = correspondence::inbound(db.conn(), inbound_id)
        .await?
        .ok_or(HandleError::NotFound)?;
    row.status
        .transition(InboundStatus::Discarded)
        .map_err(|_| HandleError::AlreadyHandled(row.status))?;
    let tx = db.begin_write().await?;
    let moved = correspondence::handle_unmatched(
        &*tx,
        inbound_id,
        correspondence::Handled {
            to: InboundStatus::Discarded,
            incident_id: None,
            ticket_id: None,
            by,
            at: Utc::now(),
        },
    )
    .await?;
    tx.commit().await?;
    if moved {
        Ok(())
    } else {
        Err(HandleError::AlreadyHandled(InboundStatus::Discarded))
    }
}
