//! The CSV of the queue's filtered set: a header, one line per incident of the scope, and
//! no cell a spreadsheet would run as a formula.

use chrono::{DateTime, Utc};
use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Officer, file, report, report_in};
use crate::helpers::spawn_app;

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
