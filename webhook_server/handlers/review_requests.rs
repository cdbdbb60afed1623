//! Asking reviewers for their review.
//!
//! GitHub refuses a whole review request (422) when one login in it has no access to the
//! repository, so the server asks collaborators only. The snapshot lists the first 100
//! collaborators. In a larger repository a reviewer beyond them is unverified, and verifying
//! would cost a read the delivery does not have (three at most). So unverified reviewers are
//! asked together with the verified ones. If GitHub refuses, the verified ones are asked
//! together and each unverified one alone, and the logins GitHub refuses are remembered for an
//! hour, so a replayed event does not ask them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::repository_data::RepositoryData;

/// How long a refused reviewer is not asked again: long enough to cover redeliveries and
/// bursts of events on one pull request, short enough to notice a new collaborator.
const REFUSAL_TTL: Duration = Duration::from_secs(3600);

/// Reviewers GitHub refused, by repository.
#[derive(Default)]
pub struct Refusals(Mutex<HashMap<(String, String), Instant>>);

impl Refusals {
    fn key(full_name: &str, login: &str) -> (String, String) {
        (full_name.to_ascii_lowercase(), login.to_ascii_lowercase())
    }

    fn contains(&self, full_name: &str, login: &str) -> bool {
        let mut refused = self.0.lock().unwrap_or_else(|e| e.into_inner());
        refused.retain(|_, at| at.elapsed() < REFUSAL_TTL);
        refused.contains_key(&Self::key(full_name, login))
    }

    fn remember(&self, full_name: &str, login: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(Self::key(full_name, login), Instant::now());
    }
}

/// Asks `wanted` for a review, leaving out those known to have no access; returns who was
/// asked.
pub async fn request(
    session: &Session,
    refusals: &Refusals,
    data: &RepositoryData,
    wanted: Vec<String>,
) -> anyhow::Result<Vec<String>> {
    let full_name = &data.full_name;
    let (verified, unverified): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .filter(|r| !refusals.contains(full_name, r))
        .partition(|r| data.collaborators.contains_key(&r.to_ascii_lowercase()));
    let unverified = if data.collaborators_complete {
        Vec::new()
    } else {
        unverified
    };
    let everyone: Vec<String> = verified.iter().chain(&unverified).cloned().collect();
    if everyone.is_empty() {
        return Ok(Vec::new());
    }
    let path = format!("/pulls/{}/requested_reviewers", data.pull.number);
    let ask = |reviewers: &[String]| {
        let body = json!({ "reviewers": reviewers });
        let path = &path;
        async move { session.rest(Method::POST, path, Some(&body)).await }
    };
    let refused = match ask(&everyone).await {
        Ok(_) => return Ok(everyone),
        Err(GitHubError::Status {
            status: 422,
            message,
            ..
        }) => message,
        Err(e) => return Err(e.into()),
    };
    tracing::warn!(pull = data.pull.number, "review request refused: {refused}");
    if unverified.is_empty() {
        // Every login was a listed collaborator; the others are asked on the next event.
        return Ok(Vec::new());
    }
    let mut asked = Vec::new();
    if !verified.is_empty() {
        match ask(&verified).await {
            Ok(_) => asked.extend(verified),
            Err(GitHubError::Status {
                status: 422,
                message,
                ..
            }) => tracing::warn!(pull = data.pull.number, "review request refused: {message}"),
            Err(e) => return Err(e.into()),
        }
    }
    for login in unverified {
        match ask(std::slice::from_ref(&login)).await {
            Ok(_) => asked.push(login),
            Err(GitHubError::Status { status: 422, .. }) => refusals.remember(full_name, &login),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(asked)
}
