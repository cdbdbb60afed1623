//! GitHub's GraphQL API at `/graphql`, over the simulator's state: the part of GitHub's schema
//! the server queries (repositories, pull requests with their labels, reviews, files, comments
//! and check results, collaborators, files at a revision, branch protection) and the auto-merge
//! mutations. Type, field and enum names are GitHub's, so documents written against GitHub's
//! schema run here unchanged; CI validates the server's documents against that schema.

mod actors;
mod checks;
mod commits;
mod context;
mod handles;
mod issues;
mod labels;
mod mutations;
mod paging;
mod pull_request;
mod query;
mod repository;
mod reviews;

use async_graphql::{EmptySubscription, Schema};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::errors;
use crate::state::{Caller, QuotaKey, Sim};
use mutations::MutationRoot;
use query::QueryRoot;

pub type GitHubSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn schema() -> GitHubSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        // GitHub's own limit on how deep a document may nest.
        .limit_depth(25)
        .finish()
}

/// `POST /graphql`: GitHub answers 200 with `errors` for anything past authentication.
pub(crate) async fn endpoint(
    State(sim): State<Sim>,
    axum::Extension(schema): axum::Extension<GitHubSchema>,
    axum::Extension(caller): axum::Extension<Caller>,
    axum::Extension(QuotaKey(key)): axum::Extension<QuotaKey>,
    body: axum::body::Bytes,
) -> Response {
    if caller.0.is_none() {
        return errors::gh_error(
            StatusCode::UNAUTHORIZED,
            "This endpoint requires you to be authenticated.",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return errors::gh_error(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
    };
    let quota = sim.lock().peek(&key).0;
    let response = schema
        .execute(request.data(sim.clone()).data(caller).data(quota))
        .await;
    let mut body = serde_json::to_value(&response).unwrap_or_default();
    // GitHub puts an error's `type` beside its message, not under `extensions`.
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            if let Some(kind) = error
                .get_mut("extensions")
                .and_then(|x| x.as_object_mut())
                .and_then(|x| x.remove("type"))
            {
                error["type"] = kind;
            }
            if error["extensions"]
                .as_object()
                .is_some_and(|x| x.is_empty())
            {
                error.as_object_mut().map(|e| e.remove("extensions"));
            }
        }
    }
    Json(body).into_response()
}
