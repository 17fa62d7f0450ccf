//! The one error type of the HTML handlers, as `ApiError` is for the API: either a finished
//! page to answer with instead (a redirect to sign in, a refusal in the reader's language),
//! or a failure, logged with its whole cause chain and answered with a bare 500 (a bare 503
//! with `Retry-After` when the database did not answer in time).

use actix_web::{
    HttpResponse, ResponseError,
    body::MessageBody,
    http::{StatusCode, header::HeaderMap},
    web::Bytes,
};

use crate::usecases::is_overloaded;

#[derive(Debug)]
pub enum PageError {
    /// A page to show instead of the one asked for.
    Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// Something failed that the reader can do nothing about.
    Broken(anyhow::Error),
}

impl PageError {
    pub fn broken(error: impl Into<anyhow::Error>) -> Self {
        Self::Broken(error.into())
    }

    /// The answer of a handler that answers with a response, not a `Result`, when the work
    /// described by `what` failed: as a `Broken` error would be answered and logged.
    pub fn answer(what: &'static str, error: impl Into<anyhow::Error>) -> HttpResponse {
        Self::Broken(error.into().context(what)).error_response()
    }
}

impl From<HttpResponse> for PageError {
    fn from(response: HttpResponse) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().try_into_bytes().unwrap_or_default();
        Self::Answer {
            status,
            headers,
            body,
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Answer { status, .. } => write!(f, "answered {status}"),
            Self::Broken(error) => write!(f, "{error:#}"),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Answer { status, .. } => *status,
            Self::Broken(error) if is_overloaded(error) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Broken(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Answer {
                status,
                headers,
                body,
            } => {
                let mut response = HttpResponse::with_body(*status, body.clone());
                *response.headers_mut() = headers.clone();
                response.map_into_boxed_body()
            }
            // The database did not answer in time: the same page may be asked for again.
            Self::Broken(error) if is_overloaded(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "a page was refused: the database did not answer in time"
                );
                HttpResponse::ServiceUnavailable()
                    .insert_header(("Retry-After", "1"))
                    .finish()
            }
            Self::Broken(error) => {
                tracing::error!(error = format!("{error:#}"), "a page could not be served");
                HttpResponse::InternalServerError().finish()
            }
        }
    }
}
