use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, expect_problem, expect_status, field_rules, spawn_app, valid_incident,
};

async fn set_status(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/incidents/{id}/status"), &body)
        .await
}

async fn set_containment(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/incidents/{id}/containment"), &body)
        .await
}

const STATUSES: [&str; 5] = ["open", "in_progress", "resolved", "closed", "rejected"];

fn allowed_status(from: &str) -> Vec<&'static str> {
    match from {
        "open" => vec!["in_progress", "resolved", "rejected"],
        "in_progress" => vec!["resolved", "rejected"],
        "resolved" => vec!["closed", "in_progress"],
        "rejected" => vec!["open"],
        _ => vec![],
    }
}

fn status_body(to: &str) -> Value {
    if to == "rejected" {
        json!({ "status": to, "reason": "spam" })
    } else {
        json!({ "status": to })
    }
}

/// Walks an incident to `target` along allowed steps.
async fn reach(app: &TestApp, id: &str, target: &str) {
    let path: &[&str] = match target {
        "open" => &[],
        "in_progress" => &["in_progress"],
        "resolved" => &["resolved"],
        "closed" => &["resolved", "closed"],
        "rejected" => &["rejected"],
        _ => unreachable!(),
    };
    for step in path {
        expect_status(set_status(app, id, status_body(step)).await, StatusCode::OK).await;
    }
}

#[tokio::test]
async fn every_status_transition_is_allowed_or_refused_with_409_and_the_allowed_states() {
    let app = spawn_app().await;
    for from in STATUSES {
        for to in STATUSES {
            let filed = app.file(&valid_incident()).await;
            let id = filed["id"].as_str().expect("id");
            reach(&app, id, from).await;
            let response = set_status(&app, id, status_body(to)).await;
            if allowed_status(from).contains(&to) {
                let body = expect_status(response, StatusCode::OK).await;
                assert_eq!(body["status"], to, "{from} -> {to}");
                let last = body["timeline"]
                    .as_array()
                    .expect("timeline")
                    .last()
                    .cloned()
                    .expect("event");
                assert_eq!(last["type"], "status.changed");
                assert_eq!(last["data"]["from"], from);
                assert_eq!(last["data"]["to"], to);
            } else {
                let problem =
                    expect_problem(response, StatusCode::CONFLICT, "invalid_transition").await;
                assert_eq!(problem["current"], from, "{from} -> {to}");
                assert_eq!(
                    problem["allowed"],
                    json!(allowed_status(from)),
                    "{from} -> {to}"
                );
                assert_eq!(
                    app.incident(id).await["status"],
                    from,
                    "refused changes store nothing"
                );
            }
        }
    }
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_a_duplicate_names_its_original() {
    let app = spawn_app().await;
    let original = app.file(&valid_incident()).await;
    let copy = app.file(&valid_incident()).await;
    let id = copy["id"].as_str().expect("id");

    let problem = expect_problem(
        set_status(&app, id, json!({"status": "rejected"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [("reason".to_owned(), "required".to_owned())]
    );
    let problem = expect_problem(
        set_status(
            &app,
            id,
            json!({"status": "rejected", "reason": "duplicate"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [("duplicate_of".to_owned(), "required".to_owned())]
    );
    let problem = expect_problem(
        set_status(
            &app,
            id,
            json!({"status": "rejected", "reason": "duplicate", "duplicate_of": id}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [("duplicate_of".to_owned(), "not_itself".to_owned())]
    );
    let problem = expect_problem(
        set_status(&app, id, json!({"status": "in_progress", "reason": "spam"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [("reason".to_owned(), "rejected_only".to_owned())]
    );
    let problem = expect_problem(
        set_status(&app, id, json!({"status": "gone"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [("status".to_owned(), "one_of".to_owned())]
    );
    assert_eq!(app.incident(id).await["status"], "open");

    let body = expect_status(
        set_status(&app, id, json!({"status": "rejected", "reason": "duplicate", "duplicate_of": original["reference"]})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["duplicate_of"], original["id"]);
    let original = app.incident(original["id"].as_str().expect("id")).await;
    let last = original["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .cloned()
        .expect("event");
    assert_eq!(last["type"], "duplicate.linked");
    assert_eq!(last["data"]["duplicate"], copy["reference"]);
}

#[tokio::test]
async fn containment_follows_its_machine() {
    let app = spawn_app().await;
    let mut lost = valid_incident();
    lost["containment"] = json!({ "state": "lost_control" });
    let filed = app.file(&lost).await;
    let id = filed["id"].as_str().expect("id");

    // lost_control -> lost_control is not a change.
    let problem = expect_problem(
        set_containment(&app, id, json!({"state": "lost_control"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    assert_eq!(problem["current"], "lost_control");
    assert_eq!(problem["allowed"], json!(["stopped", "recovered"]));

    let problem = expect_problem(
        set_containment(&app, id, json!({"state": "stopped"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let rules = field_rules(&problem);
    assert!(
        rules.contains(&("containment.stopped_at".to_owned(), "required".to_owned())),
        "{rules:?}"
    );

    let body = expect_status(
        set_containment(
            &app,
            id,
            json!({"state": "stopped", "stopped_at": "2026-11-28T09:00:00+07:00", "actions": ["page_deactivated"], "note": "Platform restored access"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["containment"]["state"], "stopped");
    assert_eq!(body["containment"]["at"], "2026-11-28T02:00:00Z");
    assert_eq!(body["containment"]["actions"], json!(["page_deactivated"]));
    let last = body["timeline"]
        .as_array()
        .expect("timeline")
        .last()
        .cloned()
        .expect("event");
    assert_eq!(last["type"], "containment.changed");
    assert_eq!(last["data"]["from"], "lost_control");
    assert_eq!(last["data"]["to"], "stopped");
    assert_eq!(last["data"]["note"], "Platform restored access");

    let body = expect_status(
        set_containment(&app, id, json!({"state": "recovered"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["containment"]["state"], "recovered");
    for next in [
        json!({"state": "active"}),
        json!({"state": "stopped", "stopped_at": "2026-11-28T09:00:00+07:00", "actions": ["other"]}),
        json!({"state": "lost_control"}),
        json!({"state": "recovered"}),
    ] {
        let problem = expect_problem(
            set_containment(&app, id, next).await,
            StatusCode::CONFLICT,
            "invalid_transition",
        )
        .await;
        assert_eq!(problem["allowed"], json!([]));
    }
}

#[tokio::test]
async fn notes_are_added_to_the_timeline() {
    let app = spawn_app().await;
    let filed = app.file(&valid_incident()).await;
    let reference = filed["reference"].as_str().expect("reference");
    let note = expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{reference}/notes"),
            &json!({"text": "Called the member.", "visibility": "shared"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(note["type"], "note.added");
    assert_eq!(note["data"]["text"], "Called the member.");
    assert_eq!(note["data"]["visibility"], "shared");
    assert_eq!(note["actor"]["kind"], "integration");
    let problem = expect_problem(
        app.post_json(
            &format!("/api/v1/incidents/{reference}/notes"),
            &json!({"text": " ", "visibility": "public"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_rules(&problem),
        [
            ("text".to_owned(), "required".to_owned()),
            ("visibility".to_owned(), "one_of".to_owned())
        ]
    );
    let detail = app.incident(reference).await;
    assert_eq!(
        detail["timeline"]
            .as_array()
            .expect("timeline")
            .last()
            .expect("event")["id"],
        note["id"]
    );
}
