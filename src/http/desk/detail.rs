//! One incident in full: reporter, page, containment history, evidence, each party's
//! ticket with its deliveries and every attempt, the timeline with actors, and the
//! actions the officer may take.

use crate::domain::Named;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Desk, Who,
    queue::{committee_name, local_time},
};
use crate::http::html::error::PageError;
use crate::{
    domain::correspondence::{Author, Direction, MailKind, Waiting, fold_quoted},
    domain::delivery::{AttemptOutcome, Channel, DeliveryStatus, Notice},
    domain::i18n::Tr,
    domain::webhook::EventType,
    domain::{Locale, RejectReason, StateMachine, TimelineEvent},
    http::state::AppState,
    http::{
        extract::csrf::Csrf,
        html::page::{self, Chrome},
    },
    usecases::{Dossier, IncidentKey, queries},
};

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct AttemptLine {
    pub at: String,
    pub outcome: AttemptOutcome,
    /// The HTTP status, or the SMTP reply's code; `—` when there was no answer.
    pub code: String,
    pub duration: String,
    /// What went wrong, in the officer's words; empty when it went through.
    pub summary: String,
    /// The error or the mail server's reply as it was, for whoever looks into it.
    pub detail: String,
}

/// An attempt as the officer reads it: the code of the answer, what it means in words, and
/// the error or reply as it came, which is kept verbatim for whoever looks into it.
fn attempt_line(
    settings: &crate::config::Settings,
    locale: Locale,
    a: &crate::usecases::AttemptRow,
) -> AttemptLine {
    let tr = Tr(locale);
    let smtp_code = a
        .reply
        .as_deref()
        .and_then(|r| r.get(..3))
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    let code = a.status_code.map(|c| c.to_string()).or(smtp_code);
    let summary = match (a.outcome, &code) {
        (AttemptOutcome::Delivered, _) => String::new(),
        (_, Some(code)) => tr.t1("desk-attempt-answered", "code", code),
        (_, None) => tr.t("desk-attempt-no-answer"),
    };
    let detail = [a.error.as_deref(), a.reply.as_deref()]
        .into_iter()
        .flatten()
        .fold(Vec::<&str>::new(), |mut seen, text| {
            if !seen.contains(&text) {
                seen.push(text);
            }
            seen
        })
        .join(" · ");
    AttemptLine {
        at: local_time(settings, locale, a.attempted_at),
        outcome: a.outcome,
        code: code.unwrap_or_else(|| "—".to_owned()),
        duration: format!("{} ms", a.duration_ms),
        summary,
        detail,
    }
}

pub struct DeliveryBlock {
    /// How many attempts it took, in words.
    pub tried: String,
    pub channel: Channel,
    pub target: String,
    pub status: DeliveryStatus,
    pub next_attempt: String,
    pub attempts: Vec<AttemptLine>,
}

pub struct TicketBlock {
    pub id: Uuid,
    pub party: String,
    pub role: String,
    pub status: String,
    pub status_class: String,
    pub deadline: String,
    pub overdue: bool,
    pub external_ref: Option<String>,
    pub deliveries: Vec<DeliveryBlock>,
    pub resendable: bool,
    /// Whose move it is on the conversation, in words; empty when nobody's.
    pub waiting: String,
    pub unread: i32,
    pub messages: Vec<MessageLine>,
}

/// One message of a ticket's conversation.
pub struct MessageLine {
    pub at: String,
    pub who: String,
    pub inbound: bool,
    pub automatic: bool,
    pub unread: bool,
    pub subject: String,
    /// What the writer wrote, line by line.
    pub lines: Vec<String>,
    /// The history quoted below it, folded away.
    pub quoted: String,
    pub files: Vec<(Uuid, String)>,
    /// How an outbound message is getting on: each channel with its state.
    pub sent: Vec<String>,
    /// `dmarc=` of the mail an inbound message came in.
    pub dmarc: Option<String>,
}

pub struct Line {
    pub at: String,
    pub actor: String,
    pub text: String,
    pub detail: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "desk/detail.html")]
struct DetailPage {
    chrome: Chrome,
    who: Who,
    reference: String,
    headline: String,
    /// Where the incident stands, in one line, and what to do next.
    status: String,
    status_class: String,
    standing: String,
    next_action: String,
    /// What the page register says against the report, as one line for the committee.
    register_flag: Option<String>,
    description: String,
    facts: Vec<Fact>,
    reporter: Vec<Fact>,
    page: Vec<Fact>,
    containment: Vec<Line>,
    evidence: Vec<(Uuid, String, String)>,
    tickets: Vec<TicketBlock>,
    /// The conversation with the member who filed the incident.
    member_messages: Vec<MessageLine>,
    /// The member left an email address, so messages to them are also mailed.
    member_mailed: bool,
    timeline: Vec<Line>,
    may_act: bool,
    csrf_token: String,
    next_statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    parties: Vec<Choice>,
    escalate_to: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    done: Option<String>,
}

fn fact(tr: Tr, key: &str, value: Option<String>) -> Option<Fact> {
    value.filter(|v| !v.is_empty()).map(|value| Fact {
        label: tr.t(key),
        value,
    })
}

fn actor(tr: Tr, kind: crate::domain::ActorKind, name: Option<&str>, id: Option<&str>) -> String {
    let who = tr.t(&format!("desk-actor-{kind}"));
    match name.or(id) {
        Some(n) => format!("{who}: {n}"),
        None => who,
    }
}

fn message_line(
    tr: Tr,
    settings: &crate::config::Settings,
    dir: &crate::domain::directory::Directory,
    d: &Dossier,
    m: &crate::usecases::correspondence::MessageRow,
) -> MessageLine {
    let (visible, quoted) = fold_quoted(&m.body);
    let ids = crate::usecases::correspondence::evidence_ids(m);
    // The deliveries that carry this message: its id is in their stored event.
    let needle = m.id.to_string();
    let sent = d
        .deliveries
        .iter()
        .filter(|x| x.event_type == Notice::Event(EventType::TicketMessage))
        .filter(|x| Some(x.ticket_id) == m.ticket_id)
        .filter(|x| {
            x.payload
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        })
        .map(|x| {
            format!(
                "{}: {}",
                tr.t(&format!("desk-channel-{}", x.channel.as_str())),
                tr.t(&format!("desk-delivery-{}", x.status.as_str()))
            )
        })
        .collect();
    let who = match m.author {
        Author::Officer => actor(
            tr,
            crate::domain::ActorKind::Officer,
            m.author_ref.as_deref(),
            None,
        ),
        Author::Member => tr.t("desk-actor-member"),
        Author::Party => m
            .author_ref
            .as_deref()
            .and_then(|p| dir.party(p))
            .map(|p| p.name.get(tr.0).to_owned())
            .or_else(|| m.author_ref.clone())
            .unwrap_or_default(),
    };
    MessageLine {
        at: local_time(settings, tr.0, m.created_at),
        who,
        inbound: m.direction == Direction::Inbound,
        automatic: m.kind == MailKind::AutoReply,
        unread: m.direction == Direction::Inbound && m.read_at.is_none(),
        subject: m.subject.clone(),
        lines: visible.lines().map(str::to_owned).collect(),
        quoted,
        files: d
            .evidence
            .iter()
            .filter(|e| ids.contains(&e.id))
            .map(|e| (e.id, e.file_name.clone()))
            .collect(),
        sent,
        dmarc: m
            .inbound_id
            .and_then(|id| d.mail_auth.iter().find(|(i, _)| *i == id))
            .and_then(|(_, dmarc)| dmarc.clone()),
    }
}

fn build(state: &AppState, desk: &Desk, d: &Dossier, done: Option<String>) -> DetailPage {
    let settings = &state.settings;
    let dir = state.directory.current();
    let tr = desk.tr();
    let locale: Locale = tr.0;
    let i = &d.incident;
    let now = Utc::now();
    let facts = [
        fact(tr, "desk-status", Some(tr.w("status", i.status))),
        fact(tr, "desk-severity", Some(tr.w("severity", i.severity))),
        fact(
            tr,
            "desk-kind",
            Some(tr.t(&format!("form-kind-{}", i.kind))),
        ),
        fact(
            tr,
            "desk-containment",
            Some(tr.t(&format!("desk-containment-{}", i.containment))),
        ),
        fact(
            tr,
            "desk-committee",
            Some(committee_name(&dir, locale, &i.committee_id)),
        ),
        fact(
            tr,
            "desk-detected-at",
            Some(local_time(settings, locale, i.detected_at)),
        ),
        fact(
            tr,
            "desk-reported-at",
            Some(local_time(settings, locale, i.created_at)),
        ),
        fact(tr, "desk-source", Some(tr.w("source", i.source))),
        fact(tr, "desk-duplicate-of", d.duplicate_of.clone()),
        fact(tr, "field-platform_case_ref", i.platform_case_ref.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let reporter = [
        fact(tr, "desk-reporter-name", Some(i.reporter_name.clone())),
        fact(tr, "desk-reporter-email", i.reporter_email.clone()),
        fact(tr, "desk-reporter-phone", i.reporter_phone.clone()),
        fact(
            tr,
            "desk-language",
            Some(tr.w("language", i.reporter_locale.as_str())),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let page = [
        fact(
            tr,
            "field-page-platform",
            Some(tr.w("platform", i.page_platform)),
        ),
        fact(tr, "field-page-url", i.page_url.clone()),
        fact(tr, "field-page-handle", i.page_handle.clone()),
        fact(tr, "field-page-display_name", i.page_display_name.clone()),
        fact(
            tr,
            "field-page-account_type",
            i.page_account_type
                .as_ref()
                .map(|a| tr.w("account_type", a)),
        ),
        fact(tr, "field-page-linked_email", i.page_linked_email.clone()),
        fact(tr, "field-page-linked_phone", i.page_linked_phone.clone()),
        fact(
            tr,
            "field-page-created_on",
            i.page_created_on.as_deref().map(|raw| {
                crate::domain::register::ApproxDate::parse("", raw, chrono::NaiveDate::MAX)
                    .map_or_else(|_| raw.to_owned(), |d| d.display())
            }),
        ),
        fact(tr, "field-page-purpose", i.page_purpose.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let line = |e: &crate::usecases::EventRow| Line {
        at: local_time(settings, locale, e.created_at),
        actor: actor(
            tr,
            e.actor_kind,
            e.actor_name.as_deref(),
            e.actor_id.as_deref(),
        ),
        text: String::new(),
        detail: String::new(),
    };
    let when = |raw: &str| {
        chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| local_time(settings, locale, t.with_timezone(&Utc)))
            .unwrap_or_else(|_| raw.to_owned())
    };
    let line = |e: &crate::usecases::EventRow| {
        let (text, detail) = super::sentence::said(tr, &dir, &d.tickets, e, &when);
        Line {
            text,
            detail,
            ..line(e)
        }
    };
    let containment = d
        .events
        .iter()
        .filter(|e| {
            [
                TimelineEvent::ContainmentChanged,
                TimelineEvent::IncidentReported,
            ]
            .contains(&e.event_type)
        })
        .map(line)
        .collect();
    // The tickets the service opened, and the parties it notified, at one moment read as
    // one line each.
    let mut timeline: Vec<Line> = Vec::new();
    let mut run: Option<(TimelineEvent, Line, Vec<String>)> = None;
    let flush = |run: Option<(TimelineEvent, Line, Vec<String>)>, out: &mut Vec<Line>| {
        if let Some((kind, first, parties)) = run {
            out.push(Line {
                text: super::sentence::said_of_many(tr, kind, &parties),
                ..first
            });
        }
    };
    for e in &d.events {
        let l = line(e);
        if !matches!(
            e.event_type,
            TimelineEvent::TicketOpened | TimelineEvent::TicketNotified
        ) {
            flush(run.take(), &mut timeline);
            timeline.push(l);
            continue;
        }
        let party = super::sentence::party_of(tr, &dir, &d.tickets, e);
        match &mut run {
            Some((kind, first, parties))
                if *kind == e.event_type && first.at == l.at && first.actor == l.actor =>
            {
                if !parties.contains(&party) {
                    parties.push(party)
                }
            }
            _ => {
                flush(run.take(), &mut timeline);
                run = Some((e.event_type, l, vec![party]));
            }
        }
    }
    flush(run, &mut timeline);
    let tickets = d
        .tickets
        .iter()
        .map(|t| {
            let open = t.status.is_open();
            let overdue = open && t.deadline_at < now && t.paused_at.is_none();
            let deliveries: Vec<DeliveryBlock> = d
                .deliveries
                .iter()
                .filter(|x| x.ticket_id == t.id)
                .map(|x| DeliveryBlock {
                    tried: tr.t1(
                        "desk-delivery-attempts",
                        "count",
                        &d.attempts
                            .iter()
                            .filter(|a| a.delivery_id == x.id)
                            .count()
                            .to_string(),
                    ),
                    channel: x.channel,
                    target: x.target.clone(),
                    status: x.status,
                    next_attempt: if x.status == DeliveryStatus::Pending {
                        local_time(settings, locale, x.next_attempt_at)
                    } else {
                        String::new()
                    },
                    attempts: d
                        .attempts
                        .iter()
                        .filter(|a| a.delivery_id == x.id)
                        .map(|a| attempt_line(settings, locale, a))
                        .collect(),
                })
                .collect();
            TicketBlock {
                id: t.id,
                party: dir.name_of(&t.party_id, locale),
                role: tr.t(&format!("role-{}", t.role)),
                status: tr.t(&format!("ticket-{}", t.status)),
                status_class: if overdue {
                    "state-overdue".into()
                } else {
                    format!("state-{}", t.status)
                },
                deadline: local_time(settings, locale, t.deadline_at),
                overdue,
                external_ref: t.external_ref.clone(),
                resendable: deliveries
                    .iter()
                    .any(|x| x.status == DeliveryStatus::Failed),
                deliveries,
                waiting: match t.waiting {
                    Waiting::Nobody => String::new(),
                    other => tr.t(&format!(
                        "desk-waiting-{}",
                        other.as_str().replace('_', "-")
                    )),
                },
                unread: t.unread,
                messages: d
                    .messages
                    .iter()
                    .filter(|m| m.ticket_id == Some(t.id))
                    .map(|m| message_line(tr, settings, &dir, d, m))
                    .collect(),
            }
        })
        .collect();
    let current = Some(i.status);
    let next_statuses = current
        .map(|s| s.allowed_next())
        .unwrap_or_default()
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: tr.w("status", s.as_str()),
        })
        .collect();
    let reasons = RejectReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: tr.t(&format!("desk-reason-{r}")),
        })
        .collect();
    // The committees above the incident's, then every authority and provider: a tree of
    // thousands of units is never listed whole.
    let mut above = dir.path(&i.committee_id);
    above.pop();
    let parties = above
        .into_iter()
        .chain(dir.of_kind(crate::domain::routing::PartyKind::Authority))
        .chain(dir.of_kind(crate::domain::routing::PartyKind::Provider))
        .filter(|p| p.is_enabled())
        .filter(|p| !d.tickets.iter().any(|t| t.party_id == p.id))
        .map(|p| Choice {
            value: p.id.clone(),
            label: format!(
                "{} ({})",
                p.name.get(locale),
                tr.t(&format!("role-{}", p.kind.as_str()))
            ),
        })
        .collect();
    let escalate_to = dir
        .enabled_parent(&i.committee_id)
        .map(|c| c.id.clone())
        .filter(|parent| !d.tickets.iter().any(|t| &t.party_id == parent))
        .map(|parent| committee_name(&dir, locale, &parent));
    DetailPage {
        chrome: desk.chrome(
            "desk-detail-title",
            &format!("/desk/incidents/{}", i.reference),
        ),
        who: Who::of(desk),
        status: tr.w("status", i.status),
        status_class: format!("state-{}", i.status),
        standing: crate::domain::i18n::text_with(
            locale,
            "desk-standing",
            &[
                (
                    "containment",
                    &tr.t(&format!("desk-containment-{}", i.containment)),
                ),
                (
                    "acknowledged",
                    &d.tickets
                        .iter()
                        .filter(|t| {
                            !matches!(
                                t.status,
                                crate::domain::TicketStatus::Pending
                                    | crate::domain::TicketStatus::Notified
                                    | crate::domain::TicketStatus::Failed
                            )
                        })
                        .count()
                        .to_string(),
                ),
                ("count", &d.tickets.len().to_string()),
            ],
        ),
        next_action: super::sentence::next_action(tr, &dir, i, &d.tickets, now),
        reference: i.reference.clone(),
        headline: format!(
            "{} · {}",
            tr.t(&format!("form-kind-{}", i.kind)),
            i.page_url
                .clone()
                .or_else(|| i.page_handle.clone())
                .unwrap_or_default()
        ),
        register_flag: i
            .register_flag
            .map(|f| tr.t(&format!("desk-register-flag-{}", f.as_str()))),
        description: i.description.clone(),
        facts,
        reporter,
        page,
        containment,
        evidence: d
            .evidence
            .iter()
            .map(|e| {
                (
                    e.id,
                    e.file_name.clone(),
                    format!(
                        "{}, {}",
                        e.content_type,
                        crate::http::member::track::size(locale, e.size_bytes)
                    ),
                )
            })
            .collect(),
        tickets,
        member_messages: d
            .messages
            .iter()
            .filter(|m| m.ticket_id.is_none())
            .map(|m| message_line(tr, settings, &dir, d, m))
            .collect(),
        member_mailed: i.reporter_email.is_some(),
        timeline,
        may_act: desk.may_act(),
        csrf_token: desk.csrf_token.clone(),
        next_statuses,
        reasons,
        parties,
        escalate_to,
        done: done
            .filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .and_then(|d| crate::domain::i18n::try_text(locale, &format!("desk-done-{d}"))),
    }
}

pub async fn load(
    req: &HttpRequest,
    state: &AppState,
    desk: &Desk,
    reference: &str,
) -> Result<Dossier, PageError> {
    let Some(key) = IncidentKey::parse(reference) else {
        return Err(PageError::from(page::message(
            req,
            StatusCode::NOT_FOUND,
            "track-missing-title",
            &["desk-not-found"],
        )));
    };
    match queries::dossier(&state.db, &desk.scope, &key).await {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(PageError::from(page::message(
            req,
            StatusCode::NOT_FOUND,
            "track-missing-title",
            &["desk-not-found"],
        ))),
        Err(error) => Err(PageError::broken(
            anyhow::Error::new(error).context("could not load an incident for the desk"),
        )),
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let d = load(&req, &state, &desk, &path).await?;
    let page = build(&state, &desk, &d, query.into_inner().done);
    // The page shows every message: an officer who opened it has read them.
    let unread: Vec<Uuid> = d
        .tickets
        .iter()
        .filter(|t| t.unread > 0)
        .map(|t| t.id)
        .collect();
    if page.may_act
        && !unread.is_empty()
        && let Err(error) = crate::usecases::correspondence::mark_read(&state.db, &unread).await
    {
        tracing::warn!(%error, "could not mark messages read");
    }
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

/// An evidence file, as a download (never shown inline).
pub async fn evidence(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let (reference, id) = path.into_inner();
    let Some(key) = IncidentKey::parse(&reference) else {
        return Ok(page::message(
            &req,
            StatusCode::NOT_FOUND,
            "track-missing-title",
            &["desk-not-found"],
        ));
    };
    let found = queries::evidence_file(&state.db, &desk.scope, &key, id).await;
    let row = match found {
        Ok(Some(row)) => row,
        Ok(None) => {
            return Ok(page::message(
                &req,
                StatusCode::NOT_FOUND,
                "track-missing-title",
                &["desk-not-found"],
            ));
        }
        Err(error) => {
            return Err(PageError::broken(
                anyhow::Error::new(error).context("could not look evidence up"),
            ));
        }
    };
    Ok(match state.files.read(&row.sha256).await {
        Ok(bytes) => HttpResponse::Ok()
            .content_type(row.content_type.as_str())
            .insert_header((
                "Content-Disposition",
                format!(
                    "attachment; filename=\"{}\"",
                    row.file_name.replace(['"', '\\'], "_")
                ),
            ))
            .insert_header(("Content-Security-Policy", "sandbox; default-src 'none'"))
            .insert_header(("Cache-Control", "no-store"))
            .body(bytes),
        Err(error) => {
            tracing::error!(%error, "an evidence file is missing from the store");
            page::message(
                &req,
                StatusCode::NOT_FOUND,
                "track-missing-title",
                &["desk-evidence-missing"],
            )
        }
    })
}
