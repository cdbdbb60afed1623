//! Connections: `first`/`last` with `after`/`before` over a whole list, by GitHub's rules,
//! and the `XConnection` and `XEdge` types a page takes.

use async_graphql::{Result, SimpleObject};
use base64::Engine;

use super::context::gh_error;

/// `first`/`last` with `after`/`before` over a whole list, by GitHub's rules: one of `first`
/// or `last` is required, and neither may exceed 100.
#[derive(Clone, Copy, Default)]
pub(super) struct Window {
    pub(super) first: Option<i32>,
    pub(super) after: Option<usize>,
    pub(super) last: Option<i32>,
    pub(super) before: Option<usize>,
}

impl Window {
    pub(super) fn new(
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

    pub(super) fn apply<T: Clone>(self, items: Vec<T>) -> Slice<T> {
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

pub(super) fn encode_cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{index}"))
}

pub(super) fn decode_cursor(cursor: &str) -> Result<usize> {
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
    pub(super) has_next_page: bool,
    pub(super) has_previous_page: bool,
    pub(super) start_cursor: Option<String>,
    pub(super) end_cursor: Option<String>,
}

/// One page of a list, before it takes its GraphQL type.
pub struct Slice<T> {
    pub(super) edges: Vec<(String, T)>,
    pub(super) page_info: PageInfo,
    pub(super) total_count: i32,
}

/// GitHub's `XConnection` and `XEdge` types for node type `X`.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            nodes: Vec<$node>,
            edges: Vec<$edge>,
            page_info: $crate::graphql::paging::PageInfo,
            total_count: i32,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            cursor: String,
            node: $node,
        }

        impl From<$crate::graphql::paging::Slice<$node>> for $connection {
            fn from(slice: $crate::graphql::paging::Slice<$node>) -> $connection {
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

pub(super) use connection;

/// One page of the connection field `connection`: its `first`, `after`, `last` and `before`
/// are checked before `items` lists the whole, then the page is cut from it.
pub(super) fn page<T: Clone, C: From<Slice<T>>>(
    connection: &str,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    items: impl FnOnce() -> Vec<T>,
) -> Result<C> {
    let window = Window::new(connection, first, after, last, before)?;
    Ok(window.apply(items()).into())
}
