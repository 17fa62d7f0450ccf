//! The acknowledge page behind the signed link in a party's email.

use chrono::{TimeDelta, Utc};
use incident_desk::{channels::ack_link::AckKey, storage::service_secrets};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    browser::with_browser,
    helpers::{TestApp, spawn_app, valid_incident},
};

fn ticket_of<'a>(incident: &'a Value, party: &str) -> &'a Value {
    incident["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["party"] == party)
        .unwrap_or_else(|| panic!("a ticket for {party}: {incident:#}"))
}

/// Files a report, and returns its id and the acknowledge link the app would mail to
/// `party`, signed with the app's own key.
async fn file_with_ack_path(app: &TestApp, party: &str) -> (String, String) {
    let filed = app.file(&valid_incident()).await;
    let id = filed["id"].as_str().expect("id").to_owned();
    let detail = app.incident(&id).await;
    let ticket: Uuid = ticket_of(&detail, party)["id"]
        .as_str()
        .expect("ticket id")
        .parse()
        .expect("uuid");
    let db = app.database().await;
    let key = service_secrets::get_or_create(db.conn(), "ack_link_key", Vec::new())
        .await
        .expect("the app's acknowledge-link key");
    let token = AckKey::new(key).token(ticket, Utc::now() + TimeDelta::hours(1));
    (id, format!("/ack/{token}"))
}

#[tokio::test]
async fn a_party_acknowledges_its_ticket_on_an_accessible_page() {
    let app = spawn_app().await;
    let (id, path) = file_with_ack_path(&app, "hn-ba-dinh").await;
    with_browser(&app.address, async |b| {
        b.open(&path).await;
        assert_eq!(b.attr("html", "lang").await.as_deref(), Some("vi"));
        assert_eq!(b.text("h1").await, "Xác nhận tiếp nhận sự cố");
        assert!(
            b.text("dl").await.contains("INC-"),
            "the reference is shown"
        );
        b.screenshot("ack").await;
        b.assert_accessible("the acknowledge page").await;

        b.type_into("#external_ref", "BD-2026-117").await;
        b.type_into("#note", "Đã liên hệ quản trị viên trang.")
            .await;
        b.follow("form button[type=submit]").await;
        assert_eq!(
            b.text("[role=status]").await,
            "Đã ghi nhận xác nhận của đơn vị. Cảm ơn."
        );
        assert!(
            b.find_all("form").await.is_empty(),
            "no form once acknowledged"
        );
        b.screenshot("ack-done").await;
        b.assert_accessible("the acknowledged page").await;
    })
    .await;
    let detail = app.incident(&id).await;
    let ticket = ticket_of(&detail, "hn-ba-dinh");
    assert_eq!(ticket["status"], "acknowledged", "{ticket:#}");
    assert_eq!(ticket["external_ref"], "BD-2026-117");
}

#[tokio::test]
async fn an_invalid_acknowledge_link_shows_an_accessible_page() {
    let app = spawn_app().await;
    with_browser(&app.address, async |b| {
        b.open("/ack/nonsense").await;
        assert_eq!(b.attr("html", "lang").await.as_deref(), Some("vi"));
        assert_eq!(b.text("[role=status]").await, "Đường dẫn không hợp lệ.");
        b.screenshot("ack-invalid").await;
        b.assert_accessible("the invalid-link page").await;
    })
    .await;
}

#[tokio::test]
async fn a_refused_case_number_is_marked_on_an_accessible_page() {
    let app = spawn_app().await;
    let (id, path) = file_with_ack_path(&app, "hn-ba-dinh").await;
    with_browser(&app.address, async |b| {
        b.open(&path).await;
        b.type_into("#external_ref", "BD\u{202E}2026").await;
        b.type_into("#note", "Đã liên hệ quản trị viên trang.")
            .await;
        b.follow("form button[type=submit]").await;
        assert_eq!(
            b.attr("#external_ref", "aria-invalid").await.as_deref(),
            Some("true")
        );
        assert!(
            b.text(".error-summary")
                .await
                .contains("Mã hồ sơ của đơn vị"),
            "the summary names the field"
        );
        assert!(b.text("#external_ref-error").await.contains("ký tự ẩn"));
        b.screenshot("ack-refused").await;
        b.assert_accessible("the refused acknowledge page").await;
    })
    .await;
    let detail = app.incident(&id).await;
    assert_eq!(
        ticket_of(&detail, "hn-ba-dinh")["status"],
        "pending",
        "nothing was acknowledged"
    );
}
