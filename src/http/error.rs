//! The one place where an error becomes an HTTP response: RFC 9457 problem+json with a
//! stable `code`. A 500 reveals nothing and logs the whole cause chain.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{FieldError, TransitionError},
    usecases::{incident::ActionError, is_overloaded},
};

/// What a request refused because the database did not answer in time is told.
const OVERLOADED: &str =
    "the database is busy and did not answer in time; send the request again in a moment";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be {0}")]
    UnsupportedMediaType(&'static str),
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the body did not arrive within {0} s of the request's head")]
    BodyTimeout(u64),
    #[error("a valid API key is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// With the methods the resource allows, for the `Allow` header.
    #[error("this method is not allowed here; allowed: {0}")]
    MethodNotAllowed(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    #[error("{0}")]
    Unavailable(String),
    /// What is stored forbids the change (a party with open tickets cannot be removed).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[schema(example = "/problems/validation_failed")]
    pub r#type: String,
    #[schema(example = "The request is invalid")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    pub detail: String,
    /// A stable snake_case identifier of the problem.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// Each bad field with the rule it broke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For a refused transition: the current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// For a refused transition: the states allowed next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// The problem answers the operations share, published once under `components/responses`.
#[expect(
    dead_code,
    reason = "each type only names its body for the published document; none is built"
)]
pub mod answers {
    use utoipa::ToResponse;

    use super::Problem;

    /// Malformed JSON (or data after it), not an object where one is expected, or an unknown
    /// query parameter.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadRequest(Problem);

    /// No valid API key.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unauthorized(Problem);

    /// The key lacks a scope the operation requires (see its security), or may not act on
    /// this object.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Forbidden(Problem);

    /// No such object within the key's reach.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotFound(Problem);

    /// Not allowed from the object's current state (the problem lists the allowed ones), or
    /// a request with this Idempotency-Key is in progress.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Conflict(Problem);

    /// The body is larger than `server.max_body_bytes`.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct TooLarge(Problem);

    /// The body did not arrive whole within `server.body_read_timeout` of the request's
    /// head; the connection is closed.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BodyTimeout(Problem);

    /// The body is not `application/json`.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotJson(Problem);

    /// The body is not of the media type the operation takes (`message/rfc822`).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(Problem);

    /// Invalid fields: the problem names each field and the rule it broke.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Invalid(Problem);

    /// Busy: `server.max_filings_in_progress` reports are being filed, or the database did
    /// not answer within `database.wait`. Nothing of this one was written; send it again
    /// after `Retry-After` seconds.
    #[derive(ToResponse)]
    #[response(
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before sending it again"))
    )]
    pub struct Busy(Problem);

    /// The database did not answer within `database.wait`. Nothing of this request was
    /// written; send it again after `Retry-After` seconds.
    #[derive(ToResponse)]
    #[response(
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before sending it again"))
    )]
    pub struct Unavailable(Problem);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field, such as `page.url`.
    #[schema(example = "page.url")]
    pub field: String,
    /// Stable name of the rule.
    #[schema(example = "url")]
    pub rule: String,
    #[schema(example = "must be a full web address starting with https:// or http://")]
    pub message: String,
}

impl ApiError {
    /// A failure of the database to answer in time ([`is_overloaded`]): answered 503 with
    /// `Retry-After`, as a full intake is, since the same request may go through a moment
    /// later.
    fn overloaded(&self) -> bool {
        matches!(self, ApiError::Internal(e) if is_overloaded(e))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Internal(_) if self.overloaded() => "unavailable",
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::BodyTimeout(_) => "body_timeout",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Transition(_) => "invalid_transition",
            ApiError::IdempotencyMismatch => "idempotency_key_reused",
            ApiError::IdempotencyInProgress => "idempotency_key_in_use",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Conflict { code, .. } => code,
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Internal(_) if self.overloaded() => "Service unavailable",
            ApiError::Validation(_) => "The request is invalid",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::MalformedJson(_) => "Malformed JSON",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::PayloadTooLarge(_) => "Payload too large",
            ApiError::BodyTimeout(_) => "Request timeout",
            ApiError::Unauthorized => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Transition(_) => "Transition not allowed",
            ApiError::IdempotencyMismatch => "Idempotency key reused",
            ApiError::IdempotencyInProgress => "Idempotency key in use",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    pub fn problem(&self) -> Problem {
        let (current, allowed) = match self {
            ApiError::Transition(t) => (Some(t.from.clone()), Some(t.allowed.clone())),
            _ => (None, None),
        };
        let errors = match self {
            ApiError::Validation(fields) => fields
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    rule: f.rule.to_owned(),
                    message: f.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let detail = match self {
            ApiError::Validation(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            _ if self.overloaded() => OVERLOADED.to_owned(),
            other => other.to_string(),
        };
        Problem {
            r#type: format!("/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            code: self.code(),
            errors,
            current,
            allowed,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::IdempotencyMismatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest(_) | ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Transition(_)
            | ApiError::IdempotencyInProgress
            | ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) if self.overloaded() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) if self.overloaded() => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "request refused: the database did not answer in time"
                );
            }
            ApiError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if matches!(self, ApiError::Unauthorized) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header(("Allow", allow.as_str()));
        }
        if matches!(
            self,
            ApiError::IdempotencyInProgress | ApiError::Unavailable(_)
        ) || self.overloaded()
        {
            // The request holding the key is usually done within a second; a claim left
            // by a process that died lapses within `intake::CLAIM_LEASE` (5 s). An intake
            // at its limit of reports in progress frees places as each batch commits, and
            // a busy database as its transactions do.
            response.insert_header(("Retry-After", "1"));
        }
        response.json(self.problem())
    }
}

impl From<crate::usecases::DbErr> for ApiError {
    fn from(e: crate::usecases::DbErr) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => ApiError::NotFound("incident"),
            ActionError::Transition(t) => ApiError::Transition(t),
            ActionError::Invalid(fields) => ApiError::Validation(fields),
            ActionError::Storage(e) => ApiError::Internal(e.into()),
        }
    }
}

impl From<crate::usecases::directory::DirectoryError> for ApiError {
    fn from(e: crate::usecases::directory::DirectoryError) -> Self {
        use crate::usecases::directory::DirectoryError;
        match e {
            DirectoryError::NotFound(what) => ApiError::NotFound(what),
            DirectoryError::Invalid(fields) => ApiError::Validation(fields),
            DirectoryError::Refused { rule, message } => ApiError::Conflict {
                code: rule,
                message,
            },
            DirectoryError::Storage(e) => ApiError::Internal(e.into()),
        }
    }
}
