//! Webhook deliveries: every state change, the bot's own included, becomes one signed POST per
//! matching hook, sent in the order the changes happened.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::world::{DeliveryRecord, World};
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    payload: Value,
) -> Vec<Outgoing> {
    emit_to(world, repo, event, sender, payload, None)
}

/// As `emit`, but to one hook only when `only` is given (a new hook's `ping`).
pub fn emit_to(
    world: &mut World,
    repo: &str,
    event: &str,
    sender: &str,
    mut payload: Value,
    only: Option<u64>,
) -> Vec<Outgoing> {
    let key = repo.to_ascii_lowercase();
    let hooks: Vec<_> = world
        .hooks
        .iter()
        .filter(|h| h.repo == key && only.is_none_or(|id| h.id == id))
        .filter(|h| h.wants(event) || only.is_some())
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
            redelivery: false,
            delivered_at: super::world::now(),
            payload: body.clone(),
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

/// Sends a recorded delivery again, with its original GUID, as GitHub's redelivery does.
/// `fresh_id` gives the copy a new delivery id, as if GitHub had sent the same event twice (a
/// test facility; GitHub's own redelivery keeps the id).
pub fn redeliver(world: &mut World, record_id: u64, fresh_id: bool) -> Option<Outgoing> {
    let original = world.deliveries.iter().find(|d| d.id == record_id)?.clone();
    let hook = world
        .hooks
        .iter()
        .find(|h| h.id == original.hook_id)?
        .clone();
    let record = world.next_id();
    let delivery_id = if fresh_id {
        format!(
            "{record:08x}-0000-4000-9000-{:012x}",
            world.deliveries.len()
        )
    } else {
        original.delivery_id.clone()
    };
    world.deliveries.push(DeliveryRecord {
        id: record,
        redelivery: true,
        status: None,
        delivered_at: super::world::now(),
        delivery_id: delivery_id.clone(),
        ..original.clone()
    });
    Some(Outgoing {
        record,
        hook_id: hook.id,
        url: hook.url,
        secret: hook.secret,
        event: original.event,
        delivery_id,
        payload: original.payload,
    })
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

/// `sha256=<hex>` for `body`, as GitHub signs a delivery in `X-Hub-Signature-256`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_githubs_documented_example() {
        // From GitHub's "Validating webhook deliveries" documentation.
        assert_eq!(
            super::sign("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
