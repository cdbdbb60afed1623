//! The GitHub client against the simulator: token choice and failover, bad credentials,
//! retries for idempotent requests only, and what a delivery spent, read back from the
//! simulator's request log.

mod common;

use std::sync::Arc;

use common::sim::*;
use github_webhook_server::github::client::{GitHub, GitHubError};
use github_webhook_server::github::queries;
use github_webhook_server::github::spend::Spend;
use github_webhook_server::github::tokens::{TokenPool, label};
use http::Method;
use serde_json::{Value, json};

const TOKEN_A: &str = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN_B: &str = "ghp_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

async fn setup(api: &Api) {
    api.admin("/tokens", json!({"token": TOKEN_A, "login": "bot-a"}))
        .await;
    api.admin("/tokens", json!({"token": TOKEN_B, "login": "bot-b"}))
        .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "files": {"a": "a\n"},
               "collaborators": {"bot-a": "write", "bot-b": "write"}}),
    )
    .await;
    api.admin(
        "/repos/acme/w/pulls",
        json!({"author": "bob", "title": "t", "head": "f", "files": {"b": "b\n"}}),
    )
    .await;
}

fn client(api: &Api, tokens: &[&str]) -> GitHub {
    let pool = TokenPool::new(tokens.iter().map(|t| t.to_string()));
    GitHub::new(&api.base, Arc::new(pool)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_exhausted_mid_delivery_fails_over_to_the_other() {
    let (_dir, _sim, api) = start().await;
    setup(&api).await;
    let gh = client(&api, &[TOKEN_A, TOKEN_B]);
    let spend = Spend::default();
    gh.rest(&spend, Method::GET, "/repos/acme/w", None)
        .await
        .unwrap();
    // Token B runs dry before the client has measured it.
    let resp = api
        .http
        .post(format!("{}/_simulator/rate-limit", api.base))
        .json(&json!({"token": TOKEN_B, "limit": 5000, "remaining": 0}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let pull = gh
        .rest(&spend, Method::GET, "/repos/acme/w/pulls/1", None)
        .await
        .unwrap();
    assert_eq!(pull.body["number"], 1);
    let comment = gh
        .rest(
            &spend,
            Method::POST,
            "/repos/acme/w/issues/1/comments",
            Some(&json!({"body": "hello"})),
        )
        .await
        .unwrap();
    assert_eq!(comment.status, 201);

    let log: Vec<(String, u64)> = api
        .requests(0)
        .await
        .iter()
        .map(|r| {
            (
                r["login"].as_str().unwrap_or("-").to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        log,
        [
            ("bot-a".to_string(), 200),
            ("bot-b".to_string(), 403),
            ("bot-a".to_string(), 200),
            ("bot-a".to_string(), 201),
        ]
    );
    // Every request counts, the refused one too, under a label that hides the token.
    let summary = spend.summary();
    assert_eq!(summary["reads"], 3);
    assert_eq!(summary["writes"], 1);
    assert_eq!(summary["by_token"][label(0, TOKEN_A)], 3);
    assert_eq!(summary["by_token"][label(1, TOKEN_B)], 1);
    assert_eq!(summary["rate_limit_remaining"], 4997);
    let text = Value::Object(summary).to_string();
    assert!(!text.contains(TOKEN_A) && !text.contains(TOKEN_B), "{text}");
    let state = gh.pool().state();
    assert_eq!(state[1].1, Some(0));

    // With every token spent for an hour, the client gives up at once instead of hanging.
    let lone = client(&api, &[TOKEN_B]);
    let err = lone
        .rest(&Spend::default(), Method::GET, "/repos/acme/w", None)
        .await
        .unwrap_err();
    assert!(matches!(err, GitHubError::RateLimited { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_refused_as_bad_credentials_leaves_the_pool() {
    let (_dir, _sim, api) = start().await;
    setup(&api).await;
    let revoked = "ghp_revokedrevokedrevokedrevokedrevoked";
    let gh = client(&api, &[revoked, TOKEN_A]);
    let spend = Spend::default();
    for _ in 0..2 {
        gh.rest(&spend, Method::GET, "/repos/acme/w", None)
            .await
            .unwrap();
    }
    let statuses: Vec<u64> = api
        .requests(0)
        .await
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    // One 401, then the good token only.
    assert_eq!(statuses, [401, 200, 200]);
    assert!(gh.pool().state()[0].2);
    let err = client(&api, &[revoked])
        .rest(&Spend::default(), Method::GET, "/repos/acme/w", None)
        .await
        .unwrap_err();
    assert!(matches!(err, GitHubError::NoToken { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_for_reads_and_never_for_writes() {
    let (_dir, _sim, api) = start().await;
    setup(&api).await;
    let gh = client(&api, &[TOKEN_A]);
    api.admin(
        "/faults",
        json!({"error_rate": 1.0, "statuses": [502], "seed": 7}),
    )
    .await;
    let before = api.requests(0).await.len() as u64;
    let err = gh
        .rest(&Spend::default(), Method::GET, "/repos/acme/w", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, GitHubError::Status { status: 502, .. }),
        "{err}"
    );
    assert_eq!(api.requests(before).await.len(), 3, "three attempts");

    let before = api.requests(0).await.len() as u64;
    let spend = Spend::default();
    let err = gh
        .rest(
            &spend,
            Method::POST,
            "/repos/acme/w/issues/1/comments",
            Some(&json!({"body": "once"})),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GitHubError::Status { status: 502, .. }));
    assert_eq!(api.requests(before).await.len(), 1, "a write is sent once");
    assert_eq!(spend.writes(), 1);

    // A GraphQL mutation is a write too; a query is retried.
    let id = "PR_sim1";
    let before = api.requests(0).await.len() as u64;
    let mutation =
        json!({"query": queries::DISABLE_AUTO_MERGE, "variables": {"pullRequestId": id}});
    assert!(gh.graphql(&spend, &mutation).await.is_err());
    assert_eq!(api.requests(before).await.len(), 1);
    assert_eq!(spend.writes(), 2);

    api.admin("/faults", json!({"error_rate": 0.0, "statuses": []}))
        .await;
    let data = gh
        .graphql(
            &spend,
            &json!({
                "query": queries::REPOSITORY_DATA,
                "variables": {"owner": "acme", "name": "w", "number": 1,
                              "configExpression": "main:.github-webhook-server.yaml"},
            }),
        )
        .await
        .unwrap();
    assert_eq!(data["repository"]["pullRequest"]["number"], 1);
    assert_eq!(data["repository"]["config"], Value::Null);
    assert_eq!(spend.reads(), 1);
    let missing = gh
        .graphql(
            &spend,
            &json!({
                "query": queries::REPOSITORY_DATA,
                "variables": {"owner": "acme", "name": "nope", "number": 1,
                              "configExpression": "main:x"},
            }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, GitHubError::GraphQl { operation, kind, .. }
            if operation == "RepositoryData" && kind == "NOT_FOUND"),
        "{missing}"
    );
}
