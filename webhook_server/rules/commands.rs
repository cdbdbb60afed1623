//! Finding `/commands` in a comment body. Pure: no I/O, so triage can use it for free.
//!
//! A command is a line that starts with `/` at column 0 and names a known command. Lines inside
//! fenced code blocks and quoted lines (`>`) are not commands, so quoting someone's `/approve`
//! does not approve anything.

/// Every command the Python server knows.
pub const KNOWN_COMMANDS: &[&str] = &[
    "retest",
    "reprocess",
    "cherry-pick",
    "cherry-pick-retry",
    "rebase",
    "assign-reviewers",
    "assign-reviewer",
    "add-allowed-user",
    "check-can-merge",
    "build-and-push-container",
    "regenerate-welcome",
    "test-oracle",
    "security-override",
    "hold",
    "verified",
    "wip",
    "lgtm",
    "approve",
    "automerge",
];

/// A command line: its name and the rest of the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine<'a> {
    pub name: &'a str,
    pub args: &'a str,
}

/// Every `/name args` line outside code blocks and quotes, known or not, in order.
pub fn command_lines(body: &str) -> Vec<CommandLine<'_>> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in body.trim().lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let Some(rest) = line.strip_prefix('/') else {
            continue;
        };
        let rest = rest.trim_end().trim_end_matches('/');
        let (name, args) = match rest.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (rest, ""),
        };
        if !name.is_empty() {
            out.push(CommandLine { name, args });
        }
    }
    out
}

/// Whether the body holds at least one known command.
pub fn has_known_command(body: &str) -> bool {
    command_lines(body)
        .iter()
        .any(|c| KNOWN_COMMANDS.contains(&c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands_at_line_start() {
        let cmds = command_lines("/lgtm\nlooks good\n/hold cancel\n  /approve");
        assert_eq!(
            cmds,
            vec![
                CommandLine {
                    name: "lgtm",
                    args: ""
                },
                CommandLine {
                    name: "hold",
                    args: "cancel"
                }
            ]
        );
    }

    #[test]
    fn first_line_may_be_indented_because_the_body_is_trimmed() {
        assert!(has_known_command("   /retest tox"));
    }

    #[test]
    fn code_blocks_and_quotes_are_not_commands() {
        assert!(!has_known_command("```\n/approve\n```"));
        assert!(!has_known_command("> /approve\nquoted"));
        assert!(has_known_command("```\nx\n```\n/approve"));
    }

    #[test]
    fn unknown_commands_and_paths_are_not_known_commands() {
        assert!(!has_known_command("/foo bar"));
        assert!(!has_known_command("see /usr/bin"));
        assert!(!has_known_command("plain text"));
        assert_eq!(command_lines("/usr/bin")[0].name, "usr/bin");
    }

    #[test]
    fn trailing_slashes_are_stripped() {
        assert_eq!(command_lines("/lgtm/")[0].name, "lgtm");
    }
}
