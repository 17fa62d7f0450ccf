//! The report in steps, walked from the start page to the tracking page on a small phone,
//! a mid-range phone and a desktop, in Vietnamese and in English: every page is checked
//! with axe-core, fits its screen's width, carries no script (so it works the same with
//! script off), and is saved as a screenshot; the height of each step is printed in
//! screens.

use std::path::Path;

use crate::{
    browser::{Browser, Screen, time_boxes, with_browser_on},
    helpers::{TestApp, spawn_app_with},
    png,
};

/// What one page measured: its name and its height in screens.
struct Measured {
    page: String,
    screens: f64,
}

/// Checks the page the browser shows (see [`Browser::look`]) and keeps its height.
async fn look(b: &Browser, run: &str, page: &str, out: &mut Vec<Measured>) {
    let screens = b.look(&format!("steps-{run}-{page}")).await;
    out.push(Measured {
        page: page.to_owned(),
        screens,
    });
}

async fn fill_time(b: &Browser, id: &str, hours: i64) {
    for (part, value) in time_boxes(hours) {
        b.type_into(&format!("#{id}-{part}"), &value).await;
    }
}

/// The words each language shows where the test looks for them.
struct Words {
    lang: &'static str,
    error_title: &'static str,
    progress_first: &'static str,
    check_title: &'static str,
}

const VI: Words = Words {
    lang: "vi",
    error_title: "Lỗi:",
    progress_first: "Bước 1 trên 6",
    check_title: "Kiểm tra câu trả lời trước khi gửi",
};

const EN: Words = Words {
    lang: "en",
    error_title: "Error:",
    progress_first: "Step 1 of 6",
    check_title: "Check your answers before sending your report",
};

/// Walks the whole report once and returns what each page measured.
async fn walk(app: &TestApp, screen: Screen, words: &Words, evidence: &Path) -> Vec<Measured> {
    let run = format!("{}-{}", screen.name(), words.lang);
    let mut out = Vec::new();
    with_browser_on(screen, &app.address, async |b| {
        b.open(&format!("/?lang={}&stop=facebook", words.lang))
            .await;
        assert_eq!(b.attr("html", "lang").await.as_deref(), Some(words.lang));
        look(b, &run, "0-start", &mut out).await;

        // Step 1, first sent empty: refused, with the reason first.
        b.follow("#start-report").await;
        assert!(b.text("#progress").await.contains(words.progress_first));
        look(b, &run, "1-about-you", &mut out).await;
        b.follow("button#continue").await;
        assert_eq!(b.status().await, 422, "{run}");
        let title = b.client().title().await.expect("title");
        assert!(title.starts_with(words.error_title), "{run}: {title}");
        assert!(
            b.attr(".error-summary", "autofocus").await.is_some(),
            "{run}: the summary takes the focus"
        );
        look(b, &run, "1-about-you-error", &mut out).await;
        b.type_into("#reporter-name", "Nguyễn Văn An").await;
        b.type_into("#reporter-email", "an.nguyen@example.org")
            .await;
        b.follow("button#continue").await;

        // Step 2: the committee, found by name.
        look(b, &run, "2-committee", &mut out).await;
        b.type_into("#q", "ba dinh").await;
        b.follow("button#search").await;
        look(b, &run, "2-committee-results", &mut out).await;
        b.check("#committee-hn-ba-dinh").await;
        b.follow("button#continue").await;

        // Step 3: the page; the platform chosen for its stop steps is chosen already.
        assert_eq!(
            b.prop("#page-platform", "value").await.as_deref(),
            Some("facebook"),
            "{run}"
        );
        b.type_into("#page-url", "https://www.facebook.com/badinh.news")
            .await;
        b.type_into("#page-created_on-month", "5").await;
        b.type_into("#page-created_on-year", "2019").await;
        look(b, &run, "3-page", &mut out).await;
        b.follow("button#continue").await;

        // Step 4: what happened.
        b.check("#kind-hijacked").await;
        fill_time(b, "detected_at", 3).await;
        b.type_into("#description", "Từ 07:40 trang đăng quảng cáo lừa đảo.")
            .await;
        look(b, &run, "4-what-happened", &mut out).await;
        b.follow("button#continue").await;

        // Step 5: stopped, whose time and checklist show only once chosen.
        let hidden = b.find("#containment-stopped_at").await;
        assert!(!hidden.is_displayed().await.expect("shown?"), "{run}");
        b.check("#containment-state-stopped").await;
        assert!(
            b.find("#containment-stopped_at")
                .await
                .is_displayed()
                .await
                .expect("shown?"),
            "{run}"
        );
        fill_time(b, "containment-stopped_at", 2).await;
        b.check("#action-password_changed").await;
        look(b, &run, "5-stopped", &mut out).await;
        b.follow("button#continue").await;

        // Step 6: evidence.
        b.attach("#evidence", &[evidence]).await;
        look(b, &run, "6-evidence", &mut out).await;
        b.follow("button#continue").await;

        // Check your answers, one change, and Submit.
        assert_eq!(b.text("h1").await, words.check_title);
        look(b, &run, "7-check", &mut out).await;
        b.follow("#change-about-you").await;
        assert_eq!(
            b.prop("#reporter-name", "value").await.as_deref(),
            Some("Nguyễn Văn An")
        );
        b.type_into("#reporter-phone", "0912 345 678").await;
        b.follow("button#continue").await;
        assert!(
            b.text("#answers-about-you").await.contains("0912 345 678"),
            "{run}"
        );
        b.follow("button#submit").await;

        assert_eq!(b.status().await, 200, "{run}: the confirmation");
        assert!(b.text("#reference").await.starts_with("INC-"));
        look(b, &run, "8-confirmation", &mut out).await;
        b.follow("a#tracking-link").await;
        assert!(b.text("main").await.contains("trang-bi-chiem.png"));
        look(b, &run, "9-tracking", &mut out).await;
    })
    .await;
    for m in &out {
        println!("screens per page, {run}: {:<22} {:.2}", m.page, m.screens);
    }
    out
}

#[tokio::test]
async fn a_member_reports_step_by_step_on_every_screen_in_both_languages() {
    let port = crate::browser::free_port();
    let app = spawn_app_with(&format!(
        "public_base_url = \"http://127.0.0.1:{port}\"\n[server]\nport = {port}\n\
         [web.rate_limits]\nsubmissions = {{ per_minute = 60, burst = 60 }}\n\
         tracking = {{ per_minute = 600, burst = 600 }}\n"
    ))
    .await;
    let files = tempfile::tempdir().expect("temp dir");
    let evidence = files.path().join("trang-bi-chiem.png");
    std::fs::write(&evidence, png::solid(16, [0xB3, 0x26, 0x1E])).expect("write evidence");
    let mut steps_at_412 = Vec::new();
    for screen in Screen::ALL {
        for words in [&VI, &EN] {
            let measured = walk(&app, screen, words, &evidence).await;
            if screen == Screen::Phone {
                steps_at_412.extend(measured.into_iter().map(|m| (words.lang, m)));
            }
        }
    }
    assert_eq!(app.all_incidents().await.len(), 6, "one report per walk");
    // The steps' own height on a 412 x 915 phone, the member's usual screen.
    for (lang, m) in steps_at_412
        .iter()
        .filter(|(_, m)| m.page.starts_with(['1', '2', '3', '4', '5', '6']))
    {
        println!(
            "screens per step at 412 x 915 ({lang}): {:<22} {:.2}",
            m.page, m.screens
        );
        assert!(
            m.screens <= 2.25,
            "{lang} {} is {:.2} screens high at 412 x 915",
            m.page,
            m.screens
        );
    }
}
