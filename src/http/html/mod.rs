//! The frame every HTML page shares, its error pages and the form problems they list.

pub mod error;
pub mod page;
pub mod problems;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

use crate::http::extract::form::FormError;

pub async fn stylesheet() -> HttpResponse {
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
        FormError::TimedOut => (StatusCode::REQUEST_TIMEOUT, "refused-too-slow"),
        FormError::Io(_) => (StatusCode::SERVICE_UNAVAILABLE, "failed-body"),
    };
    if let FormError::Io(io) = &error {
        tracing::error!(error = %io, "could not store an upload");
    } else {
        tracing::info!(%error, "form refused");
    }
    page::message(req, status, "refused-title", &[line])
}
