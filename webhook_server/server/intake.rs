//! `POST /webhook_server`: authenticate, check and durably queue a delivery.
//!
//! Order: IP allowlist, body cap, signature (before anything reads the body), event header,
//! JSON shape, then the durable enqueue. The 200 goes out only once the delivery is stored.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use sha2::Sha256;

use super::allowlist::Refusal;
use super::state::AppState;
use crate::queue::{Enqueued, NewDelivery, PayloadMeta, ordering_key};

/// GitHub caps webhook payloads at 25 MB and drops larger ones; so do we.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// Events that legitimately carry no `repository` (app, organisation and account level).
const REPOSITORYLESS_EVENTS: &[&str] = &[
    "ping",
    "installation",
    "installation_repositories",
    "installation_target",
    "github_app_authorization",
    "marketplace_purchase",
    "membership",
    "organization",
    "org_block",
    "team",
    "sponsorship",
    "security_advisory",
    "personal_access_token_request",
    "projects_v2",
    "projects_v2_item",
];

fn error(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(json!({ "detail": detail.into() }))).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// Verifies `X-Hub-Signature-256` in constant time.
pub fn verify_signature(
    secret: &str,
    body: &[u8],
    signature: Option<&str>,
) -> Result<(), &'static str> {
    let signature = signature.ok_or("x-hub-signature-256 header is missing!")?;
    const MISMATCH: &str = "Request signatures didn't match!";
    let hex_sig = signature.strip_prefix("sha256=").ok_or(MISMATCH)?;
    let expected = hex::decode(hex_sig).map_err(|_| MISMATCH)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| MISMATCH)
}

pub async fn receive(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match app.allowlist.check(peer.ip()) {
        Ok(()) => {}
        Err(Refusal::NotLoaded) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "IP allowlist is enabled but not loaded yet",
            );
        }
        Err(Refusal::NotAllowed(ip)) => {
            return error(
                StatusCode::FORBIDDEN,
                format!("{ip} IP is not a valid ip in allowlist IPs"),
            );
        }
    }

    let declared_len = header(&headers, "content-length").and_then(|v| v.parse::<usize>().ok());
    if declared_len.is_some_and(|n| n > MAX_BODY) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "Payload exceeds 25 MiB");
    }
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "Payload exceeds 25 MiB");
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "Failed to read request body"),
    };

    let config = app.config.borrow().clone();
    if let Some(secret) = &config.server.webhook_secret
        && let Err(why) = verify_signature(secret, &bytes, header(&headers, "x-hub-signature-256"))
    {
        return error(StatusCode::FORBIDDEN, why);
    }

    let Some(event) = header(&headers, "x-github-event") else {
        return error(StatusCode::BAD_REQUEST, "Missing X-GitHub-Event header");
    };
    let meta: PayloadMeta = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Invalid JSON payload: {e}"),
            );
        }
    };
    if !REPOSITORYLESS_EVENTS.contains(&event) {
        let Some(repo) = &meta.repository else {
            return error(StatusCode::BAD_REQUEST, "Missing repository in payload");
        };
        if repo.name.is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                "Missing repository.name in payload",
            );
        }
        if repo.full_name.is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                "Missing repository.full_name in payload",
            );
        }
    }

    let delivery_id = match header(&headers, "x-github-delivery") {
        Some(id) => id.to_string(),
        None => {
            // Without an id there is nothing to deduplicate on; give it a unique one.
            let id = local_delivery_id();
            tracing::warn!(delivery = %id, "delivery without X-GitHub-Delivery; assigned an id");
            id
        }
    };
    let delivery = NewDelivery {
        key: ordering_key(event, &delivery_id, &meta),
        delivery_id: delivery_id.clone(),
        event: event.to_string(),
        hook_id: header(&headers, "x-github-hook-id").map(str::to_string),
        repository: meta.repository.as_ref().and_then(|r| r.full_name.clone()),
        action: meta.action.clone(),
        payload: bytes,
    };
    match app.queue.enqueue(delivery).await {
        Ok(Enqueued::Queued) => {
            app.wake.notify_one();
            tracing::debug!(delivery = %delivery_id, event, "delivery queued");
            Json(json!({
                "status": 200,
                "message": "Webhook queued for processing",
                "delivery_id": delivery_id,
                "event_type": event,
            }))
            .into_response()
        }
        Ok(Enqueued::Duplicate) => {
            tracing::info!(delivery = %delivery_id, event, "duplicate delivery ignored");
            Json(json!({
                "status": 200,
                "message": "Duplicate delivery: already received, not processed again",
                "delivery_id": delivery_id,
                "event_type": event,
            }))
            .into_response()
        }
        Err(e) => {
            tracing::error!(delivery = %delivery_id, "could not store delivery: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Could not store the delivery; redeliver it later",
            )
        }
    }
}

/// Unique within this server's lifetime and across restarts (the clock moves on).
fn local_delivery_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "local-{nanos:x}-{}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // From GitHub's "Validating webhook deliveries" documentation.
    const DOC_SECRET: &str = "It's a Secret to Everybody";
    const DOC_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn signatures_are_checked_and_mismatches_are_refused() {
        let sig = DOC_SIGNATURE;
        assert!(verify_signature(DOC_SECRET, b"Hello, World!", Some(sig)).is_ok());
        assert_eq!(
            verify_signature(DOC_SECRET, b"other", Some(sig)),
            Err("Request signatures didn't match!")
        );
        assert_eq!(
            verify_signature("another secret", b"Hello, World!", Some(sig)),
            Err("Request signatures didn't match!")
        );
        assert_eq!(
            verify_signature(DOC_SECRET, b"Hello, World!", None),
            Err("x-hub-signature-256 header is missing!")
        );
        let sha1 = sig.replace("sha256=", "sha1=");
        assert!(verify_signature(DOC_SECRET, b"Hello, World!", Some(&sha1)).is_err());
        assert!(verify_signature(DOC_SECRET, b"Hello, World!", Some("sha256=zz")).is_err());
    }
}
