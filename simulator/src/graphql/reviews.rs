//! Reviews, review requests and review threads.

use async_graphql::{ComplexObject, Context, Enum, ID, Result, SimpleObject};

use super::actors::{Actor, RequestedReviewer, actor};
use super::commits::Commit;
use super::handles::PullRequest;
use super::paging::{connection, page};
use crate::world::{self, World, node_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PullRequestReviewState {
    Pending,
    Commented,
    Approved,
    ChangesRequested,
    Dismissed,
}

#[derive(SimpleObject, Clone)]
pub struct ReviewRequest {
    pub(super) requested_reviewer: Option<RequestedReviewer>,
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestReview {
    pub(super) id: ID,
    pub(super) database_id: Option<i32>,
    pub(super) author: Option<Actor>,
    pub(super) state: PullRequestReviewState,
    pub(super) body: String,
    pub(super) submitted_at: Option<String>,
    pub(super) commit: Option<Commit>,
    #[graphql(skip)]
    pub(super) login: String,
}

pub(super) fn review(w: &World, key: &str, rv: &world::Review) -> PullRequestReview {
    PullRequestReview {
        id: ID(node_id("PRR", rv.id)),
        database_id: Some(rv.id as i32),
        author: Some(actor(w, &rv.user)),
        state: match rv.state.as_str() {
            "APPROVED" => PullRequestReviewState::Approved,
            "CHANGES_REQUESTED" => PullRequestReviewState::ChangesRequested,
            "DISMISSED" => PullRequestReviewState::Dismissed,
            "PENDING" => PullRequestReviewState::Pending,
            _ => PullRequestReviewState::Commented,
        },
        body: rv.body.clone(),
        submitted_at: Some(rv.submitted_at.clone()),
        commit: (!rv.commit_id.is_empty()).then(|| Commit {
            oid: rv.commit_id.clone(),
            key: key.to_string(),
        }),
        login: rv.user.clone(),
    }
}

impl PullRequest {
    pub(super) fn latest(
        &self,
        ctx: &Context<'_>,
        keep: impl Fn(PullRequestReviewState) -> bool,
    ) -> Vec<PullRequestReview> {
        self.with(ctx, |w, r, _, _| {
            let mut newest: Vec<PullRequestReview> = Vec::new();
            for rv in r.reviews.values().filter(|rv| rv.pull == self.number) {
                let rv = review(w, &self.key, rv);
                if !keep(rv.state) {
                    continue;
                }
                newest.retain(|x| x.login != rv.login);
                newest.push(rv);
            }
            newest
        })
    }
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct PullRequestReviewThread {
    pub(super) id: ID,
    pub(super) is_resolved: bool,
    pub(super) is_outdated: bool,
    #[graphql(skip)]
    pub(super) comments: Vec<PullRequestReviewComment>,
}

#[ComplexObject]
impl PullRequestReviewThread {
    async fn comments(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestReviewCommentConnection> {
        page("comments", first, after, last, before, || {
            self.comments.clone()
        })
    }
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestReviewComment {
    pub(super) url: String,
    pub(super) path: String,
    pub(super) line: Option<i32>,
    pub(super) body: String,
}

connection!(
    PullRequestReviewConnection,
    PullRequestReviewEdge,
    PullRequestReview
);

connection!(ReviewRequestConnection, ReviewRequestEdge, ReviewRequest);

connection!(
    PullRequestReviewThreadConnection,
    PullRequestReviewThreadEdge,
    PullRequestReviewThread
);

connection!(
    PullRequestReviewCommentConnection,
    PullRequestReviewCommentEdge,
    PullRequestReviewComment
);
