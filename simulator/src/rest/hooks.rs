//! REST: a repository's webhooks, their deliveries, and redelivery. Only repository admins
//! see them; to anyone else they do not exist (404), as on GitHub.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::call::Call;
use crate::errors::{gh_error, not_found};
use crate::hooks::{emit_to, redeliver};
use crate::world::{Hook, now};

pub(crate) async fn list(call: Call, Path((owner, repo)): Path<(String, String)>) -> Response {
    call.administer(&owner, &repo, |w, key, _| {
        let r = &w.repos[&key];
        let hooks: Vec<Value> = w
            .hooks
            .iter()
            .filter(|h| h.repo == key)
            .map(|h| w.hook_json(r, h))
            .collect();
        Json(hooks).into_response()
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct HookConfig {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct HookBody {
    #[serde(default)]
    config: Option<HookConfig>,
    events: Option<Vec<String>>,
    active: Option<bool>,
}

pub(crate) async fn create(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<HookBody>,
) -> Response {
    let sender = call.caller.0.clone().unwrap_or_default();
    call.administer(&owner, &repo, |w, key, out| {
        let config = body.config.unwrap_or_default();
        let Some(url) = config.url else {
            return gh_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation Failed: config.url is required",
            );
        };
        let at = now();
        let id = w.next_id();
        let hook = Hook {
            id,
            repo: key.clone(),
            url,
            secret: config.secret.filter(|s| !s.is_empty()),
            events: body.events.unwrap_or_else(|| vec!["push".to_string()]),
            active: body.active.unwrap_or(true),
            content_type: config.content_type.unwrap_or_else(|| "form".to_string()),
            created_at: at.clone(),
            updated_at: at,
        };
        w.hooks.push(hook);
        let json = w.hook_json(&w.repos[&key], w.hooks.last().expect("just pushed"));
        // GitHub pings a new hook.
        let ping =
            json!({"zen": "Keep it logically awesome.", "hook_id": id, "hook": json.clone()});
        out.extend(emit_to(w, &key, "ping", &sender, ping, Some(id)));
        (StatusCode::CREATED, Json(json)).into_response()
    })
}

pub(crate) async fn update(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<HookBody>,
) -> Response {
    call.administer(&owner, &repo, |w, key, _| {
        let Some(hook) = w.hooks.iter_mut().find(|h| h.id == id && h.repo == key) else {
            return not_found();
        };
        if let Some(config) = body.config {
            if let Some(url) = config.url {
                hook.url = url;
            }
            if let Some(ct) = config.content_type {
                hook.content_type = ct;
            }
            if let Some(secret) = config.secret {
                hook.secret = (!secret.is_empty()).then_some(secret);
            }
        }
        if let Some(events) = body.events {
            hook.events = events;
        }
        if let Some(active) = body.active {
            hook.active = active;
        }
        hook.updated_at = now();
        let hook = hook.clone();
        Json(w.hook_json(&w.repos[&key], &hook)).into_response()
    })
}

pub(crate) async fn delete(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    call.administer(&owner, &repo, |w, key, _| {
        let before = w.hooks.len();
        w.hooks.retain(|h| !(h.id == id && h.repo == key));
        if w.hooks.len() == before {
            return not_found();
        }
        StatusCode::NO_CONTENT.into_response()
    })
}

pub(crate) async fn deliveries(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    call.administer(&owner, &repo, |w, key, _| {
        if !w.hooks.iter().any(|h| h.id == id && h.repo == key) {
            return not_found();
        }
        let r = &w.repos[&key];
        // Newest first, as GitHub lists them.
        let list: Vec<Value> = w
            .deliveries
            .iter()
            .rev()
            .filter(|d| d.hook_id == id)
            .map(|d| w.hook_delivery_json(r, d))
            .collect();
        Json(list).into_response()
    })
}

pub(crate) async fn redeliver_attempt(
    call: Call,
    Path((owner, repo, id, delivery)): Path<(String, String, u64, u64)>,
) -> Response {
    call.administer(&owner, &repo, |w, key, out| {
        let belongs = w
            .deliveries
            .iter()
            .any(|d| d.id == delivery && d.hook_id == id)
            && w.hooks.iter().any(|h| h.id == id && h.repo == key);
        if !belongs {
            return not_found();
        }
        let Some(again) = redeliver(w, delivery, false) else {
            return not_found();
        };
        out.push(again);
        (StatusCode::ACCEPTED, Json(json!({}))).into_response()
    })
}
