//! The mutation root: enabling and disabling auto-merge.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::actors::{Actor, actor};
use super::context::{gh_error, login, refusal, sim};
use super::handles::PullRequest;
use super::pull_request::PullRequestMergeMethod;
use crate::actions;

/// GitHub's `GitObjectID` scalar: a commit, tree or blob id in hex.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct GitObjectId(String);
async_graphql::scalar!(GitObjectId, "GitObjectID");

#[derive(InputObject)]
pub struct EnablePullRequestAutoMergeInput {
    pub(super) pull_request_id: ID,
    pub(super) merge_method: Option<PullRequestMergeMethod>,
    pub(super) client_mutation_id: Option<String>,
    pub(super) commit_headline: Option<String>,
    pub(super) commit_body: Option<String>,
    pub(super) author_email: Option<String>,
    pub(super) expected_head_oid: Option<GitObjectId>,
}

#[derive(InputObject)]
pub struct DisablePullRequestAutoMergeInput {
    pub(super) pull_request_id: ID,
    pub(super) client_mutation_id: Option<String>,
}

#[derive(SimpleObject)]
pub struct EnablePullRequestAutoMergePayload {
    pub(super) actor: Option<Actor>,
    pub(super) client_mutation_id: Option<String>,
    pub(super) pull_request: Option<PullRequest>,
}

#[derive(SimpleObject)]
pub struct DisablePullRequestAutoMergePayload {
    pub(super) actor: Option<Actor>,
    pub(super) client_mutation_id: Option<String>,
    pub(super) pull_request: Option<PullRequest>,
}

/// The issue id inside a pull request's node id (`PR_sim<id>`).
pub(super) fn pull_node(id: &ID) -> Result<u64> {
    id.strip_prefix("PR_sim")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            gh_error(
                "NOT_FOUND",
                format!(
                    "Could not resolve to a node with the global id of '{}'",
                    id.0
                ),
            )
        })
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    async fn enable_pull_request_auto_merge(
        &self,
        ctx: &Context<'_>,
        input: EnablePullRequestAutoMergeInput,
    ) -> Result<EnablePullRequestAutoMergePayload> {
        let login = login(ctx)?;
        let method = match input.merge_method.unwrap_or(PullRequestMergeMethod::Merge) {
            PullRequestMergeMethod::Merge => "merge",
            PullRequestMergeMethod::Squash => "squash",
            PullRequestMergeMethod::Rebase => "rebase",
        };
        let node = pull_node(&input.pull_request_id)?;
        let expected = input.expected_head_oid.as_ref().map(|oid| oid.0.as_str());
        let (key, number) = actions::enable_auto_merge(sim(ctx), node, &login, method, expected)
            .map_err(refusal)?;
        let w = sim(ctx).lock();
        Ok(EnablePullRequestAutoMergePayload {
            actor: Some(actor(&w, &login)),
            client_mutation_id: input.client_mutation_id,
            pull_request: Some(PullRequest::new(key, number)),
        })
    }

    async fn disable_pull_request_auto_merge(
        &self,
        ctx: &Context<'_>,
        input: DisablePullRequestAutoMergeInput,
    ) -> Result<DisablePullRequestAutoMergePayload> {
        let login = login(ctx)?;
        let node = pull_node(&input.pull_request_id)?;
        let (key, number) = actions::disable_auto_merge(sim(ctx), node, &login).map_err(refusal)?;
        let w = sim(ctx).lock();
        Ok(DisablePullRequestAutoMergePayload {
            actor: Some(actor(&w, &login)),
            client_mutation_id: input.client_mutation_id,
            pull_request: Some(PullRequest::new(key, number)),
        })
    }
}
