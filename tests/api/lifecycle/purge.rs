//! `incident-desk purge`: closed incidents lose their personal data and files and keep
//! what statistics need; open ones, recent ones and dry runs change nothing.

use chrono::{DateTime, TimeDelta, Utc};
use incident_desk::domain::access::ApiScope;
use incident_desk::storage::{Scope, dossier, incidents::IncidentKey, retention::PURGED_PAYLOAD};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Cli, admin, close_on_the_desk, events, file_on_the_web, notifying_app, png, stored};
use crate::{
    desk::set_status,
    helpers::{expect_status, field_rules, spawn_app, valid_incident},
    notifications::{settled, ticket},
    smtp::SmtpSink,
    web::Member,
};

/// The parts of a ticket that statistics read, with its notifications' outcomes.
fn outcomes(detail: &Value) -> Value {
    detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| {
            json!({
                "party": t["party"], "role": t["role"], "status": t["status"],
                "external_ref": t["external_ref"], "deadline_at": t["deadline_at"],
                "acknowledged_at": t["acknowledged_at"], "resolved_at": t["resolved_at"],
                "deliveries": t["deliveries"].as_array().expect("deliveries").iter().map(|d| json!({
                    "channel": d["channel"], "status": d["status"], "event_type": d["event_type"],
                    "attempts": d["attempts"], "delivered_at": d["delivered_at"],
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

#[tokio::test]
async fn purging_a_closed_incident_removes_its_personal_data_and_files_and_keeps_its_statistics() {
    let sink = SmtpSink::start().await;
    let (app, _a, _b) = notifying_app(&sink, "").await;
    let (report_file, added_file, open_file) = (
        png("closed report"),
        png("closed addition"),
        png("open report"),
    );
    let (token, id, reference) =
        file_on_the_web(&app, ("trang-bi-chiem.png", report_file.clone())).await;
    let (_, open_id, open_reference) =
        file_on_the_web(&app, ("trang-khac.png", open_file.clone())).await;

    let member = Member::new(&app);
    let page = format!("/track/{token}");
    let info = "Số riêng của tôi là 0987 654 321, gọi sau 18 giờ.";
    for (action, field, value, files) in [
        (
            "info",
            "info",
            info,
            vec![("cmnd-binh.png", added_file.clone())],
        ),
        ("case", "platform_case_ref", "FB-2026-778899", vec![]),
    ] {
        let r = member
            .post(&page, &format!("{page}/{action}"), &[(field, value)], files)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}");
    }
    let meta_ticket = ticket(&settled(&app, &id).await, "meta")["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let meta = app.create_party_key("meta").await;
    let party_note = "Đã liên hệ chị Bình theo số điện thoại của chị.";
    let acknowledged = app
        .post_json_as(
            &meta,
            &format!("/api/v1/tickets/{meta_ticket}/acknowledge"),
            &json!({ "external_ref": "META-5521", "note": party_note }),
        )
        .await;
    expect_status(acknowledged, StatusCode::OK).await;
    let officer = admin(&app).await;
    let officer_note = "Đã gọi chị Bình qua số 0912 345 678.";
    close_on_the_desk(&officer, &reference, officer_note).await;

    let before = settled(&app, &id).await;
    let open_before = settled(&app, &open_id).await;
    let desk_before = officer.page(&format!("/desk/incidents/{reference}")).await;
    let mut personal: Vec<String> = [
        &before["reporter"]["name"],
        &before["reporter"]["email"],
        &before["reporter"]["phone"],
        &before["description"],
        &before["page"]["url"],
        &before["page"]["display_name"],
        &before["page"]["linked_email"],
    ]
    .iter()
    .map(|v| v.as_str().expect("a personal value to purge").to_owned())
    .collect();
    personal.extend(
        [
            info,
            "FB-2026-778899",
            party_note,
            officer_note,
            "trang-bi-chiem.png",
            "cmnd-binh.png",
        ]
        .map(str::to_owned),
    );
    for value in &personal {
        assert!(
            desk_before.contains(value.as_str()),
            "the desk shows {value}"
        );
    }
    assert_eq!(open_before["same_page"][0]["reference"], reference.as_str());

    let cli = Cli::new(&app);
    let out = cli.ok(&["purge", "--closed-before", "0s"]).await;
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{reference}: cleared ")))
        .unwrap_or_else(|| panic!("no line for {reference}: {out}"));
    for field in ["reporter_name", "reporter_email", "description", "page_url"] {
        assert!(line.contains(field), "{line}");
    }
    assert!(line.contains("platform_case_ref"), "{line}");
    assert!(line.ends_with("2 evidence files"), "{line}");
    assert!(!out.contains(&open_reference), "{out}");
    assert!(
        out.ends_with("1 incident purged, 2 files deleted\n"),
        "{out}"
    );

    // Through the API and the desk, nothing personal is left.
    let after = app.incident(&id).await;
    let desk_after = officer.page(&format!("/desk/incidents/{reference}")).await;
    let api_text = after.to_string();
    for value in &personal {
        assert!(
            !api_text.contains(value.as_str()),
            "the API still shows {value}"
        );
        assert!(
            !desk_after.contains(value.as_str()),
            "the desk still shows {value}"
        );
    }
    assert!(
        desk_after.contains("<ul id=\"evidence\"></ul>"),
        "{desk_after}"
    );
    assert_eq!(after["reporter"]["name"], "[redacted]");
    assert_eq!(after["description"], "[redacted]");
    for gone in [
        &after["reporter"]["email"],
        &after["reporter"]["phone"],
        &after["page"]["url"],
    ] {
        assert_eq!(*gone, Value::Null);
    }
    for (key, kept) in [
        ("kind", &after["kind"]),
        ("severity", &after["severity"]),
        ("status", &after["status"]),
        ("source", &after["source"]),
        ("detected_at", &after["detected_at"]),
        ("created_at", &after["created_at"]),
        ("updated_at", &after["updated_at"]),
        ("containment", &after["containment"]),
    ] {
        assert_eq!(*kept, before[key], "{key}");
    }
    assert_eq!(
        after["reporter"]["committee"],
        before["reporter"]["committee"]
    );
    assert_eq!(after["page"]["platform"], before["page"]["platform"]);
    assert_eq!(outcomes(&after), outcomes(&before));
    assert_eq!(ticket(&after, "meta")["status"], "acknowledged");
    assert_eq!(ticket(&after, "meta")["external_ref"], "META-5521");

    let purged = events(&after, "personal_data_purged");
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0]["actor"]["kind"], "system");
    assert_eq!(purged[0]["data"]["evidence_files"], 2);
    assert!(
        purged[0]["data"]["fields"]
            .as_array()
            .expect("fields")
            .contains(&json!("reporter_phone"))
    );
    let timeline = after["timeline"].as_array().expect("timeline");
    assert_eq!(
        timeline.len(),
        before["timeline"].as_array().expect("timeline").len() + 1
    );
    assert!(
        timeline
            .iter()
            .filter(|e| e["actor"]["kind"] == "member")
            .all(|e| e["actor"]["name"].is_null())
    );

    // In the database: payloads and answers emptied, files gone, links revoked.
    let db = app.database().await;
    let uuid = Uuid::parse_str(&id).expect("uuid");
    let stored_now = dossier::load(&db, &Scope::All, &IncidentKey::Id(uuid))
        .await
        .expect("load")
        .expect("the incident stays");
    assert!(stored_now.incident.purged_at.is_some());
    assert_eq!(stored_now.incident.search_text, reference.to_lowercase());
    assert!(stored_now.evidence.is_empty());
    assert!(!stored_now.deliveries.is_empty());
    assert!(
        stored_now
            .deliveries
            .iter()
            .all(|d| d.payload == PURGED_PAYLOAD)
    );
    assert!(stored_now.attempts.iter().all(|a| a.reply.is_none()));
    assert!(!stored(app.evidence.path(), &report_file));
    assert!(!stored(app.evidence.path(), &added_file));
    assert_eq!(member.get(&page).await.status(), StatusCode::NOT_FOUND);
    let resend = app
        .post_json(
            &format!("/api/v1/tickets/{meta_ticket}/redeliver"),
            &json!({}),
        )
        .await;
    let problem = expect_status(resend, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_rules(&problem),
        [("ticket".to_owned(), "purged".to_owned())]
    );

    // The open incident keeps everything, but no longer links to the purged one.
    assert!(stored(app.evidence.path(), &open_file));
    let mut open_after = app.incident(&open_id).await;
    assert_eq!(open_after["same_page"], json!([]));
    open_after["same_page"] = open_before["same_page"].clone();
    assert_eq!(open_after, open_before);

    // Once is enough.
    let again = cli.ok(&["purge", "--closed-before", "0s"]).await;
    assert_eq!(again, "0 incidents purged, 0 files deleted\n");
    assert_eq!(
        events(&app.incident(&id).await, "personal_data_purged").len(),
        1
    );
}

#[tokio::test]
async fn a_dry_run_lists_what_would_go_and_changes_nothing() {
    let sink = SmtpSink::start().await;
    let (app, _a, _b) = notifying_app(&sink, "").await;
    let file = png("dry run");
    let (token, id, reference) = file_on_the_web(&app, ("trang.png", file.clone())).await;
    close_on_the_desk(&admin(&app).await, &reference, "Đã xong.").await;
    let before = settled(&app, &id).await;

    let cli = Cli::new(&app);
    let out = cli
        .ok(&["purge", "--closed-before", "0s", "--dry-run"])
        .await;
    assert!(
        out.contains(&format!(
            "{reference}: would clear reporter_name, reporter_email, reporter_phone, description, page_url"
        )),
        "{out}"
    );
    assert!(out.contains("1 evidence file"), "{out}");
    assert!(
        out.ends_with("dry run: 1 incident would be purged, 1 file would be deleted\n"),
        "{out}"
    );
    assert_eq!(app.incident(&id).await, before);
    assert!(stored(app.evidence.path(), &file));
    let tracking = Member::new(&app).get(&format!("/track/{token}")).await;
    assert_eq!(tracking.status(), StatusCode::OK);

    for bad in ["yesterday", "2026-02-30"] {
        let error = cli.refused(&["purge", "--closed-before", bad]).await;
        assert!(error.contains("--closed-before"), "{error}");
    }
    assert_eq!(app.incident(&id).await, before);
}

/// A reply from the provider's known address naming `reference`, with `file` attached.
fn reply_with_file(reference: &str, file: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    format!(
        "From: Meta Support <partners@meta.example.org>\r\nTo: cases@desk.example.org\r\nSubject: Re: [{reference}] Page hijacked\r\nMessage-ID: <{}@meta.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe page of Nguyen Thi Binh was restored.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"restored.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        Uuid::now_v7(),
        base64::engine::general_purpose::STANDARD.encode(file)
    )
    .into_bytes()
}

#[tokio::test]
async fn the_mail_of_a_purged_incident_goes_with_its_files_and_other_mail_stays() {
    let sink = SmtpSink::start().await;
    let (app, _a, _b) = notifying_app(&sink, "").await;
    let key = app
        .create_key("mail server", &[ApiScope::MailInbound], None)
        .await;
    let (_, id, reference) = file_on_the_web(&app, ("trang.png", png("closed"))).await;
    let (_, open_id, open_reference) = file_on_the_web(&app, ("khac.png", png("open"))).await;
    settled(&app, &id).await;
    settled(&app, &open_id).await;
    let hand_in = |raw: Vec<u8>| {
        let request = app
            .client
            .post(app.url("/api/v1/inbound/email"))
            .bearer_auth(&key)
            .header("content-type", "message/rfc822")
            .body(raw);
        async move { request.send().await.expect("request") }
    };
    let (closed_file, open_file) = (png("mail to the closed one"), png("mail to the open one"));
    let closed_mail = reply_with_file(&reference, &closed_file);
    let open_mail = reply_with_file(&open_reference, &open_file);
    let unmatched_mail = reply_with_file("nothing", &png("unmatched"));
    for (raw, status) in [
        (&closed_mail, "attached"),
        (&open_mail, "attached"),
        (&unmatched_mail, "unmatched"),
    ] {
        let received = expect_status(hand_in(raw.clone()).await, StatusCode::CREATED).await;
        assert_eq!(received["status"], status, "{received:#}");
    }
    // Each mail is kept whole, byte for byte, beside the evidence.
    for kept in [
        &closed_mail,
        &open_mail,
        &unmatched_mail,
        &closed_file,
        &open_file,
    ] {
        assert!(stored(app.evidence.path(), kept));
    }
    let meta = ticket(&app.incident(&id).await, "meta")["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let thread_path = format!("/api/v1/tickets/{meta}/messages");
    let thread = expect_status(app.get(&thread_path).await, StatusCode::OK).await;
    assert!(thread.to_string().contains("Nguyen Thi Binh"), "{thread:#}");
    close_on_the_desk(&admin(&app).await, &reference, "Đã xong.").await;
    settled(&app, &id).await;

    let out = Cli::new(&app).ok(&["purge", "--closed-before", "0s"]).await;
    // The report's file, the mail's attachment and the mail itself.
    assert!(
        out.ends_with("1 incident purged, 3 files deleted\n"),
        "{out}"
    );
    assert!(!stored(app.evidence.path(), &closed_mail));
    assert!(!stored(app.evidence.path(), &closed_file));
    for kept in [&open_mail, &unmatched_mail, &open_file] {
        assert!(stored(app.evidence.path(), kept));
    }
    let thread = expect_status(app.get(&thread_path).await, StatusCode::OK).await;
    assert!(
        !thread.to_string().contains("Nguyen Thi Binh"),
        "{thread:#}"
    );
}

/// The time of the timeline entry that closed the incident.
fn closed_at(detail: &Value) -> DateTime<Utc> {
    let closing = events(detail, "status.changed")
        .into_iter()
        .find(|e| e["data"]["to"] == "closed")
        .expect("a closing entry");
    closing["created_at"]
        .as_str()
        .expect("time")
        .parse()
        .expect("RFC 3339")
}

#[tokio::test]
async fn only_incidents_closed_before_the_cutoff_are_purged_whatever_happened_since() {
    let sink = SmtpSink::start().await;
    let (app, _a, _b) = notifying_app(&sink, "").await;
    let id = app.file(&valid_incident()).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let rejected = app.file(&valid_incident()).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    set_status(&app, &id, "resolved").await;
    set_status(&app, &id, "closed").await;
    let reject = app
        .post_json(
            &format!("/api/v1/incidents/{rejected}/status"),
            &json!({ "status": "rejected", "reason": "spam" }),
        )
        .await;
    expect_status(reject, StatusCode::OK).await;
    let closed = closed_at(&settled(&app, &id).await);
    settled(&app, &rejected).await;

    // A note after closing moves the last update past the cutoff, not the closing.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let note = app
        .post_json(
            &format!("/api/v1/incidents/{id}/notes"),
            &json!({ "text": "Hồ sơ đã lưu trữ.", "visibility": "internal" }),
        )
        .await;
    expect_status(note, StatusCode::CREATED).await;
    let updated: DateTime<Utc> = app.incident(&id).await["updated_at"]
        .as_str()
        .expect("time")
        .parse()
        .expect("RFC 3339");
    let cutoff = closed + TimeDelta::milliseconds(500);
    assert!(updated > cutoff);

    let cli = Cli::new(&app);
    let earlier = (closed - TimeDelta::seconds(1)).to_rfc3339();
    for too_early in ["2020-01-31", earlier.as_str()] {
        let out = cli.ok(&["purge", "--closed-before", too_early]).await;
        assert_eq!(out, "0 incidents purged, 0 files deleted\n", "{too_early}");
    }
    let out = cli
        .ok(&["purge", "--closed-before", &cutoff.to_rfc3339()])
        .await;
    assert!(
        out.ends_with("1 incident purged, 0 files deleted\n"),
        "{out}"
    );
    let detail = app.incident(&id).await;
    assert_eq!(detail["reporter"]["name"], "[redacted]");
    assert_eq!(
        events(&detail, "note.added")[0]["data"]["text"],
        "[redacted]"
    );

    // A rejected report is not closed: it keeps everything.
    cli.ok(&["purge", "--closed-before", "0s"]).await;
    let kept = app.incident(&rejected).await;
    assert_eq!(
        kept["reporter"]["name"],
        valid_incident()["reporter"]["name"]
    );
    assert!(events(&kept, "personal_data_purged").is_empty());
}

#[tokio::test]
async fn a_closed_incident_waits_until_its_notifications_are_sent() {
    // No dispatcher: every notification stays queued.
    let app = spawn_app().await;
    let filed = app.file(&valid_incident()).await;
    let (id, reference) = (
        filed["id"].as_str().expect("id"),
        filed["reference"].as_str().expect("reference"),
    );
    set_status(&app, id, "resolved").await;
    set_status(&app, id, "closed").await;
    let before = app.incident(id).await;

    let out = Cli::new(&app).ok(&["purge", "--closed-before", "0s"]).await;
    assert!(out.contains(&format!("{reference}: deferred, ")), "{out}");
    assert!(
        out.ends_with(
            "0 incidents purged, 0 files deleted, 1 incident deferred until their notifications are sent\n"
        ),
        "{out}"
    );
    assert_eq!(app.incident(id).await, before);
}
