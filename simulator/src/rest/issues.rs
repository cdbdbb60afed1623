//! REST on issues (pull requests among them): reading, listing, opening, editing, assigning.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::paging::{Page, array_page};
use crate::actions::{self, IssueEdit};
use crate::errors::not_found;

pub(crate) async fn get_issue(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    call.read(&owner, &repo, |w, r| match r.issues.get(&number) {
        Some(issue) => Json(w.issue_json(r, issue)).into_response(),
        None => not_found(),
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct IssueFilter {
    state: Option<String>,
    labels: Option<String>,
    creator: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// Whether an open/closed item matches `?state=` (open by default, as on GitHub).
pub(super) fn state_matches(wanted: Option<&str>, state: &str) -> bool {
    match wanted.unwrap_or("open") {
        "all" => true,
        other => other == state,
    }
}

/// Issues and pull requests alike, as GitHub lists them.
pub(crate) async fn list_issues(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Query(filter): Query<IssueFilter>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

#[derive(Deserialize)]
pub(crate) struct NewIssue {
    title: String,
    body: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

pub(crate) async fn create_issue(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<NewIssue>,
) -> Response {
    call.write(&owner, &repo, StatusCode::CREATED, |login| {
        actions::open_issue(
            &call.sim,
            &owner,
            &repo,
            login,
            body.title,
            body.body,
            body.labels,
        )
    })
}

pub(crate) async fn update_issue(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(edit): Json<IssueEdit>,
) -> Response {
    call.write(&owner, &repo, StatusCode::OK, |login| {
        actions::edit_issue(&call.sim, &owner, &repo, number, login, edit)
    })
}

#[derive(Deserialize)]
pub(crate) struct Assignees {
    #[serde(default)]
    assignees: Vec<String>,
}

pub(crate) async fn add_assignees(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<Assignees>,
) -> Response {
    call.write(&owner, &repo, StatusCode::CREATED, |login| {
        actions::assign(&call.sim, &owner, &repo, number, login, body.assignees)
    })
}
