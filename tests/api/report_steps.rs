//! The report form in steps: each step keeps its answers in a draft under the browser's
//! form cookie, "Check your answers" shows them all with Change links, and only Submit
//! files the report, once.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestApp, hidden_input, spawn_app, spawn_app_with};
use crate::web::{Member, PNG, between, filed_and_busy, visible_text};

/// The answers of each step of a good report, in order.
pub fn steps() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "about-you",
            vec![
                ("reporter.name", "Nguyễn Thị Bình"),
                ("reporter.email", "binh@example.org"),
            ],
        ),
        ("committee", vec![("reporter.committee", "hn-ba-dinh")]),
        (
            "page",
            vec![
                ("page.url", "https://www.facebook.com/doan.phuong.x"),
                ("page.platform", "facebook"),
                ("page.created_on.month", "3"),
                ("page.created_on.year", "2019"),
            ],
        ),
        (
            "what-happened",
            vec![
                ("kind", "hijacked"),
                ("detected_at.day", "28"),
                ("detected_at.month", "11"),
                ("detected_at.year", "2026"),
                ("detected_at.hour", "7"),
                ("detected_at.minute", "30"),
                (
                    "description",
                    "Người lạ đã gỡ tôi khỏi quyền quản trị trang.",
                ),
            ],
        ),
        (
            "stopped",
            vec![
                ("containment.state", "stopped"),
                ("containment.stopped_at.day", "28"),
                ("containment.stopped_at.month", "11"),
                ("containment.stopped_at.year", "2026"),
                ("containment.stopped_at.hour", "21"),
                ("containment.stopped_at.minute", "15"),
                ("containment.actions", "password_changed"),
                ("containment.actions", "two_factor_enabled"),
            ],
        ),
        ("evidence", vec![]),
    ]
}

/// Answers one step as a browser would: opens it for its token, then sends it.
async fn answer(
    member: &Member<'_>,
    step: &str,
    fields: &[(&str, &str)],
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let path = format!("/report/{step}");
    member.post(&path, &path, fields, files).await
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// Answers every step, each going on to the next and the last to "Check your answers".
pub async fn answer_all(member: &Member<'_>) {
    let all = steps();
    for (i, (step, fields)) in all.iter().enumerate() {
        let response = answer(member, step, fields, Vec::new()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{step}");
        let next = match all.get(i + 1) {
            Some((next, _)) => format!("/report/{next}"),
            None => "/report/check".to_owned(),
        };
        assert_eq!(location(&response), next, "{step}");
    }
}

async fn submit(member: &Member<'_>) -> reqwest::Response {
    member
        .post("/report/check", "/report/check", &[], Vec::new())
        .await
}

/// Sends the Submit form of a check page already open (as a second tap would).
async fn press_submit(member: &Member<'_>, check: &str) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", hidden_input(check, "csrf_token"))
        .text("submission_id", hidden_input(check, "submission_id"));
    member
        .client
        .post(member.app.url("/report/check"))
        .multipart(form)
        .send()
        .await
        .expect("sent")
}

async fn drafts(app: &TestApp) -> i64 {
    let db = app.database().await;
    let conn = db.conn();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM report_drafts",
        ))
        .await
        .expect("count drafts")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("count")
}

#[tokio::test]
async fn a_report_is_answered_step_by_step_checked_and_filed_only_on_submit() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let start = member.page("/").await;
    assert!(start.contains("href=\"/report/about-you\""), "{start}");
    assert!(!start.contains("id=\"continue\""), "no draft yet");

    // Each step: where the member is, the way back, its own questions only.
    let first = member.page("/report/about-you").await;
    assert!(first.contains("Bước 1 trên 6"), "{first}");
    assert!(first.contains("<title>Bước 1 trên 6: Về bạn"), "{first}");
    assert!(first.contains("id=\"back\" href=\"/\""), "{first}");
    assert!(first.contains("name=\"reporter.name\""));
    assert!(!first.contains("name=\"kind\""), "one step at a time");
    let what = member.page("/report/what-happened").await;
    assert!(what.contains("Bước 4 trên 6"), "{what}");
    assert!(what.contains("id=\"back\" href=\"/report/page\""), "{what}");
    for part in ["day", "month", "year", "hour", "minute"] {
        assert!(
            what.contains(&format!("name=\"detected_at.{part}\"")),
            "{part}: {what}"
        );
    }
    assert!(
        !what.contains("datetime-local"),
        "dates in boxes, not a picker"
    );

    answer_all(&member).await;
    assert!(
        app.all_incidents().await.is_empty(),
        "nothing filed before Submit"
    );
    assert_eq!(drafts(&app).await, 1);

    // Check your answers: every answer in the member's words, each step changeable.
    let check = member.page("/report/check").await;
    let text = visible_text(&check);
    for expected in [
        "Kiểm tra câu trả lời trước khi gửi",
        "Nguyễn Thị Bình",
        "binh@example.org",
        "Ban Quận Ba Đình · Ban Thường trực Thành phố Hà Nội",
        "https://www.facebook.com/doan.phuong.x",
        "Facebook",
        "03/2019",
        "Bị chiếm quyền",
        "28/11/2026 07:30 (giờ Việt Nam)",
        "28/11/2026 21:15 (giờ Việt Nam)",
        "Không có tệp nào",
    ] {
        assert!(text.contains(expected), "lacks {expected:?}: {text}");
    }
    for step in [
        "about-you",
        "committee",
        "page",
        "what-happened",
        "stopped",
        "evidence",
    ] {
        assert!(
            check.contains(&format!("href=\"/report/{step}?change=1\"")),
            "{step}: {check}"
        );
    }
    assert!(!check.contains("error-summary"), "{check}");

    // A change goes back to the check page, not through the steps again.
    let change = member.page("/report/about-you?change=1").await;
    assert!(
        change.contains("id=\"back\" href=\"/report/check\""),
        "{change}"
    );
    assert!(
        change.contains("value=\"Nguyễn Thị Bình\""),
        "the answer is kept: {change}"
    );
    let changed = member
        .post(
            "/report/about-you?change=1",
            "/report/about-you",
            &[
                ("reporter.name", "Nguyễn Thị Bình An"),
                ("reporter.phone", "0912 345 678"),
                ("change", "1"),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/report/check");
    let check = member.page("/report/check").await;
    assert!(check.contains("Nguyễn Thị Bình An"));
    assert!(
        !check.contains("binh@example.org"),
        "a step's answers are replaced as a whole"
    );
    assert!(app.all_incidents().await.is_empty(), "still nothing filed");

    let filed = press_submit(&member, &check).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let confirmation = location(&filed);
    assert!(confirmation.ends_with("/confirmation"), "{confirmation}");
    let incidents = app.all_incidents().await;
    assert_eq!(incidents.len(), 1);
    let incident = &app.incident(incidents[0]["id"].as_str().expect("id")).await;
    assert_eq!(incident["reporter"]["name"], "Nguyễn Thị Bình An");
    assert_eq!(incident["reporter"]["committee"], "hn-ba-dinh");
    assert_eq!(incident["page"]["created_on"], "2019-03");
    assert_eq!(incident["detected_at"], "2026-11-28T00:30:00Z");
    assert_eq!(incident["containment"]["state"], "stopped");
    assert_eq!(incident["containment"]["at"], "2026-11-28T14:15:00Z");
    assert_eq!(
        incident["containment"]["actions"],
        serde_json::json!(["password_changed", "two_factor_enabled"])
    );
    let reference = incident["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    assert!(member.page(&confirmation).await.contains(&reference));

    // Submitted: the draft is gone, and a second Submit (a double tap) finds the report.
    assert_eq!(drafts(&app).await, 0);
    let again = press_submit(&member, &check).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert!(member.page(&location(&again)).await.contains(&reference));
    assert_eq!(app.all_incidents().await.len(), 1);
    let check = member.get("/report/check").await;
    assert_eq!(check.status(), StatusCode::SEE_OTHER, "no draft to check");
    let start = member.page("/").await;
    assert!(!start.contains("id=\"continue\""), "{start}");
}

#[tokio::test]
async fn a_draft_is_kept_a_day_under_the_form_cookie_and_gone_after_submit() {
    let app = spawn_app_with("[web]\ndraft_lifetime = \"24h\"\n").await;
    let member = Member::new(&app);
    let response = answer(&member, "about-you", &steps()[0].1, Vec::new()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The cookie outlives the browser session for as long as the draft is kept.
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("cookie").to_owned())
        .find(|c| c.starts_with("csrf="))
        .expect("the form cookie is set again");
    assert!(cookie.contains("Max-Age=86400"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    // Only the cookie's digest is stored.
    let value = cookie
        .trim_start_matches("csrf=")
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    assert!(app.tables_containing(&value).await.is_empty());

    // A day later, less a minute, the member comes back to their answers.
    let db = app.database().await;
    let age = |minutes: i64| {
        let conn = db.conn();
        let past = chrono::Utc::now() - chrono::TimeDelta::minutes(minutes);
        let sql = format!(
            "UPDATE report_drafts SET updated_at = '{}', expires_at = '{}'",
            past.to_rfc3339(),
            (past + chrono::TimeDelta::hours(24)).to_rfc3339()
        );
        async move {
            conn.execute_unprepared(&sql).await.expect("age the draft");
        }
    };
    age(24 * 60 - 1).await;
    let start = member.page("/").await;
    assert!(
        start.contains("id=\"continue\" href=\"/report/committee\""),
        "{start}"
    );
    let first = member.page("/report/about-you").await;
    assert!(first.contains("value=\"Nguyễn Thị Bình\""), "{first}");
    // Another browser does not see it.
    let other = Member::new(&app);
    assert!(!other.page("/").await.contains("id=\"continue\""));
    assert!(
        !other
            .page("/report/about-you")
            .await
            .contains("Nguyễn Thị Bình")
    );

    // Past its lifetime it is gone, and the worker deletes it.
    age(24 * 60 + 1).await;
    assert!(!member.page("/").await.contains("id=\"continue\""));
    assert!(
        !member
            .page("/report/about-you")
            .await
            .contains("Nguyễn Thị Bình")
    );
    assert_eq!(drafts(&app).await, 1);
    app.dispatch_until_idle().await;
    assert_eq!(drafts(&app).await, 0);

    // A draft with a file, deleted by the member: the file goes with it.
    let kept = answer(&member, "about-you", &steps()[0].1, Vec::new()).await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    let mut own = PNG.to_vec();
    own.extend_from_slice(b"only in this draft");
    let added = answer(&member, "evidence", &[], vec![("rieng.png", own)]).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let files = crate::web::files_under(app.evidence.path()).len();
    let start = member.page("/").await;
    assert!(start.contains("id=\"discard\""), "{start}");
    let dropped = member.post("/", "/report/discard", &[], Vec::new()).await;
    assert_eq!(dropped.status(), StatusCode::SEE_OTHER);
    assert_eq!(drafts(&app).await, 0);
    assert_eq!(
        crate::web::files_under(app.evidence.path()).len(),
        files - 1
    );
    assert!(!member.page("/").await.contains("id=\"continue\""));

    // A new draft, answered and submitted, is gone with the Submit.
    answer_all(&member).await;
    assert_eq!(drafts(&app).await, 1);
    assert_eq!(submit(&member).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(drafts(&app).await, 0);
    assert!(!member.page("/").await.contains("id=\"continue\""));
}

/// A step, what is sent on it, the field the error is on, and what the error says.
type RefusedStep = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
);

#[tokio::test]
async fn a_refused_step_says_why_keeps_what_was_typed_and_stays() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let cases: Vec<RefusedStep> = vec![
        (
            "about-you",
            vec![("reporter.name", "Bình")],
            "reporter-contact",
            "Vui lòng cho biết email hoặc số điện thoại",
        ),
        (
            "what-happened",
            vec![
                ("kind", "hijacked"),
                ("detected_at.day", "28"),
                ("detected_at.month", "11"),
                ("detected_at.year", "2026"),
                ("description", "Trang bị chiếm."),
            ],
            "detected_at",
            "Vui lòng nhập đủ ngày, tháng, năm, giờ và phút.",
        ),
        (
            "what-happened",
            vec![
                ("kind", "hijacked"),
                ("detected_at.day", "31"),
                ("detected_at.month", "2"),
                ("detected_at.year", "2026"),
                ("detected_at.hour", "8"),
                ("detected_at.minute", "0"),
                ("description", "Trang bị chiếm."),
            ],
            "detected_at",
            "Vui lòng nhập một ngày giờ có thật",
        ),
        (
            "page",
            vec![
                ("page.url", "https://www.facebook.com/x"),
                ("page.created_on.day", "5"),
                ("page.created_on.year", "2019"),
            ],
            "page-created_on",
            "Vui lòng nhập năm, hoặc tháng và năm",
        ),
        (
            "stopped",
            vec![("containment.state", "stopped")],
            "containment-stopped_at",
            "Vui lòng điền mục này.",
        ),
        (
            "committee",
            vec![("reporter.committee", "no-such-unit")],
            "reporter-committee",
            "",
        ),
    ];
    for (step, fields, id, message) in cases {
        let response = answer(&member, step, &fields, Vec::new()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{step} {fields:?}"
        );
        let html = response.text().await.expect("html");
        assert!(html.contains("<title>Lỗi: Bước"), "{step}: {html}");
        assert!(html.contains("class=\"error-summary\""), "{step}");
        assert!(html.contains("autofocus"), "{step}");
        assert!(
            html.contains(&format!("href=\"#{id}\"")),
            "{step} {id}: {html}"
        );
        assert!(
            html.contains(&format!("id=\"{id}-error\"")),
            "{step} {id}: {html}"
        );
        assert!(html.contains(message), "{step}: {message}: {html}");
        for (name, value) in &fields {
            if !matches!(*name, "containment.actions" | "kind" | "reporter.committee") {
                assert!(
                    html.contains(&format!("name=\"{name}\" value=\"{value}\""))
                        || html.contains(&format!(">{value}</textarea>")),
                    "{step}: {name} kept: {html}"
                );
            }
        }
    }
    // Going on past a refused step is not possible: the check page sends back to it.
    let check = member.page("/report/check").await;
    assert!(check.contains("<title>Lỗi:"), "{check}");
    assert!(
        check.contains("href=\"/report/about-you?change=1#reporter-contact\""),
        "{check}"
    );
    let refused = submit(&member).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.all_incidents().await.is_empty());
    // A step that does not exist is not found.
    assert_eq!(
        member.get("/report/nowhere").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn evidence_added_on_its_step_is_filed_with_the_report_and_can_be_removed() {
    let app = spawn_app_with("[evidence]\nmax_files = 2\n").await;
    let member = Member::new(&app);
    answer_all(&member).await;
    let png = |tail: &[u8]| {
        let mut bytes = PNG.to_vec();
        bytes.extend_from_slice(tail);
        bytes
    };
    let added = answer(
        &member,
        "evidence",
        &[],
        vec![
            ("trang-bi-chiem.png", png(b"")),
            ("tin-nhan.png", png(b"2")),
        ],
    )
    .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&added), "/report/check");
    let check = member.page("/report/check").await;
    let files = between(&check, "id=\"answers-evidence\"", "</section>");
    assert!(
        files.contains("trang-bi-chiem.png, tin-nhan.png"),
        "{files}"
    );

    // The step lists them, each with its own "remove" box.
    let step = member.page("/report/evidence").await;
    assert!(step.contains("Bỏ tệp trang-bi-chiem.png"), "{step}");
    let second = between(&step, "id=\"remove-2\" name=\"remove\" value=\"", "\"").to_owned();
    assert!(step.contains("Bỏ tệp tin-nhan.png"), "{step}");
    // A third file is one too many while both are kept.
    let refused = answer(&member, "evidence", &[], vec![("them.png", png(b"3"))]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("id=\"evidence-error\""), "{html}");
    assert!(html.contains("Chỉ gửi được tối đa 2 tệp."), "{html}");
    // Removing one makes room for it.
    let swapped = answer(
        &member,
        "evidence",
        &[("remove", &second)],
        vec![("them.png", png(b"3"))],
    )
    .await;
    assert_eq!(swapped.status(), StatusCode::SEE_OTHER);
    let check = member.page("/report/check").await;
    let files = between(&check, "id=\"answers-evidence\"", "</section>");
    assert!(files.contains("trang-bi-chiem.png, them.png"), "{files}");
    assert!(!files.contains("tin-nhan.png"), "{files}");

    let filed = submit(&member).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let confirmation = location(&filed);
    let tracking = confirmation.trim_end_matches("/confirmation");
    let tracking = member.page(tracking).await;
    assert!(tracking.contains("trang-bi-chiem.png"), "{tracking}");
    assert!(tracking.contains("them.png"), "{tracking}");
    assert!(!tracking.contains("tin-nhan.png"), "{tracking}");
}

#[tokio::test]
async fn a_submit_beyond_the_reports_in_progress_keeps_the_draft_for_the_next_submit() {
    let app = spawn_app_with("[server]\nmax_filings_in_progress = 1\n").await;
    let members: Vec<Member> = (0..12).map(|_| Member::new(&app)).collect();
    let mut checks = Vec::new();
    for member in &members {
        answer_all(member).await;
        checks.push(member.page("/report/check").await);
    }
    assert_eq!(drafts(&app).await, 12);
    // Everyone presses Submit at once.
    let answers = futures_util::future::join_all(
        members
            .iter()
            .zip(&checks)
            .map(|(member, check)| press_submit(member, check)),
    )
    .await;
    let (filed, refused) = filed_and_busy(answers).await;
    assert!(filed >= 1, "no report was filed");
    assert!(
        !refused.is_empty(),
        "12 submits at once, one at a time allowed, none refused"
    );
    assert_eq!(app.all_incidents().await.len(), filed);
    // The refused members' drafts are still there, and their next Submit files them.
    assert_eq!(drafts(&app).await, refused.len() as i64);
    for i in refused {
        let answer = press_submit(&members[i], &checks[i]).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.all_incidents().await.len(), 12);
    assert_eq!(drafts(&app).await, 0);
}
