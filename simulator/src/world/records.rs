//! What a repository holds (issues, pull requests, comments, labels, reviews, check runs,
//! statuses, protection) and what is logged of requests and deliveries.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::git::BareRepo;

pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub private: bool,
    pub created_at: String,
    /// login → permission (admin, maintain, write, triage, read)
    pub collaborators: BTreeMap<String, String>,
    pub labels: BTreeMap<String, Label>,
    /// Issues and pull requests share numbers, as on GitHub.
    pub issues: BTreeMap<u64, Issue>,
    pub comments: BTreeMap<u64, Comment>,
    pub reviews: BTreeMap<u64, Review>,
    pub check_runs: BTreeMap<u64, CheckRun>,
    /// Commit statuses, oldest first; the newest per (sha, context) counts.
    pub statuses: Vec<CommitStatus>,
    /// Branch protection by branch name.
    pub protection: BTreeMap<String, Protection>,
    /// Settings changed through `PATCH /repos/{o}/{r}` (merge methods, auto-merge...).
    pub settings: serde_json::Map<String, Value>,
    /// Code scanning default setup, as last configured (empty: never).
    pub code_scanning: serde_json::Map<String, Value>,
    pub next_number: u64,
    pub git: BareRepo,
    /// When each branch last moved, for `World::mergeability_delay`.
    pub branch_moved: HashMap<String, Instant>,
}

impl Repo {
    /// The latest check run per name and the latest status per context at `sha`.
    pub fn results_at(&self, sha: &str) -> Vec<(String, Outcome)> {
        let mut latest: BTreeMap<String, Outcome> = BTreeMap::new();
        for run in self.check_runs.values().filter(|c| c.head_sha == sha) {
            let outcome = match (run.status.as_str(), run.conclusion.as_deref()) {
                ("completed", Some("success" | "neutral" | "skipped")) => Outcome::Passed,
                ("completed", _) => Outcome::Failed,
                _ => Outcome::Pending,
            };
            latest.insert(run.name.clone(), outcome);
        }
        for status in self.latest_statuses(sha) {
            let outcome = match status.state.as_str() {
                "success" => Outcome::Passed,
                "pending" => Outcome::Pending,
                _ => Outcome::Failed,
            };
            latest.insert(status.context.clone(), outcome);
        }
        latest.into_iter().collect()
    }

    /// The newest status of each context at `sha`, newest first.
    pub fn latest_statuses(&self, sha: &str) -> Vec<&CommitStatus> {
        let mut latest: Vec<&CommitStatus> = Vec::new();
        for s in self.statuses.iter().rev().filter(|s| s.sha == sha) {
            if !latest.iter().any(|l| l.context == s.context) {
                latest.push(s);
            }
        }
        latest
    }

    pub fn approvals(&self, number: u64) -> Approvals {
        let mut opinion: BTreeMap<&str, &str> = BTreeMap::new();
        for review in self.reviews.values().filter(|r| r.pull == number) {
            // A dismissed review no longer counts; comments never did.
            if !matches!(review.state.as_str(), "COMMENTED" | "DISMISSED") {
                opinion.insert(&review.user, &review.state);
            }
        }
        Approvals {
            approved: opinion.values().filter(|s| **s == "APPROVED").count() as u64,
            changes_requested: opinion.values().any(|s| *s == "CHANGES_REQUESTED"),
        }
    }
}

#[derive(Clone)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    pub state: &'static str,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub pull: Option<Pull>,
}

impl Issue {
    /// A new open issue, or pull request when `pull` is given, created now.
    pub fn open(
        id: u64,
        number: u64,
        title: String,
        body: Option<String>,
        user: &str,
        pull: Option<Pull>,
    ) -> Issue {
        let at = super::stamps::now();
        Issue {
            id,
            number,
            title,
            body,
            user: user.to_string(),
            state: "open",
            labels: Vec::new(),
            assignees: Vec::new(),
            created_at: at.clone(),
            updated_at: at,
            closed_at: None,
            pull,
        }
    }
}

pub struct Pull {
    pub head_ref: String,
    pub base_ref: String,
    pub draft: bool,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub merged_by: Option<String>,
    pub requested_reviewers: Vec<String>,
    pub auto_merge: Option<AutoMerge>,
}

/// A pending native auto-merge: GitHub merges once the branch's requirements are met.
#[derive(Clone)]
pub struct AutoMerge {
    pub enabled_by: String,
    /// merge, squash or rebase
    pub merge_method: String,
}

/// A commit status (`POST /repos/{o}/{r}/statuses/{sha}`).
pub struct CommitStatus {
    pub id: u64,
    pub sha: String,
    /// error, failure, pending, success
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub creator: String,
    pub created_at: String,
}

/// The parts of branch protection that decide whether a pull request may merge.
#[derive(Clone, Default)]
pub struct Protection {
    /// Required status check contexts (check-run names or status contexts).
    pub contexts: Vec<String>,
    /// The head must contain the base tip.
    pub strict: bool,
    pub required_approvals: u64,
}

pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub user: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub reactions: Vec<Reaction>,
}

pub struct Reaction {
    pub id: u64,
    pub user: String,
    /// +1, -1, laugh, confused, heart, hooray, rocket, eyes
    pub content: String,
    pub created_at: String,
}

pub struct Review {
    pub id: u64,
    pub pull: u64,
    pub user: String,
    /// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    pub state: String,
    pub body: String,
    pub commit_id: String,
    pub submitted_at: String,
}

pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    /// queued, in_progress, completed
    pub status: String,
    pub conclusion: Option<String>,
    /// Slug of the app that owns the run.
    pub app: String,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
}

#[derive(Clone)]
pub struct Hook {
    pub id: u64,
    /// Lower-cased full name.
    pub repo: String,
    pub url: String,
    pub secret: Option<String>,
    /// Empty or `*`: every event.
    pub events: Vec<String>,
    pub active: bool,
    pub content_type: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Hook {
    pub fn wants(&self, event: &str) -> bool {
        self.active
            && (self.events.is_empty() || self.events.iter().any(|e| e == "*" || e == event))
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Exchange {
    pub id: u64,
    pub login: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The operation name of a GraphQL request.
    #[serde(default)]
    pub operation: Option<String>,
    pub request: Option<Value>,
    pub status: u16,
    pub response: Option<Value>,
    /// When the request arrived and when its answer was ready, in ms on the simulator's clock.
    #[serde(default)]
    pub started_ms: f64,
    #[serde(default)]
    pub finished_ms: f64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Emitted {
    pub event: String,
    pub payload: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub id: u64,
    pub delivery_id: String,
    pub hook_id: u64,
    pub event: String,
    pub action: Option<String>,
    /// None until the hook answered (or failed: 0).
    pub status: Option<u16>,
    pub redelivery: bool,
    pub delivered_at: String,
    /// What was sent, for redelivery.
    #[serde(skip)]
    pub payload: Vec<u8>,
}

/// How a check run or status context ended, for merge requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Pending,
}

/// What reviews say about a pull request: each reviewer's latest opinion counts.
pub struct Approvals {
    pub approved: u64,
    pub changes_requested: bool,
}
