//! The simulator's GraphQL API, driven with the server's own documents: what it answers must
//! agree with the state the admin API built and REST reads back.

mod common;

use common::sim::*;
use github_webhook_server::github::queries;
use http::Method;
use serde_json::{Value, json};

const OWNER_TOKEN: &str = "ghp_owner_token";
const CI_TOKEN: &str = "ghs_ci_installation";

async fn graphql(api: &Api, token: &str, body: Value) -> (u16, Value) {
    api.call(
        Method::POST,
        "/graphql",
        &format!("bearer {token}"),
        Some(body),
    )
    .await
}

/// A repository with OWNERS files and a repo-local config, a bot, and an open PR #1 by bob
/// that touches two directories.
async fn scenario(api: &Api) -> String {
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin("/tokens", json!({"token": OWNER_TOKEN, "login": "acme"}))
        .await;
    api.admin("/tokens", json!({"token": CI_TOKEN, "login": "ci[bot]"}))
        .await;
    api.admin(
        "/repos",
        json!({
            "full_name": "acme/widgets",
            "files": {
                "OWNERS": "approvers:\n  - alice\n",
                "src/OWNERS": "reviewers:\n  - carol\n",
                ".github-webhook-server.yaml": "minimum-lgtm: 1\n",
                "src/lib.rs": "pub fn a() {}\n",
            },
            "collaborators": {"alice": "admin", "bob": "write", "carol": "read", "gws-bot": "write"},
        }),
    )
    .await;
    let pr = api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "bob", "title": "feat: b", "head": "feature",
                   "files": {"src/lib.rs": "pub fn a() {}\npub fn b() {}\n", "docs/b.md": "b\n"}}),
        )
        .await;
    pr["head_sha"].as_str().unwrap().to_string()
}

fn repository_data_request(number: u64) -> Value {
    json!({
        "query": queries::REPOSITORY_DATA,
        "variables": {"owner": "acme", "name": "widgets", "number": number,
                      "configExpression": "main:.github-webhook-server.yaml"},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_data_answers_one_query_with_what_rest_shows() {
    let (_dir, _sim, api) = start().await;
    let head = scenario(&api).await;
    // Activity on the PR, through the admin API and through REST as the bot.
    api.admin(
        "/repos/acme/widgets/issues/1/labels",
        json!({"author": "alice", "labels": ["size/S", "hold"]}),
    )
    .await;
    api.admin(
        "/repos/acme/widgets/pulls/1/reviews",
        json!({"author": "alice", "state": "CHANGES_REQUESTED"}),
    )
    .await;
    api.admin(
        "/repos/acme/widgets/pulls/1/reviews",
        json!({"author": "alice", "state": "APPROVED"}),
    )
    .await;
    api.admin(
        "/repos/acme/widgets/pulls/1/reviews",
        json!({"author": "carol", "state": "COMMENTED", "body": "nice"}),
    )
    .await;
    api.admin(
        "/repos/acme/widgets/issues/1/comments",
        json!({"author": "bob", "body": "/verified"}),
    )
    .await;
    api.admin(
        "/repos/acme/widgets/check-runs",
        json!({"app": "ci", "name": "tox", "head_sha": head, "status": "completed",
               "conclusion": "failure"}),
    )
    .await;
    let bot = format!("token {BOT_TOKEN}");
    let (status, _) = api
        .call(
            Method::POST,
            "/repos/acme/widgets/pulls/1/requested_reviewers",
            &bot,
            Some(json!({"reviewers": ["carol"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .call(
            Method::POST,
            "/repos/acme/widgets/issues/1/assignees",
            &bot,
            Some(json!({"assignees": ["bob"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/repos/acme/widgets/statuses/{head}"),
            &bot,
            Some(json!({"state": "success", "context": "ci/jenkins"})),
        )
        .await;
    assert_eq!(status, 201);

    let (status, body) = graphql(&api, BOT_TOKEN, repository_data_request(1)).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    let repo = &body["data"]["repository"];
    assert_eq!(repo["nameWithOwner"], "acme/widgets");
    assert_eq!(repo["defaultBranchRef"]["name"], "main");
    assert_eq!(repo["config"]["text"], "minimum-lgtm: 1\n");
    let permissions: Vec<(String, String)> = repo["collaborators"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["login"].as_str().unwrap().to_string(),
                e["permission"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(permissions.contains(&("alice".into(), "ADMIN".into())));
    assert!(permissions.contains(&("bob".into(), "WRITE".into())));
    assert!(permissions.contains(&("carol".into(), "READ".into())));
    assert!(permissions.contains(&("acme".into(), "ADMIN".into())));

    let pr = &repo["pullRequest"];
    let (_, _, rest) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    assert_eq!(pr["headRefOid"], rest["head"]["sha"]);
    assert_eq!(pr["baseRefOid"], rest["base"]["sha"]);
    assert_eq!(pr["additions"], rest["additions"]);
    assert_eq!(pr["changedFiles"], 2);
    assert_eq!(pr["author"]["login"], "bob");
    assert_eq!(pr["state"], "OPEN");
    assert_eq!(pr["mergeable"], "MERGEABLE");
    // The failing third-party check makes it unstable, not blocked: nothing is required.
    assert_eq!(pr["mergeStateStatus"], "UNSTABLE");
    assert_eq!(rest["mergeable_state"], "unstable");
    let names = |v: &Value, key: &str| -> Vec<String> {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n[key].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names(&pr["labels"], "name"), ["size/S", "hold"]);
    assert_eq!(names(&pr["assignees"], "login"), ["bob"]);
    assert_eq!(
        pr["reviewRequests"]["nodes"][0]["requestedReviewer"],
        json!({"__typename": "User", "login": "carol"})
    );
    // Only each reviewer's latest approval or change request counts.
    let reviews = pr["latestOpinionatedReviews"]["nodes"].as_array().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0]["author"]["login"], "alice");
    assert_eq!(reviews[0]["state"], "APPROVED");
    assert_eq!(reviews[0]["commit"]["oid"], head.as_str());
    let files = names(&pr["files"], "path");
    assert_eq!(files, ["docs/b.md", "src/lib.rs"]);
    assert_eq!(pr["files"]["nodes"][0]["changeType"], "ADDED");
    assert_eq!(pr["files"]["nodes"][1]["changeType"], "MODIFIED");
    assert_eq!(pr["comments"]["nodes"][0]["body"], "/verified");
    let commit = &pr["commits"]["nodes"][0]["commit"];
    assert_eq!(commit["oid"], head.as_str());
    assert_eq!(commit["statusCheckRollup"]["state"], "FAILURE");
    let contexts = commit["statusCheckRollup"]["contexts"]["nodes"]
        .as_array()
        .unwrap();
    assert!(contexts.contains(
        &json!({"__typename": "CheckRun", "databaseId": contexts[0]["databaseId"],
        "name": "tox", "status": "COMPLETED", "conclusion": "FAILURE", "title": null,
        "summary": null, "checkSuite": {"app": {"slug": "ci"}}})
    ));
    // Commits are made by the accounts that push them, so both link to a user.
    assert!(commit["committer"]["user"]["login"].is_string());
    assert_eq!(commit["author"]["user"], commit["committer"]["user"]);
    assert!(contexts.contains(
        &json!({"__typename": "StatusContext", "context": "ci/jenkins", "state": "SUCCESS"})
    ));
    assert_eq!(body["data"]["rateLimit"]["cost"], 1);

    // The request log names the operation, and it cost one request.
    let requests: Vec<Value> = serde_json::from_str(
        &api.http
            .get(format!("{}/_simulator/requests", api.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let graphql_requests: Vec<&Value> = requests
        .iter()
        .filter(|r| r["path"] == "/graphql")
        .collect();
    assert_eq!(graphql_requests.len(), 1);
    assert_eq!(graphql_requests[0]["operation"], "RepositoryData");
    assert_eq!(graphql_requests[0]["login"], "gws-bot");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_at_reads_owners_files_and_misses_as_null() {
    let (_dir, _sim, api) = start().await;
    scenario(&api).await;
    let expressions =
        ["OWNERS", "src/OWNERS", "docs/OWNERS", "OWNERS_ALIASES"].map(|p| format!("main:{p}"));
    let body = queries::files_at("acme", "widgets", &expressions, false);
    let (status, answer) = graphql(&api, BOT_TOKEN, body).await;
    assert_eq!(status, 200);
    let repo = &answer["data"]["repository"];
    assert_eq!(repo["f0"]["text"], "approvers:\n  - alice\n");
    assert_eq!(repo["f1"]["text"], "reviewers:\n  - carol\n");
    assert_eq!(repo["f2"], Value::Null);
    assert_eq!(repo["f3"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn files_at_can_list_the_newest_issues_without_pull_requests() {
    let (_dir, _sim, api) = start().await;
    scenario(&api).await;
    let bot = format!("token {BOT_TOKEN}");
    for title in ["first", "second"] {
        let (status, _) = api
            .call(
                Method::POST,
                "/repos/acme/widgets/issues",
                &bot,
                Some(json!({"title": title, "body": format!("{title} body")})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let body = queries::files_at("acme", "widgets", &["main:OWNERS".to_string()], true);
    let (status, answer) = graphql(&api, BOT_TOKEN, body).await;
    assert_eq!(status, 200, "{answer}");
    let issues = &answer["data"]["repository"]["issues"]["nodes"];
    let seen: Vec<(u64, &str, &str)> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["number"].as_u64().unwrap(),
                i["body"].as_str().unwrap(),
                i["author"]["login"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(3, "second body", "gws-bot"), (2, "first body", "gws-bot")],
        "newest first, the pull request left out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_paginate_by_githubs_rules() {
    let (_dir, _sim, api) = start().await;
    scenario(&api).await;
    let query = "query Files($cursor: String) { repository(owner: \"acme\", name: \"widgets\") { \
                 pullRequest(number: 1) { files(first: 1, after: $cursor) { totalCount \
                 pageInfo { hasNextPage endCursor } nodes { path } } } } }";
    let (_, first) = graphql(&api, BOT_TOKEN, json!({"query": query})).await;
    let files = &first["data"]["repository"]["pullRequest"]["files"];
    assert_eq!(files["totalCount"], 2);
    assert_eq!(files["nodes"][0]["path"], "docs/b.md");
    assert_eq!(files["pageInfo"]["hasNextPage"], true);
    let cursor = files["pageInfo"]["endCursor"].clone();
    let (_, second) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": query, "variables": {"cursor": cursor}}),
    )
    .await;
    let files = &second["data"]["repository"]["pullRequest"]["files"];
    assert_eq!(files["nodes"][0]["path"], "src/lib.rs");
    assert_eq!(files["pageInfo"]["hasNextPage"], false);

    // Without `first` or `last`, GitHub refuses the connection.
    let (status, refused) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": "query { repository(owner: \"acme\", name: \"widgets\") { labels { totalCount } } }"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        refused["errors"][0]["type"],
        "MISSING_PAGINATION_BOUNDARIES"
    );
    assert_eq!(refused["data"]["repository"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_look_like_githubs() {
    let (_dir, _sim, api) = start().await;
    scenario(&api).await;
    let missing = json!({
        "query": queries::REPOSITORY_DATA,
        "variables": {"owner": "acme", "name": "nope", "number": 1,
                      "configExpression": "main:.github-webhook-server.yaml"},
    });
    let (status, body) = graphql(&api, BOT_TOKEN, missing).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["repository"], Value::Null);
    assert_eq!(body["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(body["errors"][0]["path"], json!(["repository"]));

    let (status, _) = api
        .call(
            Method::POST,
            "/graphql",
            "",
            Some(repository_data_request(1)),
        )
        .await;
    assert_eq!(status, 401);

    // `viewer` is the user the token belongs to.
    let (status, body) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": "query { viewer { login } }"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["viewer"]["login"], "gws-bot");
}

async fn protect_main(api: &Api, contexts: &[&str]) {
    let (status, _) = api
        .call(
            Method::PUT,
            "/repos/acme/widgets/branches/main/protection",
            &format!("token {OWNER_TOKEN}"),
            Some(
                json!({"required_status_checks": {"strict": false, "contexts": contexts},
                        "enforce_admins": null, "required_pull_request_reviews": null,
                        "restrictions": null}),
            ),
        )
        .await;
    assert_eq!(status, 200);
}

async fn pull_node_id(api: &Api) -> String {
    let (_, _, pull) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    pull["node_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn native_auto_merge_waits_for_required_checks_then_merges() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    let head = scenario(&api).await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/widgets", "url": hook_url, "secret": HOOK_SECRET,
               "events": ["pull_request"]}),
    )
    .await;
    let id = pull_node_id(&api).await;
    let enable = |expected: &str| {
        json!({"query": queries::ENABLE_AUTO_MERGE,
               "variables": {"pullRequestId": id, "mergeMethod": "SQUASH",
                             "expectedHeadOid": expected}})
    };

    // Nothing holds it back yet: GitHub refuses, the caller should merge directly.
    let (_, refused) = graphql(&api, BOT_TOKEN, enable(&head)).await;
    assert_eq!(refused["errors"][0]["type"], "UNPROCESSABLE");
    assert_eq!(
        refused["errors"][0]["message"],
        "Pull request is in clean status"
    );

    protect_main(&api, &["tox"]).await;
    let (_, stale) = graphql(&api, BOT_TOKEN, enable(&"0".repeat(40))).await;
    assert_eq!(
        stale["errors"][0]["message"],
        "Head sha didn't match expected head sha"
    );
    let (_, enabled) = graphql(&api, BOT_TOKEN, enable(&head)).await;
    assert!(enabled.get("errors").is_none(), "{enabled}");
    let request = &enabled["data"]["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"];
    assert_eq!(request["mergeMethod"], "SQUASH");
    assert_eq!(request["enabledBy"]["login"], "gws-bot");
    let (_, _, pull) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    assert_eq!(pull["mergeable_state"], "blocked");
    assert_eq!(pull["auto_merge"]["merge_method"], "squash");

    // The required check passes: GitHub merges it as the user who enabled auto-merge.
    let (status, _) = api
        .call(
            Method::POST,
            "/repos/acme/widgets/check-runs",
            &format!("token {CI_TOKEN}"),
            Some(
                json!({"name": "tox", "head_sha": head, "status": "completed",
                        "conclusion": "success"}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let (_, _, pull) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    assert_eq!(pull["merged"], true);
    assert_eq!(pull["merged_by"]["login"], "gws-bot");
    assert_eq!(pull["auto_merge"], Value::Null);
    let d = wait_for(&got, 2).await;
    assert_eq!(d[0].body["action"], "auto_merge_enabled");
    assert_eq!(d[1].body["action"], "closed");
    assert_eq!(d[1].body["pull_request"]["merged"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_merge_can_be_disabled_and_a_blocked_merge_is_refused() {
    let (_dir, _sim, api) = start().await;
    let head = scenario(&api).await;
    protect_main(&api, &["tox"]).await;
    let id = pull_node_id(&api).await;
    let (_, enabled) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": queries::ENABLE_AUTO_MERGE,
               "variables": {"pullRequestId": id, "mergeMethod": "MERGE"}}),
    )
    .await;
    assert!(enabled.get("errors").is_none(), "{enabled}");
    let (_, disabled) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": queries::DISABLE_AUTO_MERGE, "variables": {"pullRequestId": id}}),
    )
    .await;
    assert_eq!(
        disabled["data"]["disablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"],
        Value::Null
    );
    // The required check is missing, so a direct merge is refused too.
    let (status, _) = api
        .call(
            Method::PUT,
            "/repos/acme/widgets/pulls/1/merge",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"sha": head})),
        )
        .await;
    assert_eq!(status, 405);
    let (_, threads) = graphql(
        &api,
        BOT_TOKEN,
        json!({"query": queries::REVIEW_THREADS,
               "variables": {"owner": "acme", "name": "widgets", "number": 1}}),
    )
    .await;
    let threads = &threads["data"]["repository"]["pullRequest"]["reviewThreads"];
    assert_eq!(threads["nodes"], json!([]));
    assert_eq!(threads["pageInfo"]["hasNextPage"], false);
}
