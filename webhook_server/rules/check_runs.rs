//! Check runs: the states of the server's own runs and the plan that brings each to its wanted
//! state. Pure; the apply step writes the plans.
//!
//! The Python server creates a new run for every state change, which leaves orphans and
//! duplicate `completed` events. Here each (head, name) has one run of the server's App: created
//! once, then updated in place, and only when its state or output differs from the snapshot.
//! Before a create, the snapshot is the re-read: a run the server made is in it, so a replayed
//! delivery never creates a second one.

use crate::snapshot::{CheckRun, PullRequest};

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
    pub fn graphql(self) -> (&'static str, Option<&'static str>) {
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

/// `text` cut to what GitHub accepts, on a char boundary.
pub fn truncate(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A write that brings one of the server's check runs to a wanted state.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub name: String,
    pub state: RunState,
    pub output: Option<Output>,
    /// The run to update; a new one is created when there is none.
    pub existing: Option<u64>,
}

/// The server's own run `name` at the head, if the snapshot has one.
fn ours<'d>(pull: &'d PullRequest, slug: &str, name: &str) -> Option<&'d CheckRun> {
    pull.check_runs
        .iter()
        .filter(|r| r.name == name && r.app.as_deref() == Some(slug))
        .max_by_key(|r| r.id)
}

/// The write that brings run `name` to `state` and `output`; none when the snapshot agrees.
/// The snapshot holds the head's runs, so a replayed delivery finds the run it created.
pub fn plan(
    pull: &PullRequest,
    slug: &str,
    name: &str,
    state: RunState,
    output: Option<Output>,
) -> Option<RunPlan> {
    let (status, conclusion) = state.graphql();
    let current = ours(pull, slug, name);
    if let Some(run) = current {
        let same_state = run.status.eq_ignore_ascii_case(status)
            && run.conclusion.as_deref().map(str::to_ascii_uppercase)
                == conclusion.map(str::to_string);
        let same_output = output.as_ref().is_none_or(|o| {
            run.title.as_deref().unwrap_or_default() == o.title
                && run.summary.as_deref().unwrap_or_default() == o.summary
        });
        if same_state && same_output {
            return None;
        }
    }
    Some(RunPlan {
        name: name.to_string(),
        state,
        output,
        existing: current.map(|r| r.id),
    })
}

impl RunPlan {
    /// The run as the snapshot holds it once written as `id`.
    pub fn run(&self, id: u64, slug: &str) -> CheckRun {
        let (status, conclusion) = self.state.graphql();
        CheckRun {
            id,
            name: self.name.clone(),
            status: status.to_string(),
            conclusion: conclusion.map(str::to_string),
            title: self.output.as_ref().map(|o| o.title.clone()),
            summary: self.output.as_ref().map(|o| o.summary.clone()),
            app: Some(slug.to_string()),
        }
    }
}

/// Replaces (or adds) the snapshot's record of a run.
pub fn record_run(pull: &mut PullRequest, run: CheckRun) {
    pull.check_runs.retain(|r| r.id != run.id);
    pull.check_runs.push(run);
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
