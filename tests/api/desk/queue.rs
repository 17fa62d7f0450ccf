//! The queue at `/desk`: its counters, each filter, search and sorting, all within the
//! officer's scope.

use std::collections::HashSet;

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Officer, counter, file, file_in, report, report_in, rows, set_status};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// The rows of the queue at `path`, as a set.
async fn listed(officer: &Officer<'_>, path: &str) -> HashSet<String> {
    rows(&officer.page(path).await).into_iter().collect()
}

fn set(references: &[&String]) -> HashSet<String> {
    references.iter().map(|r| (*r).clone()).collect()
}

/// The four incidents of the filter tests: three in the Hanoi tree, one in Ho Chi Minh City.
struct Spread {
    badinh: String,
    phucxa: String,
    caugiay: String,
    q1: String,
}

async fn spread(app: &TestApp) -> Spread {
    let badinh = file(app, &report_in("hn-ba-dinh")).await;
    let phucxa = file(
        app,
        &report(
            "hn-ba-dinh-phuc-xa",
            "impersonated",
            "https://www.tiktok.com/@phucxa.official",
            json!({ "state": "lost_control" }),
        ),
    )
    .await;
    let caugiay = file(
        app,
        &report(
            "hn-cau-giay",
            "misused",
            "https://www.facebook.com/caugiay.tv",
            json!({ "state": "active" }),
        ),
    )
    .await;
    let q1 = file(
        app,
        &report(
            "hcm-q1",
            "abnormal",
            "https://www.youtube.com/@q1news",
            json!({ "state": "lost_control" }),
        ),
    )
    .await;
    set_status(app, &phucxa, "in_progress").await;
    set_status(app, &caugiay, "resolved").await;
    Spread {
        badinh,
        phucxa,
        caugiay,
        q1,
    }
}

#[tokio::test]
async fn the_counters_count_open_and_lost_control_incidents_of_the_officers_scope() {
    let app = spawn_app().await;
    spread(&app).await;
    // Resolved and out of control: no longer counted.
    let done = file(
        &app,
        &report(
            "hn-ba-dinh",
            "hijacked",
            "https://www.facebook.com/done.page",
            json!({ "state": "lost_control" }),
        ),
    )
    .await;
    set_status(&app, &done, "resolved").await;

    let city = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let queue = city.page("/desk").await;
    assert_eq!(counter(&queue, "count-open"), 2, "open and in progress");
    assert_eq!(counter(&queue, "count-lost"), 1);
    assert_eq!(counter(&queue, "count-overdue"), 0);
    assert_eq!(counter(&queue, "count-failed"), 0);

    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    let queue = admin.page("/desk").await;
    assert_eq!(counter(&queue, "count-open"), 3);
    assert_eq!(counter(&queue, "count-lost"), 2);

    let ward = Officer::create(&app, "phuc.xa", Role::Viewer, Some("hn-ba-dinh-phuc-xa")).await;
    let queue = ward.page("/desk").await;
    assert_eq!(counter(&queue, "count-open"), 1);
    assert_eq!(counter(&queue, "count-lost"), 1);
}

#[tokio::test]
async fn each_filter_narrows_the_queue_within_the_officers_scope() {
    let app = spawn_app().await;
    let s = spread(&app).await;
    let city = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let hanoi = set(&[&s.badinh, &s.phucxa, &s.caugiay]);
    assert_eq!(listed(&city, "/desk").await, hanoi);
    let none = HashSet::new();
    for (query, expected) in [
        ("status=open", set(&[&s.badinh])),
        ("status=in_progress", set(&[&s.phucxa])),
        ("status=resolved", set(&[&s.caugiay])),
        ("status=closed", none.clone()),
        ("kind=hijacked", set(&[&s.badinh])),
        ("kind=impersonated", set(&[&s.phucxa])),
        ("kind=misused", set(&[&s.caugiay])),
        ("kind=abnormal", none.clone()),
        ("platform=facebook", set(&[&s.badinh, &s.caugiay])),
        ("platform=tiktok", set(&[&s.phucxa])),
        ("platform=youtube", none.clone()),
        ("containment=stopped", set(&[&s.badinh])),
        ("containment=lost_control", set(&[&s.phucxa])),
        ("containment=active", set(&[&s.caugiay])),
        ("committee=hn-ba-dinh", set(&[&s.badinh, &s.phucxa])),
        ("committee=hn-ba-dinh-phuc-xa", set(&[&s.phucxa])),
        ("committee=hn-cau-giay", set(&[&s.caugiay])),
        ("committee=hcm", none.clone()),
        ("committee=hcm-q1", none.clone()),
        ("platform=facebook&status=open", set(&[&s.badinh])),
        ("status=open&kind=misused", none.clone()),
    ] {
        assert_eq!(
            listed(&city, &format!("/desk?{query}")).await,
            expected,
            "{query}"
        );
    }
    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    for (query, expected) in [
        ("kind=abnormal", set(&[&s.q1])),
        ("platform=youtube", set(&[&s.q1])),
        ("committee=hcm", set(&[&s.q1])),
        ("containment=lost_control", set(&[&s.phucxa, &s.q1])),
    ] {
        assert_eq!(
            listed(&admin, &format!("/desk?{query}")).await,
            expected,
            "{query}"
        );
    }
}

#[tokio::test]
async fn search_finds_by_reference_page_address_handle_and_reporter() {
    let app = spawn_app().await;
    let badinh = file(&app, &report_in("hn-ba-dinh")).await;
    let mut tiktok = report(
        "hn-ba-dinh",
        "impersonated",
        "https://www.tiktok.com/@phucxa.official",
        json!({ "state": "lost_control" }),
    );
    tiktok["page"]["handle"] = json!("phucxa.official");
    tiktok["reporter"] = json!({
        "name": "Trần Thị Bình",
        "email": "binh.tran@example.org",
        "phone": "0987 654 321",
        "committee": "hn-ba-dinh"
    });
    let phucxa = file(&app, &tiktok).await;
    let mut handle_only = report_in("hn-ba-dinh");
    handle_only["page"] = json!({ "platform": "zalo", "handle": "doanphuong.zalo" });
    let zalo = file(&app, &handle_only).await;
    let mut elsewhere = report(
        "hcm-q1",
        "hijacked",
        "https://www.facebook.com/q1.news",
        json!({ "state": "lost_control" }),
    );
    elsewhere["reporter"]["name"] = json!("Lê Văn Cường");
    let q1 = file(&app, &elsewhere).await;

    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let search = |q: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .finish();
        let officer = &officer;
        async move { listed(officer, &format!("/desk?{query}")).await }
    };
    let none = HashSet::new();
    for (q, expected) in [
        (badinh.clone(), set(&[&badinh])),
        (phucxa.to_lowercase(), set(&[&phucxa])),
        (format!("  {zalo} "), set(&[&zalo])),
        ("facebook.com/badinh".to_owned(), set(&[&badinh])),
        ("PHUCXA.OFF".to_owned(), set(&[&phucxa])),
        ("doanphuong".to_owned(), set(&[&zalo])),
        ("Trần Thị".to_owned(), set(&[&phucxa])),
        ("văn an".to_owned(), set(&[&badinh, &zalo])),
        ("binh.tran@".to_owned(), set(&[&phucxa])),
        ("0987654".to_owned(), set(&[&phucxa])),
        ("%".to_owned(), none.clone()),
        ("_".to_owned(), none.clone()),
        // Another committee's incident is not found, by its reference or its page.
        (q1.clone(), none.clone()),
        ("q1.news".to_owned(), none.clone()),
        ("Cường".to_owned(), none.clone()),
    ] {
        assert_eq!(search(&q).await, expected, "q={q:?}");
    }
    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    assert_eq!(listed(&admin, "/desk?q=q1.news").await, set(&[&q1]));
    // The search box keeps what was typed.
    let page = officer.page("/desk?q=phucxa").await;
    assert!(page.contains("name=\"q\" value=\"phucxa\""), "{page}");
}

#[tokio::test]
async fn search_ignores_case_in_vietnamese_letters_too() {
    let app = spawn_app().await;
    let mut body = report_in("hn-ba-dinh");
    body["reporter"]["name"] = json!("Đặng Thu Hà");
    let reference = file(&app, &body).await;
    file(&app, &report_in("hn-ba-dinh")).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    for q in ["Đặng Thu", "đặng thu", "ĐẶNG THU"] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .finish();
        assert_eq!(
            listed(&officer, &format!("/desk?{query}")).await,
            set(&[&reference]),
            "q={q:?}"
        );
    }
}

#[tokio::test]
async fn the_queue_sorts_by_newest_oldest_and_last_change() {
    let app = spawn_app().await;
    let mut filed = Vec::new();
    for _ in 0..3 {
        filed.push(file_in(&app, "hn-ba-dinh").await);
    }
    let [a, b, c] = [
        filed[0].1.as_str(),
        filed[1].1.as_str(),
        filed[2].1.as_str(),
    ];
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    assert_eq!(rows(&officer.page("/desk").await), [c, b, a]);
    assert_eq!(rows(&officer.page("/desk?sort=newest").await), [c, b, a]);
    assert_eq!(rows(&officer.page("/desk?sort=oldest").await), [a, b, c]);
    assert_eq!(rows(&officer.page("/desk?sort=updated").await), [c, b, a]);

    let r = officer
        .post_form(
            &format!("/desk/incidents/{a}/note"),
            &[("text", "Đã liên hệ lại với người báo cáo.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(rows(&officer.page("/desk?sort=updated").await), [a, c, b]);
    assert_eq!(rows(&officer.page("/desk").await), [c, b, a]);
}

#[tokio::test]
async fn the_counters_are_reused_until_an_officer_changes_something() {
    let app = spawn_app_with("[desk]\ncounters_max_age = \"1h\"\n").await;
    let (_, first) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    assert_eq!(counter(&officer.page("/desk").await, "count-open"), 1);

    // Filed through the API: listed at once, counted with the next count.
    let second = file(&app, &report_in("hn-ba-dinh")).await;
    let queue = officer.page("/desk").await;
    assert!(rows(&queue).contains(&second));
    assert_eq!(counter(&queue, "count-open"), 1, "the count of an hour");

    let r = officer
        .post_form(
            &format!("/desk/incidents/{first}/status"),
            &[("status", "rejected"), ("reason", "not_an_incident")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let queue = officer.page("/desk").await;
    assert_eq!(
        counter(&queue, "count-open"),
        1,
        "counted again: the second is open, the first rejected"
    );
    set_status(&app, &second, "resolved").await;
    assert_eq!(counter(&officer.page("/desk").await, "count-open"), 1);
    let r = officer
        .post_form(
            &format!("/desk/incidents/{second}/note"),
            &[("text", "Đã liên hệ nền tảng."), ("visibility", "internal")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(counter(&officer.page("/desk").await, "count-open"), 0);
}

#[tokio::test]
async fn an_old_count_is_shown_while_it_is_counted_again() {
    let app = spawn_app_with("[desk]\ncounters_max_age = \"1s\"\n").await;
    file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    assert_eq!(counter(&officer.page("/desk").await, "count-open"), 1);
    file_in(&app, "hn-ba-dinh").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        counter(&officer.page("/desk").await, "count-open"),
        1,
        "the last count, while the new one runs"
    );
    let mut open = 0;
    for _ in 0..50 {
        open = counter(&officer.page("/desk").await, "count-open");
        if open == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(open, 2, "counted again in the background");
}
