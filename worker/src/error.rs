//! The worker's one error type, and the one place it becomes an HTTP answer
//! (`{"error":{"code","message","field"?}}` with the matching status).

use tocsin_domain::api::{ErrorBody, ErrorDetail};
use tocsin_domain::auth::PasswordProblem;
use tocsin_domain::incident::{InvalidTransition, UnknownValue};
use tocsin_domain::validation::FieldError;
use worker::Response;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// One field over its size limit (a note over 16 KB): 413 naming the field.
    #[error("{0}")]
    FieldTooLarge(FieldError),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// Contention that a retry resolves (503 with `Retry-After: 1`): senders retry 5xx, never a 4xx.
    #[error("{0}")]
    Busy(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: i64 },
    #[error("method {method} is not allowed here")]
    MethodNotAllowed { method: String },
    /// A body in a format the route does not take (writes from a browser must be JSON).
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The deployment lacks something it needs (a worker secret); the message says what.
    #[error("{0}")]
    Misconfigured(&'static str),
    /// A stored secret was sealed with a key the deployment does not hold (or no longer opens):
    /// the message names the key ids and what to set.
    #[error("{0}")]
    SealingKey(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }

    fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Self::Invalid(_) => (400, "invalid_request"),
            Self::TooLarge { .. } | Self::FieldTooLarge(_) => (413, "payload_too_large"),
            Self::Unauthenticated(_) => (401, "unauthenticated"),
            Self::Forbidden(_) => (403, "forbidden"),
            Self::NotFound(_) => (404, "not_found"),
            Self::Conflict(_) => (409, "conflict"),
            Self::Busy(_) => (503, "busy"),
            Self::RateLimited { .. } => (429, "rate_limited"),
            Self::MethodNotAllowed { .. } => (405, "method_not_allowed"),
            Self::UnsupportedMediaType(_) => (415, "unsupported_media_type"),
            Self::Misconfigured(_) | Self::SealingKey(_) => (503, "not_configured"),
            Self::Db(_) | Self::Internal(_) => (500, "internal"),
        }
    }

    pub fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            // Never leak internals to clients; they go to the log.
            Self::Db(_) | Self::Internal(_) => {
                worker::console_error!("{self}");
                "something went wrong on our side; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        let field = match &self {
            Self::Invalid(f) | Self::FieldTooLarge(f) => Some(f.field.clone()),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_string(), message, field } };
        let mut resp = Response::from_json(&body).unwrap_or_else(|_| Response::empty().unwrap()).with_status(status);
        match self {
            Self::RateLimited { retry_after_secs } => {
                let _ = resp.headers_mut().set("Retry-After", &retry_after_secs.to_string());
            }
            Self::Busy(_) => {
                let _ = resp.headers_mut().set("Retry-After", "1");
            }
            _ => {}
        }
        resp
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}

impl From<UnknownValue> for ApiError {
    fn from(e: UnknownValue) -> Self {
        Self::Invalid(FieldError::new(e.field, e.to_string()))
    }
}

impl From<InvalidTransition> for ApiError {
    fn from(e: InvalidTransition) -> Self {
        Self::Conflict(e.to_string())
    }
}

impl From<PasswordProblem> for ApiError {
    fn from(e: PasswordProblem) -> Self {
        Self::Invalid(FieldError::new("password", e.to_string()))
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        match e {
            worker::Error::D1(d1) => Self::Db(d1.cause()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
