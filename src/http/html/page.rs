//! What every member page shares: the frame (language switch, styles), the headers, and
//! the short pages that only carry a message.

use crate::domain::Named;
use std::sync::LazyLock;

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite},
    http::StatusCode,
};
use askama::Template;

use crate::{
    domain::{Locale, i18n::Tr},
    http::extract::{csrf::Csrf, lang::Lang},
};

/// No inline script or style, nothing from elsewhere, never inside a frame.
pub const CSP: (&str, &str) = (
    "Content-Security-Policy",
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'",
);

pub const STYLESHEET: &str = include_str!("../../../static/site.css");

/// Changes whenever the stylesheet does, so it can be cached for long.
pub static STYLESHEET_VERSION: LazyLock<String> = LazyLock::new(|| {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(STYLESHEET.as_bytes())[..6])
});

/// The frame around every page.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    /// Link to the same page in the other language.
    pub switch_href: String,
    pub switch_label: String,
    pub switch_lang: &'static str,
    pub css_version: &'static str,
}

impl Chrome {
    pub fn new(locale: Locale, title_key: &str, path: &str) -> Self {
        let tr = Tr(locale);
        let other = match locale {
            Locale::Vi => Locale::En,
            Locale::En => Locale::Vi,
        };
        Self {
            title: tr.t(title_key),
            switch_href: format!("{path}?lang={}", other.as_str()),
            switch_label: crate::domain::i18n::text(other, "language-name"),
            switch_lang: other.as_str(),
            tr,
            css_version: STYLESHEET_VERSION.as_str(),
        }
    }
}

/// The extras a page response may set.
#[derive(Default)]
pub struct Extras<'a> {
    pub lang: Option<&'a Lang>,
    pub csrf: Option<&'a Csrf>,
    pub secure: bool,
}

pub fn html(status: StatusCode, body: String, extras: Extras<'_>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(CSP);
    if let Some(lang) = extras.lang.filter(|l| l.remember) {
        response.cookie(
            Cookie::build(crate::http::extract::lang::COOKIE, lang.locale.as_str())
                .path("/")
                .max_age(actix_web::cookie::time::Duration::days(365))
                .same_site(SameSite::Lax)
                .secure(extras.secure)
                .finish(),
        );
    }
    if let Some(cookie) = extras.csrf.and_then(|c| c.cookie(extras.secure)) {
        response.cookie(cookie);
    }
    response.body(body)
}

/// Renders a template; a template that cannot render is a bug: logged, and `None`.
pub fn render(template: &impl Template) -> Option<String> {
    template
        .render()
        .map_err(|error| tracing::error!(%error, "could not render a page"))
        .ok()
}

/// The answer when a page could not be rendered.
pub fn broken() -> HttpResponse {
    HttpResponse::InternalServerError().finish()
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    lines: Vec<String>,
    problem: bool,
    back_href: Option<String>,
}

/// A page that only says something: not found, expired, refused.
pub fn message(
    req: &HttpRequest,
    status: StatusCode,
    heading_key: &str,
    line_keys: &[&str],
) -> HttpResponse {
    let lang = Lang::of(req);
    let tr = Tr(lang.locale);
    let page = MessagePage {
        chrome: Chrome::new(lang.locale, heading_key, req.path()),
        heading: tr.t(heading_key),
        lines: line_keys.iter().map(|k| tr.t(k)).collect(),
        problem: status.is_client_error() || status.is_server_error(),
        back_href: Some("/".to_owned()),
    };
    match render(&page) {
        Some(body) => html(
            status,
            body,
            Extras {
                lang: Some(&lang),
                ..Default::default()
            },
        ),
        None => broken(),
    }
}

/// The page for too many requests, in both languages (the limiter cannot tell which).
pub fn too_many_requests(wait_seconds: u64) -> String {
    let wait = wait_seconds.to_string();
    let page = MessagePage {
        chrome: Chrome::new(Locale::Vi, "limited-title", "/"),
        heading: Tr(Locale::Vi).t("limited-title"),
        lines: [Locale::Vi, Locale::En]
            .into_iter()
            .map(|l| crate::domain::i18n::text_with(l, "limited-body", &[("seconds", &wait)]))
            .collect(),
        problem: true,
        back_href: None,
    };
    page.render().unwrap_or_default()
}
