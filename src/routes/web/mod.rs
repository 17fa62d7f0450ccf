//! HTML pages: the member's report form, confirmation and tracking pages, and the
//! acknowledge page behind a party's email link.

pub mod ack;
pub mod csrf;
pub mod form;
pub mod lang;
pub mod limits;
pub mod page;
mod problems;
pub mod report;
pub mod track;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};

use self::form::FormError;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &limits::WebLimits) {
    cfg.route("/static/site.css", web::get().to(stylesheet));
    report::configure(cfg, limits);
    track::configure(cfg, limits);
    ack::configure(cfg);
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(page::STYLESHEET)
}

/// The answer to a form that could not be read at all.
pub fn refused(req: &HttpRequest, error: FormError) -> HttpResponse {
    let (status, line) = match &error {
        FormError::Csrf => (StatusCode::FORBIDDEN, "refused-csrf"),
        FormError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "refused-too-large"),
        FormError::Malformed(_) => (StatusCode::BAD_REQUEST, "refused-malformed"),
        FormError::Io(_) => (StatusCode::SERVICE_UNAVAILABLE, "failed-body"),
    };
    if let FormError::Io(io) = &error {
        tracing::error!(error = %io, "could not store an upload");
    } else {
        tracing::info!(%error, "form refused");
    }
    page::message(req, status, "refused-title", &[line])
}
