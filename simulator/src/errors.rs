//! Why a change is refused, and how REST and the admin API answer a refusal or an error.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub(crate) enum Refusal {
    /// 401: no token.
    Unauthenticated,
    /// 403, with GitHub's message.
    Forbidden(String),
    NotFound,
    /// 422, with GitHub's message.
    Invalid(String),
    /// 405: not mergeable.
    NotAllowed(String),
    /// 409: the head moved.
    Conflict(String),
}

pub(crate) type Outcome<T> = Result<T, Refusal>;

pub(crate) fn internal(e: anyhow::Error) -> Refusal {
    Refusal::Invalid(format!("{e:#}"))
}

/// GitHub's error body.
pub(crate) fn gh_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest"})),
    )
        .into_response()
}

pub(crate) fn not_found() -> Response {
    gh_error(StatusCode::NOT_FOUND, "Not Found")
}

pub(crate) fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// A refused change, as GitHub answers it.
pub(crate) fn rest_refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthenticated => gh_error(StatusCode::UNAUTHORIZED, "Requires authentication"),
        Refusal::Forbidden(m) => gh_error(StatusCode::FORBIDDEN, &m),
        Refusal::NotFound => not_found(),
        Refusal::Invalid(m) => gh_error(StatusCode::UNPROCESSABLE_ENTITY, &m),
        Refusal::NotAllowed(m) => gh_error(StatusCode::METHOD_NOT_ALLOWED, &m),
        Refusal::Conflict(m) => gh_error(StatusCode::CONFLICT, &m),
    }
}

pub(crate) fn admin_refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthenticated => {
            admin_error(StatusCode::UNAUTHORIZED, "requires authentication")
        }
        Refusal::Forbidden(m) => admin_error(StatusCode::FORBIDDEN, m),
        Refusal::NotFound => admin_error(StatusCode::NOT_FOUND, "not found"),
        Refusal::Invalid(m) => admin_error(StatusCode::UNPROCESSABLE_ENTITY, m),
        Refusal::NotAllowed(m) => admin_error(StatusCode::METHOD_NOT_ALLOWED, m),
        Refusal::Conflict(m) => admin_error(StatusCode::CONFLICT, m),
    }
}
