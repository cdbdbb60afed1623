//! REST operations on branches, commits, statuses, comparisons and branch protection.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::rest::{Page, administrator, array_page, as_writer, page_response, paginate};
use super::world::{Protection, Repo, World};
use crate::actions::{self, NewStatus};
use crate::errors::{gh_error, not_found, rest_refusal};
use crate::state::{Caller, Sim, repo_key, visible};

pub(super) fn no_commit(sha: &str) -> Response {
    gh_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("No commit found for SHA: {sha}"),
    )
}

pub(super) async fn get_commit(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    match w.commit_json(r, &git_ref, true) {
        Some(c) => Json(c).into_response(),
        None => no_commit(&git_ref),
    }
}

/// `GET /repos/{o}/{r}/commits/{sha}/pulls`: pull requests whose head contains the commit,
/// or merged ones that brought it in.
pub(super) async fn commit_pulls(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(sha) = r.git.resolve(&git_ref) else {
        return no_commit(&git_ref);
    };
    let pulls: Vec<Value> =
        r.issues
            .values()
            .filter(|i| i.pull.is_some())
            .filter(|i| {
                let head = r.git.resolve(&format!("refs/pull/{}/head", i.number));
                let merge = i.pull.as_ref().and_then(|p| p.merge_commit_sha.clone());
                [head, merge].into_iter().flatten().any(|tip| {
                    tip == sha || r.git.merge_base(&sha, &tip).is_ok_and(|base| base == sha)
                })
            })
            .map(|i| w.pull_json(r, i))
            .collect();
    let path = format!("/repos/{owner}/{repo}/commits/{git_ref}/pulls");
    array_page(&w.api_base, &path, &page, pulls)
}

/// Statuses at a commit, newest first.
pub(super) async fn list_statuses(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(sha) = r.git.resolve(&git_ref) else {
        return no_commit(&git_ref);
    };
    let list: Vec<Value> = r
        .statuses
        .iter()
        .rev()
        .filter(|s| s.sha == sha)
        .map(|s| w.status_json(r, s))
        .collect();
    let path = format!("/repos/{owner}/{repo}/commits/{git_ref}/statuses");
    array_page(&w.api_base, &path, &page, list)
}

/// The combined status: the newest status per context, and their overall state.
pub(super) async fn combined_status(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(sha) = r.git.resolve(&git_ref) else {
        return no_commit(&git_ref);
    };
    let latest = r.latest_statuses(&sha);
    let state = if latest
        .iter()
        .any(|s| s.state == "failure" || s.state == "error")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let api = format!("{}/repos/{}/{}", w.api_base, r.owner, r.name);
    let statuses: Vec<Value> = latest
        .iter()
        .map(|s| {
            let mut v = w.status_json(r, s);
            if let Some(o) = v.as_object_mut() {
                o.remove("creator");
            }
            v
        })
        .collect();
    Json(json!({
        "state": state, "sha": sha, "total_count": statuses.len(), "statuses": statuses,
        // The full repository object is a superset of the `minimal-repository` asked for.
        "repository": w.repo_json(r),
        "commit_url": format!("{api}/commits/{sha}"),
        "url": format!("{api}/commits/{sha}/status"),
    }))
    .into_response()
}

pub(super) async fn create_status(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    Json(body): Json<NewStatus>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::CREATED, |login| {
        actions::set_status(&sim, &owner, &repo, login, &sha, body)
    })
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}`; `head` may be `owner:branch`.
pub(super) async fn compare(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some((base, head)) = basehead.split_once("...") else {
        return not_found();
    };
    // Forks are not simulated: `owner:ref` names a ref of this repository.
    let strip = |s: &str| s.split_once(':').map_or(s, |(_, r)| r).to_string();
    let (base, head) = (strip(base), strip(head));
    let (Some(base_sha), Some(head_sha)) = (r.git.resolve(&base), r.git.resolve(&head)) else {
        return not_found();
    };
    let Ok(merge_base) = r.git.merge_base(&base_sha, &head_sha) else {
        return not_found();
    };
    let ahead = r
        .git
        .commits_between(&base_sha, &head_sha)
        .unwrap_or_default();
    let behind = r.git.count_between(&head_sha, &base_sha).unwrap_or(0);
    let status = match (ahead.len(), behind) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let files: Vec<Value> = r
        .git
        .diff_files(&base_sha, &head_sha)
        .unwrap_or_default()
        .iter()
        .map(|f| w.diff_entry_json(r, &head_sha, f))
        .collect();
    let api = format!("{}/repos/{}/{}", w.api_base, r.owner, r.name);
    let html = format!("{}/{}/{}", w.api_base, r.owner, r.name);
    Json(json!({
        "url": format!("{api}/compare/{basehead}"),
        "html_url": format!("{html}/compare/{basehead}"),
        "permalink_url": format!("{html}/compare/{base_sha}...{head_sha}"),
        "diff_url": format!("{html}/compare/{basehead}.diff"),
        "patch_url": format!("{html}/compare/{basehead}.patch"),
        "base_commit": w.commit_json(r, &base_sha, false),
        "merge_base_commit": w.commit_json(r, &merge_base, false),
        "status": status, "ahead_by": ahead.len(), "behind_by": behind,
        "total_commits": ahead.len(),
        "commits": ahead.iter().filter_map(|c| w.commit_json(r, c, false)).collect::<Vec<_>>(),
        "files": files,
    }))
    .into_response()
}

fn protection_json(w: &World, r: &Repo, branch: &str, p: &Protection) -> Value {
    let url = format!(
        "{}/repos/{}/{}/branches/{branch}/protection",
        w.api_base, r.owner, r.name
    );
    let mut v = json!({
        "url": url, "enabled": true,
        "required_status_checks": {
            "url": format!("{url}/required_status_checks"),
            "enforcement_level": "non_admins", "strict": p.strict,
            "contexts": p.contexts,
            "checks": p.contexts.iter().map(|c| json!({"context": c, "app_id": null})).collect::<Vec<_>>(),
            "contexts_url": format!("{url}/required_status_checks/contexts"),
        },
        "enforce_admins": {"url": format!("{url}/enforce_admins"), "enabled": false},
    });
    if p.required_approvals > 0 {
        v["required_pull_request_reviews"] = json!({
            "url": format!("{url}/required_pull_request_reviews"),
            "dismiss_stale_reviews": false, "require_code_owner_reviews": false,
            "required_approving_review_count": p.required_approvals,
        });
    }
    v
}

pub(super) async fn get_branch(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let Some(sha) = r.git.resolve(&format!("refs/heads/{branch}")) else {
        return gh_error(StatusCode::NOT_FOUND, "Branch not found");
    };
    let api = format!("{}/repos/{}/{}", w.api_base, r.owner, r.name);
    let protection = r.protection.get(&branch);
    let checks = protection.map(|p| p.contexts.clone()).unwrap_or_default();
    Json(json!({
        "name": branch, "commit": w.commit_json(r, &sha, false),
        "_links": {"html": format!("{}/{}/{}/tree/{branch}", w.api_base, r.owner, r.name),
                   "self": format!("{api}/branches/{branch}")},
        "protected": protection.is_some(),
        "protection": {
            "enabled": protection.is_some(),
            "required_status_checks": {
                "enforcement_level": if protection.is_some() { "non_admins" } else { "off" },
                "contexts": checks,
                "checks": checks.iter().map(|c| json!({"context": c, "app_id": null})).collect::<Vec<_>>(),
            },
        },
        "protection_url": format!("{api}/branches/{branch}/protection"),
    }))
    .into_response()
}

pub(super) async fn get_protection(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    if r.git.resolve(&format!("refs/heads/{branch}")).is_none() {
        return gh_error(StatusCode::NOT_FOUND, "Branch not found");
    }
    match r.protection.get(&branch) {
        Some(p) => Json(protection_json(&w, r, &branch, p)).into_response(),
        None => gh_error(StatusCode::NOT_FOUND, "Branch not protected"),
    }
}

#[derive(Deserialize)]
pub(super) struct ProtectionBody {
    required_status_checks: Option<RequiredChecks>,
    required_pull_request_reviews: Option<RequiredReviews>,
}

#[derive(Deserialize)]
struct RequiredChecks {
    strict: bool,
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    checks: Vec<Check>,
}

#[derive(Deserialize)]
struct Check {
    context: String,
}

#[derive(Deserialize)]
struct RequiredReviews {
    #[serde(default)]
    required_approving_review_count: u64,
}

/// `PUT .../protection`: admins only, as on GitHub.
pub(super) async fn put_protection(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
    Json(body): Json<ProtectionBody>,
) -> Response {
    let denied = "Resource not accessible by integration";
    if let Err(refusal) = administrator(&sim, &caller, &owner, &repo, denied) {
        return rest_refusal(refusal);
    }
    let (strict, contexts) = match body.required_status_checks {
        Some(c) => {
            let mut all = c.contexts;
            all.extend(c.checks.into_iter().map(|k| k.context));
            (c.strict, all)
        }
        None => (false, Vec::new()),
    };
    let protection = Protection {
        contexts,
        strict,
        required_approvals: body
            .required_pull_request_reviews
            .map_or(0, |r| r.required_approving_review_count),
    };
    match actions::set_protection(&sim, &owner, &repo, &branch, protection) {
        Ok(()) => {
            let w = sim.lock();
            let r = &w.repos[&repo_key(&owner, &repo)];
            Json(protection_json(&w, r, &branch, &r.protection[&branch])).into_response()
        }
        Err(refusal) => rest_refusal(refusal),
    }
}

/// Contributors: authors of commits on the default branch, by commit count.
pub(super) async fn contributors(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for sha in r.git.history(&r.default_branch).unwrap_or_default() {
        if let Ok(c) = r.git.commit_info(&sha) {
            *counts.entry(c.author).or_default() += 1;
        }
    }
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let list: Vec<Value> = list
        .into_iter()
        .filter(|(login, _)| w.users.contains_key(login))
        .map(|(login, n)| {
            let mut u = w.user_json(&login);
            u["contributions"] = json!(n);
            u
        })
        .collect();
    let path = format!("/repos/{owner}/{repo}/contributors");
    let (list, link) = paginate(&w.api_base, &path, &page, list);
    if list.is_empty() {
        // GitHub answers an empty repository with 204.
        return StatusCode::NO_CONTENT.into_response();
    }
    page_response(Value::Array(list), link)
}
