//! PullRequestHandler: what a pull request's own events change. On every event that can change
//! them it reconciles the labels read from the pull request (`wip` from the title,
//! `branch-<base>`, the size bucket, `verified`, `has-conflicts`, `needs-rebase`), the author as
//! assignee, review requests from OWNERS, the welcome comment and tracking issue, the check runs,
//! native auto-merge, and finally whether it can be merged. Each part writes only what differs
//! from the snapshot, so a replay writes nothing.

use serde_json::{Value, json};

use crate::apply::review_requests;
use crate::apply::{Desired, Settle};
use crate::config::RepoConfig;
use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::rules::check_runs::{Output, RunState};
use crate::rules::labels::{
    BRANCH_PREFIX, HAS_CONFLICTS, NEEDS_REBASE, REVIEW_PREFIXES, SIZE_PREFIX, VERIFIED, WIP,
    size_label,
};
use crate::rules::merge_readiness::{self, COMMITTER_IDENTITY, RepoFileReport, SUSPICIOUS_PATHS};
use crate::rules::owners::PullOwners;
use crate::rules::security_checks;
use crate::rules::triage::BASE_MOVED;
use crate::rules::welcome::{self, People};
use crate::snapshot::{Comment, PullRequest, RepositoryData};
use crate::steps::Done;
use crate::store::Memory;
use crate::store::patch_ids;

/// The actions whose payload can change the title, the base or the diff.
const RECONCILED: &[&str] = &[
    "opened",
    "reopened",
    "ready_for_review",
    "synchronize",
    "edited",
];
/// The actions that start a pull request's life (again): welcome, tracking issue, auto-merge.
const STARTS: &[&str] = &["opened", "reopened", "ready_for_review"];
/// GitHub computes mergeability in the background after a base moves. While it reports
/// UNKNOWN, the refresh asks again after each of these pauses, then gives up.
const MERGEABLE_BACKOFF_MS: &[u64] = &[250, 500, 1000, 2000, 4000, 8000];
const AUTO_MERGE_BLOCKED: &str = "Auto-merge blocked: PR modifies security-sensitive paths:";
/// Marks the clean-rebase comment of one head, so a replay does not post it again.
const CLEAN_REBASE_MARKER: &str = "<!-- gws:clean-rebase";

pub struct PullRequestHandler<'a> {
    pub session: &'a Session,
    pub config: &'a RepoConfig,
    pub owners: &'a PullOwners,
    pub repo_file: &'a RepoFileReport,
    pub memory: &'a Memory,
}

/// What comparing the head with its base told.
struct Compared {
    behind: bool,
    patch_id: Option<String>,
}

/// Labels the pull request should carry, and those it should not, from its title, base and
/// size. A `branch-` label of another base is stale (the base was edited), as is any other size.
pub fn desired_labels(config: &RepoConfig, pull: &PullRequest) -> (Vec<String>, Vec<String>) {
    let size = size_label(config, pull.additions + pull.deletions);
    let branch = format!("{BRANCH_PREFIX}{}", pull.base_ref);
    let mut want = vec![branch.clone(), size.clone()];
    let mut unwanted: Vec<String> = pull
        .labels
        .iter()
        .filter(|l| {
            (l.starts_with(SIZE_PREFIX) && **l != size)
                || (l.starts_with(BRANCH_PREFIX) && **l != branch)
        })
        .cloned()
        .collect();
    if pull
        .title
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("wip:")
    {
        want.push(WIP.to_string());
    } else {
        unwanted.push(WIP.to_string());
    }
    match pull.mergeable.as_str() {
        "CONFLICTING" => want.push(HAS_CONFLICTS.to_string()),
        "MERGEABLE" => unwanted.push(HAS_CONFLICTS.to_string()),
        // GitHub has not computed it yet: leave the label as it is.
        _ => {}
    }
    (want, unwanted)
}

/// Whether the author's pull requests are verified (and may be merged) without a person: the
/// configured users and the logins the server itself acts as.
pub fn auto_verified(config: &RepoConfig, data: &RepositoryData) -> bool {
    let author = &data.pull.author;
    config
        .auto_verified_and_merged_users
        .iter()
        .chain(data.viewer.as_ref())
        .any(|u| u.eq_ignore_ascii_case(author))
}

/// Whether `verified` must be earned by a person even for an auto-verified author.
fn needs_manual_verification(config: &RepoConfig, pull: &PullRequest) -> bool {
    pull.labels.iter().any(|l| {
        l == "ai-resolved-conflicts"
            || (l.starts_with("CherryPicked") && !config.auto_verify_cherry_picked_prs)
    })
}

/// What the side writes of a reconcile leave in the snapshot.
#[derive(Default)]
struct SideEffects {
    assigned: Option<String>,
    requested: Vec<String>,
    comments: Vec<Comment>,
    auto_merge: Option<bool>,
}

impl PullRequestHandler<'_> {
    fn settle(&self) -> Settle<'_> {
        Settle {
            session: self.session,
            echoes: &self.memory.echoes,
            config: self.config,
            owners: self.owners,
            repo_file: self.repo_file,
        }
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
        let open = self.session.open_pulls_into(&data.pull.base_ref).await?;
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
        let (mut want, mut unwanted) = desired_labels(self.config, &data.pull);
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
            state = self.session.mergeable(number).await?;
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
        let (mut want, mut unwanted) = desired_labels(self.config, &data.pull);
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
            let current = self.memory.patch_ids.same_code(data);
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
        let verified_by_author = self.config.verified_job
            && auto_verified(self.config, data)
            && !needs_manual_verification(self.config, &data.pull);
        if verified_by_author {
            want.push(VERIFIED.to_string());
        } else if self.config.verified_job && new_code {
            unwanted.push(VERIFIED.to_string());
        }
        let mut checks = Vec::new();
        if action != "edited" || self.config.conventional_title.is_some() {
            checks = self.checks(data);
            let verified = verified_by_author || (!new_code && data.pull.labels.contains(VERIFIED));
            if self.config.verified_job {
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
        let starts = STARTS.contains(&action);
        let snapshot = &*data;
        let side = async {
            let (assigned, requested, welcome, auto_merge, rebased) =
                futures_util::future::try_join5(
                    self.assignee(snapshot, action),
                    self.reviewers(snapshot, action),
                    self.welcome(snapshot, starts),
                    self.auto_merge(snapshot, starts),
                    self.clean_rebase_comment(snapshot, clean_rebase),
                )
                .await?;
            let (auto_merge, blocked) = auto_merge;
            anyhow::Ok(SideEffects {
                assigned,
                requested,
                comments: welcome.into_iter().chain(blocked).chain(rebased).collect(),
                auto_merge,
            })
        };
        let (ids, side) =
            futures_util::future::try_join(settle.write(snapshot, &settlement), side).await?;
        if let Some(author) = side.assigned {
            done.insert("assigned".into(), json!(author));
            data.pull.assignees.push(author);
        }
        if !side.requested.is_empty() {
            done.insert("reviewers_requested".into(), json!(side.requested));
            data.pull.requested_reviewers.extend(side.requested);
        }
        for comment in side.comments {
            if comment.body.contains(welcome::MARKER) {
                done.insert("welcome_comment".into(), json!(comment.id));
                if let Some(issue) = welcome::tracking_issue(&comment.body) {
                    done.insert("tracking_issue".into(), json!(issue));
                }
            } else if comment.body.starts_with(AUTO_MERGE_BLOCKED) {
                done.insert("auto_merge".into(), json!("blocked: suspicious paths"));
            }
            data.pull.our_comments.push(comment);
        }
        if let Some(on) = side.auto_merge {
            if on {
                done.insert("auto_merge".into(), json!("enabled (squash)"));
            }
            data.pull.auto_merge = on;
        }
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
            .memory
            .patch_ids
            .record(repo, number, &data.pull.head_sha, id)
            .and_then(|()| match before {
                Some(b) => Ok(self
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

    /// Tells reviewers why their labels stayed after a push, once per head.
    async fn clean_rebase_comment(
        &self,
        data: &RepositoryData,
        before: Option<&str>,
    ) -> anyhow::Result<Option<Comment>> {
        let Some(before) = before else {
            return Ok(None);
        };
        let marker = format!("{CLEAN_REBASE_MARKER} {} -->", data.pull.head_sha);
        if data
            .pull
            .our_comments
            .iter()
            .any(|c| c.body.contains(&marker))
        {
            return Ok(None);
        }
        let short = &before[..before.len().min(7)];
        let mut text = format!(
            "**Clean rebase detected** — no code changes compared to previous head (`{short}`)."
        );
        let kept: Vec<&str> = data
            .pull
            .labels
            .iter()
            .filter(|l| *l == VERIFIED || REVIEW_PREFIXES.iter().any(|p| l.starts_with(p)))
            .map(String::as_str)
            .collect();
        if !kept.is_empty() {
            text.push_str(&format!(
                "\nThe following labels were preserved: {}.",
                kept.join(", ")
            ));
        }
        text.push_str(&format!("\n{marker}"));
        self.comment(data, text).await.map(Some)
    }

    /// The author becomes the assignee of a pull request nobody is assigned to.
    async fn assignee(
        &self,
        data: &RepositoryData,
        action: &str,
    ) -> anyhow::Result<Option<String>> {
        if action == "edited" || !data.pull.assignees.is_empty() || data.pull.author.is_empty() {
            return Ok(None);
        }
        let author = data.pull.author.clone();
        self.session
            .add_assignees(data.pull.number, std::slice::from_ref(&author))
            .await?;
        Ok(Some(author))
    }

    /// Asks the OWNERS reviewers who were not asked yet and have not reviewed.
    async fn reviewers(&self, data: &RepositoryData, action: &str) -> anyhow::Result<Vec<String>> {
        if action == "edited" {
            return Ok(Vec::new());
        }
        let pull = &data.pull;
        let wanted: Vec<String> = self
            .owners
            .review_requests(&pull.author)
            .into_iter()
            .filter(|r| {
                !pull
                    .requested_reviewers
                    .iter()
                    .chain(pull.reviews.iter().map(|v| &v.author))
                    .any(|x| x.eq_ignore_ascii_case(r))
            })
            .collect();
        review_requests::request(self.session, &self.memory.refusals, data, wanted).await
    }

    /// Posts the welcome comment unless the pull request has it, opening the tracking issue
    /// first so the comment can remember it.
    async fn welcome(
        &self,
        data: &RepositoryData,
        starts: bool,
    ) -> anyhow::Result<Option<Comment>> {
        if !starts || welcome::find(&data.pull.our_comments).is_some() {
            return Ok(None);
        }
        let auto_verified = auto_verified(self.config, data);
        let number = data.pull.number;
        let mut tracking_issue = None;
        if self.config.create_issue_for_new_pr && !auto_verified {
            tracking_issue = self
                .session
                .create_issue(
                    &format!("{} - {number}", data.pull.title),
                    &format!("[Auto generated]\nNumber: [#{number}]"),
                    std::slice::from_ref(&data.pull.author),
                )
                .await?;
        }
        let required =
            merge_readiness::required_checks(self.config, &data.protection, &data.pull.base_ref);
        let text = welcome::render(
            self.config,
            &required,
            &People {
                author_auto_verified: auto_verified,
                approvers: &self.owners.approvers,
                reviewers: &self.owners.reviewers,
                tracking_issue,
            },
        );
        self.comment(data, text).await.map(Some)
    }

    async fn comment(&self, data: &RepositoryData, body: String) -> anyhow::Result<Comment> {
        let id = self.session.create_comment(data.pull.number, &body).await?;
        Ok(Comment { id, body })
    }

    /// The server's checks: queued when they have no run at the head yet, and the security
    /// checks computed from the snapshot.
    fn checks(&self, data: &RepositoryData) -> Vec<(String, RunState, Option<Output>)> {
        merge_readiness::own_checks(self.config)
            .into_iter()
            .filter_map(|name| {
                let (state, output) = match name.as_str() {
                    SUSPICIOUS_PATHS => security_checks::suspicious_paths(self.config, &data.pull),
                    COMMITTER_IDENTITY => {
                        let own: Vec<String> = data.viewer.iter().cloned().collect();
                        security_checks::committer_identity(self.config, &data.pull, &own)
                    }
                    _ if data.pull.check_runs.iter().any(|r| r.name == name) => return None,
                    _ => return Some((name, RunState::Queued, None)),
                };
                Some((name, state, Some(output)))
            })
            .collect()
    }

    /// The `verified` check for the label as it is, when `verified-job` is on.
    fn verified_check(&self, data: &RepositoryData) -> Option<(String, RunState, Option<Output>)> {
        self.config
            .verified_job
            .then(|| verified_state(data.pull.labels.contains(VERIFIED)))
    }

    /// Native auto-merge for `set-auto-merge-prs` bases and auto-verified authors, unless the
    /// pull request touches suspicious paths. Returns the new auto-merge setting, if changed,
    /// and the comment that explains a block.
    async fn auto_merge(
        &self,
        data: &RepositoryData,
        starts: bool,
    ) -> anyhow::Result<(Option<bool>, Option<Comment>)> {
        let want = self.config.set_auto_merge_prs.contains(&data.pull.base_ref)
            || auto_verified(self.config, data);
        if !starts || (!want && !data.pull.auto_merge) {
            return Ok((None, None));
        }
        let suspicious = security_checks::suspicious_files(self.config, &data.pull);
        if !suspicious.is_empty() {
            let explained = data
                .pull
                .our_comments
                .iter()
                .any(|c| c.body.starts_with(AUTO_MERGE_BLOCKED));
            let comment = if explained {
                None
            } else {
                let text = format!("{AUTO_MERGE_BLOCKED} {}", suspicious.join(", "));
                Some(self.comment(data, text).await?)
            };
            if data.pull.auto_merge {
                self.session.disable_auto_merge(&data.pull.node_id).await?;
                return Ok((Some(false), comment));
            }
            return Ok((None, comment));
        }
        if want && !data.pull.auto_merge {
            return match self
                .session
                .enable_auto_merge(&data.pull.node_id, &data.pull.head_sha)
                .await
            {
                Ok(()) => Ok((Some(true), None)),
                // GitHub refuses when nothing is left to wait for (no protection requires a
                // check) or the head moved; the pull request stays as it is.
                Err(GitHubError::GraphQl { message, .. }) => {
                    tracing::warn!(pull = data.pull.number, "auto-merge not enabled: {message}");
                    Ok((None, None))
                }
                Err(e) => Err(e.into()),
            };
        }
        Ok((None, None))
    }

    /// A closed pull request's tracking issue is closed too.
    async fn closed(&self, data: &RepositoryData, done: &mut Done) -> anyhow::Result<()> {
        let Some(issue) =
            welcome::find(&data.pull.our_comments).and_then(|c| welcome::tracking_issue(&c.body))
        else {
            return Ok(());
        };
        if self.session.issue_is_closed(issue).await? {
            return Ok(());
        }
        let how = if data.pull.merged { "merged" } else { "closed" };
        let comment = format!("Closing issue for PR: {}.\nPR was {how}.", data.pull.title);
        self.session.create_comment(issue, &comment).await?;
        self.session.close_issue(issue).await?;
        done.insert("tracking_issue_closed".into(), json!(issue));
        Ok(())
    }
}

fn verified_state(verified: bool) -> (String, RunState, Option<Output>) {
    let state = if verified {
        RunState::Success
    } else {
        RunState::Queued
    };
    (VERIFIED.to_string(), state, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pull(title: &str, base: &str, lines: u64, labels: &[&str]) -> PullRequest {
        PullRequest {
            number: 1,
            title: title.into(),
            state: "OPEN".into(),
            mergeable: "MERGEABLE".into(),
            merge_state: "CLEAN".into(),
            author: "alice".into(),
            head_ref: "f".into(),
            head_sha: "h".into(),
            base_ref: base.into(),
            base_sha: "b".into(),
            additions: lines,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..PullRequest::default()
        }
    }

    fn config() -> RepoConfig {
        RepoConfig::default()
    }

    #[test]
    fn a_fresh_pull_request_wants_branch_and_size() {
        let (want, unwanted) = desired_labels(&config(), &pull("Add x", "main", 30, &[]));
        assert_eq!(want, ["branch-main", "size/S"]);
        assert_eq!(unwanted, ["wip", "has-conflicts"]);
    }

    #[test]
    fn wip_titles_want_the_wip_label() {
        let (want, _) = desired_labels(&config(), &pull("WIP: half done", "main", 1, &[]));
        assert!(want.contains(&"wip".to_string()));
        let (want, _) = desired_labels(&config(), &pull("wipe the cache", "main", 1, &[]));
        assert!(!want.contains(&"wip".to_string()));
    }

    #[test]
    fn stale_size_and_branch_labels_are_unwanted() {
        let p = pull("x", "release", 600, &["size/XS", "branch-main", "hold"]);
        let (want, unwanted) = desired_labels(&config(), &p);
        assert_eq!(want, ["branch-release", "size/XXL"]);
        assert_eq!(unwanted, ["branch-main", "size/XS", "wip", "has-conflicts"]);
    }

    #[test]
    fn conflicts_want_their_label_and_an_unknown_state_leaves_it() {
        let mut p = pull("x", "main", 1, &[]);
        p.mergeable = "CONFLICTING".into();
        assert!(
            desired_labels(&config(), &p)
                .0
                .contains(&"has-conflicts".to_string())
        );
        p.mergeable = "UNKNOWN".into();
        let (want, unwanted) = desired_labels(&config(), &p);
        assert!(!want.contains(&"has-conflicts".to_string()));
        assert!(!unwanted.contains(&"has-conflicts".to_string()));
    }

    #[test]
    fn custom_buckets_name_the_size_label() {
        let c = Config::parse(
            "pr-size-thresholds:\n  Small:\n    threshold: 100\n  Big:\n    threshold: inf\n\
             repositories:\n  r:\n    name: o/r\n",
        )
        .unwrap()
        .repositories[0]
            .config
            .clone();
        let (want, _) = desired_labels(&c, &pull("x", "main", 150, &[]));
        assert_eq!(want, ["branch-main", "size/Big"]);
    }
}
