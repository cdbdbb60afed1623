//! REST on issue comments and their reactions.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::paging::{Page, array_page};
use crate::actions::{self};
use crate::errors::{Refusal, not_found, rest_refusal};

pub(crate) async fn list_comments(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
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
    })
}

#[derive(Deserialize)]
pub(crate) struct CommentBody {
    pub(crate) body: String,
}

pub(crate) async fn create_comment(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<CommentBody>,
) -> Response {
    call.write(&owner, &repo, StatusCode::CREATED, |login| {
        actions::add_comment(&call.sim, &owner, &repo, number, login, body.body)
    })
}

pub(crate) async fn get_comment(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    call.read(&owner, &repo, |w, r| match r.comments.get(&id) {
        Some(c) => Json(w.comment_json(r, c)).into_response(),
        None => not_found(),
    })
}

pub(crate) async fn update_comment(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<CommentBody>,
) -> Response {
    call.write(&owner, &repo, StatusCode::OK, |login| {
        actions::edit_comment(&call.sim, &owner, &repo, id, login, body.body)
    })
}

#[derive(Deserialize)]
pub(crate) struct ReactionBody {
    content: String,
}

#[derive(Deserialize)]
pub(crate) struct ReactionQuery {
    content: Option<String>,
    #[serde(flatten)]
    page: Page,
}

/// `GET …/issues/comments/{id}/reactions`, narrowed by `content` as on GitHub.
pub(crate) async fn list_reactions(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Query(query): Query<ReactionQuery>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some(comment) = r.comments.get(&id) else {
            return not_found();
        };
        let list: Vec<Value> = comment
            .reactions
            .iter()
            .filter(|x| query.content.as_deref().is_none_or(|c| c == x.content))
            .map(|x| w.reaction_json(x))
            .collect();
        let path = format!("/repos/{owner}/{repo}/issues/comments/{id}/reactions");
        array_page(&w.api_base, &path, &query.page, list)
    })
}

/// 201 for a new reaction, 200 when the caller had already given the same one.
pub(crate) async fn add_reaction(
    call: Call,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(body): Json<ReactionBody>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
        match actions::react(&call.sim, &owner, &repo, id, &login, &body.content) {
            Ok((true, reaction)) => (StatusCode::CREATED, Json(reaction)).into_response(),
            Ok((false, reaction)) => Json(reaction).into_response(),
            Err(Refusal::NotFound) => not_found(),
            Err(refusal) => rest_refusal(refusal),
        }
    })
}
