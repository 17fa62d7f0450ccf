//! Intake flags a report when the page register contradicts it: the page is declared by
//! another member than the reporter, or its declaration says it was closed. The committee
//! sees the flag on the incident (API and desk) and on its timeline.

use incident_desk::domain::access::{ApiScope, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Declarant, MANY_SIGN_INS, PageForm};
use crate::{
    desk::Officer,
    helpers::{TestApp, expect_status, spawn_app_with, valid_incident},
    smtp::SmtpSink,
    web::{self, good_fields},
};

/// The page of `valid_incident()` (reported with its handle too).
const BA_DINH: &str = "https://www.facebook.com/badinh.news";
/// The page of the web form's `good_fields()`.
const PHUONG_X: &str = "https://www.facebook.com/doan.phuong.x";

/// Files `valid_incident()` about `url` as `email`; returns the incident as the
/// all-scope key reads it.
async fn report_as(app: &TestApp, email: &str, url: &str) -> Value {
    let mut body = valid_incident();
    body["reporter"]["email"] = json!(email);
    body["page"]["url"] = json!(url);
    let filed = app.file(&body).await;
    app.incident(filed["id"].as_str().expect("id")).await
}

fn flag_events(incident: &Value) -> Vec<Value> {
    incident["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "register.flagged")
        .map(|e| e["data"].clone())
        .collect()
}

#[tokio::test]
async fn reports_of_pages_declared_by_others_or_closed_are_flagged_for_the_committee() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&format!(
        "{MANY_SIGN_INS}[email]\nsmtp_url = \"{}\"\n",
        sink.url()
    ))
    .await;
    let lan = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let minh = Declarant::sign_in(&app, &sink, "minh@example.org", "hn-ba-dinh-phuc-xa").await;
    let an = Declarant::sign_in(&app, &sink, "an@example.org", "hn-ba-dinh-phuc-xa").await;
    let ba_dinh = lan
        .declare(&PageForm::new("Tin tức Ba Đình", BA_DINH))
        .await;
    // Declared twice: by Minh and by An.
    minh.declare(&PageForm::new("Đoàn phường X", PHUONG_X))
        .await;
    an.declare(&PageForm::new(
        "Đoàn phường X",
        "https://m.facebook.com/doan.phuong.x/",
    ))
    .await;

    // Someone who did not declare it (the API's reporter is not a member).
    let by_other = report_as(&app, "an.nguyen@example.org", BA_DINH).await;
    assert_eq!(by_other["register_flag"], "declared_by_other");
    assert_eq!(
        flag_events(&by_other),
        vec![
            json!({ "flag": "declared_by_other", "page_key": "facebook:facebook.com/badinh.news" })
        ]
    );
    assert!(
        by_other["declaration"].is_null(),
        "not a report from the register"
    );

    // The member who declared it, whatever the case of their address.
    let own = report_as(&app, "Lan@Example.org", BA_DINH).await;
    assert!(own["register_flag"].is_null());
    assert!(flag_events(&own).is_empty());

    // A page the register does not know.
    let unknown = report_as(
        &app,
        "an.nguyen@example.org",
        "https://www.facebook.com/nobody",
    )
    .await;
    assert!(unknown["register_flag"].is_null());
    assert!(flag_events(&unknown).is_empty());

    // A page declared by two members: either of them reports it unflagged; anyone else,
    // here through the public web form, is flagged.
    let by_minh = report_as(&app, "minh@example.org", PHUONG_X).await;
    assert!(by_minh["register_flag"].is_null());
    web::Member::new(&app).file_report().await;
    let from_form = app
        .all_incidents()
        .await
        .into_iter()
        .find(|i| i["page_url"] == PHUONG_X && i["id"] != by_minh["id"])
        .expect("the web report");
    let from_form = app.incident(from_form["id"].as_str().expect("id")).await;
    assert_eq!(from_form["source"], "web");
    assert_eq!(from_form["reporter"]["email"], good_fields()[1].1);
    assert_eq!(from_form["register_flag"], "declared_by_other");

    // Lan closes her page: her own report of it is flagged as closed, from the API and
    // from the page in her register alike.
    lan.close(&ba_dinh, "2026-11-30").await;
    let closed = report_as(&app, "lan@example.org", BA_DINH).await;
    assert_eq!(closed["register_flag"], "closed");
    assert_eq!(flag_events(&closed)[0]["flag"], "closed");
    let report = format!("/me/pages/{ba_dinh}/report");
    let html = lan.page(&report).await;
    let mut fields: Vec<(&str, String)> = good_fields()
        .into_iter()
        .filter(|(name, _)| !name.starts_with("page.") && *name != "reporter.email")
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
    for name in [
        "reporter.email",
        "page.url",
        "page.display_name",
        "register_version",
    ] {
        fields.push((name, crate::helpers::hidden_input(&html, name)));
    }
    fields.push(("page.platform", "facebook".to_owned()));
    let mut form = reqwest::multipart::Form::new()
        .text(
            "csrf_token",
            crate::helpers::hidden_input(&html, "csrf_token"),
        )
        .text(
            "submission_id",
            crate::helpers::hidden_input(&html, "submission_id"),
        );
    for (name, value) in fields {
        form = form.text(name, value);
    }
    let sent = lan
        .client
        .post(app.url(&report))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let from_register = app
        .all_incidents()
        .await
        .into_iter()
        .find(|i| {
            i["page_url"] == BA_DINH
                && ![&by_other, &own, &closed]
                    .iter()
                    .any(|k| k["id"] == i["id"])
        })
        .expect("the report from the register");
    let from_register = app
        .incident(from_register["id"].as_str().expect("id"))
        .await;
    assert_eq!(from_register["register_flag"], "closed");
    assert_eq!(from_register["declaration"]["version"], 2);

    // The committee sees the flag on the desk as a line of its own.
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let page = |incident: &Value| {
        format!(
            "/desk/incidents/{}",
            incident["reference"].as_str().expect("reference")
        )
    };
    let flagged = officer.page(&page(&by_other)).await;
    assert!(
        flagged.contains(
            "id=\"register-flag\">Lưu ý: trong sổ đăng ký trang, trang này do một thành viên khác"
        ),
        "{flagged}"
    );
    let closed_page = officer.page(&page(&closed)).await;
    assert!(closed_page.contains("id=\"register-flag\">Lưu ý: theo sổ đăng ký trang"));
    assert!(!officer.page(&page(&own)).await.contains("register-flag"));

    // A provider's key reads the incident without the committee's flag.
    let meta = app
        .create_bound_key(&[ApiScope::IncidentsRead], None, Some("meta"))
        .await;
    let seen_by_meta = expect_status(
        app.get_as(
            &meta,
            &format!("/api/v1/incidents/{}", by_other["id"].as_str().expect("id")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(seen_by_meta["register_flag"].is_null());
    let hn = app
        .create_bound_key(&[ApiScope::IncidentsRead], None, Some("hn-ba-dinh"))
        .await;
    let seen_by_committee = expect_status(
        app.get_as(
            &hn,
            &format!("/api/v1/incidents/{}", by_other["id"].as_str().expect("id")),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen_by_committee["register_flag"], "declared_by_other");
}
