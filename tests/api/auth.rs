use incident_desk::domain::access::ApiScope;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{expect_problem, expect_status, spawn_app, valid_incident},
    notifications::ticket,
};

#[tokio::test]
async fn requests_without_a_valid_key_are_401() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/incidents"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    expect_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_problem(
        app.get_as("idk_not-a-real-key", "/api/v1/incidents").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let r = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("Authorization", format!("Basic {}", app.api_key))
        .json(&valid_incident())
        .send()
        .await
        .expect("sent");
    expect_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(app.all_incidents().await.is_empty());
}

#[tokio::test]
async fn a_revoked_key_stops_working() {
    let app = spawn_app().await;
    let key = app
        .create_key("soon revoked", &[ApiScope::IncidentsRead], None)
        .await;
    expect_status(app.get_as(&key, "/api/v1/incidents").await, StatusCode::OK).await;
    let db = app.database().await;
    let id = crate::helpers::key_id(&app, &key)
        .await
        .parse()
        .expect("uuid");
    assert!(
        incident_desk::storage::api_keys::revoke(db.conn(), id)
            .await
            .expect("revoke")
    );
    expect_problem(
        app.get_as(&key, "/api/v1/incidents").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn each_endpoint_needs_its_scope() {
    let app = spawn_app().await;
    let filed = app.file(&valid_incident()).await;
    let id = filed["id"].as_str().expect("id");
    let reader = app
        .create_key("reader", &[ApiScope::IncidentsRead], None)
        .await;
    let writer = app
        .create_key("writer", &[ApiScope::IncidentsWrite], None)
        .await;

    expect_problem(
        app.post_json_as(&reader, "/api/v1/incidents", &valid_incident())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.post_json_as(
            &reader,
            &format!("/api/v1/incidents/{id}/notes"),
            &json!({"text": "hello"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.post_json_as(
            &reader,
            &format!("/api/v1/incidents/{id}/status"),
            &json!({"status": "in_progress"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.post_json_as(
            &reader,
            &format!("/api/v1/incidents/{id}/containment"),
            &json!({"state": "recovered"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.get_as(&writer, "/api/v1/incidents").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.get_as(&writer, &format!("/api/v1/incidents/{id}"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    expect_status(
        app.post_json_as(&writer, "/api/v1/incidents", &valid_incident())
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.get_as(&reader, &format!("/api/v1/incidents/{id}"))
            .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn a_committee_bound_key_sees_and_files_only_within_its_subtree() {
    let app = spawn_app().await;
    let mut in_hn = valid_incident();
    in_hn["reporter"]["committee"] = json!("hn-ba-dinh-phuc-xa");
    let hn = app.file(&in_hn).await;
    let mut in_hcm = valid_incident();
    in_hcm["reporter"]["committee"] = json!("hcm-q1");
    let hcm = app.file(&in_hcm).await;

    let scopes = [ApiScope::IncidentsRead, ApiScope::IncidentsWrite];
    let ba_dinh = app
        .create_key("ba dinh desk", &scopes, Some("hn-ba-dinh"))
        .await;
    let cau_giay = app
        .create_key("cau giay desk", &scopes, Some("hn-cau-giay"))
        .await;

    // Its subtree: the ward below Ba Dinh is visible.
    let page = expect_status(
        app.get_as(&ba_dinh, "/api/v1/incidents").await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&serde_json::Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&hn["id"]]);
    expect_status(
        app.get_as(
            &ba_dinh,
            &format!("/api/v1/incidents/{}", hn["reference"].as_str().expect("r")),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Other committees' incidents do not exist for it, by id, by reference, by filter or by action.
    for key in [&ba_dinh, &cau_giay] {
        for id in [
            hcm["id"].as_str().expect("id"),
            hcm["reference"].as_str().expect("r"),
        ] {
            expect_problem(
                app.get_as(key, &format!("/api/v1/incidents/{id}")).await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
            expect_problem(
                app.post_json_as(
                    key,
                    &format!("/api/v1/incidents/{id}/notes"),
                    &json!({"text": "peek"}),
                )
                .await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
            expect_problem(
                app.post_json_as(
                    key,
                    &format!("/api/v1/incidents/{id}/status"),
                    &json!({"status": "in_progress"}),
                )
                .await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
            expect_problem(
                app.post_json_as(
                    key,
                    &format!("/api/v1/incidents/{id}/containment"),
                    &json!({"state": "recovered"}),
                )
                .await,
                StatusCode::NOT_FOUND,
                "not_found",
            )
            .await;
        }
        let page = expect_status(
            app.get_as(key, "/api/v1/incidents?committee=hcm").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["items"], json!([]));
    }
    let page = expect_status(
        app.get_as(&cau_giay, "/api/v1/incidents").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    // A duplicate link to an incident it cannot see is refused as unknown.
    let problem = expect_problem(
        app.post_json_as(
            &ba_dinh,
            &format!(
                "/api/v1/incidents/{}/status",
                hn["id"].as_str().expect("id")
            ),
            &json!({"status": "rejected", "reason": "duplicate", "duplicate_of": hcm["reference"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["rule"], "unknown_incident");

    expect_problem(
        app.post_json_as(&ba_dinh, "/api/v1/incidents", &in_hcm)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_status(
        app.post_json_as(&ba_dinh, "/api/v1/incidents", &in_hn)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let untouched = app.incident(hcm["id"].as_str().expect("id")).await;
    assert_eq!(untouched["timeline"].as_array().expect("timeline").len(), 4);
    assert_eq!(untouched["status"], "open");
}

#[tokio::test]
async fn a_committee_bound_key_cannot_read_redeliver_or_answer_anothers_tickets() {
    let app = spawn_app().await;
    let ours = app.file(&valid_incident()).await;
    let ours_id = ours["id"].as_str().expect("id");
    // A report of the same page to another committee.
    let mut in_hcm = valid_incident();
    in_hcm["reporter"]["committee"] = json!("hcm");
    let theirs = app.file(&in_hcm).await;
    let theirs_id = theirs["id"].as_str().expect("id");
    let ticket_of = |detail: &serde_json::Value, party: &str| {
        ticket(detail, party)["id"]
            .as_str()
            .expect("ticket")
            .to_owned()
    };
    let theirs_ticket = ticket_of(&app.incident(theirs_id).await, "hcm");
    let ours_ticket = ticket_of(&app.incident(ours_id).await, "hn-ba-dinh");
    let key = app
        .create_key(
            "ba dinh desk",
            &[
                ApiScope::IncidentsRead,
                ApiScope::IncidentsWrite,
                ApiScope::TicketsWrite,
            ],
            Some("hn-ba-dinh"),
        )
        .await;
    let before = app.incident(theirs_id).await;

    expect_status(
        app.get_as(&key, &format!("/api/v1/tickets/{ours_ticket}"))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get_as(&key, &format!("/api/v1/tickets/{theirs_ticket}"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_problem(
        app.post_json_as(
            &key,
            &format!("/api/v1/tickets/{theirs_ticket}/redeliver"),
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Answering is for the party's own key.
    // Another committee's ticket is out of reach (404, as for reading it); its own is
    // visible but not this key's to answer (403).
    for answer in ["acknowledge", "resolve", "reject"] {
        expect_problem(
            app.post_json_as(
                &key,
                &format!("/api/v1/tickets/{theirs_ticket}/{answer}"),
                &json!({ "note": "not ours" }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        expect_problem(
            app.post_json_as(
                &key,
                &format!("/api/v1/tickets/{ours_ticket}/{answer}"),
                &json!({ "note": "the party answers, not the committee" }),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // The same page's other reports are listed only within the key's committees.
    let everyone = app.incident(ours_id).await;
    let listed: Vec<&serde_json::Value> = everyone["same_page"]
        .as_array()
        .expect("same_page")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(listed, [&theirs["id"]]);
    let bound = expect_status(
        app.get_as(&key, &format!("/api/v1/incidents/{ours_id}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bound["same_page"], json!([]));
    assert_eq!(app.incident(theirs_id).await, before);
}
