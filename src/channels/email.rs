//! Email to parties: rendering in the party's language and delivery over SMTP.

mod formats;
mod render;
#[cfg(test)]
mod tests;

use std::{
    error::Error as _,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Attachment, Mailbox, MultiPart, header::ContentType},
    transport::smtp::{self, AsyncSmtpTransportBuilder, response::Severity},
};

pub use render::{RenderedEmail, render};

/// Longest SMTP reply kept on an attempt.
const MAX_REPLY_CHARS: usize = 2_000;

/// Most connections kept open to the relay at once.
const POOL_SIZE: u32 = 10;

/// One message to send. Ids are given without angle brackets, e.g. `0190…@incident-desk`.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Where replies go: the conversation's own plus-address.
    pub reply_to: Option<String>,
    pub attachments: Vec<MailFile>,
}

/// A file sent with an email.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What became of one attempt, with the server's reply (or the error) as text.
#[derive(Debug, Clone, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum EmailOutcome {
    /// The server took the message (2xx).
    Delivered { reply: String },
    /// Worth trying again later: a 4xx reply, or the server could not be reached.
    Retry { reply: String },
    /// The server refused the message for good (5xx), or it cannot be built.
    Failed { reply: String },
}

impl EmailOutcome {
    pub fn reply(&self) -> &str {
        match self {
            Self::Delivered { reply } | Self::Retry { reply } | Self::Failed { reply } => reply,
        }
    }

    fn label(&self) -> &'static str {
        self.into()
    }
}

/// Sends email through one SMTP relay over a pool of connections; clones share the pool.
#[derive(Debug, Clone)]
pub struct EmailSender {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    builder: AsyncSmtpTransportBuilder,
    pool: Mutex<Pool>,
    from: Mailbox,
    timeout: Duration,
}

#[derive(Debug)]
struct Pool {
    generation: u64,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl EmailSender {
    /// `smtp_url` is `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS)
    /// or `smtps://host:port` (implicit TLS), with optional `user:pass@`. `timeout` bounds
    /// a whole attempt, from connecting to the server's last reply. Must be called inside
    /// a Tokio runtime.
    pub fn new(smtp_url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().context(
            "the sender address is not a valid mailbox (expected `user@host` or `Name <user@host>`)",
        )?;
        // The URL may hold a password, so no error below repeats it.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .context(
                "invalid SMTP URL (expected smtp://host:port, smtp://host:port?tls=required \
                 or smtps://host:port)",
            )?
            .timeout(Some(timeout))
            .pool_config(smtp::PoolConfig::new().max_size(POOL_SIZE));
        // The pool spawns its cleanup task on build.
        tokio::runtime::Handle::try_current()
            .context("the SMTP connection pool needs a Tokio runtime")?;
        let pool = Pool {
            generation: 0,
            transport: builder.clone().build(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                builder,
                pool: Mutex::new(pool),
                from,
                timeout,
            }),
        })
    }

    /// Sends `email` once. Never logs an address: recipients are counted, not named.
    #[tracing::instrument(
        skip_all,
        fields(message_id = %email.message_id, recipients = email.to.len())
    )]
    pub async fn send(&self, email: &OutgoingEmail) -> EmailOutcome {
        let started = std::time::Instant::now();
        let outcome = match self.message(email) {
            Ok(message) => self.deliver(message).await,
            Err(problem) => EmailOutcome::Failed {
                reply: clip(problem),
            },
        };
        tracing::info!(
            outcome = outcome.label(),
            millis = started.elapsed().as_millis() as u64,
            "email attempt"
        );
        outcome
    }

    async fn deliver(&self, message: Message) -> EmailOutcome {
        let (generation, transport) = {
            let pool = self.pool();
            (pool.generation, pool.transport.clone())
        };
        // lettre's async transport bounds only the TCP connect, so a server that stops
        // answering would hold this attempt forever.
        match tokio::time::timeout(self.inner.timeout, transport.send(message)).await {
            Ok(Ok(response)) => EmailOutcome::Delivered {
                reply: clip(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
            },
            Ok(Err(error)) => classify(&error),
            Err(_) => {
                self.replace_pool(generation);
                EmailOutcome::Retry {
                    reply: format!(
                        "no answer from the SMTP server within {}",
                        humantime::format_duration(self.inner.timeout)
                    ),
                }
            }
        }
    }

    /// lettre parks a connection cut off mid-dialogue as if it were idle, where its late
    /// replies would answer the next message's commands; so the whole pool goes.
    fn replace_pool(&self, generation: u64) {
        let mut pool = self.pool();
        if pool.generation != generation {
            return;
        }
        let fresh = self.inner.builder.clone().build();
        let stale = std::mem::replace(&mut pool.transport, fresh);
        pool.generation += 1;
        tokio::spawn(async move { stale.shutdown().await });
    }

    fn pool(&self) -> MutexGuard<'_, Pool> {
        self.inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn message(&self, email: &OutgoingEmail) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.inner.from.clone())
            .subject(one_line(&email.subject))
            .message_id(Some(message_id(&email.message_id)?));
        for (i, to) in email.to.iter().enumerate() {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|e| format!("recipient {} is not a valid address: {e}", i + 1))?;
            builder = builder.to(mailbox);
        }
        if let Some(reply_to) = &email.reply_to {
            let mailbox: Mailbox = reply_to
                .parse()
                .map_err(|e| format!("the reply address is not valid: {e}"))?;
            builder = builder.reply_to(mailbox);
        }
        if let Some(parent) = &email.in_reply_to {
            builder = builder.in_reply_to(message_id(parent)?);
        }
        if !email.references.is_empty() {
            let ids: Vec<String> = email
                .references
                .iter()
                .map(|id| message_id(id))
                .collect::<Result<_, _>>()?;
            builder = builder.references(ids.join(" "));
        }
        let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
        let body = if email.attachments.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for file in &email.attachments {
                let content_type = ContentType::parse(&file.content_type)
                    .map_err(|e| format!("attachment {} has no valid type: {e}", file.name))?;
                mixed = mixed.singlepart(
                    Attachment::new(one_line(&file.name)).body(file.bytes.clone(), content_type),
                );
            }
            mixed
        };
        builder
            .multipart(body)
            .map_err(|e| format!("the message cannot be built: {e}"))
    }
}

/// A subject holds payload text; lettre would keep its line breaks, encoded, where a reader
/// expects one line.
fn one_line(header: &str) -> String {
    header
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `id` in angle brackets, refused unless it is one `left@right` token: it goes into headers.
fn message_id(id: &str) -> Result<String, String> {
    let valid = id
        .split_once('@')
        .is_some_and(|(left, right)| !left.is_empty() && !right.is_empty() && !right.contains('@'))
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\' | '(' | ')'));
    if valid {
        Ok(format!("<{id}>"))
    } else {
        Err(format!(
            "message id `{id}` is not of the form left@right without brackets or spaces"
        ))
    }
}

fn classify(error: &smtp::Error) -> EmailOutcome {
    let Some(code) = error.status() else {
        // Connection refused, timeouts, TLS and broken replies: the relay may recover.
        return EmailOutcome::Retry {
            reply: clip(error.to_string()),
        };
    };
    let text = error.source().map(|s| s.to_string()).unwrap_or_default();
    let reply = clip(format!("{code} {text}").trim_end().to_owned());
    match code.severity {
        Severity::PermanentNegativeCompletion => EmailOutcome::Failed { reply },
        _ => EmailOutcome::Retry { reply },
    }
}

fn clip(mut reply: String) -> String {
    if let Some((at, _)) = reply.char_indices().nth(MAX_REPLY_CHARS) {
        reply.truncate(at);
    }
    reply
}
