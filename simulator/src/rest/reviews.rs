//! REST on pull request reviews: listing, submitting and dismissing them.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::paging::{Page, array_page};
use crate::actions::{self};
use crate::errors::{gh_error, not_found, rest_refusal};

pub(crate) async fn list_reviews(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

#[derive(Deserialize)]
pub(crate) struct ReviewBody {
    event: Option<String>,
    #[serde(default)]
    body: String,
}

pub(crate) async fn create_review(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<ReviewBody>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
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
        match actions::submit_review(&call.sim, &owner, &repo, number, &login, state, body.body) {
            Ok(review) => Json(review).into_response(),
            Err(refusal) => rest_refusal(refusal),
        }
    })
}

/// `PUT .../pulls/{n}/reviews/{id}/dismissals`.
pub(crate) async fn dismiss_review(
    call: Call,
    Path((owner, repo, number, id)): Path<(String, String, u64, u64)>,
) -> Response {
    call.write(&owner, &repo, StatusCode::OK, |login| {
        actions::dismiss_review(&call.sim, &owner, &repo, number, id, login)
    })
}
