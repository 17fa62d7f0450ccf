//! Mail to members from the page register: a sign-in link they asked for, a committee's
//! declaration request, and its reminder. Written in the member's language; the link is
//! the one thing to act on, and the mail says how long it works and that it works once.

use askama::Template;
use chrono::{DateTime, Utc};

use super::email::{EmailOutcome, EmailSender, OutgoingEmail};
use crate::domain::{
    delivery::SendOutcome,
    i18n::{Tr, text},
    register::{MailJob, MemberMailKind},
};

struct MemberMailView {
    tr: Tr,
    kind: MemberMailKind,
    link: String,
    /// When the link stops working, in Vietnam's time.
    expires: String,
    committee: String,
    deadline: String,
    message: String,
}

impl MemberMailView {
    fn is_sign_in(&self) -> bool {
        self.kind == MemberMailKind::SignIn
    }

    fn is_reminder(&self) -> bool {
        self.kind == MemberMailKind::Reminder
    }
}

#[derive(Template)]
#[template(path = "email/member.txt")]
struct MemberText<'a> {
    v: &'a MemberMailView,
}

#[derive(Template)]
#[template(path = "email/member.html")]
struct MemberHtml<'a> {
    v: &'a MemberMailView,
}

fn vietnam_time(at: DateTime<Utc>) -> String {
    (at + chrono::TimeDelta::hours(7))
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// Renders and sends one member mail through `sender`.
pub async fn send(sender: &EmailSender, domain: &str, job: &MailJob) -> SendOutcome {
    let view = MemberMailView {
        tr: Tr(job.locale),
        kind: job.kind,
        link: job.link.clone().unwrap_or_default(),
        expires: job.link_expires_at.map(vietnam_time).unwrap_or_default(),
        committee: job.committee.clone().unwrap_or_default(),
        deadline: job.deadline.map(vietnam_time).unwrap_or_default(),
        message: job.message.clone().unwrap_or_default(),
    };
    let (Ok(plain), Ok(html)) = (
        MemberText { v: &view }.render(),
        MemberHtml { v: &view }.render(),
    ) else {
        return SendOutcome::Failed {
            status: None,
            reply: String::new(),
            error: "could not render the member mail".to_owned(),
        };
    };
    let subject_key = match job.kind {
        MemberMailKind::SignIn => "email-member-sign-in-subject",
        MemberMailKind::Request => "email-member-request-subject",
        MemberMailKind::Reminder => "email-member-reminder-subject",
    };
    let email = OutgoingEmail {
        to: vec![job.to.clone()],
        subject: text(job.locale, subject_key),
        text: plain,
        html,
        message_id: format!("member-{}@{domain}", job.id),
        in_reply_to: None,
        references: Vec::new(),
        reply_to: None,
        attachments: Vec::new(),
    };
    match sender.send(&email).await {
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
