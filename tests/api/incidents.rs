use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{
        Held, expect_problem, expect_status, spawn_app, spawn_app_with, ticket_parties,
        valid_incident,
    },
    lifecycle::Cli,
};

#[tokio::test]
async fn filing_returns_201_with_reference_tracking_link_and_one_ticket_per_party() {
    let app = spawn_app().await;
    let response = app.post_incident(&valid_incident()).await;
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| l.starts_with("/api/v1/incidents/")),
        Some(true)
    );
    let body = expect_status(response, StatusCode::CREATED).await;
    let reference = body["reference"].as_str().expect("reference");
    assert!(
        reference.starts_with("INC-2026-") && reference.len() == 15,
        "{reference}"
    );
    assert_eq!(body["status"], "open");
    assert_eq!(body["severity"], "high");
    let tracking = body["tracking_url"].as_str().expect("tracking url");
    assert!(
        tracking.starts_with("http://127.0.0.1/track/"),
        "{tracking}"
    );
    assert!(tracking.len() > "http://127.0.0.1/track/".len() + 20);
    assert_eq!(ticket_parties(&body), ["hn-ba-dinh", "cert", "meta"]);
    for ticket in body["tickets"].as_array().expect("tickets") {
        assert_eq!(ticket["status"], "pending");
        assert_eq!(ticket["overdue"], false);
    }
}

#[tokio::test]
async fn routing_picks_parties_by_committee_kind_severity_and_platform() {
    let app = spawn_app().await;
    // (kind, severity, url, committee, expected parties)
    let cases = [
        (
            "hijacked",
            None,
            "https://www.facebook.com/a",
            "hn",
            vec!["hn", "cert", "meta"],
        ),
        (
            "abnormal",
            None,
            "https://www.tiktok.com/@a",
            "hn-cau-giay",
            vec!["hn-cau-giay", "cert", "tiktok"],
        ),
        (
            "impersonated",
            None,
            "https://www.youtube.com/@a",
            "hcm",
            vec!["hcm", "cert", "cyber-police", "google"],
        ),
        (
            "misused",
            Some("critical"),
            "https://zalo.me/a",
            "hcm-q1",
            vec!["hcm-q1", "cert", "cyber-police", "zalo"],
        ),
        (
            "abnormal",
            Some("low"),
            "https://x.com/a",
            "hn",
            vec!["hn", "cert", "x-corp"],
        ),
        (
            "abnormal",
            None,
            "https://instagram.com/a",
            "hn",
            vec!["hn", "cert", "meta"],
        ),
        (
            "impersonated",
            Some("low"),
            "https://t.me/a",
            "hn",
            vec!["hn", "cert", "telegram"],
        ),
        (
            "hijacked",
            Some("medium"),
            "https://news.example.org/",
            "hn",
            vec!["hn", "cert", "web-abuse"],
        ),
    ];
    for (kind, severity, url, committee, expected) in cases {
        let mut body = valid_incident();
        body["kind"] = json!(kind);
        if let Some(s) = severity {
            body["severity"] = json!(s);
        }
        body["page"] = json!({ "url": url });
        body["reporter"]["committee"] = json!(committee);
        let filed = app.file(&body).await;
        assert_eq!(ticket_parties(&filed), expected, "{kind} {url}");
    }
    let mut other = valid_incident();
    other["page"] = json!({ "platform": "other", "handle": "someone" });
    let filed = app.file(&other).await;
    assert_eq!(ticket_parties(&filed), ["hn-ba-dinh", "cert", "web-abuse"]);
}

/// The sorts of party in `list` (each item's `key`), in order, each once.
fn sorts<'a>(list: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    let mut sorts: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item[key].as_str().expect("a sort of party"))
        .collect();
    sorts.dedup();
    sorts
}

/// The organisation's rule: a member notifies their committee, the competent authorities
/// and the service provider. The shipped routing does so for every report.
#[tokio::test]
async fn every_kind_of_report_reaches_committee_authority_and_provider_under_the_default_config() {
    let app = spawn_app().await;
    let kinds = ["abnormal", "hijacked", "impersonated", "misused"];
    let platforms = [
        "facebook",
        "tiktok",
        "youtube",
        "zalo",
        "x",
        "instagram",
        "telegram",
        "website",
        "other",
    ];
    // Every kind, severity and platform through the preview of the routing that filing uses.
    for kind in kinds {
        for severity in ["low", "medium", "high", "critical"] {
            for platform in platforms {
                let path = format!(
                    "/api/v1/routing/preview?committee=hn&kind={kind}&severity={severity}&platform={platform}"
                );
                let body =
                    expect_status(app.get_as(&app.api_key, &path).await, StatusCode::OK).await;
                assert_eq!(
                    sorts(&body["parties"], "kind"),
                    ["committee", "authority", "provider"],
                    "{kind} {severity} {platform}: {body}"
                );
                assert_eq!(body["missing"], json!([]), "{kind} {severity} {platform}");
            }
        }
    }
    // And one real report of each kind at the lowest severity: three sorts of ticket.
    for kind in kinds {
        let mut body = valid_incident();
        body["kind"] = json!(kind);
        body["severity"] = json!("low");
        let filed = app.file(&body).await;
        let detail = app.incident(filed["id"].as_str().expect("id")).await;
        assert_eq!(
            sorts(&detail["tickets"], "role"),
            ["committee", "authority", "provider"],
            "{kind}"
        );
    }
}

#[tokio::test]
async fn check_config_warns_of_reports_that_routing_sends_to_no_authority() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("check.db").display()
    );
    let shipped = Cli::with(&url, dir.path(), "").ok(&["check-config"]).await;
    assert!(shipped.starts_with("configuration is valid"), "{shipped}");
    assert!(!shipped.contains("warning"), "{shipped}");

    // Only high and critical reports reach an authority: the other two severities of
    // each kind are named, and the configuration stays usable.
    let high_only = "[[routing.authorities]]\nparty = \"cert\"\nmin_severity = \"high\"\n";
    let out = Cli::with(&url, dir.path(), high_only)
        .ok(&["check-config"])
        .await;
    let warnings: Vec<&str> = out.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 8, "{out}");
    for kind in ["abnormal", "hijacked", "impersonated", "misused"] {
        for severity in ["low", "medium"] {
            let line = format!(
                "warning: routing: reports of kind `{kind}` at severity `{severity}` reach no authority on every platform"
            );
            assert!(warnings.contains(&line.as_str()), "{out}");
        }
    }
}

#[tokio::test]
async fn filing_queues_one_delivery_per_ticket_and_channel_and_writes_the_timeline() {
    let app = spawn_app().await;
    let filed = app.file(&valid_incident()).await;
    let detail = app.incident(filed["id"].as_str().expect("id")).await;
    let channels: Vec<(String, Vec<String>)> = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| {
            let channels = t["deliveries"]
                .as_array()
                .expect("deliveries")
                .iter()
                .map(|d| {
                    assert_eq!(d["status"], "pending");
                    assert_eq!(d["attempts"], 0);
                    d["channel"].as_str().expect("channel").to_owned()
                })
                .collect();
            (t["party"].as_str().expect("party").to_owned(), channels)
        })
        .collect();
    assert_eq!(
        channels,
        [
            // The committee's ticket also carries the reporter's confirmation email.
            (
                "hn-ba-dinh".to_owned(),
                vec!["email".to_owned(), "email".to_owned()]
            ),
            (
                "cert".to_owned(),
                vec!["email".to_owned(), "webhook".to_owned()]
            ),
            (
                "meta".to_owned(),
                vec!["email".to_owned(), "webhook".to_owned()]
            ),
        ]
    );
    let confirmation = &detail["tickets"][0]["deliveries"][1];
    assert_eq!(confirmation["event_type"], "reporter.confirmation");
    assert_eq!(confirmation["target"], "an.nguyen@example.org");
    let types: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "incident.reported",
            "ticket.opened",
            "ticket.opened",
            "ticket.opened"
        ]
    );
    assert_eq!(detail["timeline"][0]["actor"]["kind"], "integration");
    assert_eq!(detail["timeline"][0]["actor"]["name"], "all scopes");
    assert_eq!(detail["containment"]["state"], "stopped");
    assert_eq!(
        detail["containment"]["actions"],
        json!(["password_changed", "sessions_revoked"])
    );
    assert_eq!(detail["page"]["platform"], "facebook");
    assert_eq!(detail["page"]["key"], "facebook:@badinh.news");
    assert_eq!(detail["reporter"]["phone"], "+84912345678");
}

#[tokio::test]
async fn references_count_up_and_find_the_incident_like_its_id() {
    let app = spawn_app().await;
    let first = app.file(&valid_incident()).await;
    let second = app.file(&valid_incident()).await;
    let number = |v: &serde_json::Value| -> u64 {
        v["reference"].as_str().expect("reference")[9..]
            .parse()
            .expect("number")
    };
    assert_eq!(number(&second), number(&first) + 1);
    let by_reference = app
        .incident(second["reference"].as_str().expect("reference"))
        .await;
    let by_lowercase = app
        .incident(
            &second["reference"]
                .as_str()
                .expect("reference")
                .to_lowercase(),
        )
        .await;
    assert_eq!(by_reference["id"], second["id"]);
    assert_eq!(by_lowercase["id"], second["id"]);
    assert_eq!(
        by_reference["same_page"][0]["id"], first["id"],
        "reports of the same page are linked"
    );
}

#[tokio::test]
async fn an_unknown_incident_is_404_problem() {
    let app = spawn_app().await;
    for id in [
        "01900000-0000-7000-8000-000000000000",
        "INC-2026-999999",
        "not-an-id",
    ] {
        expect_problem(
            app.get(&format!("/api/v1/incidents/{id}")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn pagination_is_stable_while_new_incidents_arrive() {
    let app = spawn_app().await;
    for _ in 0..25 {
        app.file(&valid_incident()).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/incidents?limit=10&cursor={c}"),
            None => "/api/v1/incidents?limit=10".to_owned(),
        };
        let page = expect_status(app.get(&path).await, StatusCode::OK).await;
        pages += 1;
        // New reports filed between pages must not shift the pages that follow.
        app.file(&valid_incident()).await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["reference"].as_str().expect("reference").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    sorted.dedup();
    assert_eq!(sorted, seen, "newest first, no duplicates, no gaps");
}

#[tokio::test]
async fn list_filters_narrow_the_results() {
    let app = spawn_app().await;
    let fb = app.file(&valid_incident()).await;
    let mut tiktok = valid_incident();
    tiktok["kind"] = json!("impersonated");
    tiktok["page"] = json!({ "url": "https://www.tiktok.com/@fake" });
    tiktok["containment"] = json!({ "state": "lost_control" });
    tiktok["reporter"]["committee"] = json!("hcm-q1");
    let tt = app.file(&tiktok).await;
    let checks = [
        ("platform=tiktok", vec![&tt]),
        ("platform=facebook", vec![&fb]),
        ("kind=impersonated", vec![&tt]),
        ("containment=stopped", vec![&fb]),
        ("containment=lost_control", vec![&tt]),
        ("committee=hcm", vec![&tt]),
        ("committee=hn", vec![&fb]),
        ("status=open", vec![&tt, &fb]),
        ("status=closed", vec![]),
        ("updated_since=2000-01-01T00:00:00Z", vec![&tt, &fb]),
        ("updated_since=2999-01-01T00:00:00Z", vec![]),
    ];
    for (query, expected) in checks {
        let page = expect_status(
            app.get(&format!("/api/v1/incidents?{query}")).await,
            StatusCode::OK,
        )
        .await;
        let ids: Vec<&serde_json::Value> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| &i["id"])
            .collect();
        let want: Vec<&serde_json::Value> = expected.iter().map(|e| &e["id"]).collect();
        assert_eq!(ids, want, "{query}");
    }
}

#[tokio::test]
async fn list_refuses_bad_filters_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field, rule) in [
        ("status=lost", "status", "one_of"),
        ("kind=stolen", "kind", "one_of"),
        ("platform=myspace", "platform", "one_of"),
        ("containment=maybe", "containment", "one_of"),
        ("committee=nowhere", "committee", "unknown_committee"),
        ("updated_since=yesterday", "updated_since", "date_time"),
        ("cursor=%21%21", "cursor", "cursor"),
        ("limit=0", "limit", "range"),
        ("limit=201", "limit", "range"),
    ] {
        let problem = expect_problem(
            app.get(&format!("/api/v1/incidents?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(
            crate::helpers::field_rules(&problem),
            [(field.to_owned(), rule.to_owned())],
            "{query}"
        );
    }
    for query in ["sort=asc", "limit=ten"] {
        expect_problem(
            app.get(&format!("/api/v1/incidents?{query}")).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
}

#[tokio::test]
async fn reports_beyond_those_in_progress_are_refused_with_503_and_nothing_of_them_is_written() {
    let app = spawn_app_with("[server]\nmax_filings_in_progress = 1\n").await;
    // Each report is new (its own page), so a refused one cannot hide behind another.
    let reports = (0..48).map(|i| {
        let mut body = valid_incident();
        body["page"]["url"] = json!(format!("https://www.facebook.com/busy.page.{i}"));
        body
    });
    // Every other report carries an Idempotency-Key: a refusal must not hold it.
    let answers = futures_util::future::join_all(reports.enumerate().map(|(i, body)| {
        let app = &app;
        let key = (i % 2 == 0).then(|| format!("busy-report-{i:04}-key"));
        async move {
            let mut request = app
                .client
                .post(app.url("/api/v1/incidents"))
                .bearer_auth(&app.api_key)
                .json(&body);
            if let Some(key) = &key {
                request = request.header("Idempotency-Key", key);
            }
            let response = request.send().await.expect("request sent");
            let status = response.status();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            let problem: serde_json::Value = response.json().await.expect("JSON body");
            (status, retry, problem, (body, key))
        }
    }))
    .await;
    let mut filed = 0;
    let mut refused = Vec::new();
    for (status, retry, problem, body) in answers {
        match status {
            StatusCode::CREATED => filed += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(retry.as_deref(), Some("1"), "{problem}");
                assert_eq!(problem["code"], "unavailable", "{problem}");
                assert_eq!(problem["status"], 503, "{problem}");
                let detail = problem["detail"].as_str().unwrap_or_default();
                assert!(
                    detail.contains("nothing of this one was written"),
                    "{detail}"
                );
                refused.push(body);
            }
            other => panic!("answered {other}: {problem}"),
        }
    }
    assert!(filed >= 1, "no report was filed");
    assert!(
        !refused.is_empty(),
        "48 reports at once, one at a time allowed, none refused"
    );
    // Only the accepted reports exist, each whole.
    let stored = app.all_incidents().await;
    assert_eq!(stored.len(), filed);
    // A refused report sent again once the others are through is filed, under the same
    // Idempotency-Key when it had one.
    for (body, key) in &refused {
        let mut request = app
            .client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&app.api_key)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("request sent");
        expect_status(response, StatusCode::CREATED).await;
    }
    assert_eq!(app.all_incidents().await.len(), 48);
}

#[tokio::test]
async fn a_report_beyond_those_in_progress_is_refused_before_its_key_is_looked_up() {
    // One filing at a time, one database connection, and a long wait for it: a refusal
    // that waited for the database would come late and say so.
    let app = spawn_app_with(
        "[server]\nmax_filings_in_progress = 1\n[database]\nmax_connections = 1\nwait = \"30s\"\n",
    )
    .await;
    // The key's first use is written down now.
    assert!(app.all_incidents().await.is_empty());
    // A first filing in progress, waiting on the database: on PostgreSQL it holds the
    // pool's only connection.
    let held = Held::take(&app).await;
    let first = app.db.sqlite_path.is_some().then(|| {
        let mut body = valid_incident();
        body["page"]["url"] = json!("https://www.facebook.com/first.page");
        let request = app
            .client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&app.api_key)
            .json(&body);
        // Sent again while a report below holds the place for a moment.
        tokio::spawn(async move {
            loop {
                let request = request.try_clone().expect("a body in memory");
                let status = request.send().await.expect("request sent").status();
                if status != StatusCode::SERVICE_UNAVAILABLE {
                    return status;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    });
    // Until the first filing holds the only place, a report with an unknown key is
    // answered 401; from then on it is refused as busy, its key never looked up.
    let mut polls = 0;
    let problem = loop {
        let response = app
            .client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth("not-a-key")
            .json(&valid_incident())
            .send()
            .await
            .expect("request sent");
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            break response
                .json::<serde_json::Value>()
                .await
                .expect("JSON body");
        }
        expect_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        polls += 1;
        assert!(polls < 500, "no report was ever refused as busy");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(problem["code"], "unavailable", "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("being filed at once"), "{detail}");
    // A report with the right key is refused the same way, without waiting for the
    // connection the first filing holds.
    let refused = app.post_incident(&valid_incident()).await;
    let problem = expect_problem(refused, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("being filed at once"), "{detail}");

    let mut filed = held.release().await;
    if let Some(first) = first {
        assert_eq!(first.await.expect("first filing"), StatusCode::CREATED);
        filed += 1;
    }
    assert_eq!(app.all_incidents().await.len(), filed);
    expect_status(
        app.post_incident(&valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn a_database_that_does_not_answer_in_time_refuses_with_503_and_the_report_can_be_sent_again()
{
    let app = spawn_app_with("[database]\nmax_connections = 1\nwait = \"1s\"\n").await;
    // The key's first use is written down now, so that below a filing gets as far as its
    // own write.
    assert!(app.all_incidents().await.is_empty());
    // On SQLite the filing's write waits on the file's write lock; on PostgreSQL it waits
    // for the pool's only connection.
    let held = Held::take(&app).await;

    let refused = app.post_incident(&valid_incident()).await;
    let retry = refused
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let problem = expect_problem(refused, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(retry.as_deref(), Some("1"), "{problem}");
    assert_eq!(problem["title"], "Service unavailable", "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("did not answer in time"), "{detail}");

    let filed = held.release().await;
    // Nothing of the refused report was kept, and sent again it is filed.
    assert_eq!(app.all_incidents().await.len(), filed);
    expect_status(
        app.post_incident(&valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(app.all_incidents().await.len(), filed + 1);
}
