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

async fn status(State(app): State<AppState>) -> Response {
    match app.queue.stats().await {
        Ok(stats) => Json(stats).into_response(),
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
