//! REST: a repository's webhooks, their deliveries, and redelivery. Only repository admins
//! see them; to anyone else they do not exist (404), as on GitHub.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::hooks::{emit_to, redeliver};
use super::world::{Hook, World, now};
use crate::errors::{gh_error, not_found};
use crate::state::{Caller, Sim, repo_key};

/// The repository key when the caller administers it.
fn administered(w: &World, caller: &Caller, owner: &str, repo: &str) -> Option<String> {
    let key = repo_key(owner, repo);
    let login = caller.0.as_deref()?;
    w.is_admin(&key, login).then_some(key)
}

pub(super) async fn list(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let r = &w.repos[&key];
    let hooks: Vec<Value> = w
        .hooks
        .iter()
        .filter(|h| h.repo == key)
        .map(|h| w.hook_json(r, h))
        .collect();
    Json(hooks).into_response()
}

#[derive(Deserialize, Default)]
pub(super) struct HookConfig {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct HookBody {
    #[serde(default)]
    config: Option<HookConfig>,
    events: Option<Vec<String>>,
    active: Option<bool>,
}

pub(super) async fn create(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<HookBody>,
) -> Response {
    let sender = caller.0.clone().unwrap_or_default();
    let mut w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
    let ping = json!({"zen": "Keep it logically awesome.", "hook_id": id, "hook": json.clone()});
    let out = emit_to(&mut w, &key, "ping", &sender, ping, Some(id));
    drop(w);
    sim.send(out);
    (StatusCode::CREATED, Json(json)).into_response()
}

pub(super) async fn update(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<HookBody>,
) -> Response {
    let mut w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
}

pub(super) async fn delete(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    let mut w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let before = w.hooks.len();
    w.hooks.retain(|h| !(h.id == id && h.repo == key));
    if w.hooks.len() == before {
        return not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn deliveries(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
}

pub(super) async fn redeliver_attempt(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id, delivery)): Path<(String, String, u64, u64)>,
) -> Response {
    let mut w = sim.lock();
    let Some(key) = administered(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let belongs = w
        .deliveries
        .iter()
        .any(|d| d.id == delivery && d.hook_id == id)
        && w.hooks.iter().any(|h| h.id == id && h.repo == key);
    if !belongs {
        return not_found();
    }
    let Some(out) = redeliver(&mut w, delivery, false) else {
        return not_found();
    };
    drop(w);
    sim.send(vec![out]);
    (StatusCode::ACCEPTED, Json(json!({}))).into_response()
}
