//! Repositories and pull requests as GraphQL nodes: handles that resolve each field from the
//! world when asked.

use std::sync::{Arc, OnceLock};

use async_graphql::Context;

use super::context::with_repo;
use crate::world::{self, MergeState, World};

pub struct Repository {
    pub(super) key: String,
}

#[derive(Clone)]
pub struct PullRequest {
    pub(super) key: String,
    pub(super) number: u64,
    /// What git says of it, worked out once however many fields ask.
    derived: Arc<Derived>,
}

#[derive(Default)]
struct Derived {
    /// Head and base commits.
    tips: OnceLock<(String, String)>,
    changes: OnceLock<Vec<crate::git::FileChange>>,
    state: OnceLock<MergeState>,
}

impl PullRequest {
    pub(super) fn new(key: String, number: u64) -> PullRequest {
        PullRequest {
            key,
            number,
            derived: Arc::default(),
        }
    }

    pub(super) fn with<T>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&World, &world::Repo, &world::Issue, &world::Pull) -> T,
    ) -> T {
        with_repo(ctx, &self.key, |w, r| {
            let issue = &r.issues[&self.number];
            f(w, r, issue, issue.pull.as_ref().expect("a pull request"))
        })
    }

    pub(super) fn tips(&self, ctx: &Context<'_>) -> &(String, String) {
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

    pub(super) fn head(&self, ctx: &Context<'_>) -> String {
        self.tips(ctx).0.clone()
    }

    pub(super) fn base(&self, ctx: &Context<'_>) -> String {
        self.tips(ctx).1.clone()
    }

    pub(super) fn changes(&self, ctx: &Context<'_>) -> &[crate::git::FileChange] {
        self.derived.changes.get_or_init(|| {
            let (head, base) = self.tips(ctx);
            with_repo(ctx, &self.key, |_, r| {
                r.git.changed_files(base, head).unwrap_or_default()
            })
        })
    }

    pub(super) fn merge_state(&self, ctx: &Context<'_>) -> MergeState {
        *self
            .derived
            .state
            .get_or_init(|| self.with(ctx, |w, r, i, _| w.merge_state(r, i)))
    }
}
