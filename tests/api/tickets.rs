use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Held, TestApp, browser_client, expect_problem, expect_status, hidden_input},
    notifications::{WAIT, app_with, app_with_extra, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

/// The acknowledge link in the first mail sent to `address`, once its delivery has settled.
pub async fn ack_link(sink: &SmtpSink, address: &str) -> String {
    let mails = sink.messages().await;
    let mail = mails
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r == address))
        .unwrap_or_else(|| panic!("no mail to {address}"));
    let text = mail.parsed().body_text(0).expect("text").into_owned();
    let start = text
        .find("http://127.0.0.1/ack/")
        .expect("ack link in mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != ')')
        .collect();
    link.replacen("http://127.0.0.1", "", 1)
}

/// An app whose parties answer on loopback, with one report for `hn` filed and its
/// notifications settled.
struct Notified {
    sink: SmtpSink,
    committee: Receiver,
    provider: Receiver,
    app: TestApp,
    filed: Value,
}

async fn notified() -> Notified {
    notified_with("").await
}

/// As [`notified`], with more TOML for the app (see [`app_with_extra`]).
async fn notified_with(extra: &str) -> Notified {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = app_with_extra(&sink, &committee.url, &provider.url, extra).await;
    let filed = app.file(&report_for_hn()).await;
    settled(&app, filed["id"].as_str().expect("id")).await;
    Notified {
        sink,
        committee,
        provider,
        app,
        filed,
    }
}

async fn ticket_of(app: &TestApp, incident: &str, party: &str) -> Value {
    ticket(&app.incident(incident).await, party).clone()
}

#[tokio::test]
async fn the_ack_link_shows_on_get_and_acknowledges_on_post_once() {
    let Notified {
        sink,
        committee,
        provider: _provider,
        app,
        filed,
    } = notified().await;
    let id = filed["id"].as_str().expect("id");
    let link = ack_link(&sink, "ir@cert.example.org").await;

    // A mail scanner opening the link changes nothing.
    let browser = browser_client();
    let mut html = String::new();
    for _ in 0..2 {
        let page = browser.get(app.url(&link)).send().await.expect("sent");
        assert_eq!(page.status(), StatusCode::OK);
        html = page.text().await.expect("html");
        assert!(
            html.contains(filed["reference"].as_str().expect("reference")),
            "{html}"
        );
        assert!(html.contains("<form method=\"post\""));
    }
    assert_eq!(ticket_of(&app, id, "cert").await["status"], "notified");
    let csrf = hidden_input(&html, "csrf_token");

    // A form posted from elsewhere carries no valid token.
    let forged = browser
        .post(app.url(&link))
        .form(&[("external_ref", "X"), ("csrf_token", "forged")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let without_cookie = app
        .client
        .post(app.url(&link))
        .form(&[("external_ref", "X"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(without_cookie.status(), StatusCode::FORBIDDEN);
    assert_eq!(ticket_of(&app, id, "cert").await["status"], "notified");

    let response = browser
        .post(app.url(&link))
        .form(&[
            ("external_ref", "CERT-2026-4411"),
            ("note", "On it."),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let cert = ticket_of(&app, id, "cert").await;
    assert_eq!(cert["status"], "acknowledged");
    assert_eq!(cert["external_ref"], "CERT-2026-4411");
    assert!(cert["acknowledged_at"].is_string());
    // Only the linked ticket changed.
    assert_eq!(ticket_of(&app, id, "meta").await["status"], "notified");
    assert_eq!(ticket_of(&app, id, "hn").await["status"], "notified");

    // Twice is harmless.
    let again = browser
        .post(app.url(&link))
        .form(&[("note", "again"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), StatusCode::OK);
    let detail = app.incident(id).await;
    let acks = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "ticket.acknowledged")
        .count();
    assert_eq!(acks, 1);
    let last = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .rev()
        .find(|e| e["type"] == "ticket.acknowledged")
        .cloned()
        .expect("event");
    assert_eq!(last["actor"]["kind"], "party");
    assert_eq!(last["actor"]["id"], "cert");

    // The committee's webhook hears of it.
    app.dispatch_until_idle().await;
    let types: Vec<String> = committee
        .received()
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).expect("json")["type"]
                .as_str()
                .expect("type")
                .to_owned()
        })
        .collect();
    assert!(
        types.iter().any(|t| t == "ticket.acknowledged"),
        "committee got {types:?}"
    );
}

#[tokio::test]
async fn a_bad_case_number_on_the_ack_form_is_422_with_the_field_marked() {
    let Notified {
        sink,
        committee: _committee,
        provider: _provider,
        app,
        filed,
    } = notified().await;
    let id = filed["id"].as_str().expect("id");
    let link = ack_link(&sink, "ir@cert.example.org").await;
    let browser = browser_client();
    let html = browser
        .get(app.url(&link))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    let csrf = hidden_input(&html, "csrf_token");
    for bad in ["REF\u{0}\u{7}", "REF\u{202E}4411", &"R".repeat(101)] {
        let response = browser
            .post(app.url(&link))
            .form(&[
                ("external_ref", bad),
                ("note", "Kept for the next try."),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        let html = response.text().await.expect("html");
        assert!(html.contains("id=\"external_ref-error\""), "{html}");
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
        assert!(
            html.contains("href=\"#external_ref\""),
            "the summary links the field"
        );
        assert!(
            html.contains("<title>Lỗi:"),
            "the title says there is an error"
        );
        assert!(html.contains("Kept for the next try."), "the note is kept");
        assert_eq!(
            ticket_of(&app, id, "cert").await["status"],
            "notified",
            "nothing was acknowledged"
        );
    }
    // A case number that is not UTF-8 once decoded is named too, not kept as U+FFFD.
    let token: String = url::form_urlencoded::byte_serialize(csrf.as_bytes()).collect();
    let response = browser
        .post(app.url(&link))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("external_ref=REF%FF%FE&note=x&csrf_token={token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"external_ref-error\""), "{html}");
    assert!(html.contains("UTF-8"), "{html}");
    assert_eq!(ticket_of(&app, id, "cert").await["status"], "notified");
    let response = browser
        .post(app.url(&link))
        .form(&[("external_ref", "CERT-1"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(ticket_of(&app, id, "cert").await["external_ref"], "CERT-1");
}

#[tokio::test]
async fn forged_and_expired_ack_links_are_refused() {
    let Notified {
        sink,
        committee,
        provider,
        app,
        filed,
    } = notified().await;
    let id = filed["id"].as_str().expect("id");
    let link = ack_link(&sink, "ir@cert.example.org").await;
    let (data, tag) = link.rsplit_once('.').expect("token");
    let flipped: String = tag.chars().rev().collect();
    for forged in [
        format!("{data}.{flipped}"),
        "/ack/nonsense".to_owned(),
        format!("{data}x.{tag}"),
    ] {
        let r = app.client.get(app.url(&forged)).send().await.expect("sent");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{forged}");
        let r = app
            .client
            .post(app.url(&forged))
            .form(&[("note", "x")])
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{forged}");
    }
    assert_eq!(ticket_of(&app, id, "cert").await["status"], "notified");

    let short = crate::notifications::app_with_extra(
        &sink,
        &committee.url,
        &provider.url,
        "[tickets]\nack_link_ttl = \"1s\"\n",
    )
    .await;
    let filed = short.file(&report_for_hn()).await;
    settled(&short, filed["id"].as_str().expect("id")).await;
    let mails_before = sink.messages().await.len();
    assert!(mails_before >= 6);
    let mails = sink.messages().await;
    let text = mails
        .iter()
        .rev()
        .map(|m| m.parsed().body_text(0).expect("text").into_owned())
        .find(|t| t.contains("/ack/"))
        .expect("a mail with an acknowledge link");
    let start = text.find("http://127.0.0.1/ack/").expect("link");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != ')')
        .collect();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = short
        .client
        .post(short.url(&link.replacen("http://127.0.0.1", "", 1)))
        .form(&[("note", "late")])
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::GONE);
}

#[tokio::test]
async fn parties_answer_their_own_tickets_through_the_api() {
    let Notified {
        sink: _sink,
        committee: _committee,
        provider: _provider,
        app,
        filed,
    } = notified().await;
    let id = filed["id"].as_str().expect("id");
    let cert_ticket = ticket_of(&app, id, "cert").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let meta_ticket = ticket_of(&app, id, "meta").await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cert_key = app.create_party_key("cert").await;

    let ack = |ticket: &str, action: &str| format!("/api/v1/tickets/{ticket}/{action}");
    // Another party's ticket is out of the key's reach: not found, as any such object,
    // and nothing names that party.
    for action in ["acknowledge", "resolve", "reject"] {
        let problem = expect_problem(
            app.post_json_as(&cert_key, &ack(&meta_ticket, action), &json!({}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert!(!problem.to_string().contains("meta"), "{problem}");
    }
    assert_eq!(ticket_of(&app, id, "meta").await["status"], "notified");
    expect_problem(
        app.post_json(&ack(&cert_ticket, "acknowledge"), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let body = expect_status(
        app.post_json_as(
            &cert_key,
            &ack(&cert_ticket, "acknowledge"),
            &json!({"external_ref": "C-1"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["status"], "acknowledged");
    assert_eq!(body["external_ref"], "C-1");
    expect_status(
        app.post_json_as(&cert_key, &ack(&cert_ticket, "acknowledge"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let body = expect_status(
        app.post_json_as(
            &cert_key,
            &ack(&cert_ticket, "resolve"),
            &json!({"note": "Page taken down."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["status"], "resolved");
    let problem = expect_problem(
        app.post_json_as(&cert_key, &ack(&cert_ticket, "reject"), &json!({}))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    assert_eq!(problem["current"], "resolved");

    // The ticket resource shows every delivery with its attempts, to its party too.
    let ticket = expect_status(
        app.get_as(&cert_key, &format!("/api/v1/tickets/{cert_ticket}"))
            .await,
        StatusCode::OK,
    )
    .await;
    let delivery = &ticket["deliveries"][0];
    assert_eq!(
        delivery["attempts_made"]
            .as_array()
            .expect("attempts")
            .len(),
        1
    );
    assert_eq!(delivery["attempts_made"][0]["outcome"], "delivered");
    expect_problem(
        app.get_as(&cert_key, &format!("/api/v1/tickets/{meta_ticket}"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_exhausted_delivery_fails_and_redeliver_sends_it() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(500)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    let detail = settled(&app, id).await;
    let meta = ticket(&detail, "meta");
    let hook = meta["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook");
    assert_eq!(hook["status"], "failed");
    assert_eq!(hook["attempts"], 4, "the whole schedule was used");
    assert_eq!(provider.received().len(), 4);
    let ticket_id = meta["id"].as_str().expect("id").to_owned();
    let attempts = expect_status(
        app.get(&format!("/api/v1/tickets/{ticket_id}")).await,
        StatusCode::OK,
    )
    .await;
    let made = attempts["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook");
    let codes: Vec<&Value> = made["attempts_made"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(500), &json!(500)]);

    provider.set_default(Reply::Status(200));
    let body = expect_status(
        app.post_json(
            &format!("/api/v1/tickets/{ticket_id}/redeliver"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["requeued"], 1);
    let detail = settled(&app, id).await;
    let hook = ticket(&detail, "meta")["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook");
    assert_eq!(hook["status"], "delivered");
    let ids: Vec<String> = provider
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "a re-sent delivery keeps its webhook-id"
    );
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    sink.stop().await;
    let filed = app.file(&report_for_hn()).await;
    app.dispatch_once().await;
    assert!(sink.messages().await.is_empty());
    sink.restart().await;
    let detail = settled(&app, filed["id"].as_str().expect("id")).await;
    for party in ["hn", "cert", "meta"] {
        let mail = ticket(&detail, party)["deliveries"][0].clone();
        assert_eq!(mail["status"], "delivered", "{mail:#}");
        assert!(
            mail["attempts"].as_i64().expect("attempts") >= 2,
            "{mail:#}"
        );
    }
    sink.wait_for(3, WAIT).await;
}

#[tokio::test]
async fn an_overdue_committee_ticket_is_reminded_and_escalated_once() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let parties = crate::notifications::parties(&committee.url, &provider.url, true).replacen(
        "id = \"hn-ba-dinh\"\nname = { vi = \"hn-ba-dinh\", en = \"hn-ba-dinh\" }\nack_deadline = \"4h\"",
        "id = \"hn-ba-dinh\"\nname = { vi = \"hn-ba-dinh\", en = \"hn-ba-dinh\" }\nack_deadline = \"1s\"",
        1,
    );
    assert!(parties.contains("ack_deadline = \"1s\""));
    let overrides = format!("{parties}\n[email]\nsmtp_url = \"{}\"\n", sink.url());
    let app = crate::helpers::spawn_app_with(&overrides).await;
    let mut report = crate::helpers::valid_incident();
    report["reporter"]["committee"] = json!("hn-ba-dinh");
    let filed = app.file(&report).await;
    let id = filed["id"].as_str().expect("id");
    assert_eq!(
        crate::helpers::ticket_parties(&filed),
        ["hn-ba-dinh", "cert", "meta"]
    );

    app.dispatch_until_idle().await;
    let deadline_at: chrono::DateTime<chrono::Utc> = ticket(&app.incident(id).await, "hn-ba-dinh")
        ["deadline_at"]
        .as_str()
        .expect("deadline")
        .parse()
        .expect("RFC 3339");
    if let Ok(left) = (deadline_at - chrono::Utc::now()).to_std() {
        // Overdue is read from the clock, so the deadline has to pass in wall-clock time.
        tokio::time::sleep(left + Duration::from_millis(10)).await;
    }
    app.dispatch_until_idle().await;
    let detail = app.incident(id).await;
    assert_eq!(
        detail["tickets"].as_array().expect("tickets").len(),
        4,
        "no escalation: {detail:#}"
    );
    let parent = ticket(&detail, "hn");
    assert_eq!(parent["role"], "committee");
    assert!(
        ticket(&detail, "hn-ba-dinh")["overdue"]
            .as_bool()
            .expect("overdue")
    );
    assert!(
        !ticket(&detail, "cert")["overdue"]
            .as_bool()
            .expect("overdue")
    );

    // The parent hears of it by webhook and email; the late committee is reminded.
    let got = committee.wait_for(1, WAIT).await;
    let event: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(event["type"], "ticket.escalated");
    assert_eq!(event["data"]["escalated_from"], "hn-ba-dinh");
    let mails = sink.messages().await;
    let to = |addr: &str| {
        mails
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == addr))
            .count()
    };
    assert!(
        to("ba-dinh@hn.example.org") == 2 && to("desk@hn.example.org") == 1,
        "reminder or escalation mail missing"
    );

    // Once: later sweeps send nothing more.
    let later = app.dispatch_once().await;
    assert!(later.is_idle(), "{later:?}");
    let detail = app.incident(id).await;
    let count = |kind: &str| {
        detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter(|e| e["type"] == kind)
            .count()
    };
    assert_eq!(count("ticket.reminder_sent"), 1);
    assert_eq!(count("ticket.escalated"), 1);
    assert_eq!(detail["tickets"].as_array().expect("tickets").len(), 4);
}

#[tokio::test]
async fn an_acknowledgement_the_database_cannot_take_in_time_is_503_and_may_be_sent_again() {
    let Notified {
        sink,
        committee: _committee,
        provider: _provider,
        app,
        filed,
    } = notified_with("[database]\nmax_connections = 1\nwait = \"1s\"\n").await;
    let id = filed["id"].as_str().expect("id");
    let link = ack_link(&sink, "ir@cert.example.org").await;
    let browser = browser_client();
    let page = browser.get(app.url(&link)).send().await.expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = hidden_input(&page.text().await.expect("html"), "csrf_token");
    let form = [("external_ref", "CERT-1"), ("csrf_token", csrf.as_str())];

    // On SQLite the ticket is read and its answer waits on the file's write lock; on
    // PostgreSQL the request waits for the pool's only connection.
    let held = Held::take(&app).await;
    let refused = browser
        .post(app.url(&link))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "1");
    held.release().await;
    assert_eq!(ticket_of(&app, id, "cert").await["status"], "notified");

    let response = browser
        .post(app.url(&link))
        .form(&form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let cert = ticket_of(&app, id, "cert").await;
    assert_eq!(cert["status"], "acknowledged");
    assert_eq!(cert["external_ref"], "CERT-1");
}
