//! What a review says about its reviewer: the label it leaves (`lgtm-<u>` for an approval,
//! `changes-requested-<u>`, `commented-<u>`), read level-triggered from the snapshot. Pure.

use super::commands::{self, Command};
use super::labels::{APPROVED_PREFIX, CHANGES_REQUESTED_PREFIX, COMMENTED_PREFIX, LGTM_PREFIX};

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

/// Whether a review body holds `/approve`, read with the comment grammar.
pub fn body_approves(body: &str) -> bool {
    body_says(body, Command::Approve { cancel: false })
}

/// Whether a review body holds `/lgtm`, read with the comment grammar.
pub fn body_lgtms(body: &str) -> bool {
    body_says(body, Command::Lgtm { cancel: false })
}

fn body_says(body: &str, command: Command) -> bool {
    commands::parse(body)
        .into_iter()
        .any(|c| c.parsed.as_ref() == Ok(&command))
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
        assert!(body_approves("looks fine\n/approve  \n"));
        assert!(!body_approves("I would /approve later"));
        assert!(!body_approves("```\n/approve\n```"));
        assert!(!body_approves("> /approve"));
        assert!(!body_approves("/approve cancel"));
        assert!(body_lgtms("nice work\n/lgtm"));
        assert!(!body_lgtms("> /lgtm"));
    }
}
