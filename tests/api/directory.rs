//! The directory through the API: parties within a key's reach, webhook endpoints
//! created, filtered, disabled, rotated (both signatures during the overlap, only the new
//! one after), tested and watched, the audit trail, the routing preview, a provider key
//! that never reads the member's own contacts, and a change seen by another instance.

use std::time::{Duration, Instant};

use incident_desk::domain::access::ApiScope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{
        TestApp, expect_problem, expect_status, field_rules, spawn_app_on, spawn_app_with,
        valid_incident,
    },
    notifications::parties,
    receiver::{Receiver, Reply},
};

const WAIT: Duration = Duration::from_secs(10);

async fn app(committee_hook: &str, provider_hook: &str) -> TestApp {
    spawn_app_with(&parties(committee_hook, provider_hook, true)).await
}

async fn patch_json(app: &TestApp, key: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn delete(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .expect("request")
}

fn verifies(secret: &str, r: &crate::receiver::Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .expect("secret")
        .verify(&r.body, &r.headers)
        .is_ok()
}

fn event_type(r: &crate::receiver::Received) -> String {
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    v["type"].as_str().unwrap_or_default().to_owned()
}

/// A hijacked Facebook page at high severity: the committee, `cert` and `meta` are routed.
fn high_report() -> Value {
    let mut report = valid_incident();
    report["severity"] = json!("high");
    report
}

#[tokio::test]
async fn an_endpoint_is_created_filtered_disabled_rotated_tested_and_audited() {
    let hook = Receiver::start(Reply::Status(200)).await;
    let app = app("http://127.0.0.1:9/unused", "http://127.0.0.1:9/unused").await;
    let key = app.api_key.clone();
    let base = "/api/v1/parties/cert/endpoints";

    // Refused targets name the field and the rule.
    for (url, rule) in [
        ("http://10.1.2.3/hook", "private_network"),
        ("http://user:pw@127.0.0.1/hook", "no_userinfo"),
        ("ftp://example.org/hook", "url"),
    ] {
        let problem = expect_problem(
            app.post_json_as(&key, base, &json!({ "url": url })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_rules(&problem),
            [("url".to_owned(), rule.to_owned())],
            "{url}"
        );
    }
    let problem = expect_problem(
        app.post_json_as(
            &key,
            base,
            &json!({ "url": hook.url, "event_types": ["incident.nope"] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(field_rules(&problem)[0].0, "event_types[0]");

    let created = expect_status(
        app.post_json_as(
            &key,
            base,
            &json!({ "url": hook.url, "description": "Case intake", "event_types": ["incident.reported", "endpoint.test"] }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let first = created["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    let id = created["endpoint"]["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("ep_"));
    let listed = expect_status(app.get_as(&key, base).await, StatusCode::OK).await;
    assert!(
        !listed.to_string().contains(&first),
        "a secret is never listed"
    );
    let path = format!("{base}/{id}");

    // A report reaches the new endpoint, signed with its secret.
    app.file(&high_report()).await;
    app.dispatch_until_idle().await;
    let got = hook.wait_for(1, WAIT).await;
    assert_eq!(event_type(&got[0]), "incident.reported");
    assert!(verifies(&first, &got[0]));

    // A test event now, signed.
    let tested = expect_status(
        app.post_json_as(&key, &format!("{path}/test"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tested["delivered"], true, "{tested}");
    assert_eq!(tested["status"], 200);
    let got = hook.wait_for(2, WAIT).await;
    assert_eq!(event_type(&got[1]), "endpoint.test");
    assert!(verifies(&first, &got[1]));

    // Rotation with an overlap: both secrets sign.
    let rotated = expect_status(
        app.post_json_as(
            &key,
            &format!("{path}/rotate"),
            &json!({ "overlap_seconds": 3600 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let second = rotated["secret"].as_str().expect("new secret").to_owned();
    assert_ne!(second, first);
    assert!(rotated["endpoint"]["previous_secret_expires_at"].is_string());
    app.post_json_as(&key, &format!("{path}/test"), &json!({}))
        .await;
    let got = hook.wait_for(3, WAIT).await;
    assert!(verifies(&first, &got[2]), "the old secret still signs");
    assert!(verifies(&second, &got[2]), "the new secret signs");

    // Rotation without an overlap: only the new one.
    let rotated = expect_status(
        app.post_json_as(
            &key,
            &format!("{path}/rotate"),
            &json!({ "overlap_seconds": 0 }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let third = rotated["secret"].as_str().expect("new secret").to_owned();
    app.post_json_as(&key, &format!("{path}/test"), &json!({}))
        .await;
    let got = hook.wait_for(4, WAIT).await;
    assert!(verifies(&third, &got[3]));
    assert!(
        !verifies(&second, &got[3]),
        "the replaced secret no longer signs"
    );
    assert!(!verifies(&first, &got[3]));

    // An event type the endpoint did not choose is not sent to it.
    expect_status(
        patch_json(
            &app,
            &key,
            &path,
            &json!({ "event_types": ["endpoint.test"] }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.file(&high_report()).await;
    app.dispatch_until_idle().await;
    assert_eq!(hook.received().len(), 4, "filtered out");

    // A disabled endpoint receives nothing; enabled again, it does.
    expect_status(
        patch_json(&app, &key, &path, &json!({ "event_types": [] })).await,
        StatusCode::OK,
    )
    .await;
    let disabled = expect_status(
        app.post_json_as(
            &key,
            &format!("{path}/disable"),
            &json!({ "reason": "moving hosts" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(disabled["disabled"]["reason"], "moving hosts");
    app.file(&high_report()).await;
    app.dispatch_until_idle().await;
    assert_eq!(hook.received().len(), 4, "nothing while disabled");
    expect_status(
        app.post_json_as(&key, &format!("{path}/enable"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    app.file(&high_report()).await;
    app.dispatch_until_idle().await;
    let got = hook.wait_for(5, WAIT).await;
    assert_eq!(event_type(&got[4]), "incident.reported");
    assert!(verifies(&third, &got[4]));

    // The delivery log and success rate of the last day.
    let activity = expect_status(
        app.get_as(&key, &format!("{path}/activity")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(activity["delivered"], 2, "{activity}");
    assert_eq!(activity["failed"], 0);
    assert_eq!(activity["success_rate"], 1.0);
    assert_eq!(activity["deliveries"].as_array().map(Vec::len), Some(2));

    // The audit trail: who did what, newest first, never a secret.
    let changes = expect_status(
        app.get_as(&key, "/api/v1/directory/changes?party=cert")
            .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = changes["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| c["subject_id"] == id.as_str())
        .map(|c| c["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        [
            "enabled",
            "disabled",
            "updated",
            "updated",
            "tested",
            "secret_rotated",
            "tested",
            "secret_rotated",
            "tested",
            "created"
        ]
    );
    assert_eq!(changes["data"][0]["actor"]["kind"], "integration");
    let text = changes.to_string();
    for secret in [&first, &second, &third] {
        assert!(!text.contains(secret.as_str()), "no secret on the trail");
    }

    // Removed, it is gone from the party.
    assert_eq!(
        delete(&app, &key, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_problem(
        app.get_as(&key, &path).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn keys_see_and_manage_only_the_parties_within_their_reach() {
    let hook = Receiver::start(Reply::Status(200)).await;
    let app = app(&hook.url, &hook.url).await;
    let rw = [ApiScope::DirectoryRead, ApiScope::DirectoryWrite];
    let meta = app.create_bound_key(&rw, None, Some("meta")).await;
    let hn = app.create_bound_key(&rw, Some("hn"), None).await;
    let reader = app
        .create_bound_key(&[ApiScope::DirectoryRead], None, None)
        .await;
    let none = app
        .create_bound_key(&[ApiScope::IncidentsRead], None, None)
        .await;
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let endpoint = json!({ "url": hook.url });

    expect_problem(
        app.get_as(&none, "/api/v1/parties").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.post_json_as(&reader, "/api/v1/parties/cert/endpoints", &endpoint)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // A party's key: its own party only.
    let page = expect_status(app.get_as(&meta, "/api/v1/parties").await, StatusCode::OK).await;
    assert_eq!(ids(&page), ["meta"]);
    for path in ["/api/v1/parties/cert", "/api/v1/parties/cert/endpoints"] {
        expect_problem(
            app.get_as(&meta, path).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    expect_problem(
        app.post_json_as(&meta, "/api/v1/parties/cert/endpoints", &endpoint)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_status(
        app.post_json_as(&meta, "/api/v1/parties/meta/endpoints", &endpoint)
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_problem(
        app.get_as(
            &meta,
            "/api/v1/routing/preview?committee=hn&kind=hijacked&platform=facebook&severity=high",
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.get_as(&meta, "/api/v1/directory/changes").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_status(
        app.get_as(&meta, "/api/v1/directory/changes?party=meta")
            .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get_as(&meta, "/api/v1/directory/changes?party=cert")
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // A committee's key: its subtree.
    let page = expect_status(app.get_as(&hn, "/api/v1/parties").await, StatusCode::OK).await;
    assert_eq!(ids(&page), ["hn", "hn-ba-dinh"]);
    expect_status(
        app.get_as(&hn, "/api/v1/parties/hn-ba-dinh").await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get_as(&hn, "/api/v1/parties/meta").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_status(
        app.post_json_as(&hn, "/api/v1/parties/hn-ba-dinh/endpoints", &endpoint)
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_problem(
        app.post_json_as(&hn, "/api/v1/parties/cert/endpoints", &endpoint)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Every operation on an endpoint beyond a key's reach is 404; without the write scope,
    // every change is 403.
    let cert = expect_status(
        app.post_json_as(&app.api_key, "/api/v1/parties/cert/endpoints", &endpoint)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!(
        "/api/v1/parties/cert/endpoints/{}",
        cert["endpoint"]["id"].as_str().expect("id")
    );
    let disable = json!({ "reason": "checking" });
    let empty = json!({});
    for (key, status) in [(&meta, StatusCode::NOT_FOUND), (&hn, StatusCode::NOT_FOUND)] {
        for response in [
            app.get_as(key, &path).await,
            patch_json(&app, key, &path, &json!({ "description": "x" })).await,
            delete(&app, key, &path).await,
            app.post_json_as(key, &format!("{path}/rotate"), &empty)
                .await,
            app.post_json_as(key, &format!("{path}/disable"), &disable)
                .await,
            app.post_json_as(key, &format!("{path}/enable"), &empty)
                .await,
            app.post_json_as(key, &format!("{path}/test"), &empty).await,
            app.get_as(key, &format!("{path}/activity")).await,
        ] {
            assert_eq!(response.status(), status, "{}", response.url());
        }
    }
    for response in [
        patch_json(&app, &reader, &path, &json!({ "description": "x" })).await,
        delete(&app, &reader, &path).await,
        app.post_json_as(&reader, &format!("{path}/rotate"), &empty)
            .await,
        app.post_json_as(&reader, &format!("{path}/disable"), &disable)
            .await,
        app.post_json_as(&reader, &format!("{path}/enable"), &empty)
            .await,
        app.post_json_as(&reader, &format!("{path}/test"), &empty)
            .await,
    ] {
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{}",
            response.url()
        );
    }
    for path in [path.clone(), format!("{path}/activity")] {
        expect_status(app.get_as(&reader, &path).await, StatusCode::OK).await;
    }
    let unchanged = expect_status(app.get_as(&app.api_key, &path).await, StatusCode::OK).await;
    assert_eq!(unchanged["description"], "");
    assert_eq!(unchanged["disabled"], Value::Null);

    // A key bound to neither: everything, searched and paged.
    let page = expect_status(
        app.get_as(&reader, "/api/v1/parties?kind=committee&q=BA%20DINH")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&page), ["hn-ba-dinh"]);
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/parties?kind=provider&limit=3".to_owned());
    while let Some(path) = next {
        let page = expect_status(app.get_as(&reader, &path).await, StatusCode::OK).await;
        seen.extend(ids(&page));
        next = page["next_after"]
            .as_str()
            .map(|a| format!("/api/v1/parties?kind=provider&limit=3&after={a}"));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "each once, in order");
    assert_eq!(seen.len(), 7, "{seen:?}");
    expect_problem(
        app.get_as(&reader, "/api/v1/parties?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_routing_preview_names_who_would_be_notified() {
    // Routing that sends only high and critical reports to an authority, as an
    // organisation may configure it.
    let app = spawn_app_with(&format!(
        "{}\n[[routing.authorities]]\nparty = \"cert\"\nmin_severity = \"high\"\n",
        parties("http://127.0.0.1:9/a", "http://127.0.0.1:9/b", true)
    ))
    .await;
    let preview = |query: &str| {
        let app = &app;
        let path = format!("/api/v1/routing/preview?{query}");
        async move { expect_status(app.get_as(&app.api_key, &path).await, StatusCode::OK).await }
    };
    let routed = |body: &Value| -> Vec<(String, String)> {
        body["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or_default().to_owned(),
                    p["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let body = preview("committee=hn-ba-dinh&kind=hijacked&platform=facebook&severity=high").await;
    assert_eq!(
        routed(&body),
        [
            ("hn-ba-dinh".to_owned(), "committee".to_owned()),
            ("cert".to_owned(), "authority".to_owned()),
            ("meta".to_owned(), "provider".to_owned())
        ]
    );
    assert_eq!(body["missing"], json!([]));
    let body = preview("committee=hn&kind=abnormal&platform=website&severity=low").await;
    assert_eq!(
        routed(&body),
        [
            ("hn".to_owned(), "committee".to_owned()),
            ("web-abuse".to_owned(), "provider".to_owned())
        ]
    );
    assert_eq!(body["missing"], json!(["authority"]));
    expect_problem(
        app.get_as(
            &app.api_key,
            "/api/v1/routing/preview?committee=nowhere&kind=hijacked&platform=facebook&severity=high",
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_provider_key_reads_only_its_incidents_and_never_the_members_own_contacts() {
    let app = app("http://127.0.0.1:9/a", "http://127.0.0.1:9/b").await;
    let meta = app
        .create_bound_key(&[ApiScope::IncidentsRead], None, Some("meta"))
        .await;
    let filed = app.file(&high_report()).await;
    let id = filed["id"].as_str().expect("id");

    let seen = expect_status(
        app.get_as(&meta, &format!("/api/v1/incidents/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["reporter"]["email"], Value::Null, "{seen}");
    assert_eq!(seen["reporter"]["phone"], Value::Null);
    assert_eq!(seen["reporter"]["name"], "Nguyễn Văn An");
    assert_eq!(
        seen["page"]["linked_email"], "page-admin@example.org",
        "account contacts go to providers by default"
    );
    let ticket_parties: Vec<&str> = seen["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["party"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ticket_parties, ["meta"], "only its own ticket");
    assert!(!seen.to_string().contains("an.nguyen@example.org"));
    // The same incident read by a key of everyone shows the contacts.
    let full = app.incident(id).await;
    assert_eq!(full["reporter"]["email"], "an.nguyen@example.org");

    expect_problem(
        app.get_as(&meta, "/api/v1/incidents").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let mut other = high_report();
    other["page"] =
        json!({ "url": "https://www.tiktok.com/@badinh.news", "handle": "badinh.news" });
    let other = app.file(&other).await;
    expect_problem(
        app.get_as(
            &meta,
            &format!("/api/v1/incidents/{}", other["id"].as_str().expect("id")),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Where the configuration gives providers the member's contacts, they are shown.
    let generous = spawn_app_with(&format!(
        "{}\n[notifications]\nreporter_contacts_for = [\"committee\", \"authority\", \"provider\"]\naccount_contacts_for = [\"committee\"]\n",
        parties("http://127.0.0.1:9/a", "http://127.0.0.1:9/b", true)
    ))
    .await;
    let meta = generous
        .create_bound_key(&[ApiScope::IncidentsRead], None, Some("meta"))
        .await;
    let filed = generous.file(&high_report()).await;
    let seen = expect_status(
        generous
            .get_as(
                &meta,
                &format!("/api/v1/incidents/{}", filed["id"].as_str().expect("id")),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["reporter"]["email"], "an.nguyen@example.org");
    assert_eq!(seen["page"]["linked_email"], Value::Null);
}

#[tokio::test]
async fn another_instance_sees_a_directory_change_within_two_seconds() {
    let hook = Receiver::start(Reply::Status(200)).await;
    let config = parties("http://127.0.0.1:9/a", "http://127.0.0.1:9/b", true);
    let first = spawn_app_with(&config).await;
    let second = spawn_app_on(first.db.shared(), &config).await;
    let key = first.api_key.clone();
    let created = expect_status(
        first
            .post_json_as(
                &key,
                "/api/v1/parties/cert/endpoints",
                &json!({ "url": hook.url }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["endpoint"]["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let changed = Instant::now();
    let path = format!("/api/v1/parties/cert/endpoints/{id}");
    loop {
        let status = second.get_as(&second.api_key, &path).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            changed.elapsed() < Duration::from_secs(2),
            "the other instance still lacks the endpoint after {:?}",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And it routes with it: a report filed on the second instance reaches the endpoint.
    second.file(&high_report()).await;
    second.dispatch_until_idle().await;
    let got = hook.wait_for(1, WAIT).await;
    assert_eq!(event_type(&got[0]), "incident.reported");
    assert!(
        verifies(&secret, &got[0]),
        "sent to the endpoint made on the first"
    );
}
