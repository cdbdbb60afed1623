//! The HTTP surface: intake, health and queue status.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::{Notify, watch};

use crate::allowlist::Allowlist;
use crate::config::Config;
use crate::intake;
use crate::queue::DeliveryQueue;

#[derive(Clone)]
pub struct AppState {
    pub config: watch::Receiver<Arc<Config>>,
    pub queue: Arc<dyn DeliveryQueue>,
    /// Wakes the workers when a delivery is stored.
    pub wake: Arc<Notify>,
    pub allowlist: Arc<Allowlist>,
}

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
