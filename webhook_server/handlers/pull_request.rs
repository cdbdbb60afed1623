//! PullRequestHandler: what a pull request's own events change. On every event that can change
//! them it reconciles the labels read from the pull request (`wip` from the title,
//! `branch-<base>`, the size bucket, `verified`, `has-conflicts`, `needs-rebase`), the author as
//! assignee, review requests from OWNERS, the welcome comment and tracking issue, the check runs,
//! native auto-merge, and finally whether it can be merged. The rules (`rules::pull_request`)
//! plan each part from the snapshot; the apply step writes only what differs from it, so a
//! replay writes nothing. What stays here is what must ask GitHub first: the compare with the
//! base, and mergeability after a base moved.

use serde_json::{Value, json};

use crate::apply::extras::ExtrasWriter;
use crate::apply::{Desired, Scope, Settle};
use crate::github::client::GitHubError;
use crate::rules::check_runs::{Output, RunState};
use crate::rules::labels::{NEEDS_REBASE, REVIEW_PREFIXES, VERIFIED};
use crate::rules::pull_request::{
    self, auto_verified, desired_labels, needs_manual_verification, own_checks, verified_state,
};
use crate::rules::triage::BASE_MOVED;
use crate::rules::welcome;
use crate::snapshot::RepositoryData;
use crate::steps::Done;
use crate::store::patch_ids;

/// The actions whose payload can change the title, the base or the diff.
const RECONCILED: &[&str] = &[
    "opened",
    "reopened",
    "ready_for_review",
    "synchronize",
    "edited",
];
/// GitHub computes mergeability in the background after a base moves. While it reports
/// UNKNOWN, the refresh asks again after each of these pauses, then gives up.
const MERGEABLE_BACKOFF_MS: &[u64] = &[250, 500, 1000, 2000, 4000, 8000];

pub struct PullRequestHandler<'a> {
    pub scope: Scope<'a>,
}

/// What comparing the head with its base told.
struct Compared {
    behind: bool,
    patch_id: Option<String>,
}

impl PullRequestHandler<'_> {
    fn settle(&self) -> Settle<'_> {
        Settle { scope: self.scope }
    }

    /// Runs for a `pull_request` delivery; returns what it did, for the step record, and the
    /// other open pull requests whose base a merge moved.
    pub async fn handle(
        &self,
        action: &str,
        before: Option<&str>,
        data: &mut RepositoryData,
    ) -> anyhow::Result<(Done, Vec<u64>)> {
        let mut done = Done::new();
        let mut moved = Vec::new();
        match action {
            "closed" => {
                self.closed(data, &mut done).await?;
                if data.pull.merged {
                    moved = self.same_base(data).await?;
                    done.insert("base_moved_for".into(), json!(moved));
                }
            }
            BASE_MOVED if data.pull.state == "OPEN" => self.base_moved(data, &mut done).await?,
            "labeled" | "unlabeled" if data.pull.state == "OPEN" => {
                let desired = Desired {
                    checks: self.verified_check(data).into_iter().collect(),
                    ..Desired::default()
                };
                self.settle().run(data, desired, &mut done).await?;
            }
            _ if data.pull.state == "OPEN" && RECONCILED.contains(&action) => {
                self.reconcile(action, before, data, &mut done).await?;
            }
            _ => {
                done.insert(
                    "skipped".into(),
                    json!(format!("nothing to reconcile for `{action}`")),
                );
            }
        }
        Ok((done, moved))
    }

    /// The other open pull requests on the merged one's base.
    async fn same_base(&self, data: &RepositoryData) -> anyhow::Result<Vec<u64>> {
        let open = self
            .scope
            .session
            .open_pulls_into(&data.pull.base_ref)
            .await?;
        Ok(open
            .into_iter()
            .filter(|n| *n != data.pull.number)
            .collect())
    }

    /// After a merge into its base: `has-conflicts` and `needs-rebase` again, and whether it
    /// can still be merged. Nothing else about the pull request changed.
    async fn base_moved(&self, data: &mut RepositoryData, done: &mut Done) -> anyhow::Result<()> {
        if data.pull.mergeable == "UNKNOWN" {
            data.pull.mergeable = self.await_mergeable(data.pull.number, done).await?;
        }
        let (mut want, mut unwanted) = desired_labels(self.scope.config, &data.pull);
        self.rebase_state(data, None, &mut want, &mut unwanted)
            .await?;
        let desired = Desired {
            want,
            unwanted,
            checks: Vec::new(),
        };
        self.settle().run(data, desired, done).await
    }

    /// Asks again, with growing pauses, until GitHub has computed mergeability; UNKNOWN after
    /// the last pause leaves `has-conflicts` as it is.
    async fn await_mergeable(&self, number: u64, done: &mut Done) -> anyhow::Result<String> {
        let mut state = "UNKNOWN".to_string();
        let mut polls = 0;
        for pause in MERGEABLE_BACKOFF_MS {
            tokio::time::sleep(std::time::Duration::from_millis(*pause)).await;
            state = self.scope.session.mergeable(number).await?;
            polls += 1;
            if state != "UNKNOWN" {
                break;
            }
        }
        done.insert("mergeable_polls".into(), json!(polls));
        Ok(state)
    }

    async fn reconcile(
        &self,
        action: &str,
        before: Option<&str>,
        data: &mut RepositoryData,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        let (mut want, mut unwanted) = desired_labels(self.scope.config, &data.pull);
        // The previous head, when this push changed no code.
        let mut clean_rebase = None;
        if action != "edited" {
            let before = before.filter(|_| action == "synchronize");
            clean_rebase = self
                .rebase_state(data, before, &mut want, &mut unwanted)
                .await?;
        }
        let new_code = action == "synchronize" && clean_rebase.is_none();
        if let Some(before) = clean_rebase {
            done.insert("clean_rebase".into(), json!(before));
        }
        if new_code {
            // Reviews of the old head no longer speak for the new code. A reviewer whose latest
            // review is of this code already (the push is replayed) keeps their labels.
            let current = self.scope.memory.patch_ids.same_code(data);
            let reviewed: Vec<&str> = data
                .pull
                .latest_reviews
                .iter()
                .filter(|r| r.commit.as_ref().is_some_and(|c| current.contains(c)))
                .map(|r| r.author.as_str())
                .collect();
            unwanted.extend(
                data.pull
                    .labels
                    .iter()
                    .filter(|l| {
                        REVIEW_PREFIXES.iter().any(|p| {
                            l.strip_prefix(p).is_some_and(|user| {
                                !reviewed.iter().any(|r| r.eq_ignore_ascii_case(user))
                            })
                        })
                    })
                    .cloned(),
            );
        }
        let verified_by_author = self.scope.config.verified_job
            && auto_verified(self.scope.config, data)
            && !needs_manual_verification(self.scope.config, &data.pull);
        if verified_by_author {
            want.push(VERIFIED.to_string());
        } else if self.scope.config.verified_job && new_code {
            unwanted.push(VERIFIED.to_string());
        }
        let mut checks = Vec::new();
        if action != "edited" || self.scope.config.conventional_title.is_some() {
            let slug = match self.scope.session.has_app() {
                true => Some(self.scope.session.app_slug().await?),
                false => None,
            };
            checks = own_checks(self.scope.config, data, slug.as_deref());
            let verified = verified_by_author || (!new_code && data.pull.labels.contains(VERIFIED));
            if self.scope.config.verified_job {
                checks.push(verified_state(verified));
            }
        }
        let settle = self.settle();
        let settlement = settle
            .plan(
                data,
                Desired {
                    want,
                    unwanted,
                    checks,
                },
            )
            .await?;
        let extras = pull_request::extras(
            self.scope.config,
            self.scope.owners,
            data,
            action,
            clean_rebase,
        );
        let writer = ExtrasWriter { scope: self.scope };
        let (ids, written) = futures_util::future::try_join(
            settle.write(data, &settlement),
            writer.write(data, &extras),
        )
        .await?;
        written.record(data, done);
        settle.finish(data, settlement, ids, done).await
    }

    /// `needs-rebase` from the compare with the base, and the head's patch id recorded.
    /// Returns `before` when the head carries its code (a clean rebase).
    async fn rebase_state<'b>(
        &self,
        data: &RepositoryData,
        before: Option<&'b str>,
        want: &mut Vec<String>,
        unwanted: &mut Vec<String>,
    ) -> anyhow::Result<Option<&'b str>> {
        let compared = self.compare(data).await?;
        if compared.behind {
            want.push(NEEDS_REBASE.to_string());
        } else {
            unwanted.push(NEEDS_REBASE.to_string());
        }
        Ok(compared
            .patch_id
            .and_then(|id| self.remember_patch(data, &id, before)))
    }

    /// Whether the base has commits the head lacks, and the patch id of the head's diff.
    /// Uses the snapshot's compare answer when it has one (a large pull request's files).
    async fn compare(&self, data: &RepositoryData) -> anyhow::Result<Compared> {
        let compared = |body: &Value| Compared {
            behind: body["behind_by"].as_u64().unwrap_or(0) > 0,
            patch_id: patch_ids::patch_id(body),
        };
        if let Some(body) = &data.compare {
            return Ok(compared(body));
        }
        match self
            .scope
            .session
            .compare(&data.pull.base_sha, &data.pull.head_sha)
            .await
        {
            Ok(answer) => Ok(compared(&answer)),
            // The head is gone (force-pushed away); the next event decides.
            Err(GitHubError::Status { status: 404, .. }) => Ok(Compared {
                behind: false,
                patch_id: None,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the head's patch id; returns `before` when it had the same one (a clean
    /// rebase). A store that fails only costs the detection: the push counts as new code.
    fn remember_patch<'b>(
        &self,
        data: &RepositoryData,
        id: &str,
        before: Option<&'b str>,
    ) -> Option<&'b str> {
        let (repo, number) = (&data.full_name, data.pull.number);
        let outcome = self
            .scope
            .memory
            .patch_ids
            .record(repo, number, &data.pull.head_sha, id)
            .and_then(|()| match before {
                Some(b) => Ok(self
                    .scope
                    .memory
                    .patch_ids
                    .get(repo, number, b)?
                    .is_some_and(|p| p == id)),
                None => Ok(false),
            });
        match outcome {
            Ok(same) => before.filter(|_| same),
            Err(e) => {
                tracing::warn!(pull = number, "clean-rebase detection unavailable: {e:#}");
                None
            }
        }
    }

    /// The `verified` check for the label as it is, when `verified-job` is on.
    fn verified_check(&self, data: &RepositoryData) -> Option<(String, RunState, Option<Output>)> {
        self.scope
            .config
            .verified_job
            .then(|| verified_state(data.pull.labels.contains(VERIFIED)))
    }

    /// A closed pull request's tracking issue is closed too.
    async fn closed(&self, data: &RepositoryData, done: &mut Done) -> anyhow::Result<()> {
        let Some(issue) =
            welcome::find(&data.pull.our_comments).and_then(|c| welcome::tracking_issue(&c.body))
        else {
            return Ok(());
        };
        if self.scope.session.issue_is_closed(issue).await? {
            return Ok(());
        }
        let how = if data.pull.merged { "merged" } else { "closed" };
        let comment = format!("Closing issue for PR: {}.\nPR was {how}.", data.pull.title);
        self.scope.session.create_comment(issue, &comment).await?;
        self.scope.session.close_issue(issue).await?;
        done.insert("tracking_issue_closed".into(), json!(issue));
        Ok(())
    }
}
