//! The orchestrator: for each delivery, decide from the payload alone whether anything can
//! happen (triage, zero API calls), then hand the delivery to its handler.

use std::sync::Arc;

use serde_json::json;

use crate::apply::Scope;
use crate::config::model::RepoConfig;
use crate::config::{Config, ConfigError, REPO_FILE_NAME, RepoFile, RepositoryEntry};
use crate::event::{Event, Kind};
use crate::github::client::{GitHubError, Transient};
use crate::github::clients::{Clients, Session};
use crate::handlers::check_run::CheckRunHandler;
use crate::handlers::issue_comment::IssueCommentHandler;
use crate::handlers::pull_request::PullRequestHandler;
use crate::handlers::pull_request_review::PullRequestReviewHandler;
use crate::handlers::runner::NoRunner;
use crate::queue::{Claimed, DeliveryQueue, NewDelivery, PayloadMeta, ordering_key};
use crate::rules::coalesce;
use crate::rules::commands::{self, Command};
use crate::rules::merge_readiness::RepoFileReport;
use crate::rules::owners;
use crate::rules::pull_request;
use crate::rules::triage::{BASE_MOVED, Handler, Triage, triage};
use crate::snapshot::RepositoryData;
use crate::step_data;
use crate::steps::{ErrorInfo, PrInfo, StepStatus, WebhookContext};
use crate::store::{Memory, Peek};

/// How many queued deliveries a delivery looks at for one that makes it redundant.
const LOOK_AHEAD: usize = 20;

/// What processing a delivery leaves for the queue beside its record.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Deliveries to queue when this one completes, in the same transaction.
    pub follow_ups: Vec<NewDelivery>,
    /// Set when the delivery failed on something time may cure: it should run again.
    pub retry: Option<Transient>,
}

/// Whether a failure came from GitHub and may pass with time.
fn transient(e: &anyhow::Error) -> Option<Transient> {
    e.chain()
        .find_map(|cause| cause.downcast_ref::<GitHubError>())
        .and_then(GitHubError::transient)
}

/// Processes one delivery against a configuration snapshot.
pub struct GithubWebhook {
    config: Arc<Config>,
    clients: Arc<Clients>,
    memory: Arc<Memory>,
    /// The queue the delivery came from, to see what waits behind it.
    queue: Option<Arc<dyn DeliveryQueue>>,
}

/// Where a dispatched delivery's pull request number comes from.
enum PullNumber {
    Known(u64),
    /// Only a commit is named (`status`, or a `check_run` GitHub did not link): its open pull
    /// requests are looked up.
    OfCommit(String),
}

impl GithubWebhook {
    pub fn new(config: Arc<Config>, clients: Arc<Clients>, memory: Arc<Memory>) -> GithubWebhook {
        GithubWebhook {
            config,
            clients,
            memory,
            queue: None,
        }
    }

    /// Lets re-evaluations be coalesced with the deliveries queued behind them.
    pub fn with_queue(mut self, queue: Arc<dyn DeliveryQueue>) -> GithubWebhook {
        self.queue = Some(queue);
        self
    }

    /// Processes one delivery, recording its steps in `ctx`.
    pub async fn process(&self, delivery: &Claimed, ctx: &mut WebhookContext) -> Outcome {
        let event = match Event::parse(&delivery.event, &delivery.payload) {
            Ok(event) => event,
            Err(e) => {
                ctx.fail(ErrorInfo::new("InvalidPayload", e.to_string()));
                return Outcome::default();
            }
        };
        describe(&event, ctx);
        let mut routing = step_data! {"attempt": delivery.attempt};
        if let Some(previous) = &delivery.last_error {
            routing.insert("previous_error".into(), previous.as_str().into());
        }
        ctx.start_step("webhook_routing", routing);
        match triage(&self.config, &event, &*self.memory) {
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
                if let Some(later) = self.folded_into(delivery, &event, handler).await {
                    ctx.complete_step(
                        "webhook_routing",
                        step_data! {"decision": "coalesce", "handler": handler.name(),
                        "folded_into": later,
                        "reason": format!("folded into delivery {later}, queued behind this \
                                           one, which reconciles the same pull request")},
                    );
                    return Outcome::default();
                }
                ctx.complete_step(
                    "webhook_routing",
                    step_data! {"decision": "dispatch", "handler": handler.name()},
                );
                return self.dispatch(handler, &event, ctx).await;
            }
        }
        Outcome::default()
    }

    /// A delivery queued behind this one whose handling reconciles at least what this one
    /// would (`rules::coalesce`): a burst of pushes, label changes or completed checks then
    /// costs one evaluation, the last. Triage of the later delivery only peeks at the echoes
    /// it will use up.
    async fn folded_into(
        &self,
        delivery: &Claimed,
        event: &Event,
        handler: Handler,
    ) -> Option<String> {
        let queue = self.queue.as_ref()?;
        if !self.config.server.coalesce_deliveries {
            return None;
        }
        let behind = match queue.pending_behind(delivery.seq, LOOK_AHEAD).await {
            Ok(behind) => behind,
            Err(e) => {
                tracing::warn!(delivery = %delivery.delivery_id, "no look-ahead: {e}");
                return None;
            }
        };
        let own = Peek(&self.memory);
        for later in behind {
            let Ok(e) = Event::parse(&later.event, &later.payload) else {
                continue;
            };
            let Triage::Dispatch(then) = triage(&self.config, &e, &own) else {
                continue;
            };
            // A command acts on the pull request as this delivery leaves it; nothing is
            // folded past it.
            if coalesce::carries_intent(&e, then) {
                return None;
            }
            if coalesce::folds_into((event, handler), (&e, then)) {
                return Some(later.delivery_id);
            }
        }
        None
    }

    async fn dispatch(&self, handler: Handler, event: &Event, ctx: &mut WebhookContext) -> Outcome {
        let Some(number) = pull_number(event) else {
            // No handler here needs GitHub without a pull request yet (tag pushes are the
            // runner's), so nothing is read.
            record_unhandled(handler, ctx);
            return Outcome::default();
        };
        let full_name = event.full_name().unwrap_or_default();
        // Triage found it in this same configuration snapshot.
        let Some(entry) = self.config.repository(full_name) else {
            return Outcome::default();
        };
        let session = match self.session(full_name, entry) {
            Ok(s) => s,
            Err(e) => {
                ctx.fail(ErrorInfo::new("GitHubClientError", format!("{e:#}")));
                return Outcome {
                    retry: transient(&e),
                    ..Outcome::default()
                };
            }
        };
        let outcome = self
            .with_snapshot(handler, event, entry, number, &session, ctx)
            .await;
        let spend = &session.spend;
        ctx.token_spend = spend.total();
        (ctx.initial_rate_limit, ctx.final_rate_limit) = spend.rate_limit();
        if spend.total() > 0 {
            ctx.start_step("github_api", Default::default());
            ctx.complete_step("github_api", spend.summary());
        }
        let mut retry = None;
        let follow_ups = match outcome {
            Ok(follow_ups) => follow_ups,
            Err(e) => {
                retry = transient(&e);
                let error = ErrorInfo::new("GitHubError", format!("{e:#}"));
                let unfinished = ctx
                    .steps()
                    .iter()
                    .rev()
                    .find(|(_, s)| s.status == StepStatus::Started)
                    .map(|(name, _)| name.clone());
                match unfinished {
                    Some(step) => ctx.fail_step(&step, error, Default::default()),
                    None => ctx.fail(error),
                }
                Vec::new()
            }
        };
        Outcome { follow_ups, retry }
    }

    fn session(&self, full_name: &str, entry: &RepositoryEntry) -> anyhow::Result<Session> {
        let (owner, name) = full_name
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("repository `{full_name}` is not owner/name"))?;
        let server = &self.config.server;
        let gh = self
            .clients
            .github(&server.github_api_url, &entry.config.github_tokens)?;
        let app = self.clients.app(server.github_app_id)?;
        Ok(Session::new(gh, app, owner, name))
    }

    /// Reads the snapshot, applies the repository's own config and hands both to the handler.
    async fn with_snapshot(
        &self,
        handler: Handler,
        event: &Event,
        entry: &RepositoryEntry,
        number: PullNumber,
        session: &Session,
        ctx: &mut WebhookContext,
    ) -> anyhow::Result<Vec<NewDelivery>> {
        ctx.start_step("repository_data", Default::default());
        let number = match number {
            PullNumber::Known(n) => n,
            PullNumber::OfCommit(sha) => match session.open_pull_at(&sha).await? {
                Some(n) => n,
                None => {
                    ctx.complete_step(
                        "repository_data",
                        step_data! {"skipped": true,
                        "reason": format!("no open pull request has head {sha}")},
                    );
                    return Ok(Vec::new());
                }
            },
        };
        let default_branch = event
            .repository
            .as_ref()
            .and_then(|r| r.default_branch.as_deref())
            .unwrap_or("main");
        let max_owners = entry.config.max_owners_files as usize;
        // A comment's commands, read once for the snapshot and the handler.
        let command_lines = match &event.kind {
            Kind::IssueComment(e) => commands::of_comment(
                &event.action,
                e.comment.body.as_deref().unwrap_or_default(),
                e.body_before(),
            ),
            _ => Vec::new(),
        };
        let starts = match &event.kind {
            Kind::PullRequest(_) => pull_request::STARTS.contains(&event.action.as_str()),
            // These commands write the welcome comment (and maybe its tracking issue) too.
            _ => command_lines.iter().any(|c| {
                matches!(
                    c.parsed,
                    Ok(Command::Reprocess | Command::RegenerateWelcome)
                )
            }),
        };
        let mut data =
            RepositoryData::fetch(session, number, default_branch, max_owners, starts).await?;
        if let Some(login) = &data.viewer {
            self.memory.learn_login(login);
            ctx.api_user = Some(login.clone());
        }
        // A check run or status names a commit; the record names the pull request it found.
        if ctx.pr.is_none() {
            ctx.pr = Some(PrInfo {
                number,
                title: Some(data.pull.title.clone()),
                author: Some(data.pull.author.clone()),
            });
        }
        ctx.complete_step(
            "repository_data",
            step_data! {
                "pull_request": number,
                "head_sha": data.pull.head_sha,
                "state": data.pull.state,
                "changed_files": data.pull.files.len(),
                "owners_files": data.owners.keys().collect::<Vec<_>>(),
                "repo_config_file": data.config_text.is_some(),
                "reads": session.spend.reads(),
            },
        );
        if let Some(sha) = event.sha()
            && sha != data.pull.head_sha
        {
            ctx.start_step("stale_check", Default::default());
            ctx.complete_step(
                "stale_check",
                step_data! {"skipped": true,
                "reason": format!("{sha} is no longer the head of #{number}")},
            );
            return Ok(Vec::new());
        }
        let (config, repo_file) = self.effective_config(entry, &data, ctx);
        if !config.handles_event(&ctx.event_type) {
            ctx.start_step("repository_config_routing", Default::default());
            ctx.complete_step(
                "repository_config_routing",
                step_data! {"skipped": true,
                "reason": "the repository's own file leaves this event out"},
            );
            return Ok(Vec::new());
        }
        let owners = owners::resolve(
            &data.owners,
            &data.pull.files,
            config.owners_approval,
            data.owners_complete,
        );
        if !owners.invalid.is_empty() {
            ctx.start_step("owners", Default::default());
            ctx.complete_step("owners", step_data! {"invalid_files": owners.invalid});
        }
        if handler == Handler::Push {
            record_unhandled(handler, ctx);
            return Ok(Vec::new());
        }
        let action = event.action.as_str();
        let name = handler.name();
        ctx.start_step(name, Default::default());
        let scope = Scope {
            session,
            memory: &self.memory,
            config: &config,
            owners: &owners,
            repo_file: &repo_file,
        };
        let mut follow_ups = Vec::new();
        let done = match (handler, &event.kind) {
            (Handler::PullRequest, Kind::PullRequest(e)) => {
                let (done, moved) = PullRequestHandler { scope }
                    .handle(action, e.before.as_deref(), &mut data)
                    .await?;
                follow_ups = base_moved(&ctx.hook_id, event, &moved);
                done
            }
            (Handler::IssueComment, Kind::IssueComment(e)) => {
                IssueCommentHandler {
                    scope,
                    runner: &NoRunner,
                }
                .handle(&e.comment, &command_lines, &mut data)
                .await?
            }
            (Handler::PullRequestReview, Kind::Review(e)) => {
                PullRequestReviewHandler { scope }
                    .handle(action, &e.review, &mut data)
                    .await?
            }
            // CheckRun and MergeCheck: triage pairs the other handlers with their own kind of
            // event, and the ones not built yet returned above.
            _ => CheckRunHandler { scope }.handle(&mut data).await?,
        };
        ctx.complete_step(name, done);
        Ok(follow_ups)
    }

    /// config.yaml's settings for the repository with its own file on top, and what is wrong
    /// with that file and with the version the pull request would merge. A faulty setting is
    /// skipped and reported; the rest of the file applies.
    fn effective_config(
        &self,
        entry: &RepositoryEntry,
        data: &RepositoryData,
        ctx: &mut WebhookContext,
    ) -> (RepoConfig, RepoFileReport) {
        let mut report = RepoFileReport::default();
        if let Some(text) = &data.proposed_config_text {
            report.proposed = match self.apply_repo_file(entry, text) {
                Ok((_, _, problems)) => problems,
                Err(problems) => problems,
            };
        }
        let Some(text) = &data.config_text else {
            return (entry.config.clone(), report);
        };
        ctx.start_step("repository_config", Default::default());
        let config = match self.apply_repo_file(entry, text) {
            Ok((config, ignored, problems)) => {
                for key in &ignored {
                    tracing::warn!(repository = %data.full_name, "{REPO_FILE_NAME}: ignored {key}");
                }
                for problem in &problems {
                    tracing::warn!(repository = %data.full_name, "{REPO_FILE_NAME}: skipped {problem}");
                }
                ctx.complete_step(
                    "repository_config",
                    step_data! {"ignored_keys": ignored, "skipped": problems},
                );
                report.in_force = problems;
                config
            }
            Err(problems) => {
                ctx.complete_step(
                    "repository_config",
                    step_data! {"error": format!("{REPO_FILE_NAME} is unreadable, config.yaml settings apply: {}", problems.join("; "))},
                );
                report.in_force = problems;
                entry.config.clone()
            }
        };
        (config, report)
    }

    /// `text` as a repository file over `entry`: the settings, the keys it may not set, and its
    /// skipped faults; or, when it cannot be read at all, why.
    fn apply_repo_file(
        &self,
        entry: &RepositoryEntry,
        text: &str,
    ) -> Result<(RepoConfig, Vec<String>, Vec<String>), Vec<String>> {
        let lines = |e: ConfigError| match e.problems() {
            [] => vec![e.to_string()],
            problems => problems.iter().map(ToString::to_string).collect(),
        };
        let file = RepoFile::parse(text).map_err(lines)?;
        let layered = self.config.with_repo_file(entry, &file).map_err(lines)?;
        let ignored = layered
            .ignored
            .iter()
            .map(|k| format!("{}: {}", k.key, k.reason))
            .collect();
        let problems = file.problems.iter().map(ToString::to_string).collect();
        Ok((layered.config, ignored, problems))
    }
}

/// Handlers land with the PR-automation, commands and runner work; until then the delivery is
/// recorded as routed but not handled, with no effect faked.
fn record_unhandled(handler: Handler, ctx: &mut WebhookContext) {
    ctx.start_step("handler", Default::default());
    ctx.complete_step(
        "handler",
        step_data! {
            "handler": handler.name(),
            "handled": false,
            "reason": format!("{} is not available in this version", handler.name()),
        },
    );
}

fn pull_number(event: &Event) -> Option<PullNumber> {
    let known = match &event.kind {
        Kind::IssueComment(e) => Some(e.issue.number),
        Kind::CheckRun(e) => e.check_run.pull_requests.first().map(|p| p.number),
        _ => event.pull_request().map(|(number, ..)| number),
    };
    match known {
        Some(n) => Some(PullNumber::Known(n)),
        None => event.sha().map(|sha| PullNumber::OfCommit(sha.to_string())),
    }
}

/// One follow-up delivery per open pull request whose base the merge in `payload` moved. Its
/// id names the merge's delivery, so the log shows where it came from.
fn base_moved(parent: &str, event: &Event, numbers: &[u64]) -> Vec<NewDelivery> {
    let merged = event.pull_request().map(|(number, ..)| number);
    numbers
        .iter()
        .map(|n| {
            let body = json!({
                "action": BASE_MOVED,
                "number": n,
                "pull_request": {"number": n},
                "merged_pull_request": merged,
                "repository": event.repository,
                "sender": event.sender,
            });
            let bytes = serde_json::to_vec(&body).expect("JSON values serialise");
            let meta: PayloadMeta = serde_json::from_slice(&bytes).unwrap_or_default();
            let delivery_id = format!("{parent}:base-moved:{n}");
            NewDelivery {
                key: ordering_key("pull_request", &delivery_id, &meta),
                delivery_id,
                event: "pull_request".into(),
                hook_id: None,
                repository: event.full_name().map(str::to_string),
                action: Some(BASE_MOVED.into()),
                payload: bytes.into(),
            }
        })
        .collect()
}

/// Fills the delivery's identity from its payload.
fn describe(event: &Event, ctx: &mut WebhookContext) {
    ctx.action = Some(event.action.clone()).filter(|a| !a.is_empty());
    ctx.sender = event.sender.as_ref().map(|u| u.login.clone());
    ctx.repository = event.repository.as_ref().and_then(|r| r.name.clone());
    ctx.repository_full_name = event.full_name().map(str::to_string);
    ctx.pr = event.pull_request().map(|(number, title, author)| PrInfo {
        number,
        title: title.map(str::to_string),
        author: author.map(str::to_string),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn describe_fills_pr_from_issue_comments() {
        let mut ctx = WebhookContext::new("d", "issue_comment");
        let p = json!({"action": "created", "sender": {"login": "alice"},
                       "repository": {"name": "r", "full_name": "o/r"},
                       "issue": {"number": 4, "title": "T", "user": {"login": "bob"},
                                 "pull_request": {}},
                       "comment": {"id": 1, "body": "/lgtm"}});
        let event = Event::parse("issue_comment", &serde_json::to_vec(&p).unwrap()).unwrap();
        describe(&event, &mut ctx);
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
