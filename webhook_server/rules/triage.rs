//! Triage: from the payload and config.yaml alone, whether anything can happen for a delivery
//! and which handler it goes to. Pure and free: no API call.

use super::commands;
use crate::config::Config;
use crate::event::{Event, Kind};

/// Not GitHub's: the server's own follow-up for each open pull request whose base branch a
/// merge moved, queued under that pull request's key so it never interleaves with its events.
pub const BASE_MOVED: &str = "base_moved";

/// The handler a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    PullRequest,
    IssueComment,
    PullRequestReview,
    CheckRun,
    /// Re-evaluates `can-be-merged` (terminal statuses, resolved review threads).
    MergeCheck,
    Push,
}

impl Handler {
    pub fn name(self) -> &'static str {
        match self {
            Handler::PullRequest => "PullRequestHandler",
            Handler::IssueComment => "IssueCommentHandler",
            Handler::PullRequestReview => "PullRequestReviewHandler",
            Handler::CheckRun => "CheckRunHandler",
            Handler::MergeCheck => "MergeCheck",
            Handler::Push => "PushHandler",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triage {
    /// Nothing can happen for this delivery; the reason is recorded.
    Skip(String),
    /// The repository is not in config.yaml.
    NotConfigured(String),
    Dispatch(Handler),
}

const PULL_REQUEST_ACTIONS: &[&str] = &[
    "opened",
    "reopened",
    "ready_for_review",
    "synchronize",
    "edited",
    "closed",
    "labeled",
    "unlabeled",
    BASE_MOVED,
];

/// What the server knows of its own actions, so triage skips their webhooks.
pub trait OwnActions {
    /// A login the server acts as.
    fn is_own_login(&self, login: &str) -> bool;
    /// Whether this label change is the echo of one the server made; each is recognised once.
    fn is_echo(&self, full_name: &str, number: u64, action: &str, label: &str) -> bool;
    /// Whether this completed check run is one the server completed itself (and already
    /// acted on).
    fn is_check_run_echo(&self, full_name: &str, sha: &str, name: &str) -> bool;
    /// Whether the commands of this comment, as `body` reads, were carried out already.
    fn is_handled_comment(&self, full_name: &str, id: u64, body: &str) -> bool;
}

/// Decides from the payload and config.yaml alone. Settings a repository's own file could
/// change are not known yet, so triage only skips what no such setting could make relevant.
pub fn triage(config: &Config, event: &Event, own: &dyn OwnActions) -> Triage {
    let name = event.name.as_str();
    if name == "ping" {
        return Triage::Skip("ping: webhook is reachable".into());
    }
    let Some(full_name) = event.full_name() else {
        return Triage::Skip(format!("`{name}` carries no repository"));
    };
    let Some(entry) = config.repository(full_name) else {
        return Triage::NotConfigured(full_name.to_string());
    };
    if !entry.config.handles_event(name) {
        return Triage::Skip(format!("`{name}` is not in the repository's events"));
    }
    let action = event.action.as_str();
    match &event.kind {
        Kind::PullRequest(e) => {
            if !PULL_REQUEST_ACTIONS.contains(&action) {
                return Triage::Skip(format!("pull_request action `{action}` is not handled"));
            }
            if matches!(action, "labeled" | "unlabeled") {
                let label = e.label.as_ref().map_or("", |l| l.name.as_str());
                if own.is_echo(full_name, e.pull_request.number, action, label)
                    || own.is_own_login(event.sender_login())
                {
                    return Triage::Skip("echo of the server's own label change".into());
                }
            }
            if e.pull_request.draft && action != "ready_for_review" && action != "closed" {
                return Triage::Skip("draft pull request".into());
            }
            Triage::Dispatch(Handler::PullRequest)
        }
        Kind::IssueComment(e) => {
            if action != "created" && action != "edited" {
                return Triage::Skip(format!("issue_comment action `{action}` is not handled"));
            }
            if e.issue.pull_request.is_none() {
                return Triage::Skip("comment on an issue, not a pull request".into());
            }
            let user = e.comment.user.as_ref();
            if user.and_then(|u| u.kind.as_deref()) == Some("Bot") {
                return Triage::Skip("comment by a bot".into());
            }
            if own.is_own_login(user.map_or("", |u| u.login.as_str())) {
                return Triage::Skip("the server's own comment".into());
            }
            let body = e.comment.body.as_deref().unwrap_or("");
            if own.is_handled_comment(full_name, e.comment.id, body) {
                return Triage::Skip("the comment's commands were carried out already".into());
            }
            if commands::of_comment(action, body, e.body_before()).is_empty() {
                return Triage::Skip(if action == "edited" {
                    "the edit added no /command".into()
                } else {
                    "comment has no /command".into()
                });
            }
            Triage::Dispatch(Handler::IssueComment)
        }
        Kind::Review(e) => {
            if !matches!(action, "submitted" | "dismissed" | "edited") {
                return Triage::Skip(format!(
                    "pull_request_review action `{action}` is not handled"
                ));
            }
            if own.is_own_login(e.review.user.as_ref().map_or("", |u| u.login.as_str())) {
                return Triage::Skip("the server's own review".into());
            }
            Triage::Dispatch(Handler::PullRequestReview)
        }
        Kind::ReviewThread(_) => {
            if action != "resolved" && action != "unresolved" {
                return Triage::Skip(format!("review thread action `{action}` is not handled"));
            }
            if !entry
                .config
                .branch_protection
                .required_conversation_resolution
            {
                return Triage::Skip("conversation resolution is not required".into());
            }
            Triage::Dispatch(Handler::MergeCheck)
        }
        Kind::CheckRun(e) => {
            if action != "completed" {
                return Triage::Skip(format!(
                    "check_run action `{action}`: only completed runs matter"
                ));
            }
            let run = &e.check_run;
            if own.is_check_run_echo(full_name, &run.head_sha, &run.name) {
                return Triage::Skip("echo of a check run the server completed".into());
            }
            let conclusion = run.conclusion.as_deref().unwrap_or("");
            if run.name == "can-be-merged" && conclusion != "success" {
                return Triage::Skip(format!("can-be-merged concluded `{conclusion}`"));
            }
            Triage::Dispatch(Handler::CheckRun)
        }
        Kind::Status(e) => {
            if e.state == "pending" {
                return Triage::Skip("status is pending".into());
            }
            Triage::Dispatch(Handler::MergeCheck)
        }
        Kind::Push(e) => {
            if e.deleted {
                return Triage::Skip("ref was deleted".into());
            }
            if e.git_ref.starts_with("refs/tags/") {
                Triage::Dispatch(Handler::Push)
            } else {
                Triage::Skip("branch push".into())
            }
        }
        Kind::Other => Triage::Skip(format!("`{name}` is not handled")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Triage of `payload` as delivery `event`.
    fn triage(config: &Config, event: &str, payload: &Value, own: &dyn OwnActions) -> Triage {
        let json = serde_json::to_vec(payload).unwrap();
        super::triage(config, &Event::parse(event, &json).unwrap(), own)
    }

    fn config() -> Config {
        Config::parse(
            "repositories:\n  r:\n    name: o/r\n  quiet:\n    name: o/quiet\n    events: [push]\n",
        )
        .unwrap()
    }

    fn repo(extra: Value) -> Value {
        let mut v = json!({"repository": {"name": "r", "full_name": "o/r"}});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    }

    /// A server that has done nothing yet.
    struct Fresh;

    impl OwnActions for Fresh {
        fn is_own_login(&self, _: &str) -> bool {
            false
        }
        fn is_echo(&self, _: &str, _: u64, _: &str, _: &str) -> bool {
            false
        }
        fn is_check_run_echo(&self, _: &str, _: &str, _: &str) -> bool {
            false
        }
        fn is_handled_comment(&self, _: &str, _: u64, _: &str) -> bool {
            false
        }
    }

    fn skipped(t: Triage) -> bool {
        matches!(t, Triage::Skip(_))
    }

    #[test]
    fn ping_and_repositoryless_events_are_skipped() {
        let c = config();
        assert!(skipped(triage(&c, "ping", &json!({"zen": "x"}), &Fresh)));
        assert!(skipped(triage(&c, "installation", &json!({}), &Fresh)));
    }

    #[test]
    fn unconfigured_repositories_are_rejected() {
        let c = config();
        let p = json!({"repository": {"name": "x", "full_name": "o/x"}, "action": "opened",
                       "pull_request": {"number": 1}});
        assert_eq!(
            triage(&c, "pull_request", &p, &Fresh),
            Triage::NotConfigured("o/x".into())
        );
    }

    #[test]
    fn events_outside_the_repository_list_are_skipped() {
        let c = config();
        let p = json!({"repository": {"name": "quiet", "full_name": "o/quiet"}, "action": "opened",
                       "pull_request": {"number": 1}});
        assert!(skipped(triage(&c, "pull_request", &p, &Fresh)));
    }

    #[test]
    fn pull_request_actions() {
        let c = config();
        let pr = |action: &str, draft: bool| {
            repo(json!({"action": action, "pull_request": {"number": 1, "draft": draft}}))
        };
        assert_eq!(
            triage(&c, "pull_request", &pr("opened", false), &Fresh),
            Triage::Dispatch(Handler::PullRequest)
        );
        assert!(skipped(triage(
            &c,
            "pull_request",
            &pr("assigned", false),
            &Fresh
        )));
        assert!(skipped(triage(
            &c,
            "pull_request",
            &pr("opened", true),
            &Fresh
        )));
        assert_eq!(
            triage(&c, "pull_request", &pr("ready_for_review", true), &Fresh),
            Triage::Dispatch(Handler::PullRequest)
        );
    }

    #[test]
    fn comments_need_a_known_command_on_a_pull_request() {
        let c = config();
        let comment = |body: &str, on_pr: bool, user_type: &str| {
            let mut issue = json!({"number": 1});
            if on_pr {
                issue["pull_request"] = json!({"url": "u"});
            }
            repo(json!({"action": "created", "issue": issue,
                        "comment": {"id": 1, "body": body, "user": {"login": "u", "type": user_type}}}))
        };
        assert_eq!(
            triage(&c, "issue_comment", &comment("/lgtm", true, "User"), &Fresh),
            Triage::Dispatch(Handler::IssueComment)
        );
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("nice", true, "User"),
            &Fresh
        )));
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("/lgtm", false, "User"),
            &Fresh
        )));
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("/lgtm", true, "Bot"),
            &Fresh
        )));
    }

    #[test]
    fn check_runs_and_statuses() {
        let c = config();
        let run = |action: &str, name: &str, conclusion: &str| {
            repo(
                json!({"action": action, "check_run": {"name": name, "conclusion": conclusion,
                        "head_sha": "abc", "pull_requests": []}}),
            )
        };
        assert!(skipped(triage(
            &c,
            "check_run",
            &run("created", "tox", ""),
            &Fresh
        )));
        assert!(skipped(triage(
            &c,
            "check_run",
            &run("completed", "can-be-merged", "failure"),
            &Fresh
        )));
        assert_eq!(
            triage(&c, "check_run", &run("completed", "tox", "success"), &Fresh),
            Triage::Dispatch(Handler::CheckRun)
        );
        assert!(skipped(triage(
            &c,
            "status",
            &repo(json!({"state": "pending", "sha": "a"})),
            &Fresh
        )));
        assert_eq!(
            triage(
                &c,
                "status",
                &repo(json!({"state": "success", "sha": "a"})),
                &Fresh
            ),
            Triage::Dispatch(Handler::MergeCheck)
        );
    }

    #[test]
    fn pushes_only_matter_for_tags() {
        let c = config();
        assert!(skipped(triage(
            &c,
            "push",
            &repo(json!({"ref": "refs/heads/main"})),
            &Fresh
        )));
        assert!(skipped(triage(
            &c,
            "push",
            &repo(json!({"ref": "refs/tags/v1", "deleted": true})),
            &Fresh
        )));
        assert_eq!(
            triage(
                &c,
                "push",
                &repo(json!({"ref": "refs/tags/v1", "deleted": false})),
                &Fresh
            ),
            Triage::Dispatch(Handler::Push)
        );
    }
}
