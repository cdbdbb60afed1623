//! GitHub REST operations, answered from the simulator's state in GitHub's shapes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::actions::{self, CheckRunFields, IssueEdit};
use crate::errors::{Refusal, gh_error, not_found, rest_refusal};
use crate::state::{Caller, QuotaKey, Sim, repo_key, visible};

/// `?per_page=&page=`, GitHub's pagination (30 by default, at most 100).
#[derive(Deserialize, Default)]
pub(super) struct Page {
    #[serde(default, deserialize_with = "query_number")]
    pub(super) per_page: Option<usize>,
    #[serde(default, deserialize_with = "query_number")]
    pub(super) page: Option<usize>,
}

/// A number from a query string. Inside `#[serde(flatten)]` (a filter with a page) it arrives
/// as text, which a plain `usize` field refuses.
fn query_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(usize),
        Text(String),
    }
    match Option::<Number>::deserialize(d)? {
        None => Ok(None),
        Some(Number::Int(n)) => Ok(Some(n)),
        Some(Number::Text(t)) => t.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// One page of `items` with GitHub's `Link` header (`next`, `last`, `first`, `prev`).
pub(super) fn paginate(
    base: &str,
    path: &str,
    page: &Page,
    items: Vec<Value>,
) -> (Vec<Value>, Option<String>) {
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let current = page.page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice = items
        .into_iter()
        .skip((current - 1) * per_page)
        .take(per_page)
        .collect();
    let link =
        |n: usize, rel: &str| format!("<{base}{path}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if current < last {
        links.push(link(current + 1, "next"));
        links.push(link(last, "last"));
    }
    if current > 1 {
        links.push(link(1, "first"));
        links.push(link(current - 1, "prev"));
    }
    (slice, (!links.is_empty()).then(|| links.join(", ")))
}

/// A page of a JSON array, with its `Link` header.
pub(super) fn array_page(base: &str, path: &str, page: &Page, items: Vec<Value>) -> Response {
    let (list, link) = paginate(base, path, page, items);
    page_response(Value::Array(list), link)
}

pub(super) fn page_response(body: Value, link: Option<String>) -> Response {
    let mut resp = Json(body).into_response();
    if let Some(link) = link
        && let Ok(value) = link.parse()
    {
        resp.headers_mut().insert("link", value);
    }
    resp
}

pub(super) async fn get_user(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    let Some(login) = caller.0 else {
        return gh_error(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    Json(sim.lock().profile_json(&login)).into_response()
}

pub(super) async fn get_repo(
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
pub(super) async fn update_repo(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<serde_json::Map<String, Value>>,
) -> Response {
    let denied = "Must have admin rights to Repository.";
    if let Err(refusal) = administrator(&sim, &caller, &owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let key = repo_key(&owner, &repo);
    let mut w = sim.lock();
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
pub(super) async fn get_code_scanning(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let mut setup = json!({
        "state": "not-configured", "languages": [], "runner_type": null, "runner_label": null,
        "query_suite": "default", "updated_at": null, "schedule": null,
    });
    for (k, v) in &r.code_scanning {
        setup[k] = v.clone();
    }
    Json(setup).into_response()
}

#[derive(Deserialize)]
pub(super) struct CodeScanningUpdate {
    state: Option<String>,
    query_suite: Option<String>,
}

/// `PATCH .../code-scanning/default-setup`: admins turn it on (202 with the analysis run it
/// starts) or off (200).
pub(super) async fn update_code_scanning(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<CodeScanningUpdate>,
) -> Response {
    let denied = "Resource not accessible by integration";
    if let Err(refusal) = administrator(&sim, &caller, &owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let key = repo_key(&owner, &repo);
    let mut w = sim.lock();
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
        .insert("updated_at".into(), json!(super::world::now()));
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

pub(super) async fn list_collaborators(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
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
    array_page(
        &w.api_base,
        &format!("/repos/{owner}/{repo}/collaborators"),
        &page,
        list,
    )
}

pub(super) async fn get_pull(
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

pub(super) async fn get_issue(
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

pub(super) async fn list_comments(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
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
    let path = format!("/repos/{owner}/{repo}/issues/{number}/comments");
    array_page(&w.api_base, &path, &page, list)
}

#[derive(Deserialize)]
pub(super) struct CommentBody {
    pub(super) body: String,
}

pub(super) async fn create_comment(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<CommentBody>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::CREATED, |login| {
        actions::add_comment(&sim, &owner, &repo, number, login, body.body)
    })
}

#[derive(Deserialize)]
pub(super) struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

pub(super) async fn get_contents(
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

/// The caller, who must be able to see the repository; or the response refusing them.
pub(super) fn writer(
    sim: &Sim,
    caller: &Caller,
    owner: &str,
    repo: &str,
) -> Result<String, Refusal> {
    let login = caller.0.clone().ok_or(Refusal::Unauthenticated)?;
    let w = sim.lock();
    if visible(&w, &Caller(Some(login.clone())), owner, repo).is_none() {
        return Err(Refusal::NotFound);
    }
    Ok(login)
}

/// Runs `op` as a writer of the repository: its JSON answered with `ok`, or GitHub's refusal.
pub(super) fn as_writer(
    sim: &Sim,
    caller: &Caller,
    owner: &str,
    repo: &str,
    ok: StatusCode,
    op: impl FnOnce(&str) -> Result<Value, Refusal>,
) -> Response {
    match writer(sim, caller, owner, repo).and_then(|login| op(&login)) {
        Ok(v) => (ok, Json(v)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

/// The caller, who must administer the repository: 404 when they cannot see it, else 403 with
/// `denied`.
pub(super) fn administrator(
    sim: &Sim,
    caller: &Caller,
    owner: &str,
    repo: &str,
    denied: &str,
) -> Result<String, Refusal> {
    let login = writer(sim, caller, owner, repo)?;
    if !sim.lock().is_admin(&repo_key(owner, repo), &login) {
        return Err(Refusal::Forbidden(denied.to_string()));
    }
    Ok(login)
}

pub(super) async fn list_issue_labels(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(issue) = r.issues.get(&number) else {
        return not_found();
    };
    let labels = match w.issue_json(r, issue)["labels"].take() {
        Value::Array(list) => list,
        _ => Vec::new(),
    };
    let path = format!("/repos/{owner}/{repo}/issues/{number}/labels");
    array_page(&w.api_base, &path, &page, labels)
}

/// `{"labels": [...]}` or a bare array, both of which GitHub accepts.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum LabelNames {
    Wrapped { labels: Vec<String> },
    Bare(Vec<String>),
}

pub(super) async fn add_issue_labels(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<LabelNames>,
) -> Response {
    let names = match body {
        LabelNames::Wrapped { labels } | LabelNames::Bare(labels) => labels,
    };
    as_writer(&sim, &caller, &owner, &repo, StatusCode::OK, |login| {
        actions::add_labels(&sim, &owner, &repo, number, login, names)
    })
}

pub(super) async fn remove_issue_label(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number, name)): Path<(String, String, u64, String)>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    match actions::remove_label(&sim, &owner, &repo, number, &login, &name) {
        Ok(labels) => Json(labels).into_response(),
        Err(Refusal::NotFound) => gh_error(StatusCode::NOT_FOUND, "Label does not exist"),
        Err(refusal) => rest_refusal(refusal),
    }
}

pub(super) async fn list_reviews(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    if r.issues.get(&number).is_none_or(|i| i.pull.is_none()) {
        return not_found();
    }
    let list: Vec<Value> = r
        .reviews
        .values()
        .filter(|rv| rv.pull == number)
        .map(|rv| w.review_json(r, rv))
        .collect();
    let path = format!("/repos/{owner}/{repo}/pulls/{number}/reviews");
    array_page(&w.api_base, &path, &page, list)
}

#[derive(Deserialize)]
pub(super) struct ReviewBody {
    event: Option<String>,
    #[serde(default)]
    body: String,
}

pub(super) async fn create_review(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<ReviewBody>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    let state = match body.event.as_deref() {
        Some("APPROVE") => "APPROVED",
        Some("REQUEST_CHANGES") => "CHANGES_REQUESTED",
        Some("COMMENT") => "COMMENTED",
        _ => {
            return gh_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "event must be APPROVE, REQUEST_CHANGES or COMMENT",
            );
        }
    };
    match actions::submit_review(&sim, &owner, &repo, number, &login, state, body.body) {
        Ok(review) => Json(review).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct MergeBody {
    merge_method: Option<String>,
    sha: Option<String>,
}

pub(super) async fn merge_pull(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<MergeBody>>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    let (method, sha) = match body {
        Some(Json(b)) => (b.merge_method, b.sha),
        None => (None, None),
    };
    let method = method.unwrap_or_else(|| "merge".to_string());
    match actions::merge_pull(&sim, &owner, &repo, number, &login, &method, sha.as_deref()) {
        Ok(v) => Json(v).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

/// Only a GitHub App may write check runs; its installation acts as `<slug>[bot]`.
fn app_slug(caller: &Caller) -> Result<String, Refusal> {
    match caller.0.as_deref().and_then(|l| l.strip_suffix("[bot]")) {
        Some(slug) => Ok(slug.to_string()),
        None => Err(Refusal::Forbidden(
            "You must authenticate via a GitHub App.".into(),
        )),
    }
}

pub(super) async fn create_check_run(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(fields): Json<CheckRunFields>,
) -> Response {
    let slug = match app_slug(&caller) {
        Ok(s) => s,
        Err(refusal) => return rest_refusal(refusal),
    };
    match actions::write_check_run(&sim, &owner, &repo, &slug, None, fields) {
        Ok(run) => (StatusCode::CREATED, Json(run)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

pub(super) async fn update_check_run(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(fields): Json<CheckRunFields>,
) -> Response {
    let slug = match app_slug(&caller) {
        Ok(s) => s,
        Err(refusal) => return rest_refusal(refusal),
    };
    let owned = {
        let w = sim.lock();
        w.repos
            .get(&repo_key(&owner, &repo))
            .and_then(|r| r.check_runs.get(&id))
            .map(|run| run.app == slug)
    };
    match owned {
        None => not_found(),
        Some(false) => gh_error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        ),
        Some(true) => {
            match actions::write_check_run(&sim, &owner, &repo, &slug, Some(id), fields) {
                Ok(run) => Json(run).into_response(),
                Err(refusal) => rest_refusal(refusal),
            }
        }
    }
}

/// `GET …/commits/{ref}/check-runs` narrows by name and status, as GitHub does.
#[derive(Deserialize)]
pub(super) struct CheckRunFilter {
    check_name: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    page: Page,
}

pub(super) async fn list_check_runs(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(filter): Query<CheckRunFilter>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(sha) = r.git.resolve(&git_ref) else {
        return super::rest_commits::no_commit(&git_ref);
    };
    let runs: Vec<Value> = r
        .check_runs
        .values()
        .filter(|c| c.head_sha == sha)
        .map(|c| w.check_run_json(r, c))
        .filter(|run| {
            filter
                .check_name
                .as_ref()
                .is_none_or(|n| run["name"] == **n)
        })
        .filter(|run| filter.status.as_ref().is_none_or(|s| run["status"] == **s))
        .collect();
    let total = runs.len();
    let path = format!("/repos/{owner}/{repo}/commits/{git_ref}/check-runs");
    let (runs, link) = paginate(&w.api_base, &path, &filter.page, runs);
    page_response(json!({"total_count": total, "check_runs": runs}), link)
}

#[derive(Deserialize)]
pub(super) struct NewIssue {
    title: String,
    body: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

pub(super) async fn create_issue(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<NewIssue>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::CREATED, |login| {
        actions::open_issue(
            &sim,
            &owner,
            &repo,
            login,
            body.title,
            body.body,
            body.labels,
        )
    })
}

pub(super) async fn update_issue(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssueEdit>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::OK, |login| {
        actions::edit_issue(&sim, &owner, &repo, number, login, edit)
    })
}

pub(super) async fn list_labels(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let list: Vec<Value> = r.labels.values().map(|l| w.label_json(r, l)).collect();
    array_page(
        &w.api_base,
        &format!("/repos/{owner}/{repo}/labels"),
        &page,
        list,
    )
}

pub(super) async fn get_label(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    match r.labels.get(&name) {
        Some(l) => Json(w.label_json(r, l)).into_response(),
        None => not_found(),
    }
}

#[derive(Deserialize)]
pub(super) struct LabelBody {
    name: Option<String>,
    new_name: Option<String>,
    color: Option<String>,
    description: Option<String>,
}

pub(super) async fn create_label(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<LabelBody>,
) -> Response {
    if let Err(refusal) = writer(&sim, &caller, &owner, &repo) {
        return rest_refusal(refusal);
    }
    match actions::upsert_label(
        &sim,
        &owner,
        &repo,
        None,
        body.name,
        body.color,
        body.description,
    ) {
        Ok(label) => (StatusCode::CREATED, Json(label)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

pub(super) async fn update_label(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    Json(body): Json<LabelBody>,
) -> Response {
    if let Err(refusal) = writer(&sim, &caller, &owner, &repo) {
        return rest_refusal(refusal);
    }
    let new_name = body.new_name.or(body.name);
    match actions::upsert_label(
        &sim,
        &owner,
        &repo,
        Some(&name),
        new_name,
        body.color,
        body.description,
    ) {
        Ok(label) => Json(label).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

/// `GET /rate_limit`: what the caller's token has left (asking costs nothing, as on GitHub).
pub(super) async fn rate_limit(
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
pub(super) async fn meta() -> Response {
    Json(json!({
        "verifiable_password_authentication": false,
        "hooks": ["127.0.0.0/8", "::1/128"],
        "web": [], "api": [], "git": [], "packages": [], "pages": [], "importer": [],
        "actions": [], "dependabot": [],
    }))
    .into_response()
}
