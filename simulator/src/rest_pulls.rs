//! REST operations on pull requests and issues beyond the basics: listing, editing, commits,
//! files, review requests, assignees, single comments and reactions.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::actions::{self, IssueEdit};
use super::rest::{CommentBody, Page, array_page, as_writer, writer};
use super::world::{Repo, World};
use crate::errors::{Refusal, gh_error, not_found, rest_refusal};
use crate::state::{Caller, Sim, repo_key, visible};

#[derive(Deserialize, Default)]
pub(super) struct PullFilter {
    state: Option<String>,
    head: Option<String>,
    base: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// Whether an open/closed item matches `?state=` (open by default, as on GitHub).
fn state_matches(wanted: Option<&str>, state: &str) -> bool {
    match wanted.unwrap_or("open") {
        "all" => true,
        other => other == state,
    }
}

pub(super) async fn list_pulls(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Query(filter): Query<PullFilter>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
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
}

#[derive(Deserialize, Default)]
pub(super) struct IssueFilter {
    state: Option<String>,
    labels: Option<String>,
    creator: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// Issues and pull requests alike, as GitHub lists them.
pub(super) async fn list_issues(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    Query(filter): Query<IssueFilter>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    let wanted: Vec<&str> = filter
        .labels
        .as_deref()
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let list: Vec<Value> = r
        .issues
        .values()
        .rev()
        .filter(|i| state_matches(filter.state.as_deref(), i.state))
        .filter(|i| wanted.iter().all(|l| i.labels.iter().any(|x| x == l)))
        .filter(|i| filter.creator.as_deref().is_none_or(|c| c == i.user))
        .map(|i| w.issue_json(r, i))
        .collect();
    let path = format!("/repos/{owner}/{repo}/issues");
    array_page(&w.api_base, &path, &filter.page, list)
}

pub(super) async fn update_pull(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssueEdit>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    let is_pull = {
        let w = sim.lock();
        w.repos
            .get(&repo_key(&owner, &repo))
            .and_then(|r| r.issues.get(&number))
            .is_some_and(|i| i.pull.is_some())
    };
    if !is_pull {
        return not_found();
    }
    if let Err(refusal) = actions::edit_issue(&sim, &owner, &repo, number, &login, edit) {
        return rest_refusal(refusal);
    }
    let w = sim.lock();
    let r = &w.repos[&repo_key(&owner, &repo)];
    Json(w.pull_json(r, &r.issues[&number])).into_response()
}

/// The repository, head and base commits of a pull request the caller can see.
fn pull_range<'a>(
    w: &'a World,
    caller: &Caller,
    owner: &str,
    repo: &str,
    number: u64,
) -> Option<(&'a Repo, String, String)> {
    let r = visible(w, caller, owner, repo)?;
    let pull = r.issues.get(&number).and_then(|i| i.pull.as_ref())?;
    let head = r.git.resolve(&format!("refs/pull/{number}/head"));
    // A merged PR keeps the commits it had: measure from where its base stood.
    let base = match &pull.merge_commit_sha {
        Some(merge) => r.git.resolve(&format!("{merge}^1")),
        None => r.git.resolve(&format!("refs/heads/{}", pull.base_ref)),
    };
    Some((r, head?, base?))
}

pub(super) async fn pull_commits(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some((r, head, base)) = pull_range(&w, &caller, &owner, &repo, number) else {
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
}

pub(super) async fn pull_files(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    let w = sim.lock();
    let Some((r, head, base)) = pull_range(&w, &caller, &owner, &repo, number) else {
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
}

/// `GET .../pulls/{n}/merge`: 204 when merged, 404 otherwise.
pub(super) async fn is_merged(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let merged = visible(&w, &caller, &owner, &repo)
        .and_then(|r| r.issues.get(&number))
        .and_then(|i| i.pull.as_ref())
        .is_some_and(|p| p.merged_at.is_some());
    if merged {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

#[derive(Deserialize)]
pub(super) struct Reviewers {
    #[serde(default)]
    reviewers: Vec<String>,
}

pub(super) async fn request_reviewers(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Reviewers>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    let unknown = {
        let w = sim.lock();
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
    match actions::request_reviewers(&sim, &owner, &repo, number, &login, body.reviewers) {
        Ok(pull) => (StatusCode::CREATED, Json(pull)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

#[derive(Deserialize)]
pub(super) struct Assignees {
    #[serde(default)]
    assignees: Vec<String>,
}

pub(super) async fn add_assignees(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Assignees>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::CREATED, |login| {
        actions::assign(&sim, &owner, &repo, number, login, body.assignees)
    })
}

pub(super) async fn get_comment(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    let w = sim.lock();
    let Some(r) = visible(&w, &caller, &owner, &repo) else {
        return not_found();
    };
    match r.comments.get(&id) {
        Some(c) => Json(w.comment_json(r, c)).into_response(),
        None => not_found(),
    }
}

pub(super) async fn update_comment(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<CommentBody>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::OK, |login| {
        actions::edit_comment(&sim, &owner, &repo, id, login, body.body)
    })
}

#[derive(Deserialize)]
pub(super) struct ReactionBody {
    content: String,
}

/// 201 for a new reaction, 200 when the caller had already given the same one.
pub(super) async fn add_reaction(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<ReactionBody>,
) -> Response {
    let login = match writer(&sim, &caller, &owner, &repo) {
        Ok(l) => l,
        Err(refusal) => return rest_refusal(refusal),
    };
    match actions::react(&sim, &owner, &repo, id, &login, &body.content) {
        Ok((true, reaction)) => (StatusCode::CREATED, Json(reaction)).into_response(),
        Ok((false, reaction)) => Json(reaction).into_response(),
        Err(Refusal::NotFound) => not_found(),
        Err(refusal) => rest_refusal(refusal),
    }
}

/// `PUT .../pulls/{n}/reviews/{id}/dismissals`.
pub(super) async fn dismiss_review(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<Caller>,
    Path((owner, repo, number, id)): Path<(String, String, u64, u64)>,
) -> Response {
    as_writer(&sim, &caller, &owner, &repo, StatusCode::OK, |login| {
        actions::dismiss_review(&sim, &owner, &repo, number, id, login)
    })
}
