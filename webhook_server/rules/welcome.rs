//! The welcome comment: the Python server's sections (tips, commands, merge requirements, reviewers), one per pull request. A hidden
//! marker, not the reference's "Report bugs" link, identifies it, so it is found again and
//! edited in place; a second marker remembers the tracking issue opened with it.

use std::collections::BTreeSet;

use crate::config::{LabelCategory, RepoConfig};
use crate::rules::labels::category_enabled;
use crate::rules::merge_readiness::{self, CONVENTIONAL_TITLE};
use crate::snapshot::{Comment, TRACKS_MARKER};

pub use crate::snapshot::WELCOME_MARKER as MARKER;
const TRACKING_MARKER: &str = "<!-- gws:tracking-issue ";

/// The pull request's welcome comment among the server's own comments.
pub fn find(comments: &[Comment]) -> Option<&Comment> {
    comments.iter().find(|c| c.body.contains(MARKER))
}

/// The tracking issue a welcome comment remembers.
pub fn tracking_issue(body: &str) -> Option<u64> {
    let rest = &body[body.find(TRACKING_MARKER)? + TRACKING_MARKER.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// The pull request a tracking issue the server opened is for, from its marker.
pub fn tracks(body: &str) -> Option<u64> {
    let rest = &body[body.find(TRACKS_MARKER)? + TRACKS_MARKER.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

/// A tracking issue's body: the reference's text, and the marker it is found again by.
pub fn tracking_issue_body(number: u64) -> String {
    format!("[Auto generated]\nNumber: [#{number}]\n{TRACKS_MARKER}{number} -->")
}

/// What the comment says about this pull request's people.
pub struct People<'a> {
    pub author_auto_verified: bool,
    pub approvers: &'a BTreeSet<String>,
    pub reviewers: &'a BTreeSet<String>,
    pub tracking_issue: Option<u64>,
}

fn list(users: &BTreeSet<String>) -> String {
    if users.is_empty() {
        "- none".into()
    } else {
        users
            .iter()
            .map(|u| format!("- @{u}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The comment's full text.
pub fn render(config: &RepoConfig, required: &[String], people: &People) -> String {
    let on = |category| category_enabled(config, category);
    let mut s = String::new();
    s.push_str(MARKER);
    if let Some(n) = people.tracking_issue {
        s.push_str(&format!("\n{TRACKING_MARKER}{n} -->"));
    }
    s.push_str("\n## Welcome! 🎉\n\n");
    if people.author_auto_verified {
        s.push_str("You are an auto-verified user: your pull requests are verified automatically and may be merged automatically.\n\n");
    }
    s.push_str("### 🔄 Automatic Actions\n");
    s.push_str(
        "- **Reviewers** are requested from the OWNERS files that govern the changed paths\n",
    );
    if on(LabelCategory::Size) {
        s.push_str("- **Size label** (`size/XS` … `size/XXL`, or this repository's buckets) follows the diff\n");
    }
    match (config.create_issue_for_new_pr, people.tracking_issue) {
        (true, Some(n)) => s.push_str(&format!("- **Tracking issue**: #{n}\n")),
        (true, None) => s.push_str("- **Tracking issue**: created for new pull requests\n"),
        (false, _) => s.push_str("- **Tracking issue**: Disabled for this repository\n"),
    }
    if config.pre_commit {
        s.push_str("- **Pre-commit** runs on every push\n");
    }
    if on(LabelCategory::Branch) {
        s.push_str("- **Branch label** `branch-<base>` names the target branch\n");
    }
    if config.verified_job {
        s.push_str("- **Verification**: new commits reset `verified`, except a clean rebase\n");
    }
    s.push_str(&format!("- **Labels**: {}\n", labels_line(config)));
    s.push_str("\n### 📋 Available Commands\n\n#### PR Status Management\n");
    for (category, line) in [
        (
            LabelCategory::Wip,
            "- `/wip` / `/wip cancel`: mark or unmark work in progress",
        ),
        (
            LabelCategory::Hold,
            "- `/hold` / `/hold cancel`: block or unblock merging (PR author or approvers)",
        ),
        (
            LabelCategory::Verified,
            "- `/verified` / `/verified cancel`: mark or unmark verified",
        ),
    ] {
        if on(category) {
            s.push_str(line);
            s.push('\n');
        }
    }
    s.push_str("- `/reprocess`: run the pull request workflow again\n");
    s.push_str("- `/regenerate-welcome`: rewrite this comment\n");
    if config.security_checks.mandatory {
        s.push_str("- `/security-override` / `/security-override cancel`: accept or re-run the security checks (maintainers)\n");
    }
    s.push_str("\n#### Review & Approval\n- `/lgtm` / `/lgtm cancel`\n- `/approve` / `/approve cancel` (approvers)\n");
    if on(LabelCategory::Automerge) {
        s.push_str(
            "- `/automerge`: merge once `can-be-merged` passes (maintainers and approvers)\n",
        );
    }
    s.push_str("- `/assign-reviewers`, `/assign-reviewer @user`\n- `/check-can-merge`\n");
    s.push_str("\n#### Testing & Validation\n");
    let retest: Vec<String> = merge_readiness::own_checks(config)
        .into_iter()
        .filter(|c| !c.starts_with("security-"))
        .map(|c| {
            let optional = config
                .custom_check_runs
                .iter()
                .any(|x| x.name == c && !x.mandatory);
            format!(
                "- `/retest {c}`{}",
                if optional { " (optional)" } else { "" }
            )
        })
        .collect();
    if retest.is_empty() {
        s.push_str("No retest actions are configured for this repository\n");
    } else {
        s.push_str(&retest.join("\n"));
        s.push_str("\n- `/retest all`\n");
    }
    if config.container.is_some() {
        s.push_str(
            "\n#### Container Operations\n- `/build-and-push-container [--build-arg KEY=value]`\n",
        );
    }
    if on(LabelCategory::CherryPick) {
        s.push_str("\n#### Cherry-pick Operations\n- `/cherry-pick <branch> [<branch>…]`\n- `/cherry-pick-retry <branch>`\n");
    }
    s.push_str("\n#### Branch Management\n- `/rebase`\n");
    s.push_str("\n### ✅ Merge Requirements\n");
    for (i, line) in merge_readiness::requirements(config, required)
        .iter()
        .enumerate()
    {
        s.push_str(&format!("{}. {line}\n", i + 1));
    }
    s.push_str(
        "\n### 📊 Review Process\n<details>\n<summary>Approvers and Reviewers</summary>\n\n",
    );
    s.push_str(&format!(
        "**Approvers:**\n{}\n\n**Reviewers:**\n{}\n</details>\n",
        list(people.approvers),
        list(people.reviewers)
    ));
    if config.security_checks.committer_identity_check
        || !config.security_checks.suspicious_paths.is_empty()
    {
        let paths: Vec<String> = config
            .security_checks
            .suspicious_paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect();
        s.push_str(&format!(
            "\n<details>\n<summary>Security Checks</summary>\n\n- Suspicious paths: {}\n- Committer identity check: {}\n- {}\n</details>\n",
            if paths.is_empty() { "none".into() } else { paths.join(", ") },
            if config.security_checks.committer_identity_check { "on" } else { "off" },
            if config.security_checks.mandatory {
                "**Mandatory**: failures block merging; maintainers may `/security-override`"
            } else {
                "**Advisory**: failures do not block merging"
            }
        ));
    }
    s.push_str("\n### 💡 Tips\n- Start the title with `WIP:` to mark work in progress\n");
    if config.verified_job {
        s.push_str("- Verification is dropped on new commits unless the push is a clean rebase\n");
    }
    if config.conventional_title.is_some() {
        s.push_str(&format!(
            "- The title must follow Conventional Commits (`{CONVENTIONAL_TITLE}` check)\n"
        ));
    }
    if !config.welcome_extra_info.trim().is_empty() {
        s.push_str("\n### 📌 Additional Information\n");
        s.push_str(config.welcome_extra_info.trim());
        s.push('\n');
    }
    s
}

fn labels_line(config: &RepoConfig) -> String {
    match &config.labels.enabled_labels {
        None => "All label categories are enabled (default configuration)".into(),
        Some(c) if c.is_empty() => {
            "All configurable labels are disabled (only reviewed-by labels are active)".into()
        }
        Some(categories) => {
            let mut names: Vec<String> = categories.iter().map(LabelCategory::name).collect();
            names.sort();
            format!("Enabled categories: {}", names.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::repo_config;

    #[test]
    fn the_comment_carries_its_markers_and_the_reference_sections() {
        let approvers = ["alice".to_string()].into_iter().collect();
        let reviewers = BTreeSet::new();
        let c = repo_config("minimum-lgtm: 1\nlabels:\n  enabled-labels: [hold, size]\n");
        let text = render(
            &c,
            &["verified".into()],
            &People {
                author_auto_verified: false,
                approvers: &approvers,
                reviewers: &reviewers,
                tracking_issue: Some(42),
            },
        );
        assert!(text.starts_with(MARKER));
        assert_eq!(tracking_issue(&text), Some(42));
        for section in [
            "## Welcome! 🎉",
            "### 🔄 Automatic Actions",
            "### 📋 Available Commands",
            "### ✅ Merge Requirements",
            "### 📊 Review Process",
            "### 💡 Tips",
        ] {
            assert!(text.contains(section), "{section} missing");
        }
        assert!(text.contains("- `/hold` / `/hold cancel`"));
        assert!(!text.contains("`/wip`"), "wip is disabled");
        assert!(text.contains("Enabled categories: hold, size"));
        assert!(text.contains("2. Minimum 1 `/lgtm`"));
        assert!(text.contains("- @alice"));
    }

    #[test]
    fn a_comment_without_the_tracking_marker_names_no_issue() {
        assert_eq!(tracking_issue("<!-- gws:welcome -->\nhello #12"), None);
    }
}
