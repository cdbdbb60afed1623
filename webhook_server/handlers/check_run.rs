//! Check runs: the one place the server writes them, and CheckRunHandler, which reacts to runs
//! that complete.
//!
//! The reference creates a new run for every state change (02 §6.2), which leaves orphans and
//! duplicate `completed` events. Here each (head, name) has one run of the server's App: created
//! once, then updated in place, and only when its state or output differs from the snapshot.
//! Before a create, the snapshot is the re-read: a run the server made is in it, so a replayed
//! delivery never creates a second one.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::github::clients::Session;
use crate::repository_data::{CheckRun, RepositoryData};

/// GitHub refuses longer outputs.
const MAX_TEXT: usize = 65_535;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Queued,
    InProgress,
    Success,
    Failure,
}

impl RunState {
    /// (status, conclusion) as GraphQL spells them, which is how the snapshot holds them.
    fn graphql(self) -> (&'static str, Option<&'static str>) {
        match self {
            RunState::Queued => ("QUEUED", None),
            RunState::InProgress => ("IN_PROGRESS", None),
            RunState::Success => ("COMPLETED", Some("SUCCESS")),
            RunState::Failure => ("COMPLETED", Some("FAILURE")),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub title: String,
    pub summary: String,
    pub text: String,
}

impl Output {
    pub fn new(title: &str, summary: &str, text: &str) -> Output {
        Output {
            title: title.to_string(),
            summary: summary.to_string(),
            text: text.to_string(),
        }
    }
}

/// What a `set` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

pub struct CheckRuns<'a> {
    pub session: &'a Session,
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl CheckRuns<'_> {
    /// The server's own run `name` at the head, if the snapshot has one.
    fn ours<'d>(data: &'d RepositoryData, slug: &str, name: &str) -> Option<&'d CheckRun> {
        data.pull
            .check_runs
            .iter()
            .filter(|r| r.name == name && r.app.as_deref() == Some(slug))
            .max_by_key(|r| r.id)
    }

    /// Brings the server's run `name` at the head to `state` with `output`, writing only when
    /// the snapshot differs, and records the result in the snapshot.
    pub async fn set(
        &self,
        data: &mut RepositoryData,
        name: &str,
        state: RunState,
        output: Option<Output>,
    ) -> anyhow::Result<Written> {
        let slug = self.session.app_slug().await?;
        let (status, conclusion) = state.graphql();
        let current = Self::ours(data, &slug, name).cloned();
        if let Some(run) = &current {
            let same_state = run.status.eq_ignore_ascii_case(status)
                && run.conclusion.as_deref().map(str::to_ascii_uppercase)
                    == conclusion.map(str::to_string);
            let same_output = output.as_ref().is_none_or(|o| {
                run.title.as_deref().unwrap_or_default() == o.title
                    && run.summary.as_deref().unwrap_or_default() == o.summary
            });
            if same_state && same_output {
                return Ok(Written::Unchanged);
            }
        }
        let mut body = Map::new();
        body.insert("status".into(), json!(status.to_ascii_lowercase()));
        if let Some(c) = conclusion {
            body.insert("conclusion".into(), json!(c.to_ascii_lowercase()));
        }
        if let Some(o) = &output {
            body.insert(
                "output".into(),
                json!({"title": o.title, "summary": truncate(&o.summary), "text": truncate(&o.text)}),
            );
        }
        let (answer, written) = match &current {
            Some(run) => {
                let path = format!("/check-runs/{}", run.id);
                let answer = self
                    .session
                    .app_rest(Method::PATCH, &path, Some(&Value::Object(body)))
                    .await?;
                (answer, Written::Updated)
            }
            None => {
                body.insert("name".into(), json!(name));
                body.insert("head_sha".into(), json!(data.pull.head_sha));
                let answer = self
                    .session
                    .app_rest(Method::POST, "/check-runs", Some(&Value::Object(body)))
                    .await?;
                (answer, Written::Created)
            }
        };
        let id = answer.body["id"].as_u64().unwrap_or_default();
        if conclusion.is_some() {
            self.session
                .echoes
                .expect_check_run(&data.full_name, &data.pull.head_sha, name);
        }
        data.pull.check_runs.retain(|r| r.id != id);
        data.pull.check_runs.push(CheckRun {
            id,
            name: name.to_string(),
            status: status.to_string(),
            conclusion: conclusion.map(str::to_string),
            title: output.as_ref().map(|o| o.title.clone()),
            summary: output.as_ref().map(|o| o.summary.clone()),
            app: Some(slug),
        });
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_cut_to_what_github_accepts_on_a_char_boundary() {
        let long = "é".repeat(40_000);
        let cut = truncate(&long);
        assert!(cut.len() <= MAX_TEXT);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate("short"), "short");
    }
}
