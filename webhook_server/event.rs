//! A delivery's payload as the server reads it. The queue keeps the raw bytes; here they become
//! small structs holding only the fields triage and the handlers use, one per event the server
//! handles. A payload that lacks a field the server needs is refused with an error that names
//! the field, before anything acts on it.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

/// Why a payload cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("`{event}` payload: {path}: {message}")]
pub struct EventError {
    pub event: String,
    /// Where in the payload, e.g. `pull_request.number`; `.` for the whole document.
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Event {
    /// `X-GitHub-Event`.
    pub name: String,
    /// Empty when the event has none.
    pub action: String,
    pub repository: Option<Repository>,
    pub sender: Option<User>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    PullRequest(PullRequestEvent),
    IssueComment(IssueCommentEvent),
    Review(ReviewEvent),
    ReviewThread(ReviewThreadEvent),
    CheckRun(CheckRunEvent),
    Status(StatusEvent),
    Push(PushEvent),
    /// An event no handler reads beyond its repository and action.
    Other,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Repository {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub full_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct User {
    pub login: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PullRequestEvent {
    pub pull_request: PullRequest,
    #[serde(default)]
    pub label: Option<Label>,
    /// The head before a `synchronize`.
    #[serde(default)]
    pub before: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    /// Present when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<IgnoredAny>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IssueCommentEvent {
    pub issue: Issue,
    pub comment: Comment,
    /// On `edited`: what the comment said before.
    #[serde(default)]
    pub changes: Option<CommentChanges>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommentChanges {
    #[serde(default)]
    pub body: Option<ChangedFrom>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChangedFrom {
    pub from: String,
}

impl IssueCommentEvent {
    /// The body before an edit, when the payload carries it.
    pub fn body_before(&self) -> Option<&str> {
        let changes = self.changes.as_ref()?;
        changes.body.as_ref().map(|b| b.from.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    pub state: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewEvent {
    pub pull_request: PullRequest,
    pub review: Review,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewThreadEvent {
    pub pull_request: PullRequest,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    pub name: String,
    pub head_sha: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub pull_requests: Vec<Number>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Number {
    pub number: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunEvent {
    pub check_run: CheckRun,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusEvent {
    pub sha: String,
    pub state: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    #[serde(default)]
    pub deleted: bool,
}

fn login(user: &Option<User>) -> Option<&str> {
    user.as_ref().map(|u| u.login.as_str())
}

/// The fields every event may carry.
#[derive(Deserialize)]
struct Common {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    repository: Option<Repository>,
    #[serde(default)]
    sender: Option<User>,
}

/// Reads `json` with the path of the first field that does not fit.
fn read<T: DeserializeOwned>(event: &str, json: &[u8]) -> Result<T, EventError> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|e| EventError {
        event: event.to_string(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

impl Event {
    pub fn parse(name: &str, json: &[u8]) -> Result<Event, EventError> {
        let common: Common = read(name, json)?;
        let kind = match name {
            "pull_request" => Kind::PullRequest(read(name, json)?),
            "issue_comment" => Kind::IssueComment(read(name, json)?),
            "pull_request_review" => Kind::Review(read(name, json)?),
            "pull_request_review_thread" => Kind::ReviewThread(read(name, json)?),
            "check_run" => Kind::CheckRun(read(name, json)?),
            "status" => Kind::Status(read(name, json)?),
            "push" => Kind::Push(read(name, json)?),
            _ => Kind::Other,
        };
        Ok(Event {
            name: name.to_string(),
            action: common.action.unwrap_or_default(),
            repository: common.repository,
            sender: common.sender,
            kind,
        })
    }

    pub fn full_name(&self) -> Option<&str> {
        self.repository.as_ref().map(|r| r.full_name.as_str())
    }

    pub fn sender_login(&self) -> &str {
        self.sender.as_ref().map_or("", |u| u.login.as_str())
    }

    /// The pull request the event names, with its title and author when the payload has them:
    /// a pull request's own events, and comments on one.
    pub fn pull_request(&self) -> Option<(u64, Option<&str>, Option<&str>)> {
        match &self.kind {
            Kind::PullRequest(PullRequestEvent {
                pull_request: p, ..
            })
            | Kind::Review(ReviewEvent {
                pull_request: p, ..
            })
            | Kind::ReviewThread(ReviewThreadEvent { pull_request: p }) => {
                Some((p.number, p.title.as_deref(), login(&p.user)))
            }
            Kind::IssueComment(c) if c.issue.pull_request.is_some() => Some((
                c.issue.number,
                c.issue.title.as_deref(),
                login(&c.issue.user),
            )),
            _ => None,
        }
    }

    /// The commit a `status` or `check_run` delivery is about: stale once the head moves on.
    pub fn sha(&self) -> Option<&str> {
        match &self.kind {
            Kind::CheckRun(c) => Some(&c.check_run.head_sha),
            Kind::Status(s) => Some(&s.sha),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_the_server_needs_is_named() {
        let e = Event::parse(
            "pull_request",
            br#"{"action": "opened", "pull_request": {}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "pull_request");
        assert!(e.message.contains("missing field `number`"), "{e}");
        let e = Event::parse(
            "check_run",
            br#"{"check_run": {"name": "tox", "head_sha": 7}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "check_run.head_sha");
        assert_eq!(
            e.to_string(),
            "`check_run` payload: check_run.head_sha: invalid type: integer `7`, expected a string at line 1 column 43"
        );
        let e = Event::parse("status", br#""text""#).unwrap_err();
        assert_eq!(e.path, ".");
    }

    #[test]
    fn other_events_need_nothing_but_valid_json() {
        let ping = Event::parse("ping", br#"{"zen": "x"}"#).unwrap();
        assert!(matches!(ping.kind, Kind::Other));
        assert_eq!(ping.full_name(), None);
        assert!(Event::parse("installation", b"{}").is_ok());
        assert!(Event::parse("ping", b"{").is_err());
    }

    #[test]
    fn comments_name_their_pull_request_only_on_one() {
        let on_pr = br#"{"issue": {"number": 4, "title": "T", "user": {"login": "bob"},
                         "pull_request": {"url": "u"}}, "comment": {"id": 1, "body": "hi"}}"#;
        let e = Event::parse("issue_comment", on_pr).unwrap();
        assert_eq!(e.pull_request(), Some((4, Some("T"), Some("bob"))));
        let on_issue = br#"{"issue": {"number": 4}, "comment": {"id": 1, "body": "hi"}}"#;
        let e = Event::parse("issue_comment", on_issue).unwrap();
        assert_eq!(e.pull_request(), None);
    }

    #[test]
    fn the_sha_of_a_check_run_or_status() {
        let run = br#"{"check_run": {"name": "tox", "head_sha": "abc", "pull_requests": []}}"#;
        assert_eq!(Event::parse("check_run", run).unwrap().sha(), Some("abc"));
        let status = br#"{"sha": "def", "state": "success"}"#;
        assert_eq!(Event::parse("status", status).unwrap().sha(), Some("def"));
    }
}
