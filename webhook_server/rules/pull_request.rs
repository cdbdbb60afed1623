//! What a pull request's own events ask of it: the labels read from the pull request, and
//! beside labels and check runs the assignee, review requests, the welcome comment with its
//! tracking issue, native auto-merge and the clean-rebase note. Pure: the apply step writes
//! the plan, and a plan made from a snapshot that already agrees is empty.

use super::check_runs::{Output, RunState};
use super::labels::{
    BRANCH_PREFIX, HAS_CONFLICTS, REVIEW_PREFIXES, SIZE_PREFIX, VERIFIED, WIP, size_label,
};
use super::merge_readiness;
use super::owners::PullOwners;
use super::security_checks;
use super::welcome;
use crate::config::RepoConfig;
use crate::snapshot::{PullRequest, RepositoryData};

/// The actions that start a pull request's life (again): welcome, tracking issue, auto-merge.
pub const STARTS: &[&str] = &["opened", "reopened", "ready_for_review"];
/// Opens the comment that explains why native auto-merge stays off (the reference's words).
const AUTO_MERGE_BLOCKED: &str = "Auto-merge blocked: PR modifies security-sensitive paths:";
/// Ends that comment, so it is found by what it is even if its words change.
const AUTO_MERGE_BLOCKED_MARKER: &str = "<!-- gws:auto-merge-blocked -->";

/// Whether a comment of the server's is the note that auto-merge stays off; notes written
/// before the marker existed are known by their opening words.
pub fn is_auto_merge_note(body: &str) -> bool {
    body.contains(AUTO_MERGE_BLOCKED_MARKER) || body.starts_with(AUTO_MERGE_BLOCKED)
}
/// Marks the clean-rebase comment of one head, so a replay does not post it again.
const CLEAN_REBASE_MARKER: &str = "<!-- gws:clean-rebase";

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
pub fn needs_manual_verification(config: &RepoConfig, pull: &PullRequest) -> bool {
    pull.labels.iter().any(|l| {
        l == "ai-resolved-conflicts"
            || (l.starts_with("CherryPicked") && !config.auto_verify_cherry_picked_prs)
    })
}

/// The writes beside labels and check runs that bring a pull request to what its events ask.
#[derive(Debug, Default, PartialEq)]
pub struct Extras {
    /// Assign the author.
    pub assignee: Option<String>,
    /// Ask these OWNERS reviewers (those GitHub refused before are left out when written).
    pub reviewers: Vec<String>,
    pub welcome: Option<Welcome>,
    /// Comments to post: the auto-merge block and the clean-rebase note.
    pub comments: Vec<String>,
    /// Turn native auto-merge on or off.
    pub auto_merge: Option<bool>,
}

/// The welcome comment to post, opening the tracking issue first so the comment names it.
#[derive(Debug, PartialEq)]
pub struct Welcome {
    pub issue: Option<Tracking>,
}

/// The tracking issue the server opened for this pull request, found by its marker among the
/// repository's newest issues (read only when the welcome comment may be written).
pub fn own_tracking_issue(data: &RepositoryData) -> Option<u64> {
    data.our_issues
        .iter()
        .find(|i| welcome::tracks(&i.body) == Some(data.pull.number))
        .map(|i| i.number)
}

/// The welcome comment's text for the pull request, naming `tracking_issue`.
pub fn welcome_text(
    config: &RepoConfig,
    owners: &PullOwners,
    data: &RepositoryData,
    tracking_issue: Option<u64>,
) -> String {
    welcome::render(
        config,
        &merge_readiness::required_checks(config, &data.protection, &data.pull.base_ref),
        &welcome::People {
            author_auto_verified: auto_verified(config, data),
            approvers: &owners.approvers,
            reviewers: &owners.reviewers,
            tracking_issue,
        },
    )
}

/// The tracking issue the welcome comment names.
#[derive(Debug, PartialEq)]
pub enum Tracking {
    /// Opened by an earlier run that failed before the comment was posted.
    Existing(u64),
    New(NewIssue),
}

#[derive(Debug, PartialEq)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub assignee: String,
}

/// What `action` asks beyond labels and check runs. `clean_rebase` is the previous head when
/// this push changed no code.
pub fn extras(
    config: &RepoConfig,
    owners: &PullOwners,
    data: &RepositoryData,
    action: &str,
    clean_rebase: Option<&str>,
) -> Extras {
    let pull = &data.pull;
    let starts = STARTS.contains(&action);
    let mut extras = Extras::default();
    if action != "edited" {
        if pull.assignees.is_empty() && !pull.author.is_empty() {
            extras.assignee = Some(pull.author.clone());
        }
        extras.reviewers = owners
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
    }
    if starts && welcome::find(&pull.our_comments).is_none() {
        let number = pull.number;
        extras.welcome = Some(Welcome {
            issue: (config.create_issue_for_new_pr && !auto_verified(config, data)).then(|| {
                match own_tracking_issue(data) {
                    Some(issue) => Tracking::Existing(issue),
                    None => Tracking::New(NewIssue {
                        title: format!("{} - {number}", pull.title),
                        body: welcome::tracking_issue_body(number),
                        assignee: pull.author.clone(),
                    }),
                }
            }),
        });
    }
    if starts {
        auto_merge(config, data, &mut extras);
    }
    extras
        .comments
        .extend(clean_rebase_note(data, clean_rebase));
    extras
}

/// Native auto-merge for `set-auto-merge-prs` bases and auto-verified authors, unless the pull
/// request touches suspicious paths: then it is turned off, once explained.
fn auto_merge(config: &RepoConfig, data: &RepositoryData, extras: &mut Extras) {
    let pull = &data.pull;
    let want = config.set_auto_merge_prs.contains(&pull.base_ref) || auto_verified(config, data);
    if !want && !pull.auto_merge {
        return;
    }
    let suspicious = security_checks::suspicious_files(config, pull);
    if suspicious.is_empty() {
        if want && !pull.auto_merge {
            extras.auto_merge = Some(true);
        }
        return;
    }
    let explained = pull
        .our_comments
        .iter()
        .any(|c| is_auto_merge_note(&c.body));
    if !explained {
        extras.comments.push(format!(
            "{AUTO_MERGE_BLOCKED} {}\n\n{AUTO_MERGE_BLOCKED_MARKER}",
            suspicious.join(", ")
        ));
    }
    if pull.auto_merge {
        extras.auto_merge = Some(false);
    }
}

/// Tells reviewers why their labels stayed after a push, once per head.
fn clean_rebase_note(data: &RepositoryData, before: Option<&str>) -> Option<String> {
    let before = before?;
    let pull = &data.pull;
    let marker = format!("{CLEAN_REBASE_MARKER} {} -->", pull.head_sha);
    if pull.our_comments.iter().any(|c| c.body.contains(&marker)) {
        return None;
    }
    let short = &before[..before.len().min(7)];
    let mut text = format!(
        "**Clean rebase detected** — no code changes compared to previous head (`{short}`)."
    );
    let kept: Vec<&str> = pull
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
    Some(text)
}

/// The server's checks: the security checks computed from the snapshot (unless a maintainer
/// overrode them at this head, in a run of the App `slug`), and the others queued when they
/// have no run at the head yet.
pub fn own_checks(
    config: &RepoConfig,
    data: &RepositoryData,
    slug: Option<&str>,
) -> Vec<(String, RunState, Option<Output>)> {
    let has_run = |name: &str| data.pull.check_runs.iter().any(|r| r.name == name);
    // Only the server's own run counts: another app may name a run the same.
    let overridden = |name: &str| {
        data.pull.check_runs.iter().any(|r| {
            r.name == name
                && slug.is_some()
                && r.app.as_deref() == slug
                && r.title
                    .as_deref()
                    .is_some_and(|t| t.starts_with(security_checks::OVERRIDDEN))
        })
    };
    let mut checks: Vec<(String, RunState, Option<Output>)> = security_checks(config, data)
        .into_iter()
        .filter(|(name, ..)| !overridden(name))
        .collect();
    checks.extend(
        merge_readiness::own_checks(config)
            .into_iter()
            .filter(|name| !is_security_check(name) && !has_run(name))
            .map(|name| (name, RunState::Queued, None)),
    );
    checks
}

fn is_security_check(name: &str) -> bool {
    name == merge_readiness::SUSPICIOUS_PATHS || name == merge_readiness::COMMITTER_IDENTITY
}

/// The enabled security checks, computed from the snapshot, whatever runs the head has.
pub fn security_checks(
    config: &RepoConfig,
    data: &RepositoryData,
) -> Vec<(String, RunState, Option<Output>)> {
    merge_readiness::own_checks(config)
        .into_iter()
        .filter_map(|name| {
            let (state, output) = match name.as_str() {
                merge_readiness::SUSPICIOUS_PATHS => {
                    security_checks::suspicious_paths(config, &data.pull)
                }
                merge_readiness::COMMITTER_IDENTITY => {
                    let own: Vec<String> = data.viewer.iter().cloned().collect();
                    security_checks::committer_identity(config, &data.pull, &own)
                }
                _ => return None,
            };
            Some((name, state, Some(output)))
        })
        .collect()
}

/// The `verified` check run for the label being there or not.
pub fn verified_state(verified: bool) -> (String, RunState, Option<Output>) {
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
    fn only_the_servers_own_override_keeps_a_security_check_at_its_head() {
        let override_by = |app: &str| crate::snapshot::CheckRun {
            id: 9,
            name: merge_readiness::SUSPICIOUS_PATHS.into(),
            status: "COMPLETED".into(),
            conclusion: Some("SUCCESS".into()),
            title: Some(format!("{} @mia", security_checks::OVERRIDDEN)),
            summary: None,
            app: Some(app.into()),
        };
        let computed = |run: crate::snapshot::CheckRun| {
            let mut data = RepositoryData {
                pull: pull("t", "main", 1, &[]),
                ..RepositoryData::default()
            };
            data.pull.check_runs.push(run);
            own_checks(&config(), &data, Some("gws"))
                .iter()
                .any(|(name, ..)| name == merge_readiness::SUSPICIOUS_PATHS)
        };
        assert!(
            !computed(override_by("gws")),
            "the maintainer's override stands"
        );
        assert!(
            computed(override_by("ci")),
            "another app cannot switch the check off"
        );
    }

    #[test]
    fn the_auto_merge_note_is_known_by_its_marker_or_by_the_words_of_older_notes() {
        assert!(is_auto_merge_note(
            "Reworded: auto-merge stays off\n\n<!-- gws:auto-merge-blocked -->"
        ));
        assert!(is_auto_merge_note(
            "Auto-merge blocked: PR modifies security-sensitive paths: a.yml"
        ));
        assert!(!is_auto_merge_note(
            "<!-- gws:welcome -->\nAuto-merge blocked:"
        ));
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
