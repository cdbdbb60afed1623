//! The `/command` grammar: which lines of a comment (or review body) are commands, and what
//! each asks for. Pure: no I/O, so triage can use it for free.
//!
//! The body is read as markdown (pulldown-cmark). A command is a line of a top-level paragraph
//! that starts with `/`. Code (fenced, indented, inline), block quotes, lists, headings, tables
//! and HTML never hold one, so quoting someone's `/approve` approves nothing. Each command line
//! becomes a typed [`Command`] or a [`CommandError`] that says what is wrong.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The commands and how they are typed, for replies and suggestions.
pub const COMMANDS: &[&str] = &[
    "lgtm",
    "approve",
    "wip",
    "hold",
    "unhold",
    "verified",
    "automerge",
    "assign-reviewers",
    "assign-reviewer",
    "add-allowed-user",
    "check-can-merge",
    "reprocess",
    "regenerate-welcome",
    "security-override",
    "retest",
    "build-and-push-container",
    "cherry-pick",
    "cherry-pick-retry",
    "rebase",
    "test-oracle",
];

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Lgtm {
        cancel: bool,
    },
    Approve {
        cancel: bool,
    },
    Wip {
        cancel: bool,
    },
    /// `/unhold` is `/hold cancel`.
    Hold {
        cancel: bool,
    },
    Verified {
        cancel: bool,
    },
    Automerge {
        cancel: bool,
    },
    AssignReviewers,
    AssignReviewer {
        login: String,
    },
    AddAllowedUser {
        login: String,
    },
    CheckCanMerge,
    Reprocess,
    RegenerateWelcome,
    SecurityOverride {
        cancel: bool,
    },
    Retest(Retest),
    BuildAndPushContainer {
        build_args: Vec<(String, String)>,
    },
    CherryPick {
        branches: Vec<String>,
    },
    CherryPickRetry {
        branch: String,
    },
    Rebase,
    TestOracle,
}

/// Which checks `/retest` runs again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retest {
    /// A bare `/retest`: the checks that failed.
    Failed,
    All,
    Named(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Not a command; a repository label of that name may still be one (`/<label>`).
    #[error("`/{name}` is not a command{}", suggestion.map(|s| format!(" (did you mean `/{s}`?)")).unwrap_or_default())]
    Unknown {
        name: String,
        cancel: bool,
        suggestion: Option<&'static str>,
    },
    #[error("`/{command}` needs {what}")]
    MissingArgument {
        command: &'static str,
        what: &'static str,
    },
    #[error("`/{command}`: {why}")]
    BadArgument { command: &'static str, why: String },
}

/// One command line of a body: its text (trimmed) and what it parses to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub text: String,
    pub parsed: Result<Command, CommandError>,
}

/// Every command line of `body`, in order.
pub fn parse(body: &str) -> Vec<CommandLine> {
    command_lines(body)
        .into_iter()
        .filter_map(|line| {
            let parsed = parse_line(line)?;
            Some(CommandLine {
                text: line.to_string(),
                parsed,
            })
        })
        .collect()
}

/// The commands a comment asks for: all of them when it was created, only those an edit
/// added when it was edited, none otherwise (a deleted comment runs nothing).
pub fn of_comment(action: &str, body: &str, before: Option<&str>) -> Vec<CommandLine> {
    match action {
        "created" => parse(body),
        "edited" => new_in_edit(before.unwrap_or_default(), body),
        _ => Vec::new(),
    }
}

/// The commands that are new in `body` compared with `before` (an edited comment): a line
/// counts as new unless the earlier text held the same line as often.
pub fn new_in_edit(before: &str, body: &str) -> Vec<CommandLine> {
    let mut old: Vec<String> = parse(before).into_iter().map(|c| c.text).collect();
    parse(body)
        .into_iter()
        .filter(|c| match old.iter().position(|o| *o == c.text) {
            Some(i) => {
                old.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

/// The source lines of top-level paragraphs that start with `/`, outside inline code.
fn command_lines(body: &str) -> Vec<&str> {
    let mut paragraphs: Vec<Range<usize>> = Vec::new();
    let mut code: Vec<Range<usize>> = Vec::new();
    // Depth of containers that never hold commands (quotes, lists, tables…).
    let mut nested = 0usize;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match &event {
            Event::Start(Tag::Paragraph) if nested == 0 => paragraphs.push(range),
            Event::Start(tag) if holds_no_commands(tag) => nested += 1,
            Event::End(end) if ends_what_holds_no_commands(*end) => {
                nested = nested.saturating_sub(1);
            }
            Event::Code(_) | Event::InlineHtml(_) | Event::Html(_) => code.push(range),
            _ => {}
        }
    }
    let mut lines = Vec::new();
    for paragraph in paragraphs {
        let mut start = paragraph.start;
        for line in body[paragraph.clone()].split_inclusive('\n') {
            let offset = start + (line.len() - line.trim_start().len());
            start += line.len();
            let text = line.trim();
            if text.starts_with('/') && !code.iter().any(|c| c.contains(&offset)) {
                lines.push(text);
            }
        }
    }
    lines
}

/// Blocks whose text is never a command: quotes, lists, headings, tables, footnotes, code
/// and HTML.
fn holds_no_commands(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::Heading { .. }
            | Tag::Table(_)
            | Tag::FootnoteDefinition(_)
            | Tag::CodeBlock(_)
            | Tag::HtmlBlock
    )
}

fn ends_what_holds_no_commands(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::BlockQuote(_)
            | TagEnd::List(_)
            | TagEnd::Heading(_)
            | TagEnd::Table
            | TagEnd::FootnoteDefinition
            | TagEnd::CodeBlock
            | TagEnd::HtmlBlock
    )
}

/// A command line (starting with `/`) read into a command; `None` when it only looked like
/// one (`/usr/bin`, a lone `/`).
fn parse_line(line: &str) -> Option<Result<Command, CommandError>> {
    let rest = line.strip_prefix('/')?;
    let (word, args) = match rest.split_once(char::is_whitespace) {
        Some((word, args)) => (word, args.trim()),
        None => (rest, ""),
    };
    // The reference strips slashes from the end of the line: `/lgtm/`.
    let word = if args.is_empty() {
        word.trim_end_matches('/')
    } else {
        word
    };
    let looks_like_a_name = word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !looks_like_a_name {
        return None;
    }
    let name = word.to_ascii_lowercase();
    let tokens: Vec<&str> = args.split_whitespace().collect();
    let cancel = tokens == ["cancel"];
    let command = match name.as_str() {
        "lgtm" => Command::Lgtm { cancel },
        "approve" => Command::Approve { cancel },
        "wip" => Command::Wip { cancel },
        "hold" => Command::Hold { cancel },
        "unhold" => Command::Hold { cancel: true },
        "verified" => Command::Verified { cancel },
        "automerge" => Command::Automerge { cancel },
        "security-override" => Command::SecurityOverride { cancel },
        "assign-reviewers" => Command::AssignReviewers,
        "check-can-merge" => Command::CheckCanMerge,
        "reprocess" => Command::Reprocess,
        "regenerate-welcome" => Command::RegenerateWelcome,
        "rebase" => Command::Rebase,
        "test-oracle" => Command::TestOracle,
        "assign-reviewer" => match one_login("assign-reviewer", &tokens) {
            Ok(login) => Command::AssignReviewer { login },
            Err(e) => return Some(Err(e)),
        },
        "add-allowed-user" => match one_login("add-allowed-user", &tokens) {
            Ok(login) => Command::AddAllowedUser { login },
            Err(e) => return Some(Err(e)),
        },
        "retest" => match retest(&tokens) {
            Ok(r) => Command::Retest(r),
            Err(e) => return Some(Err(e)),
        },
        "build-and-push-container" => match build_args(&tokens) {
            Ok(build_args) => Command::BuildAndPushContainer { build_args },
            Err(e) => return Some(Err(e)),
        },
        "cherry-pick" => match branches("cherry-pick", &tokens) {
            Ok(branches) => Command::CherryPick { branches },
            Err(e) => return Some(Err(e)),
        },
        "cherry-pick-retry" => match branches("cherry-pick-retry", &tokens) {
            Ok(mut b) if b.len() == 1 => Command::CherryPickRetry {
                branch: b.remove(0),
            },
            Ok(_) => {
                return Some(Err(CommandError::BadArgument {
                    command: "cherry-pick-retry",
                    why: "accepts exactly one branch name".into(),
                }));
            }
            Err(e) => return Some(Err(e)),
        },
        _ => {
            return Some(Err(CommandError::Unknown {
                suggestion: suggest(&name),
                name,
                cancel,
            }));
        }
    };
    Some(Ok(command))
}

/// The closest command to a mistyped name, if one is close enough to be meant.
fn suggest(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(distance, c)| {
            *distance <= 2.min(c.len() / 2) || c.starts_with(name) && name.len() >= 3
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// A GitHub login: letters, digits and single hyphens, at most 39 characters.
fn is_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn one_login(command: &'static str, tokens: &[&str]) -> Result<String, CommandError> {
    match tokens {
        [] => Err(CommandError::MissingArgument {
            command,
            what: "a user, as `@login`",
        }),
        [one] => {
            let login = one.strip_prefix('@').unwrap_or(one);
            if is_login(login) {
                Ok(login.to_string())
            } else {
                Err(CommandError::BadArgument {
                    command,
                    why: format!("`{one}` is not a GitHub login"),
                })
            }
        }
        _ => Err(CommandError::BadArgument {
            command,
            why: "takes one user".into(),
        }),
    }
}

fn retest(tokens: &[&str]) -> Result<Retest, CommandError> {
    match tokens {
        [] => Ok(Retest::Failed),
        ["all"] => Ok(Retest::All),
        _ if tokens.contains(&"all") => Err(CommandError::BadArgument {
            command: "retest",
            why: "`all` cannot be used with other checks".into(),
        }),
        _ => {
            let mut names: Vec<String> = Vec::new();
            for t in tokens {
                if !names.iter().any(|n| n == t) {
                    names.push(t.to_string());
                }
            }
            Ok(Retest::Named(names))
        }
    }
}

/// Only `--build-arg K=V` (or `--build-arg=K=V`): nothing else reaches `podman build`.
fn build_args(tokens: &[&str]) -> Result<Vec<(String, String)>, CommandError> {
    let bad = |why: String| CommandError::BadArgument {
        command: "build-and-push-container",
        why,
    };
    let mut args = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let pair = if let Some(pair) = tokens[i].strip_prefix("--build-arg=") {
            pair
        } else if tokens[i] == "--build-arg" {
            i += 1;
            tokens
                .get(i)
                .copied()
                .ok_or_else(|| bad("`--build-arg` needs `KEY=VALUE`".into()))?
        } else {
            return Err(bad(format!(
                "only `--build-arg KEY=VALUE` is accepted, not `{}`",
                tokens[i]
            )));
        };
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| bad(format!("`{pair}` is not `KEY=VALUE`")))?;
        let key_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return Err(bad(format!("`{key}` is not a build argument name")));
        }
        args.push((key.to_string(), value.to_string()));
        i += 1;
    }
    Ok(args)
}

/// Branch names, as git accepts them in a ref (the common rules).
fn branches(command: &'static str, tokens: &[&str]) -> Result<Vec<String>, CommandError> {
    if tokens.is_empty() {
        return Err(CommandError::MissingArgument {
            command,
            what: "a branch name",
        });
    }
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        let ok = !t.starts_with('-')
            && !t.starts_with('/')
            && !t.ends_with('/')
            && !t.ends_with(".lock")
            && !t.contains("..")
            && !t.contains("//")
            && !t.contains("@{")
            && t.chars()
                .all(|c| !c.is_control() && !" ~^:?*[\\".contains(c));
        if !ok {
            return Err(CommandError::BadArgument {
                command,
                why: format!("`{t}` is not a branch name"),
            });
        }
        if !out.iter().any(|b| b == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
