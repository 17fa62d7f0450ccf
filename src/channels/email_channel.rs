//! The email channel: renders a delivery's stored event for its party, in the party's
//! language, with a signed acknowledge link, threaded per ticket, and sends it. The
//! reporter's confirmation is written in the member's own language.

use askama::Template;
use chrono::{TimeDelta, Utc};
use secrecy::ExposeSecret;

use super::{
    ack_link::AckKey,
    email::{EmailOutcome, EmailSender, MailFile, OutgoingEmail, RenderedEmail, render},
};
use crate::{
    config::Settings,
    domain::Locale,
    domain::correspondence::{ReplyKey, ReplyTo},
    domain::delivery::{Notice, SendOutcome},
    domain::i18n::{Tr, text, text_with, word},
    domain::routing::{PartyKind, told_to_member},
    domain::webhook::EventType,
    storage::{deliveries::DeliveryRow, files::FileStore, tickets::TicketRow},
};

pub struct EmailChannel {
    sender: EmailSender,
    ack: AckKey,
    reply: ReplyKey,
    files: Option<FileStore>,
}

impl EmailChannel {
    pub fn new(settings: &Settings, ack: AckKey, reply: ReplyKey) -> anyhow::Result<Self> {
        let sender = EmailSender::new(
            settings.email.smtp_url.expose_secret(),
            &settings.email.from,
            settings.email.timeout,
        )?;
        Ok(Self {
            sender,
            ack,
            reply,
            files: None,
        })
    }

    /// The evidence folder, from which messages' attachments are read.
    pub fn with_files(mut self, files: FileStore) -> Self {
        self.files = Some(files);
        self
    }

    /// The plus-address replies to this conversation go to, when a reply mailbox is set.
    fn reply_to(&self, settings: &Settings, to: ReplyTo) -> Option<String> {
        let mailbox = settings.email.reply_mailbox()?;
        Some(mailbox.address(&self.reply.token(to)))
    }

    /// The relay's sender, for mail that is not a party's notification.
    pub fn sender(&self) -> &EmailSender {
        &self.sender
    }

    /// The link that acknowledges `ticket`, valid for the configured time.
    pub fn ack_url(&self, settings: &Settings, ticket: &TicketRow) -> String {
        let ttl = TimeDelta::from_std(settings.tickets.ack_link_ttl).unwrap_or(TimeDelta::days(14));
        format!(
            "{}/ack/{}",
            settings.public_base_url.trim_end_matches('/'),
            self.ack.token(ticket.id, Utc::now() + ttl)
        )
    }

    /// The reporter's confirmation, in the language the member chose, carrying the fresh
    /// tracking token issued for this send (stored only as a digest), so that no tracking
    /// token ever sits in the outbox.
    pub async fn send_confirmation(
        &self,
        settings: &Settings,
        dir: &crate::domain::directory::Directory,
        delivery: &DeliveryRow,
        locale: Locale,
        token: &str,
    ) -> SendOutcome {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(&delivery.payload) else {
            return failed("stored payload is not JSON");
        };
        let incident = &event["data"]["incident"];
        let as_text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let page = incident["page"]["url"]
            .as_str()
            .or(incident["page"]["handle"].as_str())
            .unwrap_or_default()
            .to_owned();
        // The parties the report's tickets went to, named as the directory names them
        // now (a confirmation queued before it carried them says nothing of them).
        let committee = incident["committee"].as_str().unwrap_or_default();
        let notified: Vec<(&str, PartyKind)> = event["data"]["notified"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| {
                let kind = serde_json::from_value(n["role"].clone()).ok()?;
                Some((n["party"].as_str()?, kind))
            })
            .collect();
        let view = ReporterMail {
            tr: Tr(locale),
            reference: as_text(&incident["reference"]),
            page,
            kind: word(locale, "kind", &as_text(&incident["kind"])),
            notified: if notified.is_empty() {
                Vec::new()
            } else {
                told_to_member(dir, locale, committee, notified)
            },
            tracking_url: format!(
                "{}/track/{token}",
                settings.public_base_url.trim_end_matches('/')
            ),
        };
        let (Ok(plain), Ok(html)) = (
            ReporterText { v: &view }.render(),
            ReporterHtml { v: &view }.render(),
        ) else {
            return failed("could not render the confirmation");
        };
        let domain = &settings.email.message_id_domain;
        let email = OutgoingEmail {
            to: vec![delivery.target.clone()],
            subject: format!(
                "[{}] {}",
                view.reference,
                text(locale, "email-reporter-subject")
            ),
            text: plain,
            html,
            message_id: format!("{}@{domain}", delivery.id),
            in_reply_to: None,
            references: Vec::new(),
            reply_to: incident["id"]
                .as_str()
                .and_then(|id| uuid::Uuid::parse_str(id).ok())
                .and_then(|id| self.reply_to(settings, ReplyTo::Incident(id))),
            attachments: Vec::new(),
        };
        outcome_of(self.sender.send(&email).await)
    }

    /// A party's notification; the member's confirmation goes by [`Self::send_confirmation`].
    pub async fn send(
        &self,
        settings: &Settings,
        dir: &crate::domain::directory::Directory,
        delivery: &DeliveryRow,
        ticket: &TicketRow,
    ) -> SendOutcome {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(&delivery.payload) else {
            return SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "stored payload is not JSON".to_owned(),
            };
        };
        let Some(party) = dir.party(&ticket.party_id) else {
            return SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "the party is no longer in the directory".to_owned(),
            };
        };
        let open = ticket.status.is_open();
        let ack_url = open.then(|| self.ack_url(settings, ticket));
        let is_message = delivery.event_type == Notice::Event(EventType::TicketMessage);
        let (rendered, attachments) = if is_message {
            match self.message(party.locale, &event, ack_url.as_deref()).await {
                Ok(done) => done,
                Err(error) => return failed(&error),
            }
        } else {
            (
                render(party.kind, party.locale, &event, ack_url.as_deref()),
                Vec::new(),
            )
        };
        let domain = &settings.email.message_id_domain;
        // The first message to a party starts its thread; every later one replies to it.
        let root = format!("ticket-{}@{domain}", ticket.id);
        let first = delivery.event_type == Notice::Event(EventType::IncidentReported);
        let message_id = if first {
            root.clone()
        } else {
            format!("{}@{domain}", delivery.id)
        };
        let email = OutgoingEmail {
            to: delivery
                .target
                .split(',')
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id,
            in_reply_to: (!first).then(|| root.clone()),
            references: if first { Vec::new() } else { vec![root] },
            reply_to: self.reply_to(settings, ReplyTo::Ticket(ticket.id)),
            attachments,
        };
        outcome_of(self.sender.send(&email).await)
    }
}

impl EmailChannel {
    /// An officer's message to the party: its text, the case it is about, how to answer,
    /// and the evidence files chosen, attached.
    async fn message(
        &self,
        locale: Locale,
        event: &serde_json::Value,
        ack_url: Option<&str>,
    ) -> Result<(RenderedEmail, Vec<MailFile>), String> {
        let data = &event["data"];
        let as_text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let reference = as_text(&data["incident"]["reference"]);
        let body = as_text(&data["message"]["body"]);
        let files: Vec<&serde_json::Value> = data["message"]["evidence"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mut attachments = Vec::new();
        for file in &files {
            let Some(store) = &self.files else {
                return Err("the evidence folder is not available to the email channel".to_owned());
            };
            let bytes = store
                .read(&as_text(&file["sha256"]))
                .await
                .map_err(|e| format!("could not read an attachment: {e}"))?;
            attachments.push(MailFile {
                name: as_text(&file["name"]),
                content_type: as_text(&file["content_type"]),
                bytes,
            });
        }
        let view = MessageMail {
            tr: Tr(locale),
            reference: reference.clone(),
            lines: body.lines().map(str::to_owned).collect(),
            body,
            ack_url,
            ack_href: ack_url.filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            files: attachments.iter().map(|f| f.name.clone()).collect(),
        };
        let (Ok(text), Ok(html)) = (
            MessageText { v: &view }.render(),
            MessageHtml { v: &view }.render(),
        ) else {
            return Err("could not render the message".to_owned());
        };
        let subject = as_text(&data["message"]["subject"]);
        let tag = format!("[{reference}]");
        let subject = if subject.contains(&tag) {
            subject
        } else {
            format!("{tag} {subject}")
        };
        Ok((
            RenderedEmail {
                subject,
                text,
                html,
            },
            attachments,
        ))
    }
}

impl EmailChannel {
    /// News of the incident for the member, in their language, with a fresh tracking
    /// token issued for this send and the incident's reply address.
    pub async fn send_member_update(
        &self,
        settings: &Settings,
        delivery: &DeliveryRow,
        locale: Locale,
        token: &str,
    ) -> SendOutcome {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(&delivery.payload) else {
            return failed("stored payload is not JSON");
        };
        let data = &event["data"];
        let as_text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let reference = as_text(&data["incident"]["reference"]);
        let update = as_text(&data["update"]);
        let detail = &data["detail"];
        let party = match locale {
            Locale::Vi => as_text(&detail["name_vi"]),
            Locale::En => as_text(&detail["name_en"]),
        };
        let status = word(locale, "status", &as_text(&detail["to"]));
        let headline = text_with(
            locale,
            &format!("email-update-{update}"),
            &[
                ("reference", reference.as_str()),
                ("status", status.as_str()),
                ("party", party.as_str()),
            ],
        );
        let said = match update.as_str() {
            "shared_note" => as_text(&detail["text"]),
            "officer_message" => as_text(&detail["body"]),
            _ => String::new(),
        };
        let view = UpdateMail {
            tr: Tr(locale),
            headline,
            lines: said.lines().map(str::to_owned).collect(),
            tracking_url: format!(
                "{}/track/{token}",
                settings.public_base_url.trim_end_matches('/')
            ),
        };
        let (Ok(plain), Ok(html)) = (
            UpdateText { v: &view }.render(),
            UpdateHtml { v: &view }.render(),
        ) else {
            return failed("could not render the member's update");
        };
        let subject = match update.as_str() {
            "officer_message" => as_text(&detail["subject"]),
            _ => text(locale, "email-update-subject"),
        };
        let tag = format!("[{reference}]");
        let subject = if subject.contains(&tag) {
            subject
        } else {
            format!("{tag} {subject}")
        };
        let domain = &settings.email.message_id_domain;
        let email = OutgoingEmail {
            to: vec![delivery.target.clone()],
            subject,
            text: plain,
            html,
            message_id: format!("{}@{domain}", delivery.id),
            in_reply_to: None,
            references: Vec::new(),
            reply_to: data["incident"]["id"]
                .as_str()
                .and_then(|id| uuid::Uuid::parse_str(id).ok())
                .and_then(|id| self.reply_to(settings, ReplyTo::Incident(id))),
            attachments: Vec::new(),
        };
        outcome_of(self.sender.send(&email).await)
    }
}

struct UpdateMail {
    tr: Tr,
    headline: String,
    lines: Vec<String>,
    tracking_url: String,
}

#[derive(Template)]
#[template(path = "email/member_update.txt", escape = "none")]
struct UpdateText<'a> {
    v: &'a UpdateMail,
}

#[derive(Template)]
#[template(path = "email/member_update.html")]
struct UpdateHtml<'a> {
    v: &'a UpdateMail,
}

struct MessageMail<'a> {
    tr: Tr,
    reference: String,
    body: String,
    lines: Vec<String>,
    ack_url: Option<&'a str>,
    ack_href: Option<&'a str>,
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "email/message.txt", escape = "none")]
struct MessageText<'a> {
    v: &'a MessageMail<'a>,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct MessageHtml<'a> {
    v: &'a MessageMail<'a>,
}

struct ReporterMail {
    tr: Tr,
    reference: String,
    page: String,
    kind: String,
    notified: Vec<String>,
    tracking_url: String,
}

#[derive(Template)]
#[template(path = "email/reporter.txt", escape = "none")]
struct ReporterText<'a> {
    v: &'a ReporterMail,
}

#[derive(Template)]
#[template(path = "email/reporter.html")]
struct ReporterHtml<'a> {
    v: &'a ReporterMail,
}

fn failed(error: &str) -> SendOutcome {
    SendOutcome::Failed {
        status: None,
        reply: String::new(),
        error: error.to_owned(),
    }
}

fn outcome_of(outcome: EmailOutcome) -> SendOutcome {
    match outcome {
        EmailOutcome::Delivered { reply } => SendOutcome::Delivered {
            status: None,
            reply,
        },
        EmailOutcome::Retry { reply } => SendOutcome::Retry {
            status: None,
            error: reply.clone(),
            reply,
            at_least: None,
        },
        EmailOutcome::Failed { reply } => SendOutcome::Failed {
            status: None,
            error: reply.clone(),
            reply,
        },
    }
}
