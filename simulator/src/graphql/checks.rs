//! Check runs and commit statuses, and a commit's rollup of them.

use async_graphql::{ComplexObject, Enum, ID, Result, SimpleObject, Union};

use super::paging::{connection, page};
use crate::world::{self, World, node_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CheckStatusState {
    Requested,
    Queued,
    InProgress,
    Completed,
    Waiting,
    Pending,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CheckConclusionState {
    ActionRequired,
    TimedOut,
    Cancelled,
    Failure,
    Success,
    Neutral,
    Skipped,
    StartupFailure,
    Stale,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StatusState {
    Expected,
    Error,
    Failure,
    Pending,
    Success,
}

/// Every check run and the newest status per context at `sha`.
pub(super) fn rollup_contexts(
    w: &World,
    r: &world::Repo,
    sha: &str,
) -> Vec<StatusCheckRollupContext> {
    let mut list: Vec<StatusCheckRollupContext> = r
        .check_runs
        .values()
        .filter(|c| c.head_sha == sha)
        .map(|c| StatusCheckRollupContext::CheckRun(check_run(w, c)))
        .collect();
    for s in r.latest_statuses(sha) {
        list.push(StatusCheckRollupContext::StatusContext(StatusContext {
            id: ID(node_id("SC", s.id)),
            context: s.context.clone(),
            state: match s.state.as_str() {
                "success" => StatusState::Success,
                "pending" => StatusState::Pending,
                "error" => StatusState::Error,
                _ => StatusState::Failure,
            },
            description: s.description.clone(),
            target_url: s.target_url.clone(),
            created_at: s.created_at.clone(),
        }));
    }
    list
}

pub(super) fn check_run(w: &World, c: &world::CheckRun) -> CheckRun {
    let id = w.app_id(&c.app);
    CheckRun {
        id: ID(node_id("CR", c.id)),
        database_id: Some(c.id as i32),
        name: c.name.clone(),
        status: match c.status.as_str() {
            "completed" => CheckStatusState::Completed,
            "in_progress" => CheckStatusState::InProgress,
            _ => CheckStatusState::Queued,
        },
        conclusion: c.conclusion.as_deref().map(|x| match x {
            "success" => CheckConclusionState::Success,
            "failure" => CheckConclusionState::Failure,
            "neutral" => CheckConclusionState::Neutral,
            "cancelled" => CheckConclusionState::Cancelled,
            "skipped" => CheckConclusionState::Skipped,
            "timed_out" => CheckConclusionState::TimedOut,
            "action_required" => CheckConclusionState::ActionRequired,
            _ => CheckConclusionState::Stale,
        }),
        started_at: Some(c.started_at.clone()),
        completed_at: c.completed_at.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        text: c.text.clone(),
        check_suite: CheckSuite {
            app: Some(App {
                database_id: Some(id as i32),
                slug: c.app.clone(),
                name: c.app.clone(),
            }),
        },
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct StatusCheckRollup {
    pub(super) state: StatusState,
    #[graphql(skip)]
    pub(super) contexts: Vec<StatusCheckRollupContext>,
}

#[ComplexObject]
impl StatusCheckRollup {
    async fn contexts(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<StatusCheckRollupContextConnection> {
        page("contexts", first, after, last, before, || {
            self.contexts.clone()
        })
    }
}

#[derive(Union, Clone)]
pub enum StatusCheckRollupContext {
    CheckRun(CheckRun),
    StatusContext(StatusContext),
}

#[derive(SimpleObject, Clone)]
pub struct CheckRun {
    pub(super) id: ID,
    pub(super) database_id: Option<i32>,
    pub(super) name: String,
    pub(super) status: CheckStatusState,
    pub(super) conclusion: Option<CheckConclusionState>,
    pub(super) started_at: Option<String>,
    pub(super) completed_at: Option<String>,
    pub(super) title: Option<String>,
    pub(super) summary: Option<String>,
    pub(super) text: Option<String>,
    pub(super) check_suite: CheckSuite,
}

#[derive(SimpleObject, Clone)]
pub struct CheckSuite {
    pub(super) app: Option<App>,
}

#[derive(SimpleObject, Clone)]
pub struct App {
    pub(super) database_id: Option<i32>,
    pub(super) slug: String,
    pub(super) name: String,
}

#[derive(SimpleObject, Clone)]
pub struct StatusContext {
    pub(super) id: ID,
    pub(super) context: String,
    pub(super) state: StatusState,
    pub(super) description: Option<String>,
    pub(super) target_url: Option<String>,
    pub(super) created_at: String,
}

connection!(
    StatusCheckRollupContextConnection,
    StatusCheckRollupContextEdge,
    StatusCheckRollupContext
);
