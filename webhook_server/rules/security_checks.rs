//! The two security checks, computed from the snapshot alone (no checkout): changed files under
//! suspicious paths, and a head commit whose committer is not the pull request's author.

use crate::config::RepoConfig;
use crate::rules::check_runs::{Output, RunState};
use crate::snapshot::PullRequest;

/// Opens the title of a security check a maintainer overrode (`/security-override`).
pub const OVERRIDDEN: &str = "Overridden by maintainer";

/// The changed files under a configured suspicious prefix.
pub fn suspicious_files(config: &RepoConfig, pull: &PullRequest) -> Vec<String> {
    let prefixes = &config.security_checks.suspicious_paths;
    pull.files
        .iter()
        .filter(|f| prefixes.iter().any(|p| f.path.starts_with(p.as_str())))
        .map(|f| f.path.clone())
        .collect()
}

/// `security-suspicious-paths`.
pub fn suspicious_paths(config: &RepoConfig, pull: &PullRequest) -> (RunState, Output) {
    let files = suspicious_files(config, pull);
    if files.is_empty() {
        return (
            RunState::Success,
            Output::new(
                "Security: Suspicious Paths",
                "No security-sensitive paths modified",
                "",
            ),
        );
    }
    let list: Vec<String> = files.iter().map(|f| format!("- `{f}`")).collect();
    let prefixes: Vec<String> = config
        .security_checks
        .suspicious_paths
        .iter()
        .map(|p| format!("- `{p}`"))
        .collect();
    let text = format!(
        "Files:\n{}\n\nSuspicious path prefixes:\n{}\n\nA maintainer can accept them with `/security-override`.",
        list.join("\n"),
        prefixes.join("\n")
    );
    (
        RunState::Failure,
        Output::new(
            "❌ Security: Suspicious Paths Detected",
            &format!("{} file(s) modify security-sensitive paths", files.len()),
            &text,
        ),
    )
}

/// `security-committer-identity`: the head commit's committer must be the author, or trusted
/// (`trusted-committers` and the logins the server acts as).
pub fn committer_identity(
    config: &RepoConfig,
    pull: &PullRequest,
    own_logins: &[String],
) -> (RunState, Output) {
    let Some(committer) = &pull.head_committer else {
        return (
            RunState::Failure,
            Output::new(
                "Committer Identity Unknown",
                "The head commit's committer is not linked to a GitHub account",
                "",
            ),
        );
    };
    if committer.eq_ignore_ascii_case(&pull.author) {
        return (
            RunState::Success,
            Output::new(
                "Security: Committer Identity",
                "Committer identity verified",
                "",
            ),
        );
    }
    let trusted = config
        .security_checks
        .trusted_committers
        .iter()
        .chain(own_logins)
        .any(|t| t.eq_ignore_ascii_case(committer))
        || committer == "web-flow";
    if trusted {
        (
            RunState::Success,
            Output::new(
                "Security: Committer Identity",
                &format!("Committer '{committer}' is trusted"),
                "",
            ),
        )
    } else {
        (
            RunState::Failure,
            Output::new(
                "Committer Identity Mismatch",
                &format!(
                    "Committer '{committer}' is not the author '{}' and is not trusted",
                    pull.author
                ),
                "Add the committer to `security-checks.trusted-committers`, or have a maintainer use `/security-override`.",
            ),
        )
    }
}
