//! HTTP surface of the simulator: the admin API under `/_simulator/` and the GitHub REST
//! operations, with token authentication, `X-RateLimit-*` headers and a request log.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::git::{BareRepo, Changes};
use super::hooks::{Outgoing, emit};
use super::world::{Comment, Hook, Issue, Pull, Repo, World, now};

#[derive(Clone)]
pub struct Sim {
    pub world: Arc<Mutex<World>>,
    pub outbox: mpsc::UnboundedSender<Outgoing>,
}

impl Sim {
    fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, out: Vec<Outgoing>) {
        for d in out {
            let _ = self.outbox.send(d);
        }
    }
}

/// GitHub's error body.
fn gh_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest"})),
    )
        .into_response()
}

fn not_found() -> Response {
    gh_error(StatusCode::NOT_FOUND, "Not Found")
}

fn admin_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

pub fn router(sim: Sim) -> Router {
    let admin = Router::new()
        .route("/_simulator/repos", post(create_repo))
        .route("/_simulator/hooks", post(create_hook))
        .route("/_simulator/tokens", post(create_token))
        .route("/_simulator/reset", post(reset))
        .route("/_simulator/requests", get(list_requests))
        .route("/_simulator/deliveries", get(list_deliveries))
        .route("/_simulator/repos/{owner}/{repo}/pulls", post(open_pull))
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/commits",
            post(push_commit),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/comments",
            post(admin_comment),
        );
    let rest = Router::new()
        .route("/user", get(get_user))
        .route("/repos/{owner}/{repo}", get(get_repo))
        .route(
            "/repos/{owner}/{repo}/collaborators",
            get(list_collaborators),
        )
        .route("/repos/{owner}/{repo}/pulls/{number}", get(get_pull))
        .route("/repos/{owner}/{repo}/issues/{number}", get(get_issue))
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route("/repos/{owner}/{repo}/contents/{*path}", get(get_contents))
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(sim.clone(), authenticate));
    admin.merge(rest).with_state(sim)
}

/// The login a request acts as, resolved from its token by `authenticate`.
#[derive(Clone)]
struct Caller(Option<String>);

const RATE_LIMIT: u64 = 5000;

async fn authenticate(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("token ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .map(str::to_string);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let login = match &token {
        None => None,
        Some(t) => {
            // Bound first: the guard must be gone before `record` locks again.
            let known = sim.lock().tokens.get(t).cloned();
            if known.is_none() {
                record(&sim, method, path, query, 401, None);
                return gh_error(StatusCode::UNAUTHORIZED, "Bad credentials");
            }
            known
        }
    };
    req.extensions_mut().insert(Caller(login.clone()));
    let mut resp = next.run(req).await;
    let used = {
        let w = sim.lock();
        w.requests.iter().filter(|r| r.login == login).count() as u64 + 1
    };
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", RATE_LIMIT.into());
    h.insert(
        "x-ratelimit-remaining",
        RATE_LIMIT.saturating_sub(used).into(),
    );
    h.insert("x-ratelimit-used", used.into());
    h.insert(
        "x-ratelimit-resource",
        "core".parse().expect("static header"),
    );
    h.insert(
        "x-ratelimit-reset",
        (time::OffsetDateTime::now_utc().unix_timestamp() + 3600).into(),
    );
    record(&sim, method, path, query, resp.status().as_u16(), login);
    resp
}

fn record(
    sim: &Sim,
    method: String,
    path: String,
    query: Option<String>,
    status: u16,
    login: Option<String>,
) {
    let mut w = sim.lock();
    let id = w.requests.len() as u64 + 1;
    w.requests.push(super::world::RequestRecord {
        id,
        method,
        path,
        query,
        status,
        login,
        operation: None,
    });
}

fn repo_key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_ascii_lowercase()
}

/// A repository the caller may see: private ones only for collaborators.
fn visible<'a>(w: &'a World, caller: &Caller, owner: &str, repo: &str) -> Option<&'a Repo> {
    let r = w.repos.get(&repo_key(owner, repo))?;
    if !r.private {
        return Some(r);
    }
    let login = caller.0.as_deref()?;
    (login == r.owner || r.collaborators.contains_key(login)).then_some(r)
}

// ---- admin API ----

#[derive(Deserialize)]
struct NewRepo {
    full_name: String,
    default_branch: Option<String>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    collaborators: BTreeMap<String, String>,
    #[serde(default)]
    branches: BTreeMap<String, NewBranch>,
}

#[derive(Deserialize)]
struct NewBranch {
    #[serde(default)]
    files: BTreeMap<String, String>,
}

async fn create_repo(State(sim): State<Sim>, Json(body): Json<NewRepo>) -> Response {
    let Some((owner, name)) = body.full_name.split_once('/') else {
        return admin_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "full_name must be owner/repo",
        );
    };
    let key = body.full_name.to_ascii_lowercase();
    let mut w = sim.lock();
    if w.repos.contains_key(&key) {
        return admin_error(StatusCode::CONFLICT, "repository exists");
    }
    let branch = body.default_branch.unwrap_or_else(|| "main".to_string());
    let path = w.state_dir.join("repos").join(format!("{key}.git"));
    let result = (|| -> anyhow::Result<BareRepo> {
        let git = BareRepo::init(&path, &branch)?;
        let files: Changes = body
            .files
            .iter()
            .map(|(p, c)| (p.clone(), Some(c.clone())))
            .collect();
        let root = git.commit(None, &files, "Initial commit", owner)?;
        git.set_ref(&format!("refs/heads/{branch}"), &root)?;
        for (name, b) in &body.branches {
            let files: Changes = b
                .files
                .iter()
                .map(|(p, c)| (p.clone(), Some(c.clone())))
                .collect();
            let sha = git.commit(Some(&root), &files, &format!("Create {name}"), owner)?;
            git.set_ref(&format!("refs/heads/{name}"), &sha)?;
        }
        Ok(git)
    })();
    let git = match result {
        Ok(g) => g,
        Err(e) => return admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    };
    w.user_id(owner);
    for login in body.collaborators.keys() {
        w.user_id(login);
    }
    let id = w.next_id();
    let clone_url = format!("file://{}", git.path().display());
    w.repos.insert(
        key,
        Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            default_branch: branch,
            private: body.private,
            created_at: now(),
            collaborators: body.collaborators,
            labels: BTreeMap::new(),
            issues: BTreeMap::new(),
            comments: BTreeMap::new(),
            next_number: 1,
            git,
        },
    );
    (
        StatusCode::CREATED,
        Json(json!({"full_name": body.full_name, "clone_url": clone_url})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NewHook {
    repo: String,
    url: String,
    secret: Option<String>,
    #[serde(default)]
    events: Vec<String>,
}

async fn create_hook(State(sim): State<Sim>, Json(body): Json<NewHook>) -> Response {
    let mut w = sim.lock();
    let key = body.repo.to_ascii_lowercase();
    if !w.repos.contains_key(&key) {
        return admin_error(StatusCode::NOT_FOUND, "no such repository");
    }
    let id = w.next_id();
    w.hooks.push(Hook {
        id,
        repo: key,
        url: body.url,
        secret: body.secret,
        events: body.events,
        active: true,
    });
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

#[derive(Deserialize)]
struct NewToken {
    token: String,
    login: String,
}

async fn create_token(State(sim): State<Sim>, Json(body): Json<NewToken>) -> Response {
    let mut w = sim.lock();
    w.user_id(&body.login);
    w.tokens.insert(body.token, body.login);
    StatusCode::CREATED.into_response()
}

async fn reset(State(sim): State<Sim>) -> Response {
    let mut w = sim.lock();
    let fresh = World::new(w.state_dir.clone(), w.api_base.clone());
    let repos = w.state_dir.join("repos");
    *w = fresh;
    let _ = std::fs::remove_dir_all(repos);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

async fn list_requests(State(sim): State<Sim>, Query(q): Query<Since>) -> Response {
    let w = sim.lock();
    let list: Vec<_> = w
        .requests
        .iter()
        .filter(|r| r.id > q.since)
        .cloned()
        .collect();
    Json(list).into_response()
}

async fn list_deliveries(State(sim): State<Sim>, Query(q): Query<Since>) -> Response {
    let w = sim.lock();
    let list: Vec<_> = w
        .deliveries
        .iter()
        .filter(|r| r.id > q.since)
        .cloned()
        .collect();
    Json(list).into_response()
}

#[derive(Deserialize)]
struct NewPull {
    author: String,
    title: String,
    body: Option<String>,
    head: String,
    base: Option<String>,
    #[serde(default)]
    files: Changes,
    #[serde(default)]
    draft: bool,
}

async fn open_pull(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<NewPull>,
) -> Response {
    let key = repo_key(&owner, &repo);
    let mut guard = sim.lock();
    let w = &mut *guard;
    let issue_id = w.next_id();
    w.user_id(&body.author);
    let Some(r) = w.repos.get_mut(&key) else {
        return admin_error(StatusCode::NOT_FOUND, "no such repository");
    };
    let base = body.base.unwrap_or_else(|| r.default_branch.clone());
    let Some(base_sha) = r.git.resolve(&format!("refs/heads/{base}")) else {
        return admin_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("no base branch {base}"),
        );
    };
    let parent = r
        .git
        .resolve(&format!("refs/heads/{}", body.head))
        .unwrap_or(base_sha);
    let head_sha = match r
        .git
        .commit(Some(&parent), &body.files, &body.title, &body.author)
    {
        Ok(sha) => sha,
        Err(e) => return admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    };
    let number = r.next_number;
    r.next_number += 1;
    for name in [
        format!("refs/heads/{}", body.head),
        format!("refs/pull/{number}/head"),
    ] {
        if let Err(e) = r.git.set_ref(&name, &head_sha) {
            return admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"));
        }
    }
    let at = now();
    r.issues.insert(
        number,
        Issue {
            id: issue_id,
            number,
            title: body.title,
            body: body.body,
            user: body.author.clone(),
            state: "open",
            labels: Vec::new(),
            created_at: at.clone(),
            updated_at: at,
            closed_at: None,
            pull: Some(Pull {
                head_ref: body.head,
                base_ref: base,
                draft: body.draft,
                merged_at: None,
                merge_commit_sha: None,
                merged_by: None,
            }),
        },
    );
    let pull = w.pull_json(&w.repos[&key], &w.repos[&key].issues[&number]);
    let out = emit(
        w,
        &key,
        "pull_request",
        &body.author,
        json!({"action": "opened", "number": number, "pull_request": pull}),
    );
    drop(guard);
    sim.send(out);
    (
        StatusCode::CREATED,
        Json(json!({"number": number, "head_sha": head_sha})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NewCommit {
    author: String,
    files: Changes,
    message: Option<String>,
}

async fn push_commit(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewCommit>,
) -> Response {
    let key = repo_key(&owner, &repo);
    let mut guard = sim.lock();
    let w = &mut *guard;
    let Some(r) = w.repos.get_mut(&key) else {
        return admin_error(StatusCode::NOT_FOUND, "no such repository");
    };
    let Some(head_ref) = r
        .issues
        .get(&number)
        .and_then(|i| i.pull.as_ref())
        .map(|p| p.head_ref.clone())
    else {
        return admin_error(StatusCode::NOT_FOUND, "no such pull request");
    };
    let before = r
        .git
        .resolve(&format!("refs/pull/{number}/head"))
        .unwrap_or_default();
    let message = body.message.unwrap_or_else(|| "Update".to_string());
    let after = match r
        .git
        .commit(Some(&before), &body.files, &message, &body.author)
    {
        Ok(sha) => sha,
        Err(e) => return admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    };
    for name in [
        format!("refs/heads/{head_ref}"),
        format!("refs/pull/{number}/head"),
    ] {
        if let Err(e) = r.git.set_ref(&name, &after) {
            return admin_error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"));
        }
    }
    if let Some(issue) = r.issues.get_mut(&number) {
        issue.updated_at = now();
    }
    let pull = w.pull_json(&w.repos[&key], &w.repos[&key].issues[&number]);
    let out = emit(
        w,
        &key,
        "pull_request",
        &body.author,
        json!({"action": "synchronize", "number": number, "before": before,
               "after": after, "pull_request": pull}),
    );
    drop(guard);
    sim.send(out);
    Json(json!({"head_sha": after})).into_response()
}

#[derive(Deserialize)]
struct NewComment {
    author: String,
    body: String,
}

async fn admin_comment(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewComment>,
) -> Response {
    match add_comment(&sim, &owner, &repo, number, &body.author, body.body) {
        Some(comment) => (StatusCode::CREATED, Json(json!({"id": comment["id"]}))).into_response(),
        None => admin_error(StatusCode::NOT_FOUND, "no such issue or pull request"),
    }
}

/// Adds a comment and emits `issue_comment` `created`; returns the comment's JSON, or `None`
/// when there is no such issue.
fn add_comment(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    author: &str,
    body: String,
) -> Option<Value> {
    let key = repo_key(owner, repo);
    let mut guard = sim.lock();
    let w = &mut *guard;
    let id = w.next_id();
    w.user_id(author);
    let r = w.repos.get_mut(&key)?;
    if !r.issues.contains_key(&number) {
        return None;
    }
    let at = now();
    r.comments.insert(
        id,
        Comment {
            id,
            issue: number,
            user: author.to_string(),
            body,
            created_at: at.clone(),
            updated_at: at,
        },
    );
    let r = &w.repos[&key];
    let comment = w.comment_json(r, &r.comments[&id]);
    let issue = w.issue_json(r, &r.issues[&number]);
    let out = emit(
        w,
        &key,
        "issue_comment",
        author,
        json!({"action": "created", "issue": issue, "comment": comment}),
    );
    drop(guard);
    sim.send(out);
    Some(comment)
}

// ---- REST ----

async fn get_user(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    let Some(login) = caller.0 else {
        return gh_error(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    Json(sim.lock().user_json(&login)).into_response()
}

async fn get_repo(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let w = sim.lock();
    match visible(&w, &caller, &owner, &repo) {
        Some(r) => Json(w.repo_json(r)).into_response(),
        None => not_found(),
    }
}

async fn list_collaborators(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
    Json(list).into_response()
}

async fn get_pull(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    match r.issues.get(&number).filter(|i| i.pull.is_some()) {
        Some(issue) => Json(w.pull_json(r, issue)).into_response(),
        None => not_found(),
    }
}

async fn get_issue(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    match r.issues.get(&number) {
        Some(issue) => Json(w.issue_json(r, issue)).into_response(),
        None => not_found(),
    }
}

async fn list_comments(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    if !r.issues.contains_key(&number) {
        return not_found();
    }
    let list: Vec<Value> = r
        .comments
        .values()
        .filter(|c| c.issue == number)
        .map(|c| w.comment_json(r, c))
        .collect();
    Json(list).into_response()
}

#[derive(Deserialize)]
struct CommentBody {
    body: String,
}

async fn create_comment(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<CommentBody>,
) -> Response {
    let Some(login) = caller.0 else {
        return gh_error(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    {
        let w = sim.lock();
        if visible(&w, &Caller(Some(login.clone())), &owner, &repo).is_none() {
            return not_found();
        }
    }
    match add_comment(&sim, &owner, &repo, number, &login, body.body) {
        Some(comment) => (StatusCode::CREATED, Json(comment)).into_response(),
        None => not_found(),
    }
}

#[derive(Deserialize)]
struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

async fn get_contents(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(q): Query<RefQuery>,
    _headers: HeaderMap,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
}
