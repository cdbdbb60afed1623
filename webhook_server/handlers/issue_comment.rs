//! IssueCommentHandler: the `/commands` of a comment on a pull request.
//!
//! The rules decide everything from the snapshot (`rules::command_plan`): who may run what,
//! and what each allowed command changes. This handler only reads what the snapshot cannot
//! hold (whether a cherry-pick branch exists) and applies the plan through the same
//! desired-state diff as every other event. Commands are intent, not state, so once they are
//! carried out the comment is remembered (`store::handled`) and triage turns its redelivery
//! away. A run that fails half-way is retried whole: labels and check runs are compared, the
//! reply is found by its marker, and GitHub keeps one reaction per user and kind.

use futures_util::future::try_join_all;
use serde_json::json;

use super::pull_request::PullRequestHandler;
use super::runner::{Runner, Submitted};
use crate::apply::{Desired, Scope, Settle, review_requests};
use crate::event::Comment;
use crate::rules::command_plan::{self, Plan};
use crate::rules::commands::CommandLine;
use crate::rules::permissions::People;
use crate::rules::pull_request::{own_tracking_issue, welcome_text};
use crate::rules::welcome;
use crate::snapshot::{self, RepositoryData};
use crate::steps::Done;

pub struct IssueCommentHandler<'a> {
    pub scope: Scope<'a>,
    /// Where commands that run code go.
    pub runner: &'a dyn Runner,
}

impl IssueCommentHandler<'_> {
    /// Carries out `lines`, the commands `comment` asks for (all of a new comment's, those an
    /// edit added).
    pub async fn handle(
        &self,
        comment: &Comment,
        lines: &[CommandLine],
        data: &mut RepositoryData,
    ) -> anyhow::Result<Done> {
        let mut done = Done::new();
        let user = comment.user.as_ref().map_or("", |u| u.login.as_str());
        done.insert(
            "commands".into(),
            json!(lines.iter().map(|l| &l.text).collect::<Vec<_>>()),
        );
        let people = People::of(data, self.scope.owners);
        let mut plan = command_plan::plan(self.scope.config, data, &people, user, lines);
        if plan.ignored {
            done.insert(
                "ignored".into(),
                json!("commands are off on draft pull requests"),
            );
            return Ok(done);
        }
        self.cherry_pick_labels(data, user, &mut plan).await?;
        if plan.reprocess {
            let (reprocessed, _) = PullRequestHandler { scope: self.scope }
                .handle("reopened", None, data)
                .await?;
            done.insert("reprocessed".into(), json!(reprocessed));
        }
        if plan.regenerate_welcome {
            self.regenerate_welcome(data, &mut done).await?;
        }
        if let Some(title) = &plan.title
            && *title != data.pull.title
        {
            self.scope
                .session
                .set_title(data.pull.number, title)
                .await?;
            done.insert("title".into(), json!(title));
            data.pull.title = title.clone();
        }
        self.request_reviews(data, &plan, &mut done).await?;
        let desired = Desired {
            want: std::mem::take(&mut plan.want),
            unwanted: std::mem::take(&mut plan.unwanted),
            checks: std::mem::take(&mut plan.checks),
        };
        Settle { scope: self.scope }
            .run(data, desired, &mut done)
            .await?;
        // After every write a retry would repeat, so a failure above hands nothing over twice.
        hand_over_jobs(self.runner, data, &mut plan, &mut done);
        self.reply(data, comment.id, &plan, &mut done).await?;
        // Last: the reaction says the comment was handled, after everything it asked.
        let reaction = if plan.all_done { "+1" } else { "confused" };
        self.scope.session.react(comment.id, reaction).await?;
        done.insert("reaction".into(), json!(reaction));
        let body = comment.body.as_deref().unwrap_or_default();
        if let Err(e) = self
            .scope
            .memory
            .handled
            .record(&data.full_name, comment.id, body)
        {
            tracing::warn!(comment = comment.id, "a redelivery would act again: {e:#}");
        }
        Ok(done)
    }

    /// `/cherry-pick` on an open pull request: a label per branch that exists, for the
    /// cherry-pick once it is merged.
    async fn cherry_pick_labels(
        &self,
        data: &RepositoryData,
        user: &str,
        plan: &mut Plan,
    ) -> anyhow::Result<()> {
        if plan.cherry_picks.is_empty() {
            return Ok(());
        }
        let session = self.scope.session;
        let exists =
            try_join_all(plan.cherry_picks.iter().map(|b| session.branch_exists(b))).await?;
        let branches: Vec<(String, bool)> = plan.cherry_picks.iter().cloned().zip(exists).collect();
        command_plan::cherry_pick_labels(plan, &data.pull, user, &branches);
        Ok(())
    }

    /// `/assign-reviewers` and `/assign-reviewer`: asks whoever is not asked yet.
    async fn request_reviews(
        &self,
        data: &mut RepositoryData,
        plan: &Plan,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        let mut wanted = plan.review_requests.clone();
        if plan.owners_reviewers {
            wanted.extend(self.scope.owners.review_requests(&data.pull.author));
        }
        let pull = &data.pull;
        wanted.retain(|r| {
            !pull
                .requested_reviewers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(r))
                && !r.eq_ignore_ascii_case(&pull.author)
        });
        let mut seen = std::collections::HashSet::new();
        wanted.retain(|r| seen.insert(r.to_ascii_lowercase()));
        if wanted.is_empty() {
            return Ok(());
        }
        let asked = review_requests::request(
            self.scope.session,
            &self.scope.memory.refusals,
            data,
            wanted,
        )
        .await?;
        done.insert("reviewers_requested".into(), json!(asked));
        data.pull.requested_reviewers.extend(asked);
        Ok(())
    }

    /// One reply for the whole comment, unless an earlier run posted it.
    async fn reply(
        &self,
        data: &mut RepositoryData,
        comment: u64,
        plan: &Plan,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        if plan.replies.is_empty()
            || data
                .pull
                .our_comments
                .iter()
                .any(|c| command_plan::is_reply_to(&c.body, comment))
        {
            return Ok(());
        }
        let body = command_plan::reply_body(comment, &plan.replies);
        let id = self
            .scope
            .session
            .create_comment(data.pull.number, &body)
            .await?;
        done.insert("reply".into(), json!(id));
        data.pull.our_comments.push(snapshot::Comment { id, body });
        Ok(())
    }

    /// Writes the welcome comment again from the current config and OWNERS: edits the one
    /// there is, keeping the tracking issue it names, or posts one.
    async fn regenerate_welcome(
        &self,
        data: &mut RepositoryData,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        let existing = welcome::find(&data.pull.our_comments).map(|c| (c.id, c.body.clone()));
        // Named by the comment, or found by its own marker when the comment is gone.
        let tracking_issue = existing
            .as_ref()
            .and_then(|(_, body)| welcome::tracking_issue(body))
            .or_else(|| own_tracking_issue(data));
        let text = welcome_text(self.scope.config, self.scope.owners, data, tracking_issue);
        let session = self.scope.session;
        match existing {
            Some((_, body)) if body == text => {}
            Some((id, _)) => {
                session.update_comment(id, &text).await?;
                if let Some(c) = data.pull.our_comments.iter_mut().find(|c| c.id == id) {
                    c.body = text;
                }
                done.insert("welcome_comment".into(), json!(id));
            }
            None => {
                let id = session.create_comment(data.pull.number, &text).await?;
                data.pull
                    .our_comments
                    .push(snapshot::Comment { id, body: text });
                done.insert("welcome_comment".into(), json!(id));
            }
        }
        Ok(())
    }
}

/// Commands that run code go to the runner; the reply says what became of each.
fn hand_over_jobs(runner: &dyn Runner, data: &RepositoryData, plan: &mut Plan, done: &mut Done) {
    let mut handed = Vec::new();
    for job in std::mem::take(&mut plan.jobs) {
        let name = command_plan::command_name(&job);
        match runner.submit(&data.full_name, data.pull.number, &job) {
            Submitted::Accepted => {
                handed.push(name);
                plan.replies
                    .push(format!("`/{name}`: handed to the runner."));
            }
            Submitted::Unavailable => {
                plan.replies.push(format!(
                    "`/{name}` is allowed, but the runner that runs code is not available on this \
                     server yet: nothing was done."
                ));
                plan.all_done = false;
            }
        }
    }
    if !handed.is_empty() {
        done.insert("jobs".into(), json!(handed));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::rules::commands::{self, Command};
    use crate::snapshot::PullRequest;

    /// Takes every job and remembers it.
    #[derive(Default)]
    struct Taking(Mutex<Vec<(String, u64, Command)>>);

    impl Runner for Taking {
        fn submit(&self, repository: &str, number: u64, job: &Command) -> Submitted {
            let mut jobs = self.0.lock().unwrap();
            jobs.push((repository.to_string(), number, job.clone()));
            Submitted::Accepted
        }
    }

    fn data() -> RepositoryData {
        RepositoryData {
            full_name: "o/r".into(),
            pull: PullRequest {
                number: 7,
                ..PullRequest::default()
            },
            ..RepositoryData::default()
        }
    }

    fn plan_with(body: &str) -> Plan {
        Plan {
            jobs: vec![commands::parse(body).remove(0).parsed.unwrap()],
            all_done: true,
            ..Plan::default()
        }
    }

    #[test]
    fn jobs_go_to_the_runner_and_the_reply_says_what_became_of_them() {
        let taking = Taking::default();
        let mut plan = plan_with("/retest tox");
        let mut done = Done::new();
        hand_over_jobs(&taking, &data(), &mut plan, &mut done);
        assert_eq!(plan.replies, ["`/retest`: handed to the runner."]);
        assert!(plan.all_done && plan.jobs.is_empty());
        assert_eq!(done["jobs"], json!(["retest"]));
        let taken = taking.0.lock().unwrap();
        assert_eq!((taken[0].0.as_str(), taken[0].1), ("o/r", 7));

        let mut plan = plan_with("/rebase");
        hand_over_jobs(
            &super::super::runner::NoRunner,
            &data(),
            &mut plan,
            &mut Done::new(),
        );
        assert!(!plan.all_done);
        assert!(
            plan.replies[0].ends_with("is not available on this server yet: nothing was done.")
        );
    }
}
