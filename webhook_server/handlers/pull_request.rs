//! PullRequestHandler: what a pull request's own events change. Today: the labels read from the
//! pull request itself (`wip` from the title, `branch-<base>`, the size bucket), reconciled on
//! every event that can change them. Welcome comment, reviewers, checks and merge readiness
//! join as they are built.

use serde_json::{Map, Value, json};

use super::labels::{BRANCH_PREFIX, LabelsHandler, SIZE_PREFIX, WIP, size_label};
use crate::config::RepoConfig;
use crate::github::clients::Session;
use crate::repository_data::{PullRequest, RepositoryData};

/// The actions whose payload can change the title, the base or the diff.
const RECONCILED: &[&str] = &[
    "opened",
    "reopened",
    "ready_for_review",
    "synchronize",
    "edited",
];

pub struct PullRequestHandler<'a> {
    pub session: &'a Session,
    pub config: &'a RepoConfig,
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
    (want, unwanted)
}

impl PullRequestHandler<'_> {
    /// Runs for a `pull_request` delivery; returns what it did, for the step record.
    pub async fn handle(
        &self,
        action: &str,
        data: &mut RepositoryData,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut done = Map::new();
        if data.pull.state != "OPEN" || !RECONCILED.contains(&action) {
            done.insert(
                "labels".into(),
                json!(format!("nothing to reconcile for `{action}`")),
            );
            return Ok(done);
        }
        let (want, unwanted) = desired_labels(self.config, &data.pull);
        let labels = LabelsHandler {
            session: self.session,
            config: self.config,
        };
        let changes = labels.reconcile(data, &want, &unwanted).await?;
        done.insert("labels_added".into(), json!(changes.added));
        done.insert("labels_removed".into(), json!(changes.removed));
        if !changes.suppressed.is_empty() {
            done.insert("labels_disabled".into(), json!(changes.suppressed));
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pull(title: &str, base: &str, lines: u64, labels: &[&str]) -> PullRequest {
        PullRequest {
            node_id: String::new(),
            number: 1,
            title: title.into(),
            body: String::new(),
            draft: false,
            state: "OPEN".into(),
            merged: false,
            mergeable: "MERGEABLE".into(),
            merge_state: "CLEAN".into(),
            author: "alice".into(),
            head_ref: "f".into(),
            head_sha: "h".into(),
            base_ref: base.into(),
            base_sha: "b".into(),
            additions: lines,
            deletions: 0,
            auto_merge: false,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            assignees: vec![],
            requested_reviewers: vec![],
            reviews: vec![],
            files: vec![],
            our_comments: vec![],
            check_runs: vec![],
            statuses: vec![],
            unresolved_threads: vec![],
            head_author: None,
            head_committer: None,
        }
    }

    fn config() -> RepoConfig {
        RepoConfig::default()
    }

    #[test]
    fn a_fresh_pull_request_wants_branch_and_size() {
        let (want, unwanted) = desired_labels(&config(), &pull("Add x", "main", 30, &[]));
        assert_eq!(want, ["branch-main", "size/S"]);
        assert_eq!(unwanted, ["wip"]);
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
        assert_eq!(unwanted, ["branch-main", "size/XS", "wip"]);
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
