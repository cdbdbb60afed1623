//! Git objects: refs, commits (with their status rollup), trees and blobs.

use async_graphql::{ComplexObject, Context, Interface, SimpleObject};

use super::actors::{User, user};
use super::checks::{StatusCheckRollup, StatusState, rollup_contexts};
use super::context::with_repo;
use super::paging::connection;
use crate::world::{self, Outcome};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Ref {
    pub(super) name: String,
    pub(super) prefix: String,
    #[graphql(skip)]
    pub(super) key: String,
    #[graphql(skip)]
    pub(super) oid: String,
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

pub(super) fn git_object(key: &str, r: &world::Repo, expression: &str) -> Option<GitObject> {
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

pub(super) fn abbreviate(oid: &str) -> String {
    oid.chars().take(7).collect()
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Blob {
    pub(super) oid: String,
    pub(super) text: Option<String>,
    pub(super) byte_size: i32,
    pub(super) is_binary: bool,
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
    pub(super) oid: String,
    pub(super) entries: Vec<TreeEntry>,
}

#[ComplexObject]
impl Tree {
    async fn abbreviated_oid(&self) -> String {
        abbreviate(&self.oid)
    }
}

#[derive(SimpleObject)]
pub struct TreeEntry {
    pub(super) name: String,
    pub(super) path: String,
    pub(super) oid: String,
    #[graphql(name = "type")]
    pub(super) kind: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Commit {
    pub(super) oid: String,
    #[graphql(skip)]
    pub(super) key: String,
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
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) user: Option<User>,
}

#[derive(SimpleObject, Clone)]
pub struct PullRequestCommit {
    pub(super) commit: Commit,
}

connection!(
    PullRequestCommitConnection,
    PullRequestCommitEdge,
    PullRequestCommit
);
