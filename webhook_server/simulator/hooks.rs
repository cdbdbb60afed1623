//! Webhook deliveries: every state change, the bot's own included, becomes one signed POST per
//! matching hook, sent in the order the changes happened.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::world::{DeliveryRecord, World};
use crate::intake::sign;

pub struct Outgoing {
    record: u64,
    hook_id: u64,
    url: String,
    secret: Option<String>,
    event: String,
    delivery_id: String,
    payload: Vec<u8>,
}

/// Records a delivery of `event` for every hook of `repo` that wants it. `repository` and
/// `sender` are added to the payload as GitHub does. Returns what must be sent, in order.
pub fn emit(
    world: &mut World,
    repo: &str,
    event: &str,
    sender: &str,
    mut payload: Value,
) -> Vec<Outgoing> {
    let key = repo.to_ascii_lowercase();
    let hooks: Vec<_> = world
        .hooks
        .iter()
        .filter(|h| h.repo == key && h.wants(event))
        .cloned()
        .collect();
    if hooks.is_empty() {
        return Vec::new();
    }
    world.user_id(sender);
    if let Some(r) = world.repos.get(&key) {
        payload["repository"] = world.repo_json(r);
    }
    payload["sender"] = world.user_json(sender);
    let action = payload
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_string);
    let body = serde_json::to_vec(&payload).expect("payloads serialise");
    world.payloads.push(super::world::Emitted {
        event: event.to_string(),
        payload,
    });
    let mut out = Vec::new();
    for hook in hooks {
        let record = world.next_id();
        let delivery_id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            record,
            world.deliveries.len()
        );
        world.deliveries.push(DeliveryRecord {
            id: record,
            delivery_id: delivery_id.clone(),
            hook_id: hook.id,
            event: event.to_string(),
            action: action.clone(),
            status: None,
        });
        out.push(Outgoing {
            record,
            hook_id: hook.id,
            url: hook.url.clone(),
            secret: hook.secret.clone(),
            event: event.to_string(),
            delivery_id,
            payload: body.clone(),
        });
    }
    out
}

/// Sends queued deliveries one at a time, so hooks see changes in the order they happened.
pub async fn deliver(
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    world: Arc<Mutex<World>>,
    http: reqwest::Client,
) {
    while let Some(d) = rx.recv().await {
        let mut req = http
            .post(&d.url)
            .timeout(Duration::from_secs(10))
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/simulator")
            .header("x-github-event", &d.event)
            .header("x-github-delivery", &d.delivery_id)
            .header("x-github-hook-id", d.hook_id.to_string())
            .body(d.payload.clone());
        if let Some(secret) = &d.secret {
            req = req.header("x-hub-signature-256", sign(secret, &d.payload));
        }
        let status = match req.send().await {
            Ok(resp) => resp.status().as_u16(),
            Err(e) => {
                tracing::warn!(url = %d.url, "delivery {} failed: {e}", d.delivery_id);
                0
            }
        };
        let mut w = world.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rec) = w.deliveries.iter_mut().find(|r| r.id == d.record) {
            rec.status = Some(status);
        }
    }
}
