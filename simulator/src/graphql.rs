//! GitHub's GraphQL API at `/graphql`, over the simulator's state: the part of GitHub's schema
//! the server queries (repositories, pull requests with their labels, reviews, files, comments
//! and check results, collaborators, files at a revision, branch protection) and the auto-merge
//! mutations. Type, field and enum names are GitHub's, so documents written against GitHub's
//! schema run here unchanged; CI validates the server's documents against that schema.

use async_graphql::{
    ComplexObject, Context, EmptySubscription, Enum, Error, ErrorExtensions, ID, InputObject,
    Interface, Object, Result, Schema, SimpleObject, Union,
};
use std::sync::{Arc, OnceLock};

use base64::Engine;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::actions;
use crate::errors::{self, Refusal};
use crate::state::{Caller, QuotaKey, Sim, visible};
use crate::world::{self, MergeState, Outcome, World, node_id};

pub type GitHubSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn schema() -> GitHubSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        // GitHub's own limit on how deep a document may nest.
        .limit_depth(25)
        .finish()
}

/// `POST /graphql`: GitHub answers 200 with `errors` for anything past authentication.
pub(crate) async fn endpoint(
    State(sim): State<Sim>,
    axum::Extension(schema): axum::Extension<GitHubSchema>,
    axum::Extension(caller): axum::Extension<Caller>,
    axum::Extension(QuotaKey(key)): axum::Extension<QuotaKey>,
    body: axum::body::Bytes,
) -> Response {
    if caller.0.is_none() {
        return errors::gh_error(
            StatusCode::UNAUTHORIZED,
            "This endpoint requires you to be authenticated.",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return errors::gh_error(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
    };
    let quota = sim.lock().peek(&key).0;
    let response = schema
        .execute(request.data(sim.clone()).data(caller).data(quota))
        .await;
    let mut body = serde_json::to_value(&response).unwrap_or_default();
    // GitHub puts an error's `type` beside its message, not under `extensions`.
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            if let Some(kind) = error
                .get_mut("extensions")
                .and_then(|x| x.as_object_mut())
                .and_then(|x| x.remove("type"))
            {
                error["type"] = kind;
            }
            if error["extensions"]
                .as_object()
                .is_some_and(|x| x.is_empty())
            {
                error.as_object_mut().map(|e| e.remove("extensions"));
            }
        }
    }
    Json(body).into_response()
}

/// A GraphQL error with GitHub's `type` (moved to the top level by the handler).
fn gh_error(kind: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("type", kind))
}

fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::NotFound => gh_error("NOT_FOUND", "Could not resolve to a node"),
        Refusal::Forbidden(m) => gh_error("FORBIDDEN", m),
        Refusal::Unauthenticated => gh_error("FORBIDDEN", "Requires authentication"),
        Refusal::Invalid(m) | Refusal::NotAllowed(m) | Refusal::Conflict(m) => {
            gh_error("UNPROCESSABLE", m)
        }
    }
}

fn sim<'a>(ctx: &Context<'a>) -> &'a Sim {
    ctx.data_unchecked::<Sim>()
}

fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    ctx.data_unchecked::<Caller>()
}

/// `first`/`last` with `after`/`before` over a whole list, by GitHub's rules: one of `first`
/// or `last` is required, and neither may exceed 100.
#[derive(Clone, Copy, Default)]
struct Window {
    first: Option<i32>,
    after: Option<usize>,
    last: Option<i32>,
    before: Option<usize>,
}

impl Window {
    fn new(
        connection: &str,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Window> {
        if first.is_none() && last.is_none() {
            return Err(gh_error(
                "MISSING_PAGINATION_BOUNDARIES",
                format!(
                    "You must provide a `first` or `last` value to properly paginate the `{connection}` connection."
                ),
            ));
        }
        for (name, v) in [("first", first), ("last", last)] {
            if let Some(v) = v
                && !(0..=100).contains(&v)
            {
                return Err(gh_error(
                    "EXCESSIVE_PAGINATION",
                    format!(
                        "Requesting {v} records on the `{connection}` connection exceeds the `{name}` limit of 100 records."
                    ),
                ));
            }
        }
        Ok(Window {
            first,
            after: after.as_deref().map(decode_cursor).transpose()?,
            last,
            before: before.as_deref().map(decode_cursor).transpose()?,
        })
    }

    fn apply<T: Clone>(self, items: Vec<T>) -> Slice<T> {
        let total = items.len();
        let start = self.after.map_or(0, |a| a + 1).min(total);
        let mut end = self.before.unwrap_or(total).min(total).max(start);
        let mut from = start;
        if let Some(f) = self.first {
            end = end.min(from + f as usize);
        }
        if let Some(l) = self.last {
            from = from.max(end.saturating_sub(l as usize));
        }
        let edges: Vec<(String, T)> = items[from..end]
            .iter()
            .enumerate()
            .map(|(i, node)| (encode_cursor(from + i), node.clone()))
            .collect();
        Slice {
            page_info: PageInfo {
                has_next_page: end < total,
                has_previous_page: from > 0,
                start_cursor: edges.first().map(|e| e.0.clone()),
                end_cursor: edges.last().map(|e| e.0.clone()),
            },
            edges,
            total_count: total as i32,
        }
    }
}

fn encode_cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{index}"))
}

fn decode_cursor(cursor: &str) -> Result<usize> {
    base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("cursor:")?.parse().ok())
        .ok_or_else(|| {
            gh_error(
                "INVALID_CURSOR_ARGUMENTS",
                format!("`{cursor}` does not appear to be a valid cursor."),
            )
        })
}

#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// One page of a list, before it takes its GraphQL type.
pub struct Slice<T> {
    edges: Vec<(String, T)>,
    page_info: PageInfo,
    total_count: i32,
}

/// GitHub's `XConnection` and `XEdge` types for node type `X`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(SimpleObject)]
        pub struct $connection {
            nodes: Vec<$node>,
            edges: Vec<$edge>,
            page_info: PageInfo,
            total_count: i32,
        }

        #[derive(SimpleObject)]
        pub struct $edge {
            cursor: String,
            node: $node,
        }

        impl From<Slice<$node>> for $connection {
            fn from(slice: Slice<$node>) -> $connection {
                $connection {
                    nodes: slice.edges.iter().map(|(_, n)| n.clone()).collect(),
                    edges: slice
                        .edges
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    page_info: slice.page_info,
                    total_count: slice.total_count,
                }
            }
        }
    };
}

connection!(LabelConnection, LabelEdge, Label);
connection!(UserConnection, UserEdge, User);
connection!(PullRequestConnection, PullRequestEdge, PullRequest);
connection!(
    PullRequestReviewConnection,
    PullRequestReviewEdge,
    PullRequestReview
);
connection!(ReviewRequestConnection, ReviewRequestEdge, ReviewRequest);
connection!(
    PullRequestChangedFileConnection,
    PullRequestChangedFileEdge,
    PullRequestChangedFile
);
connection!(IssueCommentConnection, IssueCommentEdge, IssueComment);
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
connection!(
    PullRequestCommitConnection,
    PullRequestCommitEdge,
    PullRequestCommit
);
connection!(
    StatusCheckRollupContextConnection,
    StatusCheckRollupContextEdge,
    StatusCheckRollupContext
);
connection!(
    BranchProtectionRuleConnection,
    BranchProtectionRuleEdge,
    BranchProtectionRule
);

/// Pagination arguments every connection field takes.
macro_rules! window {
    ($name:literal, $first:ident, $after:ident, $last:ident, $before:ident) => {
        Window::new($name, $first, $after, $last, $before)?
    };
}

#[derive(SimpleObject, Clone)]
pub struct User {
    id: ID,
    database_id: Option<i32>,
    login: String,
    url: String,
}

#[derive(SimpleObject, Clone)]
pub struct Bot {
    id: ID,
    database_id: Option<i32>,
    login: String,
    url: String,
}

/// GitHub's `Actor`: who did something. Apps act as bots, `<slug>[bot]` in REST.
#[derive(Interface, Clone)]
#[graphql(field(name = "login", ty = "&String"))]
pub enum Actor {
    User(User),
    Bot(Bot),
}

#[derive(Union, Clone)]
pub enum RequestedReviewer {
    User(User),
    Bot(Bot),
}

fn user(w: &World, login: &str) -> User {
    let id = w.users.get(login).copied().unwrap_or(0);
    User {
        id: ID(node_id("U", id)),
        database_id: Some(id as i32),
        login: login.to_string(),
        url: format!("{}/{login}", w.api_base),
    }
}

/// Bots go by their slug in GraphQL, without REST's `[bot]` suffix.
fn actor(w: &World, login: &str) -> Actor {
    match login.strip_suffix("[bot]") {
        Some(slug) => {
            let id = w.users.get(login).copied().unwrap_or(0);
            Actor::Bot(Bot {
                id: ID(node_id("BOT", id)),
                database_id: Some(id as i32),
                login: slug.to_string(),
                url: format!("{}/apps/{slug}", w.api_base),
            })
        }
        None => Actor::User(user(w, login)),
    }
}

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
pub enum PullRequestReviewState {
    Pending,
    Commented,
    Approved,
    ChangesRequested,
    Dismissed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PullRequestMergeMethod {
    Merge,
    Squash,
    Rebase,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RepositoryPermission {
    Admin,
    Maintain,
    Write,
    Triage,
    Read,
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

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    async fn repository(
        &self,
        ctx: &Context<'_>,
        owner: String,
        name: String,
        #[graphql(name = "followRenames")] _follow_renames: Option<bool>,
    ) -> Result<Option<Repository>> {
        let w = sim(ctx).lock();
        match visible(&w, caller(ctx), &owner, &name) {
            Some(r) => Ok(Some(Repository {
                key: crate::state::repo_key(&r.owner, &r.name),
            })),
            None => Err(gh_error(
                "NOT_FOUND",
                format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            )),
        }
    }

    async fn viewer(&self, ctx: &Context<'_>) -> Result<User> {
        let login = caller(ctx)
            .0
            .clone()
            .ok_or_else(|| gh_error("FORBIDDEN", "Requires authentication"))?;
        Ok(user(&sim(ctx).lock(), &login))
    }

    async fn rate_limit(&self, ctx: &Context<'_>) -> RateLimit {
        let quota = ctx.data_unchecked::<world::Quota>();
        let reset = world::unix_timestamp(quota.reset);
        RateLimit {
            cost: 1,
            limit: quota.limit as i32,
            node_count: 0,
            remaining: quota.remaining as i32,
            reset_at: reset,
            used: (quota.limit - quota.remaining) as i32,
        }
    }
}

#[derive(SimpleObject)]
pub struct RateLimit {
    cost: i32,
    limit: i32,
    node_count: i32,
    remaining: i32,
    reset_at: String,
    used: i32,
}

pub struct Repository {
    key: String,
}

/// Runs `f` on the repository `key`, which a resolver reached, so it exists.
fn with_repo<T>(ctx: &Context<'_>, key: &str, f: impl FnOnce(&World, &world::Repo) -> T) -> T {
    let w = sim(ctx).lock();
    f(&w, &w.repos[key])
}

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
        let window = window!("pullRequests", first, after, last, before);
        let list = with_repo(ctx, &self.key, |_, r| {
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
        });
        Ok(window.apply(list).into())
    }

    async fn collaborators(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<RepositoryCollaboratorConnection> {
        let window = window!("collaborators", first, after, last, before);
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
        let window = window!("labels", first, after, last, before);
        let list = with_repo(ctx, &self.key, |_, r| {
            r.labels.values().map(label).collect::<Vec<_>>()
        });
        Ok(window.apply(list).into())
    }

    async fn branch_protection_rules(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<BranchProtectionRuleConnection> {
        let window = window!("branchProtectionRules", first, after, last, before);
        let list = with_repo(ctx, &self.key, |_, r| {
            r.protection
                .iter()
                .map(|(branch, p)| BranchProtectionRule {
                    pattern: branch.clone(),
                    requires_status_checks: !p.contexts.is_empty(),
                    required_status_check_contexts: p.contexts.iter().cloned().map(Some).collect(),
                    requires_strict_status_checks: p.strict,
                    requires_approving_reviews: p.required_approvals > 0,
                    required_approving_review_count: Some(p.required_approvals as i32),
                })
                .collect::<Vec<_>>()
        });
        Ok(window.apply(list).into())
    }
}

fn permission(p: &str) -> RepositoryPermission {
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
    nodes: Vec<User>,
    edges: Vec<RepositoryCollaboratorEdge>,
    page_info: PageInfo,
    total_count: i32,
}

#[derive(SimpleObject)]
pub struct RepositoryCollaboratorEdge {
    cursor: String,
    node: User,
    permission: RepositoryPermission,
}

#[derive(SimpleObject, Clone)]
pub struct BranchProtectionRule {
    pattern: String,
    requires_status_checks: bool,
    required_status_check_contexts: Vec<Option<String>>,
    requires_strict_status_checks: bool,
    requires_approving_reviews: bool,
    required_approving_review_count: Option<i32>,
}

#[derive(SimpleObject, Clone)]
pub struct Label {
    id: ID,
    name: String,
    color: String,
    description: Option<String>,
}

fn label(l: &world::Label) -> Label {
    Label {
        id: ID(node_id("L", l.id)),
        name: l.name.clone(),
        color: l.color.clone(),
        description: l.description.clone(),
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Ref {
    name: String,
    prefix: String,
    #[graphql(skip)]
    key: String,
    #[graphql(skip)]
    oid: String,
}

#[ComplexObject]
impl Ref {
    async fn target(&self, ctx: &Context<'_>) -> Option<GitObject> {
        with_repo(ctx, &self.key, |_, r| git_object(&self.key, r, &self.oid))
    }
}

/// GitHub's `GitObject`: what `Repository.object` finds.
#[derive(Interface)]
#[graphql(field(name = "oid", ty = "&String"))]
#[graphql(field(name = "abbreviated_oid", ty = "String"))]
pub enum GitObject {
    Blob(Blob),
    Tree(Tree),
    Commit(Commit),
}

fn git_object(key: &str, r: &world::Repo, expression: &str) -> Option<GitObject> {
    match expression.split_once(':') {
        None => r.git.resolve(expression).map(|oid| {
            GitObject::Commit(Commit {
                key: key.to_string(),
                oid,
            })
        }),
        Some((rev, path)) => {
            let oid = r.git.blob_id(rev, path)?;
            match r.git.read_file(rev, path) {
                Some(bytes) => Some(GitObject::Blob(Blob {
                    byte_size: bytes.len() as i32,
                    is_binary: std::str::from_utf8(&bytes).is_err(),
                    text: String::from_utf8(bytes).ok(),
                    oid,
                })),
                None => Some(GitObject::Tree(Tree {
                    entries: r
                        .git
                        .tree_entries(rev, path)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(kind, oid, name)| TreeEntry {
                            path: if path.is_empty() {
                                name.clone()
                            } else {
                                format!("{}/{name}", path.trim_end_matches('/'))
                            },
                            name,
                            kind,
                            oid,
                        })
                        .collect(),
                    oid,
                })),
            }
        }
    }
}

fn abbreviate(oid: &str) -> String {
    oid.chars().take(7).collect()
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Blob {
    oid: String,
    text: Option<String>,
    byte_size: i32,
    is_binary: bool,
}

#[ComplexObject]
impl Blob {
    async fn abbreviated_oid(&self) -> String {
        abbreviate(&self.oid)
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Tree {
    oid: String,
    entries: Vec<TreeEntry>,
}

#[ComplexObject]
impl Tree {
    async fn abbreviated_oid(&self) -> String {
        abbreviate(&self.oid)
    }
}

#[derive(SimpleObject)]
pub struct TreeEntry {
    name: String,
    path: String,
    oid: String,
    #[graphql(name = "type")]
    kind: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Commit {
    oid: String,
    #[graphql(skip)]
    key: String,
}

#[ComplexObject]
impl Commit {
    async fn abbreviated_oid(&self) -> String {
        abbreviate(&self.oid)
    }

    async fn message(&self, ctx: &Context<'_>) -> String {
        with_repo(ctx, &self.key, |_, r| {
            r.git
                .commit_info(&self.oid)
                .map(|c| c.message)
                .unwrap_or_default()
        })
    }

    async fn author(&self, ctx: &Context<'_>) -> Option<GitActor> {
        self.git_actor(ctx, false)
    }

    async fn committer(&self, ctx: &Context<'_>) -> Option<GitActor> {
        self.git_actor(ctx, true)
    }

    async fn status_check_rollup(&self, ctx: &Context<'_>) -> Option<StatusCheckRollup> {
        let contexts = with_repo(ctx, &self.key, |w, r| rollup_contexts(w, r, &self.oid));
        if contexts.is_empty() {
            return None;
        }
        let results: Vec<Outcome> = with_repo(ctx, &self.key, |_, r| {
            r.results_at(&self.oid)
                .into_iter()
                .map(|(_, o)| o)
                .collect()
        });
        let state = if results.contains(&Outcome::Failed) {
            StatusState::Failure
        } else if results.contains(&Outcome::Pending) {
            StatusState::Pending
        } else {
            StatusState::Success
        };
        Some(StatusCheckRollup { state, contexts })
    }
}

impl Commit {
    /// The commit's author or committer; `user` is the account of that name, when one exists.
    fn git_actor(&self, ctx: &Context<'_>, committer: bool) -> Option<GitActor> {
        with_repo(ctx, &self.key, |w, r| {
            let c = r.git.commit_info(&self.oid).ok()?;
            let (name, email) = if committer {
                (c.committer, c.committer_email)
            } else {
                (c.author, c.author_email)
            };
            let user = w.users.contains_key(&name).then(|| user(w, &name));
            Some(GitActor {
                name: Some(name),
                email: Some(email),
                user,
            })
        })
    }
}

#[derive(SimpleObject, Clone)]
pub struct GitActor {
    name: Option<String>,
    email: Option<String>,
    user: Option<User>,
}

/// Every check run and the newest status per context at `sha`.
fn rollup_contexts(w: &World, r: &world::Repo, sha: &str) -> Vec<StatusCheckRollupContext> {
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

fn check_run(w: &World, c: &world::CheckRun) -> CheckRun {
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
    state: StatusState,
    #[graphql(skip)]
    contexts: Vec<StatusCheckRollupContext>,
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
        let window = window!("contexts", first, after, last, before);
        Ok(window.apply(self.contexts.clone()).into())
    }
}

#[derive(Union, Clone)]
pub enum StatusCheckRollupContext {
    CheckRun(CheckRun),
    StatusContext(StatusContext),
}

#[derive(SimpleObject, Clone)]
pub struct CheckRun {
    id: ID,
    database_id: Option<i32>,
    name: String,
    status: CheckStatusState,
    conclusion: Option<CheckConclusionState>,
    started_at: Option<String>,
    completed_at: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    text: Option<String>,
    check_suite: CheckSuite,
}

#[derive(SimpleObject, Clone)]
pub struct CheckSuite {
    app: Option<App>,
}

#[derive(SimpleObject, Clone)]
pub struct App {
    database_id: Option<i32>,
    slug: String,
    name: String,
}

#[derive(SimpleObject, Clone)]
pub struct StatusContext {
    id: ID,
    context: String,
    state: StatusState,
    description: Option<String>,
    target_url: Option<String>,
    created_at: String,
}

fn pull_state(state: &str, merged: bool) -> PullRequestState {
    match (state, merged) {
        (_, true) => PullRequestState::Merged,
        ("open", _) => PullRequestState::Open,
        _ => PullRequestState::Closed,
    }
}

#[derive(Clone)]
pub struct PullRequest {
    key: String,
    number: u64,
    /// What git says of it, worked out once however many fields ask.
    derived: Arc<Derived>,
}

#[derive(Default)]
struct Derived {
    /// Head and base commits.
    tips: OnceLock<(String, String)>,
    changes: OnceLock<Vec<super::git::FileChange>>,
    state: OnceLock<MergeState>,
}

impl PullRequest {
    fn new(key: String, number: u64) -> PullRequest {
        PullRequest {
            key,
            number,
            derived: Arc::default(),
        }
    }

    fn with<T>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&World, &world::Repo, &world::Issue, &world::Pull) -> T,
    ) -> T {
        with_repo(ctx, &self.key, |w, r| {
            let issue = &r.issues[&self.number];
            f(w, r, issue, issue.pull.as_ref().expect("a pull request"))
        })
    }

    fn tips(&self, ctx: &Context<'_>) -> &(String, String) {
        self.derived.tips.get_or_init(|| {
            self.with(ctx, |_, r, i, p| {
                let resolve = |name: String| r.git.resolve(&name).unwrap_or_default();
                (
                    resolve(format!("refs/pull/{}/head", i.number)),
                    resolve(format!("refs/heads/{}", p.base_ref)),
                )
            })
        })
    }

    fn head(&self, ctx: &Context<'_>) -> String {
        self.tips(ctx).0.clone()
    }

    fn base(&self, ctx: &Context<'_>) -> String {
        self.tips(ctx).1.clone()
    }

    fn changes(&self, ctx: &Context<'_>) -> &[super::git::FileChange] {
        self.derived.changes.get_or_init(|| {
            let (head, base) = self.tips(ctx);
            with_repo(ctx, &self.key, |_, r| {
                r.git.changed_files(base, head).unwrap_or_default()
            })
        })
    }

    fn merge_state(&self, ctx: &Context<'_>) -> MergeState {
        *self
            .derived
            .state
            .get_or_init(|| self.with(ctx, |w, r, i, _| w.merge_state(r, i)))
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
        let window = window!("labels", first, after, last, before);
        let list = self.with(ctx, |_, r, i, _| {
            i.labels
                .iter()
                .filter_map(|n| r.labels.get(n))
                .map(label)
                .collect()
        });
        Ok(window.apply(list).into())
    }

    async fn assignees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<UserConnection> {
        let window = window!("assignees", first, after, last, before);
        let list = self.with(ctx, |w, _, i, _| {
            i.assignees.iter().map(|u| user(w, u)).collect()
        });
        Ok(window.apply(list).into())
    }

    async fn review_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ReviewRequestConnection> {
        let window = window!("reviewRequests", first, after, last, before);
        let list = self.with(ctx, |w, _, _, p| {
            p.requested_reviewers
                .iter()
                .map(|u| ReviewRequest {
                    requested_reviewer: Some(match actor(w, u) {
                        Actor::User(u) => RequestedReviewer::User(u),
                        Actor::Bot(b) => RequestedReviewer::Bot(b),
                    }),
                })
                .collect()
        });
        Ok(window.apply(list).into())
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
        let window = window!("reviews", first, after, last, before);
        let list = self.with(ctx, |w, r, _, _| {
            r.reviews
                .values()
                .filter(|rv| rv.pull == self.number)
                .map(|rv| review(w, &self.key, rv))
                .filter(|rv| states.as_ref().is_none_or(|s| s.contains(&rv.state)))
                .filter(|rv| author.as_ref().is_none_or(|a| *a == rv.login))
                .collect()
        });
        Ok(window.apply(list).into())
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
        let window = window!("latestOpinionatedReviews", first, after, last, before);
        let list = self.latest(ctx, |s| {
            matches!(
                s,
                PullRequestReviewState::Approved | PullRequestReviewState::ChangesRequested
            )
        });
        Ok(window.apply(list).into())
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
        let window = window!("latestReviews", first, after, last, before);
        let list = self.latest(ctx, |s| s != PullRequestReviewState::Pending);
        Ok(window.apply(list).into())
    }

    async fn files(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestChangedFileConnection> {
        let window = window!("files", first, after, last, before);
        let list = self
            .changes(ctx)
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
            .collect();
        Ok(window.apply(list).into())
    }

    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<IssueCommentConnection> {
        let window = window!("comments", first, after, last, before);
        let list = self.with(ctx, |w, r, _, _| {
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
        });
        Ok(window.apply(list).into())
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
        let window = window!("reviewThreads", first, after, last, before);
        Ok(window.apply(Vec::new()).into())
    }

    async fn commits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<PullRequestCommitConnection> {
        let window = window!("commits", first, after, last, before);
        let (head, base) = (self.head(ctx), self.base(ctx));
        let list = with_repo(ctx, &self.key, |_, r| {
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
        });
        Ok(window.apply(list).into())
    }
}

impl PullRequest {
    fn latest(
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
pub struct AutoMergeRequest {
    enabled_by: Option<Actor>,
    merge_method: PullRequestMergeMethod,
}

#[derive(SimpleObject, Clone)]
pub struct ReviewRequest {
    requested_reviewer: Option<RequestedReviewer>,
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestReview {
    id: ID,
    database_id: Option<i32>,
    author: Option<Actor>,
    state: PullRequestReviewState,
    body: String,
    submitted_at: Option<String>,
    commit: Option<Commit>,
    #[graphql(skip)]
    login: String,
}

fn review(w: &World, key: &str, rv: &world::Review) -> PullRequestReview {
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

#[derive(SimpleObject, Clone)]
pub struct PullRequestChangedFile {
    path: String,
    additions: i32,
    deletions: i32,
    change_type: PatchStatus,
}

#[derive(SimpleObject, Clone)]
pub struct IssueComment {
    id: ID,
    database_id: Option<i32>,
    body: String,
    author: Option<Actor>,
    created_at: String,
    updated_at: String,
    url: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct PullRequestReviewThread {
    id: ID,
    is_resolved: bool,
    is_outdated: bool,
    #[graphql(skip)]
    comments: Vec<PullRequestReviewComment>,
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
        let window = window!("comments", first, after, last, before);
        Ok(window.apply(self.comments.clone()).into())
    }
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestReviewComment {
    url: String,
    path: String,
    line: Option<i32>,
    body: String,
}

/// GitHub's `GitObjectID` scalar: a commit, tree or blob id in hex.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct GitObjectId(String);
async_graphql::scalar!(GitObjectId, "GitObjectID");

#[derive(SimpleObject, Clone)]
pub struct PullRequestCommit {
    commit: Commit,
}

#[derive(InputObject)]
pub struct EnablePullRequestAutoMergeInput {
    pull_request_id: ID,
    merge_method: Option<PullRequestMergeMethod>,
    client_mutation_id: Option<String>,
    commit_headline: Option<String>,
    commit_body: Option<String>,
    author_email: Option<String>,
    expected_head_oid: Option<GitObjectId>,
}

#[derive(InputObject)]
pub struct DisablePullRequestAutoMergeInput {
    pull_request_id: ID,
    client_mutation_id: Option<String>,
}

#[derive(SimpleObject)]
pub struct EnablePullRequestAutoMergePayload {
    actor: Option<Actor>,
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

#[derive(SimpleObject)]
pub struct DisablePullRequestAutoMergePayload {
    actor: Option<Actor>,
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// The issue id inside a pull request's node id (`PR_sim<id>`).
fn pull_node(id: &ID) -> Result<u64> {
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

fn login(ctx: &Context<'_>) -> Result<String> {
    caller(ctx)
        .0
        .clone()
        .ok_or_else(|| gh_error("FORBIDDEN", "Requires authentication"))
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
