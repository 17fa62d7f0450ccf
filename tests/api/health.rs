use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::{
    helpers::{TestApp, expect_status, sample, spawn_app, spawn_app_on, spawn_app_with},
    notifications::{WAIT, background_app_with, parties, report_for_hn, settled},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

#[tokio::test]
async fn healthz_and_readyz_answer_with_a_request_id() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert!(id.is_some_and(|id| id.len() >= 32));
    expect_status(r, StatusCode::OK).await;
    let (status, ready) = app.readiness().await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn readyz_fails_when_migrations_are_pending() {
    let app = spawn_app().await;
    let db = app.database().await;
    db.migrate_down(None).await.expect("revert migrations");
    let (status, body) = app.readiness().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert!(
        body["reasons"][0]
            .as_str()
            .expect("reason")
            .contains("migration"),
        "{body}"
    );
    db.migrate_up().await.expect("apply migrations");
    assert_eq!(app.readiness().await.0, StatusCode::OK);
}

#[tokio::test]
async fn readyz_names_a_migration_this_release_does_not_know() {
    let app = spawn_app().await;
    let db = app.database().await;
    // As a newer release would leave it, before this one is rolled back.
    db.conn()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) \
             VALUES ('m20991231_000001_from_a_newer_release', 0)",
        )
        .await
        .expect("record a migration");
    let (status, body) = app.readiness().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let reason = body["reasons"][0].as_str().expect("reason");
    assert!(reason.contains("migrations could not be checked"), "{body}");
    assert!(
        reason.contains("m20991231_000001_from_a_newer_release"),
        "{body}"
    );
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    assert_eq!(app.readiness().await.0, StatusCode::OK);
    match &app.db.sqlite_path {
        Some(path) => std::fs::remove_file(path).expect("remove the database file"),
        None => {
            let server = std::env::var("TEST_DATABASE_URL").expect("postgres server");
            let name = app.db.url.rsplit('/').next().expect("name").to_owned();
            let admin = sea_orm::Database::connect(server.as_str())
                .await
                .expect("connect");
            use sea_orm::ConnectionTrait;
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop the test database");
        }
    }
    let (status, body) = app.readiness().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert!(
        body["reasons"][0]
            .as_str()
            .expect("reason")
            .contains("database"),
        "{body}"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint_and_its_examples_are_accepted() {
    let app = spawn_app().await;
    let doc = expect_status(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/incidents", "post"),
        ("/api/v1/incidents", "get"),
        ("/api/v1/incidents/{id}", "get"),
        ("/api/v1/incidents/{id}/containment", "post"),
        ("/api/v1/incidents/{id}/status", "post"),
        ("/api/v1/incidents/{id}/notes", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    // Every operation behind a key may find the database too slow to answer: 503.
    let mut keyed = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("operations") {
            if !operation["security"].to_string().contains("\"api_key\"") {
                continue;
            }
            keyed += 1;
            let unavailable = &operation["responses"]["503"];
            assert!(unavailable.is_object(), "{method} {path} lists 503");
            let answer = match unavailable["$ref"].as_str() {
                Some(name) => {
                    let name = name
                        .strip_prefix("#/components/responses/")
                        .expect("a response");
                    &doc["components"]["responses"][name]
                }
                None => unavailable,
            };
            assert!(
                answer["headers"]["Retry-After"].is_object(),
                "{method} {path}: its 503 says when to send again: {answer}"
            );
        }
    }
    assert!(keyed > 20, "{keyed} operations behind a key");
    let schemas = &doc["components"]["schemas"];

    // Every documented request example is accepted by the API.
    let create = schemas["CreateIncident"]["example"].clone();
    assert!(create.is_object());
    let filed = expect_status(app.post_incident(&create).await, StatusCode::CREATED).await;
    let id = filed["id"].as_str().expect("id");
    let note: Value = schemas["AddNote"]["example"].clone();
    expect_status(
        app.post_json(&format!("/api/v1/incidents/{id}/notes"), &note)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let containment: Value = schemas["ContainmentInput"]["example"].clone();
    expect_status(
        app.post_json(&format!("/api/v1/incidents/{id}/containment"), &containment)
            .await,
        StatusCode::OK,
    )
    .await;
    let mut status: Value = schemas["ChangeStatus"]["example"].clone();
    let other = app.file(&crate::helpers::valid_incident()).await;
    status["duplicate_of"] = other["reference"].clone();
    expect_status(
        app.post_json(&format!("/api/v1/incidents/{id}/status"), &status)
            .await,
        StatusCode::OK,
    )
    .await;

    let docs = app
        .client
        .get(app.url("/api/docs"))
        .send()
        .await
        .expect("sent");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.expect("html").contains("openapi"));
}

/// Asks `/readyz` until it answers `status`, and returns its body.
async fn readiness_becomes(app: &TestApp, status: StatusCode) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (now, body) = app.readiness().await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "readiness stayed {now}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn readyz_fails_while_due_deliveries_wait_past_the_stall_threshold_for_an_idle_dispatcher() {
    let sink = SmtpSink::start().await;
    let hook = Receiver::start(Reply::Status(200)).await;
    let shared = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(&hook.url, &hook.url, true),
        sink.url()
    );
    // A web instance without a dispatcher files the report; the worker dispatches but
    // polls the queue hourly, and nothing filed elsewhere wakes it.
    let web = spawn_app_with(&shared).await;
    let worker = spawn_app_on(
        web.db.shared(),
        &format!(
            "[dispatcher]\nenabled = true\npoll_interval = \"1h\"\nstall_threshold = \"1s\"\n{shared}"
        ),
    )
    .await;
    assert_eq!(worker.readiness().await.0, StatusCode::OK);
    let filed = web.file(&report_for_hn()).await;

    let body = readiness_becomes(&worker, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["status"], "not_ready");
    let reason = body["reasons"][0].as_str().expect("reason");
    let waited: u64 = reason
        .strip_prefix("the oldest due delivery has waited ")
        .and_then(|rest| rest.strip_suffix(" s (threshold 1 s)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected reason `{reason}`"));
    assert!(waited >= 1, "{reason}");
    let text = worker.metrics().await;
    assert!(
        sample(&text, "delivery_oldest_due_age_seconds", &[]).is_some_and(|age| age >= 1.0),
        "{text}"
    );
    // Where no dispatcher runs, the queue is not the instance's readiness.
    assert_eq!(web.readiness().await.0, StatusCode::OK);

    // A dispatcher that takes the work clears the stall for every instance.
    let helper = spawn_app_on(
        web.db.shared(),
        &format!("[dispatcher]\nenabled = true\nstall_threshold = \"1s\"\n{shared}"),
    )
    .await;
    settled(&helper, filed["id"].as_str().expect("id")).await;
    readiness_becomes(&worker, StatusCode::OK).await;
    assert_eq!(helper.readiness().await.0, StatusCode::OK);
}

#[tokio::test]
async fn readyz_stays_ready_while_a_slow_endpoint_works_through_its_backlog() {
    let sink = SmtpSink::start().await;
    let slow = Receiver::start(Reply::Hang).await;
    let fine = Receiver::start(Reply::Status(200)).await;
    // One send at a time to an endpoint that answers only when the 2 s timeout cuts it.
    let app = background_app_with(
        &sink,
        &slow.url,
        &fine.url,
        "[dispatcher]\nper_endpoint_concurrency = 1\nstall_threshold = \"1s\"\n",
    )
    .await;
    for _ in 0..3 {
        app.file(&report_for_hn()).await;
    }
    let mut most_due = 0.0_f64;
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < until {
        let (status, body) = app.readiness().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let text = app.metrics().await;
        let due = sample(&text, "delivery_queue_depth", &[("state", "due")]).expect("due");
        most_due = most_due.max(due);
        let age = sample(&text, "delivery_oldest_due_age_seconds", &[]).expect("age");
        assert!(age < 1.0, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        most_due >= 1.0,
        "deliveries waited their turn at the slow endpoint"
    );
    assert!(
        slow.received().len() >= 2,
        "the slow endpoint was being worked on"
    );
}
