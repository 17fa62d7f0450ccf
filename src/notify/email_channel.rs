//! The email channel: renders a delivery's stored event for its party, in the party's
//! language, with a signed acknowledge link, threaded per ticket, and sends it.

use chrono::{TimeDelta, Utc};
use secrecy::ExposeSecret;

use super::{
    ack_link::AckKey,
    email::{EmailOutcome, EmailSender, OutgoingEmail, render},
    outcome::SendOutcome,
};
use crate::{
    config::Settings,
    storage::{deliveries::DeliveryRow, tickets::TicketRow},
};

pub struct EmailChannel {
    sender: EmailSender,
    ack: AckKey,
}

impl EmailChannel {
    pub fn new(settings: &Settings, ack: AckKey) -> anyhow::Result<Self> {
        let sender = EmailSender::new(
            settings.email.smtp_url.expose_secret(),
            &settings.email.from,
            settings.email.timeout,
        )?;
        Ok(Self { sender, ack })
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

    pub async fn send(
        &self,
        settings: &Settings,
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
        let Some(party) = settings.party(&ticket.party_id) else {
            return SendOutcome::Failed {
                status: None,
                reply: String::new(),
                error: "the party is no longer configured".to_owned(),
            };
        };
        let open = matches!(ticket.status.as_str(), "pending" | "notified" | "failed");
        let ack_url = open.then(|| self.ack_url(settings, ticket));
        let rendered = render(
            party.kind,
            party.settings.locale,
            &event,
            ack_url.as_deref(),
        );
        let domain = &settings.email.message_id_domain;
        // The first message to a party starts its thread; every later one replies to it.
        let root = format!("ticket-{}@{domain}", ticket.id);
        let first = delivery.event_type == "incident.reported";
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
        };
        match self.sender.send(&email).await {
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
}
