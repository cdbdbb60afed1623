//! A repository's fields: its refs and objects, pull requests, collaborators, labels and
//! branch protection rules.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};

use super::actors::{User, user};
use super::commits::{GitObject, Ref, git_object};
use super::context::{caller, gh_error, with_repo};
use super::handles::{PullRequest, Repository};
use super::issues::{IssueConnection, IssueOrder, IssueState, issues};
use super::labels::{LabelConnection, label};
use super::paging::{PageInfo, Window, connection, page};
use super::pull_request::{PullRequestState, pull_state};
use crate::world::node_id;

#[Object]
impl Repository {
    async fn id(&self, ctx: &Context<'_>) -> ID {
        with_repo(ctx, &self.key, |_, r| ID(node_id("R", r.id)))
    }

    async fn database_id(&self, ctx: &Context<'_>) -> i32 {
        with_repo(ctx, &self.key, |_, r| r.id as i32)
    }

    async fn name(&self, ctx: &Context<'_>) -> String {
        with_repo(ctx, &self.key, |_, r| r.name.clone())
    }

    async fn name_with_owner(&self, ctx: &Context<'_>) -> String {
        with_repo(ctx, &self.key, |_, r| format!("{}/{}", r.owner, r.name))
    }

    async fn owner(&self, ctx: &Context<'_>) -> User {
        with_repo(ctx, &self.key, |w, r| user(w, &r.owner))
    }

    async fn is_private(&self, ctx: &Context<'_>) -> bool {
        with_repo(ctx, &self.key, |_, r| r.private)
    }

    async fn url(&self, ctx: &Context<'_>) -> String {
        with_repo(ctx, &self.key, |w, r| {
            format!("{}/{}/{}", w.api_base, r.owner, r.name)
        })
    }

    async fn auto_merge_allowed(&self) -> bool {
        true
    }

    async fn default_branch_ref(&self, ctx: &Context<'_>) -> Option<Ref> {
        with_repo(ctx, &self.key, |_, r| {
            r.git
                .resolve(&format!("refs/heads/{}", r.default_branch))
                .map(|oid| Ref {
                    name: r.default_branch.clone(),
                    prefix: "refs/heads/".into(),
                    key: self.key.clone(),
                    oid,
                })
        })
    }

    #[graphql(name = "ref")]
    async fn git_ref(&self, ctx: &Context<'_>, qualified_name: String) -> Option<Ref> {
        with_repo(ctx, &self.key, |_, r| {
            let full = if qualified_name.starts_with("refs/") {
                qualified_name.clone()
            } else {
                format!("refs/heads/{qualified_name}")
            };
            let oid = r.git.resolve(&full)?;
            let (prefix, name) = full
                .rsplit_once('/')
                .map_or(("", full.as_str()), |(p, n)| (p, n));
            Some(Ref {
                name: name.to_string(),
                prefix: format!("{prefix}/"),
                key: self.key.clone(),
                oid,
            })
        })
    }

    /// A file, tree or commit: `rev:path` names a blob or tree, a bare `rev` a commit.
    async fn object(
        &self,
        ctx: &Context<'_>,
        expression: Option<String>,
        oid: Option<String>,
    ) -> Option<GitObject> {
        let expression = expression.or(oid)?;
        with_repo(ctx, &self.key, |_, r| git_object(&self.key, r, &expression))
    }

    async fn pull_request(&self, ctx: &Context<'_>, number: i32) -> Result<Option<PullRequest>> {
        with_repo(ctx, &self.key, |_, r| {
            match r.issues.get(&(number as u64)).filter(|i| i.pull.is_some()) {
                Some(_) => Ok(Some(PullRequest::new(self.key.clone(), number as u64))),
                None => Err(gh_error(
                    "NOT_FOUND",
                    format!("Could not resolve to a PullRequest with the number of {number}."),
                )),
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        states: Option<Vec<IssueState>>,
        order_by: Option<IssueOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<IssueConnection> {
        page("issues", first, after, last, before, || {
            issues(ctx, &self.key, states.as_deref(), order_by.as_ref())
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn pull_requests(
        &self,
        ctx: &Context<'_>,
        states: Option<Vec<PullRequestState>>,
        head_ref_name: Option<String>,
        base_ref_name: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestConnection> {
        page("pullRequests", first, after, last, before, || {
            with_repo(ctx, &self.key, |_, r| {
                r.issues
                    .values()
                    .filter_map(|i| Some((i, i.pull.as_ref()?)))
                    .filter(|(i, p)| {
                        let state = pull_state(i.state, p.merged_at.is_some());
                        states.as_ref().is_none_or(|s| s.contains(&state))
                    })
                    .filter(|(_, p)| head_ref_name.as_ref().is_none_or(|h| *h == p.head_ref))
                    .filter(|(_, p)| base_ref_name.as_ref().is_none_or(|b| *b == p.base_ref))
                    .map(|(i, _)| PullRequest::new(self.key.clone(), i.number))
                    .collect()
            })
        })
    }

    async fn collaborators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<RepositoryCollaboratorConnection> {
        let window = Window::new("collaborators", first, after, last, before)?;
        let login = caller(ctx).0.clone();
        let (list, allowed) = with_repo(ctx, &self.key, |w, r| {
            // Listing collaborators needs push access, as on GitHub.
            let allowed = login.as_deref().is_some_and(|l| w.can_write(&self.key, l));
            let mut list = vec![(user(w, &r.owner), RepositoryPermission::Admin)];
            list.extend(
                r.collaborators
                    .iter()
                    .filter(|(l, _)| **l != r.owner)
                    .map(|(l, p)| (user(w, l), permission(p))),
            );
            (list, allowed)
        });
        if !allowed {
            return Err(gh_error(
                "FORBIDDEN",
                "Must have push access to view repository collaborators.",
            ));
        }
        let slice = window.apply(list);
        Ok(RepositoryCollaboratorConnection {
            nodes: slice.edges.iter().map(|(_, (u, _))| u.clone()).collect(),
            edges: slice
                .edges
                .into_iter()
                .map(|(cursor, (node, permission))| RepositoryCollaboratorEdge {
                    cursor,
                    node,
                    permission,
                })
                .collect(),
            page_info: slice.page_info,
            total_count: slice.total_count,
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
            with_repo(ctx, &self.key, |_, r| {
                r.labels.values().map(label).collect::<Vec<_>>()
            })
        })
    }

    async fn branch_protection_rules(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<BranchProtectionRuleConnection> {
        page("branchProtectionRules", first, after, last, before, || {
            with_repo(ctx, &self.key, |_, r| {
                r.protection
                    .iter()
                    .map(|(branch, p)| BranchProtectionRule {
                        pattern: branch.clone(),
                        requires_status_checks: !p.contexts.is_empty(),
                        required_status_check_contexts: p
                            .contexts
                            .iter()
                            .cloned()
                            .map(Some)
                            .collect(),
                        requires_strict_status_checks: p.strict,
                        requires_approving_reviews: p.required_approvals > 0,
                        required_approving_review_count: Some(p.required_approvals as i32),
                    })
                    .collect::<Vec<_>>()
            })
        })
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RepositoryPermission {
    Admin,
    Maintain,
    Write,
    Triage,
    Read,
}

pub(super) fn permission(p: &str) -> RepositoryPermission {
    match p {
        "admin" => RepositoryPermission::Admin,
        "maintain" => RepositoryPermission::Maintain,
        "write" => RepositoryPermission::Write,
        "triage" => RepositoryPermission::Triage,
        _ => RepositoryPermission::Read,
    }
}

#[derive(SimpleObject)]
pub struct RepositoryCollaboratorConnection {
    pub(super) nodes: Vec<User>,
    pub(super) edges: Vec<RepositoryCollaboratorEdge>,
    pub(super) page_info: PageInfo,
    pub(super) total_count: i32,
}

#[derive(SimpleObject)]
pub struct RepositoryCollaboratorEdge {
    pub(super) cursor: String,
    pub(super) node: User,
    pub(super) permission: RepositoryPermission,
}

#[derive(SimpleObject, Clone)]
pub struct BranchProtectionRule {
    pub(super) pattern: String,
    pub(super) requires_status_checks: bool,
    pub(super) required_status_check_contexts: Vec<Option<String>>,
    pub(super) requires_strict_status_checks: bool,
    pub(super) requires_approving_reviews: bool,
    pub(super) required_approving_review_count: Option<i32>,
}

connection!(PullRequestConnection, PullRequestEdge, PullRequest);

connection!(
    BranchProtectionRuleConnection,
    BranchProtectionRuleEdge,
    BranchProtectionRule
);
