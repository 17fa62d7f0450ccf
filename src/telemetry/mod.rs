//! Logging and metrics: pretty or JSON logs with one span per request, and the Prometheus
//! recorder each application counts into. Imports only config.

pub mod metrics;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// Libraries whose debug and trace records quote the wire: the IMAP client's carry the
/// login password and whole messages. They log warnings at most, whatever the filter says.
const QUOTE_THE_WIRE: &[&str] = &["async_imap", "imap_proto"];

/// Installs the global subscriber; `RUST_LOG` overrides the configured level.
pub fn init(format: LogFormat, level: &str) {
    let filter = filter(level);
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = result;
}

/// The configured filter (or `RUST_LOG`), with the wire-quoting libraries held to warnings.
fn filter(level: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    for target in QUOTE_THE_WIRE {
        if let Ok(directive) = format!("{target}=warn").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// The request span: method, matched route pattern (never the raw path, which may
/// carry a tracking token), the request id, then status and latency.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        tracing::info_span!(
            "http_request",
            method = %request.method(),
            route = %route,
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.response().status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(status, "request failed");
            } else {
                tracing::info!(status, "request handled");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn the_imap_client_never_logs_the_wire_even_at_trace() {
        let subscriber = tracing_subscriber::registry().with(super::filter("trace"));
        tracing::subscriber::with_default(subscriber, || {
            assert!(tracing::enabled!(target: "incident_desk::worker", Level::TRACE));
            assert!(!tracing::enabled!(target: "async_imap::imap_stream", Level::TRACE));
            assert!(!tracing::enabled!(target: "async_imap::imap_stream", Level::DEBUG));
            assert!(tracing::enabled!(target: "async_imap::client", Level::WARN));
        });
    }
}
