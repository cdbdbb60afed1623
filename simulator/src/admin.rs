//! The admin API under `/_simulator/`: what tests and scripts use to set up repositories and
//! act as users. Every user-facing action emits the webhooks GitHub would send.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::actions::{self, CheckRunFields};
use super::git::{BareRepo, Changes};
use super::hooks::emit;
use super::world::{Faults, Hook, Issue, Pull, Quota, Repo, TargetedFault, World, now};
use crate::errors::{admin_error, admin_refusal};
use crate::state::{Sim, repo_key};

#[derive(Deserialize)]
pub(super) struct NewRepo {
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
pub(super) struct NewBranch {
    #[serde(default)]
    files: BTreeMap<String, String>,
}

pub(super) async fn create_repo(State(sim): State<Sim>, Json(body): Json<NewRepo>) -> Response {
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
    let push_url = format!("{}/_simulator/internal/pushed/{key}", w.api_base);
    let result = (|| -> anyhow::Result<BareRepo> {
        let git = BareRepo::init(&path, &branch)?;
        git.report_pushes_to(&push_url)?;
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
            reviews: BTreeMap::new(),
            check_runs: BTreeMap::new(),
            statuses: Vec::new(),
            protection: BTreeMap::new(),
            settings: serde_json::Map::new(),
            code_scanning: serde_json::Map::new(),
            next_number: 1,
            git,
            branch_moved: HashMap::new(),
        },
    );
    (
        StatusCode::CREATED,
        Json(json!({"full_name": body.full_name, "clone_url": clone_url})),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct NewHook {
    repo: String,
    url: String,
    secret: Option<String>,
    #[serde(default)]
    events: Vec<String>,
}

pub(super) async fn create_hook(State(sim): State<Sim>, Json(body): Json<NewHook>) -> Response {
    let mut w = sim.lock();
    let key = body.repo.to_ascii_lowercase();
    if !w.repos.contains_key(&key) {
        return admin_error(StatusCode::NOT_FOUND, "no such repository");
    }
    let at = now();
    let id = w.next_id();
    w.hooks.push(Hook {
        id,
        repo: key,
        url: body.url,
        secret: body.secret,
        events: body.events,
        active: true,
        content_type: "json".into(),
        created_at: at.clone(),
        updated_at: at,
    });
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

#[derive(Deserialize)]
pub(super) struct NewToken {
    token: String,
    login: String,
}

pub(super) async fn create_token(State(sim): State<Sim>, Json(body): Json<NewToken>) -> Response {
    let mut w = sim.lock();
    w.user_id(&body.login);
    w.tokens.insert(body.token, body.login);
    StatusCode::CREATED.into_response()
}

pub(super) async fn reset(State(sim): State<Sim>) -> Response {
    let mut w = sim.lock();
    let fresh = World::new(w.state_dir.clone(), w.api_base.clone());
    let repos = w.state_dir.join("repos");
    *w = fresh;
    let _ = std::fs::remove_dir_all(repos);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(super) struct Since {
    #[serde(default)]
    since: u64,
}

pub(super) async fn list_requests(State(sim): State<Sim>, Query(q): Query<Since>) -> Response {
    let w = sim.lock();
    let list: Vec<Value> = w
        .exchanges
        .iter()
        .filter(|e| e.id > q.since)
        .map(|e| {
            json!({"id": e.id, "method": e.method, "path": e.path, "query": e.query,
                   "status": e.status, "login": e.login, "operation": e.operation,
                   "started_ms": e.started_ms, "finished_ms": e.finished_ms})
        })
        .collect();
    Json(list).into_response()
}

pub(super) async fn list_deliveries(State(sim): State<Sim>, Query(q): Query<Since>) -> Response {
    let w = sim.lock();
    let list: Vec<_> = w
        .deliveries
        .iter()
        .filter(|r| r.id > q.since)
        .cloned()
        .collect();
    Json(list).into_response()
}

/// Sends every delivery after `since` again, each under a new delivery id: the same events
/// arriving twice. Answers how many were sent.
pub(super) async fn replay(State(sim): State<Sim>, Json(q): Json<Since>) -> Response {
    let mut w = sim.lock();
    let originals: Vec<u64> = w
        .deliveries
        .iter()
        .filter(|r| r.id > q.since && !r.redelivery)
        .map(|r| r.id)
        .collect();
    let out: Vec<_> = originals
        .into_iter()
        .filter_map(|id| super::hooks::redeliver(&mut w, id, true))
        .collect();
    drop(w);
    let sent = out.len();
    sim.send(out);
    Json(json!({"sent": sent})).into_response()
}

#[derive(Deserialize)]
pub(super) struct NewPull {
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

pub(super) async fn open_pull(
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
    r.issues.insert(
        number,
        Issue::open(
            issue_id,
            number,
            body.title,
            body.body,
            &body.author,
            Some(Pull {
                head_ref: body.head,
                base_ref: base,
                draft: body.draft,
                merged_at: None,
                merge_commit_sha: None,
                merged_by: None,
                requested_reviewers: Vec::new(),
                auto_merge: None,
            }),
        ),
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
pub(super) struct NewCommit {
    author: String,
    files: Changes,
    message: Option<String>,
}

pub(super) async fn push_commit(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewCommit>,
) -> Response {
    let head_ref = {
        let w = sim.lock();
        w.repos
            .get(&repo_key(&owner, &repo))
            .and_then(|r| r.issues.get(&number))
            .and_then(|i| i.pull.as_ref())
            .map(|p| p.head_ref.clone())
    };
    let Some(head_ref) = head_ref else {
        return admin_error(StatusCode::NOT_FOUND, "no such pull request");
    };
    let message = body.message.unwrap_or_else(|| "Update".to_string());
    match actions::commit_to_branch(
        &sim,
        &owner,
        &repo,
        &body.author,
        &head_ref,
        &body.files,
        &message,
    ) {
        Ok(sha) => Json(json!({"head_sha": sha})).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct NewComment {
    author: String,
    body: String,
}

pub(super) async fn admin_comment(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewComment>,
) -> Response {
    match actions::add_comment(&sim, &owner, &repo, number, &body.author, body.body) {
        Ok(comment) => (StatusCode::CREATED, Json(json!({"id": comment["id"]}))).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct NewReview {
    author: String,
    state: String,
    #[serde(default)]
    body: String,
}

pub(super) async fn review(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewReview>,
) -> Response {
    if !["APPROVED", "CHANGES_REQUESTED", "COMMENTED"].contains(&body.state.as_str()) {
        return admin_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "state must be APPROVED, CHANGES_REQUESTED or COMMENTED",
        );
    }
    match actions::submit_review(
        &sim,
        &owner,
        &repo,
        number,
        &body.author,
        &body.state,
        body.body,
    ) {
        Ok(review) => (StatusCode::CREATED, Json(json!({"id": review["id"]}))).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct LabelChange {
    author: String,
    labels: Vec<String>,
}

pub(super) async fn add_labels(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<LabelChange>,
) -> Response {
    match actions::add_labels(&sim, &owner, &repo, number, &body.author, body.labels) {
        Ok(labels) => Json(labels).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

pub(super) async fn remove_labels(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<LabelChange>,
) -> Response {
    let mut last = Value::Null;
    for name in &body.labels {
        match actions::remove_label(&sim, &owner, &repo, number, &body.author, name) {
            Ok(labels) => last = labels,
            Err(refusal) => return admin_refusal(refusal),
        }
    }
    Json(last).into_response()
}

#[derive(Deserialize)]
pub(super) struct ThirdPartyRun {
    app: String,
    name: String,
    head_sha: String,
    status: Option<String>,
    conclusion: Option<String>,
}

pub(super) async fn check_run(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<ThirdPartyRun>,
) -> Response {
    let fields = CheckRunFields {
        name: Some(body.name),
        head_sha: Some(body.head_sha),
        status: body.status,
        conclusion: body.conclusion,
        output: None,
    };
    match actions::write_check_run(&sim, &owner, &repo, &body.app, None, fields) {
        Ok(run) => (StatusCode::CREATED, Json(json!({"id": run["id"]}))).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct NewMerge {
    author: String,
    method: Option<String>,
}

pub(super) async fn merge(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<NewMerge>,
) -> Response {
    let method = body.method.unwrap_or_else(|| "merge".to_string());
    match actions::merge_pull(&sim, &owner, &repo, number, &body.author, &method, None) {
        Ok(v) => Json(v).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct Actor {
    author: String,
}

pub(super) async fn close(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Actor>,
) -> Response {
    match actions::close_pull(&sim, &owner, &repo, number, &body.author) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct NewRef {
    name: String,
    from: String,
    author: Option<String>,
}

async fn create_ref(sim: Sim, owner: String, repo: String, kind: &str, body: NewRef) -> Response {
    let actor = body.author.unwrap_or_else(|| owner.clone());
    match actions::create_ref(&sim, &owner, &repo, &actor, kind, &body.name, &body.from) {
        Ok(sha) => (StatusCode::CREATED, Json(json!({"sha": sha}))).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

pub(super) async fn branch(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<NewRef>,
) -> Response {
    create_ref(sim, owner, repo, "branch", body).await
}

pub(super) async fn tag(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<NewRef>,
) -> Response {
    create_ref(sim, owner, repo, "tag", body).await
}

#[derive(Deserialize)]
pub(super) struct BranchCommit {
    author: String,
    branch: String,
    files: Changes,
    message: Option<String>,
}

pub(super) async fn commit(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<BranchCommit>,
) -> Response {
    let message = body.message.unwrap_or_else(|| "Update".to_string());
    match actions::commit_to_branch(
        &sim,
        &owner,
        &repo,
        &body.author,
        &body.branch,
        &body.files,
        &message,
    ) {
        Ok(sha) => (StatusCode::CREATED, Json(json!({"sha": sha}))).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct Latency {
    ms: u64,
}

pub(super) async fn latency(State(sim): State<Sim>, Json(body): Json<Latency>) -> Response {
    sim.lock().latency_ms = body.ms;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn mergeability_delay(
    State(sim): State<Sim>,
    Json(body): Json<Latency>,
) -> Response {
    sim.lock().mergeability_delay = Duration::from_millis(body.ms);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(super) struct TargetedFaultSettings {
    method: String,
    path: String,
    #[serde(default = "first")]
    nth: u64,
    #[serde(default = "server_error")]
    status: u16,
}

fn first() -> u64 {
    1
}

fn server_error() -> u16 {
    500
}

/// `POST /_simulator/faults/targeted`: fails the `nth` request matching a method and a path.
pub(super) async fn targeted_fault(
    State(sim): State<Sim>,
    Json(body): Json<TargetedFaultSettings>,
) -> Response {
    if body.nth == 0 || StatusCode::from_u16(body.status).is_err() || !body.path.starts_with('/') {
        return admin_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nth must be at least 1, status an HTTP status, and path start with /",
        );
    }
    sim.lock().targeted.push(TargetedFault {
        method: body.method,
        path: body.path,
        skip: body.nth - 1,
        status: body.status,
    });
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(super) struct FaultSettings {
    error_rate: f64,
    #[serde(default)]
    statuses: Vec<u16>,
    #[serde(default)]
    seed: u64,
}

pub(super) async fn faults(State(sim): State<Sim>, Json(body): Json<FaultSettings>) -> Response {
    if !(0.0..=1.0).contains(&body.error_rate) {
        return admin_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error_rate must be within 0..=1",
        );
    }
    let statuses = if body.statuses.is_empty() {
        vec![500]
    } else {
        body.statuses
    };
    sim.lock().faults =
        (body.error_rate > 0.0).then(|| Faults::new(body.error_rate, statuses, body.seed));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(super) struct RateLimit {
    token: Option<String>,
    limit: u64,
    remaining: Option<u64>,
    /// Seconds until the quota refills; an hour unless set.
    reset_in: Option<i64>,
}

pub(super) async fn rate_limit(State(sim): State<Sim>, Json(body): Json<RateLimit>) -> Response {
    let mut w = sim.lock();
    let reset = time::OffsetDateTime::now_utc().unix_timestamp() + body.reset_in.unwrap_or(3600);
    let quota = Quota {
        limit: body.limit,
        remaining: body.remaining.unwrap_or(body.limit).min(body.limit),
        reset,
    };
    match body.token {
        Some(token) => {
            w.limits.insert(token, quota);
        }
        None => {
            w.default_limit = body.limit;
            for q in w.limits.values_mut() {
                *q = quota;
            }
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Called by a repository's `post-receive` hook with `old new ref` lines.
pub(super) async fn pushed(
    State(sim): State<Sim>,
    Path((owner, repo)): Path<(String, String)>,
    body: String,
) -> Response {
    let updates: Vec<(String, String, String)> = body
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.next()?.to_string(),
                parts.next()?.to_string(),
            ))
        })
        .collect();
    match actions::pushed(&sim, &owner, &repo, &updates) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

pub(super) async fn edit_comment(
    State(sim): State<Sim>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<NewComment>,
) -> Response {
    match actions::edit_comment(&sim, &owner, &repo, id, &body.author, body.body) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct MaybeActor {
    author: Option<String>,
}

pub(super) async fn rebase(
    State(sim): State<Sim>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<MaybeActor>>,
) -> Response {
    let actor = body
        .and_then(|Json(b)| b.author)
        .unwrap_or_else(|| owner.clone());
    match actions::rebase_pull(&sim, &owner, &repo, number, &actor) {
        Ok(sha) => Json(json!({"head_sha": sha})).into_response(),
        Err(refusal) => admin_refusal(refusal),
    }
}
