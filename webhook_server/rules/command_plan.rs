//! What a comment's commands ask of the pull request, once each is authorised: labels, check
//! runs, the title, review requests, and one reply. Pure: the handler reads what it needs and
//! applies the plan through the same desired-state diff as every other event.

use super::check_runs::{Output, RunState};
use super::commands::{self, Command, CommandError, CommandLine};
use super::labels::{
    APPROVED_PREFIX, AUTOMERGE, BRANCH_PREFIX, CAN_BE_MERGED, CHANGES_REQUESTED_PREFIX,
    COMMENTED_PREFIX, HAS_CONFLICTS, HOLD, LGTM_PREFIX, NEEDS_REBASE, SIZE_PREFIX, VERIFIED, WIP,
};
use super::merge_readiness::{COMMITTER_IDENTITY, SUSPICIOUS_PATHS, own_checks};
use super::permissions::{People, audience};
use super::security_checks::OVERRIDDEN;
use crate::config::RepoConfig;
use crate::snapshot::{PullRequest, RepositoryData};

/// Labels the cherry-pick command adds, one per target branch.
pub const CHERRY_PICK_PREFIX: &str = "cherry-pick-";
/// Marks the server's reply to one comment, so a redelivery does not reply again.
const REPLY_MARKER: &str = "<!-- gws:reply-to ";

/// Labels only the server sets, which `/<label>` may not touch.
const RESERVED: &[&str] = &[
    WIP,
    HOLD,
    VERIFIED,
    AUTOMERGE,
    CAN_BE_MERGED,
    HAS_CONFLICTS,
    NEEDS_REBASE,
];
const RESERVED_PREFIXES: &[&str] = &[
    LGTM_PREFIX,
    APPROVED_PREFIX,
    CHANGES_REQUESTED_PREFIX,
    COMMENTED_PREFIX,
    BRANCH_PREFIX,
    SIZE_PREFIX,
    CHERRY_PICK_PREFIX,
];

/// Everything a comment's commands ask, after authorisation.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub want: Vec<String>,
    pub unwanted: Vec<String>,
    pub checks: Vec<(String, RunState, Option<Output>)>,
    pub title: Option<String>,
    /// `/assign-reviewers`: the OWNERS reviewers are asked again.
    pub owners_reviewers: bool,
    /// `/assign-reviewer @u`: collaborators to ask.
    pub review_requests: Vec<String>,
    /// Branches `/cherry-pick` names on an open pull request: each gets its label if it
    /// exists, which only GitHub can say.
    pub cherry_picks: Vec<String>,
    /// `/reprocess`: the pull request is handled as when it was opened.
    pub reprocess: bool,
    /// `/regenerate-welcome`: the welcome comment is written again from the current config.
    pub regenerate_welcome: bool,
    /// Authorised commands that run code, for the runner.
    pub jobs: Vec<Command>,
    pub replies: Vec<String>,
    /// Whether every command was allowed and done: 👍, else 😕.
    pub all_done: bool,
    /// Every command fell to the draft gate with commands on drafts off: nothing is answered.
    pub ignored: bool,
}

/// `/cherry-pick` on an open pull request, once GitHub said which `branches` exist: a label
/// per existing branch not labelled yet, and a reply naming the rest.
pub fn cherry_pick_labels(
    plan: &mut Plan,
    pull: &PullRequest,
    user: &str,
    branches: &[(String, bool)],
) {
    let mut missing = Vec::new();
    let mut present = Vec::new();
    let mut added = Vec::new();
    for (branch, exists) in branches {
        let label = format!("{CHERRY_PICK_PREFIX}{branch}");
        if !exists {
            missing.push(format!("Target branch `{branch}` does not exist"));
        } else if pull.labels.contains(&label) {
            present.push(format!("`{branch}`"));
        } else {
            added.push(label);
        }
    }
    if !missing.is_empty() {
        plan.replies.push(missing.join("\n"));
        plan.all_done = false;
    }
    if !present.is_empty() {
        plan.replies.push(format!(
            "Cherry-pick label already present for: {}. To request it again, remove the label \
             and run the command again.",
            present.join(", ")
        ));
    }
    if !added.is_empty() {
        plan.replies.push(format!(
            "Cherry-pick requested for PR: `{}` by user `{user}`\nAdding label/s {} for \
             automatic cherry-pick once the PR is merged",
            pull.title,
            added
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        plan.want.extend(added);
    }
}

/// The reply text for a comment, carrying the marker that finds it again.
pub fn reply_body(comment_id: u64, replies: &[String]) -> String {
    format!("{REPLY_MARKER}{comment_id} -->\n{}", replies.join("\n\n"))
}

/// Whether one of the server's comments is its reply to `comment_id`.
pub fn is_reply_to(body: &str, comment_id: u64) -> bool {
    body.starts_with(&format!("{REPLY_MARKER}{comment_id} -->"))
}

/// The plan for `lines`, written by `user`.
pub fn plan(
    config: &RepoConfig,
    data: &RepositoryData,
    people: &People,
    user: &str,
    lines: &[CommandLine],
) -> Plan {
    let mut plan = Plan {
        all_done: true,
        ..Plan::default()
    };
    let mut ignored = 0;
    for line in lines {
        let (command, name) = match &line.parsed {
            Ok(command) => (Some(command), command_name(command)),
            Err(CommandError::Unknown { name, .. }) if is_free_label(data, name) => {
                (None, name.as_str())
            }
            Err(e) => {
                plan.replies.push(with_help(e));
                plan.all_done = false;
                continue;
            }
        };
        match draft_gate(config, data, name) {
            Gate::Open => {}
            Gate::Ignored => {
                ignored += 1;
                continue;
            }
            Gate::Refused(reply) => {
                plan.replies.push(reply);
                plan.all_done = false;
                continue;
            }
        }
        let Some(command) = command else {
            if let Err(CommandError::Unknown { name, cancel, .. }) = &line.parsed {
                label_command(&mut plan, people, user, name, *cancel);
            }
            continue;
        };
        if let Err(refusal) = people.allows(audience(command), user) {
            plan.replies.push(refusal.message(user, name, people));
            plan.all_done = false;
            continue;
        }
        apply(&mut plan, config, data, user, command);
    }
    plan.ignored = !lines.is_empty() && ignored == lines.len();
    plan
}

/// What the draft gate says of command `name`.
enum Gate {
    Open,
    /// Commands on drafts are off (the reference's default): as if never typed.
    Ignored,
    Refused(String),
}

fn draft_gate(config: &RepoConfig, data: &RepositoryData, name: &str) -> Gate {
    if !data.pull.draft || name == "test-oracle" {
        return Gate::Open;
    }
    match &config.allow_commands_on_draft_prs {
        None => Gate::Ignored,
        Some(allowed) if !allowed.is_empty() && !allowed.iter().any(|a| a == name) => {
            Gate::Refused(format!(
                "Command `/{name}` is not allowed on draft PRs.\nAllowed commands on draft PRs: {}",
                allowed
                    .iter()
                    .map(|a| format!("`/{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        Some(_) => Gate::Open,
    }
}

/// An allowed command's effects.
fn apply(
    plan: &mut Plan,
    config: &RepoConfig,
    data: &RepositoryData,
    user: &str,
    command: &Command,
) {
    let pull = &data.pull;
    let login = user.to_ascii_lowercase();
    let mut toggle = |label: String, cancel: bool| {
        if cancel {
            plan.unwanted.push(label);
        } else {
            plan.want.push(label);
        }
    };
    match command {
        Command::Lgtm { cancel } => {
            toggle(format!("{LGTM_PREFIX}{login}"), *cancel);
            if !cancel {
                plan.unwanted
                    .push(format!("{CHANGES_REQUESTED_PREFIX}{login}"));
            }
        }
        Command::Approve { cancel } => {
            toggle(format!("{APPROVED_PREFIX}{login}"), *cancel);
            if !cancel {
                plan.unwanted
                    .push(format!("{CHANGES_REQUESTED_PREFIX}{login}"));
            }
        }
        Command::Hold { cancel } => toggle(HOLD.into(), *cancel),
        Command::Automerge { cancel } => toggle(AUTOMERGE.into(), *cancel),
        Command::Wip { cancel } => {
            toggle(WIP.into(), *cancel);
            plan.title = wip_title(&pull.title, !cancel);
        }
        Command::Verified { cancel } => {
            toggle(VERIFIED.into(), *cancel);
            if config.verified_job {
                let state = if *cancel {
                    RunState::Queued
                } else {
                    RunState::Success
                };
                plan.checks.push((VERIFIED.into(), state, None));
            }
        }
        Command::AssignReviewers => plan.owners_reviewers = true,
        Command::AssignReviewer { login } => {
            if data.collaborators.contains_key(&login.to_ascii_lowercase()) {
                plan.review_requests.push(login.clone());
            } else {
                plan.replies.push(format!(
                    "not adding reviewer {login} by user comment, {login} is not a repository collaborator"
                ));
                plan.all_done = false;
            }
        }
        Command::AddAllowedUser { login } => plan
            .replies
            .push(format!("{login} is now allowed to run commands")),
        // Settling the pull request evaluates it again, whatever else the comment asks.
        Command::CheckCanMerge => {}
        Command::Reprocess if pull.state == "OPEN" => plan.reprocess = true,
        Command::Reprocess => {
            plan.replies
                .push("Nothing to reprocess: the pull request is not open.".into());
            plan.all_done = false;
        }
        Command::SecurityOverride { cancel } => {
            security_override(plan, config, data, user, *cancel)
        }
        Command::CherryPick { branches } if pull.state == "OPEN" => {
            plan.cherry_picks.extend(branches.iter().cloned());
        }
        Command::CherryPick { .. } if !pull.merged => {
            plan.replies.push(
                "Nothing to cherry-pick: the pull request was closed without merging.".into(),
            );
            plan.all_done = false;
        }
        Command::RegenerateWelcome => plan.regenerate_welcome = true,
        Command::Retest(_)
        | Command::BuildAndPushContainer { .. }
        | Command::CherryPick { .. }
        | Command::CherryPickRetry { .. }
        | Command::Rebase
        | Command::TestOracle => plan.jobs.push(command.clone()),
    }
}

fn security_override(
    plan: &mut Plan,
    config: &RepoConfig,
    data: &RepositoryData,
    user: &str,
    cancel: bool,
) {
    let enabled: Vec<String> = own_checks(config)
        .into_iter()
        .filter(|c| c == SUSPICIOUS_PATHS || c == COMMITTER_IDENTITY)
        .collect();
    if enabled.is_empty() {
        plan.replies
            .push("No security checks are enabled — nothing to override.".into());
        plan.all_done = false;
        return;
    }
    if cancel {
        plan.checks
            .extend(super::pull_request::security_checks(config, data));
        plan.replies.push(format!(
            "Security override removed by @{user}. Security checks re-run."
        ));
        return;
    }
    for name in enabled {
        plan.checks.push((
            name,
            RunState::Success,
            Some(Output::new(
                &format!("{OVERRIDDEN} @{user}"),
                "Security check overridden by maintainer",
                "Comment `/security-override cancel` to run the security checks again.",
            )),
        ));
    }
    plan.replies.push(format!(
        "Security checks overridden by @{user}. Security check runs set to pass."
    ));
}

/// `/<label>` on a label of the repository that only people set.
fn label_command(plan: &mut Plan, people: &People, user: &str, label: &str, cancel: bool) {
    match people.allows(super::permissions::Audience::ValidUsers, user) {
        Ok(()) => {
            if cancel {
                plan.unwanted.push(label.to_string());
            } else {
                plan.want.push(label.to_string());
            }
        }
        Err(refusal) => {
            plan.replies.push(refusal.message(user, label, people));
            plan.all_done = false;
        }
    }
}

/// Whether `name` is a repository label that `/<label>` may set.
fn is_free_label(data: &RepositoryData, name: &str) -> bool {
    let Some(label) = data
        .repo_labels
        .keys()
        .find(|l| l.eq_ignore_ascii_case(name))
    else {
        return false;
    };
    let lower = label.to_ascii_lowercase();
    !RESERVED.contains(&lower.as_str()) && !RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
}

/// The reply to a line that is not a valid command.
fn with_help(error: &CommandError) -> String {
    match error {
        CommandError::Unknown { .. } => format!(
            "{error}. Commands: {}.",
            commands::COMMANDS
                .iter()
                .map(|c| format!("`/{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!("{error}."),
    }
}

/// The title after `/wip` (`on`) or `/wip cancel`, when it changes.
fn wip_title(title: &str, on: bool) -> Option<String> {
    let rest = title
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("wip:"))
        .map(|_| &title[4..]);
    match (on, rest) {
        (true, None) => Some(format!("WIP: {title}")),
        (false, Some(rest)) => Some(rest.trim_start().to_string()),
        _ => None,
    }
}

/// The name a command is typed as (`/hold cancel` and `/unhold` are both `hold`).
pub fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Lgtm { .. } => "lgtm",
        Command::Approve { .. } => "approve",
        Command::Wip { .. } => "wip",
        Command::Hold { .. } => "hold",
        Command::Verified { .. } => "verified",
        Command::Automerge { .. } => "automerge",
        Command::AssignReviewers => "assign-reviewers",
        Command::AssignReviewer { .. } => "assign-reviewer",
        Command::AddAllowedUser { .. } => "add-allowed-user",
        Command::CheckCanMerge => "check-can-merge",
        Command::Reprocess => "reprocess",
        Command::RegenerateWelcome => "regenerate-welcome",
        Command::SecurityOverride { .. } => "security-override",
        Command::Retest(_) => "retest",
        Command::BuildAndPushContainer { .. } => "build-and-push-container",
        Command::CherryPick { .. } => "cherry-pick",
        Command::CherryPickRetry { .. } => "cherry-pick-retry",
        Command::Rebase => "rebase",
        Command::TestOracle => "test-oracle",
    }
}

#[cfg(test)]
mod tests;
