//! The member's report form, its confirmation and the tracking page, on a phone.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{
    browser::{Browser, free_port, time_boxes, with_browser},
    helpers::{TestApp, spawn_app, spawn_app_with},
    png,
};

const DESCRIPTION: &str = "Từ 07:40 trang đăng quảng cáo đầu tư lừa đảo; email quản trị đã bị đổi.";

/// The app on a port chosen before it starts, so the absolute links it writes (the
/// tracking link) lead back to it.
async fn spawn_linked_app() -> TestApp {
    let port = free_port();
    spawn_app_with(&format!(
        "public_base_url = \"http://127.0.0.1:{port}\"\n[server]\nport = {port}\n"
    ))
    .await
}

/// Answers the steps as a member of the Ba Dinh committee whose Facebook page was taken,
/// up to the page step, which is left open with `page_url` typed in.
async fn fill_report(b: &Browser, page_url: &str) {
    b.open("/report/about-you").await;
    b.type_into("#reporter-name", "Nguyễn Văn An").await;
    b.type_into("#reporter-email", "an.nguyen@example.org")
        .await;
    b.type_into("#reporter-phone", "+84 912 345 678").await;
    b.follow("button#continue").await;
    b.check("#committee-hn-ba-dinh").await;
    b.follow("button#continue").await;
    b.type_into("#page-url", page_url).await;
    b.select("#page-platform", "").await;
    b.type_into("#page-handle", "badinh.news").await;
    b.type_into("#page-display_name", "Ba Đình News").await;
    b.select("#page-account_type", "page").await;
    b.type_into("#page-linked_email", "page-admin@example.org")
        .await;
    b.type_into("#page-linked_phone", "+84 24 3823 4567").await;
    b.type_into("#page-created_on-day", "1").await;
    b.type_into("#page-created_on-month", "5").await;
    b.type_into("#page-created_on-year", "2019").await;
    b.type_into("#page-purpose", "Tin tức của Ban Quận Ba Đình")
        .await;
}

/// Answers the steps after the page step, up to "Check your answers".
async fn finish_report(b: &Browser, evidence: &[&Path]) {
    b.check("#kind-hijacked").await;
    for (part, value) in time_boxes(3) {
        b.type_into(&format!("#detected_at-{part}"), &value).await;
    }
    b.type_into("#description", DESCRIPTION).await;
    b.follow("button#continue").await;
    b.check("#containment-state-stopped").await;
    for (part, value) in time_boxes(2) {
        b.type_into(&format!("#containment-stopped_at-{part}"), &value)
            .await;
    }
    b.check("#action-password_changed").await;
    b.check("#action-sessions_revoked").await;
    b.follow("button#continue").await;
    if !evidence.is_empty() {
        b.attach("#evidence", evidence).await;
    }
    b.follow("button#continue").await;
}

async fn assert_lang(b: &Browser, lang: &str) {
    assert_eq!(
        b.attr("html", "lang").await.as_deref(),
        Some(lang),
        "language of {}",
        b.path().await
    );
}

#[tokio::test]
async fn a_member_reports_a_hijacked_page_with_evidence_and_follows_the_parties_tickets() {
    let app = spawn_linked_app().await;
    let files = tempfile::tempdir().expect("temp dir");
    let evidence = files.path().join("trang-bi-chiem.png");
    let image = png::solid(16, [0xB3, 0x26, 0x1E]);
    std::fs::write(&evidence, &image).expect("write evidence");

    with_browser(&app.address, async |b| {
        fill_report(b, "https://www.facebook.com/badinh.news").await;
        assert_lang(b, "vi").await;
        let form = b.find("form#report-form").await;
        assert_eq!(
            form.attr("method")
                .await
                .expect("method")
                .as_deref()
                .map(str::to_lowercase),
            Some("post".to_owned())
        );
        assert_eq!(
            form.attr("enctype").await.expect("enctype").as_deref(),
            Some("multipart/form-data")
        );
        b.screenshot("form-vi").await;
        b.assert_accessible("the report form").await;

        b.follow("button#continue").await;
        finish_report(b, &[Path::new(&evidence)]).await;
        b.follow("button#submit").await;

        let reference = b.text("#reference").await;
        assert!(
            is_reference(&reference),
            "a reference like INC-2026-000001: {reference:?}"
        );
        assert_eq!(b.status().await, 200, "the confirmation page");
        assert_lang(b, "vi").await;
        b.screenshot("confirmation").await;
        b.assert_accessible("the confirmation page").await;
        let link = b.attr("a#tracking-link", "href").await.unwrap_or_default();
        assert!(link.contains("/track/"), "a tracking link: {link:?}");

        b.follow("a#tracking-link").await;
        assert!(b.path().await.starts_with("/track/"), "{}", b.path().await);
        assert_lang(b, "vi").await;
        let parties = b.find_all("#parties .party").await.len();
        let expected = tickets_of(&app, &reference).await;
        assert!(expected > 1, "the report is routed to several parties");
        assert_eq!(parties, expected, "one `.party` row per ticket");
        let timeline = b.text("#timeline").await;
        assert!(!timeline.trim().is_empty(), "the timeline shows the report");
        assert!(
            b.text("main").await.contains("trang-bi-chiem.png"),
            "the tracking page lists the evidence"
        );
        b.screenshot("tracking").await;
        b.assert_accessible("the tracking page").await;
    })
    .await;
    assert_eq!(
        stored(&app, &image).as_deref(),
        Some(&image[..]),
        "the evidence is kept whole"
    );
}

/// The stored evidence file with these bytes, from the folder where the app keeps each
/// file under the SHA-256 of its bytes.
fn stored(app: &TestApp, bytes: &[u8]) -> Option<Vec<u8>> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    std::fs::read(app.evidence.path().join(&sha256[..2]).join(&sha256)).ok()
}

fn is_reference(text: &str) -> bool {
    let parts: Vec<&str> = text.trim().split('-').collect();
    matches!(parts.as_slice(), ["INC", year, number]
        if year.len() == 4 && number.len() == 6
            && year.chars().chain(number.chars()).all(|c| c.is_ascii_digit()))
}

/// How many parties the incident with this reference was sent to, by the API.
async fn tickets_of(app: &TestApp, reference: &str) -> usize {
    let incidents = app.all_incidents().await;
    let filed = incidents
        .iter()
        .find(|i| i["reference"] == reference.trim())
        .unwrap_or_else(|| panic!("incident {reference} in the API: {incidents:#?}"));
    let detail = app.incident(filed["id"].as_str().expect("id")).await;
    detail["tickets"].as_array().expect("tickets").len()
}

#[tokio::test]
async fn a_page_url_that_is_not_a_url_is_explained_beside_the_field_and_the_rest_is_kept() {
    let app = spawn_app().await;
    with_browser(&app.address, async |b| {
        fill_report(b, "not a url").await;
        b.follow("button#continue").await;

        let summary = b.find(".error-summary").await;
        assert_eq!(
            b.status().await,
            422,
            "the form comes back as unprocessable"
        );
        assert_lang(b, "vi").await;
        summary
            .find(fantoccini::Locator::Css("a[href=\"#page-url\"]"))
            .await
            .expect("the summary links to the page URL field");
        let error = b.find("#page-url-error").await;
        let class = error
            .attr("class")
            .await
            .expect("class")
            .unwrap_or_default();
        assert!(
            class.split_whitespace().any(|c| c == "field-error"),
            "class {class:?}"
        );
        assert!(!error.text().await.expect("text").trim().is_empty());
        assert_eq!(
            b.prop("#page-handle", "value").await.as_deref(),
            Some("badinh.news")
        );
        assert_eq!(
            b.prop("#page-created_on-year", "value").await.as_deref(),
            Some("2019")
        );
        assert_eq!(
            b.prop("#page-account_type", "value").await.as_deref(),
            Some("page"),
            "the account type is kept"
        );
        // The earlier steps' answers are kept in the draft.
        b.follow("a#back").await;
        b.follow("a#back").await;
        assert_eq!(
            b.prop("#reporter-name", "value").await.as_deref(),
            Some("Nguyễn Văn An")
        );
        b.screenshot("form-error").await;
        b.assert_accessible("the report form with an error").await;
    })
    .await;
    assert!(app.all_incidents().await.is_empty(), "nothing was filed");
}

#[tokio::test]
async fn a_member_switches_the_form_to_english_and_it_stays_english() {
    let app = spawn_app().await;
    with_browser(&app.address, async |b| {
        b.open("/").await;
        assert_lang(b, "vi").await;
        b.follow("a#lang-switch").await;
        assert_lang(b, "en").await;
        assert!(
            b.path().await.contains("lang=en"),
            "the switch leads to ?lang=en: {}",
            b.path().await
        );
        b.find("#start-report").await;
        b.screenshot("form-en").await;
        b.assert_accessible("the report form in English").await;

        b.open("/").await;
        assert_lang(b, "en").await;
    })
    .await;
}

/// Whether the element `css` is shown.
async fn shown(b: &Browser, css: &str) -> bool {
    b.find(css).await.is_displayed().await.expect("shown?")
}

#[tokio::test]
async fn the_questions_about_a_stopped_page_show_only_once_stopped_is_chosen() {
    let app = spawn_app().await;
    let mut report = crate::helpers::valid_incident();
    report["containment"] = serde_json::json!({ "state": "active" });
    let filed = app.file(&report).await;
    let tracking = filed["tracking_url"].as_str().expect("tracking url");
    let tracking = &tracking[tracking.find("/track/").expect("a tracking path")..];
    with_browser(&app.address, async |b| {
        for path in ["/report/stopped", tracking] {
            b.open(path).await;
            for css in ["#containment-stopped_at", "#containment-actions"] {
                assert!(!shown(b, css).await, "{path}: {css} before any choice");
            }
            b.check("#containment-state-stopped").await;
            for css in ["#containment-stopped_at", "#containment-actions"] {
                assert!(shown(b, css).await, "{path}: {css} once stopped is chosen");
            }
            b.check("#containment-state-lost_control").await;
            assert!(
                !shown(b, "#containment-stopped_at").await,
                "{path}: hidden again for another answer"
            );
            b.assert_accessible(path).await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_member_s_pages_fit_a_320_pixel_phone_without_scrolling_sideways() {
    let app = spawn_app().await;
    let filed = app.file(&crate::helpers::valid_incident()).await;
    let tracking = filed["tracking_url"].as_str().expect("tracking url");
    let tracking = &tracking[tracking.find("/track/").expect("a tracking path")..];
    let confirmation = format!("{tracking}/confirmation");
    crate::browser::with_browser_on(
        crate::browser::Screen::SmallPhone,
        &app.address,
        async |b| {
            for (name, path) in [
                ("320-form", "/"),
                ("320-page-step", "/report/page"),
                ("320-stopped-step", "/report/stopped"),
                ("320-stop", "/?stop=facebook"),
                ("320-confirmation", confirmation.as_str()),
                ("320-tracking", tracking),
            ] {
                b.open(path).await;
                b.screenshot(name).await;
                let widths = b
                    .client()
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth];",
                        vec![],
                    )
                    .await
                    .expect("the widths");
                let (page, window) = (widths[0].as_u64(), widths[1].as_u64());
                assert_eq!(window, Some(320), "{path}");
                assert!(
                    page <= window,
                    "{path} is {page:?} px wide in a {window:?} px window"
                );
            }
        },
    )
    .await;
}
