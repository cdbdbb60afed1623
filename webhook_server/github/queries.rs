//! The GraphQL documents the server sends to GitHub. Static ones live in `graphql/*.graphql`;
//! the OWNERS query is built per delivery, since the files it reads depend on the changed
//! paths. CI validates every one against GitHub's published schema.

use serde_json::{Map, Value, json};

pub const REPOSITORY_DATA: &str = include_str!("graphql/repository_data.graphql");
pub const PULL_REQUEST_FILES: &str = include_str!("graphql/pull_request_files.graphql");
pub const REVIEW_THREADS: &str = include_str!("graphql/review_threads.graphql");
pub const ENABLE_AUTO_MERGE: &str = include_str!("graphql/enable_auto_merge.graphql");
pub const DISABLE_AUTO_MERGE: &str = include_str!("graphql/disable_auto_merge.graphql");
pub const PULL_REQUEST_MERGEABLE: &str = include_str!("graphql/pull_request_mergeable.graphql");

/// Every static document, by file name, for validation.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("repository_data.graphql", REPOSITORY_DATA),
    ("pull_request_files.graphql", PULL_REQUEST_FILES),
    ("review_threads.graphql", REVIEW_THREADS),
    ("enable_auto_merge.graphql", ENABLE_AUTO_MERGE),
    ("disable_auto_merge.graphql", DISABLE_AUTO_MERGE),
    ("pull_request_mergeable.graphql", PULL_REQUEST_MERGEABLE),
];

/// The request body reading files in one query, each named by a `rev:path` expression: field
/// `f<i>` holds `expressions[i]`'s text, or null when the file does not exist there. Paths
/// travel as variables, never spliced into the document. With `with_issues`, it also reads the
/// repository's fifty newest issues (number, body, author), where a tracking issue the server
/// opened is found again by its marker.
pub fn files_at(owner: &str, name: &str, expressions: &[String], with_issues: bool) -> Value {
    let declared: String = (0..expressions.len())
        .map(|i| format!(", $f{i}: String!"))
        .collect();
    let fields: String = (0..expressions.len())
        .map(|i| format!("    f{i}: object(expression: $f{i}) {{ ... on Blob {{ text }} }}\n"))
        .collect();
    let issues = if with_issues {
        "    issues(first: 50, states: [OPEN, CLOSED], orderBy: {field: CREATED_AT, direction: DESC}) {\n      nodes { number body author { login } }\n    }\n"
    } else {
        ""
    };
    let query = format!(
        "query FilesAt($owner: String!, $name: String!{declared}) {{\n  repository(owner: $owner, name: $name) {{\n{fields}{issues}  }}\n}}\n"
    );
    let mut variables = Map::new();
    variables.insert("owner".into(), json!(owner));
    variables.insert("name".into(), json!(name));
    for (i, expression) in expressions.iter().enumerate() {
        variables.insert(format!("f{i}"), json!(expression));
    }
    json!({"query": query, "variables": variables})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_at_declares_one_variable_per_path() {
        let body = files_at(
            "o",
            "r",
            &["abc:OWNERS".into(), "abc:src/OWNERS".into()],
            false,
        );
        let query = body["query"].as_str().unwrap();
        assert!(query.contains("$f0: String!, $f1: String!"));
        assert!(query.contains("f1: object(expression: $f1)"));
        assert_eq!(body["variables"]["f1"], "abc:src/OWNERS");
        assert_eq!(body["variables"]["owner"], "o");
    }
}
