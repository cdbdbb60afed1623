//! A pull request's fields: its state and mergeability, refs, labels, assignees, reviews,
//! files, comments and commits.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};

use super::actors::{Actor, RequestedReviewer, UserConnection, actor, user};
use super::commits::{Commit, PullRequestCommit, PullRequestCommitConnection};
use super::context::with_repo;
use super::handles::{PullRequest, Repository};
use super::labels::{LabelConnection, label};
use super::paging::{connection, page};
use super::reviews::{
    PullRequestReviewConnection, PullRequestReviewState, PullRequestReviewThreadConnection,
    ReviewRequest, ReviewRequestConnection, review,
};
use crate::world::{MergeState, node_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PullRequestState {
    Open,
    Closed,
    Merged,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MergeableState {
    Mergeable,
    Conflicting,
    Unknown,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MergeStateStatus {
    Behind,
    Blocked,
    Clean,
    Dirty,
    Draft,
    HasHooks,
    Unknown,
    Unstable,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PullRequestMergeMethod {
    Merge,
    Squash,
    Rebase,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PatchStatus {
    Added,
    Deleted,
    Renamed,
    Copied,
    Modified,
    Changed,
}

pub(super) fn pull_state(state: &str, merged: bool) -> PullRequestState {
    match (state, merged) {
        (_, true) => PullRequestState::Merged,
        ("open", _) => PullRequestState::Open,
        _ => PullRequestState::Closed,
    }
}

#[Object]
impl PullRequest {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        self.with(ctx, |_, _, i, _| ID(node_id("PR", i.id)))
    }

    async fn database_id(&self, ctx: &Context<'_>) -> i32 {
        self.with(ctx, |_, _, i, _| i.id as i32)
    }

    async fn number(&self) -> i32 {
        self.number as i32
    }

    async fn title(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, i, _| i.title.clone())
    }

    async fn body(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, i, _| i.body.clone().unwrap_or_default())
    }

    async fn url(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |w, r, i, _| {
            format!("{}/{}/{}/pull/{}", w.api_base, r.owner, r.name, i.number)
        })
    }

    async fn is_draft(&self, ctx: &Context<'_>) -> bool {
        self.with(ctx, |_, _, _, p| p.draft)
    }

    async fn state(&self, ctx: &Context<'_>) -> PullRequestState {
        self.with(ctx, |_, _, i, p| pull_state(i.state, p.merged_at.is_some()))
    }

    async fn closed(&self, ctx: &Context<'_>) -> bool {
        self.with(ctx, |_, _, i, _| i.state != "open")
    }

    async fn merged(&self, ctx: &Context<'_>) -> bool {
        self.with(ctx, |_, _, _, p| p.merged_at.is_some())
    }

    async fn merged_at(&self, ctx: &Context<'_>) -> Option<String> {
        self.with(ctx, |_, _, _, p| p.merged_at.clone())
    }

    async fn created_at(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, i, _| i.created_at.clone())
    }

    async fn updated_at(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, i, _| i.updated_at.clone())
    }

    async fn mergeable(&self, ctx: &Context<'_>) -> MergeableState {
        let state = self.merge_state(ctx);
        match state.mergeable() {
            Some(true) => MergeableState::Mergeable,
            Some(false) => MergeableState::Conflicting,
            None => MergeableState::Unknown,
        }
    }

    async fn merge_state_status(&self, ctx: &Context<'_>) -> MergeStateStatus {
        match self.merge_state(ctx) {
            MergeState::Dirty => MergeStateStatus::Dirty,
            MergeState::Blocked => MergeStateStatus::Blocked,
            MergeState::Behind => MergeStateStatus::Behind,
            MergeState::Unstable => MergeStateStatus::Unstable,
            MergeState::Clean => MergeStateStatus::Clean,
            MergeState::Draft => MergeStateStatus::Draft,
            MergeState::Unknown => MergeStateStatus::Unknown,
        }
    }

    async fn author(&self, ctx: &Context<'_>) -> Option<Actor> {
        self.with(ctx, |w, _, i, _| Some(actor(w, &i.user)))
    }

    async fn head_ref_name(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, _, p| p.head_ref.clone())
    }

    async fn base_ref_name(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, _, _, p| p.base_ref.clone())
    }

    async fn head_ref_oid(&self, ctx: &Context<'_>) -> String {
        self.head(ctx)
    }

    async fn base_ref_oid(&self, ctx: &Context<'_>) -> String {
        self.base(ctx)
    }

    async fn additions(&self, ctx: &Context<'_>) -> i32 {
        self.changes(ctx).iter().map(|f| f.additions as i32).sum()
    }

    async fn deletions(&self, ctx: &Context<'_>) -> i32 {
        self.changes(ctx).iter().map(|f| f.deletions as i32).sum()
    }

    async fn changed_files(&self, ctx: &Context<'_>) -> i32 {
        self.changes(ctx).len() as i32
    }

    async fn repository(&self) -> Repository {
        Repository {
            key: self.key.clone(),
        }
    }

    async fn auto_merge_request(&self, ctx: &Context<'_>) -> Option<AutoMergeRequest> {
        self.with(ctx, |w, _, _, p| {
            p.auto_merge.as_ref().map(|a| AutoMergeRequest {
                enabled_by: Some(actor(w, &a.enabled_by)),
                merge_method: match a.merge_method.as_str() {
                    "squash" => PullRequestMergeMethod::Squash,
                    "rebase" => PullRequestMergeMethod::Rebase,
                    _ => PullRequestMergeMethod::Merge,
                },
            })
        })
    }

    async fn labels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<LabelConnection> {
        page("labels", first, after, last, before, || {
            self.with(ctx, |_, r, i, _| {
                i.labels
                    .iter()
                    .filter_map(|n| r.labels.get(n))
                    .map(label)
                    .collect()
            })
        })
    }

    async fn assignees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<UserConnection> {
        page("assignees", first, after, last, before, || {
            self.with(ctx, |w, _, i, _| {
                i.assignees.iter().map(|u| user(w, u)).collect()
            })
        })
    }

    async fn review_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ReviewRequestConnection> {
        page("reviewRequests", first, after, last, before, || {
            self.with(ctx, |w, _, _, p| {
                p.requested_reviewers
                    .iter()
                    .map(|u| ReviewRequest {
                        requested_reviewer: Some(match actor(w, u) {
                            Actor::User(u) => RequestedReviewer::User(u),
                            Actor::Bot(b) => RequestedReviewer::Bot(b),
                        }),
                    })
                    .collect()
            })
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        states: Option<Vec<PullRequestReviewState>>,
        author: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestReviewConnection> {
        page("reviews", first, after, last, before, || {
            self.with(ctx, |w, r, _, _| {
                r.reviews
                    .values()
                    .filter(|rv| rv.pull == self.number)
                    .map(|rv| review(w, &self.key, rv))
                    .filter(|rv| states.as_ref().is_none_or(|s| s.contains(&rv.state)))
                    .filter(|rv| author.as_ref().is_none_or(|a| *a == rv.login))
                    .collect()
            })
        })
    }

    /// Each reviewer's newest approval or change request (what counts towards merging).
    async fn latest_opinionated_reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestReviewConnection> {
        page(
            "latestOpinionatedReviews",
            first,
            after,
            last,
            before,
            || {
                self.latest(ctx, |s| {
                    matches!(
                        s,
                        PullRequestReviewState::Approved | PullRequestReviewState::ChangesRequested
                    )
                })
            },
        )
    }

    /// Each reviewer's newest review, of any kind.
    async fn latest_reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestReviewConnection> {
        page("latestReviews", first, after, last, before, || {
            self.latest(ctx, |s| s != PullRequestReviewState::Pending)
        })
    }

    async fn files(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestChangedFileConnection> {
        page("files", first, after, last, before, || {
            self.changes(ctx)
                .iter()
                .map(|f| PullRequestChangedFile {
                    path: f.filename.clone(),
                    additions: f.additions as i32,
                    deletions: f.deletions as i32,
                    change_type: match f.status {
                        "added" => PatchStatus::Added,
                        "removed" => PatchStatus::Deleted,
                        _ => PatchStatus::Modified,
                    },
                })
                .collect()
        })
    }

    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<IssueCommentConnection> {
        page("comments", first, after, last, before, || {
            self.with(ctx, |w, r, _, _| {
                r.comments
                    .values()
                    .filter(|c| c.issue == self.number)
                    .map(|c| IssueComment {
                        id: ID(node_id("IC", c.id)),
                        database_id: Some(c.id as i32),
                        body: c.body.clone(),
                        author: Some(actor(w, &c.user)),
                        created_at: c.created_at.clone(),
                        updated_at: c.updated_at.clone(),
                        url: format!(
                            "{}/{}/{}/pull/{}#issuecomment-{}",
                            w.api_base, r.owner, r.name, c.issue, c.id
                        ),
                    })
                    .collect()
            })
        })
    }

    /// Review threads come from line comments in reviews, which the simulator does not
    /// model: every pull request here has none.
    async fn review_threads(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestReviewThreadConnection> {
        page("reviewThreads", first, after, last, before, Vec::new)
    }

    async fn commits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestCommitConnection> {
        page("commits", first, after, last, before, || {
            let (head, base) = (self.head(ctx), self.base(ctx));
            with_repo(ctx, &self.key, |_, r| {
                r.git
                    .commits_between(&base, &head)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|oid| PullRequestCommit {
                        commit: Commit {
                            oid,
                            key: self.key.clone(),
                        },
                    })
                    .collect()
            })
        })
    }
}

#[derive(SimpleObject, Clone)]
pub struct AutoMergeRequest {
    pub(super) enabled_by: Option<Actor>,
    pub(super) merge_method: PullRequestMergeMethod,
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestChangedFile {
    pub(super) path: String,
    pub(super) additions: i32,
    pub(super) deletions: i32,
    pub(super) change_type: PatchStatus,
}

#[derive(SimpleObject, Clone)]
pub struct IssueComment {
    pub(super) id: ID,
    pub(super) database_id: Option<i32>,
    pub(super) body: String,
    pub(super) author: Option<Actor>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) url: String,
}

connection!(
    PullRequestChangedFileConnection,
    PullRequestChangedFileEdge,
    PullRequestChangedFile
);

connection!(IssueCommentConnection, IssueCommentEdge, IssueComment);
