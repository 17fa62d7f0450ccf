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
    let mut replay = expect_status(replay, StatusCode::CREATED).await;
    let mut first = first;
    // The link is issued afresh on each replay (the receipt keeps no token); the rest is
    // the stored response.
    let (first_link, replay_link) = (first["tracking_url"].take(), replay["tracking_url"].take());
    assert_ne!(first_link, replay_link, "a fresh link");
    assert_eq!(replay, first, "the stored response, the same JSON");
    assert_eq!(app.all_incidents().await.len(), 1);

    // Another key files another incident.
    expect_status(
        post_with_key(&app, "retry-2", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(app.all_incidents().await.len(), 2);
}

fn token_of(created: &serde_json::Value) -> String {
    let url = created["tracking_url"].as_str().expect("tracking_url");
    url.rsplit('/').next().expect("token").to_owned()
}

#[tokio::test]
async fn the_receipt_keeps_no_tracking_token_and_a_replay_gets_a_fresh_link() {
    let app = spawn_app().await;
    let first = expect_status(
        post_with_key(&app, "once", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    let replay = expect_status(
        post_with_key(&app, "once", &valid_incident()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(replay["id"], first["id"], "the same incident");
    let tokens = [token_of(&first), token_of(&replay)];
    assert_ne!(tokens[0], tokens[1], "the replay's link is issued afresh");
    for token in &tokens {
        assert!(token.len() >= 20, "{token}");
        let found = app.tables_containing(token).await;
        assert!(
            found.is_empty(),
            "the token is stored in clear in {found:?}"
        );
        // Both links lead to the incident.
        let page = app
            .client
            .get(app.url(&format!("/track/{token}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains(first["reference"].as_str().expect("reference")));
    }
    // The search itself finds what is stored.
    let reference = first["reference"].as_str().expect("reference");
    assert!(!app.tables_containing(reference).await.is_empty());
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
async fn a_key_left_by_a_process_that_died_is_free_again_within_five_seconds() {
    let app = spawn_app().await;
    let db = app.database().await;
    // A process claimed the key and died: nothing renews its claim.
    let me = crate::helpers::key_id(&app, &app.api_key).await;
    let claim = intake::claim_idempotency(&db, &me, "orphan", "some-hash")
        .await
        .expect("claim");
    assert_eq!(claim, Claim::Claimed);
    let claimed_at = std::time::Instant::now();
    let refused = post_with_key(&app, "orphan", &valid_incident()).await;
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1"),
        "a 409 says when to try again"
    );
    expect_problem(refused, StatusCode::CONFLICT, "idempotency_key_in_use").await;
    // A client that honours Retry-After gets through once the claim lapses.
    loop {
        let response = post_with_key(&app, "orphan", &valid_incident()).await;
        if response.status() == StatusCode::CREATED {
            break;
        }
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .expect("every 409 carries Retry-After");
        expect_problem(response, StatusCode::CONFLICT, "idempotency_key_in_use").await;
        assert!(
            claimed_at.elapsed() < std::time::Duration::from_secs(7),
            "the key was still held {:?} after its claim",
            claimed_at.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert_eq!(app.all_incidents().await.len(), 1);
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
