//! A signed-in member reports an incident from one of their declared pages: the report
//! form comes filled in with what they declared, the incident records the version it used,
//! and the provider's email and webhook carry the declaration as proof of ownership.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::{StatusCode, multipart::Form};
use serde_json::Value;

use super::{Declarant, MANY_SIGN_INS, PageForm, read, register_key};
use crate::{
    helpers::{TestApp, browser_client, expect_status, hidden_input},
    notifications::{app_with_extra, settled},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
    webhook_schemas::{closed, problems, validator},
};

const URL: &str = "https://www.facebook.com/badinh.news";

fn declared_page() -> PageForm<'static> {
    PageForm {
        created: ("10", "3", "2019"),
        purpose: "Đưa tin hoạt động của phường Ba Đình",
        phone: "0912 345 678",
        email: "trang.badinh@example.org",
        admins: &[("@lan.nguyen", "owner"), ("Trần Minh", "editor")],
        ..PageForm::new("Tin tức Ba Đình", URL)
    }
}

/// What the member adds to the filled-in form: their name and what happened. Noticed one
/// second from now in Vietnam, so after the declaration was written.
fn what_happened() -> Vec<(&'static str, String)> {
    let now = (Utc::now() + TimeDelta::hours(7) + TimeDelta::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    vec![
        ("reporter.name", "Nguyễn Thị Lan".to_owned()),
        ("kind", "hijacked".to_owned()),
        ("detected_at", now),
        (
            "description",
            "Sáng nay trang đăng bài quảng cáo lạ, tôi không đăng nhập được nữa.".to_owned(),
        ),
        ("containment.state", "lost_control".to_owned()),
    ]
}

/// The value of the input `name` in a page; empty when the page has none.
fn input(html: &str, name: &str) -> String {
    if html.contains(&format!("name=\"{name}\" value=\"")) {
        hidden_input(html, name)
    } else {
        String::new()
    }
}

/// Sends the report form as the page filled it, with `extra` fields on top.
async fn send(
    member: &Declarant<'_>,
    html: &str,
    action: &str,
    extra: &[(&str, String)],
) -> reqwest::Response {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for name in [
        "csrf_token",
        "submission_id",
        "register_version",
        "reporter.email",
        "page.url",
        "page.display_name",
        "page.linked_email",
        "page.linked_phone",
        "page.created_on.day",
        "page.created_on.month",
        "page.created_on.year",
    ] {
        fields.insert(name.to_owned(), input(html, name));
    }
    fields.insert("reporter.committee".to_owned(), "hn-ba-dinh".to_owned());
    fields.insert("page.platform".to_owned(), "facebook".to_owned());
    for (name, value) in extra {
        fields.insert((*name).to_owned(), value.clone());
    }
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    member
        .client
        .post(member.app.url(action))
        .multipart(form)
        .send()
        .await
        .expect("sent")
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time, not {v}")))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// The only incident the app has.
async fn the_incident(app: &TestApp) -> Value {
    let all = app.all_incidents().await;
    assert_eq!(all.len(), 1, "one incident");
    app.incident(all[0]["id"].as_str().expect("id")).await
}

/// The text of the email `address` received.
async fn email_to(sink: &SmtpSink, address: &str) -> String {
    let mail = sink
        .messages()
        .await
        .into_iter()
        .find(|m| m.rcpt_to.iter().any(|r| r == address))
        .unwrap_or_else(|| panic!("no email to {address}"));
    mail.parsed()
        .body_text(0)
        .expect("a text part")
        .into_owned()
}

/// The `incident.reported` body a receiver got.
fn reported(receiver: &Receiver) -> Value {
    receiver
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("JSON"))
        .find(|b| b["type"] == "incident.reported")
        .expect("an incident.reported event")
}

#[tokio::test]
async fn a_report_from_a_declared_page_is_filled_in_and_carries_the_declaration_to_the_provider() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = app_with_extra(&sink, &committee.url, &provider.url, MANY_SIGN_INS).await;
    let lan = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let page = lan.declare(&declared_page()).await;
    lan.edit(
        &page,
        &PageForm {
            purpose: "Tin tức và hoạt động của phường Ba Đình",
            ..declared_page()
        },
    )
    .await;

    // The form, filled in from version 2.
    let report = format!("/me/pages/{page}/report");
    let html = lan.page(&report).await;
    for (name, value) in [
        ("reporter.email", "lan@example.org"),
        ("page.url", URL),
        ("page.display_name", "Tin tức Ba Đình"),
        ("page.linked_email", "trang.badinh@example.org"),
        ("page.linked_phone", "0912345678"),
        ("page.created_on.day", "10"),
        ("page.created_on.month", "3"),
        ("page.created_on.year", "2019"),
        ("register_version", "2"),
    ] {
        assert_eq!(input(&html, name), value, "{name}");
    }
    assert!(html.contains(">Tin tức và hoạt động của phường Ba Đình</textarea>"));
    assert!(html.contains("<option value=\"hn-ba-dinh\" selected>"));
    assert!(html.contains("<option value=\"facebook\" selected>"));
    assert!(html.contains(&format!("action=\"{report}\"")));
    assert!(html.contains("id=\"from-declaration\""));

    // The member changes the page meanwhile; the report keeps the version it was filled from.
    lan.edit(
        &page,
        &PageForm {
            purpose: "Trang tin chính thức của phường Ba Đình",
            ..declared_page()
        },
    )
    .await;
    let sent = send(&lan, &html, &report, &what_happened()).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()["location"].to_str().expect("location");
    assert!(location.starts_with("/track/") && location.ends_with("/confirmation"));

    let incident = the_incident(&app).await;
    assert_eq!(incident["declaration"]["page_id"], page.as_str());
    assert_eq!(incident["declaration"]["version"], 2);
    assert!(
        incident["register_flag"].is_null(),
        "the reporter declared it"
    );
    assert_eq!(incident["source"], "web");
    assert_eq!(incident["reporter"]["email"], "lan@example.org");
    assert_eq!(incident["page"]["created_on"], "2019-03-10");
    settled(&app, incident["id"].as_str().expect("id")).await;

    let key = register_key(&app, None, None).await;
    let record = read(&app, &key, &format!("/api/v1/pages/{page}")).await;
    let version_2 = &record["history"][1];
    assert_eq!(version_2["version"], 2);

    // The provider's webhook: the declaration of version 2, valid against the published
    // schema.
    let body = reported(&provider);
    let declaration = &body["data"]["incident"]["declaration"];
    assert_eq!(declaration["page_id"], page.as_str());
    assert_eq!(declaration["version"], 2);
    // Webhook times are to the millisecond.
    let millis = |v: &Value| time(v).timestamp_millis();
    assert_eq!(
        millis(&declaration["declared_at"]),
        millis(&version_2["at"])
    );
    assert_eq!(
        millis(&declaration["first_declared_at"]),
        millis(&record["declared_at"])
    );
    assert_eq!(declaration["created_on"], "2019-03-10");
    assert_eq!(declaration["status"], "active");
    assert_eq!(declaration["linked_phone"], "0912345678");
    assert_eq!(declaration["linked_email"], "trang.badinh@example.org");
    assert_eq!(
        declaration["admins"],
        serde_json::json!([
            { "account": "@lan.nguyen", "role": "owner" },
            { "account": "Trần Minh", "role": "editor" },
        ])
    );
    let doc = expect_status(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
    let mut components = doc["components"].clone();
    closed(&mut components);
    let schema = doc["components"]["schemas"]["WebhookEvent"]["discriminator"]["mapping"]
        ["incident.reported"]
        .as_str()
        .expect("the schema of incident.reported")
        .to_owned();
    let check = validator(&components, &schema);
    assert_eq!(problems(&check, &body), Vec::<String>::new());

    // The provider's email, in English.
    let utc = |v: &Value| time(v).format("%Y-%m-%d %H:%M UTC").to_string();
    let text = email_to(&sink, "partners@meta.example.org").await;
    for expected in [
        "DECLARATION IN THE ORGANISATION'S PAGE REGISTER".to_owned(),
        format!("- First declared at: {}", utc(&record["declared_at"])),
        format!(
            "- Version used by the report declared at: {}",
            utc(&version_2["at"])
        ),
        "- Declaration version: 2".to_owned(),
        "- Declared before the incident was detected: Yes".to_owned(),
        "- Page created on (as declared): 2019-03-10".to_owned(),
        "- Page status (as declared): Active".to_owned(),
        "- Phone linked to the account: 0912345678".to_owned(),
        "- Administrator accounts: @lan.nguyen (owner); Trần Minh (editor)".to_owned(),
    ] {
        assert!(text.contains(&expected), "lacks {expected:?}:\n{text}");
    }
    // The committee reads it in Vietnamese.
    let text = email_to(&sink, "ba-dinh@hn.example.org").await;
    for expected in [
        "KHAI BÁO TRANG TRONG SỔ ĐĂNG KÝ CỦA TỔ CHỨC",
        "- Phiên bản khai báo: 2",
        "- Ngày tạo trang (theo khai báo): 10/03/2019",
        "- Tài khoản quản trị: @lan.nguyen (chủ sở hữu); Trần Minh (biên tập viên)",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}:\n{text}");
    }
}

#[tokio::test]
async fn the_declared_contacts_follow_the_account_contacts_rule() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let extra = format!(
        "{MANY_SIGN_INS}[notifications]\naccount_contacts_for = [\"committee\", \"authority\"]\n"
    );
    let app = app_with_extra(&sink, &committee.url, &provider.url, &extra).await;
    let lan = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let page = lan.declare(&declared_page()).await;
    let report = format!("/me/pages/{page}/report");
    let html = lan.page(&report).await;
    let sent = send(&lan, &html, &report, &what_happened()).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let incident = the_incident(&app).await;
    assert_eq!(incident["declaration"]["version"], 1);
    settled(&app, incident["id"].as_str().expect("id")).await;

    let declaration = reported(&provider)["data"]["incident"]["declaration"].clone();
    assert_eq!(declaration["version"], 1);
    assert!(declaration["linked_phone"].is_null(), "{declaration:#}");
    assert!(declaration["linked_email"].is_null(), "{declaration:#}");
    assert_eq!(declaration["admins"][0]["account"], "@lan.nguyen");
    let text = email_to(&sink, "partners@meta.example.org").await;
    assert!(text.contains("- Declaration version: 1"), "{text}");
    assert!(!text.contains("0912345678"), "{text}");
    assert!(!text.contains("trang.badinh@example.org"), "{text}");
    let committee_text = email_to(&sink, "ba-dinh@hn.example.org").await;
    assert!(committee_text.contains("0912345678"), "{committee_text}");
}

#[tokio::test]
async fn only_the_member_who_declared_a_page_reports_from_it_and_about_that_page() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = app_with_extra(&sink, &committee.url, &provider.url, MANY_SIGN_INS).await;
    let lan = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let minh = Declarant::sign_in(&app, &sink, "minh@example.org", "hn-ba-dinh").await;
    let page = lan.declare(&declared_page()).await;
    let report = format!("/me/pages/{page}/report");

    // Not signed in: to the sign-in page. Another member: not found.
    let stranger = browser_client()
        .get(app.url(&report))
        .send()
        .await
        .expect("sent");
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);
    assert_eq!(stranger.headers()["location"], "/me/sign-in");
    assert_eq!(minh.get(&report).await.status(), StatusCode::NOT_FOUND);

    // The page's own view links to the form.
    let shown = lan.page(&format!("/me/pages/{page}")).await;
    assert!(shown.contains(&format!("href=\"{report}\"")));

    // A report from the declared page keeps its address.
    let html = lan.page(&report).await;
    let mut moved = what_happened();
    moved.push(("page.url", "https://www.facebook.com/other.page".to_owned()));
    let refused = send(&lan, &html, &report, &moved).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = refused.text().await.expect("html");
    assert!(again.contains("id=\"page-url-error\""), "{again}");
    assert!(again.contains(&format!("action=\"{report}\"")));
    assert_eq!(input(&again, "register_version"), "1");
    assert!(app.all_incidents().await.is_empty());

    // Minh cannot send a report from Lan's page either.
    let html_of_minh = minh.page("/report/about-you").await;
    let forged = send(&minh, &html_of_minh, &report, &what_happened()).await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert!(app.all_incidents().await.is_empty());
}
