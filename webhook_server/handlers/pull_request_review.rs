//! PullRequestReviewHandler: a review leaves its reviewer's label (`lgtm-<u>` for an approval,
//! `changes-requested-<u>`, `commented-<u>`), and `/approve` on a line of its body approves as
//! the command does. Unlike the reference, a change request removes that user's `lgtm-` label
//! and a dismissed review drops its label.

use serde_json::json;

use crate::apply::{Desired, Settle};
use crate::config::RepoConfig;
use crate::event::Review;
use crate::github::clients::Session;
use crate::rules::labels::{
    APPROVED_PREFIX, CHANGES_REQUESTED_PREFIX, COMMENTED_PREFIX, LGTM_PREFIX,
};
use crate::rules::merge_readiness::RepoFileReport;
use crate::rules::owners::PullOwners;
use crate::snapshot::RepositoryData;
use crate::steps::Done;
use crate::store::Memory;

pub struct PullRequestReviewHandler<'a> {
    pub session: &'a Session,
    pub config: &'a RepoConfig,
    pub owners: &'a PullOwners,
    pub repo_file: &'a RepoFileReport,
    pub memory: &'a Memory,
}

/// What a review event says about its reviewer, read level-triggered: from the reviewer's
/// latest approval or change request in the snapshot, so a replayed or late event cannot undo a
/// newer review. A review of an older head no longer speaks for the code, unless that head
/// carried the same code (the head is a clean rebase of it).
pub struct ReviewFacts<'a> {
    pub action: &'a str,
    /// The event's own review: its state, and whether it reviewed the current code.
    pub state: &'a str,
    pub on_head: bool,
    /// The reviewer's latest approval or change request: its state and whether it is of the
    /// current code.
    pub latest: Option<(&'a str, bool)>,
    pub user: &'a str,
    pub author: &'a str,
    /// The body approves (`/approve` on a line) and the user is an approver.
    pub approves: bool,
}

/// The labels the reviewer should carry and those they should not.
pub fn review_labels(f: &ReviewFacts) -> (Vec<String>, Vec<String>) {
    let (mut want, mut unwanted) = (Vec::new(), Vec::new());
    let label = |prefix: &str| format!("{prefix}{}", f.user);
    match f.action {
        "submitted" => {
            match f.latest {
                Some((state, true)) if state.eq_ignore_ascii_case("approved") => {
                    if !f.user.eq_ignore_ascii_case(f.author) {
                        want.push(label(LGTM_PREFIX));
                    }
                    unwanted.push(label(CHANGES_REQUESTED_PREFIX));
                }
                Some((state, true)) if state.eq_ignore_ascii_case("changes_requested") => {
                    want.push(label(CHANGES_REQUESTED_PREFIX));
                    unwanted.push(label(LGTM_PREFIX));
                }
                _ => {}
            }
            if f.on_head && f.state.eq_ignore_ascii_case("commented") {
                want.push(label(COMMENTED_PREFIX));
            }
            if f.on_head && f.approves {
                want.push(label(APPROVED_PREFIX));
                let cr = label(CHANGES_REQUESTED_PREFIX);
                want.retain(|l| *l != cr);
                if !unwanted.contains(&cr) {
                    unwanted.push(cr);
                }
            }
        }
        "dismissed" => {
            let still = f
                .latest
                .is_some_and(|(s, _)| !s.eq_ignore_ascii_case("dismissed"));
            if !still {
                unwanted.push(label(LGTM_PREFIX));
                unwanted.push(label(CHANGES_REQUESTED_PREFIX));
            }
        }
        _ => {}
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
        review: &Review,
        data: &mut RepositoryData,
    ) -> anyhow::Result<Done> {
        let mut done = Done::new();
        let user = review.user.as_ref().map_or("", |u| u.login.as_str());
        let state = review.state.as_str();
        let body = review.body.as_deref().unwrap_or_default();
        let approves = body_approves(body) && self.owners.is_approver(user);
        if body_approves(body) && !approves {
            done.insert(
                "approve_ignored".into(),
                json!(format!("{user} is not an approver of this pull request")),
            );
        }
        let current = self.memory.patch_ids.same_code(data);
        let of_current =
            |commit: Option<&str>| commit.is_some_and(|c| current.iter().any(|h| h == c));
        let latest = data
            .pull
            .reviews
            .iter()
            .find(|r| r.author.eq_ignore_ascii_case(user))
            .map(|r| (r.state.as_str(), of_current(r.commit.as_deref())));
        let (want, unwanted) = if user.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            review_labels(&ReviewFacts {
                action,
                state,
                on_head: of_current(review.commit_id.as_deref()),
                latest,
                user,
                author: &data.pull.author,
                approves,
            })
        };
        let desired = Desired {
            want,
            unwanted,
            checks: Vec::new(),
        };
        Settle {
            session: self.session,
            echoes: &self.memory.echoes,
            config: self.config,
            owners: self.owners,
            repo_file: self.repo_file,
        }
        .run(data, desired, &mut done)
        .await?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        action: &'a str,
        state: &'a str,
        latest: Option<(&'a str, bool)>,
    ) -> ReviewFacts<'a> {
        ReviewFacts {
            action,
            state,
            on_head: true,
            latest,
            user: "bob",
            author: "alice",
            approves: false,
        }
    }

    fn labels(f: &ReviewFacts) -> (Vec<String>, Vec<String>) {
        review_labels(f)
    }

    #[test]
    fn an_approval_is_an_lgtm_and_clears_a_change_request() {
        assert_eq!(
            labels(&facts("submitted", "APPROVED", Some(("APPROVED", true)))),
            (
                vec!["lgtm-bob".into()],
                vec!["changes-requested-bob".into()]
            )
        );
        let own = ReviewFacts {
            user: "alice",
            ..facts("submitted", "APPROVED", Some(("APPROVED", true)))
        };
        assert_eq!(
            labels(&own),
            (vec![], vec!["changes-requested-alice".into()])
        );
    }

    #[test]
    fn a_change_request_removes_that_users_lgtm() {
        assert_eq!(
            labels(&facts(
                "submitted",
                "CHANGES_REQUESTED",
                Some(("CHANGES_REQUESTED", true))
            )),
            (
                vec!["changes-requested-bob".into()],
                vec!["lgtm-bob".into()]
            )
        );
    }

    #[test]
    fn a_late_event_follows_the_reviewers_newest_review() {
        // The change request arrives after (or again after) an approval that replaced it.
        assert_eq!(
            labels(&facts(
                "submitted",
                "CHANGES_REQUESTED",
                Some(("APPROVED", true))
            )),
            (
                vec!["lgtm-bob".into()],
                vec!["changes-requested-bob".into()]
            )
        );
        // A review of an older head says nothing about the new code.
        assert_eq!(
            labels(&facts("submitted", "APPROVED", Some(("APPROVED", false)))),
            (vec![], vec![])
        );
    }

    #[test]
    fn a_dismissed_review_drops_its_labels() {
        assert_eq!(
            labels(&facts("dismissed", "DISMISSED", Some(("DISMISSED", true)))),
            (
                vec![],
                vec!["lgtm-bob".into(), "changes-requested-bob".into()]
            )
        );
        assert_eq!(labels(&facts("dismissed", "DISMISSED", None)).1.len(), 2);
    }

    #[test]
    fn approve_in_the_body_approves() {
        let f = ReviewFacts {
            approves: true,
            ..facts("submitted", "COMMENTED", None)
        };
        assert_eq!(
            labels(&f),
            (
                vec!["commented-bob".into(), "approved-bob".into()],
                vec!["changes-requested-bob".into()]
            )
        );
        assert!(body_approves("looks fine\n  /approve  \n"));
        assert!(!body_approves("I would /approve later"));
    }
}
