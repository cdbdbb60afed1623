//! The REST operations the server calls beyond the basics: commits, statuses, comparisons,
//! branches and protection, pull request lists, files and commits, review requests,
//! assignees, single comments and reactions, contributors and `/meta`.

mod common;

use common::sim::*;
use http::Method;
use serde_json::{Value, json};

/// A repository with a bot, a hook, and PR #1 by bob adding `b` on branch `feature`.
async fn scenario(api: &Api, hook_url: &str) -> String {
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin("/tokens", json!({"token": "ghp_alice", "login": "alice"}))
        .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "files": {"a": "a\n"},
               "collaborators": {"alice": "admin", "bob": "write", "carol": "write"}}),
    )
    .await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/w", "url": hook_url, "secret": HOOK_SECRET}),
    )
    .await;
    let pr = api
        .admin(
            "/repos/acme/w/pulls",
            json!({"author": "bob", "title": "t", "head": "feature", "files": {"b": "b\n"}}),
        )
        .await;
    pr["head_sha"].as_str().unwrap().to_string()
}

fn bot() -> String {
    format!("token {BOT_TOKEN}")
}

#[tokio::test(flavor = "multi_thread")]
async fn commits_statuses_and_the_pulls_of_a_commit() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    let head = scenario(&api, &hook_url).await;

    let (status, _, commit) = api
        .get(&format!("/repos/acme/w/commits/{head}"), Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(commit["sha"], head.as_str());
    assert_eq!(commit["commit"]["message"], "t");
    assert_eq!(commit["author"]["login"], "bob");
    assert_eq!(commit["files"][0]["filename"], "b");
    assert_eq!(commit["files"][0]["status"], "added");
    assert_eq!(commit["stats"]["additions"], 1);
    let (status, _, _) = api
        .get(
            &format!("/repos/acme/w/commits/{}", "f".repeat(40)),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(status, 422);

    let (_, _, pulls) = api
        .get(
            &format!("/repos/acme/w/commits/{head}/pulls"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(pulls.as_array().unwrap().len(), 1);
    assert_eq!(pulls[0]["number"], 1);

    // Statuses: the newest per context decides the combined state.
    for (state, context) in [
        ("pending", "ci/a"),
        ("success", "ci/a"),
        ("failure", "ci/b"),
    ] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/repos/acme/w/statuses/{head}"),
                &bot(),
                Some(json!({"state": state, "context": context, "description": "d"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/repos/acme/w/statuses/{head}"),
            &bot(),
            Some(json!({"state": "bogus"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, _, list) = api
        .get(
            &format!("/repos/acme/w/commits/{head}/statuses"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[0]["context"], "ci/b");
    let (_, _, combined) = api
        .get(
            &format!("/repos/acme/w/commits/{head}/status"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(combined["state"], "failure");
    assert_eq!(combined["total_count"], 2);
    let d = wait_for(&got, 4).await;
    let statuses: Vec<&Value> = d
        .iter()
        .filter(|r| r.event == "status")
        .map(|r| &r.body)
        .collect();
    assert_eq!(statuses.len(), 3);
    assert_eq!(statuses[2]["state"], "failure");
    assert_eq!(statuses[2]["sha"], head.as_str());
    assert_eq!(statuses[2]["context"], "ci/b");
}

#[tokio::test(flavor = "multi_thread")]
async fn branches_protection_and_compare() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, _got) = receiver().await;
    scenario(&api, &hook_url).await;

    let (status, _, branch) = api
        .get("/repos/acme/w/branches/main", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(branch["protected"], false);
    let (status, _, _) = api
        .get("/repos/acme/w/branches/nope", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 404);
    let (status, _, missing) = api
        .get("/repos/acme/w/branches/main/protection", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 404);
    assert_eq!(missing["message"], "Branch not protected");

    let protection = json!({
        "required_status_checks": {"strict": true, "contexts": ["tox"]},
        "enforce_admins": null,
        "required_pull_request_reviews": {"required_approving_review_count": 1},
        "restrictions": null,
    });
    // Only admins may protect a branch.
    let (status, _) = api
        .call(
            Method::PUT,
            "/repos/acme/w/branches/main/protection",
            &bot(),
            Some(protection.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = api
        .call(
            Method::PUT,
            "/repos/acme/w/branches/main/protection",
            "token ghp_alice",
            Some(protection),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, got) = api
        .get("/repos/acme/w/branches/main/protection", Some(BOT_TOKEN))
        .await;
    assert_eq!(got["required_status_checks"]["contexts"], json!(["tox"]));
    assert_eq!(got["required_status_checks"]["strict"], true);
    assert_eq!(
        got["required_pull_request_reviews"]["required_approving_review_count"],
        1
    );
    let (_, _, branch) = api
        .get("/repos/acme/w/branches/main", Some(BOT_TOKEN))
        .await;
    assert_eq!(branch["protected"], true);
    let (_, _, pull) = api.get("/repos/acme/w/pulls/1", Some(BOT_TOKEN)).await;
    assert_eq!(pull["mergeable_state"], "blocked");

    let (status, _, compare) = api
        .get("/repos/acme/w/compare/main...feature", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(compare["status"], "ahead");
    assert_eq!(compare["ahead_by"], 1);
    assert_eq!(compare["behind_by"], 0);
    assert_eq!(compare["files"][0]["filename"], "b");
    assert_eq!(compare["commits"][0]["commit"]["message"], "t");
    let (status, _, _) = api
        .get("/repos/acme/w/compare/main...nope", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_lists_edits_files_commits_and_merge_state() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    scenario(&api, &hook_url).await;
    api.admin(
        "/repos/acme/w/pulls",
        json!({"author": "carol", "title": "second", "head": "other", "files": {"c": "c\n"}}),
    )
    .await;
    api.admin("/repos/acme/w/pulls/2/close", json!({"author": "carol"}))
        .await;

    let (_, _, open) = api
        .get("/repos/acme/w/pulls?state=open", Some(BOT_TOKEN))
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["number"], 1);
    let (_, _, all) = api
        .get("/repos/acme/w/pulls?state=all", Some(BOT_TOKEN))
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, _, by_head) = api
        .get(
            "/repos/acme/w/pulls?state=all&head=acme:other",
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(by_head[0]["number"], 2);

    let (_, _, files) = api
        .get("/repos/acme/w/pulls/1/files", Some(BOT_TOKEN))
        .await;
    assert_eq!(files[0]["filename"], "b");
    assert_eq!(files[0]["additions"], 1);
    api.admin(
        "/repos/acme/w/pulls/1/commits",
        json!({"author": "bob", "files": {"b": "b2\n"}, "message": "second"}),
    )
    .await;
    let (_, _, commits) = api
        .get("/repos/acme/w/pulls/1/commits", Some(BOT_TOKEN))
        .await;
    let messages: Vec<&str> = commits
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["t", "second"]);

    api.admin(
        "/repos/acme/w/branches",
        json!({"name": "release", "from": "main"}),
    )
    .await;
    let (status, edited) = api
        .call(
            Method::PATCH,
            "/repos/acme/w/pulls/1",
            &bot(),
            Some(json!({"title": "WIP: t", "base": "release"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(edited["title"], "WIP: t");
    assert_eq!(edited["base"]["ref"], "release");
    let (status, _) = api
        .call(
            Method::PATCH,
            "/repos/acme/w/pulls/1",
            &bot(),
            Some(json!({"base": "nope"})),
        )
        .await;
    assert_eq!(status, 422);
    let edit = wait_for_match(&got, |d| d.body["action"] == "edited").await;
    assert_eq!(edit.body["changes"]["title"]["from"], "t");
    assert_eq!(edit.body["changes"]["base"]["ref"]["from"], "main");

    let (status, _, _) = api
        .get("/repos/acme/w/pulls/1/merge", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(Method::PUT, "/repos/acme/w/pulls/1/merge", &bot(), None)
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = api
        .get("/repos/acme/w/pulls/1/merge", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn review_requests_assignees_comments_and_reactions() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    scenario(&api, &hook_url).await;

    let (status, pull) = api
        .call(
            Method::POST,
            "/repos/acme/w/pulls/1/requested_reviewers",
            &bot(),
            Some(json!({"reviewers": ["alice", "carol"]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(pull["requested_reviewers"][1]["login"], "carol");
    // Asking again requests nobody new; the author and strangers are refused.
    api.call(
        Method::POST,
        "/repos/acme/w/pulls/1/requested_reviewers",
        &bot(),
        Some(json!({"reviewers": ["alice"]})),
    )
    .await;
    for who in ["bob", "stranger"] {
        let (status, _) = api
            .call(
                Method::POST,
                "/repos/acme/w/pulls/1/requested_reviewers",
                &bot(),
                Some(json!({"reviewers": [who]})),
            )
            .await;
        assert_eq!(status, 422, "{who}");
    }

    let (status, issue) = api
        .call(
            Method::POST,
            "/repos/acme/w/issues/1/assignees",
            &bot(),
            Some(json!({"assignees": ["bob"]})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(issue["assignees"][0]["login"], "bob");
    let (_, _, pull) = api.get("/repos/acme/w/pulls/1", Some(BOT_TOKEN)).await;
    assert_eq!(pull["assignee"]["login"], "bob");

    let (status, comment) = api
        .call(
            Method::POST,
            "/repos/acme/w/issues/1/comments",
            &bot(),
            Some(json!({"body": "<!-- gws:welcome -->\nhello"})),
        )
        .await;
    assert_eq!(status, 201);
    let id = comment["id"].as_u64().unwrap();
    let (status, edited) = api
        .call(
            Method::PATCH,
            &format!("/repos/acme/w/issues/comments/{id}"),
            &bot(),
            Some(json!({"body": "<!-- gws:welcome -->\nhello again"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(edited["body"], "<!-- gws:welcome -->\nhello again");
    let (status, _, fetched) = api
        .get(
            &format!("/repos/acme/w/issues/comments/{id}"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(fetched["body"], edited["body"]);
    // Someone else's comment cannot be edited.
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/repos/acme/w/issues/comments/{id}"),
            "token ghp_alice",
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(status, 403);

    let reactions = format!("/repos/acme/w/issues/comments/{id}/reactions");
    let react = |content: &'static str| {
        api.call(
            Method::POST,
            &reactions,
            "token ghp_alice",
            Some(json!({"content": content})),
        )
    };
    let (status, first) = react("+1").await;
    assert_eq!(status, 201);
    let (status, again) = react("+1").await;
    assert_eq!(status, 200);
    assert_eq!(first["id"], again["id"]);
    let (status, _) = react("shrug").await;
    assert_eq!(status, 422);
    let (_, _, fetched) = api
        .get(
            &format!("/repos/acme/w/issues/comments/{id}"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(fetched["reactions"]["+1"], 1);
    assert_eq!(fetched["reactions"]["total_count"], 1);

    // opened, two review requests, one assignment.
    let deliveries = wait_for(&got, 4).await;
    let requested: Vec<&str> = deliveries
        .iter()
        .filter(|d| d.body["action"] == "review_requested")
        .map(|d| d.body["requested_reviewer"]["login"].as_str().unwrap())
        .collect();
    assert_eq!(requested, ["alice", "carol"]);
    assert!(
        deliveries
            .iter()
            .any(|d| d.body["action"] == "assigned" && d.body["assignee"]["login"] == "bob")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_lists_contributors_and_meta() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, _got) = receiver().await;
    scenario(&api, &hook_url).await;
    let (status, _) = api
        .call(
            Method::POST,
            "/repos/acme/w/issues",
            &bot(),
            Some(json!({"title": "Tracking", "labels": ["tracking"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, _, issues) = api
        .get(
            "/repos/acme/w/issues?state=open&labels=tracking",
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(issues.as_array().unwrap().len(), 1);
    assert_eq!(issues[0]["title"], "Tracking");
    let (_, _, all) = api.get("/repos/acme/w/issues", Some(BOT_TOKEN)).await;
    // Pull requests are issues too.
    assert_eq!(all.as_array().unwrap().len(), 2);

    api.admin(
        "/repos/acme/w/commits",
        json!({"author": "alice", "branch": "main", "files": {"z": "z\n"}}),
    )
    .await;
    let (status, _, contributors) = api.get("/repos/acme/w/contributors", Some(BOT_TOKEN)).await;
    assert_eq!(status, 200);
    let logins: Vec<&str> = contributors
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["acme", "alice"]);
    assert_eq!(contributors[0]["contributions"], 1);

    let (status, _, meta) = api.get("/meta", None).await;
    assert_eq!(status, 200);
    assert_eq!(meta["hooks"][0], "127.0.0.0/8");
}

#[tokio::test(flavor = "multi_thread")]
async fn reviews_are_dismissed_and_repository_settings_kept() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    scenario(&api, &hook_url).await;
    let review = api
        .admin(
            "/repos/acme/w/pulls/1/reviews",
            json!({"author": "carol", "state": "APPROVED"}),
        )
        .await;
    let comment = api
        .admin(
            "/repos/acme/w/pulls/1/reviews",
            json!({"author": "carol", "state": "COMMENTED", "body": "hm"}),
        )
        .await;
    let dismiss = |id: &Value| format!("/repos/acme/w/pulls/1/reviews/{id}/dismissals");
    // The bot is no collaborator here, so it may not; alice (admin) may.
    let (status, _) = api
        .call(
            Method::PUT,
            &dismiss(&review["id"]),
            &bot(),
            Some(json!({"message": "stale"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .call(
            Method::PUT,
            &dismiss(&comment["id"]),
            "token ghp_alice",
            Some(json!({"message": "stale"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, dismissed) = api
        .call(
            Method::PUT,
            &dismiss(&review["id"]),
            "token ghp_alice",
            Some(json!({"message": "stale"})),
        )
        .await;
    assert_eq!(status, 200, "{dismissed}");
    assert_eq!(dismissed["state"], "DISMISSED");
    // opened, two reviews submitted, one dismissed.
    let deliveries = wait_for(&got, 4).await;
    assert_eq!(deliveries[3].event, "pull_request_review");
    assert_eq!(deliveries[3].body["action"], "dismissed");
    assert_eq!(deliveries[3].body["review"]["state"], "dismissed");

    let settings = json!({"allow_auto_merge": true, "delete_branch_on_merge": true});
    let (status, _) = api
        .call(
            Method::PATCH,
            "/repos/acme/w",
            &bot(),
            Some(settings.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (status, repo) = api
        .call(
            Method::PATCH,
            "/repos/acme/w",
            "token ghp_alice",
            Some(settings),
        )
        .await;
    assert_eq!(status, 200, "{repo}");
    let (_, _, repo) = api.get("/repos/acme/w", Some(BOT_TOKEN)).await;
    assert_eq!(repo["allow_auto_merge"], true);
    assert_eq!(repo["delete_branch_on_merge"], true);

    let setup = "/repos/acme/w/code-scanning/default-setup";
    let (_, _, before) = api.get(setup, Some(BOT_TOKEN)).await;
    assert_eq!(before["state"], "not-configured");
    let (status, run) = api
        .call(
            Method::PATCH,
            setup,
            "token ghp_alice",
            Some(json!({"state": "configured", "query_suite": "extended"})),
        )
        .await;
    assert_eq!(status, 202);
    assert!(run["run_id"].is_u64());
    let (_, _, after) = api.get(setup, Some(BOT_TOKEN)).await;
    assert_eq!(after["state"], "configured");
    assert_eq!(after["query_suite"], "extended");
}
