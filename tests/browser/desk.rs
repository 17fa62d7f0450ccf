//! The committee desk on an officer's desktop: signing in, the queue and its overdue
//! filter, an incident with every delivery attempt, a status change, and signing out.

use std::{collections::BTreeSet, time::Duration};

use fantoccini::{Locator, elements::Element};
use incident_desk::{
    domain::access::Role,
    usecases::officers::{self, NewOfficer},
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    browser::{Browser, Screen, with_browser_on},
    helpers::{TestApp, spawn_app_with, valid_incident},
    receiver::{Receiver, Reply},
};

const USERNAME: &str = "binh.tran";
const PASSWORD: &str = "Cầu-Giấy-trực-ban-2026";
const OFFICER: &str = "Trần Thị Bình";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WAIT: Duration = Duration::from_secs(15);

fn party(list: &str, id: &str, deadline: &str, extra: &str, hook: &str) -> String {
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\n\
         ack_deadline = \"{deadline}\"\n{extra}\n\
         contacts.webhooks = [{{ url = \"{hook}\", secret = \"{SECRET}\" }}]\n"
    )
}

/// Every party of the default routing, each with a webhook to `hook`. The Cau Giay
/// committee's tickets fall overdue a second after they open; every other party has
/// hours. Reminders and escalations of overdue tickets are left out of this desk's day.
fn settings(hook: &str) -> String {
    let mut toml = String::from("[dispatcher]\nenabled = true\ndeadline_check_interval = \"1h\"\n");
    toml += &party("committees", "hn", "4h", "", hook);
    toml += &party("committees", "hn-ba-dinh", "4h", "parent = \"hn\"", hook);
    toml += &party("committees", "hn-cau-giay", "1s", "parent = \"hn\"", hook);
    toml += &party("authorities", "cert", "8h", "", hook);
    toml += &party("authorities", "cyber-police", "24h", "", hook);
    for id in [
        "meta",
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party("providers", id, "24h", "locale = \"en\"", hook);
    }
    toml
}

/// An officer of the Hanoi committee, who sees its districts' incidents.
async fn create_officer(app: &TestApp) {
    let db = app.database().await;
    let directory = incident_desk::usecases::directory::DirectoryCache::open(&db, &app.settings)
        .await
        .expect("load the directory");
    officers::create(
        &db,
        &directory.current(),
        NewOfficer {
            username: USERNAME,
            name: OFFICER,
            role: Role::Officer,
            committee: Some("hn"),
            password: &SecretString::from(PASSWORD),
        },
    )
    .await
    .expect("create the officer");
}

/// Files a report from `committee` about the Facebook page `handle`; returns its id and
/// reference. The member leaves a phone number only, so every delivery is a party's
/// webhook.
async fn file(app: &TestApp, committee: &str, handle: &str) -> (String, String) {
    let mut body = valid_incident();
    body["reporter"]
        .as_object_mut()
        .expect("reporter")
        .remove("email");
    body["reporter"]["committee"] = json!(committee);
    body["page"]["url"] = json!(format!("https://www.facebook.com/{handle}"));
    body["page"]["handle"] = json!(handle);
    let filed = app.file(&body).await;
    (
        filed["id"].as_str().expect("id").to_owned(),
        filed["reference"].as_str().expect("reference").to_owned(),
    )
}

/// Waits until no delivery of the incident is pending, and returns the incident.
async fn settled(app: &TestApp, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = app.incident(id).await;
        let pending = deliveries(&detail).any(|d| d["status"] == "pending");
        if !pending {
            return detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries still pending: {detail:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn deliveries(detail: &Value) -> impl Iterator<Item = &Value> {
    detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .flat_map(|t| t["deliveries"].as_array().expect("deliveries"))
}

async fn classes(element: &Element) -> Vec<String> {
    element
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

async fn within(element: &Element, css: &str) -> Vec<Element> {
    element
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
}

async fn text_of(element: &Element) -> String {
    element.text().await.expect("element text")
}

/// The references of the queue's rows, after checking that each has its link.
async fn queue_references(b: &Browser) -> Vec<String> {
    let mut references = Vec::new();
    for row in b.find_all("#queue tr.incident").await {
        let links = within(&row, "a.reference-link").await;
        assert_eq!(links.len(), 1, "one reference link per row");
        references.push(text_of(&links[0]).await);
    }
    references
}

/// The timeline's lines, as text.
async fn timeline(b: &Browser) -> Vec<String> {
    let mut lines = Vec::new();
    for line in b.find_all("#timeline li").await {
        lines.push(text_of(&line).await);
    }
    lines
}

#[tokio::test]
async fn an_officer_signs_in_finds_the_overdue_incidents_reads_the_attempts_and_takes_one_up() {
    let hook = Receiver::start(Reply::Status(200)).await;
    let overrides = settings(&hook.url);
    let app = spawn_app_with(&overrides).await;
    create_officer(&app).await;
    let late = [
        file(&app, "hn-cau-giay", "caugiay.news").await,
        file(&app, "hn-cau-giay", "caugiay.youth").await,
    ];
    let on_time = [
        file(&app, "hn-ba-dinh", "badinh.news").await,
        file(&app, "hn-ba-dinh", "badinh.youth").await,
    ];
    for (id, _) in late.iter().chain(&on_time) {
        settled(&app, id).await;
    }
    // Past the Cau Giay deadline of one second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (late_id, late_reference) = &late[0];
    let detail = settled(&app, late_id).await;
    let attempts: i64 = deliveries(&detail)
        .map(|d| d["attempts"].as_i64().expect("attempts"))
        .sum();
    let tickets = detail["tickets"].as_array().expect("tickets").len();
    assert!(
        tickets > 1,
        "the report went to several parties: {detail:#}"
    );
    assert!(
        deliveries(&detail).all(|d| d["status"] == "delivered"),
        "every party took the report: {detail:#}"
    );

    with_browser_on(Screen::Desktop, &app.address, async |b| {
        b.open("/desk").await;
        assert_eq!(
            b.path().await,
            "/desk/sign-in",
            "the desk asks who is there"
        );
        assert_eq!(b.attr("html", "lang").await.as_deref(), Some("vi"));
        b.screenshot("desk-sign-in").await;
        b.assert_accessible("the desk sign-in page").await;

        b.type_into("#username", USERNAME).await;
        b.type_into("#password", "Cầu-Giấy-trực-ban-2025").await;
        b.follow("button#sign-in").await;
        assert_eq!(b.status().await, 401, "a wrong password is refused");
        assert_eq!(b.path().await, "/desk/sign-in");
        assert_eq!(
            b.text("#sign-in-problem").await,
            "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."
        );
        assert_eq!(
            b.prop("#username", "value").await.as_deref(),
            Some(USERNAME),
            "the username is kept"
        );
        assert_eq!(
            b.prop("#password", "value").await.as_deref(),
            Some(""),
            "the password is not sent back"
        );
        b.assert_accessible("the desk sign-in page with its error")
            .await;

        b.type_into("#password", PASSWORD).await;
        b.follow("button#sign-in").await;
        assert_eq!(
            b.path().await,
            "/desk",
            "signed in, the officer sees the queue"
        );
        assert_eq!(b.status().await, 200);
        assert!(
            b.text("#officer").await.contains(OFFICER),
            "the header names the officer"
        );
        assert_eq!(b.text("#count-open").await, "4");
        assert_eq!(b.text("#count-overdue").await, "2", "the Cau Giay tickets");
        assert_eq!(b.text("#count-failed").await, "0");
        assert_eq!(b.text("#count-lost").await, "0");
        let all = queue_references(b).await;
        assert_eq!(
            all.len(),
            4,
            "every incident of the committee's districts: {all:?}"
        );
        let mut overdue_rows = 0;
        for row in b.find_all("#queue tr.incident").await {
            if classes(&row).await.iter().any(|c| c == "overdue") {
                overdue_rows += 1;
            }
        }
        assert_eq!(overdue_rows, 2, "only the Cau Giay rows are marked overdue");
        b.find("#filters").await;
        b.find("#bulk-form").await;
        b.find("a#export").await;
        b.screenshot("desk-queue").await;
        b.assert_accessible("the desk queue").await;

        b.check("#f-overdue").await;
        b.follow("button#apply-filters").await;
        assert!(
            b.path().await.contains("overdue=1"),
            "the filter is in the address: {}",
            b.path().await
        );
        let shown: BTreeSet<String> = queue_references(b).await.into_iter().collect();
        let expected: BTreeSet<String> = late.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(shown, expected, "only the incidents with an overdue ticket");
        for row in b.find_all("#queue tr.incident").await {
            assert!(
                classes(&row).await.iter().any(|c| c == "overdue"),
                "an overdue row is marked"
            );
            assert_eq!(
                within(&row, ".flag-overdue").await.len(),
                1,
                "an overdue row has its flag"
            );
            assert!(within(&row, ".flag-failed").await.is_empty());
        }
        let ticked = b
            .find("#f-overdue")
            .await
            .is_selected()
            .await
            .expect("checked");
        assert!(ticked, "the filter stays ticked");
        b.screenshot("desk-queue-overdue").await;
        b.assert_accessible("the desk queue filtered to overdue")
            .await;

        b.follow(&format!(
            "#queue a.reference-link[href$=\"/{late_reference}\"]"
        ))
        .await;
        assert_eq!(b.path().await, format!("/desk/incidents/{late_reference}"));
        assert_eq!(&b.text("#reference").await, late_reference);
        let articles = b.find_all("article.ticket").await;
        assert_eq!(articles.len(), tickets, "one article per party's ticket");
        for article in &articles {
            assert!(
                !within(article, ".delivery").await.is_empty(),
                "each ticket shows its deliveries: {}",
                text_of(article).await
            );
        }
        // Each delivery's attempts are folded under one line until the officer opens it.
        for summary in b.find_all("details.delivery:not([open]) > summary").await {
            summary.click().await.expect("open a delivery");
        }
        let rows = b.find_all("table.attempts tr.attempt").await;
        assert_eq!(
            rows.len(),
            usize::try_from(attempts).expect("a count"),
            "every attempt is listed"
        );
        for row in &rows {
            let cells = within(row, "td").await;
            assert_eq!(
                text_of(&cells[2]).await,
                "200",
                "the receiver's answer: {}",
                text_of(row).await
            );
        }
        let before = timeline(b).await;
        assert!(
            !before.iter().any(|l| l.contains("Sự cố chuyển từ")),
            "no status change yet: {before:#?}"
        );
        b.screenshot("desk-detail").await;
        b.assert_accessible("the desk incident page").await;

        b.select("#status", "in_progress").await;
        b.follow("button#change-status").await;
        assert!(
            b.path()
                .await
                .starts_with(&format!("/desk/incidents/{late_reference}")),
            "back on the incident: {}",
            b.path().await
        );
        assert_eq!(
            b.text("dl.facts dd").await,
            "Đang xử lý",
            "the incident shows its new status"
        );
        let after = timeline(b).await;
        let changes: Vec<&String> = after
            .iter()
            .filter(|l| l.contains("Sự cố chuyển từ"))
            .collect();
        assert_eq!(changes.len(), 1, "one status change: {after:#?}");
        assert!(
            changes[0].contains("Sự cố chuyển từ “Mới tiếp nhận” sang “Đang xử lý”"),
            "the change is a sentence: {}",
            changes[0]
        );
        assert!(
            changes[0].contains(&format!("cán bộ: {OFFICER}")),
            "the change names the officer: {}",
            changes[0]
        );

        b.follow("button#sign-out").await;
        assert_eq!(b.path().await, "/desk/sign-in", "signed out");
        b.find("button#sign-in").await;
        b.open("/desk").await;
        assert_eq!(
            b.path().await,
            "/desk/sign-in",
            "the queue is closed after signing out"
        );
    })
    .await;
    let detail = app.incident(late_id).await;
    assert_eq!(detail["status"], "in_progress", "{detail:#}");
}

/// Signs the officer in on `b`.
async fn sign_in(b: &Browser) {
    b.open("/desk").await;
    b.type_into("#username", USERNAME).await;
    b.type_into("#password", PASSWORD).await;
    b.follow("button#sign-in").await;
    assert_eq!(b.path().await, "/desk", "signed in");
}

/// The desk's incident page on a small phone, a phone and a desktop, in both languages:
/// where the incident stands and the next thing to do come first, each party's deliveries
/// fold to one line, nothing is wider than the screen, there is no script, and axe-core
/// finds nothing. The height of each is printed in screens.
#[tokio::test]
async fn the_incident_page_reads_on_every_screen_in_both_languages() {
    let hook = Receiver::start(Reply::Status(200)).await;
    let app = spawn_app_with(&settings(&hook.url)).await;
    create_officer(&app).await;
    let (id, reference) = file(&app, "hn-ba-dinh", "badinh.news").await;
    let detail = settled(&app, &id).await;
    let tickets = detail["tickets"].as_array().expect("tickets").len();
    let mut measured = Vec::new();
    for screen in Screen::ALL {
        with_browser_on(screen, &app.address, async |b| {
            sign_in(b).await;
            for (lang, now, next) in [
                ("vi", "Tình hình hiện tại", "Việc cần làm:"),
                ("en", "Where it stands", "Next:"),
            ] {
                let name = format!("desk-incident-{}-{lang}", screen.name());
                b.open(&format!("/desk/incidents/{reference}?lang={lang}"))
                    .await;
                assert_eq!(b.attr("html", "lang").await.as_deref(), Some(lang));
                // The first card says where it stands and what to do next.
                let first = b.find("main section.card").await;
                assert_eq!(first.attr("id").await.expect("id").as_deref(), Some("now"));
                assert_eq!(b.text("#now-title").await, now, "{name}");
                assert!(b.text("#next-action").await.starts_with(next), "{name}");
                // Every party's deliveries went through, so each folds to one line.
                assert_eq!(b.find_all("article.ticket").await.len(), tickets, "{name}");
                assert!(
                    b.find_all("details.delivery[open]").await.is_empty(),
                    "{name}: a delivered notification is folded"
                );
                assert!(!b.find_all("details.delivery").await.is_empty());
                let screens = b.look(&name).await;
                measured.push((name, screens));
            }
        })
        .await;
    }
    for (name, screens) in &measured {
        println!("screens per page: {name:<26} {screens:.2}");
    }
    // On an office screen the whole incident, its three parties, their deliveries and the
    // forms included, stays within four screens (3.6 when this was written).
    for (name, screens) in measured.iter().filter(|(n, _)| n.contains("-1280-")) {
        assert!(*screens <= 4.0, "{name} is {screens:.2} screens long");
    }
}
