//! Where an open pull request stands: GitHub's `mergeable_state`.

use super::records::{Issue, Outcome, Repo};
use super::state::World;

/// Where a pull request stands, computed from git, checks and reviews as GitHub does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeState {
    /// Conflicts with the base.
    Dirty,
    /// Protection requirements (checks, approvals) are not met.
    Blocked,
    /// Protection wants the head up to date and it is not.
    Behind,
    /// Mergeable, but a check that is not required failed.
    Unstable,
    Clean,
    Draft,
    /// Closed, or git could not tell.
    Unknown,
}

impl MergeState {
    /// REST's `mergeable_state`.
    pub fn rest(self) -> &'static str {
        match self {
            MergeState::Dirty => "dirty",
            MergeState::Blocked => "blocked",
            MergeState::Behind => "behind",
            MergeState::Unstable => "unstable",
            MergeState::Clean => "clean",
            MergeState::Draft => "draft",
            MergeState::Unknown => "unknown",
        }
    }

    /// REST's `mergeable`: null while unknown.
    pub fn mergeable(self) -> Option<bool> {
        match self {
            MergeState::Dirty => Some(false),
            MergeState::Unknown => None,
            _ => Some(true),
        }
    }
}

impl World {
    /// Where an open pull request stands, as GitHub computes `mergeable_state`.
    pub fn merge_state(&self, repo: &Repo, issue: &Issue) -> MergeState {
        let Some(pull) = issue.pull.as_ref().filter(|_| issue.state == "open") else {
            return MergeState::Unknown;
        };
        let head = repo
            .git
            .resolve(&format!("refs/pull/{}/head", issue.number));
        let base = repo.git.resolve(&format!("refs/heads/{}", pull.base_ref));
        let (Some(head), Some(base)) = (head, base) else {
            return MergeState::Unknown;
        };
        if repo
            .branch_moved
            .get(&pull.base_ref)
            .is_some_and(|at| at.elapsed() < self.mergeability_delay)
        {
            return MergeState::Unknown;
        }
        match repo.git.merge_tree(&base, &head) {
            Ok(Some(_)) => {}
            Ok(None) => return MergeState::Dirty,
            Err(_) => return MergeState::Unknown,
        }
        if pull.draft {
            return MergeState::Draft;
        }
        let results = repo.results_at(&head);
        let passed = |context: &str| {
            results
                .iter()
                .any(|(name, outcome)| name == context && *outcome == Outcome::Passed)
        };
        if let Some(p) = repo.protection.get(&pull.base_ref) {
            let approvals = repo.approvals(issue.number);
            if !p.contexts.iter().all(|c| passed(c))
                || approvals.approved < p.required_approvals
                || approvals.changes_requested
            {
                return MergeState::Blocked;
            }
            if p.strict && repo.git.count_between(&head, &base).unwrap_or(0) > 0 {
                return MergeState::Behind;
            }
        }
        if results.iter().any(|(_, o)| *o == Outcome::Failed) {
            return MergeState::Unstable;
        }
        MergeState::Clean
    }
}
