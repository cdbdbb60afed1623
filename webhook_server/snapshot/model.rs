//! The snapshot's data: what a delivery knows of the repository and the pull request.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub const OWNERS_ALIASES: &str = "OWNERS_ALIASES";
/// Marks the server's welcome comment on a pull request.
pub const WELCOME_MARKER: &str = "<!-- gws:welcome -->";
/// Opens the marker of a tracking issue; the pull request's number and ` -->` follow.
pub const TRACKS_MARKER: &str = "<!-- gws:tracks-pull ";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RepositoryData {
    pub full_name: String,
    pub default_branch: String,
    /// The login the server acts as.
    pub viewer: Option<String>,
    /// `.github-webhook-server.yaml` on the default branch, when there is one.
    pub config_text: Option<String>,
    /// The same file at the head, when an open pull request into the default branch changes it
    /// (and does not delete it): what merging would put in force.
    pub proposed_config_text: Option<String>,
    /// Permission (`ADMIN`, `MAINTAIN`, `WRITE`, `TRIAGE`, `READ`) by lower-cased login.
    pub collaborators: BTreeMap<String, String>,
    /// Whether `collaborators` lists all of them; GitHub gives the first 100 in the snapshot.
    pub collaborators_complete: bool,
    pub protection: Vec<ProtectionRule>,
    /// The repository's labels (the first hundred): colour by name.
    pub repo_labels: BTreeMap<String, String>,
    pub pull: PullRequest,
    /// Text of each OWNERS file (and `OWNERS_ALIASES`) found at the base, by path.
    pub owners: BTreeMap<String, String>,
    /// Whether `owners` holds every OWNERS file that can govern the changes: all changed files
    /// were listed and `max-owners-files` cut none.
    pub owners_complete: bool,
    /// `GET /compare/{base}...{head}`'s answer, when the files were read from it.
    pub compare: Option<Value>,
    /// Issues the server opened among the repository's fifty newest, read only by a delivery
    /// that starts a pull request with no welcome comment yet: its tracking issue may exist
    /// without one.
    pub our_issues: Vec<OwnIssue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OwnIssue {
    pub number: u64,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectionRule {
    pub pattern: String,
    pub required_contexts: Vec<String>,
    pub strict: bool,
    pub required_approvals: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PullRequest {
    pub node_id: String,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub draft: bool,
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub state: String,
    pub merged: bool,
    /// `MERGEABLE`, `CONFLICTING` or `UNKNOWN`.
    pub mergeable: String,
    pub merge_state: String,
    pub author: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub additions: u64,
    pub deletions: u64,
    pub auto_merge: bool,
    pub labels: BTreeSet<String>,
    pub assignees: Vec<String>,
    pub requested_reviewers: Vec<String>,
    /// Each reviewer's latest approval or change request.
    pub reviews: Vec<Review>,
    pub files: Vec<ChangedFile>,
    /// The server's own comments among the latest hundred.
    pub our_comments: Vec<Comment>,
    /// Other people's comments among the latest hundred that mention `/add-allowed-user`:
    /// the grants the rules weigh.
    pub grant_comments: Vec<AuthoredComment>,
    pub check_runs: Vec<CheckRun>,
    pub statuses: Vec<Status>,
    /// Review conversations not resolved yet (the first hundred threads).
    pub unresolved_threads: Vec<Thread>,
    /// Each reviewer's newest review of any kind (a comment included).
    pub latest_reviews: Vec<Review>,
    /// The GitHub accounts linked to the head commit's author and committer, when any.
    pub head_author: Option<String>,
    pub head_committer: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub author: String,
    pub state: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangedFile {
    pub path: String,
    pub additions: u64,
    pub deletions: u64,
    pub change_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthoredComment {
    pub author: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub app: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub context: String,
    pub state: String,
}

/// An unresolved review conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub path: String,
    pub line: Option<u64>,
    pub outdated: bool,
    pub url: String,
}
