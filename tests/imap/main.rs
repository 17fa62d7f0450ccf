//! The IMAP way in against a real Dovecot on loopback (Debian's `dovecot-imapd`): each test
//! starts its own Dovecot and runs the real application on port 0 with its own database
//! (a fresh SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set).
//! Mail is delivered with APPEND, as the organisation's mail host would, and each test drives
//! the app's poller one round at a time, except the one about the background poller.
//!
//! `cargo test --features imap-tests --test imap`

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod dovecot;
mod sink;

use std::time::Duration;

use incident_desk::{channels::imap::ImapError, worker::mailbox::Polled};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    dovecot::Dovecot,
    helpers::{TestApp, expect_status, spawn_app_with, valid_incident},
    sink::MailSink,
};

const REPLY_BOX: &str = "cases@desk.example.org";
/// How long the background poller may take to show a message on its ticket.
const WAIT: Duration = Duration::from_secs(20);
/// The smallest valid PNG: a 1x1 transparent pixel.
const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

/// The app, the Dovecot it polls, and the ticket of the provider `meta` with the reply
/// address its email carried.
struct Mailroom {
    app: TestApp,
    dovecot: Dovecot,
    meta_ticket: String,
    reply_to: String,
    incident: String,
}

fn party(list: &str, id: &str, email: &str, extra: &str) -> String {
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = \"4h\"\ncontacts.emails = [\"{email}\"]\n{extra}\n"
    )
}

/// The parties of the default routing, each reachable by email only.
fn parties() -> String {
    let mut toml = party("committees", "hn", "desk@hn.example.org", "");
    toml += &party(
        "committees",
        "hn-ba-dinh",
        "ba-dinh@hn.example.org",
        "parent = \"hn\"",
    );
    toml += &party("authorities", "cert", "ir@cert.example.org", "");
    toml += &party("authorities", "cyber-police", "police@example.org", "");
    toml += &party("providers", "meta", "partners@meta.example.org", "");
    for id in [
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party("providers", id, &format!("{id}@example.org"), "");
    }
    toml
}

/// Starts Dovecot (with `dovecot_extra` configuration) and the app polling it (with `imap`
/// TOML keys and `inbound` keys of `[email.inbound]`), files a report for `hn` and sends its
/// emails.
async fn mailroom(dovecot_extra: &str, imap: &str, inbound: &str) -> Mailroom {
    let dovecot = Dovecot::start_with(dovecot_extra).await;
    let sink = MailSink::start().await;
    let overrides = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\nmessage_id_domain = \"desk.example.org\"\nreply_address = \"{REPLY_BOX}\"\n[email.inbound]\n{inbound}\n{}",
        parties(),
        sink.url(),
        dovecot.settings(imap),
    );
    let app = spawn_app_with(&overrides).await;
    let mut report = valid_incident();
    report["reporter"]["committee"] = json!("hn");
    let filed = app.file(&report).await;
    let incident = filed["id"].as_str().expect("id").to_owned();
    if app.drives_dispatcher() {
        app.dispatch_until_idle().await;
    }
    let detail = app.incident(&incident).await;
    let meta_ticket = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["party"] == "meta")
        .expect("a ticket for meta")["id"]
        .as_str()
        .expect("ticket id")
        .to_owned();
    let reply_to = wait_for_reply_address(&sink, "partners@meta.example.org").await;
    Mailroom {
        app,
        dovecot,
        meta_ticket,
        reply_to,
        incident,
    }
}

async fn wait_for_reply_address(sink: &MailSink, to: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(address) = sink.reply_address_of_mail_to(to) {
            return address;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no email to {to} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Mailroom {
    /// A reply from Meta's support to the ticket's reply address.
    fn reply(&self, message_id: &str, body: &str) -> String {
        format!(
            "From: Meta Support <support@meta.example>\r\nTo: {}\r\nSubject: Re: your report\r\nMessage-ID: <{message_id}>\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            self.reply_to
        )
    }

    async fn thread(&self) -> Vec<Value> {
        let thread = expect_status(
            self.app
                .get(&format!("/api/v1/tickets/{}/messages", self.meta_ticket))
                .await,
            StatusCode::OK,
        )
        .await;
        thread["messages"].as_array().expect("messages").clone()
    }

    async fn unmatched(&self) -> Vec<Value> {
        let page = expect_status(
            self.app.get("/api/v1/inbound/unmatched").await,
            StatusCode::OK,
        )
        .await;
        page["mails"].as_array().expect("mails").clone()
    }

    async fn poll(&self) -> Polled {
        self.app
            .poll_mailbox()
            .await
            .unwrap_or_else(|e| panic!("a round: {e}; Dovecot's log:\n{}", self.dovecot.log()))
    }

    /// The ticket's messages once it has `n` and the inbox is empty (the background poller
    /// at work); panics after [`WAIT`].
    async fn until_on_the_ticket_and_moved(&self, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let thread = self.thread().await;
            if thread.len() >= n && self.count("INBOX").await == 0 {
                return thread;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} message(s) on the ticket within {WAIT:?}, expected {n}; Dovecot's log:\n{}",
                thread.len(),
                self.dovecot.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn count(&self, folder: &str) -> usize {
        self.dovecot.messages_in(folder).await.len()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_reply_delivered_to_the_mailbox_is_stored_on_its_ticket_and_then_moved_to_processed() {
    let room = mailroom("", "enabled = false", "").await;
    assert!(
        room.reply_to.starts_with("cases+t") && room.reply_to.ends_with("@desk.example.org"),
        "{}",
        room.reply_to
    );
    let reply = room.reply("r1@meta.example", "We took the page down. Case #88123.");
    room.dovecot.deliver("INBOX", &reply).await;

    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            ..Polled::default()
        }
    );
    let thread = room.thread().await;
    assert_eq!(thread.len(), 1, "{thread:#?}");
    assert_eq!(thread[0]["direction"], "inbound");
    assert_eq!(thread[0]["author"], "party");
    assert!(
        thread[0]["body"]
            .as_str()
            .expect("body")
            .contains("We took the page down.")
    );
    assert!(room.dovecot.messages_in("INBOX").await.is_empty());
    let processed = room.dovecot.messages_in("Processed").await;
    assert_eq!(processed.len(), 1);
    assert!(text(&processed[0]).contains("Message-ID: <r1@meta.example>"));
    assert!(
        room.dovecot.messages_in("Failed").await.is_empty(),
        "the failed folder exists and is empty"
    );

    // Nothing is waiting any more.
    assert_eq!(room.poll().await, Polled::default());
    assert_eq!(room.thread().await.len(), 1);
    let detail = room.app.incident(&room.incident).await;
    let received: Vec<&Value> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "message.received")
        .collect();
    assert_eq!(received.len(), 1);
}

#[tokio::test]
async fn the_same_reply_delivered_twice_is_stored_once_and_both_copies_are_moved() {
    let room = mailroom("", "enabled = false", "").await;
    let reply = room.reply("twice@meta.example", "Sent twice by a retrying mail host.");
    room.dovecot.deliver("INBOX", &reply).await;
    room.dovecot.deliver("INBOX", &reply).await;

    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            duplicates: 1,
            ..Polled::default()
        }
    );
    assert_eq!(room.thread().await.len(), 1);
    assert_eq!(room.count("INBOX").await, 0);
    assert_eq!(room.count("Processed").await, 2);
}

#[tokio::test]
async fn a_reply_that_cannot_be_stored_yet_stays_in_the_mailbox_and_is_stored_next_round() {
    let room = mailroom("", "enabled = false", "").await;
    let reply = format!(
        "From: Meta Support <support@meta.example>\r\nTo: {}\r\nSubject: Re: your report\r\nMessage-ID: <proof@meta.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe screenshot you asked for.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"proof.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{PNG_BASE64}\r\n--b--\r\n",
        room.reply_to
    );
    room.dovecot.deliver("INBOX", &reply).await;

    // The evidence folder cannot be written: its `tmp` is a file, not a folder (a full or
    // broken disk), so the attachment cannot be kept and the reply is not stored.
    let tmp = room.app.evidence.path().join("tmp");
    std::fs::remove_dir_all(&tmp).expect("remove the evidence tmp folder");
    std::fs::write(&tmp, b"in the way").expect("a file in its place");
    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            left: 1,
            ..Polled::default()
        }
    );
    assert!(room.thread().await.is_empty(), "nothing was stored");
    assert!(room.unmatched().await.is_empty(), "nothing was stored");
    assert_eq!(room.count("INBOX").await, 1, "the reply is still waiting");
    assert_eq!(room.count("Processed").await, 0);
    assert_eq!(room.count("Failed").await, 0);

    // The disk is repaired: the next round stores it, with its attachment, and moves it.
    std::fs::remove_file(&tmp).expect("remove the file");
    std::fs::create_dir(&tmp).expect("the tmp folder again");
    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            ..Polled::default()
        }
    );
    let thread = room.thread().await;
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0]["evidence"][0]["name"], "proof.png");
    assert_eq!(room.count("INBOX").await, 0);
    assert_eq!(room.count("Processed").await, 1);
}

#[tokio::test]
async fn what_the_pipeline_refuses_goes_to_the_failed_folder_and_unmatched_mail_waits_in_the_queue()
{
    let room = mailroom(
        "",
        "enabled = false\nfailed_folder = \"Not taken\"",
        "max_message_bytes = 4096",
    )
    .await;
    // No From: not a message the desk can answer.
    room.dovecot
        .deliver(
            "INBOX",
            "To: cases@desk.example.org\r\nSubject: no sender\r\n\r\nWho sent this?\r\n",
        )
        .await;
    // Larger than max_message_bytes.
    let large = room.reply("large@meta.example", &"A long log line.\r\n".repeat(400));
    room.dovecot.deliver("INBOX", &large).await;
    // A message that matches no ticket is stored, in the unmatched queue.
    room.dovecot
        .deliver(
            "INBOX",
            "From: Someone <someone@elsewhere.example>\r\nTo: cases@desk.example.org\r\nSubject: hello\r\nMessage-ID: <lost@elsewhere.example>\r\n\r\nIs this the right address?\r\n",
        )
        .await;

    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            refused: 2,
            ..Polled::default()
        }
    );
    assert_eq!(room.count("INBOX").await, 0);
    let refused = room.dovecot.messages_in("Not taken").await;
    assert_eq!(refused.len(), 2, "both kept where a person can read them");
    assert!(refused.iter().any(|m| text(m).contains("Who sent this?")));
    assert!(
        refused
            .iter()
            .any(|m| text(m).contains("<large@meta.example>"))
    );
    assert!(room.thread().await.is_empty());
    let unmatched = room.unmatched().await;
    assert_eq!(unmatched.len(), 1, "{unmatched:#?}");
    assert_eq!(unmatched[0]["via"], "imap");
    assert_eq!(unmatched[0]["sender"], "someone@elsewhere.example");
    assert_eq!(unmatched[0]["reason"], "no_match");
    let processed = room.dovecot.messages_in("Processed").await;
    assert_eq!(processed.len(), 1);
    assert!(text(&processed[0]).contains("Is this the right address?"));
}

#[tokio::test]
async fn a_server_without_move_gets_copy_deleted_and_expunge_into_a_folder_of_any_name() {
    // No MOVE and no UIDPLUS announced: the poller copies, flags \Deleted and expunges.
    let room = mailroom(
        "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE CHILDREN",
        "enabled = false\nprocessed_folder = \"Đã xử lý\"",
        "",
    )
    .await;
    let reply = room.reply("copied@meta.example", "Moved the old way.");
    room.dovecot.deliver("INBOX", &reply).await;
    let polled = room.poll().await;
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            ..Polled::default()
        }
    );
    assert_eq!(room.thread().await.len(), 1);
    assert_eq!(room.count("INBOX").await, 0, "copied, flagged and expunged");
    // The folder's name in modified UTF-7 (RFC 3501), as the server keeps it.
    let processed = room.dovecot.messages_in("&ARAA4w- x&Hu0- l&AP0-").await;
    assert_eq!(processed.len(), 1);
    assert!(text(&processed[0]).contains("Moved the old way."));
    assert_eq!(room.count("Processed").await, 0);
}

#[tokio::test]
async fn the_background_poller_takes_new_mail_at_once_without_waiting_for_the_interval() {
    // An hour between polls: only IDLE (or the server's word during a round) brings mail in
    // within the test's wait.
    let room = mailroom("", "enabled = true\nidle = true\ninterval = \"1h\"", "").await;
    room.dovecot
        .deliver("INBOX", &room.reply("first@meta.example", "First."))
        .await;
    room.until_on_the_ticket_and_moved(1).await;
    // The first is stored and moved; the poller now waits for news from the server.
    room.dovecot
        .deliver("INBOX", &room.reply("second@meta.example", "Second."))
        .await;
    let thread = room.until_on_the_ticket_and_moved(2).await;
    assert!(
        thread
            .iter()
            .any(|m| m["body"].as_str().is_some_and(|b| b.contains("Second.")))
    );
    assert_eq!(room.count("Processed").await, 2);
}

#[tokio::test]
async fn a_mailbox_over_tls_is_polled_when_its_certificate_is_trusted_and_refused_otherwise() {
    let dovecot = Dovecot::start_tls().await;
    let imap = |ca_file: &str| {
        format!(
            "[email.inbound.imap]\nenabled = false\nurl = \"{}\"\nuser = \"{}\"\npassword = \"{}\"\n{ca_file}\n",
            dovecot.tls_url(),
            dovecot::USER,
            dovecot::PASSWORD
        )
    };
    // The public roots alone do not vouch for a self-signed certificate.
    let untrusting = spawn_app_with(&imap("")).await;
    let refused = untrusting.poll_mailbox().await;
    assert!(matches!(refused, Err(ImapError::Tls(_))), "{refused:?}");

    let trusting = spawn_app_with(&imap(&format!(
        "ca_file = \"{}\"",
        dovecot.certificate().display()
    )))
    .await;
    dovecot
        .deliver(
            "INBOX",
            "From: Someone <someone@elsewhere.example>\r\nTo: cases@desk.example.org\r\nSubject: over TLS\r\nMessage-ID: <tls@elsewhere.example>\r\n\r\nHello.\r\n",
        )
        .await;
    let polled = trusting
        .poll_mailbox()
        .await
        .unwrap_or_else(|e| panic!("a round over TLS: {e}; Dovecot's log:\n{}", dovecot.log()));
    assert_eq!(
        polled,
        Polled {
            stored: 1,
            ..Polled::default()
        }
    );
    assert_eq!(dovecot.messages_in("INBOX").await.len(), 0);
    assert_eq!(dovecot.messages_in("Processed").await.len(), 1);
}
