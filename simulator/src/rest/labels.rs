//! REST on repository labels and the labels of issues.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::call::Call;
use super::paging::{Page, array_page};
use crate::actions::{self};
use crate::errors::{Refusal, gh_error, not_found, rest_refusal};

pub(crate) async fn list_labels(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let list: Vec<Value> = r.labels.values().map(|l| w.label_json(r, l)).collect();
        array_page(
            &w.api_base,
            &format!("/repos/{owner}/{repo}/labels"),
            &page,
            list,
        )
    })
}

pub(crate) async fn get_label(
    call: Call,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    call.read(&owner, &repo, |w, r| match r.labels.get(&name) {
        Some(l) => Json(w.label_json(r, l)).into_response(),
        None => not_found(),
    })
}

#[derive(Deserialize)]
pub(crate) struct LabelBody {
    name: Option<String>,
    new_name: Option<String>,
    color: Option<String>,
    description: Option<String>,
}

pub(crate) async fn create_label(
    call: Call,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<LabelBody>,
) -> Response {
    call.with_writer(&owner, &repo, |_| {
        match actions::upsert_label(
            &call.sim,
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
    })
}

pub(crate) async fn update_label(
    call: Call,
    Path((owner, repo, name)): Path<(String, String, String)>,
    Json(body): Json<LabelBody>,
) -> Response {
    call.with_writer(&owner, &repo, |_| {
        let new_name = body.new_name.or(body.name);
        match actions::upsert_label(
            &call.sim,
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
    })
}

pub(crate) async fn list_issue_labels(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(page): Query<Page>,
) -> Response {
    call.read(&owner, &repo, |w, r| {
        let Some(issue) = r.issues.get(&number) else {
            return not_found();
        };
        let labels = match w.issue_json(r, issue)["labels"].take() {
            Value::Array(list) => list,
            _ => Vec::new(),
        };
        let path = format!("/repos/{owner}/{repo}/issues/{number}/labels");
        array_page(&w.api_base, &path, &page, labels)
    })
}

/// `{"labels": [...]}` or a bare array, both of which GitHub accepts.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum LabelNames {
    Wrapped { labels: Vec<String> },
    Bare(Vec<String>),
}

pub(crate) async fn add_issue_labels(
    call: Call,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<LabelNames>,
) -> Response {
    let names = match body {
        LabelNames::Wrapped { labels } | LabelNames::Bare(labels) => labels,
    };
    call.write(&owner, &repo, StatusCode::OK, |login| {
        actions::add_labels(&call.sim, &owner, &repo, number, login, names)
    })
}

pub(crate) async fn remove_issue_label(
    call: Call,
    Path((owner, repo, number, name)): Path<(String, String, u64, String)>,
) -> Response {
    call.with_writer(&owner, &repo, |login| {
        match actions::remove_label(&call.sim, &owner, &repo, number, &login, &name) {
            Ok(labels) => Json(labels).into_response(),
            Err(Refusal::NotFound) => gh_error(StatusCode::NOT_FOUND, "Label does not exist"),
            Err(refusal) => rest_refusal(refusal),
        }
    })
}
