//! REST on a repository itself: the caller, the repository and its settings, code scanning,
//! collaborators, file contents, the rate limit and `/meta`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::call::Call;
use super::paging::{Page, array_page};
use crate::errors::{gh_error, not_found, rest_refusal};
use crate::state::{QuotaKey, Sim, repo_key};

pub(crate) async fn get_user(call: Call) -> Response {
    let Some(login) = call.caller.0 else {
        return gh_error(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    Json(call.sim.lock().profile_json(&login)).into_response()
}

pub(crate) async fn get_repo(call: Call, Path((owner, repo)): Path<(String, String)>) -> Response {
    call.read(&owner, &repo, |w, r| Json(w.repo_json(r)).into_response())
}

/// Repository settings the server's bootstrap may change; other keys are refused.
const SETTINGS: &[&str] = &[
    "allow_auto_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_squash_merge",
    "allow_update_branch",
    "delete_branch_on_merge",
    "has_issues",
    "has_projects",
    "has_wiki",
];

/// `PATCH /repos/{o}/{r}`: admins change boolean settings, read back by `GET`.
pub(crate) async fn update_repo(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Response {
    let denied = "Must have admin rights to Repository.";
    if let Err(refusal) = call.administrator(&owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let key = repo_key(&owner, &repo);
    let mut w = call.sim.lock();
    for (name, value) in &body {
        if !SETTINGS.contains(&name.as_str()) || !value.is_boolean() {
            return gh_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Validation Failed: {name} is not a setting the simulator keeps"),
            );
        }
    }
    let r = w.repos.get_mut(&key).expect("checked above");
    r.settings.extend(body);
    Json(w.repo_json(&w.repos[&key])).into_response()
}

/// `GET .../code-scanning/default-setup`.
pub(crate) async fn get_code_scanning(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    call.read(&owner, &repo, |_w, r| {
        let mut setup = json!({
            "state": "not-configured", "languages": [], "runner_type": null, "runner_label": null,
            "query_suite": "default", "updated_at": null, "schedule": null,
        });
        for (k, v) in &r.code_scanning {
            setup[k] = v.clone();
        }
        Json(setup).into_response()
    })
}

#[derive(Deserialize)]
pub(crate) struct CodeScanningUpdate {
    state: Option<String>,
    query_suite: Option<String>,
}

/// `PATCH .../code-scanning/default-setup`: admins turn it on (202 with the analysis run it
/// starts) or off (200).
pub(crate) async fn update_code_scanning(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<CodeScanningUpdate>,
) -> Response {
    let denied = "Resource not accessible by integration";
    if let Err(refusal) = call.administrator(&owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let key = repo_key(&owner, &repo);
    let mut w = call.sim.lock();
    let run_id = w.next_id();
    let api = w.api_base.clone();
    let r = w.repos.get_mut(&key).expect("writer checked it exists");
    let state = match body.state.as_deref() {
        Some(s @ ("configured" | "not-configured")) => s.to_string(),
        None => r
            .code_scanning
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("not-configured")
            .to_string(),
        Some(other) => {
            return gh_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Invalid state `{other}`"),
            );
        }
    };
    r.code_scanning.insert("state".into(), json!(state));
    r.code_scanning
        .insert("updated_at".into(), json!(crate::world::now()));
    if let Some(suite) = body.query_suite {
        r.code_scanning.insert("query_suite".into(), json!(suite));
    }
    if state == "configured" {
        let run_url = format!("{api}/repos/{owner}/{repo}/actions/runs/{run_id}");
        (
            StatusCode::ACCEPTED,
            Json(json!({"run_id": run_id, "run_url": run_url})),
        )
            .into_response()
    } else {
        Json(json!({})).into_response()
    }
}

pub(crate) async fn list_collaborators(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let list: Vec<Value> = r
            .collaborators
            .iter()
            .map(|(login, permission)| {
                let mut u = w.user_json(login);
                let level = |p: &str| {
                    ["read", "triage", "write", "maintain", "admin"]
                        .iter()
                        .position(|x| *x == p)
                };
                let mine = level(permission).unwrap_or(0);
                u["permissions"] = json!({
                    "pull": true, "triage": mine >= 1, "push": mine >= 2,
                    "maintain": mine >= 3, "admin": mine >= 4,
                });
                u["role_name"] = Value::String(permission.clone());
                u
            })
            .collect();
        array_page(
            &w.api_base,
            &format!("/repos/{owner}/{repo}/collaborators"),
            &page,
            list,
        )
    })
}

#[derive(Deserialize)]
pub(crate) struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

pub(crate) async fn get_contents(
    call: Call,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(q): Query<RefQuery>,
    _headers: HeaderMap,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let git_ref = q.git_ref.unwrap_or_else(|| r.default_branch.clone());
        let Some(content) = r.git.read_file(&git_ref, &path) else {
            return not_found();
        };
        let api = format!("{}/repos/{}/{}", w.api_base, r.owner, r.name);
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&content);
        Json(json!({
            "type": "file", "encoding": "base64", "size": content.len(), "name": name,
            "path": path, "content": encoded, "sha": "",
            "url": format!("{api}/contents/{path}?ref={git_ref}"),
            "git_url": null, "html_url": null, "download_url": null,
            "_links": {"self": format!("{api}/contents/{path}"), "git": null, "html": null},
        }))
        .into_response()
    })
}

/// `GET /rate_limit`: what the caller's token has left (asking costs nothing, as on GitHub).
pub(crate) async fn rate_limit(
    State(sim): State<Sim>,
    axum::Extension(QuotaKey(token)): axum::Extension<QuotaKey>,
) -> Response {
    let w = sim.lock();
    let quota = w.limits.get(&token).copied();
    let (limit, remaining, reset) = match quota {
        Some(q) => (q.limit, q.remaining, q.reset),
        None => (
            w.default_limit,
            w.default_limit,
            time::OffsetDateTime::now_utc().unix_timestamp() + 3600,
        ),
    };
    let core =
        json!({"limit": limit, "remaining": remaining, "reset": reset, "used": limit - remaining});
    let other = json!({"limit": 5000, "remaining": 5000, "reset": reset, "used": 0});
    Json(json!({
        "resources": {"core": core.clone(), "search": other.clone(), "graphql": other},
        "rate": core,
    }))
    .into_response()
}

/// `GET /meta`: where GitHub's hooks come from. The simulator delivers from loopback.
pub(crate) async fn meta() -> Response {
    Json(json!({
        "verifiable_password_authentication": false,
        "hooks": ["127.0.0.0/8", "::1/128"],
        "web": [], "api": [], "git": [], "packages": [], "pages": [], "importer": [],
        "actions": [], "dependabot": [],
    }))
    .into_response()
}
