//! The page register seen from outside the member's own pages: the API the committees'
//! tools read it with, the report a member starts from a declared page (with the
//! declaration in the parties' email and webhook), and the flags intake sets when the
//! register contradicts a report.

mod flags;
mod pages;
mod report;
mod requests;

use std::time::Duration;

use incident_desk::domain::access::ApiScope;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::{
    helpers::{TestApp, browser_client, expect_status, hidden_input},
    smtp::SmtpSink,
};

const WAIT: Duration = Duration::from_secs(15);

/// Sign-in budgets wide enough for the several members a test signs in from one address.
pub const MANY_SIGN_INS: &str =
    "[register]\nsign_in_per_address = { per_minute = 600, burst = 100 }\n";

/// A member's browser on their own pages under `/me`, signed in by the emailed link.
pub struct Declarant<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub email: String,
}

/// A page as a member declares it: the form's fields.
pub struct PageForm<'a> {
    pub name: &'a str,
    pub url: &'a str,
    /// (day, month, year), any of them blank.
    pub created: (&'a str, &'a str, &'a str),
    pub purpose: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub admins: &'a [(&'a str, &'a str)],
}

impl<'a> PageForm<'a> {
    pub fn new(name: &'a str, url: &'a str) -> Self {
        Self {
            name,
            url,
            created: ("", "", "2020"),
            purpose: "Đưa tin hoạt động của chi đoàn",
            phone: "",
            email: "",
            admins: &[],
        }
    }

    fn fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = [
            ("name", self.name),
            ("url", self.url),
            ("created_day", self.created.0),
            ("created_month", self.created.1),
            ("created_year", self.created.2),
            ("purpose", self.purpose),
            ("status", "active"),
            ("linked_phone", self.phone),
            ("linked_email", self.email),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (i, (account, role)) in self.admins.iter().enumerate() {
            fields.push((format!("admins[{i}].account"), (*account).to_owned()));
            fields.push((format!("admins[{i}].role"), (*role).to_owned()));
        }
        fields
    }
}

impl<'a> Declarant<'a> {
    /// Asks for a sign-in link for `email`, has the dispatcher send it to `sink`, follows
    /// it, and chooses `committee`.
    pub async fn sign_in(
        app: &'a TestApp,
        sink: &SmtpSink,
        email: &str,
        committee: &str,
    ) -> Declarant<'a> {
        let member = Declarant {
            app,
            client: browser_client(),
            email: email.to_owned(),
        };
        let asked = member
            .post_form("/me/sign-in", "/me/sign-in", &[("email", email)])
            .await;
        assert_eq!(asked.status(), StatusCode::OK, "asking for a link");
        app.dispatch_once().await;
        let link = member.link_in(sink).await;
        let opened = member.page(&link).await;
        let signed_in = member
            .post_raw(
                &link,
                &[("csrf_token", hidden_input(&opened, "csrf_token"))],
            )
            .await;
        assert_eq!(
            signed_in.status(),
            StatusCode::SEE_OTHER,
            "following the link"
        );
        let chosen = member
            .post_form("/me", "/me/committee", &[("committee", committee)])
            .await;
        assert_eq!(
            chosen.status(),
            StatusCode::SEE_OTHER,
            "choosing {committee}"
        );
        member
    }

    /// The path of the newest sign-in link mailed to this member.
    async fn link_in(&self, sink: &SmtpSink) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let link = sink
                .messages()
                .await
                .iter()
                .rev()
                .filter(|m| m.rcpt_to.iter().any(|r| r == &self.email))
                .filter_map(|m| m.parsed().body_text(0).map(|t| t.into_owned()))
                .filter_map(|text| {
                    let start = text.find("/me/link/")?;
                    Some(
                        text[start..]
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .next();
            if let Some(link) = link {
                return link;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no sign-in link reached {}",
                self.email
            );
            self.app.dispatch_once().await;
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.app.url(path))
            .send()
            .await
            .expect("sent")
    }

    /// The page at `path`, which must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("html")
    }

    pub async fn post_raw<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
    ) -> Response {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        self.client
            .post(self.app.url(path))
            .form(&fields)
            .send()
            .await
            .expect("sent")
    }

    /// Opens `page` for its form token, then posts `fields` with it to `action`.
    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        page: &str,
        action: &str,
        fields: &[(K, V)],
    ) -> Response {
        let html = self.page(page).await;
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect();
        all.push(("csrf_token".to_owned(), hidden_input(&html, "csrf_token")));
        self.post_raw(action, &all).await
    }

    /// Declares a page; returns its id.
    pub async fn declare(&self, page: &PageForm<'_>) -> String {
        let response = self
            .post_form("/me/pages/new", "/me/pages/new", &page.fields())
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "declaring {}",
            page.url
        );
        let location = response.headers()["location"].to_str().expect("location");
        location
            .strip_prefix("/me/pages/")
            .and_then(|rest| rest.split('?').next())
            .expect("the declared page's address")
            .to_owned()
    }

    /// Writes the next version of a page from the form as the member changed it.
    pub async fn edit(&self, id: &str, page: &PageForm<'_>) {
        let edit = format!("/me/pages/{id}/edit");
        let html = self.page(&edit).await;
        let mut fields = page.fields();
        fields.push(("version".to_owned(), hidden_input(&html, "version")));
        fields.push(("csrf_token".to_owned(), hidden_input(&html, "csrf_token")));
        let response = self.post_raw(&edit, &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "editing {id}");
    }

    /// Closes a page on `day` (YYYY-MM-DD).
    pub async fn close(&self, id: &str, day: &str) {
        let close = format!("/me/pages/{id}/close");
        let html = self.page(&close).await;
        let response = self
            .post_raw(
                &close,
                &[
                    ("closed_on", day),
                    ("closed_reason", "Chi đoàn đã chuyển sang trang mới."),
                    ("version", &hidden_input(&html, "version")),
                    ("csrf_token", &hidden_input(&html, "csrf_token")),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "closing {id}");
    }
}

/// A key that reads the register, bound to a committee, a party, or neither.
pub async fn register_key(app: &TestApp, committee: Option<&str>, party: Option<&str>) -> String {
    app.create_bound_key(&[ApiScope::RegisterRead], committee, party)
        .await
}

/// `GET path` with `key`, expecting 200.
pub async fn read(app: &TestApp, key: &str, path: &str) -> Value {
    expect_status(app.get_as(key, path).await, StatusCode::OK).await
}

/// The ids of a list's pages, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}
