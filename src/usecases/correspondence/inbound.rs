//! One inbound mail through the pipeline: size, parse, the same mail twice, matching,
//! trust, then its effect on the ticket in one transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{OurId, insert, new_message, our_id};
use crate::{
    config::Settings,
    domain::{
        Actor, ActorKind, EvidenceFile, EvidenceType, ReferenceCode, TicketStatus, TimelineEvent,
        clean_file_name,
        correspondence::{
            Author, InboundMail, InboundStatus, InboundVia, MailError, MailKind, MatchRule,
            ReplyKey, ReplyTo, UnmatchedReason, Waiting, case_number, dmarc_verdict, parse_mail,
        },
        directory::Directory,
        webhook::{EventData, TicketMessageData},
    },
    storage::{
        Conn, Database, DbErr, Scope, correspondence,
        correspondence::{InboundRow, Turn},
        deliveries::DeliveryRow,
        events::{self, NewEvent},
        evidence,
        files::FileStore,
        incidents::{self, IncidentKey, IncidentRow},
        tickets::{self, TicketRow},
    },
    usecases::{
        delivery::give_up_if_all_failed,
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
    let mut verdict = resolve(room, &mail, envelope).await?;
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
    // The mail is kept whole as a file under its digest (the row names it by the digest),
    // and a reply's attachments become evidence.
    let with_attachments = matches!(
        (&verdict.target, mail.kind),
        (Some(Target::Ticket(_) | Target::Member), MailKind::Reply)
    );
    let kept = keep_files(room, &mail, Some(raw), with_attachments).await?;
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
    // Read before the write transaction, which then only writes: a committee's ticket is
    // made with its incident and never changes party.
    let committee = match (&verdict.target, &verdict.incident) {
        (Some(target), Some(incident)) => committee_told(room.db.conn(), target, incident).await?,
        _ => None,
    };
    let tx = room.db.begin_write().await?;
    if !correspondence::insert_inbound(&*tx, row.clone()).await? {
        // Another copy was stored while this one was being matched.
        drop(tx);
        if let Some(same) =
            correspondence::find_same(room.db.conn(), &mail.sha256, mail.message_id.as_deref())
                .await?
        {
            return Ok(Received::from_row(&same, true));
        }
        return Err(ReceiveError::Storage(DbErr::Custom(
            "the mail was refused as stored already, but is not".to_owned(),
        )));
    }
    let mut received = Received::from_row(&row, false);
    received.skipped = kept.skipped.clone();
    if let (Some(target), Some(incident)) = (&verdict.target, &verdict.incident) {
        let effect = Effect {
            room,
            mail: &mail,
            inbound: &row,
            incident,
            committee,
            kept: &kept,
            now,
        };
        match target {
            Target::Bounce(delivery, ticket) => effect.bounce(&*tx, delivery, ticket).await?,
            Target::Ticket(ticket) => {
                let (message, files) = effect.on_ticket(&*tx, ticket).await?;
                received.message_id = Some(message);
                received.evidence = files;
            }
            Target::Member => {
                let (message, files) = effect.on_member(&*tx).await?;
                received.message_id = Some(message);
                received.evidence = files;
            }
        }
    }
    tx.commit().await?;
    room.outbox.wake();
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

/// Keeps `raw` (the mail whole, when given) and the attachments the evidence rules accept
/// (type from the bytes, size and count caps of the report form) in the file store, each
/// under its digest, with one trip to the disk.
async fn keep_files(
    room: &Mailroom<'_>,
    mail: &InboundMail,
    raw: Option<&[u8]>,
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
    let bytes = raw
        .into_iter()
        .chain(accepted.iter().map(|(a, _)| a.bytes.as_slice()))
        .map(Into::into)
        .collect();
    let digests = room.files.store_many(bytes).await?;
    let of_attachments = digests.into_iter().skip(usize::from(raw.is_some()));
    for ((attachment, kind), sha256) in accepted.into_iter().zip(of_attachments) {
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

/// The effect of one matched mail, inside the transaction that stores it.
struct Effect<'a> {
    room: &'a Mailroom<'a>,
    mail: &'a InboundMail,
    inbound: &'a InboundRow,
    incident: &'a IncidentRow,
    /// The committee's ticket, told of a party's reply.
    committee: Option<TicketRow>,
    kept: &'a Kept,
    now: DateTime<Utc>,
}

impl Effect<'_> {
    fn actor(&self, kind: ActorKind, id: Option<String>) -> Actor {
        Actor {
            kind,
            id,
            name: Some(
                self.mail
                    .from_name
                    .clone()
                    .unwrap_or_else(|| self.mail.from.clone()),
            ),
        }
    }

    /// The mail as a message of the conversation, with its files as evidence.
    async fn message(
        &self,
        conn: &impl Conn,
        ticket: Option<&TicketRow>,
        author: Author,
    ) -> Result<(super::MessageRow, Vec<evidence::EvidenceRow>), DbErr> {
        let files =
            evidence::insert_many(conn, self.incident.id, &self.kept.files, self.now).await?;
        let ids: Vec<Uuid> = files.iter().map(|f| f.id).collect();
        let mut row = new_message(
            self.incident.id,
            ticket.map(|t| t.id),
            crate::domain::correspondence::Direction::Inbound,
            self.mail.kind,
            self.now,
        );
        row.author = author;
        row.author_ref = ticket.map(|t| t.party_id.clone());
        row.subject = self.inbound.subject.clone();
        row.body = self.mail.text.clone();
        row.inbound_id = Some(self.inbound.id);
        row.shared_with_member = author == Author::Member;
        row.evidence = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
        insert(conn, &row).await?;
        Ok((row, files))
    }

    async fn on_ticket(
        &self,
        conn: &impl Conn,
        ticket: &TicketRow,
    ) -> Result<(Uuid, Vec<Uuid>), DbErr> {
        let (row, stored) = self.message(conn, Some(ticket), Author::Party).await?;
        let files: Vec<Uuid> = stored.iter().map(|f| f.id).collect();
        let reply = self.mail.kind == MailKind::Reply;
        let mut updated = None;
        if reply {
            updated = correspondence::set_turn(
                conn,
                ticket.id,
                Turn {
                    waiting: if ticket.waiting == Waiting::OnMember {
                        Waiting::OnMember
                    } else {
                        Waiting::OnUs
                    },
                    unread: true,
                },
                self.now,
            )
            .await?;
        }
        let actor = self.actor(ActorKind::Party, Some(ticket.party_id.clone()));
        let mut timeline = vec![NewEvent {
            incident_id: self.incident.id,
            ticket_id: Some(ticket.id),
            actor: actor.clone(),
            event_type: TimelineEvent::MessageReceived,
            data: json!({
                "party": ticket.party_id,
                "message": row.id,
                "kind": self.mail.kind,
                "matched_by": self.inbound.matched_by,
                "evidence": files.len(),
                "skipped": self.kept.skipped.len(),
            }),
            at: self.now,
        }];
        if ticket.external_ref.is_none()
            && let Some(pattern) = self
                .room
                .settings
                .email
                .inbound
                .case_pattern(&ticket.party_id)
            && let Some(case) = case_number(&pattern, &self.mail.subject, &self.mail.text)
        {
            tickets::set_external_ref(conn, ticket.id, &case).await?;
            timeline.push(NewEvent {
                incident_id: self.incident.id,
                ticket_id: Some(ticket.id),
                actor,
                event_type: TimelineEvent::PlatformCaseRecorded,
                data: json!({
                    "party": ticket.party_id,
                    "case_ref": case,
                    "external_ref": case,
                    "from": "mail",
                }),
                at: self.now,
            });
        }
        events::append(conn, timeline).await?;
        if let Some(updated) = &updated {
            let to_send = Announced {
                incident: self.incident,
                ticket: updated,
                committee: self.committee.as_ref(),
                message: &row,
                files: &stored,
            };
            announce(conn, self.room.dir, to_send, self.now).await?;
        }
        Ok((row.id, files))
    }

    async fn on_member(&self, conn: &impl Conn) -> Result<(Uuid, Vec<Uuid>), DbErr> {
        let (row, stored) = self.message(conn, None, Author::Member).await?;
        let files: Vec<Uuid> = stored.iter().map(|f| f.id).collect();
        if self.mail.kind == MailKind::Reply {
            for ticket in tickets::for_incident(conn, self.incident.id).await? {
                correspondence::resume_clock(conn, &ticket, self.now).await?;
            }
        }
        events::append(
            conn,
            vec![NewEvent {
                incident_id: self.incident.id,
                ticket_id: None,
                actor: self.actor(ActorKind::Member, None),
                event_type: TimelineEvent::MessageReceived,
                data: json!({
                    "author": Author::Member,
                    "message": row.id,
                    "kind": self.mail.kind,
                    "matched_by": self.inbound.matched_by,
                    "evidence": files.len(),
                    "skipped": self.kept.skipped.len(),
                }),
                at: self.now,
            }],
        )
        .await?;
        Ok((row.id, files))
    }

    /// A hard bounce fails the email it is about (and the ticket, when that was the party's
    /// last way in, telling the committee); a soft one is noted.
    async fn bounce(
        &self,
        conn: &impl Conn,
        delivery: &DeliveryRow,
        ticket: &TicketRow,
    ) -> Result<(), DbErr> {
        let dsn = self.mail.dsn.as_ref();
        let detail = json!({
            "party": ticket.party_id,
            "delivery": delivery.id,
            "status": dsn.and_then(|d| d.status.clone()),
            "recipient": dsn.and_then(|d| d.recipient.clone()),
            "diagnostic": dsn.and_then(|d| d.diagnostic.clone()),
            "to_member": delivery.event_type.is_to_member(),
        });
        let mut timeline = Vec::new();
        if self.mail.kind == MailKind::HardBounce {
            let reason = format!(
                "bounced after delivery: {}",
                dsn.and_then(|d| d.diagnostic.clone().or(d.status.clone()))
                    .unwrap_or_else(|| "undeliverable".to_owned())
            );
            if !correspondence::bounce(conn, delivery.id, &reason, self.now).await? {
                return Ok(());
            }
            timeline.push(NewEvent {
                incident_id: self.incident.id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: TimelineEvent::MailBounced,
                data: detail,
                at: self.now,
            });
            if !delivery.event_type.is_to_member() {
                give_up_if_all_failed(
                    conn,
                    self.room.dir,
                    self.room.outbox,
                    ticket,
                    &[TicketStatus::Pending, TicketStatus::Notified],
                    self.now,
                    &mut timeline,
                )
                .await?;
            }
        } else {
            timeline.push(NewEvent {
                incident_id: self.incident.id,
                ticket_id: Some(ticket.id),
                actor: Actor::system(),
                event_type: TimelineEvent::MailDelayed,
                data: detail,
                at: self.now,
            });
        }
        events::append(conn, timeline).await
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
    outbox::queue_webhooks(conn, dir, committee.into_iter().chain([ticket]), data, now).await
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
    let kept = keep_files(room, &mail, None, mail.kind == MailKind::Reply).await?;
    let now = Utc::now();
    let tx = room.db.begin_write().await?;
    let ticket_id = match &target {
        Target::Ticket(t) => Some(t.id),
        _ => None,
    };
    let moved = correspondence::handle_unmatched(
        &*tx,
        row.id,
        correspondence::Handled {
            to: InboundStatus::Attached,
            incident_id: Some(incident.id),
            ticket_id,
            by,
            at: now,
        },
    )
    .await?;
    if !moved {
        return Err(HandleError::AlreadyHandled(InboundStatus::Attached));
    }
    let mut attached = row.clone();
    attached.status = InboundStatus::Attached;
    attached.matched_by = Some(MatchRule::Officer);
    attached.incident_id = Some(incident.id);
    attached.ticket_id = ticket_id;
    let effect = Effect {
        room,
        mail: &mail,
        inbound: &attached,
        incident: &incident,
        committee: committee_told(room.db.conn(), &target, &incident).await?,
        kept: &kept,
        now,
    };
    let mut received = Received::from_row(&attached, false);
    received.skipped = kept.skipped.clone();
    let (message, files) = match &target {
        Target::Ticket(ticket) => effect.on_ticket(&*tx, ticket).await?,
        _ => effect.on_member(&*tx).await?,
    };
    received.message_id = Some(message);
    received.evidence = files;
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
