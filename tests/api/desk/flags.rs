//! The attention flags of a queue row and their counters: tickets past their deadline and
//! deliveries that failed.

use std::time::Duration;

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Officer, counter, file_in, rows};
use crate::{
    helpers::spawn_app_with,
    notifications::{app_with, report_for_hn, settled},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

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
