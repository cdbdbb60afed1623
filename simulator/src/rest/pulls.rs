//! REST on pull requests: reading, listing, editing, their commits and files, review
//! requests, and merging.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::issues::state_matches;
use super::paging::{Page, array_page};
use crate::actions::{self, IssueEdit};
use crate::errors::{gh_error, not_found, rest_refusal};
use crate::state::repo_key;
use crate::world::Repo;

pub(crate) async fn get_pull(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        match r.issues.get(&number).filter(|i| i.pull.is_some()) {
            Some(issue) => Json(w.pull_json(r, issue)).into_response(),
            None => not_found(),
        }
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct PullFilter {
    state: Option<String>,
    head: Option<String>,
    base: Option<String>,
    #[serde(flatten)]
    page: Page,
}

pub(crate) async fn list_pulls(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Query(filter): Query<PullFilter>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        // `head` is `owner:branch`; forks are not simulated, so the branch decides.
        let head = filter
            .head
            .as_deref()
            .map(|h| h.split_once(':').map_or(h, |(_, b)| b));
        let list: Vec<Value> = r
            .issues
            .values()
            .rev()
            .filter(|i| state_matches(filter.state.as_deref(), i.state))
            .filter_map(|i| Some((i, i.pull.as_ref()?)))
            .filter(|(_, p)| head.is_none_or(|h| h == p.head_ref))
            .filter(|(_, p)| filter.base.as_deref().is_none_or(|b| b == p.base_ref))
            .map(|(i, _)| w.pull_json(r, i))
            .collect();
        let path = format!("/repos/{owner}/{repo}/pulls");
        array_page(&w.api_base, &path, &filter.page, list)
    })
}

pub(crate) async fn update_pull(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssueEdit>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
        let is_pull = {
            let w = call.sim.lock();
            w.repos
                .get(&repo_key(&owner, &repo))
                .and_then(|r| r.issues.get(&number))
                .is_some_and(|i| i.pull.is_some())
        };
        if !is_pull {
            return not_found();
        }
        if let Err(refusal) = actions::edit_issue(&call.sim, &owner, &repo, number, &login, edit) {
            return rest_refusal(refusal);
        }
        let w = call.sim.lock();
        let r = &w.repos[&repo_key(&owner, &repo)];
        Json(w.pull_json(r, &r.issues[&number])).into_response()
    })
}

/// The head and base commits of a pull request.
fn pull_range(r: &Repo, number: u64) -> Option<(String, String)> {
    let pull = r.issues.get(&number).and_then(|i| i.pull.as_ref())?;
    let head = r.git.resolve(&format!("refs/pull/{number}/head"));
    // A merged PR keeps the commits it had: measure from where its base stood.
    let base = match &pull.merge_commit_sha {
        Some(merge) => r.git.resolve(&format!("{merge}^1")),
        None => r.git.resolve(&format!("refs/heads/{}", pull.base_ref)),
    };
    Some((head?, base?))
}

pub(crate) async fn pull_commits(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some((head, base)) = pull_range(r, number) else {
            return not_found();
        };
        let list: Vec<Value> = r
            .git
            .commits_between(&base, &head)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| w.commit_json(r, c, false))
            .collect();
        let path = format!("/repos/{owner}/{repo}/pulls/{number}/commits");
        array_page(&w.api_base, &path, &page, list)
    })
}

pub(crate) async fn pull_files(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some((head, base)) = pull_range(r, number) else {
            return not_found();
        };
        let list: Vec<Value> = r
            .git
            .diff_files(&base, &head)
            .unwrap_or_default()
            .iter()
            .map(|f| w.diff_entry_json(r, &head, f))
            .collect();
        let path = format!("/repos/{owner}/{repo}/pulls/{number}/files");
        array_page(&w.api_base, &path, &page, list)
    })
}

/// `GET .../pulls/{n}/merge`: 204 when merged, 404 otherwise.
pub(crate) async fn is_merged(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    call.read(&owner, &repo, |_, r| {
        let merged = r
            .issues
            .get(&number)
            .and_then(|i| i.pull.as_ref())
            .is_some_and(|p| p.merged_at.is_some());
        if merged {
            StatusCode::NO_CONTENT.into_response()
        } else {
            not_found()
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct Reviewers {
    #[serde(default)]
    reviewers: Vec<String>,
}

pub(crate) async fn request_reviewers(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Reviewers>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
    let unknown = {
        let w = call.sim.lock();
        let r = &w.repos[&repo_key(&owner, &repo)];
        body.reviewers
            .iter()
            .find(|u| **u != r.owner && !r.collaborators.contains_key(*u))
            .cloned()
    };
    if let Some(u) = unknown {
        return gh_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {owner}/{repo} repository: {u}"
            ),
        );
    }
    match actions::request_reviewers(&call.sim, &owner, &repo, number, &login, body.reviewers) {
        Ok(pull) => (StatusCode::CREATED, Json(pull)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
    })
}

#[derive(Deserialize)]
pub(crate) struct MergeBody {
    merge_method: Option<String>,
    sha: Option<String>,
}

pub(crate) async fn merge_pull(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<MergeBody>>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
        let (method, sha) = match body {
            Some(Json(b)) => (b.merge_method, b.sha),
            None => (None, None),
        };
        let method = method.unwrap_or_else(|| "merge".to_string());
        match actions::merge_pull(
            &call.sim,
            &owner,
            &repo,
            number,
            &login,
            &method,
            sha.as_deref(),
        ) {
            Ok(v) => Json(v).into_response(),
            Err(refusal) => rest_refusal(refusal),
        }
    })
}
