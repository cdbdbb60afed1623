//! The HTTP surface: intake, health and queue status.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::intake;
use super::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhook_server", post(intake::receive))
        .route("/webhook_server/healthcheck", get(healthcheck))
        .route("/webhook_server/status", get(status))
        .fallback(not_found)
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, finishing the requests under way.
/// Handlers see the peer's address: the IP allowlist needs it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn healthcheck() -> Json<serde_json::Value> {
    Json(json!({"status": 200, "message": "Alive"}))
}

/// How many deliveries the status lists among those waiting to be retried.
const RETRYING_SHOWN: usize = 50;

/// The queue's counts, and the deliveries waiting to be retried with why and until when.
async fn status(State(app): State<AppState>) -> Response {
    let answer = async {
        let stats = app.queue.stats().await?;
        let retrying = app.queue.retrying(RETRYING_SHOWN).await?;
        let mut body = serde_json::to_value(stats).expect("stats serialise");
        body["retrying_deliveries"] = retrying
            .into_iter()
            .map(|r| {
                json!({
                    "delivery_id": r.delivery_id,
                    "event": r.event,
                    "key": r.key,
                    "attempts": r.attempts,
                    "retry_at": time::OffsetDateTime::from_unix_timestamp_nanos(
                        i128::from(r.not_before_ms) * 1_000_000,
                    )
                    .ok()
                    .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
                    "last_error": r.last_error,
                })
            })
            .collect();
        Ok::<_, crate::queue::QueueError>(body)
    };
    match answer.await {
        Ok(body) => Json(body).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": format!("queue unavailable: {e}")})),
        )
            .into_response(),
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}
