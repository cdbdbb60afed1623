//! REST on check runs: only a GitHub App writes them.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::call::Call;
use super::commits::no_commit;
use super::paging::{Page, page_response, paginate};
use crate::actions::{self, CheckRunFields};
use crate::errors::{Refusal, gh_error, not_found, rest_refusal};
use crate::state::{Caller, repo_key};

/// Only a GitHub App may write check runs; its installation acts as `<slug>[bot]`.
fn app_slug(caller: &Caller) -> Result<String, Refusal> {
    match caller.0.as_deref().and_then(|l| l.strip_suffix("[bot]")) {
        Some(slug) => Ok(slug.to_string()),
        None => Err(Refusal::Forbidden(
            "You must authenticate via a GitHub App.".into(),
        )),
    }
}

pub(crate) async fn create_check_run(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(fields): Json<CheckRunFields>,
) -> Response {
    let slug = match app_slug(&call.caller) {
        Ok(s) => s,
        Err(refusal) => return rest_refusal(refusal),
    };
    match actions::write_check_run(&call.sim, &owner, &repo, &slug, None, fields) {
        Ok(run) => (StatusCode::CREATED, Json(run)).into_response(),
        Err(refusal) => rest_refusal(refusal),
    }
}

pub(crate) async fn update_check_run(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(fields): Json<CheckRunFields>,
) -> Response {
    let slug = match app_slug(&call.caller) {
        Ok(s) => s,
        Err(refusal) => return rest_refusal(refusal),
    };
    let owned = {
        let w = call.sim.lock();
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
            match actions::write_check_run(&call.sim, &owner, &repo, &slug, Some(id), fields) {
                Ok(run) => Json(run).into_response(),
                Err(refusal) => rest_refusal(refusal),
            }
        }
    }
}

/// `GET …/commits/{ref}/check-runs` narrows by name and status, as GitHub does.
#[derive(Deserialize)]
pub(crate) struct CheckRunFilter {
    check_name: Option<String>,
    status: Option<String>,
    #[serde(flatten)]
    page: Page,
}

pub(crate) async fn list_check_runs(
    call: Call,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(filter): Query<CheckRunFilter>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some(sha) = r.git.resolve(&git_ref) else {
            return no_commit(&git_ref);
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
    })
}
