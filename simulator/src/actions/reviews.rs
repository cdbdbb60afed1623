//! Review requests, reviews and their dismissal.

use serde_json::{Value, json};

use super::auto_merge::merge_ready;
use crate::errors::{Outcome, Refusal};
use crate::hooks::{Outgoing, emit};
use crate::state::{Sim, repo_key};
use crate::world::{Review, World, now};

/// Requests reviews: `pull_request` `review_requested`, once per newly requested user.
pub(crate) fn request_reviewers(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    reviewers: Vec<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        for login in &reviewers {
            w.user_id(login);
        }
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        let author = issue.user.clone();
        let pull = issue.pull.as_mut().ok_or(Refusal::NotFound)?;
        if reviewers.contains(&author) {
            return Err(Refusal::Invalid(
                "Review cannot be requested from pull request author.".into(),
            ));
        }
        // GitHub refuses the whole request when one login has no access.
        if reviewers
            .iter()
            .any(|u| *u != r.owner && !r.collaborators.contains_key(u))
        {
            return Err(Refusal::Invalid(format!(
                "Reviews may only be requested from collaborators. One or more of the users or \
                 teams you specified is not a collaborator of the {key} repository."
            )));
        }
        let fresh: Vec<String> = reviewers
            .into_iter()
            .filter(|u| !pull.requested_reviewers.contains(u))
            .collect();
        pull.requested_reviewers.extend(fresh.iter().cloned());
        let r = &w.repos[&key];
        let pull = w.pull_json(r, &r.issues[&number]);
        for login in &fresh {
            out.extend(emit(
                w,
                &key,
                "pull_request",
                actor,
                json!({"action": "review_requested", "number": number,
                       "requested_reviewer": w.user_json(login), "pull_request": pull.clone()}),
            ));
        }
        Ok(pull)
    })
}

pub(crate) fn submit_review(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    state: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let id = w.next_id();
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get(&number).ok_or(Refusal::NotFound)?;
        if issue.pull.is_none() {
            return Err(Refusal::NotFound);
        }
        if issue.user == actor && state != "COMMENTED" {
            return Err(Refusal::Invalid(
                "Can not approve or request changes on your own pull request".into(),
            ));
        }
        let commit_id = r
            .git
            .resolve(&format!("refs/pull/{number}/head"))
            .unwrap_or_default();
        r.reviews.insert(
            id,
            Review {
                id,
                pull: number,
                user: actor.to_string(),
                state: state.to_string(),
                body,
                commit_id,
                submitted_at: now(),
            },
        );
        let review = review_event(w, out, &key, number, id, actor, "submitted");
        merge_ready(w, out, &key);
        Ok(review)
    })
}

/// Dismisses a review: its state becomes DISMISSED (it no longer counts) and
/// `pull_request_review` `dismissed` is sent.
pub(crate) fn dismiss_review(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    review_id: u64,
    actor: &str,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        if !w.can_write(&key, actor) {
            return Err(Refusal::Forbidden(
                "You do not have permission to dismiss this review".into(),
            ));
        }
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let review = r
            .reviews
            .get_mut(&review_id)
            .filter(|rv| rv.pull == number)
            .ok_or(Refusal::NotFound)?;
        if !matches!(review.state.as_str(), "APPROVED" | "CHANGES_REQUESTED") {
            return Err(Refusal::Invalid(
                "Can not dismiss a commented pull request review".into(),
            ));
        }
        review.state = "DISMISSED".into();
        let review = review_event(w, out, &key, number, review_id, actor, "dismissed");
        Ok(review)
    })
}

/// Sends `pull_request_review` `action` for a review; returns the review as REST shows it.
/// Webhooks carry the state in lower case (`approved`), REST in upper case (`APPROVED`).
fn review_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    number: u64,
    review_id: u64,
    actor: &str,
    action: &str,
) -> Value {
    let r = &w.repos[key];
    let review = w.review_json(r, &r.reviews[&review_id]);
    let mut delivered = review.clone();
    if let Some(state) = review["state"].as_str() {
        delivered["state"] = json!(state.to_ascii_lowercase());
    }
    let pull = w.pull_json(r, &r.issues[&number]);
    out.extend(emit(
        w,
        key,
        "pull_request_review",
        actor,
        json!({"action": action, "review": delivered, "pull_request": pull}),
    ));
    review
}
