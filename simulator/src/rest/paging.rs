//! GitHub's REST pagination: `?per_page=&page=` and the `Link` header.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

/// `?per_page=&page=`, GitHub's pagination (30 by default, at most 100).
#[derive(Deserialize, Default)]
pub(crate) struct Page {
    #[serde(default, deserialize_with = "query_number")]
    pub(crate) per_page: Option<usize>,
    #[serde(default, deserialize_with = "query_number")]
    pub(crate) page: Option<usize>,
}

/// A number from a query string. Inside `#[serde(flatten)]` (a filter with a page) it arrives
/// as text, which a plain `usize` field refuses.
fn query_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(usize),
        Text(String),
    }
    match Option::<Number>::deserialize(d)? {
        None => Ok(None),
        Some(Number::Int(n)) => Ok(Some(n)),
        Some(Number::Text(t)) => t.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// One page of `items` with GitHub's `Link` header (`next`, `last`, `first`, `prev`).
pub(crate) fn paginate(
    base: &str,
    path: &str,
    page: &Page,
    items: Vec<Value>,
) -> (Vec<Value>, Option<String>) {
    let per_page = page.per_page.unwrap_or(30).clamp(1, 100);
    let current = page.page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice = items
        .into_iter()
        .skip((current - 1) * per_page)
        .take(per_page)
        .collect();
    let link =
        |n: usize, rel: &str| format!("<{base}{path}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if current < last {
        links.push(link(current + 1, "next"));
        links.push(link(last, "last"));
    }
    if current > 1 {
        links.push(link(1, "first"));
        links.push(link(current - 1, "prev"));
    }
    (slice, (!links.is_empty()).then(|| links.join(", ")))
}

/// A page of a JSON array, with its `Link` header.
pub(crate) fn array_page(base: &str, path: &str, page: &Page, items: Vec<Value>) -> Response {
    let (list, link) = paginate(base, path, page, items);
    page_response(Value::Array(list), link)
}

pub(crate) fn page_response(body: Value, link: Option<String>) -> Response {
    let mut resp = Json(body).into_response();
    if let Some(link) = link
        && let Ok(value) = link.parse()
    {
        resp.headers_mut().insert("link", value);
    }
    resp
}
