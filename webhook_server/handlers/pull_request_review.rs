//! PullRequestReviewHandler: a review leaves its reviewer's label (`lgtm-<u>` for an approval,
//! `changes-requested-<u>`, `commented-<u>`), and `/approve` on a line of its body approves as
//! the command does. Unlike the reference, a change request removes that user's `lgtm-` label
//! and a dismissed review drops its label.

use serde_json::{Value, json};

use super::check_run::Done;
use super::labels::{APPROVED_PREFIX, CHANGES_REQUESTED_PREFIX, COMMENTED_PREFIX, LGTM_PREFIX};
use super::owners::PullOwners;
use super::settle::{Desired, Settle};
use crate::config::RepoConfig;
use crate::github::clients::Session;
use crate::repository_data::RepositoryData;

pub struct PullRequestReviewHandler<'a> {
    pub session: &'a Session,
    pub config: &'a RepoConfig,
    pub owners: &'a PullOwners,
}

/// The labels a review by `user` calls for, and those it retires, from its webhook `action`
/// and `state` and whether its body approves.
pub fn review_labels(
    action: &str,
    state: &str,
    user: &str,
    author: &str,
    approves: bool,
) -> (Vec<String>, Vec<String>) {
    let (mut want, mut unwanted) = (Vec::new(), Vec::new());
    let label = |prefix: &str| format!("{prefix}{user}");
    match (action, state.to_ascii_lowercase().as_str()) {
        ("submitted", "approved") if !user.eq_ignore_ascii_case(author) => {
            want.push(label(LGTM_PREFIX));
            unwanted.push(label(CHANGES_REQUESTED_PREFIX));
        }
        ("submitted", "changes_requested") => {
            want.push(label(CHANGES_REQUESTED_PREFIX));
            unwanted.push(label(LGTM_PREFIX));
        }
        ("submitted", "commented") => want.push(label(COMMENTED_PREFIX)),
        ("dismissed", _) => {
            unwanted.push(label(LGTM_PREFIX));
            unwanted.push(label(CHANGES_REQUESTED_PREFIX));
        }
        _ => {}
    }
    if approves && action == "submitted" {
        want.push(label(APPROVED_PREFIX));
        unwanted.retain(|l| *l != label(APPROVED_PREFIX));
        if !unwanted.contains(&label(CHANGES_REQUESTED_PREFIX)) {
            unwanted.push(label(CHANGES_REQUESTED_PREFIX));
        }
        want.retain(|l| *l != label(CHANGES_REQUESTED_PREFIX));
    }
    (want, unwanted)
}

fn body_approves(body: &str) -> bool {
    body.lines().any(|l| l.trim() == "/approve")
}

impl PullRequestReviewHandler<'_> {
    pub async fn handle(
        &self,
        action: &str,
        payload: &Value,
        data: &mut RepositoryData,
    ) -> anyhow::Result<Done> {
        let mut done = Done::new();
        let review = &payload["review"];
        let user = review["user"]["login"].as_str().unwrap_or_default();
        let state = review["state"].as_str().unwrap_or_default();
        let body = review["body"].as_str().unwrap_or_default();
        let approves = body_approves(body) && self.owners.is_approver(user);
        if body_approves(body) && !approves {
            done.insert(
                "approve_ignored".into(),
                json!(format!("{user} is not an approver of this pull request")),
            );
        }
        let (want, unwanted) = if user.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            review_labels(action, state, user, &data.pull.author, approves)
        };
        let desired = Desired {
            want,
            unwanted,
            checks: Vec::new(),
        };
        Settle {
            session: self.session,
            config: self.config,
            owners: self.owners,
        }
        .run(data, desired, &mut done)
        .await?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(action: &str, state: &str, approves: bool) -> (Vec<String>, Vec<String>) {
        review_labels(action, state, "bob", "alice", approves)
    }

    #[test]
    fn an_approval_is_an_lgtm_and_clears_a_change_request() {
        assert_eq!(
            labels("submitted", "APPROVED", false),
            (
                vec!["lgtm-bob".into()],
                vec!["changes-requested-bob".into()]
            )
        );
        assert_eq!(
            review_labels("submitted", "approved", "alice", "alice", false),
            (vec![], vec![])
        );
    }

    #[test]
    fn a_change_request_removes_that_users_lgtm() {
        assert_eq!(
            labels("submitted", "changes_requested", false),
            (
                vec!["changes-requested-bob".into()],
                vec!["lgtm-bob".into()]
            )
        );
    }

    #[test]
    fn a_dismissed_review_drops_its_labels() {
        assert_eq!(
            labels("dismissed", "dismissed", false),
            (
                vec![],
                vec!["lgtm-bob".into(), "changes-requested-bob".into()]
            )
        );
    }

    #[test]
    fn approve_in_the_body_approves() {
        assert_eq!(
            labels("submitted", "commented", true),
            (
                vec!["commented-bob".into(), "approved-bob".into()],
                vec!["changes-requested-bob".into()]
            )
        );
        assert!(body_approves("looks fine\n  /approve  \n"));
        assert!(!body_approves("I would /approve later"));
    }
}
