use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, browser_client, expect_status, hidden_input, sample, spawn_app_with},
    notifications::{WAIT, background_app_with, parties, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
    tickets::ack_link,
};

const TOKEN: &str = "scrape-3b7d1f9e2a6c";

/// Scrapes until `name{labels}` reads `expected` (counters are added just after the
/// commit a test may already see), and returns that scrape.
async fn scrape_when(app: &TestApp, name: &str, labels: &[(&str, &str)], expected: f64) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = app.metrics().await;
        if sample(&text, name, labels) == Some(expected) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}{labels:?} never read {expected}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_count_filings_deliveries_and_requests_by_their_labels() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(204)).await;
    let app = background_app_with(&sink, &committee.url, &provider.url, "").await;
    let mut tiktok = report_for_hn();
    tiktok["kind"] = json!("impersonated");
    tiktok["page"] = json!({ "url": "https://www.tiktok.com/@fake" });
    let mut ids = Vec::new();
    for body in [report_for_hn(), report_for_hn(), tiktok] {
        ids.push(app.file(&body).await["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        let detail = settled(&app, id).await;
        for t in detail["tickets"].as_array().expect("tickets") {
            for d in t["deliveries"].as_array().expect("deliveries") {
                assert_eq!(d["status"], "delivered", "{d:#}");
            }
        }
    }
    let mails = sink.messages().await.len();
    let webhooks = committee.received().len() + provider.received().len();
    assert!(
        mails >= 12,
        "three parties and the member, at least, for each report"
    );
    assert_eq!(webhooks, 5, "the committee's three and Meta's two");
    let stray = app
        .client
        .get(app.url("/no/such/page-4711"))
        .send()
        .await
        .expect("sent");
    assert_eq!(stray.status(), StatusCode::NOT_FOUND);

    let delivered = |channel| [("channel", channel), ("outcome", "delivered")];
    scrape_when(
        &app,
        "deliveries_total",
        &delivered("webhook"),
        webhooks as f64,
    )
    .await;
    let text = scrape_when(&app, "deliveries_total", &delivered("email"), mails as f64).await;
    for (kind, platform, count) in [
        ("hijacked", "facebook", 2.0),
        ("impersonated", "tiktok", 1.0),
    ] {
        assert_eq!(
            sample(
                &text,
                "incidents_filed_total",
                &[("kind", kind), ("platform", platform)]
            ),
            Some(count),
            "{text}"
        );
    }
    assert_eq!(sample(&text, "incidents_filed_total", &[]), Some(3.0));
    for outcome in ["retry", "failed"] {
        assert_eq!(
            sample(&text, "deliveries_total", &[("outcome", outcome)]),
            None
        );
    }
    let filed = [
        ("method", "POST"),
        ("route", "/api/v1/incidents"),
        ("status", "201"),
    ];
    assert_eq!(sample(&text, "http_requests_total", &filed), Some(3.0));
    assert_eq!(
        sample(&text, "http_request_duration_seconds_count", &filed),
        Some(3.0)
    );
    let read = [
        ("method", "GET"),
        ("route", "/api/v1/incidents/{id}"),
        ("status", "200"),
    ];
    assert!(sample(&text, "http_requests_total", &read).is_some_and(|n| n >= 3.0));
    assert_eq!(
        sample(
            &text,
            "http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        Some(1.0)
    );
    assert!(!text.contains("4711"), "raw paths are never labels");
    assert!(!ids.iter().any(|id| text.contains(id.as_str())));
    assert_eq!(
        sample(&text, "intake_to_first_delivery_seconds_count", &[]),
        Some(3.0),
        "one observation for each incident's first arrival:\n{text}"
    );
    assert!(text.contains("# TYPE intake_to_first_delivery_seconds histogram"));
    for state in ["due", "in_flight", "failed"] {
        assert_eq!(
            sample(&text, "delivery_queue_depth", &[("state", state)]),
            Some(0.0),
            "{state}"
        );
    }
    assert_eq!(
        sample(&text, "delivery_oldest_due_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(sample(&text, "tickets_overdue", &[]), Some(0.0));
}

#[tokio::test]
async fn a_failing_endpoint_shows_in_retries_failures_and_the_failed_queue() {
    let sink = SmtpSink::start().await;
    let failing = Receiver::start(Reply::Status(500)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = background_app_with(&sink, &failing.url, &provider.url, "").await;
    let filed = app.file(&report_for_hn()).await;
    let detail = settled(&app, filed["id"].as_str().expect("id")).await;
    let hook = &ticket(&detail, "hn")["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("the committee's webhook");
    assert_eq!(hook["status"], "failed");
    let attempts = app.settings.dispatcher.schedule.len();
    assert_eq!(failing.received().len(), attempts);

    let webhook = |outcome| [("channel", "webhook"), ("outcome", outcome)];
    let text = scrape_when(&app, "deliveries_total", &webhook("failed"), 1.0).await;
    assert_eq!(
        sample(&text, "deliveries_total", &webhook("retry")),
        Some((attempts - 1) as f64),
        "{text}"
    );
    assert_eq!(
        sample(&text, "deliveries_total", &webhook("delivered")),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "deliveries_total",
            &[("channel", "email"), ("outcome", "delivered")]
        ),
        Some(4.0)
    );
    assert_eq!(
        sample(&text, "delivery_queue_depth", &[("state", "failed")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "delivery_queue_depth", &[("state", "due")]),
        Some(0.0)
    );

    // Sent again and answered, it leaves the failed queue.
    failing.set_default(Reply::Status(200));
    let hn_ticket = ticket(&detail, "hn")["id"].as_str().expect("id").to_owned();
    expect_status(
        app.post_json(
            &format!("/api/v1/tickets/{hn_ticket}/redeliver"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let text = scrape_when(&app, "deliveries_total", &webhook("delivered"), 2.0).await;
    assert_eq!(
        sample(&text, "delivery_queue_depth", &[("state", "failed")]),
        Some(0.0),
        "{text}"
    );
}

#[tokio::test]
async fn deliveries_that_no_dispatcher_takes_show_as_due_with_their_age() {
    // No dispatcher runs here: what is filed stays in the queue.
    let app = spawn_app_with("").await;
    let filed = app.file(&crate::helpers::valid_incident()).await;
    let detail = app.incident(filed["id"].as_str().expect("id")).await;
    let queued = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["deliveries"].as_array().expect("deliveries").len())
        .sum::<usize>();
    assert!(queued >= 3, "{detail:#}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let text = app.metrics().await;
    let due = sample(&text, "delivery_queue_depth", &[("state", "due")]).expect("due");
    assert!(due >= queued as f64, "{text}");
    assert_eq!(
        sample(&text, "delivery_queue_depth", &[("state", "in_flight")]),
        Some(0.0)
    );
    let age = sample(&text, "delivery_oldest_due_age_seconds", &[]).expect("age");
    assert!((1.0..60.0).contains(&age), "{text}");
}

#[tokio::test]
async fn overdue_tickets_and_acknowledgements_by_link_and_by_api_are_measured() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    // Deadlines of a second, and no reminder or escalation sweep during the test.
    let overrides = format!(
        "[dispatcher]\nenabled = true\ndeadline_check_interval = \"1h\"\n{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(&committee.url, &provider.url, true)
            .replace("ack_deadline = \"4h\"", "ack_deadline = \"1s\""),
        sink.url()
    );
    let app = spawn_app_with(&overrides).await;
    let first = app.file(&report_for_hn()).await;
    let second = app.file(&report_for_hn()).await;
    let (first, second) = (
        first["id"].as_str().expect("id").to_owned(),
        second["id"].as_str().expect("id").to_owned(),
    );
    settled(&app, &first).await;
    settled(&app, &second).await;

    // The authority acknowledges through the link in its mail, the provider through the API.
    let link = ack_link(&sink, "ir@cert.example.org").await;
    let browser = browser_client();
    let page = browser.get(app.url(&link)).send().await.expect("sent");
    let csrf = hidden_input(&page.text().await.expect("html"), "csrf_token");
    let acked = browser
        .post(app.url(&link))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(acked.status(), StatusCode::OK);
    let meta = ticket(&app.incident(&first).await, "meta")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let meta_key = app.create_party_key("meta").await;
    expect_status(
        app.post_json_as(
            &meta_key,
            &format!("/api/v1/tickets/{meta}/acknowledge"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let open = |detail: &Value| {
        detail["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .filter(|t| {
                ["pending", "notified", "failed"].contains(&t["status"].as_str().expect("status"))
            })
            .count()
    };
    let waiting = open(&app.incident(&first).await) + open(&app.incident(&second).await);
    assert_eq!(waiting, 4, "six tickets, two acknowledged");
    let text = scrape_when(&app, "tickets_overdue", &[], 4.0).await;
    for kind in ["authority", "provider"] {
        assert_eq!(
            sample(
                &text,
                "ticket_acknowledgement_seconds_count",
                &[("party_kind", kind)]
            ),
            Some(1.0),
            "{kind}:\n{text}"
        );
    }
    assert_eq!(
        sample(
            &text,
            "ticket_acknowledgement_seconds_count",
            &[("party_kind", "committee")]
        ),
        None
    );

    // A rejected incident's late tickets are no one's work any more.
    let remaining = open(&app.incident(&second).await);
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{second}/status"),
            &json!({ "status": "rejected", "reason": "spam" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    scrape_when(&app, "tickets_overdue", &[], (4 - remaining) as f64).await;
}

#[tokio::test]
async fn the_metrics_ask_for_the_bearer_token_when_one_is_set() {
    let app = spawn_app_with(&format!("[metrics]\nbearer_token = \"{TOKEN}\"\n")).await;
    let scrape = |token: Option<&str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for token in [None, Some("scrape-wrong"), Some(&TOKEN[..TOKEN.len() - 1])] {
        let refused = scrape(token).await.expect("sent");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(
            refused
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
    }
    // An API key is not the metrics token.
    let with_api_key = scrape(Some(app.api_key.as_str())).await.expect("sent");
    assert_eq!(with_api_key.status(), StatusCode::UNAUTHORIZED);

    // The scheme's name is case-insensitive; the token is not.
    let lower = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", format!("bearer {TOKEN}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(lower.status(), StatusCode::OK);
    let shouted = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", format!("Bearer {}", TOKEN.to_uppercase()))
        .send()
        .await
        .expect("sent");
    assert_eq!(shouted.status(), StatusCode::UNAUTHORIZED);

    let scraped = scrape(Some(TOKEN)).await.expect("sent");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = scraped.text().await.expect("text");
    assert!(text.contains("# TYPE delivery_queue_depth gauge"), "{text}");
    // The refused scrapes were answered, and counted, too.
    assert_eq!(
        sample(
            &text,
            "http_requests_total",
            &[("route", "/metrics"), ("status", "401")]
        ),
        Some(5.0),
        "{text}"
    );
}

#[tokio::test]
async fn disabled_metrics_are_not_found() {
    let app = spawn_app_with("[metrics]\nenabled = false\n").await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn applications_in_one_process_keep_their_own_counts() {
    let (one, other) = (spawn_app_with("").await, spawn_app_with("").await);
    one.file(&crate::helpers::valid_incident()).await;
    one.file(&crate::helpers::valid_incident()).await;
    other.file(&crate::helpers::valid_incident()).await;
    assert_eq!(
        sample(&one.metrics().await, "incidents_filed_total", &[]),
        Some(2.0)
    );
    assert_eq!(
        sample(&other.metrics().await, "incidents_filed_total", &[]),
        Some(1.0)
    );
}
