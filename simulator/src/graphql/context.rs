//! What resolvers take from a request (the simulator, the caller) and how they refuse, in
//! GitHub's error shape.

use async_graphql::{Context, Error, ErrorExtensions, Result};

use crate::errors::Refusal;
use crate::state::{Caller, Sim};
use crate::world::{self, World};

/// A GraphQL error with GitHub's `type` (moved to the top level by the handler).
pub(super) fn gh_error(kind: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("type", kind))
}

pub(super) fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::NotFound => gh_error("NOT_FOUND", "Could not resolve to a node"),
        Refusal::Forbidden(m) => gh_error("FORBIDDEN", m),
        Refusal::Unauthenticated => gh_error("FORBIDDEN", "Requires authentication"),
        Refusal::Invalid(m) | Refusal::NotAllowed(m) | Refusal::Conflict(m) => {
            gh_error("UNPROCESSABLE", m)
        }
    }
}

pub(super) fn sim<'a>(ctx: &Context<'a>) -> &'a Sim {
    ctx.data_unchecked::<Sim>()
}

pub(super) fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    ctx.data_unchecked::<Caller>()
}

pub(super) fn login(ctx: &Context<'_>) -> Result<String> {
    caller(ctx)
        .0
        .clone()
        .ok_or_else(|| gh_error("FORBIDDEN", "Requires authentication"))
}

/// Runs `f` on the repository `key`, which a resolver reached, so it exists.
pub(super) fn with_repo<T>(
    ctx: &Context<'_>,
    key: &str,
    f: impl FnOnce(&World, &world::Repo) -> T,
) -> T {
    let w = sim(ctx).lock();
    f(&w, &w.repos[key])
}
