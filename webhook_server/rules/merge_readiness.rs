//! Whether a pull request can be merged, as a pure function of the delivery's snapshot and the
//! repository's config: `evaluate` lists what is unmet, in the reference's order and words
//! (the Python server's `can-be-merged` check, its order and wording), and `requirements` renders the same rules for the welcome comment.

use std::collections::BTreeSet;
use std::fmt;

use crate::config::{OwnersApproval, REPO_FILE_NAME, RepoConfig};
use crate::rules::labels::{
    APPROVED_PREFIX, CAN_BE_MERGED, CHANGES_REQUESTED_PREFIX, HAS_CONFLICTS, HOLD, LGTM_PREFIX,
    VERIFIED, WIP, enabled,
};
use crate::rules::owners::PullOwners;
use crate::snapshot::{ProtectionRule, PullRequest, Thread};

pub const TOX: &str = "tox";
pub const PRE_COMMIT: &str = "pre-commit";
pub const BUILD_CONTAINER: &str = "build-container";
pub const PYTHON_MODULE_INSTALL: &str = "python-module-install";
pub const CONVENTIONAL_TITLE: &str = "conventional-title";
pub const SUSPICIOUS_PATHS: &str = "security-suspicious-paths";
pub const COMMITTER_IDENTITY: &str = "security-committer-identity";

/// What is wrong with the repository's `.github-webhook-server.yaml`. Its faulty settings are
/// skipped, not the whole file, as the Python server skipped a bad entry; the owners learn of
/// them from `can-be-merged`, each time it is evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepoFileReport {
    /// Of the version in force, on the default branch: shown, not blocking, since blocking
    /// every pull request would also block the one that fixes it.
    pub in_force: Vec<String>,
    /// Of the version this pull request would merge, when it changes the file: blocking, so a
    /// broken file is fixed before it is in force.
    pub proposed: Vec<String>,
}

impl RepoFileReport {
    /// The note `can-be-merged` carries about the version in force, if it has problems.
    pub fn notice(&self, file: &str, branch: &str) -> Option<String> {
        if self.in_force.is_empty() {
            return None;
        }
        Some(format!(
            "Note: `{file}` on `{branch}` has {} problem(s); those settings are skipped and \
             config.yaml's apply instead:{}",
            self.in_force.len(),
            bullets(&self.in_force)
        ))
    }
}

/// Each item on a line of its own, indented under the line before: `\n  - item`.
fn bullets<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| format!("\n  - {i}")).collect()
}

impl fmt::Display for Thread {
    /// `path:line[ (outdated)] (url)`, as the reference lists a conversation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.outdated {
            f.write_str(" (outdated)")?;
        }
        write!(f, " ({})", self.url)
    }
}

/// One condition that keeps the pull request from being merged.
#[derive(Debug, Clone, PartialEq)]
pub enum Unmet {
    NotMergeable(String),
    ChecksInProgress(Vec<String>),
    Hold,
    Wip,
    ChecksFailed(Vec<String>),
    ChecksNotStarted(Vec<String>),
    /// An approver asked for changes (their `changes-requested-` label).
    ChangesRequested(String),
    MissingLabels(Vec<String>),
    UnresolvedThreads(Vec<Thread>),
    /// No approver of one governing chain has approved; these could.
    MissingApproval(Vec<String>),
    /// OWNERS files that govern the change cannot be used and nobody can stand in for them.
    UnusableOwners(Vec<String>),
    MissingLgtm {
        minimum: u32,
        given: usize,
        reviewers: Vec<String>,
    },
    /// The repository file this pull request brings has problems.
    InvalidRepoFile(Vec<String>),
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmet::NotMergeable(state) => write!(f, "PR is not mergeable: {state}"),
            Unmet::ChecksInProgress(names) => {
                write!(
                    f,
                    "Some required check runs in progress {}",
                    names.join(", ")
                )
            }
            Unmet::Hold => f.write_str("Hold label exists."),
            Unmet::Wip => f.write_str("WIP label exists."),
            Unmet::ChecksFailed(names) => write!(f, "Some check runs failed: {}", names.join(", ")),
            Unmet::ChecksNotStarted(names) => {
                write!(f, "Some check runs not started: {}", names.join(", "))
            }
            Unmet::ChangesRequested(user) => {
                write!(f, "PR has changed requests from approvers ({user})")
            }
            Unmet::MissingLabels(labels) => {
                write!(f, "Missing required labels: {}", labels.join(", "))
            }
            Unmet::UnresolvedThreads(threads) => write!(
                f,
                "PR has {} unresolved review conversation(s):{}",
                threads.len(),
                bullets(threads)
            ),
            Unmet::MissingApproval(approvers) => {
                write!(
                    f,
                    "Missing approved from approvers: {}",
                    approvers.join(", ")
                )
            }
            Unmet::UnusableOwners(files) => write!(
                f,
                "OWNERS files that govern this change cannot be used, and there is no root \
                 approver to stand in for them; fix them:{}",
                bullets(files)
            ),
            Unmet::MissingLgtm {
                minimum,
                given,
                reviewers,
            } => write!(
                f,
                "Missing lgtm from reviewers. Minimum {minimum} required, ({given} given). Reviewers: {}.",
                reviewers.join(", ")
            ),
            Unmet::InvalidRepoFile(problems) => write!(
                f,
                "{REPO_FILE_NAME} in this pull request has {} problem(s); fix them before merging:{}",
                problems.len(),
                bullets(problems)
            ),
        }
    }
}

/// The check runs the server itself queues for a pull request, in the reference's order.
pub fn own_checks(config: &RepoConfig) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |on: bool, name: &str| {
        if on {
            names.push(name.to_string());
        }
    };
    push(config.tox.is_some(), TOX);
    push(config.pre_commit, PRE_COMMIT);
    push(
        config.pypi.as_ref().is_some_and(|p| p.token.is_some()),
        PYTHON_MODULE_INSTALL,
    );
    push(config.container.is_some(), BUILD_CONTAINER);
    push(config.conventional_title.is_some(), CONVENTIONAL_TITLE);
    let security = &config.security_checks;
    push(!security.suspicious_paths.is_empty(), SUSPICIOUS_PATHS);
    push(security.committer_identity_check, COMMITTER_IDENTITY);
    names.extend(config.custom_check_runs.iter().map(|c| c.name.clone()));
    names
}

/// Whether `name` matches a branch protection pattern (`*` is any run of characters but `/`,
/// `**` any run at all).
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p {
            [] => n.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=n.len()).any(|i| go(rest, &n[i..])),
            [b'*', rest @ ..] => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != b'/')
                .any(|i| go(rest, &n[i..])),
            [c, rest @ ..] => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// The checks that must pass, de-duplicated in order: the contexts the base branch's protection
/// requires (none when it has no protection), then `verified` and every enabled check of the
/// server. Unlike the reference, `pre-commit` is required whenever it is enabled, and the
/// security checks and custom checks only when mandatory.
pub fn required_checks(
    config: &RepoConfig,
    protection: &[ProtectionRule],
    base: &str,
) -> Vec<String> {
    let mut required: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if name != CAN_BE_MERGED && !required.iter().any(|r| r == name) {
            required.push(name.to_string());
        }
    };
    // GitHub applies the most specific rule; an exact name beats a pattern.
    let rule = protection
        .iter()
        .find(|r| r.pattern == base)
        .or_else(|| protection.iter().find(|r| glob(&r.pattern, base)));
    for context in rule.iter().flat_map(|r| &r.required_contexts) {
        add(context);
    }
    if config.verified_job {
        add(VERIFIED);
    }
    let security = &config.security_checks;
    for name in own_checks(config) {
        let optional = match name.as_str() {
            SUSPICIOUS_PATHS | COMMITTER_IDENTITY => !security.mandatory,
            custom => config
                .custom_check_runs
                .iter()
                .any(|c| c.name == custom && !c.mandatory),
        };
        if !optional {
            add(&name);
        }
    }
    required
}

fn label_users<'a>(pull: &'a PullRequest, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    pull.labels
        .iter()
        .filter_map(move |l| l.strip_prefix(prefix))
        .map(str::to_ascii_lowercase)
}

fn has_label(pull: &PullRequest, name: &str) -> bool {
    pull.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
}

enum CheckState {
    Passed,
    Failed,
    InProgress,
    NotStarted,
}

/// The state of required check `name` at the head: its newest run, else its status. A status
/// that passed stands in for a run of the same name.
fn check_state(pull: &PullRequest, name: &str) -> CheckState {
    let status = pull.statuses.iter().find(|s| s.context == name);
    let status_ok = status.is_some_and(|s| s.state.eq_ignore_ascii_case("success"));
    let run = pull
        .check_runs
        .iter()
        .filter(|r| r.name == name)
        .max_by_key(|r| r.id);
    match (run, status) {
        (_, _) if status_ok => CheckState::Passed,
        (Some(run), _) => match run.status.to_ascii_lowercase().as_str() {
            "completed" => match run.conclusion.as_deref() {
                Some(c) if c.eq_ignore_ascii_case("success") => CheckState::Passed,
                _ => CheckState::Failed,
            },
            "in_progress" => CheckState::InProgress,
            _ => CheckState::NotStarted,
        },
        (None, Some(s))
            if ["failure", "error"]
                .iter()
                .any(|f| s.state.eq_ignore_ascii_case(f)) =>
        {
            CheckState::Failed
        }
        _ => CheckState::NotStarted,
    }
}

/// Everything that keeps `pull` from being merged; empty when it can be.
pub fn evaluate(
    pull: &PullRequest,
    config: &RepoConfig,
    owners: &PullOwners,
    required: &[String],
    repo_file: &RepoFileReport,
) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    if !pull.mergeable.eq_ignore_ascii_case("mergeable") {
        unmet.push(Unmet::NotMergeable(pull.mergeable.clone()));
    }
    let (mut in_progress, mut failed, mut not_started) = (Vec::new(), Vec::new(), Vec::new());
    for name in required {
        match check_state(pull, name) {
            CheckState::Passed => {}
            CheckState::Failed => failed.push(name.clone()),
            CheckState::InProgress => in_progress.push(name.clone()),
            CheckState::NotStarted => not_started.push(name.clone()),
        }
    }
    if !in_progress.is_empty() {
        unmet.push(Unmet::ChecksInProgress(in_progress));
    }
    if has_label(pull, HOLD) {
        unmet.push(Unmet::Hold);
    }
    if has_label(pull, WIP) {
        unmet.push(Unmet::Wip);
    }
    if !failed.is_empty() {
        unmet.push(Unmet::ChecksFailed(failed));
    }
    if !not_started.is_empty() {
        unmet.push(Unmet::ChecksNotStarted(not_started));
    }
    for user in label_users(pull, CHANGES_REQUESTED_PREFIX) {
        if owners.is_approver(&user) {
            unmet.push(Unmet::ChangesRequested(user));
        }
    }
    let missing: Vec<String> = config
        .can_be_merged_required_labels
        .iter()
        .filter(|l| !has_label(pull, l))
        .cloned()
        .collect();
    if !missing.is_empty() {
        unmet.push(Unmet::MissingLabels(missing));
    }
    if config.branch_protection.required_conversation_resolution
        && !pull.unresolved_threads.is_empty()
    {
        unmet.push(Unmet::UnresolvedThreads(pull.unresolved_threads.clone()));
    }
    let approved: BTreeSet<String> = label_users(pull, APPROVED_PREFIX).collect();
    for group in owners.missing_approvals(&approved) {
        unmet.push(Unmet::MissingApproval(
            group.approvers.iter().cloned().collect(),
        ));
    }
    if !owners.blocking.is_empty() {
        unmet.push(Unmet::UnusableOwners(owners.blocking.clone()));
    }
    if config.minimum_lgtm > 0 {
        let eligible = owners.lgtm_eligible(&pull.author);
        let given = label_users(pull, LGTM_PREFIX)
            .filter(|u| eligible.contains(u))
            .count();
        if given < config.minimum_lgtm as usize && given < eligible.len() {
            unmet.push(Unmet::MissingLgtm {
                minimum: config.minimum_lgtm,
                given,
                reviewers: eligible.into_iter().collect(),
            });
        }
    }
    if !repo_file.proposed.is_empty() {
        unmet.push(Unmet::InvalidRepoFile(repo_file.proposed.clone()));
    }
    unmet
}

/// The welcome comment's numbered "Merge Requirements", from the same rules `evaluate` applies.
pub fn requirements(config: &RepoConfig, required: &[String]) -> Vec<String> {
    let approval = match config.owners_approval {
        OwnersApproval::Default => {
            "`/approve` from a root approver (OWNERS); inside a directory whose OWNERS sets \
             `root-approvers: false`, from an approver of each OWNERS file there instead (and \
             from a root approver too when the change also reaches outside it)"
        }
        OwnersApproval::Prow => {
            "`/approve` from an approver of every changed path: its nearest OWNERS file or one \
             above it"
        }
    };
    let mut lines = vec![approval.to_string()];
    if config.minimum_lgtm > 0 {
        lines.push(format!("Minimum {} `/lgtm`", config.minimum_lgtm));
    }
    if !required.is_empty() {
        let names: Vec<String> = required.iter().map(|r| format!("`{r}`")).collect();
        lines.push(format!("Required checks pass: {}", names.join(", ")));
    }
    let blocking: Vec<&str> = [HOLD, WIP, HAS_CONFLICTS]
        .into_iter()
        .filter(|l| enabled(config, l))
        .collect();
    let blocking: Vec<String> = blocking.iter().map(|l| format!("`{l}`")).collect();
    lines.push(format!(
        "No {} label, and the PR is mergeable",
        blocking.join(" / ")
    ));
    if !config.can_be_merged_required_labels.is_empty() {
        let labels: Vec<String> = config
            .can_be_merged_required_labels
            .iter()
            .map(|l| format!("`{l}`"))
            .collect();
        lines.push(format!("Labels present: {}", labels.join(", ")));
    }
    if config.branch_protection.required_conversation_resolution {
        lines.push("Every review conversation resolved".into());
    }
    if config.verified_job {
        lines.push("Verified (`/verified`)".into());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo_config;
    use crate::rules::owners::resolve;
    use crate::snapshot::{ChangedFile, CheckRun, Status};
    use std::collections::BTreeMap;

    fn pull(labels: &[&str]) -> PullRequest {
        PullRequest {
            number: 1,
            title: "t".into(),
            state: "OPEN".into(),
            mergeable: "MERGEABLE".into(),
            merge_state: "CLEAN".into(),
            author: "author".into(),
            head_ref: "f".into(),
            head_sha: "h".into(),
            base_ref: "main".into(),
            base_sha: "b".into(),
            additions: 1,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            files: vec![ChangedFile {
                path: "src/a.rs".into(),
                additions: 1,
                deletions: 0,
                change_type: "MODIFIED".into(),
            }],
            ..PullRequest::default()
        }
    }

    fn run(id: u64, name: &str, status: &str, conclusion: Option<&str>) -> CheckRun {
        CheckRun {
            id,
            name: name.into(),
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
            title: None,
            summary: None,
            app: Some("gws".into()),
        }
    }

    fn owners(p: &PullRequest) -> PullOwners {
        let texts: BTreeMap<String, String> = [
            ("OWNERS", "approvers: [root]\nreviewers: [r1, r2]\n"),
            ("src/OWNERS", "approvers: [sam]\nreviewers: [r3]\n"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        resolve(&texts, &p.files, OwnersApproval::Default, true)
    }

    fn lines(p: &PullRequest, c: &RepoConfig, required: &[&str]) -> Vec<String> {
        let required: Vec<String> = required.iter().map(|s| s.to_string()).collect();
        evaluate(p, c, &owners(p), &required, &RepoFileReport::default())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn an_approved_mergeable_pull_request_with_passing_checks_can_be_merged() {
        let mut p = pull(&["approved-root"]);
        p.check_runs = vec![run(1, "verified", "COMPLETED", Some("SUCCESS"))];
        assert_eq!(
            lines(&p, &repo_config(""), &["verified"]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn every_condition_in_the_reference_order() {
        let mut p = pull(&["hold", "wip", "changes-requested-sam"]);
        p.mergeable = "CONFLICTING".into();
        p.check_runs = vec![
            run(1, "tox", "IN_PROGRESS", None),
            run(2, "build-container", "COMPLETED", Some("FAILURE")),
            run(3, "verified", "QUEUED", None),
        ];
        let c = repo_config("minimum-lgtm: 1\ncan-be-merged-required-labels: [qe-approved]\n");
        assert_eq!(
            lines(
                &p,
                &c,
                &["tox", "build-container", "verified", "ci/jenkins"]
            ),
            [
                "PR is not mergeable: CONFLICTING",
                "Some required check runs in progress tox",
                "Hold label exists.",
                "WIP label exists.",
                "Some check runs failed: build-container",
                "Some check runs not started: verified, ci/jenkins",
                "PR has changed requests from approvers (sam)",
                "Missing required labels: qe-approved",
                "Missing approved from approvers: root",
                "Missing lgtm from reviewers. Minimum 1 required, (0 given). Reviewers: r1, r2, r3, root.",
            ]
        );
    }

    #[test]
    fn a_status_that_passed_stands_in_for_a_run_and_failed_statuses_fail() {
        let mut p = pull(&["approved-root"]);
        p.check_runs = vec![run(1, "ci", "COMPLETED", Some("FAILURE"))];
        p.statuses = vec![
            Status {
                context: "ci".into(),
                state: "SUCCESS".into(),
            },
            Status {
                context: "lint".into(),
                state: "ERROR".into(),
            },
            Status {
                context: "slow".into(),
                state: "PENDING".into(),
            },
        ];
        assert_eq!(
            lines(&p, &repo_config(""), &["ci", "lint", "slow"]),
            [
                "Some check runs failed: lint",
                "Some check runs not started: slow"
            ]
        );
    }

    #[test]
    fn the_newest_run_of_a_name_counts() {
        let mut p = pull(&["approved-root"]);
        p.check_runs = vec![
            run(5, "tox", "COMPLETED", Some("SUCCESS")),
            run(2, "tox", "COMPLETED", Some("FAILURE")),
        ];
        assert!(lines(&p, &repo_config(""), &["tox"]).is_empty());
        p.check_runs[0].conclusion = Some("NEUTRAL".into());
        assert_eq!(
            lines(&p, &repo_config(""), &["tox"]),
            ["Some check runs failed: tox"]
        );
    }

    #[test]
    fn unusable_owners_files_and_a_broken_proposed_repo_file_block() {
        let p = pull(&["approved-sam"]);
        let texts: BTreeMap<String, String> = [
            ("OWNERS", "reviewers: [r1]\n"),
            ("src/OWNERS", "approvers: [sam]\n"),
            ("src/a.rs/OWNERS", "approvers: [x\n"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let owners = resolve(&texts, &[], OwnersApproval::Default, true);
        assert!(owners.blocking.is_empty(), "governs none of no files");
        let mut q = p.clone();
        q.files[0].path = "src/a.rs/inner.rs".into();
        let owners = resolve(&texts, &q.files, OwnersApproval::Default, true);
        let report = RepoFileReport {
            in_force: vec!["line 1: a: b".into()],
            proposed: vec!["line 2: minimum-lgtm: \"x\" is not of type \"integer\"".into()],
        };
        let unmet: Vec<String> = evaluate(&q, &repo_config(""), &owners, &[], &report)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(unmet.len(), 2, "{unmet:?}");
        assert!(unmet[0].starts_with(
            "OWNERS files that govern this change cannot be used, and there is no root approver \
             to stand in for them; fix them:\n  - src/a.rs/OWNERS: "
        ));
        assert_eq!(
            unmet[1],
            ".github-webhook-server.yaml in this pull request has 1 problem(s); fix them before \
             merging:\n  - line 2: minimum-lgtm: \"x\" is not of type \"integer\""
        );
        assert_eq!(
            report
                .notice(".github-webhook-server.yaml", "main")
                .unwrap(),
            "Note: `.github-webhook-server.yaml` on `main` has 1 problem(s); those settings are \
             skipped and config.yaml's apply instead:\n  - line 1: a: b"
        );
        assert_eq!(RepoFileReport::default().notice("f", "main"), None);
    }

    #[test]
    fn changes_requested_by_a_non_approver_does_not_block() {
        let p = pull(&["approved-root", "changes-requested-r1"]);
        assert!(lines(&p, &repo_config(""), &[]).is_empty());
    }

    #[test]
    fn minimum_lgtm_counts_only_eligible_users_and_never_the_author() {
        let c = repo_config("minimum-lgtm: 2\n");
        let p = pull(&["approved-root", "lgtm-r1", "lgtm-stranger", "lgtm-author"]);
        assert_eq!(
            lines(&p, &c, &[]),
            [
                "Missing lgtm from reviewers. Minimum 2 required, (1 given). Reviewers: r1, r2, r3, root."
            ]
        );
        let p = pull(&["approved-root", "lgtm-r1", "lgtm-R2"]);
        assert!(lines(&p, &c, &[]).is_empty());
    }

    #[test]
    fn lgtm_from_every_eligible_user_is_enough_even_below_the_minimum() {
        let c = repo_config("minimum-lgtm: 5\n");
        let p = pull(&[
            "approved-root",
            "lgtm-r1",
            "lgtm-r2",
            "lgtm-r3",
            "lgtm-root",
        ]);
        assert!(lines(&p, &c, &[]).is_empty());
    }

    #[test]
    fn unresolved_threads_block_only_when_resolution_is_required() {
        let mut p = pull(&["approved-root"]);
        p.unresolved_threads = vec![Thread {
            path: "src/a.rs".into(),
            line: Some(3),
            outdated: true,
            url: "https://x/1".into(),
        }];
        let on = repo_config("");
        let unmet = evaluate(&p, &on, &owners(&p), &[], &RepoFileReport::default());
        assert_eq!(
            unmet[0].to_string(),
            "PR has 1 unresolved review conversation(s):\n  - src/a.rs:3 (outdated) (https://x/1)"
        );
        let off = repo_config("branch-protection:\n  required_conversation_resolution: false\n");
        assert!(evaluate(&p, &off, &owners(&p), &[], &RepoFileReport::default()).is_empty());
    }

    #[test]
    fn required_checks_follow_protection_and_config() {
        let rules = vec![
            ProtectionRule {
                pattern: "release-*".into(),
                required_contexts: vec!["ci/release".into()],
                strict: false,
                required_approvals: 0,
            },
            ProtectionRule {
                pattern: "main".into(),
                required_contexts: vec![
                    "ci/main".into(),
                    "verified".into(),
                    "can-be-merged".into(),
                ],
                strict: false,
                required_approvals: 0,
            },
        ];
        let c = repo_config(
            "pre-commit: true\nconventional-title: feat,fix\ncustom-check-runs:\n  \
             - {name: lint, command: 'true'}\n  - {name: docs, command: 'true', mandatory: false}\n",
        );
        assert_eq!(
            required_checks(&c, &rules, "main"),
            [
                "ci/main",
                "verified",
                "pre-commit",
                "conventional-title",
                "security-suspicious-paths",
                "security-committer-identity",
                "lint"
            ]
        );
        let advisory = repo_config("verified-job: false\nsecurity-checks:\n  mandatory: false\n");
        assert_eq!(
            required_checks(&advisory, &rules, "release-1.0"),
            ["ci/release"]
        );
        assert!(required_checks(&advisory, &[], "main").is_empty());
    }

    #[test]
    fn protection_patterns_glob_like_github() {
        assert!(glob("release-*", "release-1.0"));
        assert!(!glob("release-*", "release/1.0"));
        assert!(glob("release/**", "release/1/2"));
        assert!(!glob("main", "main2"));
    }

    #[test]
    fn requirements_render_the_configured_rules() {
        let c = repo_config("minimum-lgtm: 2\ncan-be-merged-required-labels: [qe]\n");
        let required = required_checks(&c, &[], "main");
        let text = requirements(&c, &required).join("\n");
        assert!(text.contains("Minimum 2 `/lgtm`"));
        assert!(text.contains("`verified`"));
        assert!(text.contains("Labels present: `qe`"));
    }
}
