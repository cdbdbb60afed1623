//! A repository's issues, pull requests left out as on GitHub: filtered by state and ordered by
//! creation or update.

use async_graphql::{Context, Enum, InputObject, Object};

use super::actors::{Actor, actor};
use super::context::with_repo;
use super::paging::connection;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum IssueState {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum IssueOrderField {
    CreatedAt,
    UpdatedAt,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

#[derive(InputObject)]
pub struct IssueOrder {
    field: IssueOrderField,
    direction: OrderDirection,
}

/// One issue of a repository, read when its field is resolved.
#[derive(Clone)]
pub struct Issue {
    key: String,
    number: u64,
}

impl Issue {
    fn with<T>(
        &self,
        ctx: &Context<'_>,
        f: impl FnOnce(&crate::world::World, &crate::world::Issue) -> T,
    ) -> T
    where
        T: Default,
    {
        with_repo(ctx, &self.key, |w, r| {
            r.issues
                .get(&self.number)
                .map(|i| f(w, i))
                .unwrap_or_default()
        })
    }
}

#[Object]
impl Issue {
    async fn number(&self) -> i32 {
        self.number as i32
    }

    async fn title(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, i| i.title.clone())
    }

    async fn body(&self, ctx: &Context<'_>) -> String {
        self.with(ctx, |_, i| i.body.clone().unwrap_or_default())
    }

    async fn state(&self, ctx: &Context<'_>) -> IssueState {
        match self.with(ctx, |_, i| i.state == "closed") {
            true => IssueState::Closed,
            false => IssueState::Open,
        }
    }

    async fn author(&self, ctx: &Context<'_>) -> Option<Actor> {
        self.with(ctx, |w, i| Some(actor(w, &i.user)))
    }
}

/// The issues of the repository under `key`, as the `issues` connection lists them.
pub(super) fn issues(
    ctx: &Context<'_>,
    key: &str,
    states: Option<&[IssueState]>,
    order: Option<&IssueOrder>,
) -> Vec<Issue> {
    with_repo(ctx, key, |_, r| {
        let mut found: Vec<&crate::world::Issue> = r
            .issues
            .values()
            .filter(|i| i.pull.is_none())
            .filter(|i| {
                let state = if i.state == "closed" {
                    IssueState::Closed
                } else {
                    IssueState::Open
                };
                states.is_none_or(|s| s.contains(&state))
            })
            .collect();
        // Timestamps share one format, so text order is time order; the number breaks ties.
        match order.map(|o| o.field) {
            Some(IssueOrderField::UpdatedAt) => {
                found.sort_by(|a, b| (&a.updated_at, a.number).cmp(&(&b.updated_at, b.number)))
            }
            _ => found.sort_by_key(|i| i.number),
        }
        if order.is_some_and(|o| o.direction == OrderDirection::Desc) {
            found.reverse();
        }
        found
            .into_iter()
            .map(|i| Issue {
                key: key.to_string(),
                number: i.number,
            })
            .collect()
    })
}

connection!(IssueConnection, IssueEdge, Issue);
