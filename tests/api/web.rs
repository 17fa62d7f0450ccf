//! The member web through HTTP: the report form, its errors, the confirmation and the
//! tracking page, in both languages, with their protections.

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};

use crate::helpers::{TestApp, browser_client, hidden_input, spawn_app, spawn_app_with};

/// The first bytes of a PNG image: enough for the type to be read from the bytes.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

/// A member's browser on the report form.
pub struct Member<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

/// The first step of the form, whose page carries the form token.
pub const FIRST_STEP: &str = "/report/about-you";

pub fn good_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("reporter.name", "Nguyễn Thị Bình"),
        ("reporter.email", "binh@example.org"),
        ("reporter.phone", "0912 345 678"),
        ("reporter.committee", "hn-ba-dinh"),
        ("page.url", "https://www.facebook.com/doan.phuong.x"),
        ("page.display_name", "Đoàn phường X"),
        ("page.linked_email", "page-admin@example.org"),
        ("kind", "hijacked"),
        ("detected_at", "2026-11-28T07:30"),
        (
            "description",
            "Người lạ đã gỡ tôi khỏi quyền quản trị trang.",
        ),
        ("containment.state", "lost_control"),
    ]
}

impl<'a> Member<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: browser_client(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .send()
            .await
            .expect("sent")
    }

    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("html")
    }

    /// Opens `page` for its form token, then posts `fields` and `files` to `action`.
    pub async fn post(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, Vec<u8>)>,
    ) -> reqwest::Response {
        let html = self.page(page).await;
        let mut form = Form::new().text("csrf_token", hidden_input(&html, "csrf_token"));
        if html.contains("name=\"submission_id\"") {
            let mut submission = hidden_input(&html, "submission_id");
            if submission.is_empty() {
                // A step page before any answer has no draft yet: the whole form sent at
                // once brings a key of its own.
                submission = uuid::Uuid::now_v7().simple().to_string();
            }
            form = form.text("submission_id", submission);
        }
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, bytes) in files {
            form = form.part("evidence", Part::bytes(bytes).file_name(name.to_owned()));
        }
        self.client
            .post(self.app.url(action))
            .multipart(form)
            .send()
            .await
            .expect("sent")
    }

    pub async fn report(
        &self,
        fields: &[(&str, &str)],
        files: Vec<(&str, Vec<u8>)>,
    ) -> reqwest::Response {
        self.post(FIRST_STEP, "/", fields, files).await
    }

    /// Files a good report and returns its tracking token.
    pub async fn file_report(&self) -> String {
        let response = self
            .report(&good_fields(), vec![("trang-bi-chiem.png", PNG.to_vec())])
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().expect("location");
        location
            .strip_prefix("/track/")
            .and_then(|rest| rest.strip_suffix("/confirmation"))
            .expect("a confirmation address")
            .to_owned()
    }
}

fn with(
    mut fields: Vec<(&'static str, &'static str)>,
    name: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    fields.retain(|(n, _)| *n != name);
    fields.push((name, value));
    fields
}

/// Sorts the answers to forms sent at once: how many were filed (303), and which were
/// refused with the busy page and `Retry-After: 1`. Any other answer fails the test.
pub async fn filed_and_busy(answers: Vec<reqwest::Response>) -> (usize, Vec<usize>) {
    let mut filed = 0;
    let mut refused = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        match answer.status() {
            StatusCode::SEE_OTHER => filed += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                refused.push(i);
                assert_eq!(answer.headers()["retry-after"], "1");
                let html = answer.text().await.expect("html");
                assert!(
                    html.contains("Đang có rất nhiều báo cáo gửi đến cùng lúc"),
                    "{html}"
                );
            }
            other => panic!(
                "answered {other}: {}",
                answer.text().await.unwrap_or_default()
            ),
        }
    }
    (filed, refused)
}

pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn the_form_is_vietnamese_by_default_and_english_when_asked() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let response = member.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        !csp.contains("script-src"),
        "no script at all is allowed: {csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let html = response.text().await.expect("html");
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("Bắt đầu báo cáo"), "{html}");
    assert!(html.contains("id=\"lang-switch\" href=\"/?lang=en\""));
    // A small organisation's committees are all offered on their step.
    let step = member.page("/report/committee").await;
    for committee in ["hn", "hn-ba-dinh", "hcm"] {
        assert!(
            step.contains(&format!(
                "name=\"reporter.committee\" value=\"{committee}\""
            )),
            "{committee}"
        );
    }
    for step in ["/", FIRST_STEP, "/report/page", "/report/stopped"] {
        let html = member.page(step).await;
        assert!(!html.to_lowercase().contains("type=\"password\""), "{step}");
    }

    let english = member.page("/?lang=en").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Start your report"));
    // Remembered in a cookie.
    let again = member.page("/").await;
    assert!(again.contains("<html lang=\"en\">"));
    // Accept-Language, for a browser that never chose.
    let fresh = browser_client()
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("html");
    assert!(fresh.contains("<html lang=\"en\">"));
    let css = member.get("/static/site.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_good_report_lands_on_its_confirmation_with_the_evidence_stored_by_digest() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    assert!(token.len() >= 22, "a 128-bit token: {token}");

    let confirmation = member.page(&format!("/track/{token}/confirmation")).await;
    let incidents = app.all_incidents().await;
    assert_eq!(incidents.len(), 1);
    let reference = incidents[0]["reference"].as_str().expect("reference");
    assert!(
        confirmation.contains(&format!("id=\"reference\">{reference}<")),
        "{confirmation}"
    );
    assert!(confirmation.contains(&format!(
        "id=\"tracking-link\" class=\"secret-link\" href=\"http://127.0.0.1/track/{token}\""
    )));
    // Guidance for Facebook from the configuration, and a summary to paste.
    assert!(confirmation.contains("https://www.facebook.com/hacked"));
    assert!(confirmation.contains("https://www.facebook.com/doan.phuong.x"));
    assert_eq!(
        confirmation.matches("class=\"party\"").count(),
        3,
        "{confirmation}"
    );
    // Who is notified, named from the tickets the report opened.
    assert!(
        confirmation.contains(
            "<li class=\"notified\">Chúng tôi đang thông báo cho Ban Quận Ba Đình (đơn vị của bạn), Trung tâm Ứng cứu khẩn cấp không gian mạng (cơ quan chức năng) và nền tảng Meta (Facebook, Instagram) qua email và hệ thống của các bên.</li>"
        ),
        "{confirmation}"
    );
    assert_eq!(confirmation.matches("class=\"notified\"").count(), 1);

    let detail = app.incident(incidents[0]["id"].as_str().expect("id")).await;
    assert_eq!(detail["source"], "web");
    assert_eq!(detail["reporter"]["name"], "Nguyễn Thị Bình");
    assert_eq!(detail["containment"]["state"], "lost_control");
    assert_eq!(
        detail["detected_at"], "2026-11-28T00:30:00Z",
        "typed in UTC+7"
    );

    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(PNG));
    let stored = files_under(app.evidence.path());
    assert!(
        stored
            .iter()
            .any(|p| p.ends_with(format!("{}/{digest}", &digest[..2]))),
        "{stored:?}"
    );
    let tracking = member.page(&format!("/track/{token}")).await;
    assert!(tracking.contains("trang-bi-chiem.png"));
}

#[tokio::test]
async fn a_refused_report_comes_back_with_what_was_typed_and_each_error_beside_its_field() {
    let app = spawn_app().await;
    for (lang, url_message, files_message) in [
        (
            "vi",
            "Vui lòng nhập địa chỉ hợp lệ",
            "Các tệp bạn đã chọn chưa được lưu",
        ),
        (
            "en",
            "Enter an address such as",
            "The files you chose were not kept",
        ),
    ] {
        let member = Member::new(&app);
        member.page(&format!("/?lang={lang}")).await;
        let fields = with(good_fields(), "page.url", "not a url");
        let fields = with(fields, "reporter.email", "binh@");
        let response = member
            .report(&fields, vec![("proof.png", PNG.to_vec())])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.expect("html");
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        // The title says there is an error, and the summary takes the focus without script.
        let title = if lang == "vi" {
            "<title>Lỗi: "
        } else {
            "<title>Error: "
        };
        assert!(html.contains(title), "{html}");
        assert!(
            html.contains("<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\" autofocus>"),
            "{html}"
        );
        assert!(html.contains("<a href=\"#page-url\">"), "{html}");
        assert!(html.contains("<a href=\"#reporter-email\">"));
        let beside = html
            .find("id=\"page-url-error\"")
            .expect("the error beside the field");
        let input = html
            .find("id=\"page-url\" name=\"page.url\"")
            .expect("the field");
        assert!(beside < input, "the message comes right before its input");
        assert!(
            html[beside..input].contains(url_message),
            "{}",
            &html[beside..input]
        );
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains(files_message));
        // What was typed is kept.
        assert!(html.contains("value=\"Nguyễn Thị Bình\""));
        assert!(html.contains("value=\"not a url\""));
        assert!(html.contains("Người lạ đã gỡ tôi khỏi quyền quản trị trang.</textarea>"));
        assert!(html.contains("value=\"lost_control\" checked"));
        assert!(html.contains("<option value=\"hn-ba-dinh\" selected>"));
    }
    assert!(app.all_incidents().await.is_empty());
    assert!(
        files_under(app.evidence.path()).is_empty(),
        "refused uploads are deleted"
    );
}

#[tokio::test]
async fn files_are_typed_from_their_bytes_and_held_to_their_limits() {
    let app = spawn_app_with("[evidence]\nmax_files = 2\nmax_file_bytes = 4096\n").await;
    let member = Member::new(&app);
    let response = member
        .report(
            &good_fields(),
            vec![("looks-like.png", b"MZ\x90\0\x03 a program".to_vec())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"evidence-error\""));
    assert!(
        html.contains("looks-like.png"),
        "the message names the file: {html}"
    );

    let mut big = PNG.to_vec();
    big.resize(5000, 0);
    let response = member.report(&good_fields(), vec![("big.png", big)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"evidence-error\""));
    assert!(html.contains("big.png"), "the message names the file");

    let three = vec![
        ("a.png", PNG.to_vec()),
        ("b.png", PNG.to_vec()),
        ("c.png", PNG.to_vec()),
    ];
    let response = member.report(&good_fields(), three).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("tối đa 2 tệp")
    );
    assert!(app.all_incidents().await.is_empty());
    assert!(files_under(app.evidence.path()).is_empty());

    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let response = member
        .report(&good_fields(), vec![("notice.bin", pdf)])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a PDF by its bytes, whatever its name"
    );
}

#[tokio::test]
async fn a_page_address_with_a_password_in_it_is_refused_and_never_stored() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let fields = with(
        good_fields(),
        "page.url",
        "https://:Hunter2-Secret99@www.facebook.com/badinh.news",
    );
    let response = member.report(&fields, vec![]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"page-url-error\""), "{html}");
    assert!(html.contains("mật khẩu"), "the message says why: {html}");
    assert!(app.all_incidents().await.is_empty());
    assert!(app.tables_containing("Hunter2-Secret99").await.is_empty());
}

#[tokio::test]
async fn a_field_that_is_not_utf8_is_named_beside_the_field() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let html = member.page(FIRST_STEP).await;
    let mut form = Form::new()
        .text("csrf_token", hidden_input(&html, "csrf_token"))
        .text("submission_id", "utf8-test-submission-0001");
    for (name, value) in good_fields() {
        if name == "reporter.name" {
            form = form.part(name, Part::bytes(b"Nguy\xff\xfe B\xecnh".to_vec()));
        } else {
            form = form.text(name, value);
        }
    }
    let response = member
        .client
        .post(app.url("/"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"reporter-name-error\""), "{html}");
    assert!(html.contains("UTF-8"), "the message says why: {html}");
    assert!(
        html.contains("href=\"#reporter-name\""),
        "the summary names the field"
    );
    assert!(app.all_incidents().await.is_empty());
}

#[tokio::test]
async fn a_password_typed_into_the_report_is_refused_and_never_stored() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let fields = with(
        good_fields(),
        "description",
        "Trang bị chiếm, mật khẩu là Abc@12345",
    );
    let response = member.report(&fields, vec![]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(html.contains("id=\"description-error\""));
    assert!(html.contains("không bao giờ cần mật khẩu"));
    // A field that asks for it is never read.
    let fields = with(good_fields(), "password", "Abc@12345");
    let response = member.report(&fields, vec![]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let db = app.database().await;
    use sea_orm::ConnectionTrait;
    let dump = db
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            db.conn().get_database_backend(),
            "SELECT description FROM incidents UNION ALL SELECT CAST(data AS TEXT) FROM events",
        ))
        .await
        .expect("query");
    for row in dump {
        let text: String = row.try_get_by_index(0).expect("text");
        assert!(!text.contains("Abc@12345"), "{text}");
    }
}

#[tokio::test]
async fn forms_without_a_valid_token_or_with_the_honeypot_filled_are_refused() {
    let app = spawn_app().await;
    let form = || {
        good_fields()
            .into_iter()
            .fold(Form::new(), |f, (k, v)| f.text(k, v))
    };
    // No cookie, no token.
    let response = browser_client()
        .post(app.url("/"))
        .multipart(form())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // A cookie, and a token made for another cookie.
    let member = Member::new(&app);
    member.page(FIRST_STEP).await;
    let other = Member::new(&app);
    let foreign = hidden_input(&other.page(FIRST_STEP).await, "csrf_token");
    let response = member
        .client
        .post(app.url("/"))
        .multipart(
            form()
                .text("csrf_token", foreign)
                .part("evidence", Part::bytes(PNG.to_vec()).file_name("a.png")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let english = Member::new(&app);
    english.page("/?lang=en").await;
    let response = english
        .report(
            &with(good_fields(), "website", "http://spam.example"),
            vec![],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("hidden field")
    );
    assert!(app.all_incidents().await.is_empty());
    assert!(files_under(app.evidence.path()).is_empty());
}

#[tokio::test]
async fn sending_the_same_form_twice_files_one_report() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let html = member.page(FIRST_STEP).await;
    let send = || {
        let mut form = Form::new()
            .text("csrf_token", hidden_input(&html, "csrf_token"))
            .text("submission_id", "twice-sent-submission-0001");
        for (k, v) in good_fields() {
            form = form.text(k, v);
        }
        member.client.post(app.url("/")).multipart(form).send()
    };
    let first = send().await.expect("sent");
    let second = send().await.expect("sent");
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.all_incidents().await.len(), 1);
    let reference = app.all_incidents().await[0]["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    for response in [first, second] {
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        assert!(member.page(&location).await.contains(&reference));
    }
}

#[tokio::test]
async fn submissions_and_lookups_are_rate_limited_per_client_address() {
    let app = spawn_app_with(
        "[web]\ntrusted_proxy_header = \"X-Forwarded-For\"\n\
         [web.rate_limits]\nsubmissions = { per_minute = 1, burst = 2 }\ntracking = { per_minute = 1, burst = 3 }\n",
    )
    .await;
    let client = browser_client();
    let post = |address: &'static str| {
        client
            .post(app.url("/"))
            .header("x-forwarded-for", address)
            .multipart(Form::new().text("x", "y"))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            post("203.0.113.7").await.expect("sent").status(),
            StatusCode::FORBIDDEN
        );
    }
    let limited = post("203.0.113.7").await.expect("sent");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let body = limited.text().await.expect("html");
    assert!(body.contains("Quá nhiều yêu cầu") && body.contains("You sent too many requests"));
    // Another client behind the same proxy has its own budget; what a client writes in
    // the header itself does not change whose budget it spends.
    assert_eq!(
        post("198.51.100.2").await.expect("sent").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post("198.51.100.99, 203.0.113.7")
            .await
            .expect("sent")
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let lookup = || {
        client
            .get(app.url("/track/AAAAAAAAAAAAAAAAAAAAAA"))
            .header("x-forwarded-for", "203.0.113.9")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            lookup().await.expect("sent").status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        lookup().await.expect("sent").status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // The report's pages are pages: reading them spends the page budget, not the
    // submissions'; a step's answers have a budget of their own at the page rate.
    let from = |address: &'static str, request: reqwest::RequestBuilder| {
        request.header("x-forwarded-for", address).send()
    };
    for path in ["/", "/report/about-you", "/report/check"] {
        assert_ne!(
            from("192.0.2.1", client.get(app.url(path)))
                .await
                .expect("sent")
                .status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{path}"
        );
    }
    assert_eq!(
        from("192.0.2.1", client.get(app.url("/report/check")))
            .await
            .expect("sent")
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a fourth page"
    );
    assert_eq!(
        from(
            "192.0.2.1",
            client
                .post(app.url("/"))
                .multipart(Form::new().text("x", "y"))
        )
        .await
        .expect("sent")
        .status(),
        StatusCode::FORBIDDEN,
        "the pages read left the submissions alone"
    );
    let answer = || {
        from(
            "192.0.2.2",
            client
                .post(app.url("/report/what-happened"))
                .multipart(Form::new().text("x", "y")),
        )
    };
    for _ in 0..3 {
        assert_eq!(
            answer().await.expect("sent").status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        answer().await.expect("sent").status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a step's answers are limited too"
    );
}

#[tokio::test]
async fn oversized_forms_are_refused_with_413_and_keep_nothing() {
    let app = spawn_app_with("[evidence]\nmax_files = 1\nmax_file_bytes = 2048\n").await;
    let member = Member::new(&app);
    let mut huge = PNG.to_vec();
    huge.resize(400 * 1024, 7);
    let response = member
        .report(&good_fields(), vec![("huge.png", huge)])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.all_incidents().await.is_empty());
    assert!(files_under(app.evidence.path()).is_empty());
}

#[tokio::test]
async fn the_tracking_page_shows_the_tickets_and_takes_the_members_updates() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let page = format!("/track/{token}");
    let html = member.page(&page).await;
    assert_eq!(html.matches("class=\"party\"").count(), 3);
    assert!(
        html.contains("Ban Dinh") || html.contains("Ba Đình"),
        "{html}"
    );
    assert!(html.contains("id=\"timeline\""));
    assert!(html.contains("Đã nhận báo cáo"));

    let response = member
        .post(
            &page,
            &format!("{page}/info"),
            &[("info", "Kẻ gian đang đăng bài lừa đảo.")],
            vec![("screen.png", PNG.to_vec())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = member.page(&format!("{page}?saved=info")).await;
    assert!(html.contains("Kẻ gian đang đăng bài lừa đảo."));
    assert!(html.contains("screen.png"));
    assert!(html.contains("Đã lưu thông tin bổ sung."));

    let response = member
        .post(&page, &format!("{page}/info"), &[("info", "")], vec![])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("id=\"info-error\"")
    );

    let response = member
        .post(
            &page,
            &format!("{page}/containment"),
            &[("containment.state", "stopped")],
            vec![],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "stopping needs a time and what was done"
    );
    let html = response.text().await.expect("html");
    assert!(
        html.contains("id=\"containment-stopped_at-error\""),
        "{html}"
    );

    let response = member
        .post(
            &page,
            &format!("{page}/containment"),
            &[("containment.state", "recovered")],
            vec![],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = app.all_incidents().await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(app.incident(&id).await["containment"]["state"], "recovered");

    let response = member
        .post(
            &page,
            &format!("{page}/case"),
            &[("platform_case_ref", "FB-2026-778899")],
            vec![],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = member.page(&page).await;
    assert!(html.contains("id=\"platform-case\">FB-2026-778899<"));
    let timeline = app.incident(&id).await["timeline"].clone();
    let types: Vec<&str> = timeline
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    for expected in [
        "member.info_added",
        "containment.changed",
        "platform_case.recorded",
    ] {
        assert!(types.contains(&expected), "{types:?}");
    }

    // English, too.
    let english = member.page(&format!("{page}?lang=en")).await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("I have recovered control of the page"));
}

#[tokio::test]
async fn a_revoked_tracking_link_stops_working_and_a_new_one_is_emailed() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let page = format!("/track/{token}");
    let response = member
        .post(&page, &format!("{page}/revoke"), &[], vec![])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("đang được gửi vào email")
    );
    assert_eq!(member.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        member.get(&format!("{page}/confirmation")).await.status(),
        StatusCode::NOT_FOUND
    );
    let id = app.all_incidents().await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let detail = app.incident(&id).await;
    let confirmations = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .flat_map(|t| t["deliveries"].as_array().cloned().unwrap_or_default())
        .filter(|d| d["target"] == "binh@example.org")
        .count();
    assert_eq!(
        confirmations, 2,
        "the first confirmation and the one with the new link"
    );
}

#[tokio::test]
async fn unknown_tracking_links_are_not_found() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    for path in [
        "/track/nonsense",
        "/track/AAAAAAAAAAAAAAAAAAAAAA/confirmation",
    ] {
        let response = member.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response
                .text()
                .await
                .expect("html")
                .contains("Không tìm thấy")
        );
    }
}

#[tokio::test]
async fn every_member_page_speaks_english_once_chosen() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    member.page("/?lang=en").await;
    let token = member.file_report().await;
    let confirmation = member.page(&format!("/track/{token}/confirmation")).await;
    assert!(confirmation.contains("<html lang=\"en\">"));
    assert!(confirmation.contains("We have received your report"));
    assert!(confirmation.contains("Report to Facebook yourself"));
    assert!(
        confirmation.contains("Kind: Hijacked"),
        "the summary to paste: {confirmation}"
    );
    let tracking = member.page(&format!("/track/{token}")).await;
    assert!(tracking.contains("Report received"));
    assert!(tracking.contains("Being notified"));
    let missing = member.get("/track/nonsense").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing
            .text()
            .await
            .expect("html")
            .contains("This tracking link is wrong")
    );
    let refused = member
        .client
        .post(app.url("/"))
        .multipart(Form::new().text("csrf_token", "forged"))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("reload the page")
    );
}

#[tokio::test]
async fn a_member_whose_report_is_a_duplicate_sees_the_original_reference() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let first = member.file_report().await;
    let second = member.file_report().await;
    let incidents = app.all_incidents().await;
    let reference_of = |token: &str| {
        let token = token.to_owned();
        let member = &member;
        async move {
            let html = member.page(&format!("/track/{token}/confirmation")).await;
            let start = html.find("id=\"reference\">").expect("reference") + 15;
            html[start..].split('<').next().expect("text").to_owned()
        }
    };
    let original = reference_of(&first).await;
    let duplicate = reference_of(&second).await;
    let duplicate_id = incidents
        .iter()
        .find(|i| i["reference"] == duplicate.as_str())
        .and_then(|i| i["id"].as_str())
        .expect("id")
        .to_owned();
    let response = app
        .post_json(
            &format!("/api/v1/incidents/{duplicate_id}/status"),
            &serde_json::json!({"status": "rejected", "reason": "duplicate", "duplicate_of": original}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = member.page(&format!("/track/{second}")).await;
    assert!(html.contains("id=\"duplicate-of\""), "{html}");
    assert!(html.contains(&original));
    let html = member.page(&format!("/track/{first}")).await;
    assert!(!html.contains("id=\"duplicate-of\""));
}

#[tokio::test]
async fn the_form_and_the_confirmation_promise_only_the_parties_the_routing_reaches() {
    let all = "Đơn vị của bạn, cơ quan chức năng và nền tảng sẽ được thông báo ngay khi bạn gửi.";
    let some =
        "Đơn vị của bạn sẽ được thông báo ngay khi bạn gửi, cùng cơ quan chức năng và nền tảng";
    let app = spawn_app().await;
    let form = Member::new(&app).page("/").await;
    assert!(form.contains(all), "{form}");
    assert!(
        !form.contains("<title>Lỗi"),
        "no error before the member sends anything"
    );
    assert!(!form.contains(some), "{form}");

    // An organisation whose routing sends only high and critical reports to an authority.
    let app =
        spawn_app_with("[[routing.authorities]]\nparty = \"cert\"\nmin_severity = \"high\"\n")
            .await;
    let member = Member::new(&app);
    let form = member.page("/").await;
    assert!(form.contains(some), "{form}");
    assert!(!form.contains(all), "{form}");
    let fields: Vec<(&str, &str)> = good_fields()
        .into_iter()
        .map(|(name, value)| match name {
            "kind" => (name, "abnormal"),
            "containment.state" => (name, "active"),
            _ => (name, value),
        })
        .collect();
    let response = member.report(&fields, Vec::new()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let confirmation = member.page(&location).await;
    for expected in [
        "Chúng tôi đang thông báo cho Ban Quận Ba Đình (đơn vị của bạn) và nền tảng Meta (Facebook, Instagram) qua email và hệ thống của các bên.",
        "Báo cáo này chưa được gửi tới cơ quan chức năng nào, vì hiện chưa có cơ quan nào được chỉ định tiếp nhận loại sự cố này.",
    ] {
        assert!(
            confirmation.contains(expected),
            "lacks {expected:?}: {confirmation}"
        );
    }
    assert_eq!(confirmation.matches("class=\"party\"").count(), 2);
}

#[tokio::test]
async fn the_form_opens_with_the_steps_to_stop_the_page_on_the_chosen_platform() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let form = member.page("/").await;
    assert!(form.contains("id=\"stop\""), "the stop section");
    let stop = between(&form, "id=\"stop\"", "</section>");
    assert!(
        stop.contains("href=\"/report/about-you\""),
        "straight to the report: {stop}"
    );
    assert!(stop.contains("bật xác thực hai yếu tố"), "{stop}");
    assert!(
        stop.contains("<a href=\"/?stop=facebook#stop\">Facebook</a>"),
        "{stop}"
    );
    assert!(!stop.contains("?stop=other"), "{stop}");
    assert!(
        !stop.contains("id=\"stop-steps\""),
        "no platform chosen yet: {stop}"
    );

    // Without script: the platform is a link, and its steps and help pages come back.
    let form = member.page("/?stop=facebook").await;
    assert!(
        form.contains("aria-current=\"true\">Facebook</a>"),
        "{form}"
    );
    assert!(form.contains("Các bước Facebook khuyến nghị"), "{form}");
    assert!(
        form.contains("<li>Đổi mật khẩu và xem lại các lần đăng nhập gần đây</li>"),
        "{form}"
    );
    // Two official pages from the config, each with a link text of its own, in this tab.
    for (n, url) in [
        (1, "https://www.facebook.com/hacked"),
        (2, "https://www.facebook.com/help/contact/1280439701975125"),
    ] {
        assert!(
            form.contains(&format!(
                "<a href=\"{url}\" rel=\"noopener noreferrer\">Khôi phục tài khoản bị chiếm quyền ({n}/2)</a>"
            )),
            "{form}"
        );
    }
    assert!(!form.contains("target=\"_blank\""));
    // The page's platform on the form is the one chosen: the way into the steps carries
    // it, and the page step has it chosen.
    assert!(
        form.contains("href=\"/report/about-you?platform=facebook\""),
        "{form}"
    );
    let first = member.page("/report/about-you?platform=facebook").await;
    let response = member
        .post(
            "/report/about-you?platform=facebook",
            "/report/about-you",
            &[
                ("reporter.name", "Bình"),
                ("reporter.phone", "0912 345 678"),
                ("page.platform", &hidden_input(&first, "page.platform")),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = member.page("/report/page").await;
    assert!(
        page.contains("<option value=\"facebook\" selected>"),
        "{page}"
    );

    // A platform that is not one shows the choice again, without steps.
    let response = member.get("/?stop=myspace").await;
    assert_eq!(response.status(), StatusCode::OK);
    let form = response.text().await.expect("html");
    assert!(form.contains("id=\"stop-platforms\""));
    assert!(!form.contains("id=\"stop-steps\""));
}

#[tokio::test]
async fn email_or_phone_is_asked_once_for_the_pair_and_its_error_is_on_the_pair() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let form = member.page(FIRST_STEP).await;
    let hint = "Vui lòng cho biết email, số điện thoại hoặc cả hai.";
    assert_eq!(form.matches(hint).count(), 1, "{form}");
    assert!(
        form.contains("<legend>Cách liên lạc với bạn</legend>"),
        "{form}"
    );

    let fields: Vec<(&str, &str)> = good_fields()
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "reporter.email" | "reporter.phone"))
        .collect();
    let response = member.report(&fields, Vec::new()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    assert!(
        html.contains("<a href=\"#reporter-contact\">Cách liên lạc với bạn:"),
        "{html}"
    );
    let pair = between(&html, "id=\"reporter-contact\"", "</fieldset>");
    assert!(
        pair.contains("id=\"reporter-contact-error\">Vui lòng cho biết email hoặc số điện thoại"),
        "{pair}"
    );
    assert!(!html.contains("id=\"reporter-email-error\""), "{html}");
    assert!(!html.contains("id=\"reporter-phone-error\""), "{html}");
    assert!(app.all_incidents().await.is_empty(), "nothing is filed");
}

/// The part of `html` after `from` and before the next `to`.
pub fn between<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    html.split_once(from)
        .and_then(|(_, rest)| rest.split(to).next())
        .unwrap_or_else(|| panic!("no {from} … {to} in {html}"))
}

/// What a reader sees of an HTML page: the text outside tags, without the head.
pub fn visible_text(html: &str) -> String {
    let body = html.split("<body>").nth(1).unwrap_or(html);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// `html` without the elements that open with `open` (`<code`, say) and close with `close`.
fn without(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some((before, after)) = rest.split_once(open) {
        out.push_str(before);
        rest = after
            .split_once(close)
            .map(|(_, tail)| tail)
            .unwrap_or_else(|| panic!("`{open}` without its `{close}`"));
    }
    out.push_str(rest);
    out
}

/// The English words a Vietnamese reader would meet on `html`, each with where it stands.
/// Web and email addresses, identifiers set as `<code>`, and text marked as English
/// (`<span lang="en">`, `<dd lang="en">`: a party's English name) are as they are.
fn english_words(html: &str) -> Vec<String> {
    let (english, allowed) = incident_desk::domain::i18n::foreign_words();
    let without_code = without(html, "<code", "</code>");
    let without_code = without(&without_code, "<span lang=\"en\">", "</span>");
    let without_code = without(&without_code, "<dd lang=\"en\">", "</dd>");
    let text = visible_text(&without_code);
    let mut found = Vec::new();
    for chunk in text
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.contains('@'))
    {
        for word in chunk.split(|c: char| !c.is_ascii_alphabetic()) {
            let lower = word.to_lowercase();
            if english.contains(&lower) && !allowed.contains(&lower) {
                found.push(format!("`{word}` in `{chunk}`"));
            }
        }
    }
    found
}

/// The English words on the Vietnamese page at `path`, each named with its path.
pub fn english_words_on(path: &str, html: &str) -> Vec<String> {
    assert!(
        html.contains("<html lang=\"vi\">"),
        "{path} is not in Vietnamese"
    );
    english_words(html)
        .into_iter()
        .map(|w| format!("{path}: {w}"))
        .collect()
}

#[tokio::test]
async fn the_member_reads_no_english_word_in_vietnamese() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let mut found = Vec::new();
    let mut paths = vec![
        "/".to_owned(),
        "/?stop=facebook".to_owned(),
        format!("/track/{token}/confirmation"),
        format!("/track/{token}"),
    ];
    // Each step of a report in progress, with the answers kept, and the check page.
    let steps = Member::new(&app);
    crate::report_steps::answer_all(&steps).await;
    for (step, _) in crate::report_steps::steps() {
        paths.push(format!("/report/{step}"));
    }
    paths.push("/report/check".to_owned());
    for path in &paths {
        let member = if path.starts_with("/report/") {
            &steps
        } else {
            &member
        };
        let html = member.page(path).await;
        found.extend(english_words_on(path, &html));
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test]
async fn the_tracking_page_takes_the_time_a_page_was_stopped_in_five_boxes() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let page = format!("/track/{token}");
    let html = member.page(&page).await;
    for part in ["day", "month", "year", "hour", "minute"] {
        assert!(
            html.contains(&format!("name=\"containment.stopped_at.{part}\"")),
            "{part}"
        );
    }
    assert!(!html.contains("datetime-local"), "{html}");
    let stopped = |minute: &'static str| {
        vec![
            ("containment.state", "stopped"),
            ("containment.stopped_at.day", "28"),
            ("containment.stopped_at.month", "11"),
            ("containment.stopped_at.year", "2026"),
            ("containment.stopped_at.hour", "21"),
            ("containment.stopped_at.minute", minute),
            ("containment.actions", "password_changed"),
        ]
    };

    // Without its minutes the time is refused as incomplete, and what was typed is kept.
    let response = member
        .post(&page, &format!("{page}/containment"), &stopped(""), vec![])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("html");
    let error = between(&html, "id=\"containment-stopped_at-error\">", "<");
    assert_eq!(error, "Vui lòng nhập đủ ngày, tháng, năm, giờ và phút.");
    assert!(
        html.contains(
            "id=\"containment-stopped_at-hour\" name=\"containment.stopped_at.hour\" value=\"21\""
        ),
        "{html}"
    );
    let id = app.all_incidents().await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.incident(&id).await["containment"]["state"],
        "lost_control"
    );

    // Complete, it is 21:15 in Vietnam.
    let response = member
        .post(
            &page,
            &format!("{page}/containment"),
            &stopped("15"),
            vec![],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let containment = app.incident(&id).await["containment"].clone();
    assert_eq!(containment["state"], "stopped", "{containment:#}");
    assert_eq!(
        containment["at"]
            .as_str()
            .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().expect("a time")),
        Some("2026-11-28T14:15:00Z".parse().expect("a time")),
        "{containment:#}"
    );
}

#[tokio::test]
async fn the_service_s_entries_of_one_moment_read_as_one_line_on_the_tracking_page() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let tracking = member.page(&format!("/track/{token}")).await;
    let timeline = between(&tracking, "id=\"timeline\"", "</ol>");
    assert!(
        timeline.contains("Đã nhận báo cáo và mở phiếu cho Ban Quận Ba Đình, Trung tâm Ứng cứu khẩn cấp không gian mạng và Meta (Facebook, Instagram)"),
        "{timeline}"
    );
    assert!(!timeline.contains("Đã mở phiếu cho"), "{timeline}");
    assert_eq!(timeline.matches("Đã nhận báo cáo").count(), 1, "{timeline}");
}

#[tokio::test]
async fn a_form_beyond_the_reports_in_progress_is_asked_again_and_keeps_nothing() {
    let app = spawn_app_with("[server]\nmax_filings_in_progress = 1\n").await;
    // Member `i`'s report: a page and a file of its own, under its own submission id.
    let form = |i: usize, html: &str| {
        let mut form = Form::new()
            .text("csrf_token", hidden_input(html, "csrf_token"))
            .text("submission_id", format!("busy-form-submission-{i:04}"));
        for (k, v) in good_fields().into_iter().filter(|(k, _)| *k != "page.url") {
            form = form.text(k, v);
        }
        form = form.text(
            "page.url",
            format!("https://www.facebook.com/busy.form.page.{i}"),
        );
        let mut png = PNG.to_vec();
        png.extend(format!("file {i}").bytes());
        form.part("evidence", Part::bytes(png).file_name("trang.png"))
    };
    // Every member opens the form first, then all send at once.
    let members: Vec<Member> = (0..24).map(|_| Member::new(&app)).collect();
    let mut pages = Vec::new();
    for member in &members {
        pages.push(member.page(FIRST_STEP).await);
    }
    let answers = futures_util::future::join_all(members.iter().zip(&pages).enumerate().map(
        |(i, (member, html))| {
            member
                .client
                .post(app.url("/"))
                .multipart(form(i, html))
                .send()
        },
    ))
    .await;
    let answers = answers.into_iter().map(|a| a.expect("sent")).collect();
    let (filed, refused) = filed_and_busy(answers).await;
    assert!(filed >= 1, "no report was filed");
    assert!(
        !refused.is_empty(),
        "24 forms at once, one at a time allowed, none refused"
    );
    assert_eq!(app.all_incidents().await.len(), filed);
    // Only the filed reports' files were kept.
    let stored = files_under(app.evidence.path());
    assert_eq!(stored.len(), filed, "{stored:?}");
    // Each refused form, sent again as it was, is filed with its file: nothing of it (its
    // submission id included) was held back.
    for i in refused {
        let answer = members[i]
            .client
            .post(app.url("/"))
            .multipart(form(i, &pages[i]))
            .send()
            .await
            .expect("sent");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.all_incidents().await.len(), 24);
    assert_eq!(files_under(app.evidence.path()).len(), 24);
}
