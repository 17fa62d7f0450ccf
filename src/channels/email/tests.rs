use super::*;

#[test]
fn message_ids_are_bracketed_and_header_breaking_ids_are_refused() {
    assert_eq!(
        message_id("0190aa@incident-desk").as_deref(),
        Ok("<0190aa@incident-desk>")
    );
    for bad in [
        "",
        "no-at",
        "<a@b>",
        "a@b\r\nBcc: x@y",
        "a b@c",
        "@b",
        "a@",
        "a@b@c",
    ] {
        assert!(message_id(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn replies_are_clipped_to_two_thousand_characters() {
    assert_eq!(clip("250 ok".into()), "250 ok");
    let long = "ệ".repeat(2_500);
    assert_eq!(clip(long).chars().count(), 2_000);
}

#[tokio::test]
async fn sender_refuses_a_bad_url_or_sender_without_echoing_the_password() {
    let secret = "s3cr3t-pass";
    let error = EmailSender::new(
        &format!("ftp://user:{secret}@mail.example.org"),
        "desk@example.org",
        std::time::Duration::from_secs(5),
    )
    .expect_err("ftp is not SMTP");
    let message = format!("{error:#}");
    assert!(message.contains("invalid SMTP URL"), "{message}");
    assert!(!message.contains(secret), "{message}");

    let error = EmailSender::new(
        "smtp://127.0.0.1:2525",
        "not an address",
        Default::default(),
    )
    .expect_err("the sender must be a mailbox");
    assert!(format!("{error:#}").contains("sender address"));

    let sender = EmailSender::new(
        "smtp://127.0.0.1:2525",
        "Bàn tiếp nhận sự cố <desk@example.org>",
        std::time::Duration::from_secs(5),
    );
    assert!(sender.is_ok());
    let sender = EmailSender::new(
        "smtps://user:pass@mail.example.org:465",
        "desk@example.org",
        std::time::Duration::from_secs(5),
    );
    assert!(sender.is_ok());
}

#[tokio::test]
async fn a_message_that_cannot_be_built_fails_without_contacting_the_server() {
    let sender = EmailSender::new(
        "smtp://127.0.0.1:9",
        "desk@example.org",
        std::time::Duration::from_secs(1),
    )
    .expect("a valid sender");
    let email = OutgoingEmail {
        to: vec!["ok@example.org".into(), "not an address".into()],
        subject: "s".into(),
        text: "t".into(),
        html: "<p>h</p>".into(),
        message_id: "1@incident-desk".into(),
        in_reply_to: None,
        references: vec![],
        reply_to: None,
        attachments: Vec::new(),
    };
    let outcome = sender.send(&email).await;
    assert_eq!(
        outcome,
        EmailOutcome::Failed {
            reply: "recipient 2 is not a valid address: Invalid input".into()
        }
    );
    assert!(!outcome.reply().contains("not an address"));
}

#[tokio::test]
async fn a_server_that_never_answers_gives_retry_within_the_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback listener");
    let url = format!("smtp://{}", silent.local_addr().expect("its address"));
    let timeout = std::time::Duration::from_millis(300);
    let sender = EmailSender::new(&url, "desk@example.org", timeout).expect("a valid sender");
    let email = OutgoingEmail {
        to: vec!["ok@example.org".into()],
        subject: "s".into(),
        text: "t".into(),
        html: "<p>h</p>".into(),
        message_id: "1@incident-desk".into(),
        in_reply_to: None,
        references: vec![],
        reply_to: None,
        attachments: Vec::new(),
    };
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let outcome = sender.send(&email).await;
        assert_eq!(
            outcome,
            EmailOutcome::Retry {
                reply: "no answer from the SMTP server within 300ms".into()
            }
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}

#[tokio::test]
async fn control_characters_in_a_subject_become_spaces_and_add_no_header() {
    let sender = EmailSender::new(
        "smtp://127.0.0.1:9",
        "desk@example.org",
        std::time::Duration::from_secs(1),
    )
    .expect("a valid sender");
    let email = OutgoingEmail {
        to: vec!["ok@example.org".into()],
        subject: "[INC-2026-000001] x\r\nBcc: evil@example.org".into(),
        text: "t".into(),
        html: "<p>h</p>".into(),
        message_id: "1@incident-desk".into(),
        in_reply_to: Some("0@incident-desk".into()),
        references: vec!["0@incident-desk".into()],
        reply_to: None,
        attachments: Vec::new(),
    };
    let message = sender.message(&email).expect("a valid message");
    let raw = String::from_utf8(message.formatted()).expect("ASCII headers");
    assert!(!raw.to_ascii_lowercase().contains("\r\nbcc:"), "{raw}");
    assert!(
        raw.contains("Subject: [INC-2026-000001] x  Bcc: evil@example.org\r\n"),
        "{raw}"
    );
    assert!(raw.contains("Message-ID: <1@incident-desk>\r\n"), "{raw}");
    assert_eq!(message.envelope().to().len(), 1);
}
