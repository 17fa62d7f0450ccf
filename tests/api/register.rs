//! The page register, from the member's side: sign-in by one-time email link (single use,
//! expiry, budgets, no account enumeration), the member's own session realm, declaring,
//! editing and closing pages with their history, choosing a committee, confirming.

use reqwest::{Client, StatusCode};
use sea_orm::ConnectionTrait;

use crate::helpers::{Held, TestApp, browser_client, hidden_input, spawn_app_with};
use crate::smtp::{SinkMode, SmtpSink};

pub async fn register_app(sink: &SmtpSink, extra: &str) -> TestApp {
    spawn_app_with(&format!(
        "{extra}\n[email]\nsmtp_url = \"{}\"\n",
        sink.url()
    ))
    .await
}

/// Asks for a sign-in link through the form, as a browser does; the page's text.
pub async fn ask_link(app: &TestApp, client: &Client, email: &str) -> (StatusCode, String) {
    let form = client
        .get(app.url("/me/sign-in"))
        .send()
        .await
        .expect("sign-in form")
        .text()
        .await
        .expect("body");
    let token = hidden_input(&form, "csrf_token");
    let response = client
        .post(app.url("/me/sign-in"))
        .form(&[("email", email), ("csrf_token", token.as_str())])
        .send()
        .await
        .expect("ask for a link");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The sign-in links mailed to `email`, in order.
pub async fn links_to(sink: &SmtpSink, email: &str) -> Vec<String> {
    sink.messages()
        .await
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(email)))
        .filter_map(|m| {
            let text = m.parsed().body_text(0).map(|t| t.to_string())?;
            text.split_whitespace()
                .find(|w| w.contains("/me/link/"))
                .map(str::to_owned)
        })
        .collect()
}

/// The path of a mailed link (`/me/link/<token>`).
pub fn path_of(link: &str) -> String {
    let at = link.find("/me/link/").expect("a sign-in link");
    link[at..].to_owned()
}

/// Opens a mailed link and presses its button; the answer to the press.
pub async fn follow(app: &TestApp, client: &Client, link: &str) -> reqwest::Response {
    let path = path_of(link);
    let page = client.get(app.url(&path)).send().await.expect("link page");
    assert_eq!(page.status(), StatusCode::OK, "the link opens its page");
    let token = hidden_input(&page.text().await.expect("body"), "csrf_token");
    client
        .post(app.url(&path))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("press sign in")
}

/// A member signed in through the whole email round trip.
pub async fn signed_in(app: &TestApp, sink: &SmtpSink, email: &str) -> Client {
    let client = browser_client();
    let (status, _) = ask_link(app, &client, email).await;
    assert_eq!(status, StatusCode::OK);
    app.dispatch_until_idle().await;
    let link = links_to(sink, email).await.pop().expect("a link arrived");
    let pressed = follow(app, &client, &link).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    assert_eq!(pressed.headers()["location"], "/me");
    client
}

async fn page(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let r = client.get(app.url(path)).send().await.expect("get");
    let status = r.status();
    (status, r.text().await.expect("body"))
}

/// Posts a form of the page at `form_path` to `action`, with its CSRF token.
pub async fn post_form(
    app: &TestApp,
    client: &Client,
    form_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, client, form_path).await;
    let token = hidden_input(&html, "csrf_token");
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf_token", token.as_str()));
    client
        .post(app.url(action))
        .form(&all)
        .send()
        .await
        .expect("post form")
}

/// Chooses a committee by searching its name, as the member does.
pub async fn choose_committee(app: &TestApp, client: &Client, committee: &str) {
    let r = post_form(
        app,
        client,
        "/me/committee?q=Ba+Dinh",
        "/me/committee",
        &[("committee", committee), ("q", "Ba Dinh")],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

pub fn full_declaration() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Tin tức Ba Đình"),
        ("url", "https://www.facebook.com/badinh.news"),
        ("created_day", ""),
        ("created_month", "3"),
        ("created_year", "2019"),
        ("purpose", "Đưa tin hoạt động của chi bộ"),
        ("status", "active"),
        ("linked_phone", "0912 345 678"),
        ("linked_email", "admin.badinh@example.org"),
        ("admins[0].account", "@lan.nguyen"),
        ("admins[0].role", "owner"),
        ("admins[1].account", "Trần Văn Minh"),
        ("admins[1].role", "editor"),
        ("memberships[0].name", "Nhóm Phúc Xá"),
        (
            "memberships[0].url",
            "https://www.facebook.com/groups/phucxa",
        ),
    ]
}

/// Declares the full declaration; the new page's path.
pub async fn declare(app: &TestApp, client: &Client, fields: &[(&str, &str)]) -> String {
    let r = post_form(app, client, "/me/pages/new", "/me/pages/new", fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    location.split('?').next().expect("path").to_owned()
}

#[tokio::test]
async fn a_sign_in_link_arrives_by_email_and_works_once() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let client = browser_client();
    let (status, body) = ask_link(&app, &client, "Lan.Nguyen@Example.org").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("id=\"link-sent\""), "{body}");
    let step = app.dispatch_once().await;
    assert_eq!(step.member_mails, 1, "{step:?}");
    let links = links_to(&sink, "lan.nguyen@example.org").await;
    assert_eq!(links.len(), 1);
    let mail = &sink.messages().await[0];
    let subject = mail.parsed().subject().unwrap_or_default().to_owned();
    assert_eq!(subject, "Liên kết đăng nhập để khai báo trang của bạn");

    // A mail scanner that fetches the link does not spend it.
    let scanner = browser_client();
    let (seen, _) = page(&app, &scanner, &path_of(&links[0])).await;
    assert_eq!(seen, StatusCode::OK);

    let pressed = follow(&app, &client, &links[0]).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let (status, home) = page(&app, &client, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("lan.nguyen@example.org"), "{home}");

    // Used once, the link opens nothing any more, for anyone.
    let other = browser_client();
    let (status, spent) = page(&app, &other, &path_of(&links[0])).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(spent.contains("id=\"link-spent\""));
    let (_, form) = page(&app, &other, "/me/sign-in").await;
    let token = hidden_input(&form, "csrf_token");
    let again = other
        .post(app.url(&path_of(&links[0])))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::GONE);
    let (status, _) = page(&app, &other, "/me").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no session from a spent link"
    );

    // Only the link's digest is stored.
    let token = path_of(&links[0])
        .trim_start_matches("/me/link/")
        .to_owned();
    assert!(app.tables_containing(&token).await.is_empty());
}

#[tokio::test]
async fn an_expired_link_does_not_sign_in() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let client = browser_client();
    ask_link(&app, &client, "minh@example.org").await;
    app.dispatch_until_idle().await;
    let link = links_to(&sink, "minh@example.org")
        .await
        .pop()
        .expect("link");
    let db = app.database().await;
    db.conn()
        .execute_unprepared(&format!(
            "UPDATE member_links SET expires_at = '{}'",
            (chrono::Utc::now() - chrono::TimeDelta::minutes(1)).to_rfc3339()
        ))
        .await
        .expect("age the link");
    let (status, _) = page(&app, &client, &path_of(&link)).await;
    assert_eq!(status, StatusCode::GONE);
    let (_, form) = page(&app, &client, "/me/sign-in").await;
    let token = hidden_input(&form, "csrf_token");
    let pressed = client
        .post(app.url(&path_of(&link)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(pressed.status(), StatusCode::GONE);
    let (status, _) = page(&app, &client, "/me").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_answer_is_the_same_for_any_address_and_budgets_hold() {
    let sink = SmtpSink::start().await;
    let app = register_app(
        &sink,
        "[register]\nsign_in_per_email = { max = 2, window = \"15m\" }\nsign_in_per_address = { per_minute = 1, burst = 6 }\n",
    )
    .await;
    let client = browser_client();
    // A member who exists (has signed in and declared) and an address never seen.
    let known = signed_in(&app, &sink, "known@example.org").await;
    drop(known);
    let (s1, known_page) = ask_link(&app, &client, "known@example.org").await;
    let (s2, unknown_page) = ask_link(&app, &client, "stranger@example.org").await;
    assert_eq!(s1, s2);
    assert_eq!(
        known_page.replace("known@example.org", "X"),
        unknown_page.replace("stranger@example.org", "X"),
        "the same page whether or not the address is known"
    );
    // Past the address's budget of links, the answer is the same, and nothing is sent.
    let (s3, third) = ask_link(&app, &client, "known@example.org").await;
    assert_eq!(s3, StatusCode::OK);
    assert_eq!(
        third.replace("known@example.org", "X"),
        unknown_page.replace("stranger@example.org", "X")
    );
    app.dispatch_until_idle().await;
    assert_eq!(
        links_to(&sink, "known@example.org").await.len(),
        2,
        "one from sign-in, one more; the third never sent"
    );
    // The client address's budget (6 in a burst, already spent on 4 asks and 1 here).
    ask_link(&app, &client, "a@example.org").await;
    ask_link(&app, &client, "b@example.org").await;
    let (status, body) = ask_link(&app, &client, "c@example.org").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // A malformed address is told so, on the field.
    let (status, _) = ask_link(&app, &browser_client(), "not an address").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address's budget is spent first"
    );
}

#[tokio::test]
async fn a_malformed_address_is_refused_on_its_field() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let (status, body) = ask_link(&app, &browser_client(), "not an address").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("<title>Lỗi:"), "{body}");
    assert!(body.contains("href=\"#email\""), "{body}");
    app.dispatch_until_idle().await;
    assert!(sink.messages().await.is_empty());
}

#[tokio::test]
async fn a_link_waits_while_the_mail_server_is_down_and_arrives_after() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    sink.set_mode(SinkMode::TempFail);
    ask_link(&app, &browser_client(), "patient@example.org").await;
    app.dispatch_once().await;
    assert!(links_to(&sink, "patient@example.org").await.is_empty());
    sink.set_mode(SinkMode::Accept);
    app.dispatch_until_idle().await;
    assert_eq!(links_to(&sink, "patient@example.org").await.len(), 1);
}

#[tokio::test]
async fn member_and_desk_sessions_never_stand_for_each_other() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let member = signed_in(&app, &sink, "realm@example.org").await;
    let (status, _) = page(&app, &member, "/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = page(&app, &member, "/desk").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a member's session does not open the desk"
    );

    // An officer's session does not open a member's pages.
    let password = app
        .create_officer("officer1", incident_desk::domain::access::Role::Admin, None)
        .await;
    let officer = browser_client();
    let (_, form) = page(&app, &officer, "/desk/sign-in").await;
    let token = hidden_input(&form, "csrf_token");
    let r = officer
        .post(app.url("/desk/sign-in"))
        .form(&[
            ("username", "officer1"),
            ("password", password.as_str()),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = page(&app, &officer, "/desk").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = page(&app, &officer, "/me").await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Signing out ends the member's session.
    let r = post_form(&app, &member, "/me", "/me/sign-out", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = page(&app, &member, "/me").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_session_the_database_cannot_answer_for_in_time_is_503_and_opens_again_after() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "[database]\nmax_connections = 1\nwait = \"1s\"\n").await;
    let member = signed_in(&app, &sink, "busy@example.org").await;
    let password = app
        .create_officer("officer1", incident_desk::domain::access::Role::Admin, None)
        .await;
    let officer = crate::desk::Officer::signed_in(&app, "officer1", &password).await;

    // On PostgreSQL the session waits for the pool's only connection; on SQLite the page is
    // read, and the session's new expiry waits on the file's write lock.
    let held = Held::take(&app).await;
    let me = member.get(app.url("/me")).send().await.expect("get");
    let desk = officer.get("/desk").await;
    held.release().await;
    for (realm, refused) in [("member", me), ("desk", desk)] {
        let (status, retry) = (
            refused.status(),
            refused.headers().get("retry-after").cloned(),
        );
        let body = refused.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{realm}: {body}");
        assert_eq!(
            retry.as_ref().map(|v| v.as_bytes()),
            Some(&b"1"[..]),
            "{realm}"
        );
    }

    // Both sessions are still open.
    let (status, _) = page(&app, &member, "/me").await;
    assert_eq!(status, StatusCode::OK);
    officer.page("/desk").await;
}

#[tokio::test]
async fn a_member_declares_edits_and_closes_a_page_and_every_version_is_kept() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let client = signed_in(&app, &sink, "lan@example.org").await;
    // No committee yet: declaring starts by choosing one, found by name without marks.
    let r = client
        .get(app.url("/me/pages/new"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .starts_with("/me/committee")
    );
    let (_, found) = page(&app, &client, "/me/committee?q=ba+dinh").await;
    assert!(found.contains("Ban Quận Ba Đình"), "{found}");
    choose_committee(&app, &client, "hn-ba-dinh").await;

    let path = declare(&app, &client, &full_declaration()).await;
    let (status, shown) = page(&app, &client, &path).await;
    assert_eq!(status, StatusCode::OK);
    for fact in [
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
        "03/2019",
        "0912345678",
        "admin.badinh@example.org",
        "@lan.nguyen (Chủ sở hữu)",
        "Trần Văn Minh (Biên tập viên)",
        "Nhóm Phúc Xá",
        "Phiên bản 1",
    ] {
        assert!(shown.contains(fact), "{fact} in {shown}");
    }

    // Declaring the same page twice is refused on its field.
    let r = post_form(
        &app,
        &client,
        "/me/pages/new",
        "/me/pages/new",
        &full_declaration(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Bạn đã khai báo trang này rồi."), "{body}");

    // Edit: a new version; the first stays in the history.
    let mut edited = full_declaration();
    edited.retain(|(k, _)| *k != "purpose");
    edited.push(("purpose", "Trang tin của chi bộ Phúc Xá"));
    let r = post_form(
        &app,
        &client,
        &format!("{path}/edit"),
        &format!("{path}/edit"),
        &edited,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Close, saying it was deleted on the platform.
    let today = (chrono::Utc::now() + chrono::TimeDelta::hours(7))
        .date_naive()
        .to_string();
    let r = post_form(
        &app,
        &client,
        &format!("{path}/close"),
        &format!("{path}/close"),
        &[
            ("closed_on", today.as_str()),
            ("closed_reason", "Không còn dùng"),
            ("deleted_on_platform", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, shown) = page(&app, &client, &path).await;
    for fact in [
        "Phiên bản 3",
        "Đã đóng",
        "Không còn dùng",
        "Trang đã được xóa hẳn trên nền tảng",
        "Khai báo lần đầu",
        "Đóng trang",
        "Đưa tin hoạt động của chi bộ",
        "Trang tin của chi bộ Phúc Xá",
    ] {
        assert!(shown.contains(fact), "{fact} in {shown}");
    }
    let db = app.database().await;
    let versions = db
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            db.backend(),
            "SELECT COUNT(*) AS n FROM register_page_versions",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(versions, 3);

    // Another member never sees it.
    let other = signed_in(&app, &sink, "other@example.org").await;
    let (status, _) = page(&app, &other, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &other, &format!("{path}/edit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_declaration_with_broken_rules_names_each_field_and_keeps_nothing() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let client = signed_in(&app, &sink, "err@example.org").await;
    choose_committee(&app, &client, "hn-ba-dinh").await;
    let r = post_form(
        &app,
        &client,
        "/me/pages/new",
        "/me/pages/new",
        &[
            ("name", ""),
            ("url", "facebook.com/x"),
            ("created_day", "31"),
            ("created_month", "2"),
            ("created_year", "2019"),
            ("purpose", "x"),
            ("status", "active"),
            ("linked_phone", "12"),
            ("admins[0].account", "@a"),
            ("admins[0].role", "king"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("<title>Lỗi: Khai báo trang"), "{body}");
    for id in ["#name", "#url", "#created_on", "#linked_phone", "#admins"] {
        assert!(body.contains(&format!("href=\"{id}\"")), "{id} in {body}");
    }
    // What was typed is shown again.
    assert!(body.contains("value=\"facebook.com/x\""));
    let (_, home) = page(&app, &client, "/me").await;
    assert!(home.contains("id=\"no-pages\""));

    // A form without its CSRF token is refused.
    let r = client
        .post(app.url("/me/pages/new"))
        .form(&full_declaration())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn confirming_the_declaration_records_when() {
    let sink = SmtpSink::start().await;
    let app = register_app(&sink, "").await;
    let client = signed_in(&app, &sink, "confirm@example.org").await;
    choose_committee(&app, &client, "hn-ba-dinh").await;
    declare(&app, &client, &full_declaration()).await;
    let r = post_form(&app, &client, "/me", "/me/confirm", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, home) = page(&app, &client, "/me?done=confirmed").await;
    assert!(home.contains("id=\"confirmed-at\""), "{home}");
    assert!(home.contains("khai báo đã được xác nhận"), "{home}");
}
