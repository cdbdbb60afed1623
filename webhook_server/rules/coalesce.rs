//! Coalescing: which queued delivery makes an earlier one of the same pull request redundant.
//!
//! Handling is level-triggered: a handler reads the pull request as it is now, not as the
//! payload describes it. So when a later delivery will reconcile at least everything an
//! earlier one would, the earlier one is skipped and a burst costs one evaluation, the last.
//! Deliveries that carry intent (a comment's commands, a review body's `/approve`) or that
//! do something once (opening, closing, the welcome) are never skipped.

use super::commands;
use super::triage::{BASE_MOVED, Handler};
use crate::event::{Event, Kind};

/// Pull request actions whose handling reconciles everything about the pull request: labels,
/// the check runs of its head, merge readiness.
const RECONCILE_ALL: &[&str] = &["opened", "reopened", "ready_for_review", "synchronize"];

/// Whether a delivery carries intent: a comment's commands, or a command in a review's body.
/// Such a delivery is never folded, and nothing is folded past it.
pub fn carries_intent(event: &Event, handler: Handler) -> bool {
    match (&event.kind, handler) {
        (_, Handler::IssueComment) => true,
        (Kind::Review(r), _) => {
            !commands::parse(r.review.body.as_deref().unwrap_or_default()).is_empty()
        }
        _ => false,
    }
}

/// Whether handling `later` (queued behind `earlier` under the same key, each routed to its
/// handler by triage) leaves the pull request as handling both in turn would.
pub fn folds_into(earlier: (&Event, Handler), later: (&Event, Handler)) -> bool {
    let ((first, first_handler), (then, then_handler)) = (earlier, later);
    let then_action = then.action.as_str();
    match first_handler {
        // A re-evaluation of merge readiness: anything that settles the pull request at the
        // same head (or moves the head) does it again.
        Handler::CheckRun | Handler::MergeCheck => match then_handler {
            Handler::PullRequest => then_action != "closed",
            Handler::PullRequestReview => true,
            Handler::CheckRun | Handler::MergeCheck => then.sha() == first.sha(),
            Handler::IssueComment | Handler::Push => false,
        },
        Handler::PullRequest if then_handler == Handler::PullRequest => {
            match first.action.as_str() {
                "labeled" | "unlabeled" => {
                    RECONCILE_ALL.contains(&then_action)
                        || matches!(then_action, "labeled" | "unlabeled")
                }
                "edited" => RECONCILE_ALL.contains(&then_action) || then_action == "edited",
                // A push's reviews and patch id are judged against the newest head; the later
                // push compares with a head whose patch id was never taken, so it counts as
                // new code: never looser than handling both.
                "synchronize" => then_action == "synchronize",
                BASE_MOVED => matches!(then_action, BASE_MOVED | "synchronize"),
                _ => false,
            }
        }
        // A review leaves only its author's label, so only a later review by the same author,
        // in the same state, repeats it; a body with a command is intent and always runs.
        Handler::PullRequestReview if then_handler == Handler::PullRequestReview => {
            let (Kind::Review(a), Kind::Review(b)) = (&first.kind, &then.kind) else {
                return false;
            };
            let login = |r: &crate::event::Review| r.user.as_ref().map(|u| u.login.to_lowercase());
            first.action == "submitted"
                && then_action == "submitted"
                && !carries_intent(first, first_handler)
                && login(&a.review).is_some()
                && login(&a.review) == login(&b.review)
                && a.review.state.eq_ignore_ascii_case(&b.review.state)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pull(action: &str) -> (Event, Handler) {
        let payload = json!({
            "action": action, "number": 1,
            "pull_request": {"number": 1, "title": "t", "state": "open", "draft": false,
                             "user": {"login": "alice"}, "head": {"sha": "h", "ref": "f"},
                             "base": {"ref": "main"}},
            "repository": {"full_name": "o/r"},
        });
        (event("pull_request", payload), Handler::PullRequest)
    }

    fn review(user: &str, state: &str, body: &str) -> (Event, Handler) {
        let payload = json!({
            "action": "submitted",
            "review": {"state": state, "body": body, "user": {"login": user}},
            "pull_request": {"number": 1, "title": "t", "state": "open", "draft": false,
                             "user": {"login": "alice"}, "head": {"sha": "h", "ref": "f"},
                             "base": {"ref": "main"}},
            "repository": {"full_name": "o/r"},
        });
        (
            event("pull_request_review", payload),
            Handler::PullRequestReview,
        )
    }

    fn check_run(sha: &str) -> (Event, Handler) {
        let payload = json!({
            "action": "completed",
            "check_run": {"name": "ci", "head_sha": sha, "status": "completed",
                          "conclusion": "success", "pull_requests": [{"number": 1}]},
            "repository": {"full_name": "o/r"},
        });
        (event("check_run", payload), Handler::CheckRun)
    }

    fn comment() -> (Event, Handler) {
        let payload = json!({
            "action": "created",
            "issue": {"number": 1, "pull_request": {}},
            "comment": {"id": 1, "body": "/lgtm", "user": {"login": "bob"}},
            "repository": {"full_name": "o/r"},
        });
        (event("issue_comment", payload), Handler::IssueComment)
    }

    fn event(name: &str, payload: serde_json::Value) -> Event {
        Event::parse(name, payload.to_string().as_bytes()).expect("a valid payload")
    }

    fn folds(earlier: &(Event, Handler), later: &(Event, Handler)) -> bool {
        folds_into((&earlier.0, earlier.1), (&later.0, later.1))
    }

    #[test]
    fn reconciliation_folds_into_a_later_reconciliation_that_covers_it() {
        let cases = [
            (pull("synchronize"), pull("synchronize"), true),
            (pull("labeled"), pull("unlabeled"), true),
            (pull("labeled"), pull("synchronize"), true),
            (pull("unlabeled"), pull("reopened"), true),
            (pull("edited"), pull("edited"), true),
            (pull("edited"), pull("synchronize"), true),
            (pull(BASE_MOVED), pull(BASE_MOVED), true),
            (pull(BASE_MOVED), pull("synchronize"), true),
            (check_run("h"), check_run("h"), true),
            (check_run("h"), pull("labeled"), true),
            (check_run("h"), review("bob", "approved", ""), true),
            (
                review("bob", "approved", "fine"),
                review("BOB", "APPROVED", ""),
                true,
            ),
            // A later event that does less, or something else.
            (pull("synchronize"), pull("labeled"), false),
            (pull("synchronize"), pull("edited"), false),
            (pull("labeled"), pull("edited"), false),
            (pull("edited"), pull("labeled"), false),
            (pull("labeled"), review("bob", "approved", ""), false),
            (check_run("h"), check_run("other"), false),
            (check_run("h"), pull("closed"), false),
            (
                review("bob", "approved", ""),
                review("carol", "approved", ""),
                false,
            ),
            (
                review("bob", "approved", ""),
                review("bob", "commented", ""),
                false,
            ),
            (pull("synchronize"), check_run("h"), false),
        ];
        for (i, (earlier, later, expected)) in cases.iter().enumerate() {
            assert_eq!(
                folds(earlier, later),
                *expected,
                "case {i}: {} {} → {} {}",
                earlier.0.name,
                earlier.0.action,
                later.0.name,
                later.0.action
            );
        }
    }

    #[test]
    fn intent_and_one_time_work_never_fold() {
        let everything = [
            pull("opened"),
            pull("reopened"),
            pull("ready_for_review"),
            pull("synchronize"),
            pull("labeled"),
            pull("closed"),
            pull(BASE_MOVED),
            review("bob", "approved", ""),
            check_run("h"),
            comment(),
        ];
        let never = [
            comment(),
            pull("opened"),
            pull("reopened"),
            pull("ready_for_review"),
            pull("closed"),
            review("bob", "approved", "/approve"),
            review("bob", "approved", "looks good\n  /lgtm"),
        ];
        for earlier in &never {
            for later in &everything {
                assert!(
                    !folds(earlier, later),
                    "{} {} folded into {} {}",
                    earlier.0.name,
                    earlier.0.action,
                    later.0.name,
                    later.0.action
                );
            }
        }
    }
}
