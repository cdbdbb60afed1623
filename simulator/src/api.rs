//! HTTP surface of the simulator: the admin API under `/_simulator/` and the GitHub REST
//! operations, with token authentication, `X-RateLimit-*` headers and a request log.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::mpsc;

use super::actions::Refusal;
use super::apps::{self, AppCaller};
use super::graphql::GitHubSchema;
use super::hooks::Outgoing;
use super::world::{Exchange, Repo, World};
use super::{admin, rest, rest_commits, rest_hooks, rest_pulls};

#[derive(Clone)]
pub struct Sim {
    pub world: Arc<Mutex<World>>,
    pub outbox: mpsc::UnboundedSender<Outgoing>,
    pub graphql: GitHubSchema,
}

impl Sim {
    pub(super) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn send(&self, out: Vec<Outgoing>) {
        for d in out {
            let _ = self.outbox.send(d);
        }
    }
}

/// GitHub's error body.
pub(super) fn gh_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest"})),
    )
        .into_response()
}

pub(super) fn not_found() -> Response {
    gh_error(StatusCode::NOT_FOUND, "Not Found")
}

pub(super) fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// A refused change, as GitHub answers it.
pub(super) fn rest_refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthenticated => gh_error(StatusCode::UNAUTHORIZED, "Requires authentication"),
        Refusal::Forbidden(m) => gh_error(StatusCode::FORBIDDEN, &m),
        Refusal::NotFound => not_found(),
        Refusal::Invalid(m) => gh_error(StatusCode::UNPROCESSABLE_ENTITY, &m),
        Refusal::NotAllowed(m) => gh_error(StatusCode::METHOD_NOT_ALLOWED, &m),
        Refusal::Conflict(m) => gh_error(StatusCode::CONFLICT, &m),
    }
}

pub(super) fn admin_refusal(refusal: Refusal) -> Response {
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

pub fn router(sim: Sim) -> Router {
    let admin = Router::new()
        .route("/_simulator/repos", post(admin::create_repo))
        .route("/_simulator/hooks", post(admin::create_hook))
        .route("/_simulator/tokens", post(admin::create_token))
        .route("/_simulator/apps", post(apps::create_app))
        .route("/_simulator/apps/{id}/reinstall", post(apps::reinstall_app))
        .route("/_simulator/reset", post(admin::reset))
        .route("/_simulator/requests", get(admin::list_requests))
        .route("/_simulator/deliveries", get(admin::list_deliveries))
        .route("/_simulator/replay", post(admin::replay))
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls",
            post(admin::open_pull),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/commits",
            post(admin::push_commit),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/comments",
            post(admin::admin_comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/reviews",
            post(admin::review),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/labels",
            post(admin::add_labels).delete(admin::remove_labels),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/check-runs",
            post(admin::check_run),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/merge",
            post(admin::merge),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/close",
            post(admin::close),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/branches",
            post(admin::branch),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/commits",
            post(admin::commit),
        )
        .route("/_simulator/repos/{owner}/{repo}/tags", post(admin::tag))
        .route(
            "/_simulator/internal/pushed/{owner}/{repo}",
            post(admin::pushed),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/comments/{id}",
            axum::routing::patch(admin::edit_comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/rebase",
            post(admin::rebase),
        )
        .route("/_simulator/latency", post(admin::latency))
        .route(
            "/_simulator/mergeability-delay",
            post(admin::mergeability_delay),
        )
        .route("/_simulator/faults", post(admin::faults))
        .route("/_simulator/rate-limit", post(admin::rate_limit));
    let rest = Router::new()
        .route("/user", get(rest::get_user))
        .route(
            "/repos/{owner}/{repo}",
            get(rest::get_repo).patch(rest::update_repo),
        )
        .route(
            "/repos/{owner}/{repo}/collaborators",
            get(rest::list_collaborators),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(rest::get_pull).patch(rest_pulls::update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(rest::get_issue).patch(rest::update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues",
            get(rest_pulls::list_issues).post(rest::create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(rest::list_labels).post(rest::create_label),
        )
        .route(
            "/repos/{owner}/{repo}/labels/{name}",
            get(rest::get_label).patch(rest::update_label),
        )
        .route("/rate_limit", get(rest::rate_limit))
        .route("/meta", get(rest::meta))
        .route("/app", get(apps::get_app))
        .route(
            "/repos/{owner}/{repo}/installation",
            get(apps::repo_installation),
        )
        .route(
            "/app/installations/{installation}/access_tokens",
            post(apps::access_token),
        )
        .route("/graphql", post(graphql))
        .route("/repos/{owner}/{repo}/pulls", get(rest_pulls::list_pulls))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/commits",
            get(rest_pulls::pull_commits),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/files",
            get(rest_pulls::pull_files),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
            post(rest_pulls::request_reviewers),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews/{id}/dismissals",
            axum::routing::put(rest_pulls::dismiss_review),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/assignees",
            post(rest_pulls::add_assignees),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            get(rest_pulls::get_comment).patch(rest_pulls::update_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
            post(rest_pulls::add_reaction),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}",
            get(rest_commits::get_branch),
        )
        .route(
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            get(rest_commits::get_protection).put(rest_commits::put_protection),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}",
            get(rest_commits::get_commit),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/pulls",
            get(rest_commits::commit_pulls),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/statuses",
            get(rest_commits::list_statuses),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/status",
            get(rest_commits::combined_status),
        )
        .route(
            "/repos/{owner}/{repo}/statuses/{sha}",
            post(rest_commits::create_status),
        )
        .route(
            "/repos/{owner}/{repo}/compare/{basehead}",
            get(rest_commits::compare),
        )
        .route(
            "/repos/{owner}/{repo}/code-scanning/default-setup",
            get(rest::get_code_scanning).patch(rest::update_code_scanning),
        )
        .route(
            "/repos/{owner}/{repo}/contributors",
            get(rest_commits::contributors),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(rest::list_comments).post(rest::create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(rest::get_contents),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            get(rest::list_issue_labels).post(rest::add_issue_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels/{name}",
            axum::routing::delete(rest::remove_issue_label),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(rest::list_reviews).post(rest::create_review),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/merge",
            get(rest_pulls::is_merged).put(rest::merge_pull),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs",
            post(rest::create_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/check-runs/{id}",
            axum::routing::patch(rest::update_check_run),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/check-runs",
            get(rest::list_check_runs),
        )
        .route(
            "/repos/{owner}/{repo}/hooks",
            get(rest_hooks::list).post(rest_hooks::create),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}",
            axum::routing::patch(rest_hooks::update).delete(rest_hooks::delete),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries",
            get(rest_hooks::deliveries),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}/deliveries/{delivery}/attempts",
            post(rest_hooks::redeliver_attempt),
        )
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    admin.merge(rest).with_state(sim)
}

/// The login a request acts as, resolved from its token by `authenticate`.
#[derive(Clone)]
pub(super) struct Caller(pub(super) Option<String>);

/// Whose rate limit a request counts against: its token, or `anonymous`.
#[derive(Clone)]
pub(super) struct QuotaKey(pub(super) String);

/// Milliseconds since the first request this process's simulators saw: when each exchange
/// started and finished, so overlapping (parallel) calls can be told from chained ones.
fn clock_ms() -> f64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

async fn authenticate(State(sim): State<Sim>, req: Request, next: Next) -> Response {
    let started_ms = clock_ms();
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive, as on GitHub: `token`, `Bearer` or `bearer`.
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")
        })
        .map(|(_, t)| t.trim().to_string());
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    // Bodies are kept (request and response) for the OpenAPI fidelity check.
    let (parts, body) = req.into_parts();
    let Ok(request_bytes) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return gh_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    };
    let request_json = serde_json::from_slice(&request_bytes).ok();
    let mut req = Request::from_parts(parts, axum::body::Body::from(request_bytes));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Bound first: the guard must be gone before `record` locks again.
    let identity = token.as_deref().map(|t| {
        let w = sim.lock();
        if apps::is_jwt(t) {
            return apps::verify(&w, t).map(|app| (None, Some(app)));
        }
        let live = w.token_expiry.get(t).is_none_or(|expires| *expires > now);
        match w.tokens.get(t) {
            Some(login) if live => Ok((Some(login.clone()), None)),
            _ => Err("Bad credentials"),
        }
    });
    let (login, app) = match identity {
        None => (None, None),
        Some(Ok(who)) => who,
        Some(Err(message)) => {
            let resp = gh_error(StatusCode::UNAUTHORIZED, message);
            let exchange = (method, path, query, request_json, started_ms);
            return record(&sim, exchange, None, resp).await;
        }
    };
    req.extensions_mut().insert(Caller(login.clone()));
    req.extensions_mut().insert(AppCaller(app));
    // An app's JWTs change every few minutes; its quota does not.
    let key = match (app, &token) {
        (Some(id), _) => format!("app:{id}"),
        (None, Some(t)) => t.clone(),
        (None, None) => "anonymous".to_string(),
    };
    req.extensions_mut().insert(QuotaKey(key.clone()));
    let (latency, fault, quota, allowed) = {
        let mut w = sim.lock();
        let fault = w.faults.as_mut().and_then(|f| f.draw());
        let (quota, allowed) = if path == "/rate_limit" {
            w.peek(&key)
        } else {
            w.charge(&key)
        };
        (w.latency_ms, fault, quota, allowed)
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let mut resp = if !allowed {
        let mut r = gh_error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for this token.",
        );
        r.headers_mut()
            .insert("retry-after", (quota.reset - now).max(1).into());
        r
    } else if let Some(status) = fault {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        gh_error(status, "Simulated fault")
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", quota.limit.into());
    h.insert("x-ratelimit-remaining", quota.remaining.into());
    h.insert("x-ratelimit-used", (quota.limit - quota.remaining).into());
    h.insert(
        "x-ratelimit-resource",
        "core".parse().expect("static header"),
    );
    h.insert("x-ratelimit-reset", quota.reset.into());
    let exchange = (method, path, query, request_json, started_ms);
    record(&sim, exchange, login, resp).await
}

const MAX_REQUEST: usize = 32 * 1024 * 1024;

type Seen = (
    String,
    String,
    Option<String>,
    Option<serde_json::Value>,
    f64,
);

/// Logs the request, and the whole exchange for the fidelity check; returns the response.
async fn record(sim: &Sim, seen: Seen, login: Option<String>, resp: Response) -> Response {
    let (method, path, query, request, started_ms) = seen;
    let operation = (path == "/graphql")
        .then(|| request.as_ref().and_then(operation_name))
        .flatten();
    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let response = serde_json::from_slice(&bytes).ok();
    let mut w = sim.lock();
    let id = w.exchanges.len() as u64 + 1;
    w.exchanges.push(Exchange {
        id,
        login,
        method,
        path,
        query,
        operation,
        request,
        status,
        response,
        started_ms,
        finished_ms: clock_ms(),
    });
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

pub(super) fn repo_key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_ascii_lowercase()
}

/// A repository the caller may see: private ones only for collaborators.
pub(super) fn visible<'a>(
    w: &'a World,
    caller: &Caller,
    owner: &str,
    repo: &str,
) -> Option<&'a Repo> {
    let r = w.repos.get(&repo_key(owner, repo))?;
    if !r.private {
        return Some(r);
    }
    let login = caller.0.as_deref()?;
    let key = repo_key(owner, repo);
    (r.collaborators.contains_key(login) || w.can_write(&key, login)).then_some(r)
}

/// The operation a GraphQL request runs: `operationName`, else the document's first name.
fn operation_name(request: &serde_json::Value) -> Option<String> {
    if let Some(name) = request["operationName"].as_str() {
        return Some(name.to_string());
    }
    let doc = async_graphql::parser::parse_query(request["query"].as_str()?).ok()?;
    doc.operations
        .iter()
        .next()
        .and_then(|(name, _)| name.map(|n| n.to_string()))
}

/// `POST /graphql`: GitHub answers 200 with `errors` for anything past authentication.
async fn graphql(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    axum::Extension(QuotaKey(key)): axum::Extension<QuotaKey>,
    body: axum::body::Bytes,
) -> Response {
    if caller.0.is_none() {
        return gh_error(
            StatusCode::UNAUTHORIZED,
            "This endpoint requires you to be authenticated.",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return gh_error(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
    };
    let quota = sim.lock().peek(&key).0;
    let response = sim
        .graphql
        .execute(request.data(sim.clone()).data(caller).data(quota))
        .await;
    let mut body = serde_json::to_value(&response).unwrap_or_default();
    // GitHub puts an error's `type` beside its message, not under `extensions`.
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            if let Some(kind) = error
                .get_mut("extensions")
                .and_then(|x| x.as_object_mut())
                .and_then(|x| x.remove("type"))
            {
                error["type"] = kind;
            }
            if error["extensions"]
                .as_object()
                .is_some_and(|x| x.is_empty())
            {
                error.as_object_mut().map(|e| e.remove("extensions"));
            }
        }
    }
    Json(body).into_response()
}
