//! The committee desk through HTTP, as an officer's browser uses it: signing in and out,
//! the queue and its CSV, each action (checked through the API), who may see and do
//! what, and the `user` command line.

mod access;
mod actions;
mod cli;
mod directory;
mod export;
mod flags;
mod pages;
mod queue;
mod register;
mod sign_in;
mod tickets;
mod words;

use std::{net::IpAddr, sync::Arc};

use incident_desk::domain::access::Role;
use reqwest::{
    StatusCode,
    cookie::{CookieStore, Jar},
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_status, hidden_input, officer_name, valid_incident};

/// An officer's browser on the desk: it keeps its cookies and does not follow redirects.
pub struct Officer<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
}

impl<'a> Officer<'a> {
    /// A browser that has not signed in.
    pub fn new(app: &'a TestApp) -> Self {
        Self::from_address(app, IpAddr::from([127, 0, 0, 1]))
    }

    /// A browser on another machine: its requests come from `address` (any address of
    /// 127.0.0.0/8 reaches the app).
    pub fn from_address(app: &'a TestApp, address: IpAddr) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(reqwest::redirect::Policy::none())
            .local_address(address)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("http client");
        Self { app, client, jar }
    }

    /// A browser signed in as `username`.
    pub async fn signed_in(app: &'a TestApp, username: &str, password: &str) -> Self {
        Self::signed_in_from(app, IpAddr::from([127, 0, 0, 1]), username, password).await
    }

    /// A browser at `address` signed in as `username`.
    pub async fn signed_in_from(
        app: &'a TestApp,
        address: IpAddr,
        username: &str,
        password: &str,
    ) -> Self {
        let officer = Self::from_address(app, address);
        let response = officer.sign_in(username, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in");
        assert_eq!(response.headers()["location"], "/desk");
        officer
    }

    /// Creates a user with this role and committee, and signs in as them.
    pub async fn create(
        app: &'a TestApp,
        username: &str,
        role: Role,
        committee: Option<&str>,
    ) -> Self {
        let password = app.create_officer(username, role, committee).await;
        Self::signed_in(app, username, &password).await
    }

    /// Opens the sign-in form for its token, then posts the credentials.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        let form = self.page("/desk/sign-in").await;
        self.post_raw(
            "/desk/sign-in",
            &[
                ("username", username),
                ("password", password),
                ("csrf_token", &hidden_input(&form, "csrf_token")),
            ],
        )
        .await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
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

    /// The form token of this browser, from the queue (or the sign-in form when signed
    /// out).
    pub async fn token(&self) -> String {
        let response = self.get("/desk").await;
        let html = if response.status() == StatusCode::OK {
            response.text().await.expect("html")
        } else {
            self.page("/desk/sign-in").await
        };
        hidden_input(&html, "csrf_token")
    }

    /// Posts a form with this browser's token, as the desk's own forms do.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.token().await;
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &token));
        self.post_raw(path, &fields).await
    }

    /// Posts exactly these fields.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.app.url(path))
            .form(fields)
            .send()
            .await
            .expect("sent")
    }

    /// The `Cookie` header this browser sends to the desk.
    pub fn cookies(&self) -> String {
        let url = self.app.url("/desk").parse().expect("url");
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default()
    }
}

/// Where a response sends the browser.
pub fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().expect("location")
}

/// Asserts a redirect to the sign-in form: the browser has no session.
pub fn assert_signed_out(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(response), "/desk/sign-in");
}

/// The routing form's fields for one rule: only cyber-police, for misuse, from medium;
/// Meta for Facebook, the registrar for every other platform.
pub const MISUSE_ROUTING: &[(&str, &str)] = &[
    ("authority-0-party", "cyber-police"),
    ("authority-0-kinds", "misused"),
    ("authority-0-min_severity", "medium"),
    ("provider-facebook", "meta"),
    ("default_provider", "web-abuse"),
];

/// The actor an officer's changes carry on the timeline.
pub fn officer_actor(username: &str) -> Value {
    json!({ "kind": "officer", "id": username, "name": officer_name(username) })
}

/// A valid report from a member of `committee`.
pub fn report_in(committee: &str) -> Value {
    let mut body = valid_incident();
    body["reporter"]["committee"] = json!(committee);
    body
}

/// A report of `committee` about a page at `url`, with this kind and containment.
pub fn report(committee: &str, kind: &str, url: &str, containment: Value) -> Value {
    let mut body = report_in(committee);
    body["kind"] = json!(kind);
    body["page"]["url"] = json!(url);
    body["page"]["handle"] = Value::Null;
    body["containment"] = containment;
    body
}

/// Files a report through the API and returns its reference.
pub async fn file(app: &TestApp, body: &Value) -> String {
    app.file(body).await["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

/// Moves an incident to `status` through the API.
pub async fn set_status(app: &TestApp, incident: &str, status: &str) {
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{incident}/status"),
            &json!({ "status": status }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

/// The number a counter of the queue shows.
pub fn counter(html: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).expect("counter") + marker.len();
    html[start..]
        .split('<')
        .next()
        .expect("number")
        .parse()
        .expect("a number")
}

/// Files a report of `committee` through the API; returns (id, reference).
pub async fn file_in(app: &TestApp, committee: &str) -> (String, String) {
    let filed = app.file(&report_in(committee)).await;
    (
        filed["id"].as_str().expect("id").to_owned(),
        filed["reference"].as_str().expect("reference").to_owned(),
    )
}

/// The references of the rows of a queue page, top to bottom.
pub fn rows(html: &str) -> Vec<String> {
    html.split("class=\"reference-link\">")
        .skip(1)
        .map(|rest| rest.split('<').next().expect("reference").to_owned())
        .collect()
}

/// The event types of an incident's timeline, oldest first.
pub fn event_types(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

/// The last timeline event of this type.
pub fn last_event<'v>(detail: &'v Value, event_type: &str) -> &'v Value {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .rev()
        .find(|e| e["type"] == event_type)
        .unwrap_or_else(|| panic!("no `{event_type}` event: {detail:#}"))
}

/// The detail of an incident without the parts that move on their own (delivery
/// attempts and times), to show that an action changed nothing.
pub fn state_of(detail: &Value) -> Value {
    json!({
        "status": detail["status"],
        "duplicate_of": detail["duplicate_of"],
        "updated_at": detail["updated_at"],
        "timeline": event_types(detail),
        "tickets": detail["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| json!({
                "party": t["party"],
                "status": t["status"],
                "deliveries": t["deliveries"].as_array().expect("deliveries").len(),
            }))
            .collect::<Vec<_>>(),
    })
}
