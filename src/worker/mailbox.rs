//! The IMAP poller: the third way in for mail, for organisations whose mail is hosted. Each
//! round takes every message waiting in the folder, oldest first, through the inbound
//! pipeline, and moves it out only after the pipeline has answered:
//!
//! - stored (or stored before, a duplicate): moved to `processed_folder`;
//! - refused for good (not a message, no sender, too large): moved to `failed_folder`, where a
//!   person can still read it;
//! - not stored (the database or the evidence folder failed): left where it is, and taken
//!   again next round.
//!
//! So a fault delays mail but never loses it; a move that fails after the message was stored
//! leaves it in the folder, and the next round finds it a duplicate and moves it then.
//! Between rounds the poller waits with IDLE when the server has it (new mail starts a round
//! at once), else it logs out and polls again after `interval`. Connection errors are retried
//! with a growing pause. Only counts are logged, never an address or a message.

use std::{sync::Arc, time::Duration};

use tokio::sync::watch;

use crate::{
    channels::imap::{Folder, ImapError, Mailbox, Session, Waiting, Woken},
    config::{ImapSettings, Settings},
    domain::correspondence::{InboundVia, ReplyKey},
    usecases::{
        Database, FileStore,
        correspondence::{self, MailWriter, Mailroom, ReceiveError},
        directory::DirectoryCache,
        outbox::Outbox,
    },
};

/// The longest pause between attempts to reach an unreachable server.
const LONGEST_BACKOFF: Duration = Duration::from_secs(300);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    /// Messages stored and moved to the processed folder.
    pub stored: usize,
    /// Messages stored before (same bytes or Message-ID), moved to the processed folder.
    pub duplicates: usize,
    /// Messages the pipeline refused for good, moved to the failed folder.
    pub refused: usize,
    /// Messages that could not be stored, left in the folder for the next round.
    pub left: usize,
}

impl Polled {
    /// Nothing was waiting.
    pub fn is_idle(&self) -> bool {
        *self == Self::default()
    }
}

/// What became of one message.
enum Fate {
    Stored,
    Duplicate,
    Refused,
    Left,
    /// Someone else took it out of the folder meanwhile.
    Gone,
}

pub struct MailboxPoller {
    mailbox: Mailbox,
    idle: bool,
    interval: Duration,
    parts: PollerParts,
}

/// What the poller hands each message to: the parts of the inbound mail pipeline.
pub struct PollerParts {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub directory: DirectoryCache,
    pub outbox: Outbox,
    pub files: FileStore,
    pub reply: ReplyKey,
    pub writer: MailWriter,
}

/// The poller running in the background.
pub struct MailboxHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl MailboxHandle {
    /// Stops after the message in hand is stored and moved.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl MailboxPoller {
    pub fn new(imap: &ImapSettings, parts: PollerParts) -> anyhow::Result<Self> {
        Ok(Self {
            mailbox: Mailbox::new(imap)?,
            idle: imap.idle,
            interval: imap.interval,
            parts,
        })
    }

    /// One round on a new session: every waiting message is stored and moved, refused and
    /// moved, or left, when this returns.
    pub async fn poll_once(&self) -> Result<Polled, ImapError> {
        let mut session = self.mailbox.open().await?;
        let polled = self.round(&mut session, None).await;
        session.logout().await;
        polled
    }

    pub fn spawn(self) -> MailboxHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        MailboxHandle { stop, task }
    }

    /// Takes every waiting message, or stops between two when `stopped` turns true (the
    /// rest wait in the folder).
    async fn round(
        &self,
        session: &mut Session,
        stopped: Option<&watch::Receiver<bool>>,
    ) -> Result<Polled, ImapError> {
        session.mail_arrived();
        let mut polled = Polled::default();
        for message in session.waiting().await? {
            if stopped.is_some_and(|stopped| *stopped.borrow()) {
                break;
            }
            match self.take(session, message).await? {
                Fate::Stored => polled.stored += 1,
                Fate::Duplicate => polled.duplicates += 1,
                Fate::Refused => polled.refused += 1,
                Fate::Left => polled.left += 1,
                Fate::Gone => {}
            }
        }
        Ok(polled)
    }

    async fn take(&self, session: &mut Session, message: Waiting) -> Result<Fate, ImapError> {
        let uid = message.uid;
        let parts = &self.parts;
        let limit = parts.settings.email.inbound.max_message_bytes;
        if usize::try_from(message.size).map_or(true, |size| size > limit) {
            session.move_to(uid, Folder::Failed).await?;
            tracing::warn!(
                uid,
                size = message.size,
                limit,
                "a message larger than email.inbound.max_message_bytes was moved to the failed folder"
            );
            return Ok(Fate::Refused);
        }
        let Some(raw) = session.fetch(uid).await? else {
            return Ok(Fate::Gone);
        };
        let dir = parts.directory.current();
        let room = Mailroom {
            db: &parts.db,
            settings: &parts.settings,
            dir: &dir,
            outbox: &parts.outbox,
            files: &parts.files,
            reply: &parts.reply,
            writer: &parts.writer,
        };
        match correspondence::receive(&room, raw.into(), InboundVia::Imap, &[]).await {
            Ok(received) => {
                session.move_to(uid, Folder::Processed).await?;
                Ok(if received.duplicate {
                    Fate::Duplicate
                } else {
                    Fate::Stored
                })
            }
            Err(error @ (ReceiveError::NotAMessage(_) | ReceiveError::TooLarge { .. })) => {
                session.move_to(uid, Folder::Failed).await?;
                tracing::warn!(uid, %error, "a message the pipeline refused was moved to the failed folder");
                Ok(Fate::Refused)
            }
            Err(error @ (ReceiveError::Storage(_) | ReceiveError::Files(_))) => {
                tracing::warn!(uid, %error, "could not store a message; it stays in the mailbox for the next round");
                Ok(Fate::Left)
            }
        }
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(idle = self.idle, interval = ?self.interval, "IMAP poller started");
        let mut failures: u32 = 0;
        while !*stopped.borrow() {
            let opened = tokio::select! {
                opened = self.mailbox.open() => opened,
                () = stop_signal(&mut stopped) => break,
            };
            let mut pause = self.interval;
            match opened {
                Ok(session) => match self.serve(session, &mut stopped).await {
                    Ok(()) => failures = 0,
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        pause = backoff(failures);
                        tracing::warn!(%error, retry_in = ?pause, "the IMAP session failed; connecting again");
                    }
                },
                Err(error) => {
                    failures = failures.saturating_add(1);
                    pause = backoff(failures);
                    tracing::warn!(%error, retry_in = ?pause, "could not open the IMAP mailbox");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = stop_signal(&mut stopped) => break,
            }
        }
        tracing::info!("IMAP poller stopped");
    }

    /// Rounds on one session: with IDLE as long as the session lasts; without, one round,
    /// then logout (the caller waits `interval` before the next).
    async fn serve(
        &self,
        mut session: Session,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<(), ImapError> {
        loop {
            let polled = self.round(&mut session, Some(stopped)).await?;
            if !polled.is_idle() {
                tracing::info!(
                    stored = polled.stored,
                    duplicates = polled.duplicates,
                    refused = polled.refused,
                    left = polled.left,
                    "IMAP mailbox polled"
                );
            }
            if *stopped.borrow() || !(self.idle && session.can_idle()) {
                session.logout().await;
                return Ok(());
            }
            if session.mail_arrived() {
                continue;
            }
            let (back, woken) = session.idle(self.interval, stop_signal(stopped)).await?;
            session = back;
            if woken == Woken::Stopped {
                session.logout().await;
                return Ok(());
            }
        }
    }
}

/// Completes when the poller is told to stop, or its handle is gone.
async fn stop_signal(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// 1 s, 2 s, 4 s, ... up to five minutes.
fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    Duration::from_secs(1u64 << exponent).min(LONGEST_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_after_failures_grows_to_five_minutes() {
        let pauses: Vec<u64> = (1..=10).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(backoff(u32::MAX), LONGEST_BACKOFF);
    }
}
