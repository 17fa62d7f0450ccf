//! A real SMTP server on loopback for the black-box tests. It speaks the part of RFC 5321
//! that a relay client needs, keeps every message it accepts, and can be told to refuse
//! mail, or to go down and come back on the same port.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};

/// Largest message the sink takes, as announced in its EHLO reply.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// How the sink answers mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// `451 4.3.0` after the message data.
    TempFail,
    /// `550 5.1.1` at `RCPT TO`.
    PermFail,
}

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed, without the terminating `.` line.
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("the SMTP sink received a message that mail-parser cannot parse")
    }
}

struct Shared {
    mode: Mutex<SinkMode>,
    messages: Mutex<Vec<ReceivedMail>>,
    /// Recipients of each message answered 451.
    deferred: Mutex<Vec<Vec<String>>>,
    /// SMTP sessions opened so far, to tell whether a client reuses its connections.
    sessions: AtomicUsize,
    /// How long the reply to a message's data is held back, to play a stalled server.
    data_reply_delay: Mutex<Duration>,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink on loopback");
        let port = listener.local_addr().expect("the sink's address").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(SinkMode::Accept),
            messages: Mutex::new(Vec::new()),
            deferred: Mutex::new(Vec::new()),
            sessions: AtomicUsize::new(0),
            data_reply_delay: Mutex::new(Duration::ZERO),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        SmtpSink {
            port,
            shared,
            server: Mutex::new(Some(server)),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: SinkMode) {
        *self.shared.mode.lock().expect("sink mode lock") = mode;
    }

    /// Goes down like a crashed server: the listener closes, so new connections are
    /// refused, and open sessions are cut.
    pub async fn stop(&self) {
        let server = self.server.lock().expect("sink server lock").take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port after `stop`.
    pub async fn restart(&self) {
        self.stop().await;
        let address = format!("127.0.0.1:{}", self.port);
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(&address).await {
                Ok(listener) => break listener,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => panic!("the SMTP sink cannot listen again on {address}: {error}"),
            }
        };
        let server = tokio::spawn(serve(listener, Arc::clone(&self.shared)));
        *self.server.lock().expect("sink server lock") = Some(server);
    }

    pub async fn messages(&self) -> Vec<ReceivedMail> {
        self.shared
            .messages
            .lock()
            .expect("sink messages lock")
            .clone()
    }

    /// Whether a message to `address` has been answered 451.
    pub fn deferred_to(&self, address: &str) -> bool {
        self.shared
            .deferred
            .lock()
            .expect("sink deferred lock")
            .iter()
            .any(|to| to.iter().any(|r| r == address))
    }

    /// The messages once at least `count` have arrived; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages().await;
            if messages.len() >= count {
                return messages;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "expected at least {count} email(s) within {timeout:?}, \
                     but the SMTP sink received {}",
                    messages.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Ok(mut server) = self.server.lock()
            && let Some(server) = server.take()
        {
            server.abort();
        }
    }
}

/// Accepts connections until aborted; aborting drops the listener and every session.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.sessions.fetch_add(1, Ordering::SeqCst);
                    sessions.spawn(session(stream, Arc::clone(&shared)));
                }
                // Out of descriptors, say: let sessions finish instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// The transaction being built: `MAIL FROM` then one or more `RCPT TO`.
#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP incident-desk test sink\r\n")
        .await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let mode = *shared.mode.lock().expect("sink mode lock");
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                envelope = Envelope::default();
                format!(
                    "250-sink.test greets {argument}\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
                     250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE_BYTES}\r\n"
                )
            }
            "HELO" => {
                envelope = Envelope::default();
                "250 sink.test\r\n".to_owned()
            }
            "MAIL" => match path(argument, "FROM:") {
                _ if envelope.from.is_some() => "503 5.5.1 Nested MAIL command\r\n".to_owned(),
                Some(from) => {
                    envelope.from = Some(from);
                    "250 2.1.0 OK\r\n".to_owned()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".to_owned(),
            },
            "RCPT" => match path(argument, "TO:") {
                _ if envelope.from.is_none() => "503 5.5.1 Need MAIL before RCPT\r\n".to_owned(),
                None => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".to_owned(),
                Some(_) if mode == SinkMode::PermFail => {
                    "550 5.1.1 Recipient address rejected: mailbox unavailable\r\n".to_owned()
                }
                Some(to) => {
                    envelope.to.push(to);
                    "250 2.1.5 OK\r\n".to_owned()
                }
            },
            "DATA" if envelope.to.is_empty() => "503 5.5.1 Need RCPT before DATA\r\n".to_owned(),
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(raw) = read_data(&mut read).await? else {
                    return Ok(());
                };
                let taken = std::mem::take(&mut envelope);
                let delay = *shared.data_reply_delay.lock().expect("sink delay lock");
                tokio::time::sleep(delay).await;
                // The mode may have changed while the data was being sent.
                let mode = *shared.mode.lock().expect("sink mode lock");
                if raw.len() > MAX_MESSAGE_BYTES {
                    "552 5.3.4 Message too big\r\n".to_owned()
                } else if mode == SinkMode::TempFail {
                    shared
                        .deferred
                        .lock()
                        .expect("sink deferred lock")
                        .push(taken.to);
                    "451 4.3.0 Temporary failure, try again later\r\n".to_owned()
                } else {
                    let mut messages = shared.messages.lock().expect("sink messages lock");
                    messages.push(ReceivedMail {
                        mail_from: taken.from.unwrap_or_default(),
                        rcpt_to: taken.to,
                        raw,
                    });
                    format!("250 2.0.0 OK queued as {}\r\n", messages.len())
                }
            }
            "RSET" => {
                envelope = Envelope::default();
                "250 2.0.0 OK\r\n".to_owned()
            }
            "NOOP" => "250 2.0.0 OK\r\n".to_owned(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return write.shutdown().await;
            }
            _ => "500 5.5.2 Command not recognized\r\n".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// The message data up to the lone `.` line, dot-unstuffed; `None` if the client hung up.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(raw));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        // Past the limit, keep reading to the end but stop storing.
        if raw.len() <= MAX_MESSAGE_BYTES {
            raw.extend_from_slice(unstuffed);
        }
    }
}

/// The address of `FROM:<a@b> PARAMS` or `TO:<a@b>` (case-insensitive prefix).
fn path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start().strip_prefix('<')?;
    let (address, _parameters) = rest.split_once('>')?;
    Some(address.to_owned())
}

#[cfg(test)]
mod tests {
    use incident_desk::channels::email::{EmailOutcome, EmailSender, OutgoingEmail};
    use lettre::{
        address::Envelope,
        transport::smtp::{client::AsyncSmtpConnection, extension::ClientId},
    };
    use mail_parser::MimeHeaders;

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    fn sender(sink: &SmtpSink) -> EmailSender {
        EmailSender::new(
            &sink.url(),
            "Bàn tiếp nhận sự cố <desk@incident-desk.test>",
            Duration::from_secs(5),
        )
        .expect("an email sender for the sink")
    }

    fn email(n: u32) -> OutgoingEmail {
        OutgoingEmail {
            to: vec![
                "truc-ban@hn.example.org".into(),
                "Ban Quận Ba Đình <ba-dinh@hn.example.org>".into(),
            ],
            subject: "[INC-2026-000123] Sự cố tài khoản: bị chiếm quyền — facebook".into(),
            text: format!("Thư số {n}.\n.\n..dòng bắt đầu bằng dấu chấm\nHết."),
            html: format!("<p>Thư số {n}.</p><p>Trang đã bị <b>chiếm quyền</b>.</p>"),
            message_id: format!("0190-{n}@incident-desk"),
            in_reply_to: Some("0190-0@incident-desk".into()),
            references: vec!["0190-0@incident-desk".into(), "0190-1@incident-desk".into()],
            reply_to: None,
            attachments: Vec::new(),
        }
    }

    #[tokio::test]
    async fn email_sender_delivers_a_threaded_multipart_message_to_the_sink() {
        let sink = SmtpSink::start().await;
        let sender = sender(&sink);

        let outcome = sender.send(&email(2)).await;
        let EmailOutcome::Delivered { reply } = &outcome else {
            panic!("expected delivery, got {outcome:?}");
        };
        assert!(reply.starts_with("250 2.0.0 OK queued as 1"), "{reply}");

        let mails = sink.wait_for(1, WAIT).await;
        assert_eq!(mails[0].mail_from, "desk@incident-desk.test");
        assert_eq!(
            mails[0].rcpt_to,
            ["truc-ban@hn.example.org", "ba-dinh@hn.example.org"]
        );
        let message = mails[0].parsed();
        assert_eq!(
            message.subject(),
            Some("[INC-2026-000123] Sự cố tài khoản: bị chiếm quyền — facebook")
        );
        assert_eq!(message.message_id(), Some("0190-2@incident-desk"));
        assert_eq!(
            message.in_reply_to().as_text(),
            Some("0190-0@incident-desk")
        );
        let references: Vec<&str> = message
            .references()
            .as_text_list()
            .expect("two references")
            .iter()
            .map(|r| r.as_ref())
            .collect();
        assert_eq!(references, ["0190-0@incident-desk", "0190-1@incident-desk"]);
        let from = message
            .from()
            .and_then(|a| a.first())
            .expect("a From address");
        assert_eq!(from.address(), Some("desk@incident-desk.test"));
        assert_eq!(from.name(), Some("Bàn tiếp nhận sự cố"));
        let to: Vec<&str> = message
            .to()
            .expect("a To header")
            .iter()
            .filter_map(|a| a.address())
            .collect();
        assert_eq!(to, ["truc-ban@hn.example.org", "ba-dinh@hn.example.org"]);

        let root = message.root_part().content_type().expect("a content type");
        assert_eq!(root.ctype(), "multipart");
        assert_eq!(root.subtype(), Some("alternative"));
        assert_eq!(
            (message.text_body_count(), message.html_body_count()),
            (1, 1)
        );
        let text = message.body_text(0).expect("a text part");
        assert_eq!(
            text.replace("\r\n", "\n"),
            "Thư số 2.\n.\n..dòng bắt đầu bằng dấu chấm\nHết."
        );
        let html_part = message.html_part(0).expect("an HTML part");
        let html_type = html_part.content_type().expect("the HTML part's type");
        assert_eq!(
            (html_type.ctype(), html_type.subtype()),
            ("text", Some("html"))
        );
        assert_eq!(html_type.attribute("charset"), Some("utf-8"));
        assert!(
            message
                .body_html(0)
                .expect("HTML")
                .contains("<b>chiếm quyền</b>")
        );
    }

    #[tokio::test]
    async fn email_sender_reuses_its_pooled_connection() {
        let sink = SmtpSink::start().await;
        let sender = sender(&sink);
        for n in 1..=3 {
            let outcome = sender.send(&email(n)).await;
            assert!(
                matches!(outcome, EmailOutcome::Delivered { .. }),
                "{outcome:?}"
            );
            // lettre parks a used connection from a task of its own.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mails = sink.wait_for(3, WAIT).await;
        let ids: Vec<String> = mails
            .iter()
            .map(|m| m.parsed().message_id().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            ids,
            [
                "0190-1@incident-desk",
                "0190-2@incident-desk",
                "0190-3@incident-desk"
            ]
        );
        assert_eq!(sink.shared.sessions.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn one_session_carries_several_dot_stuffed_messages_byte_exact() {
        let sink = SmtpSink::start().await;
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            ("127.0.0.1", sink.port()),
            Some(WAIT),
            &ClientId::Domain("client.test".into()),
            None,
            None,
        )
        .await
        .expect("an SMTP session with the sink");
        let envelope = |to: &str| {
            Envelope::new(
                Some("a@sink.test".parse().expect("an address")),
                vec![to.parse().expect("an address")],
            )
            .expect("an envelope")
        };
        let first: &[u8] = b"Subject: dots\r\n\r\n.\r\n..two\r\n.three\r\nlast";
        let second: &[u8] = b"Subject: second\r\n\r\n.\r\n";
        for (to, raw) in [("b@sink.test", first), ("c@sink.test", second)] {
            let reply = connection
                .send(&envelope(to), raw)
                .await
                .expect("the sink takes the message");
            assert_eq!(u16::from(reply.code()), 250);
        }
        assert!(connection.test_connected().await, "NOOP is answered");
        connection.quit().await.expect("QUIT is answered");

        let mails = sink.wait_for(2, WAIT).await;
        // The line break before the terminating dot ends the last line of the message.
        assert_eq!(mails[0].raw, [first, b"\r\n"].concat());
        assert_eq!(mails[0].rcpt_to, ["b@sink.test"]);
        assert_eq!(mails[1].raw, [second, b"\r\n"].concat());
        assert_eq!(mails[1].rcpt_to, ["c@sink.test"]);
        assert_eq!(sink.shared.sessions.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refusals_and_outages_map_to_retry_or_failed() {
        let sink = SmtpSink::start().await;
        let sender = sender(&sink);

        sink.set_mode(SinkMode::TempFail);
        let outcome = sender.send(&email(1)).await;
        assert_eq!(
            outcome,
            EmailOutcome::Retry {
                reply: "451 4.3.0 Temporary failure, try again later".into()
            }
        );

        sink.set_mode(SinkMode::PermFail);
        let outcome = sender.send(&email(2)).await;
        assert_eq!(
            outcome,
            EmailOutcome::Failed {
                reply: "550 5.1.1 Recipient address rejected: mailbox unavailable".into()
            }
        );
        assert!(sink.messages().await.is_empty());

        sink.set_mode(SinkMode::Accept);
        let outcome = sender.send(&email(3)).await;
        assert!(
            matches!(outcome, EmailOutcome::Delivered { .. }),
            "{outcome:?}"
        );

        // The pool now holds an open connection; the outage must cut it too.
        let port = sink.port();
        sink.stop().await;
        let outcome = sender.send(&email(4)).await;
        let EmailOutcome::Retry { reply } = &outcome else {
            panic!("a stopped sink must give Retry, got {outcome:?}");
        };
        assert!(reply.contains("Connection refused"), "{reply}");
        assert!(
            TcpStream::connect(("127.0.0.1", port)).await.is_err(),
            "a stopped sink refuses connections"
        );

        sink.restart().await;
        assert_eq!(sink.port(), port);
        let outcome = sender.send(&email(5)).await;
        assert!(
            matches!(outcome, EmailOutcome::Delivered { .. }),
            "{outcome:?}"
        );
        let mails = sink.wait_for(2, WAIT).await;
        assert_eq!(mails[1].parsed().message_id(), Some("0190-5@incident-desk"));
    }

    #[tokio::test]
    async fn a_stalled_reply_gives_retry_and_the_next_message_gets_a_fresh_connection() {
        let sink = SmtpSink::start().await;
        let timeout = Duration::from_millis(300);
        let sender = EmailSender::new(&sink.url(), "desk@incident-desk.test", timeout)
            .expect("an email sender for the sink");
        *sink
            .shared
            .data_reply_delay
            .lock()
            .expect("sink delay lock") = timeout * 2;

        let outcome = sender.send(&email(1)).await;
        assert_eq!(
            outcome,
            EmailOutcome::Retry {
                reply: "no answer from the SMTP server within 300ms".into()
            }
        );
        *sink
            .shared
            .data_reply_delay
            .lock()
            .expect("sink delay lock") = Duration::ZERO;
        // The stalled session has now sent its late reply, which must not be taken as
        // the answer to any command of the next message.
        sink.wait_for(1, WAIT).await;

        let outcome = sender.send(&email(2)).await;
        assert_eq!(
            outcome,
            EmailOutcome::Delivered {
                reply: "250 2.0.0 OK queued as 2".into()
            }
        );
        assert_eq!(sink.shared.sessions.load(Ordering::SeqCst), 2);
        let mails = sink.wait_for(2, WAIT).await;
        assert_eq!(mails[1].parsed().message_id(), Some("0190-2@incident-desk"));
    }
}
