//! The IMAP mailbox of hosted mail: connect (TLS through rustls, or plain text to a loopback
//! host), log in, list the messages waiting in a folder, fetch one, move it to another folder,
//! and wait for new mail with IDLE. No rules: what becomes of a message is the poller's call.
//! Errors never carry the password or a message's bytes.

use std::{fmt, future::Future, sync::Arc, time::Duration};

use async_imap::{
    Client,
    extensions::idle::IdleResponse,
    types::{Fetch, Name, UnsolicitedResponse},
};
use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    rustls::{self, pki_types::ServerName},
};

use crate::config::{ImapSecurity, ImapServer, ImapSettings};

/// A connection, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Stream = Box<dyn Io>;

/// Servers log an idle client out after 30 minutes (RFC 2177); IDLE is renewed before.
const LONGEST_IDLE: Duration = Duration::from_secs(25 * 60);
/// Messages whose sizes are asked in one command.
const SIZE_BATCH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("could not connect to the IMAP server: {0}")]
    Connect(std::io::Error),
    #[error("TLS with the IMAP server failed: {0}")]
    Tls(std::io::Error),
    #[error("the IMAP server closed the connection before its greeting")]
    NoGreeting,
    #[error("{command}: {detail}")]
    Command {
        command: &'static str,
        detail: String,
    },
    #[error("{command}: no answer within {timeout:?}")]
    Timeout {
        command: &'static str,
        timeout: Duration,
    },
}

impl ImapError {
    fn command(command: &'static str, error: async_imap::error::Error) -> Self {
        use async_imap::error::Error;
        // Server texts are cut short; parse errors would quote the server's bytes (mail).
        let short = |text: String| text.chars().take(200).collect::<String>();
        let detail = match error {
            Error::Io(e) => format!("I/O: {e}"),
            Error::Bad(text) => format!("the server answered BAD: {}", short(text)),
            Error::No(text) => format!("the server answered NO: {}", short(text)),
            Error::ConnectionLost => "the connection was lost".to_owned(),
            Error::Parse(_) => "the server's answer could not be read".to_owned(),
            Error::Validate(e) => e.to_string(),
            _ => "the command failed".to_owned(),
        };
        Self::Command { command, detail }
    }
}

/// Where a message is moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// Stored: `processed_folder`.
    Processed,
    /// Refused for good: `failed_folder`.
    Failed,
}

/// A message waiting in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub uid: u32,
    /// `RFC822.SIZE`, in bytes.
    pub size: u64,
}

/// What ended a wait for new mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The server told of a change in the folder.
    Changed,
    /// Nothing came within the wait.
    TimedOut,
    /// The caller's stop signal.
    Stopped,
}

/// The folder names as sent on the wire (modified UTF-7, RFC 3501 section 5.1.3).
#[derive(Debug, Clone)]
struct Folders {
    inbox: String,
    processed: String,
    failed: String,
}

impl Folders {
    fn name(&self, folder: Folder) -> &str {
        match folder {
            Folder::Processed => &self.processed,
            Folder::Failed => &self.failed,
        }
    }
}

/// How to reach and log in to the mailbox; each [`Mailbox::open`] makes a new session.
pub struct Mailbox {
    server: ImapServer,
    user: String,
    password: SecretString,
    folders: Folders,
    timeout: Duration,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("server", &self.server)
            .field("folder", &self.folders.inbox)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// Reads the TLS roots (the public ones, and `ca_file` when set).
    pub fn new(settings: &ImapSettings) -> anyhow::Result<Self> {
        use anyhow::Context;
        let server = settings
            .server()
            .map_err(|problem| anyhow::anyhow!("email.inbound.imap.url: {problem}"))?;
        let tls = match server.security {
            ImapSecurity::Plain => None,
            ImapSecurity::Tls => {
                let mut roots = rustls::RootCertStore::empty();
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                if let Some(path) = &settings.ca_file {
                    use rustls::pki_types::{CertificateDer, pem::PemObject};
                    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                        .and_then(|certs| certs.collect::<Result<_, _>>())
                        .with_context(|| {
                            format!("email.inbound.imap.ca_file: cannot read {}", path.display())
                        })?;
                    for cert in certs {
                        roots.add(cert).with_context(|| {
                            format!(
                                "email.inbound.imap.ca_file: a certificate of {} is not usable",
                                path.display()
                            )
                        })?;
                    }
                }
                let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .context("TLS for IMAP")?
                .with_root_certificates(roots)
                .with_no_client_auth();
                let name = ServerName::try_from(server.host.clone())
                    .context("email.inbound.imap.url: the host is not a TLS server name")?;
                Some((TlsConnector::from(Arc::new(config)), name))
            }
        };
        Ok(Self {
            folders: Folders {
                inbox: utf7_imap(&settings.folder),
                processed: utf7_imap(&settings.processed_folder),
                failed: utf7_imap(&settings.failed_folder),
            },
            server,
            user: settings.user.clone(),
            password: settings.password.clone(),
            timeout: settings.timeout,
            tls,
        })
    }

    async fn timed<T>(
        &self,
        command: &'static str,
        work: impl Future<Output = async_imap::error::Result<T>>,
    ) -> Result<T, ImapError> {
        timed(self.timeout, command, work).await
    }

    /// Connects, logs in, creates the processed and failed folders when missing, and
    /// selects the folder mail arrives in.
    #[tracing::instrument(name = "imap_open", skip_all)]
    pub async fn open(&self) -> Result<Session, ImapError> {
        let address = (self.server.host.as_str(), self.server.port);
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(address))
            .await
            .map_err(|_| ImapError::Timeout {
                command: "connect",
                timeout: self.timeout,
            })?
            .map_err(ImapError::Connect)?;
        tcp.set_nodelay(true).map_err(ImapError::Connect)?;
        let stream: Stream = match &self.tls {
            None => Box::new(tcp),
            Some((connector, name)) => Box::new(
                tokio::time::timeout(self.timeout, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| ImapError::Timeout {
                        command: "TLS handshake",
                        timeout: self.timeout,
                    })?
                    .map_err(ImapError::Tls)?,
            ),
        };
        let mut client = Client::new(stream);
        tokio::time::timeout(self.timeout, client.read_response())
            .await
            .map_err(|_| ImapError::Timeout {
                command: "greeting",
                timeout: self.timeout,
            })?
            .map_err(|e| ImapError::command("greeting", e.into()))?
            .ok_or(ImapError::NoGreeting)?;
        let login = client.login(&self.user, self.password.expose_secret());
        let mut inner = tokio::time::timeout(self.timeout, login)
            .await
            .map_err(|_| ImapError::Timeout {
                command: "LOGIN",
                timeout: self.timeout,
            })?
            .map_err(|(e, _)| ImapError::command("LOGIN", e))?;
        let caps = self.timed("CAPABILITY", inner.capabilities()).await?;
        let can = Can {
            idle: caps.has_str("IDLE"),
            moves: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        };
        for folder in [&self.folders.processed, &self.folders.failed] {
            self.ensure(&mut inner, folder).await?;
        }
        self.timed("SELECT", inner.select(&self.folders.inbox))
            .await?;
        Ok(Session {
            inner,
            can,
            folders: self.folders.clone(),
            timeout: self.timeout,
        })
    }

    /// Creates `folder` unless it exists (another client may create it at the same time).
    async fn ensure(
        &self,
        inner: &mut async_imap::Session<Stream>,
        folder: &str,
    ) -> Result<(), ImapError> {
        let pattern = quoted(folder);
        if self.timed("LIST", folder_exists(inner, &pattern)).await? {
            return Ok(());
        }
        match self.timed("CREATE", inner.create(folder)).await {
            Ok(()) => Ok(()),
            Err(error) => {
                if self.timed("LIST", folder_exists(inner, &pattern)).await? {
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }
}

async fn folder_exists(
    inner: &mut async_imap::Session<Stream>,
    pattern: &str,
) -> async_imap::error::Result<bool> {
    let names: Vec<Name> = inner
        .list(Some(""), Some(pattern))
        .await?
        .try_collect()
        .await?;
    Ok(!names.is_empty())
}

/// What the server can do, from its capabilities after login.
#[derive(Debug, Clone, Copy)]
struct Can {
    idle: bool,
    moves: bool,
    uidplus: bool,
}

/// A logged-in session with the arrival folder selected.
pub struct Session {
    inner: async_imap::Session<Stream>,
    can: Can,
    folders: Folders,
    timeout: Duration,
}

impl Session {
    /// Whether the server announced IDLE.
    pub fn can_idle(&self) -> bool {
        self.can.idle
    }

    /// Whether the server said, since the last call, that mail arrived in the folder.
    pub fn mail_arrived(&mut self) -> bool {
        mail_arrived(&self.inner)
    }

    /// Every message in the folder not marked deleted, oldest first, with its size.
    pub async fn waiting(&mut self) -> Result<Vec<Waiting>, ImapError> {
        let timeout = self.timeout;
        let found = timed(timeout, "UID SEARCH", self.inner.uid_search("UNDELETED")).await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        let mut waiting = Vec::with_capacity(uids.len());
        for batch in uids.chunks(SIZE_BATCH) {
            let set = batch
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let inner = &mut self.inner;
            let fetched: Vec<Fetch> = timed(timeout, "UID FETCH", async move {
                inner
                    .uid_fetch(set, "(UID RFC822.SIZE)")
                    .await?
                    .try_collect()
                    .await
            })
            .await?;
            waiting.extend(fetched.iter().filter_map(|f| {
                let uid = f.uid.filter(|uid| batch.contains(uid))?;
                Some(Waiting {
                    uid,
                    size: u64::from(f.size.unwrap_or_default()),
                })
            }));
        }
        waiting.sort_unstable_by_key(|w| w.uid);
        waiting.dedup_by_key(|w| w.uid);
        Ok(waiting)
    }

    /// The whole message, as the server keeps it; `None` when it is gone meanwhile. It is
    /// read with `BODY.PEEK[]`, so it stays unread for a person looking at the folder.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        let timeout = self.timeout;
        let inner = &mut self.inner;
        let fetched: Vec<Fetch> = timed(timeout, "UID FETCH", async move {
            inner
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?
                .try_collect()
                .await
        })
        .await?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(Fetch::body)
            .map(<[u8]>::to_vec))
    }

    /// Moves one message: `UID MOVE` when the server has MOVE, else `UID COPY`, `\Deleted`
    /// and an expunge (`UID EXPUNGE` with UIDPLUS). Cut short, it leaves the message in both
    /// folders, never in neither.
    pub async fn move_to(&mut self, uid: u32, to: Folder) -> Result<(), ImapError> {
        let folder = self.folders.name(to).to_owned();
        let set = uid.to_string();
        if self.can.moves {
            return timed(self.timeout, "UID MOVE", self.inner.uid_mv(&set, &folder)).await;
        }
        timed(self.timeout, "UID COPY", self.inner.uid_copy(&set, &folder)).await?;
        let timeout = self.timeout;
        let inner = &mut self.inner;
        let uid_set = set.clone();
        timed(timeout, "UID STORE", async move {
            inner
                .uid_store(&uid_set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        let uidplus = self.can.uidplus;
        let inner = &mut self.inner;
        timed(timeout, "EXPUNGE", async move {
            if uidplus {
                inner.uid_expunge(&set).await?.try_collect::<Vec<_>>().await
            } else {
                inner.expunge().await?.try_collect::<Vec<_>>().await
            }
        })
        .await?;
        Ok(())
    }

    /// Waits with IDLE (the server must have it) until the folder changes, `longest`
    /// passes, or `stop` completes; the session is handed back for the next round.
    pub async fn idle(
        self,
        longest: Duration,
        stop: impl Future<Output = ()>,
    ) -> Result<(Session, Woken), ImapError> {
        let Session {
            inner,
            can,
            folders,
            timeout,
        } = self;
        let longest = longest.min(LONGEST_IDLE);
        let mut handle = inner.idle();
        timed(timeout, "IDLE", handle.init()).await?;
        let woken = {
            let (wait, _interrupt) = handle.wait_with_timeout(longest);
            tokio::select! {
                answer = wait => match answer.map_err(|e| ImapError::command("IDLE", e))? {
                    IdleResponse::NewData(_) => Woken::Changed,
                    IdleResponse::Timeout => Woken::TimedOut,
                    IdleResponse::ManualInterrupt => Woken::Stopped,
                },
                () = tokio::time::sleep(longest) => Woken::TimedOut,
                () = stop => Woken::Stopped,
            }
        };
        let inner = timed(timeout, "DONE", handle.done()).await?;
        // Mail that came while IDLE was being started was told before the wait began.
        let arrived = mail_arrived(&inner);
        let session = Session {
            inner,
            can,
            folders,
            timeout,
        };
        let woken = match woken {
            Woken::TimedOut if arrived => Woken::Changed,
            other => other,
        };
        Ok((session, woken))
    }

    /// Says goodbye; a failure only means the connection was gone already.
    pub async fn logout(mut self) {
        let timeout = self.timeout;
        let _ = tokio::time::timeout(timeout, self.inner.logout()).await;
    }
}

/// Drains the server's unsolicited answers; true when one told of a new message.
fn mail_arrived(inner: &async_imap::Session<Stream>) -> bool {
    let mut arrived = false;
    while let Ok(response) = inner.unsolicited_responses.try_recv() {
        arrived |= matches!(response, UnsolicitedResponse::Exists(_));
    }
    arrived
}

async fn timed<T>(
    timeout: Duration,
    command: &'static str,
    work: impl Future<Output = async_imap::error::Result<T>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ImapError::Timeout { command, timeout })?
        .map_err(|e| ImapError::command(command, e))
}

/// An IMAP quoted string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A mailbox name in modified UTF-7 (RFC 3501 section 5.1.3): printable ASCII as itself
/// (`&` as `&-`), anything else as `&` + modified base64 of its UTF-16 + `-`.
fn utf7_imap(name: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::general_purpose::NO_PAD,
    );
    let mut out = String::with_capacity(name.len());
    let mut wide: Vec<u16> = Vec::new();
    let flush = |wide: &mut Vec<u16>, out: &mut String| {
        if wide.is_empty() {
            return;
        }
        let bytes: Vec<u8> = wide.iter().flat_map(|unit| unit.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine.encode(bytes));
        out.push('-');
        wide.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut wide, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            wide.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut wide, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_sent_in_modified_utf7() {
        assert_eq!(utf7_imap("INBOX"), "INBOX");
        assert_eq!(utf7_imap("Cases & Replies"), "Cases &- Replies");
        // RFC 3501's own example.
        assert_eq!(
            utf7_imap("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(utf7_imap("Đã xử lý"), "&ARAA4w- x&Hu0- l&AP0-");
    }
}
