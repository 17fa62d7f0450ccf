//! One inbound mail through the pipeline: size, parse, the same mail twice, matching,
//! trust and its files; then the mail writer stores it with its effect on the ticket. The
//! unmatched queue: an officer attaches a mail or discards it.

use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::{
    OurId,
    mail_writer::{MailJob, MailWriter, Place, Planned},
    our_id,
};
use crate::{
    config::Settings,
    domain::{
        EvidenceFile, EvidenceType, ReferenceCode, clean_file_name,
        correspondence::{
            InboundMail, InboundStatus, InboundVia, MailError, MailKind, MatchRule, ReplyKey,
            ReplyTo, UnmatchedReason, dmarc_verdict, parse_mail,
        },
        directory::Directory,
    },
    storage::{
        Conn, Database, DbErr, Scope, correspondence,
        correspondence::InboundRow,
        deliveries::DeliveryRow,
        files::{Blob, FileStore},
        incidents::{self, IncidentKey, IncidentRow},
        tickets::{self, TicketRow},
    },
    usecases::outbox::Outbox,
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
pub(super) enum Target {
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
    raw: bytes::Bytes,
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
    let mail = parse_mail(&raw)?;
    // Three things at once: the look for an earlier copy, the matching (with the read of
    // the committee's ticket it needs), and the files: the mail kept whole under its digest
    // (the row names it by the digest) and, for a reply, its attachments, all synced in one
    // trip to the disk. A reply's attachments are written before the matching is known:
    // when the reply ends in the unmatched queue they stay beside the mail, ready for an
    // officer who attaches it.
    let speculative = mail.kind == MailKind::Reply;
    let (same, (mut verdict, committee), files) = tokio::try_join!(
        async {
            Ok(
                correspondence::find_same(room.db.conn(), &mail.sha256, mail.message_id.as_deref())
                    .await?,
            )
        },
        async {
            let verdict = resolve(room, &mail, envelope).await?;
            // Read before the write transaction, which then only writes: a committee's
            // ticket is made with its incident and never changes party.
            let committee = match (&verdict.target, &verdict.incident) {
                (Some(target), Some(incident)) => {
                    committee_told(room.db.conn(), target, incident).await?
                }
                _ => None,
            };
            Ok::<_, ReceiveError>((verdict, committee))
        },
        keep_files(
            room,
            Some(Blob::hashed(raw, mail.sha256.clone())),
            &mail,
            speculative
        ),
    )?;
    if let Some(row) = same {
        return Ok(Received::from_row(&row, true));
    }
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
    // A reply's attachments become evidence when it lands on a conversation.
    let kept = match (&verdict.target, mail.kind) {
        (Some(Target::Ticket(_) | Target::Member), MailKind::Reply) => files,
        _ => Kept::default(),
    };
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
pub(super) struct Kept {
    pub(super) files: Vec<EvidenceFile>,
    pub(super) skipped: Vec<String>,
}

/// Keeps the attachments the evidence rules accept (type from the bytes, size and count
/// caps of the report form) in the file store, each under its digest, with `first` (the
/// mail itself) when given, in one trip to the disk.
async fn keep_files(
    room: &Mailroom<'_>,
    first: Option<Blob>,
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
    let skip = usize::from(first.is_some());
    let blobs = first
        .into_iter()
        .chain(accepted.iter().map(|(a, _)| Blob::new(a.bytes.clone())))
        .collect();
    let digests = room.files.store_many(blobs).await?;
    for ((attachment, kind), sha256) in accepted.into_iter().zip(digests.into_iter().skip(skip)) {
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
    let kept = keep_files(room, None, &mail, mail.kind == MailKind::Reply).await?;
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
