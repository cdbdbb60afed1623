//! Asking reviewers for their review.
//!
//! GitHub refuses a whole review request (422) when one login in it has no access to the
//! repository, so the server asks collaborators only. The snapshot lists the first 100
//! collaborators. In a larger repository a reviewer beyond them is unverified, and verifying
//! would cost a read the delivery does not have (three at most). So unverified reviewers are
//! asked together with the verified ones. If GitHub refuses, the verified ones are asked
//! together and each unverified one alone, and the logins GitHub refuses are remembered for an
//! hour, so a replayed event does not ask them again.

use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::snapshot::RepositoryData;
use crate::store::refusals::Refusals;

/// Asks `reviewers` in one request; `Ok(Err(message))` when GitHub refuses it.
async fn ask(
    session: &Session,
    number: u64,
    reviewers: &[String],
) -> anyhow::Result<Result<(), String>> {
    match session.request_reviewers(number, reviewers).await {
        Ok(()) => Ok(Ok(())),
        Err(GitHubError::Status {
            status: 422,
            message,
            ..
        }) => {
            tracing::warn!(pull = number, "review request refused: {message}");
            Ok(Err(message))
        }
        Err(e) => Err(e.into()),
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
    let listed = |r: &String| data.collaborators.contains_key(&r.to_ascii_lowercase());
    let (verified, unverified): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .filter(|r| !refusals.contains(full_name, r))
        .filter(|r| !data.collaborators_complete || listed(r))
        .partition(listed);
    let everyone: Vec<String> = verified.iter().chain(&unverified).cloned().collect();
    let number = data.pull.number;
    if everyone.is_empty() || ask(session, number, &everyone).await?.is_ok() {
        return Ok(everyone);
    }
    // Refused. When every login was a listed collaborator, the others are asked on the next
    // event; otherwise the listed ones go together and each other one alone.
    let mut asked = Vec::new();
    if unverified.is_empty() {
        return Ok(asked);
    }
    if !verified.is_empty() && ask(session, number, &verified).await?.is_ok() {
        asked.extend(verified);
    }
    for login in unverified {
        match ask(session, number, std::slice::from_ref(&login)).await? {
            Ok(()) => asked.push(login),
            Err(_) => refusals.remember(full_name, &login),
        }
    }
    Ok(asked)
}
