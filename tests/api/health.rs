use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{expect_status, spawn_app};

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
    let ready = expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(ready["status"], "ready");
}

#[tokio::test]
async fn readyz_fails_when_migrations_are_pending() {
    let app = spawn_app().await;
    let db = app.database().await;
    db.migrate_down(None).await.expect("revert migrations");
    let body = expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(body["status"], "not_ready");
    assert!(
        body["reasons"][0]
            .as_str()
            .expect("reason")
            .contains("migration"),
        "{body}"
    );
    db.migrate_up().await.expect("apply migrations");
    expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
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
    let body = expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
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
