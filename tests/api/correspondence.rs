//! Correspondence: replies by mail land on their ticket (by reply address, thread headers or
//! subject tag), what cannot be trusted waits in the unmatched queue, bounces fail the
//! delivery, and officers and parties write on a ticket's conversation.

use incident_desk::domain::access::ApiScope;
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, expect_problem, expect_status, field_rules, spawn_app_with},
    notifications::{WAIT, parties, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::{ReceivedMail, SmtpSink},
};

const REPLY_BOX: &str = "cases@desk.example.org";
/// The smallest valid PNG: a 1x1 transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

struct Desk {
    app: TestApp,
    sink: SmtpSink,
    committee: Receiver,
    provider: Receiver,
    /// A key that may hand in mail.
    mail_key: String,
}

/// An app with the reply mailbox set (unless `reply_box` is false) and `inbound` TOML for
/// `[email.inbound]`.
async fn desk(reply_box: bool, inbound: &str) -> Desk {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let reply = if reply_box {
        format!("reply_address = \"{REPLY_BOX}\"\n")
    } else {
        String::new()
    };
    let overrides = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\nmessage_id_domain = \"desk.example.org\"\n{reply}\n[email.inbound]\n{inbound}\n",
        parties(&committee.url, &provider.url, true),
        sink.url(),
    );
    let app = spawn_app_with(&overrides).await;
    let mail_key = app
        .create_key("mail server", &[ApiScope::MailInbound], None)
        .await;
    Desk {
        app,
        sink,
        committee,
        provider,
        mail_key,
    }
}

impl Desk {
    /// Files a report for `hn`, sends everything, and returns the incident.
    async fn filed(&self) -> Value {
        let filed = self.app.file(&report_for_hn()).await;
        settled(&self.app, filed["id"].as_str().expect("id")).await
    }

    async fn mail_to(&self, address: &str) -> ReceivedMail {
        let mails = self.sink.wait_for(1, WAIT).await;
        mails
            .into_iter()
            .find(|m| m.rcpt_to.iter().any(|r| r == address))
            .unwrap_or_else(|| panic!("no email to {address}"))
    }

    async fn hand_in(&self, raw: &str) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url("/api/v1/inbound/email"))
            .bearer_auth(&self.mail_key)
            .header("content-type", "message/rfc822")
            .body(raw.to_owned())
            .send()
            .await
            .expect("request")
    }

    /// An officer's key puts an unmatched mail on a ticket; the path it posted to.
    async fn attach(&self, mail: &Value, ticket_id: &Value) -> (String, Value) {
        let path = format!(
            "/api/v1/inbound/{}/attach",
            mail["id"].as_str().expect("id")
        );
        let response = self
            .app
            .post_json(&path, &json!({ "ticket_id": ticket_id }))
            .await;
        (path, expect_status(response, StatusCode::OK).await)
    }

    async fn thread(&self, ticket_id: &str) -> Value {
        let response = self
            .app
            .get(&format!("/api/v1/tickets/{ticket_id}/messages"))
            .await;
        expect_status(response, StatusCode::OK).await
    }

    /// The ticket's conversation as the party's own key reads it.
    async fn thread_as(&self, key: &str, ticket_id: &str) -> Value {
        let response = self
            .app
            .get_as(key, &format!("/api/v1/tickets/{ticket_id}/messages"))
            .await;
        expect_status(response, StatusCode::OK).await
    }
}

fn header(mail: &ReceivedMail, name: &str) -> String {
    let parsed = mail.parsed();
    parsed
        .header_raw(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn reply_mail(from: &str, to: &str, subject: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: Meta Support <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@meta.example>\r\n{extra_headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        uuid::Uuid::now_v7()
    )
}

/// A reply from the provider's known address with the incident's reference in the subject.
fn tagged_reply(detail: &Value, body: &str) -> String {
    let reference = detail["reference"].as_str().expect("reference");
    reply_mail(
        "partners@meta.example.org",
        REPLY_BOX,
        &format!("[{reference}]"),
        "",
        body,
    )
}

fn events_of<'a>(detail: &'a Value, kind: &str) -> Vec<&'a Value> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[tokio::test]
async fn a_reply_to_the_ticket_address_lands_on_its_ticket_with_its_files_as_evidence() {
    let desk = desk(true, "case_patterns.meta = 'Case #(\\d+)'").await;
    let detail = desk.filed().await;
    let meta = ticket(&detail, "meta").clone();
    let notification = desk.mail_to("partners@meta.example.org").await;
    let reply_to = header(&notification, "Reply-To");
    let address = reply_to.trim_matches(['<', '>']);
    assert!(
        address.starts_with("cases+t") && address.ends_with("@desk.example.org"),
        "{reply_to}"
    );
    assert!(
        !address.contains(&meta["id"].as_str().expect("id")[..8]),
        "the token reveals nothing of the ticket"
    );
    let reference = detail["reference"].as_str().expect("reference");
    assert!(header(&notification, "Subject").contains(&format!("[{reference}]")));

    let raw = format!(
        "From: Meta Support <support@meta.example>\r\nTo: {address}\r\nSubject: Re: your report\r\nMessage-ID: <r1@meta.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe took the page down. Your Case #88123 is open.\r\n\r\nOn Tue, Desk wrote:\r\n> old text\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"proof.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64_encode(PNG)
    );
    let received = expect_status(desk.hand_in(&raw).await, StatusCode::CREATED).await;
    assert_eq!(received["status"], "attached", "{received:#}");
    assert_eq!(received["matched_by"], "token");
    assert_eq!(received["kind"], "reply");
    assert_eq!(received["ticket_id"], meta["id"]);
    assert_eq!(received["evidence"].as_array().expect("evidence").len(), 1);

    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    let messages = thread["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{thread:#}");
    assert_eq!(messages[0]["direction"], "inbound");
    assert_eq!(messages[0]["author"], "party");
    assert!(
        messages[0]["body"]
            .as_str()
            .expect("body")
            .contains("> old text")
    );
    assert_eq!(messages[0]["evidence"][0]["name"], "proof.png");
    assert_eq!(thread["waiting"], "on_us");

    let detail = desk.app.incident(detail["id"].as_str().expect("id")).await;
    let meta = ticket(&detail, "meta");
    assert_eq!(meta["external_ref"], "88123", "the provider's case number");
    assert_eq!(events_of(&detail, "message.received").len(), 1);

    // The committee's webhooks hear of the message.
    desk.app.dispatch_until_idle().await;
    let hooks = desk.committee.received();
    let event = hooks
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .find(|e| e["type"] == "ticket.message")
        .expect("ticket.message to the committee");
    assert_eq!(event["data"]["ticket"]["party"], "meta");
    assert_eq!(event["data"]["message"]["direction"], "inbound");
}

#[tokio::test]
async fn a_reply_threaded_by_in_reply_to_lands_on_its_ticket_without_a_reply_mailbox() {
    let desk = desk(false, "").await;
    let detail = desk.filed().await;
    let notification = desk.mail_to("ir@cert.example.org").await;
    assert_eq!(
        header(&notification, "Reply-To"),
        "",
        "no mailbox, no Reply-To"
    );
    let root = header(&notification, "Message-ID");
    let raw = reply_mail(
        "someone@forwarded.example",
        "incident-desk@example.org",
        "Re: hello",
        &format!("In-Reply-To: {root}\r\n"),
        "Received, we are on it.",
    );
    let received = expect_status(desk.hand_in(&raw).await, StatusCode::CREATED).await;
    assert_eq!(received["matched_by"], "thread", "{received:#}");
    assert_eq!(received["ticket_id"], ticket(&detail, "cert")["id"]);
}

#[tokio::test]
async fn the_subject_tag_matches_only_from_a_known_address_of_a_party() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let subject = format!("Re: [{reference}] Page hijacked");

    let known = reply_mail(
        "partners@meta.example.org",
        REPLY_BOX,
        &subject,
        "",
        "On it.",
    );
    let received = expect_status(desk.hand_in(&known).await, StatusCode::CREATED).await;
    assert_eq!(received["matched_by"], "subject_tag", "{received:#}");
    assert_eq!(received["ticket_id"], ticket(&detail, "meta")["id"]);

    let stranger = reply_mail(
        "attacker@evil.example",
        REPLY_BOX,
        &subject,
        "",
        "Click here",
    );
    let received = expect_status(desk.hand_in(&stranger).await, StatusCode::CREATED).await;
    assert_eq!(received["status"], "unmatched");
    assert_eq!(received["reason"], "unknown_sender");
    assert_eq!(received["ticket_id"], Value::Null);

    let nothing = reply_mail("someone@example.org", REPLY_BOX, "Hello", "", "Hi");
    let received = expect_status(desk.hand_in(&nothing).await, StatusCode::CREATED).await;
    assert_eq!(received["reason"], "no_match");
}

#[tokio::test]
async fn a_forged_reply_address_goes_to_the_unmatched_queue_with_the_reason() {
    let desk = desk(true, "").await;
    desk.filed().await;
    let notification = desk.mail_to("partners@meta.example.org").await;
    let address = header(&notification, "Reply-To")
        .trim_matches(['<', '>'])
        .to_owned();
    let (local, domain) = address.split_once('@').expect("address");
    let mut forged: Vec<char> = local.chars().collect();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == 'a' { 'b' } else { 'a' };
    let forged: String = forged.into_iter().collect();
    let raw = reply_mail(
        "partners@meta.example.org",
        &format!("{forged}@{domain}"),
        "Re: hello",
        "",
        "Forged.",
    );
    let received = expect_status(desk.hand_in(&raw).await, StatusCode::CREATED).await;
    assert_eq!(received["status"], "unmatched", "{received:#}");
    assert_eq!(received["reason"], "forged_token");
}

#[tokio::test]
async fn policy_can_require_dmarc_pass_for_mail_matched_without_the_token() {
    let desk = desk(true, "require_dmarc_pass = true").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let subject = format!("Re: [{reference}]");
    let unauthenticated = reply_mail("partners@meta.example.org", REPLY_BOX, &subject, "", "x");
    let received = expect_status(desk.hand_in(&unauthenticated).await, StatusCode::CREATED).await;
    assert_eq!(received["reason"], "dmarc_not_pass", "{received:#}");
    let authenticated = reply_mail(
        "partners@meta.example.org",
        REPLY_BOX,
        &subject,
        "Authentication-Results: mx.desk.example.org; dkim=pass; dmarc=pass header.from=meta.example.org\r\n",
        "y",
    );
    let received = expect_status(desk.hand_in(&authenticated).await, StatusCode::CREATED).await;
    assert_eq!(received["status"], "attached", "{received:#}");
}

#[tokio::test]
async fn a_hard_bounce_fails_the_email_and_the_ticket_and_tells_the_committee() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let cert = ticket(&detail, "cert").clone();
    assert_eq!(cert["status"], "notified");
    let notification = desk.mail_to("ir@cert.example.org").await;
    let original = header(&notification, "Message-ID");
    let dsn = format!(
        "From: MAILER-DAEMON@mx.cert.example.org\r\nTo: incident-desk@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.cert.example.org\r\n\r\nFinal-Recipient: rfc822; ir@cert.example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original}\r\nSubject: x\r\n--r--\r\n"
    );
    let received = expect_status(desk.hand_in(&dsn).await, StatusCode::CREATED).await;
    assert_eq!(received["kind"], "hard_bounce", "{received:#}");
    assert_eq!(received["ticket_id"], cert["id"]);
    let detail = desk.app.incident(detail["id"].as_str().expect("id")).await;
    let cert = ticket(&detail, "cert");
    assert_eq!(cert["status"], "failed", "its only email bounced: {cert:#}");
    let email = cert["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "email")
        .expect("email delivery");
    assert_eq!(email["status"], "failed");
    assert!(events_of(&detail, "mail.bounced").len() == 1);
    assert!(events_of(&detail, "ticket.failed").len() == 1);
    desk.app.dispatch_until_idle().await;
    let told = desk
        .committee
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .any(|e| e["type"] == "ticket.failed" && e["data"]["ticket"]["party"] == "cert");
    assert!(told, "the committee hears that cert cannot be reached");
}

#[tokio::test]
async fn an_out_of_office_is_recorded_and_never_answered() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let notification = desk.mail_to("partners@meta.example.org").await;
    let address = header(&notification, "Reply-To")
        .trim_matches(['<', '>'])
        .to_owned();
    let before = desk.sink.messages().await.len();
    let hooks_before = desk.provider.received().len() + desk.committee.received().len();
    let raw = reply_mail(
        "partners@meta.example.org",
        &address,
        "Automatic reply: out of office",
        "Auto-Submitted: auto-replied\r\n",
        "I am away until Monday.",
    );
    let received = expect_status(desk.hand_in(&raw).await, StatusCode::CREATED).await;
    assert_eq!(received["kind"], "auto_reply", "{received:#}");
    assert_eq!(received["status"], "attached");
    let meta = ticket(&detail, "meta");
    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    assert_eq!(thread["messages"][0]["kind"], "auto_reply");
    assert_eq!(
        thread["waiting"], "nobody",
        "an auto-reply is nobody's move"
    );
    desk.app.dispatch_until_idle().await;
    assert_eq!(
        desk.sink.messages().await.len(),
        before,
        "no email answers it"
    );
    assert_eq!(
        desk.provider.received().len() + desk.committee.received().len(),
        hooks_before,
        "no webhook event for an auto-reply"
    );
}

#[tokio::test]
async fn the_same_mail_twice_is_stored_once() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let raw = tagged_reply(&detail, "Once.");
    let first = expect_status(desk.hand_in(&raw).await, StatusCode::CREATED).await;
    let again = expect_status(desk.hand_in(&raw).await, StatusCode::OK).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["id"], first["id"]);
    // The same Message-ID with other bytes (a relay added a header) is the same mail too.
    let relayed = format!("Received: from relay.example\r\n{raw}");
    let relayed = expect_status(desk.hand_in(&relayed).await, StatusCode::OK).await;
    assert_eq!(relayed["id"], first["id"]);
    let meta = ticket(&detail, "meta");
    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);
}

#[tokio::test]
async fn copies_of_one_mail_arriving_at_once_are_stored_once() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let raw = tagged_reply(&detail, "Once, though relayed many ways.");
    // Each copy went through another relay: other bytes, the same Message-ID.
    let copies: Vec<String> = (0..8)
        .map(|i| format!("Received: from relay-{i}.example\r\n{raw}"))
        .collect();
    let answers = futures_util::future::join_all(copies.iter().map(|c| desk.hand_in(c))).await;
    let mut stored = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for answer in answers {
        let status = answer.status();
        let body: Value = answer.json().await.expect("json");
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}: {body:#}"
        );
        assert_eq!(body["duplicate"], status == StatusCode::OK, "{body:#}");
        if status == StatusCode::CREATED {
            stored.push(body.clone());
        }
        ids.insert(body["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert_eq!(ids.len(), 1, "{ids:?}");
    let meta = ticket(&detail, "meta");
    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);
}

#[tokio::test]
async fn replies_arriving_at_once_each_land_count_as_unread_and_are_announced() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let meta_id = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let replies: Vec<String> = (0..6)
        .map(|i| tagged_reply(&detail, &format!("Update number {i} on the page.")))
        .collect();
    let answers = futures_util::future::join_all(replies.iter().map(|r| desk.hand_in(r))).await;
    let mut messages = std::collections::BTreeSet::new();
    for answer in answers {
        let body = expect_status(answer, StatusCode::CREATED).await;
        assert_eq!(body["duplicate"], false, "{body:#}");
        assert_eq!(body["status"], "attached", "{body:#}");
        assert_eq!(body["ticket_id"], meta_id.as_str(), "{body:#}");
        messages.insert(body["message_id"].as_str().expect("message_id").to_owned());
    }
    assert_eq!(messages.len(), 6, "six messages: {messages:?}");

    // Every reply counts as unread; the party's own view does not read them.
    let party_key = desk.app.create_party_key("meta").await;
    let as_party = desk.thread_as(&party_key, &meta_id).await;
    assert_eq!(as_party["unread"], 6, "{as_party:#}");
    assert_eq!(as_party["waiting"], "on_us");
    let bodies: std::collections::BTreeSet<String> = as_party["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().expect("body").trim().to_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> = (0..6)
        .map(|i| format!("Update number {i} on the page."))
        .collect();
    assert_eq!(bodies, expected);
    let detail = desk.app.incident(detail["id"].as_str().expect("id")).await;
    assert_eq!(events_of(&detail, "message.received").len(), 6);

    // Each reply is announced once to the committee's webhooks and once to the provider's.
    desk.app.dispatch_until_idle().await;
    for (who, hooks) in [("committee", &desk.committee), ("provider", &desk.provider)] {
        let announced: std::collections::BTreeSet<String> = hooks
            .received()
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
            .filter(|e| e["type"] == "ticket.message")
            .map(|e| e["data"]["message"]["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(announced, messages, "the {who}'s webhooks");
    }
}

#[tokio::test]
async fn inbound_mail_needs_its_scope_a_message_and_a_size_within_the_limit() {
    let desk = desk(true, "max_message_bytes = 2048").await;
    let raw = reply_mail("a@example.org", REPLY_BOX, "x", "", "y");
    let response = desk
        .app
        .client
        .post(desk.app.url("/api/v1/inbound/email"))
        .bearer_auth(&desk.app.api_key)
        .header("content-type", "message/rfc822")
        .body(raw.clone())
        .send()
        .await
        .expect("request");
    expect_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = desk
        .app
        .client
        .post(desk.app.url("/api/v1/inbound/email"))
        .bearer_auth(&desk.mail_key)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    expect_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let problem = expect_problem(
        desk.hand_in("Subject: no sender\r\n\r\nhello").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        vec![("body".to_owned(), "no_sender".to_owned())]
    );
    let big = reply_mail("a@example.org", REPLY_BOX, "x", "", &"z".repeat(4096));
    expect_problem(
        desk.hand_in(&big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn an_officer_writes_to_a_party_by_email_and_webhook_and_the_party_answers_by_api() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let meta = ticket(&detail, "meta").clone();
    let meta_id = meta["id"].as_str().expect("id");
    let reference = detail["reference"].as_str().expect("reference");
    // A screenshot that came in by mail is evidence the officer can send on.
    let with_file = format!(
        "From: ir@cert.example.org\r\nTo: {REPLY_BOX}\r\nSubject: [{reference}] screenshot\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"proof.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64_encode(PNG)
    );
    let received = expect_status(desk.hand_in(&with_file).await, StatusCode::CREATED).await;
    let file_id = received["evidence"][0].clone();
    assert!(file_id.is_string(), "{received:#}");
    desk.app.dispatch_until_idle().await;
    let before = desk.sink.messages().await.len();

    let response = desk
        .app
        .post_json(
            &format!("/api/v1/tickets/{meta_id}/messages"),
            &json!({ "subject": "Page restored?", "body": "Could you confirm the page is back?\nThanks.", "evidence": [file_id] }),
        )
        .await;
    let written = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(written["direction"], "outbound");
    assert_eq!(written["author"], "officer");
    let thread = desk.thread(meta_id).await;
    assert_eq!(thread["waiting"], "on_party");

    desk.app.dispatch_until_idle().await;
    let mails = desk.sink.wait_for(before + 1, WAIT).await;
    let mail = mails[before..]
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r == "partners@meta.example.org"))
        .expect("the message by email");
    assert_eq!(attachment_names(mail), vec!["proof.png".to_owned()]);
    assert_eq!(
        header(mail, "Subject"),
        format!("[{reference}] Page restored?")
    );
    assert!(header(mail, "Reply-To").contains("cases+t"));
    assert!(header(mail, "In-Reply-To").contains(&format!("ticket-{meta_id}@")));
    let parsed = mail.parsed();
    assert!(
        parsed
            .body_text(0)
            .expect("text")
            .contains("Could you confirm the page is back?")
    );
    let to_provider = desk
        .provider
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .find(|e| e["type"] == "ticket.message")
        .expect("ticket.message to the provider's webhook");
    assert_eq!(to_provider["data"]["message"]["subject"], "Page restored?");

    // The party answers with its own key; the committee hears of it.
    let party_key = desk.app.create_party_key("meta").await;
    let response = desk
        .app
        .post_json_as(
            &party_key,
            &format!("/api/v1/tickets/{meta_id}/messages"),
            &json!({ "body": "Yes, restored at 10:00." }),
        )
        .await;
    let answered = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(answered["direction"], "inbound");
    assert_eq!(answered["author"], "party");
    let as_party = desk.thread_as(&party_key, meta_id).await;
    assert_eq!(as_party["waiting"], "on_us");
    assert_eq!(as_party["messages"].as_array().expect("messages").len(), 2);
    desk.app.dispatch_until_idle().await;
    let committee_heard = desk
        .committee
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .filter(|e| e["type"] == "ticket.message" && e["data"]["ticket"]["party"] == "meta")
        .count();
    assert_eq!(
        committee_heard, 2,
        "both messages reach the committee's webhook"
    );

    // Another party's key does not see this conversation.
    let other = desk.app.create_party_key("cert").await;
    let response = desk
        .app
        .get_as(&other, &format!("/api/v1/tickets/{meta_id}/messages"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_message_names_each_broken_field() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let meta_id = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let response = desk
        .app
        .post_json(
            &format!("/api/v1/tickets/{meta_id}/messages"),
            &json!({ "subject": "a\nb", "body": "", "evidence": [uuid::Uuid::now_v7()] }),
        )
        .await;
    let problem = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields: Vec<String> = field_rules(&problem).into_iter().map(|(f, _)| f).collect();
    assert!(fields.contains(&"subject".to_owned()), "{problem:#}");
    assert!(fields.contains(&"body".to_owned()), "{problem:#}");
    let response = desk
        .app
        .post_json(
            &format!("/api/v1/tickets/{meta_id}/messages"),
            &json!({ "body": "ok", "evidence": [uuid::Uuid::now_v7()] }),
        )
        .await;
    let problem = expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        vec![("evidence[0]".to_owned(), "unknown_evidence".to_owned())]
    );
    let thread = desk.thread(&meta_id).await;
    assert_eq!(
        thread["messages"].as_array().expect("messages").len(),
        0,
        "nothing half-stored"
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn attachment_names(mail: &ReceivedMail) -> Vec<String> {
    mail.parsed()
        .attachments()
        .filter_map(|a| a.attachment_name().map(str::to_owned))
        .collect()
}

/// Runs `incident-desk mailgate` with `raw` on standard input; returns its exit status.
async fn mailgate(url: &str, key_file: &std::path::Path, raw: &str) -> (i32, String) {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(crate::process::binary())
        .arg("mailgate")
        .arg("--url")
        .arg(url)
        .arg("--key-file")
        .arg(key_file)
        .arg("--recipient")
        .arg(REPLY_BOX)
        .arg("--timeout")
        .arg("5s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mailgate starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(raw.as_bytes()).await.expect("write");
    drop(stdin);
    let out = child.wait_with_output().await.expect("mailgate ends");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn mailgate_asks_the_mail_server_to_retry_while_the_service_is_down() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let raw = reply_mail(
        "partners@meta.example.org",
        REPLY_BOX,
        &format!("Re: [{reference}]"),
        "",
        "Through the pipe.",
    );
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{}\n", desk.mail_key)).expect("key file");

    // Nothing listens on this port: the service is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let down = format!(
        "http://127.0.0.1:{}",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    let (code, said) = mailgate(&down, &key_file, &raw).await;
    assert_eq!(code, 75, "EX_TEMPFAIL, so the mail server retries: {said}");

    // The mail server's retry, once the service is up, stores it.
    let (code, said) = mailgate(&desk.app.address, &key_file, &raw).await;
    assert_eq!(code, 0, "{said}");
    let meta = ticket(&detail, "meta");
    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    let body = thread["messages"][0]["body"].as_str().expect("body");
    assert!(body.contains("Through the pipe."), "{thread:#}");
    // A retry of a message already stored is still a success, and stores nothing more.
    let (code, _) = mailgate(&desk.app.address, &key_file, &raw).await;
    assert_eq!(code, 0);
    let thread = desk.thread(meta["id"].as_str().expect("id")).await;
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);

    // A key without the scope is refused for good.
    let no_scope = dir.path().join("other");
    std::fs::write(&no_scope, &desk.app.api_key).expect("key file");
    let (code, _) = mailgate(&desk.app.address, &no_scope, &raw).await;
    assert_eq!(code, 77);
}

#[tokio::test]
async fn an_imap_mailbox_that_cannot_be_reached_fails_the_round_and_the_service_keeps_serving() {
    // Nothing listens on this port: the mail host is down. (The rounds against a real IMAP
    // server are in tests/imap, behind the `imap-tests` feature.)
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let desk = desk(
        true,
        &format!(
            "imap = {{ enabled = false, url = \"imap://127.0.0.1:{port}\", user = \"cases\", password = \"pw\" }}"
        ),
    )
    .await;
    let failed = desk.app.poll_mailbox().await;
    assert!(
        matches!(
            failed,
            Err(incident_desk::channels::imap::ImapError::Connect(_))
        ),
        "{failed:?}"
    );
    let health = desk
        .app
        .client
        .get(desk.app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_officer_attaches_an_unmatched_mail_to_a_ticket_or_discards_it() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let meta_id = ticket(&detail, "meta")["id"].clone();
    let from_new_address = reply_mail(
        "escalations@meta.example.org",
        REPLY_BOX,
        &format!("Re: [{reference}]"),
        "",
        "Written from another team's address.",
    );
    let kept = expect_status(desk.hand_in(&from_new_address).await, StatusCode::CREATED).await;
    let spam = reply_mail("spam@example.org", REPLY_BOX, "Offer", "", "Buy now");
    let spam = expect_status(desk.hand_in(&spam).await, StatusCode::CREATED).await;

    let queue = expect_status(
        desk.app.get("/api/v1/inbound/unmatched").await,
        StatusCode::OK,
    )
    .await;
    let mails = queue["mails"].as_array().expect("mails");
    assert_eq!(mails.len(), 2, "{queue:#}");
    assert_eq!(mails[0]["id"], spam["id"], "newest first");
    assert_eq!(mails[1]["reason"], "unknown_sender");
    assert_eq!(
        mails[1]["incident_id"], detail["id"],
        "the incident its subject names"
    );

    let committee_key = desk
        .app
        .create_key("hn tools", &[ApiScope::IncidentsRead], Some("hn"))
        .await;
    let response = desk
        .app
        .get_as(&committee_key, "/api/v1/inbound/unmatched")
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, "forbidden").await;

    let (path, attached) = desk.attach(&kept, &meta_id).await;
    assert_eq!(attached["status"], "attached", "{attached:#}");
    assert_eq!(attached["matched_by"], "officer");
    let thread = desk.thread(meta_id.as_str().expect("id")).await;
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);
    expect_problem(
        desk.app
            .post_json(&path, &json!({ "ticket_id": meta_id }))
            .await,
        StatusCode::CONFLICT,
        "already_handled",
    )
    .await;

    let discard = format!(
        "/api/v1/inbound/{}/discard",
        spam["id"].as_str().expect("id")
    );
    let response = desk.app.post_json(&discard, &json!({})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let queue = expect_status(
        desk.app.get("/api/v1/inbound/unmatched").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        queue["mails"].as_array().expect("mails").len(),
        0,
        "{queue:#}"
    );
}

/// An unmatched reply's attachment is kept with the mail (its bytes on disk under their
/// digest), but becomes evidence of the incident only once an officer attaches the mail.
#[tokio::test]
async fn an_unmatched_reply_brings_its_attachment_into_the_evidence_once_attached() {
    use incident_desk::domain::access::Role;
    use sha2::{Digest, Sha256};
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let meta_id = ticket(&detail, "meta")["id"].clone();
    let officer =
        crate::desk::Officer::create(&desk.app, "mai.tran", Role::Officer, Some("hn")).await;
    let incident_page = format!("/desk/incidents/{reference}");
    let reply = format!(
        "From: escalations@meta.example.org\r\nTo: {REPLY_BOX}\r\nSubject: Re: [{reference}] screenshot\r\nMessage-ID: <late-1@meta.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe page is locked now.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"locked.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64_encode(PNG)
    );
    let received = expect_status(desk.hand_in(&reply).await, StatusCode::CREATED).await;
    assert_eq!(received["status"], "unmatched", "{received:#}");
    assert_eq!(received["reason"], "unknown_sender");
    assert_eq!(received["evidence"], json!([]), "{received:#}");
    assert_eq!(received["skipped"], json!([]), "{received:#}");
    let page = officer.page(&incident_page).await;
    assert!(page.contains(reference), "the incident's page: {page}");
    assert!(
        !page.contains("locked.png"),
        "no evidence while the mail is unmatched: {page}"
    );

    let (_, attached) = desk.attach(&received, &meta_id).await;
    assert_eq!(
        attached["evidence"].as_array().map(Vec::len),
        Some(1),
        "{attached:#}"
    );
    let thread = desk.thread(meta_id.as_str().expect("id")).await;
    assert_eq!(thread["messages"][0]["evidence"][0]["name"], "locked.png");
    let page = officer.page(&incident_page).await;
    assert!(
        page.contains("locked.png"),
        "the attachment is evidence of the incident now: {page}"
    );
    let digest = hex::encode(Sha256::digest(PNG));
    let on_disk = std::fs::read(desk.app.evidence.path().join(&digest[..2]).join(&digest))
        .expect("the attachment's file, named by its digest");
    assert_eq!(on_disk, PNG, "the attachment's bytes, decoded");

    let again = expect_status(desk.hand_in(&reply).await, StatusCode::OK).await;
    assert_eq!(again["duplicate"], true, "{again:#}");
    assert_eq!(again["id"], received["id"]);
}

#[tokio::test]
async fn the_desk_shows_each_conversation_and_an_officer_writes_to_the_party() {
    use incident_desk::domain::access::Role;
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let meta_id = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = format!(
        "From: partners@meta.example.org\r\nTo: {REPLY_BOX}\r\nSubject: Re: [{reference}] screenshot\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe page is locked now.\r\n\r\nOn Mon, Desk wrote:\r\n> Please lock the page.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"locked.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64_encode(PNG)
    );
    let received = expect_status(desk.hand_in(&reply).await, StatusCode::CREATED).await;
    let file_id = received["evidence"][0].as_str().expect("a file").to_owned();

    let officer =
        crate::desk::Officer::create(&desk.app, "mai.tran", Role::Officer, Some("hn")).await;
    let page = officer.page(&format!("/desk/incidents/{reference}")).await;
    assert!(page.contains("The page is locked now."), "{page}");
    assert!(page.contains("1 tin chưa đọc"), "the unread count: {page}");
    let folded = page
        .find("class=\"quoted\"")
        .expect("the quoted history, folded");
    let quoted = page
        .find("Please lock the page.")
        .expect("the quoted history, kept");
    assert!(quoted > folded, "the history sits in the folded part");
    assert!(page.contains("locked.png"));
    let party_key = desk.app.create_party_key("meta").await;
    let as_party = desk.thread_as(&party_key, &meta_id).await;
    assert_eq!(as_party["unread"], 0, "the officer has read it");

    let path = format!("/desk/incidents/{reference}/tickets/{meta_id}/messages");
    let refused = officer
        .post_form(&path, &[("subject", "x"), ("body", " ")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let before = desk.sink.messages().await.len();
    let sent = officer
        .post_form(
            &path,
            &[
                ("subject", "Xin xác nhận"),
                ("body", "Vui lòng xác nhận trang đã được khóa."),
                ("evidence", &file_id),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::desk::location(&sent),
        format!("/desk/incidents/{reference}?done=message")
    );
    desk.app.dispatch_until_idle().await;
    let mails = desk.sink.wait_for(before + 1, WAIT).await;
    let mail = mails[before..]
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r == "partners@meta.example.org"))
        .expect("the officer's message by email");
    assert_eq!(attachment_names(mail), vec!["locked.png".to_owned()]);
    let thread = desk.thread(&meta_id).await;
    let last = &thread["messages"][1];
    assert_eq!(last["author"], "officer");
    assert_eq!(last["channel"], "desk");
    assert_eq!(thread["waiting"], "on_party");
    let page = officer.page(&format!("/desk/incidents/{reference}")).await;
    assert!(
        page.contains("email: đã gửi tới"),
        "the delivery state of the officer's message: {page}"
    );
}

/// The emails the member received, oldest first.
async fn member_mails(desk: &Desk, at_least: usize) -> Vec<ReceivedMail> {
    desk.sink
        .wait_for(at_least, WAIT)
        .await
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == "an.nguyen@example.org"))
        .collect()
}

fn tracking_path(mail: &ReceivedMail) -> String {
    let text = mail.parsed().body_text(0).expect("text").to_string();
    let at = text.find("/track/").expect("a tracking link");
    text[at..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_owned()
}

#[tokio::test]
async fn the_member_hears_of_each_update_in_their_language_with_a_fresh_tracking_link() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let id = detail["id"].as_str().expect("id").to_owned();
    let reference = detail["reference"].as_str().expect("reference").to_owned();
    let meta = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let confirmations = member_mails(&desk, 1).await.len();
    assert_eq!(confirmations, 1, "the confirmation");

    let ok =
        |r: reqwest::Response| async move { assert!(r.status().is_success(), "{}", r.status()) };
    ok(desk
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/status"),
            &json!({"status": "in_progress"}),
        )
        .await)
    .await;
    ok(desk
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/notes"),
            &json!({"text": "Chúng tôi đã liên hệ Meta.", "visibility": "shared"}),
        )
        .await)
    .await;
    ok(desk
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/notes"),
            &json!({"text": "internal only", "visibility": "internal"}),
        )
        .await)
    .await;
    let party_key = desk.app.create_party_key("meta").await;
    ok(desk
        .app
        .post_json_as(
            &party_key,
            &format!("/api/v1/tickets/{meta}/acknowledge"),
            &json!({}),
        )
        .await)
    .await;
    ok(desk
        .app
        .post_json_as(
            &party_key,
            &format!("/api/v1/tickets/{meta}/resolve"),
            &json!({}),
        )
        .await)
    .await;
    let written = expect_status(
        desk.app
            .post_json(
                &format!("/api/v1/incidents/{id}/messages"),
                &json!({"body": "Bạn có còn đăng nhập được trang không?"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(written["author"], "officer");
    desk.app.dispatch_until_idle().await;

    let mails = member_mails(&desk, 7).await;
    assert_eq!(
        mails.len(),
        6,
        "the confirmation and five updates, not the internal note"
    );
    let texts: Vec<String> = mails
        .iter()
        .map(|m| m.parsed().body_text(0).expect("text").to_string())
        .collect();
    // Sent concurrently, so in any order: each update once.
    for expected in [
        "Đang xử lý",
        "Chúng tôi đã liên hệ Meta.",
        "đã tiếp nhận",
        "đã xử lý xong",
        "Bạn có còn đăng nhập được trang không?",
    ] {
        let found = texts.iter().filter(|t| t.contains(expected)).count();
        assert_eq!(found, 1, "one email says {expected:?}: {texts:#?}");
    }
    assert!(!texts.iter().any(|t| t.contains("internal only")));
    let mut links = std::collections::BTreeSet::new();
    for mail in &mails {
        assert!(header(mail, "Subject").contains(&format!("[{reference}]")));
        assert!(
            header(mail, "Reply-To").contains("cases+m"),
            "the incident's own address"
        );
        let link = tracking_path(mail);
        let page = desk.app.get(&link).await;
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "{link} opens the tracking page"
        );
        links.insert(link);
    }
    assert_eq!(links.len(), 6, "each email carries its own tracking link");
}

#[tokio::test]
async fn only_the_configured_updates_are_mailed_to_the_member() {
    let desk = desk(true, "").await;
    // A second app on the same defaults but mailing officers' messages only.
    let overrides = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\n[notifications]\nmember_updates = [\"officer_message\"]\n",
        parties(&desk.committee.url, &desk.provider.url, true),
        desk.sink.url(),
    );
    let app = spawn_app_with(&overrides).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id").to_owned();
    settled(&app, &id).await;
    let status = app
        .post_json(
            &format!("/api/v1/incidents/{id}/status"),
            &json!({"status": "in_progress"}),
        )
        .await;
    assert!(status.status().is_success());
    let written = app
        .post_json(
            &format!("/api/v1/incidents/{id}/messages"),
            &json!({"body": "Xin chào."}),
        )
        .await;
    assert_eq!(written.status(), StatusCode::CREATED);
    app.dispatch_until_idle().await;
    let mails = member_mails(&desk, 2).await;
    assert_eq!(
        mails.len(),
        2,
        "the confirmation and the officer's message only"
    );
    assert!(
        mails[1]
            .parsed()
            .body_text(0)
            .expect("text")
            .contains("Xin chào.")
    );
}

#[tokio::test]
async fn a_message_to_the_member_pauses_the_deadlines_until_the_member_replies_by_email() {
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let id = detail["id"].as_str().expect("id").to_owned();
    let cert_before = ticket(&detail, "cert").clone();
    expect_status(
        desk.app
            .post_json(
                &format!("/api/v1/incidents/{id}/messages"),
                &json!({"subject": "Câu hỏi", "body": "Trang còn hoạt động không?"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let paused = desk.app.incident(&id).await;
    let cert = ticket(&paused, "cert");
    assert_eq!(cert["waiting"], "on_member");
    assert!(cert["paused_since"].is_string(), "{cert:#}");
    assert_eq!(cert["overdue"], false);

    desk.app.dispatch_until_idle().await;
    let mails = member_mails(&desk, 2).await;
    let question = mails.last().expect("the officer's message");
    let reply_to = header(question, "Reply-To");
    let address = reply_to.trim_matches(['<', '>']);
    let answer = format!(
        "From: Nguyễn Văn An <an.nguyen@example.org>\r\nTo: {address}\r\nSubject: Re: Câu hỏi\r\nMessage-ID: <m1@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nKhông, trang đã bị khóa.\r\n"
    );
    let received = expect_status(desk.hand_in(&answer).await, StatusCode::CREATED).await;
    assert_eq!(received["matched_by"], "token", "{received:#}");
    assert_eq!(
        received["ticket_id"],
        Value::Null,
        "the member's side of the incident"
    );
    assert_eq!(received["incident_id"], detail["id"]);

    let resumed = desk.app.incident(&id).await;
    let cert = ticket(&resumed, "cert");
    assert_eq!(cert["paused_since"], Value::Null);
    assert!(cert["paused_seconds"].as_i64().is_some(), "{cert:#}");
    let before: chrono::DateTime<chrono::Utc> = cert_before["deadline_at"]
        .as_str()
        .expect("deadline")
        .parse()
        .expect("time");
    let after: chrono::DateTime<chrono::Utc> = cert["deadline_at"]
        .as_str()
        .expect("deadline")
        .parse()
        .expect("time");
    assert!(after > before, "the deadline moved by the pause");

    let thread = expect_status(
        desk.app
            .get(&format!("/api/v1/incidents/{id}/messages"))
            .await,
        StatusCode::OK,
    )
    .await;
    let messages = thread["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["author"], "member");

    // The member sees the conversation on their tracking page.
    let page = desk
        .app
        .get(&tracking_path(question))
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("Trang còn hoạt động không?"), "{page}");
    assert!(page.contains("Không, trang đã bị khóa."));
}

#[tokio::test]
async fn the_queue_counts_and_filters_incidents_where_a_party_wrote_last() {
    use incident_desk::domain::access::Role;
    let desk = desk(true, "").await;
    let quiet = desk.filed().await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let reply = reply_mail(
        "partners@meta.example.org",
        REPLY_BOX,
        &format!("Re: [{reference}]"),
        "",
        "We need the page's creation date.",
    );
    expect_status(desk.hand_in(&reply).await, StatusCode::CREATED).await;

    let officer =
        crate::desk::Officer::create(&desk.app, "mai.tran", Role::Officer, Some("hn")).await;
    let queue = officer.page("/desk").await;
    assert_eq!(crate::desk::counter(&queue, "count-unread"), 1, "{queue}");
    let waiting = officer.page("/desk?waiting=1").await;
    assert!(waiting.contains(reference), "{waiting}");
    assert!(
        !waiting.contains(quiet["reference"].as_str().expect("reference")),
        "only the incident a party wrote on"
    );
    assert!(waiting.contains("flag-unread"));

    // Opening the incident reads the message; the incident still waits on the desk.
    officer.page(&format!("/desk/incidents/{reference}")).await;
    let waiting = officer.page("/desk?waiting=1").await;
    assert!(!waiting.contains("flag-unread"), "read now");
    assert!(waiting.contains("flag-waiting"), "still the desk's move");

    // An answer to the party makes it the party's move again.
    let meta_id = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let sent = officer
        .post_form(
            &format!("/desk/incidents/{reference}/tickets/{meta_id}/messages"),
            &[("body", "Ngày tạo: 01/05/2019.")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let waiting = officer.page("/desk?waiting=1").await;
    assert!(!waiting.contains(reference), "{waiting}");
}

#[tokio::test]
async fn an_admin_places_unmatched_mail_from_the_desk_and_officers_cannot_see_it() {
    use incident_desk::domain::access::Role;
    let desk = desk(true, "").await;
    let detail = desk.filed().await;
    let reference = detail["reference"].as_str().expect("reference");
    let meta_id = ticket(&detail, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other_team = reply_mail(
        "trust-safety@meta.example.org",
        REPLY_BOX,
        &format!("Re: [{reference}] follow-up"),
        "",
        "Sent from our other team.",
    );
    let tagged = expect_status(desk.hand_in(&other_team).await, StatusCode::CREATED).await;
    let untagged = reply_mail(
        "someone@example.org",
        REPLY_BOX,
        "About a page",
        "",
        "Hello",
    );
    let untagged = expect_status(desk.hand_in(&untagged).await, StatusCode::CREATED).await;

    let officer =
        crate::desk::Officer::create(&desk.app, "mai.tran", Role::Officer, Some("hn")).await;
    let response = officer.get("/desk/mail").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let admin = crate::desk::Officer::create(&desk.app, "root.admin", Role::Admin, None).await;
    let list = admin.page("/desk/mail").await;
    assert!(
        list.contains("follow-up") && list.contains("About a page"),
        "{list}"
    );

    let tagged_id = tagged["id"].as_str().expect("id");
    let page = admin.page(&format!("/desk/mail/{tagged_id}")).await;
    assert!(page.contains("Sent from our other team."), "{page}");
    assert!(
        page.contains(&format!("ticket:{meta_id}")),
        "the incident's tickets offered"
    );
    let attached = admin
        .post_form(
            &format!("/desk/mail/{tagged_id}/attach"),
            &[("to", &format!("ticket:{meta_id}"))],
        )
        .await;
    assert_eq!(attached.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::desk::location(&attached),
        format!("/desk/incidents/{reference}?done=attached")
    );
    let thread = desk.thread(&meta_id).await;
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);
    let again = admin
        .post_form(
            &format!("/desk/mail/{tagged_id}/attach"),
            &[("to", &format!("ticket:{meta_id}"))],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let untagged_id = untagged["id"].as_str().expect("id");
    let page = admin.page(&format!("/desk/mail/{untagged_id}")).await;
    assert!(
        !page.contains("ticket:"),
        "no incident named, nothing offered yet"
    );
    let page = admin
        .page(&format!("/desk/mail/{untagged_id}?reference={reference}"))
        .await;
    assert!(
        page.contains(&format!("ticket:{meta_id}")),
        "found by its reference"
    );
    let discarded = admin
        .post_form(&format!("/desk/mail/{untagged_id}/discard"), &[])
        .await;
    assert_eq!(discarded.status(), StatusCode::SEE_OTHER);
    let list = admin.page("/desk/mail").await;
    assert!(list.contains("mail-empty"), "{list}");
}

#[tokio::test]
async fn a_member_who_reads_english_hears_back_in_english() {
    let desk = desk(true, "").await;
    let mut body = report_for_hn();
    body["reporter"]["locale"] = json!("en");
    let filed = desk.app.file(&body).await;
    let id = filed["id"].as_str().expect("id").to_owned();
    settled(&desk.app, &id).await;
    let status = desk
        .app
        .post_json(
            &format!("/api/v1/incidents/{id}/status"),
            &json!({"status": "in_progress"}),
        )
        .await;
    assert!(status.status().is_success());
    desk.app.dispatch_until_idle().await;
    let mails = member_mails(&desk, 2).await;
    let update = mails
        .iter()
        .map(|m| m.parsed().body_text(0).expect("text").to_string())
        .find(|t| t.contains("status"))
        .expect("the status update");
    assert!(update.contains("is now: In progress"), "{update}");
}
