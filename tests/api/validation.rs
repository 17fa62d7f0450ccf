use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{expect_problem, field_rules, spawn_app, valid_incident};

/// Sets the value at a dotted path of the body (Null removes the key).
fn with(path: &str, value: Value) -> Value {
    let mut body = valid_incident();
    let mut target = &mut body;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = &mut target[*part];
    }
    let last = parts[parts.len() - 1];
    if value.is_null() {
        target.as_object_mut().expect("object").remove(last);
    } else {
        target[last] = value;
    }
    body
}

#[tokio::test]
async fn every_validation_rule_is_refused_with_422_naming_field_and_rule() {
    let app = spawn_app().await;
    let long = "x".repeat(5001);
    let cases: Vec<(Value, &str, &str)> = vec![
        (with("kind", Value::Null), "kind", "required"),
        (with("kind", json!("stolen")), "kind", "one_of"),
        (with("severity", json!("urgent")), "severity", "one_of"),
        (
            with("description", json!("short")),
            "description",
            "too_short",
        ),
        (with("description", json!(long)), "description", "too_long"),
        (with("description", json!("   ")), "description", "required"),
        (
            with("description", json!("bad \u{0007} bell in text")),
            "description",
            "control_characters",
        ),
        (with("detected_at", Value::Null), "detected_at", "required"),
        (
            with("detected_at", json!("28/11/2026 08:00")),
            "detected_at",
            "date_time",
        ),
        (
            with("detected_at", json!("2999-01-01T00:00:00Z")),
            "detected_at",
            "not_in_future",
        ),
        (
            with("detected_at", json!("1999-01-01T00:00:00Z")),
            "detected_at",
            "too_old",
        ),
        (
            with("reporter.name", json!("A")),
            "reporter.name",
            "too_short",
        ),
        (
            with("reporter.name", Value::Null),
            "reporter.name",
            "required",
        ),
        (
            with("reporter.email", json!("an@")),
            "reporter.email",
            "email",
        ),
        (
            with("reporter.phone", json!("12ab")),
            "reporter.phone",
            "phone",
        ),
        (
            with("reporter.committee", json!("nowhere")),
            "reporter.committee",
            "unknown_committee",
        ),
        (
            with("reporter.committee", Value::Null),
            "reporter.committee",
            "required",
        ),
        (
            with("page.url", json!("facebook.com/page")),
            "page.url",
            "url",
        ),
        (
            with("page.url", json!("javascript:alert(1)")),
            "page.url",
            "url",
        ),
        (
            with(
                "page.url",
                json!(format!("https://example.org/{}", "a".repeat(2100))),
            ),
            "page.url",
            "too_long",
        ),
        (
            with("page.handle", json!("two words")),
            "page.handle",
            "handle",
        ),
        (
            with(
                "page.url",
                json!("https://:Hunter2-Secret99@www.facebook.com/badinh.news"),
            ),
            "page.url",
            "no_userinfo",
        ),
        (
            with(
                "page.url",
                json!("https://owner@www.facebook.com/badinh.news"),
            ),
            "page.url",
            "no_userinfo",
        ),
        (
            with("page.handle", json!("badinh\u{200B}news")),
            "page.handle",
            "invisible_characters",
        ),
        (
            with("reporter.name", json!("Nguyễn \u{202E}Bình")),
            "reporter.name",
            "invisible_characters",
        ),
        (
            with("page.display_name", json!("\u{2067}Ba Đình News\u{2069}")),
            "page.display_name",
            "invisible_characters",
        ),
        (
            with("page.platform", json!("myspace")),
            "page.platform",
            "one_of",
        ),
        (
            with("page.platform", json!("tiktok")),
            "page.platform",
            "platform_mismatch",
        ),
        (
            with("page.account_type", json!("bot")),
            "page.account_type",
            "one_of",
        ),
        (
            with("page.linked_email", json!("nope")),
            "page.linked_email",
            "email",
        ),
        (
            with("page.linked_phone", json!("+1")),
            "page.linked_phone",
            "phone",
        ),
        (
            with("page.created_on", json!("2019-13-01")),
            "page.created_on",
            "date",
        ),
        (
            with("page.created_on", json!("2999-01-01")),
            "page.created_on",
            "not_in_future",
        ),
        (
            with("containment.state", json!("gone")),
            "containment.state",
            "one_of",
        ),
        (
            with("containment.state", json!("recovered")),
            "containment.state",
            "one_of",
        ),
        (
            with("containment.stopped_at", Value::Null),
            "containment.stopped_at",
            "required",
        ),
        (
            with("containment.actions", json!([])),
            "containment.actions",
            "required",
        ),
        (
            with("containment.actions", json!(["prayed"])),
            "containment.actions[0]",
            "one_of",
        ),
        (
            with(
                "containment",
                json!({"state": "lost_control", "actions": ["password_changed"]}),
            ),
            "containment.state",
            "stopped_fields_need_stopped",
        ),
        (
            with("containment.stopped_at", json!("2026-11-20T00:00:00Z")),
            "containment.stopped_at",
            "after_detection",
        ),
        // Wrong JSON types and unknown fields are named by their path too.
        (with("kind", json!(5)), "kind", "type"),
        (with("reporter", json!("me")), "reporter", "type"),
        (
            with("page.password", json!("hunter2")),
            "page.password",
            "unknown_field",
        ),
        (with("secret", json!(true)), "secret", "unknown_field"),
    ];
    for (body, field, rule) in cases {
        let problem = expect_problem(
            app.post_incident(&body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let rules = field_rules(&problem);
        assert!(
            rules.contains(&(field.to_owned(), rule.to_owned())),
            "expected {field}/{rule}, got {rules:?}"
        );
    }
    assert!(
        app.all_incidents().await.is_empty(),
        "nothing is stored from a refused report"
    );
}

#[tokio::test]
async fn contact_and_page_identity_rules_apply_across_fields() {
    let app = spawn_app().await;
    let mut body = valid_incident();
    body["reporter"] = json!({ "name": "An", "committee": "hn" });
    body["page"] = json!({ "display_name": "Nameless" });
    let problem = expect_problem(
        app.post_incident(&body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let rules = field_rules(&problem);
    for want in [
        ("reporter.email", "contact_required"),
        ("page.url", "url_or_handle_required"),
        ("page.platform", "required"),
    ] {
        assert!(
            rules.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {rules:?}"
        );
    }
    // A handle with a platform and a phone-only reporter are enough.
    body["reporter"] = json!({ "name": "An", "phone": "0912345678", "committee": "hn" });
    body["page"] = json!({ "platform": "zalo", "handle": "@shop" });
    crate::helpers::expect_status(app.post_incident(&body).await, StatusCode::CREATED).await;
    // A page's creation date may be known only to the month or the year.
    for (created_on, stored) in [
        ("2019", Some("2019")),
        ("2019-05", Some("2019-05")),
        ("2019-5", Some("2019-05")),
        ("1985", None),
        ("2019-05-32", None),
    ] {
        body["page"] = json!({ "platform": "zalo", "handle": "@shop", "created_on": created_on });
        let status = match stored {
            Some(_) => StatusCode::CREATED,
            None => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let filed = crate::helpers::expect_status(app.post_incident(&body).await, status).await;
        if let Some(stored) = stored {
            let id = filed["id"].as_str().expect("id");
            let detail = app.incident(id).await;
            assert_eq!(detail["page"]["created_on"], stored, "{created_on}");
        }
    }
}

#[tokio::test]
async fn malformed_bodies_get_4xx_problems_never_500() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/incidents");
    let send =
        |builder: reqwest::RequestBuilder| async move { builder.send().await.expect("sent") };

    let r = send(
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body("{\"kind\": "),
    )
    .await;
    expect_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;

    let r = send(
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body(""),
    )
    .await;
    expect_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;

    let r = send(
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    expect_problem(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let r = send(app.client.post(&url).bearer_auth(&app.api_key).body("{}")).await;
    expect_problem(
        r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let huge = json!({ "description": "x".repeat(200_000) });
    let r = send(app.client.post(&url).bearer_auth(&app.api_key).json(&huge)).await;
    expect_problem(r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let r = send(
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body("[1, 2]"),
    )
    .await;
    // An array is not the object the operation takes (it would be read field by position).
    expect_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;

    let r = send(
        app.client
            .post(&url)
            .bearer_auth(&app.api_key)
            .header("content-type", "application/merge-patch+json")
            .body("{}"),
    )
    .await;
    expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    assert!(app.all_incidents().await.is_empty());
}

#[tokio::test]
async fn unknown_methods_are_405_and_unknown_paths_404() {
    let app = spawn_app().await;
    let r = app
        .client
        .delete(app.url("/api/v1/incidents"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("sent");
    expect_problem(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let r = app
        .client
        .put(app.url("/api/v1/incidents/INC-2026-000001"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("sent");
    expect_problem(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let r = app
        .client
        .get(app.url("/api/v1/incidents/x/status"))
        .send()
        .await
        .expect("sent");
    expect_problem(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    // Every 405 says what is allowed (RFC 9110), on the API, the pages and the operations.
    for (method, path, allow) in [
        ("DELETE", "/api/v1/incidents", "GET, HEAD, POST"),
        ("PATCH", "/api/v1/tickets/x", "GET, HEAD"),
        ("GET", "/api/v1/tickets/x/acknowledge", "POST"),
        ("TRACE", "/healthz", "GET, HEAD"),
        ("TRACE", "/readyz", "GET, HEAD"),
        ("TRACE", "/metrics", "GET, HEAD"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("FOO", "/readyz", "GET, HEAD"),
        ("DELETE", "/metrics", "GET, HEAD"),
        ("PUT", "/desk/sign-in", "GET, HEAD, POST"),
        ("DELETE", "/", "GET, HEAD, POST"),
        ("PUT", "/api/v1/openapi.json", "GET, HEAD"),
    ] {
        let r = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                app.url(path),
            )
            .bearer_auth(&app.api_key)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            r.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        expect_problem(r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    // HEAD is answered wherever GET is.
    let head = app
        .client
        .head(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(head.status(), StatusCode::OK);
    expect_problem(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.get("/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
