//! The query root: a repository, the viewer, and the rate limit.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::actors::{User, user};
use super::context::{caller, gh_error, sim};
use super::handles::Repository;
use crate::state::visible;
use crate::world::{self};

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
    pub(super) cost: i32,
    pub(super) limit: i32,
    pub(super) node_count: i32,
    pub(super) remaining: i32,
    pub(super) reset_at: String,
    pub(super) used: i32,
}
