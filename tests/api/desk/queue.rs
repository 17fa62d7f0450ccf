//! The queue at `/desk`: its counters, each filter, search, sorting, keyset pages, the
//! overdue and failed flags of a row, and the CSV of the filtered set.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Officer, file_in, report_in, rows};
use crate::{
    helpers::{TestApp, expect_status, spawn_app, spawn_app_with},
    notifications::{app_with, report_for_hn, settled},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

/// A report of `committee` about a page at `url`, with this kind and containment.
fn report(committee: &str, kind: &str, url: &str, containment: Value) -> Value {
    let mut body = report_in(committee);
    body["kind"] = json!(kind);
    body["page"]["url"] = json!(url);
    body["page"]["handle"] = Value::Null;
    body["containment"] = containment;
    body
}

async fn file(app: &TestApp, body: &Value) -> String {
    app.file(body).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

async fn set_status(app: &TestApp, reference: &str, status: &str) {
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{reference}/status"),
            &json!({ "status": status }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

/// The rows of the queue at `path`, as a set.
async fn listed(officer: &Officer<'_>, path: &str) -> HashSet<String> {
    rows(&officer.page(path).await).into_iter().collect()
}

fn set(references: &[&String]) -> HashSet<String> {
    references.iter().map(|r| (*r).clone()).collect()
}

/// The number a counter of the queue shows.
fn counter(html: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).expect("counter") + marker.len();
    html[start..]
        .split('<')
        .next()
        .expect("number")
        .parse()
        .expect("a number")
}

/// The queue row of an incident.
fn row<'h>(html: &'h str, reference: &str) -> &'h str {
    html.split("<tr class=\"incident")
        .skip(1)
        .find(|r| r.contains(&format!(">{reference}<")))
        .unwrap_or_else(|| panic!("no row for {reference}"))
        .split("</tr>")
        .next()
        .expect("row")
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

/// An HTML attribute's value as a browser reads it: character references decoded.
fn attribute(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').expect("a complete character reference");
        let name = &tail[1..end];
        let c = match name {
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "lt" => '<',
            "gt" => '>',
            _ => {
                let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => name.strip_prefix('#').expect("a numeric reference").parse(),
                }
                .expect("a number");
                char::from_u32(code).expect("a character")
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The address of the `rel="next"` link, if the page has one.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(attribute(&html[start..end]))
}

/// Every reference of the queue, following `rel="next"` from `first`; and how many pages.
async fn follow(officer: &Officer<'_>, first: &str) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = Some(first.to_owned());
    while let Some(p) = path {
        pages += 1;
        assert!(pages <= 20, "the pages never end");
        let html = officer.page(&p).await;
        let page = rows(&html);
        assert!(page.len() <= 10, "a page holds at most 10 rows: {p}");
        seen.extend(page);
        path = next_link(&html);
    }
    (seen, pages)
}

#[tokio::test]
async fn following_next_links_lists_every_incident_exactly_once_in_every_order() {
    let app = spawn_app_with("[desk]\npage_size = 10\n").await;
    let mut filed = Vec::new();
    for _ in 0..25 {
        filed.push(file_in(&app, "hn-ba-dinh").await);
    }
    // Changes in an order unlike filing, so that "recently changed" differs from "newest".
    for i in [3, 17, 8, 0, 24, 11, 5] {
        set_status(&app, &filed[i].1, "in_progress").await;
    }
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    let by_filing: Vec<String> = filed.iter().map(|(_, r)| r.clone()).collect();
    let newest: Vec<String> = by_filing.iter().rev().cloned().collect();
    let mut by_change: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    for (id, reference) in &filed {
        let detail = app.incident(id).await;
        let at: DateTime<Utc> = detail["updated_at"]
            .as_str()
            .expect("updated_at")
            .parse()
            .expect("a time");
        by_change.push((at, id.clone(), reference.clone()));
    }
    by_change.sort_by(|x, y| (y.0, &y.1).cmp(&(x.0, &x.1)));
    let updated: Vec<String> = by_change.into_iter().map(|(_, _, r)| r).collect();

    for (first, expected) in [
        ("/desk", &newest),
        ("/desk?sort=newest", &newest),
        ("/desk?sort=oldest", &by_filing),
        ("/desk?sort=updated", &updated),
    ] {
        let (seen, pages) = follow(&officer, first).await;
        assert_eq!(&seen, expected, "{first}");
        assert_eq!(pages, 3, "{first}");
    }

    // With a filter, the links keep it.
    let open: Vec<String> = newest
        .iter()
        .filter(|r| ![3, 17, 8, 0, 24, 11, 5].iter().any(|&i| &filed[i].1 == *r))
        .cloned()
        .collect();
    let (seen, pages) = follow(&officer, "/desk?status=open&sort=oldest").await;
    let mut oldest_open = open.clone();
    oldest_open.reverse();
    assert_eq!(seen, oldest_open);
    assert_eq!(pages, 2);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 18);
}

#[tokio::test]
async fn a_last_full_page_offers_no_link_to_an_empty_one() {
    let app = spawn_app_with("[desk]\npage_size = 10\n").await;
    for _ in 0..20 {
        file_in(&app, "hn-ba-dinh").await;
    }
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let (seen, pages) = follow(&officer, "/desk").await;
    assert_eq!(seen.len(), 20);
    assert_eq!(pages, 2, "no third, empty page");
}

/// Committees as in the defaults, with the Ba Dinh committee given `ba_dinh_deadline` to
/// acknowledge.
fn committees(ba_dinh_deadline: &str) -> String {
    let committee = |id: &str, parent: Option<&str>, deadline: &str| {
        let parent = parent
            .map(|p| format!("parent = \"{p}\"\n"))
            .unwrap_or_default();
        format!(
            "[[parties.committees]]\nid = \"{id}\"\n{parent}name = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = \"{deadline}\"\ncontacts.emails = [\"{id}@example.org\"]\n"
        )
    };
    [
        committee("hn", None, "4h"),
        committee("hn-ba-dinh", Some("hn"), ba_dinh_deadline),
        committee("hn-ba-dinh-phuc-xa", Some("hn-ba-dinh"), "1h"),
        committee("hn-cau-giay", Some("hn"), "2h"),
        committee("hcm", None, "4h"),
        committee("hcm-q1", Some("hcm"), "2h"),
    ]
    .concat()
}

#[tokio::test]
async fn a_late_ticket_is_counted_flagged_and_filtered_as_overdue() {
    let app = spawn_app_with(&committees("1s")).await;
    let (_, late) = file_in(&app, "hn-ba-dinh").await;
    let (_, in_time) = file_in(&app, "hn-cau-giay").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let city = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let queue = city.page("/desk").await;
    assert_eq!(counter(&queue, "count-overdue"), 1, "one ticket is late");
    assert!(row(&queue, &late).contains("flag-overdue"));
    assert!(!row(&queue, &in_time).contains("flag-overdue"));
    assert!(!row(&queue, &late).contains("flag-failed"));
    assert_eq!(rows(&city.page("/desk?overdue=1").await), [late.as_str()]);
    let detail = city.page(&format!("/desk/incidents/{late}")).await;
    assert!(detail.contains("state-overdue"), "{detail}");

    let neighbour = Officer::create(&app, "cau.giay", Role::Officer, Some("hn-cau-giay")).await;
    let queue = neighbour.page("/desk").await;
    assert_eq!(counter(&queue, "count-overdue"), 0);
    assert!(rows(&neighbour.page("/desk?overdue=1").await).is_empty());
}

#[tokio::test]
async fn a_late_ticket_of_a_rejected_or_closed_incident_is_not_counted_or_listed_as_overdue() {
    let app = spawn_app_with(&committees("1s")).await;
    let (_, spam) = file_in(&app, "hn-ba-dinh").await;
    let (_, done) = file_in(&app, "hn-ba-dinh").await;
    let (_, live) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    for (reference, fields) in [
        (&spam, vec![("status", "rejected"), ("reason", "spam")]),
        (&done, vec![("status", "resolved")]),
        (&done, vec![("status", "closed")]),
    ] {
        let r = officer
            .post_form(&format!("/desk/incidents/{reference}/status"), &fields)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let queue = officer.page("/desk").await;
    assert!(row(&queue, &live).contains("flag-overdue"));
    assert_eq!(
        rows(&officer.page("/desk?overdue=1").await),
        [live.as_str()],
        "only the live incident waits for its party"
    );
    assert_eq!(counter(&queue, "count-overdue"), 1);
}

#[tokio::test]
async fn a_failed_delivery_is_counted_flagged_and_filtered() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(410)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    let failed = app.file(&report_for_hn()).await;
    let mut body = report_for_hn();
    body["page"]["url"] = json!("https://www.tiktok.com/@hn.news");
    let fine = app.file(&body).await;
    for filed in [&failed, &fine] {
        settled(&app, filed["id"].as_str().expect("id")).await;
    }
    let failed = failed["reference"].as_str().expect("reference");
    let fine = fine["reference"].as_str().expect("reference");

    let officer = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let queue = officer.page("/desk").await;
    assert_eq!(counter(&queue, "count-failed"), 1);
    assert!(row(&queue, failed).contains("flag-failed"));
    assert!(!row(&queue, fine).contains("flag-failed"));
    assert_eq!(rows(&officer.page("/desk?failed=1").await), [failed]);
    let below = Officer::create(&app, "ba.dinh", Role::Officer, Some("hn-ba-dinh")).await;
    assert_eq!(counter(&below.page("/desk").await, "count-failed"), 0);
}

/// The CSV at `path`, as records (the header first).
async fn csv_of(officer: &Officer<'_>, path: &str) -> Vec<Vec<String>> {
    let response = officer.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"incidents-")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let bytes = response.bytes().await.expect("body");
    csv::Reader::from_reader(&bytes[..])
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_header(officer: &Officer<'_>) -> Vec<String> {
    let response = officer.get("/desk/export.csv").await;
    let bytes = response.bytes().await.expect("body");
    csv::Reader::from_reader(&bytes[..])
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_csv_has_a_header_and_one_line_per_filtered_incident_of_the_scope() {
    let app = spawn_app().await;
    let badinh = file(&app, &report_in("hn-ba-dinh")).await;
    let tiktok = file(
        &app,
        &report(
            "hn-ba-dinh",
            "impersonated",
            "https://www.tiktok.com/@badinh.official",
            json!({ "state": "lost_control" }),
        ),
    )
    .await;
    let q1 = file(&app, &report_in("hcm-q1")).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    assert_eq!(
        csv_header(&officer).await,
        [
            "reference",
            "reported_at",
            "committee",
            "kind",
            "platform",
            "page",
            "status",
            "containment",
            "severity",
            "reporter",
            "overdue",
            "failed"
        ]
    );
    let lines = csv_of(&officer, "/desk/export.csv").await;
    let references: Vec<&str> = lines.iter().map(|l| l[0].as_str()).collect();
    assert_eq!(
        references,
        [tiktok.as_str(), badinh.as_str()],
        "newest first, in scope only"
    );
    let line = &lines[1];
    assert_eq!(line[2], "Ban Quận Ba Đình");
    assert_eq!(line[3], "hijacked");
    assert_eq!(line[4], "facebook");
    assert_eq!(line[5], "https://www.facebook.com/badinh.news");
    assert_eq!(line[6], "open");
    assert_eq!(line[7], "stopped");
    assert_eq!(line[9], "Nguyễn Văn An");
    assert_eq!((line[10].as_str(), line[11].as_str()), ("false", "false"));
    line[1].parse::<DateTime<Utc>>().expect("an RFC 3339 time");

    let filtered = csv_of(&officer, "/desk/export.csv?platform=tiktok").await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0][0], tiktok);
    let filtered = csv_of(&officer, "/desk/export.csv?committee=hcm").await;
    assert!(filtered.is_empty(), "{filtered:?}");
    // The queue's export link carries its filters.
    let queue = officer.page("/desk?platform=tiktok").await;
    assert!(
        queue.contains("href=\"/desk/export.csv?platform=tiktok\""),
        "{queue}"
    );

    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    let all = csv_of(&admin, "/desk/export.csv").await;
    let references: Vec<&str> = all.iter().map(|l| l[0].as_str()).collect();
    assert_eq!(references, [q1.as_str(), tiktok.as_str(), badinh.as_str()]);
}

#[tokio::test]
async fn values_that_look_like_formulas_are_neutralised_in_the_csv() {
    let app = spawn_app().await;
    let names = [
        "=HYPERLINK(\"http://evil.example/\",\"Bấm vào đây\")",
        "+84 là số của tôi",
        "-1+1 Nguyễn",
        "@SUM(A1:A9)",
    ];
    for name in names {
        let mut body = report_in("hn-ba-dinh");
        body["reporter"]["name"] = json!(name);
        app.file(&body).await;
    }
    let mut body = report_in("hn-ba-dinh");
    body["page"] = json!({ "platform": "zalo", "handle": "=1+2" });
    let by_handle = file(&app, &body).await;

    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let lines = csv_of(&officer, "/desk/export.csv").await;
    let mut reporters: Vec<&str> = lines.iter().map(|l| l[9].as_str()).collect();
    reporters.sort_unstable();
    let mut expected: Vec<String> = names.iter().map(|n| format!("'{n}")).collect();
    expected.push("Nguyễn Văn An".to_owned());
    expected.sort_unstable();
    assert_eq!(reporters, expected);
    let handle_line = lines
        .iter()
        .find(|l| l[0] == by_handle)
        .expect("the zalo line");
    assert_eq!(handle_line[5], "'=1+2");
}

#[tokio::test]
async fn an_empty_queue_says_so_and_offers_no_next_page() {
    let app = spawn_app().await;
    file_in(&app, "hcm-q1").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let queue = officer.page("/desk").await;
    assert!(rows(&queue).is_empty());
    assert!(queue.contains("id=\"empty\""));
    assert!(next_link(&queue).is_none());
    assert_eq!(counter(&queue, "count-open"), 0);
    let lines = csv_of(&officer, "/desk/export.csv").await;
    assert!(lines.is_empty());
}
