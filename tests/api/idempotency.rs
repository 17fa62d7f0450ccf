use incident_desk::{storage::idempotency::Claim, usecases::intake};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, expect_problem, expect_status, spawn_app, valid_incident};

async fn post_with_key(app: &TestApp, key: &str, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.api_key)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_response() {
    let app = spawn_app().await;
    let first = post_with_key(&app, "retry-1", &valid_incident()).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect_status(first, StatusCode::CREATED).await;

    // The same JSON with other spacing and key order is the same request.
    let text = serde_json::to_string_pretty(&valid_incident()).expect("json");
    let replay = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.api_key)
        .header("Idempotency-Key", "retry-1")
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let replay = expect_status(replay, StatusCode::CREATED).await;
    assert_eq!(
        replay, first,
        "the stored response, byte for byte the same JSON"
    );
    assert_eq!(app.all_incidents().await.len(), 1);

    // Another key files another incident.
    expect_status(
        post_with_key(&app, "retry-2", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(app.all_incidents().await.len(), 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    expect_status(
        post_with_key(&app, "k", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    let mut other = valid_incident();
    other["kind"] = json!("misused");
    expect_problem(
        post_with_key(&app, "k", &other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(app.all_incidents().await.len(), 1);
}

#[tokio::test]
async fn a_key_still_in_progress_is_409() {
    let app = spawn_app().await;
    let db = app.database().await;
    // Another request of the same integration holds the key right now.
    let me = crate::helpers::key_id(&app, &app.api_key).await;
    let claim = intake::claim_idempotency(&db, &me, "busy", "some-other-hash")
        .await
        .expect("claim");
    assert_eq!(claim, Claim::Claimed);
    expect_problem(
        post_with_key(&app, "busy", &valid_incident()).await,
        StatusCode::CONFLICT,
        "idempotency_key_in_use",
    )
    .await;
    assert!(app.all_incidents().await.is_empty());
}

#[tokio::test]
async fn concurrent_duplicates_file_exactly_one_incident() {
    let app = spawn_app().await;
    let body = valid_incident();
    let requests = (0..8).map(|_| post_with_key(&app, "storm", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut created = Vec::new();
    for response in responses {
        let status = response.status();
        let json: serde_json::Value = response.json().await.expect("json");
        match status {
            StatusCode::CREATED => created.push(json["id"].clone()),
            StatusCode::CONFLICT => assert_eq!(json["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {json}"),
        }
    }
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|id| *id == created[0]),
        "every 201 is the same incident"
    );
    assert_eq!(app.all_incidents().await.len(), 1);
}

#[tokio::test]
async fn a_refused_request_does_not_use_up_its_key() {
    let app = spawn_app().await;
    let mut bad = valid_incident();
    bad["kind"] = json!("stolen");
    expect_problem(
        post_with_key(&app, "fix-and-retry", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    expect_status(
        post_with_key(&app, "fix-and-retry", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn keys_are_per_integration_and_at_most_255_characters() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let problem = expect_problem(
        post_with_key(&app, &long, &valid_incident()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    expect_status(
        post_with_key(&app, &"k".repeat(255), &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;

    let other_key = app
        .create_key(
            "other",
            &[incident_desk::domain::access::ApiScope::IncidentsWrite],
            None,
        )
        .await;
    let response = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&other_key)
        .header("Idempotency-Key", "k".repeat(255))
        .json(&valid_incident())
        .send()
        .await
        .expect("sent");
    assert!(response.headers().get("idempotent-replayed").is_none());
    expect_status(response, StatusCode::CREATED).await;
    assert_eq!(app.all_incidents().await.len(), 2);
}
