//! `/metrics`: the Prometheus text exposition, behind a bearer token when one is set; and
//! the middleware that counts every request.

use std::time::Instant;

use actix_web::{
    HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{
    config::MetricsSettings,
    http::error::ApiError,
    http::state::AppState,
    telemetry::metrics::{Gauges, Metrics},
    usecases::queries,
};

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The service's metrics in the Prometheus text format. The queue and ticket gauges are
/// read from the database at each scrape.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "`metrics.bearer_token` is set and the request does not carry it", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Metrics are disabled (`metrics.enabled = false`)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database could not be read", body = crate::http::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("metrics_token" = [])),
)]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.settings.metrics.bearer_token
        && !carries(&req, token)
    {
        return Err(ApiError::Unauthorized);
    }
    let now = Utc::now();
    let read = async {
        let read = queries::gauges(&state.db, now).await?;
        Ok::<_, crate::usecases::DbErr>(Gauges {
            due: read.depth.due,
            in_flight: read.depth.in_flight,
            failed: read.depth.failed,
            oldest_due_age: read.oldest_due_age,
            tickets_overdue: read.tickets_overdue,
        })
    };
    let gauges = read.await.map_err(|error| {
        tracing::warn!(%error, "could not read the metrics of the database");
        ApiError::Unavailable("could not read the database".to_owned())
    })?;
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(metrics.render(&gauges)))
}

/// Whether the request carries the token, compared in constant time (over digests, so
/// that not even the length leaks).
fn carries(req: &HttpRequest, token: &SecretString) -> bool {
    let Some(presented) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme's name is case-insensitive (RFC 9110, 11.1).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
    else {
        return false;
    };
    let presented = Sha256::digest(presented.trim().as_bytes());
    let expected = Sha256::digest(token.expose_secret().trim().as_bytes());
    presented.ct_eq(&expected).into()
}

/// Counts and times every answered request by method, route pattern (`unmatched` when no
/// route matched, so that raw paths never become labels) and status.
pub async fn count_requests(
    metrics: web::Data<Metrics>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let unrouted = req.match_pattern();
    let result = next.call(req).await;
    let (status, route) = match &result {
        Ok(response) => (response.status(), response.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code(), unrouted),
    };
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    metrics.http_request(method, &route, status.as_u16(), started.elapsed());
    result
}

/// The standard methods by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Routes `/metrics` when enabled; otherwise it is not found like any unknown path.
pub fn configure(cfg: &mut web::ServiceConfig, settings: &MetricsSettings) {
    if settings.enabled {
        cfg.service(crate::http::routes::at("/metrics").get(metrics).done());
    }
}
