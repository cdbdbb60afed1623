//! REST on commits: single commits, the pull requests holding one, statuses, comparisons
//! and contributors.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::call::Call;
use super::paging::{Page, array_page, page_response, paginate};
use crate::actions::{self, NewStatus};
use crate::errors::{gh_error, not_found};

pub(crate) fn no_commit(sha: &str) -> Response {
    gh_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        &format!("No commit found for SHA: {sha}"),
    )
}

pub(crate) async fn get_commit(
    call: Call,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        match w.commit_json(r, &git_ref, true) {
            Some(c) => Json(c).into_response(),
            None => no_commit(&git_ref),
        }
    })
}

/// `GET /repos/{o}/{r}/commits/{sha}/pulls`: pull requests whose head contains the commit,
/// or merged ones that brought it in.
pub(crate) async fn commit_pulls(
    call: Call,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some(sha) = r.git.resolve(&git_ref) else {
            return no_commit(&git_ref);
        };
        let pulls: Vec<Value> = r
            .issues
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
    })
}

/// Statuses at a commit, newest first.
pub(crate) async fn list_statuses(
    call: Call,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

/// The combined status: the newest status per context, and their overall state.
pub(crate) async fn combined_status(
    call: Call,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

pub(crate) async fn create_status(
    call: Call,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    Json(body): Json<NewStatus>,
) -> Response {
    call.write(&owner, &repo, StatusCode::CREATED, |login| {
        actions::set_status(&call.sim, &owner, &repo, login, &sha, body)
    })
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}`; `head` may be `owner:branch`.
pub(crate) async fn compare(
    call: Call,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

/// Contributors: authors of commits on the default branch, by commit count.
pub(crate) async fn contributors(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}
