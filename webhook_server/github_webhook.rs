//! The orchestrator: for each delivery, decide from the payload alone whether anything can
//! happen (triage, zero API calls), then hand the delivery to its handler.

use std::sync::Arc;

use serde_json::Value;

use crate::commands;
use crate::config::Config;
use crate::queue::Claimed;
use crate::step_data;
use crate::steps::{ErrorInfo, PrInfo, WebhookContext};

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
];

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Decides from the payload and config.yaml alone. Settings a repository's own file could
/// change are not known yet, so triage only skips what no such setting could make relevant.
pub fn triage(config: &Config, event: &str, payload: &Value) -> Triage {
    if event == "ping" {
        return Triage::Skip("ping: webhook is reachable".into());
    }
    let Some(full_name) = str_at(payload, &["repository", "full_name"]) else {
        return Triage::Skip(format!("`{event}` carries no repository"));
    };
    let Some(entry) = config.repository(full_name) else {
        return Triage::NotConfigured(full_name.to_string());
    };
    if !entry.config.handles_event(event) {
        return Triage::Skip(format!("`{event}` is not in the repository's events"));
    }
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
    match event {
        "pull_request" => {
            if !PULL_REQUEST_ACTIONS.contains(&action) {
                return Triage::Skip(format!("pull_request action `{action}` is not handled"));
            }
            let draft = payload
                .pointer("/pull_request/draft")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if draft && action != "ready_for_review" && action != "closed" {
                return Triage::Skip("draft pull request".into());
            }
            Triage::Dispatch(Handler::PullRequest)
        }
        "issue_comment" => {
            if action != "created" && action != "edited" {
                return Triage::Skip(format!("issue_comment action `{action}` is not handled"));
            }
            if payload.pointer("/issue/pull_request").is_none() {
                return Triage::Skip("comment on an issue, not a pull request".into());
            }
            if payload
                .pointer("/comment/user/type")
                .and_then(Value::as_str)
                == Some("Bot")
            {
                return Triage::Skip("comment by a bot".into());
            }
            let body = str_at(payload, &["comment", "body"]).unwrap_or("");
            if !commands::has_known_command(body) {
                return Triage::Skip("comment has no known /command".into());
            }
            Triage::Dispatch(Handler::IssueComment)
        }
        "pull_request_review" => match action {
            "submitted" | "dismissed" | "edited" => Triage::Dispatch(Handler::PullRequestReview),
            _ => Triage::Skip(format!(
                "pull_request_review action `{action}` is not handled"
            )),
        },
        "pull_request_review_thread" => {
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
        "check_run" => {
            if action != "completed" {
                return Triage::Skip(format!(
                    "check_run action `{action}`: only completed runs matter"
                ));
            }
            let name = str_at(payload, &["check_run", "name"]).unwrap_or("");
            let conclusion = str_at(payload, &["check_run", "conclusion"]).unwrap_or("");
            if name == "can-be-merged" && conclusion != "success" {
                return Triage::Skip(format!("can-be-merged concluded `{conclusion}`"));
            }
            Triage::Dispatch(Handler::CheckRun)
        }
        "status" => {
            let state = str_at(payload, &["state"]).unwrap_or("");
            if state == "pending" {
                return Triage::Skip("status is pending".into());
            }
            Triage::Dispatch(Handler::MergeCheck)
        }
        "push" => {
            if payload.get("deleted").and_then(Value::as_bool) == Some(true) {
                return Triage::Skip("ref was deleted".into());
            }
            let git_ref = str_at(payload, &["ref"]).unwrap_or("");
            if git_ref.starts_with("refs/tags/") {
                Triage::Dispatch(Handler::Push)
            } else {
                Triage::Skip("branch push".into())
            }
        }
        _ => Triage::Skip(format!("`{event}` is not handled")),
    }
}

/// Processes one delivery against a configuration snapshot.
pub struct GithubWebhook {
    config: Arc<Config>,
}

impl GithubWebhook {
    pub fn new(config: Arc<Config>) -> GithubWebhook {
        GithubWebhook { config }
    }

    pub async fn process(&self, delivery: &Claimed, ctx: &mut WebhookContext) {
        let payload: Value = match serde_json::from_slice(&delivery.payload) {
            Ok(v) => v,
            Err(e) => {
                ctx.fail(ErrorInfo::new("InvalidPayload", e.to_string()));
                return;
            }
        };
        describe(&payload, ctx);
        ctx.start_step("webhook_routing", step_data! {"attempt": delivery.attempt});
        match triage(&self.config, &delivery.event, &payload) {
            Triage::Skip(reason) => {
                ctx.complete_step(
                    "webhook_routing",
                    step_data! {"decision": "skip", "reason": reason},
                );
            }
            Triage::NotConfigured(full_name) => {
                let error = ErrorInfo::new(
                    "RepositoryNotFoundInConfigError",
                    format!("Repository {full_name} not found in configuration"),
                );
                ctx.fail_step("webhook_routing", error, step_data! {"decision": "reject"});
            }
            Triage::Dispatch(handler) => {
                // Handlers land with the PR-automation, commands and runner work; until then
                // the delivery is recorded as routed but not handled, with no effect faked.
                ctx.complete_step(
                    "webhook_routing",
                    step_data! {
                        "decision": "dispatch",
                        "handler": handler.name(),
                        "handled": false,
                        "reason": format!("{} is not available in this version", handler.name()),
                    },
                );
            }
        }
    }
}

/// Fills the delivery's identity from its payload.
fn describe(payload: &Value, ctx: &mut WebhookContext) {
    let text = |path: &[&str]| str_at(payload, path).map(str::to_string);
    ctx.action = text(&["action"]);
    ctx.sender = text(&["sender", "login"]);
    ctx.repository = text(&["repository", "name"]);
    ctx.repository_full_name = text(&["repository", "full_name"]);
    let pr = payload.get("pull_request").or_else(|| {
        payload
            .get("issue")
            .filter(|i| i.get("pull_request").is_some())
    });
    ctx.pr = pr.and_then(|pr| {
        Some(PrInfo {
            number: pr.get("number")?.as_u64()?,
            title: str_at(pr, &["title"]).map(str::to_string),
            author: str_at(pr, &["user", "login"]).map(str::to_string),
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    fn skipped(t: Triage) -> bool {
        matches!(t, Triage::Skip(_))
    }

    #[test]
    fn ping_and_repositoryless_events_are_skipped() {
        let c = config();
        assert!(skipped(triage(&c, "ping", &json!({"zen": "x"}))));
        assert!(skipped(triage(&c, "installation", &json!({}))));
    }

    #[test]
    fn unconfigured_repositories_are_rejected() {
        let c = config();
        let p = json!({"repository": {"name": "x", "full_name": "o/x"}});
        assert_eq!(
            triage(&c, "pull_request", &p),
            Triage::NotConfigured("o/x".into())
        );
    }

    #[test]
    fn events_outside_the_repository_list_are_skipped() {
        let c = config();
        let p = json!({"repository": {"name": "quiet", "full_name": "o/quiet"}, "action": "opened",
                       "pull_request": {"number": 1}});
        assert!(skipped(triage(&c, "pull_request", &p)));
    }

    #[test]
    fn pull_request_actions() {
        let c = config();
        let pr = |action: &str, draft: bool| {
            repo(json!({"action": action, "pull_request": {"number": 1, "draft": draft}}))
        };
        assert_eq!(
            triage(&c, "pull_request", &pr("opened", false)),
            Triage::Dispatch(Handler::PullRequest)
        );
        assert!(skipped(triage(&c, "pull_request", &pr("assigned", false))));
        assert!(skipped(triage(&c, "pull_request", &pr("opened", true))));
        assert_eq!(
            triage(&c, "pull_request", &pr("ready_for_review", true)),
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
                        "comment": {"body": body, "user": {"login": "u", "type": user_type}}}))
        };
        assert_eq!(
            triage(&c, "issue_comment", &comment("/lgtm", true, "User")),
            Triage::Dispatch(Handler::IssueComment)
        );
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("nice", true, "User")
        )));
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("/lgtm", false, "User")
        )));
        assert!(skipped(triage(
            &c,
            "issue_comment",
            &comment("/lgtm", true, "Bot")
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
        assert!(skipped(triage(&c, "check_run", &run("created", "tox", ""))));
        assert!(skipped(triage(
            &c,
            "check_run",
            &run("completed", "can-be-merged", "failure")
        )));
        assert_eq!(
            triage(&c, "check_run", &run("completed", "tox", "success")),
            Triage::Dispatch(Handler::CheckRun)
        );
        assert!(skipped(triage(
            &c,
            "status",
            &repo(json!({"state": "pending", "sha": "a"}))
        )));
        assert_eq!(
            triage(&c, "status", &repo(json!({"state": "success", "sha": "a"}))),
            Triage::Dispatch(Handler::MergeCheck)
        );
    }

    #[test]
    fn pushes_only_matter_for_tags() {
        let c = config();
        assert!(skipped(triage(
            &c,
            "push",
            &repo(json!({"ref": "refs/heads/main"}))
        )));
        assert!(skipped(triage(
            &c,
            "push",
            &repo(json!({"ref": "refs/tags/v1", "deleted": true}))
        )));
        assert_eq!(
            triage(
                &c,
                "push",
                &repo(json!({"ref": "refs/tags/v1", "deleted": false}))
            ),
            Triage::Dispatch(Handler::Push)
        );
    }

    #[test]
    fn describe_fills_pr_from_issue_comments() {
        let mut ctx = WebhookContext::new("d", "issue_comment");
        let p = repo(json!({"action": "created", "sender": {"login": "alice"},
                            "issue": {"number": 4, "title": "T", "user": {"login": "bob"},
                                      "pull_request": {}}}));
        describe(&p, &mut ctx);
        assert_eq!(ctx.sender.as_deref(), Some("alice"));
        assert_eq!(ctx.repository_full_name.as_deref(), Some("o/r"));
        assert_eq!(
            ctx.pr,
            Some(PrInfo {
                number: 4,
                title: Some("T".into()),
                author: Some("bob".into())
            })
        );
    }
}
