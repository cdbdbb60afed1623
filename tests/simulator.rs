//! The GitHub simulator driven through its admin API, read back through REST, with every
//! webhook delivery received and its signature checked.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use common::sim::*;
use http::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_lifecycle_is_delivered_signed_and_readable_through_rest() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    let repo = api
        .admin(
            "/repos",
            json!({
                "full_name": "acme/widgets",
                "files": {"README.md": "# widgets\n", "OWNERS": "approvers:\n  - alice\nreviewers:\n  - bob\n"},
                "collaborators": {"alice": "admin", "bob": "write"},
            }),
        )
        .await;
    assert_eq!(repo["full_name"], "acme/widgets");
    api.admin(
        "/hooks",
        json!({"repo": "acme/widgets", "url": hook_url, "secret": HOOK_SECRET}),
    )
    .await;

    // A PR opened by bob.
    let pr = api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "bob", "title": "feat: add lib", "head": "feature",
                   "files": {"src/lib.rs": "pub fn f() {}\n", "README.md": "# widgets\nmore\n"}}),
        )
        .await;
    assert_eq!(pr["number"], 1);
    let head_sha = pr["head_sha"].as_str().unwrap().to_string();
    let d = wait_for(&got, 1).await;
    assert_eq!(d[0].event, "pull_request");
    assert_eq!(d[0].body["action"], "opened");
    assert_eq!(d[0].body["number"], 1);
    assert_eq!(d[0].body["pull_request"]["head"]["sha"], head_sha.as_str());
    assert_eq!(d[0].body["repository"]["full_name"], "acme/widgets");
    assert_eq!(d[0].body["sender"]["login"], "bob");

    // Read back through REST, with what git says about it.
    let (status, headers, pull) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    assert_eq!(status, 200);
    assert_eq!(pull["state"], "open");
    assert_eq!(pull["mergeable"], true);
    assert_eq!(pull["mergeable_state"], "clean");
    assert_eq!(pull["changed_files"], 2);
    assert_eq!(pull["additions"], 2);
    assert_eq!(pull["base"]["ref"], "main");
    assert_eq!(pull["user"]["login"], "bob");
    assert_eq!(headers["x-ratelimit-limit"], "5000");
    assert!(headers.contains_key("x-ratelimit-remaining"));

    // OWNERS through the contents API.
    let (_, _, owners) = api
        .get("/repos/acme/widgets/contents/OWNERS", Some(BOT_TOKEN))
        .await;
    let text = base64::engine::general_purpose::STANDARD
        .decode(owners["content"].as_str().unwrap())
        .unwrap();
    assert!(String::from_utf8(text).unwrap().contains("alice"));

    // A comment by a person, then one by the bot through REST: both are delivered.
    api.admin(
        "/repos/acme/widgets/issues/1/comments",
        json!({"author": "alice", "body": "/lgtm"}),
    )
    .await;
    let resp = api
        .call(
            Method::POST,
            "/repos/acme/widgets/issues/1/comments",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"body": "Thanks for the PR"})),
        )
        .await;
    assert_eq!(resp.0, 201);
    let d = wait_for(&got, 3).await;
    assert_eq!(d[1].event, "issue_comment");
    assert_eq!(d[1].body["comment"]["body"], "/lgtm");
    assert_eq!(
        d[1].body["issue"]["pull_request"]["url"]
            .as_str()
            .map(|u| u.ends_with("/pulls/1")),
        Some(true)
    );
    assert_eq!(d[2].body["sender"]["login"], "gws-bot");
    let (_, _, comments) = api
        .get("/repos/acme/widgets/issues/1/comments", Some(BOT_TOKEN))
        .await;
    let bodies: Vec<_> = comments
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["/lgtm", "Thanks for the PR"]);

    // A new commit: a push to the branch, then synchronize with before and after.
    let pushed = api
        .admin(
            "/repos/acme/widgets/pulls/1/commits",
            json!({"author": "bob", "files": {"src/lib.rs": "pub fn g() {}\n"}}),
        )
        .await;
    let d = wait_for(&got, 5).await;
    assert_eq!(d[3].event, "push");
    assert_eq!(d[3].body["ref"], "refs/heads/feature");
    assert_eq!(d[4].body["action"], "synchronize");
    assert_eq!(d[4].body["before"], head_sha.as_str());
    assert_eq!(d[4].body["after"], pushed["head_sha"]);

    // Each delivery has its own id, and the simulator logged them with the hook's answer.
    let ids: std::collections::BTreeSet<_> = d.iter().map(|r| r.delivery.clone()).collect();
    assert_eq!(ids.len(), 5);
    // The receiver has the body before the simulator has its answer: wait for the log.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, log) = api.get("/_simulator/deliveries", None).await;
        if log.as_array().unwrap().iter().all(|r| r["status"] == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "{log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, requests) = api.get("/_simulator/requests", None).await;
    let first = &requests[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/repos/acme/widgets/pulls/1");
    assert_eq!(first["login"], "gws-bot");
    assert_eq!(first["status"], 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn clone_url_is_a_real_git_repository_with_pull_refs() {
    let (dir, _sim, api) = start().await;
    let repo = api
        .admin(
            "/repos",
            json!({"full_name": "acme/widgets", "files": {"README.md": "hi\n"}}),
        )
        .await;
    let pr = api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "bob", "title": "t", "head": "feature", "files": {"a.txt": "A\n"}}),
        )
        .await;
    let work = dir.path().join("work");
    let git = |args: &[&str]| git_in(dir.path(), args);
    git(&[
        "clone",
        "--quiet",
        repo["clone_url"].as_str().unwrap(),
        work.to_str().unwrap(),
    ]);
    let w = work.to_str().unwrap();
    git(&[
        "-C",
        w,
        "fetch",
        "--quiet",
        "origin",
        "refs/pull/1/head:pr-1",
    ]);
    assert_eq!(
        git(&["-C", w, "rev-parse", "pr-1"]),
        pr["head_sha"].as_str().unwrap()
    );
    assert_eq!(git(&["-C", w, "show", "pr-1:a.txt"]), "A");
    assert_eq!(
        std::fs::read_to_string(work.join("README.md")).unwrap(),
        "hi\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicts_are_computed_with_git() {
    let (_dir, _sim, api) = start().await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "files": {"f.txt": "base\n"}}),
    )
    .await;
    for (head, content) in [("one", "one\n"), ("two", "two\n")] {
        api.admin(
            "/repos/acme/w/pulls",
            json!({"author": "bob", "title": head, "head": head, "files": {"f.txt": content}}),
        )
        .await;
    }
    // Land PR 1 by moving main to its head, as a merge would.
    let (_, _, one) = api.get("/repos/acme/w/pulls/1", None).await;
    assert_eq!(one["mergeable"], true);
    let sha = one["head"]["sha"].as_str().unwrap();
    let (_, _, repo) = api.get("/repos/acme/w", None).await;
    let git_dir = repo["clone_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();
    let out = Command::new("git")
        .args(["--git-dir", &git_dir, "update-ref", "refs/heads/main", sha])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, _, two) = api.get("/repos/acme/w/pulls/2", None).await;
    assert_eq!(two["mergeable"], false);
    assert_eq!(two["mergeable_state"], "dirty");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_private_repositories_and_unknown_routes() {
    let (_dir, _sim, api) = start().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/secret", "private": true, "collaborators": {"gws-bot": "write"}}),
    )
    .await;
    let (status, _, body) = api.get("/repos/acme/secret", Some("ghp_wrong")).await;
    assert_eq!(status, 401);
    assert_eq!(body["message"], "Bad credentials");
    assert_eq!(api.get("/repos/acme/secret", None).await.0, 404);
    assert_eq!(api.get("/repos/acme/secret", Some(BOT_TOKEN)).await.0, 200);
    assert_eq!(
        api.get("/repos/acme/secret/pulls/9", Some(BOT_TOKEN))
            .await
            .0,
        404
    );
    assert_eq!(api.get("/no/such/route", Some(BOT_TOKEN)).await.0, 404);
    let (status, _, me) = api.get("/user", Some(BOT_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(me["login"], "gws-bot");
}

#[tokio::test(flavor = "multi_thread")]
async fn review_check_runs_labels_merge_and_tag_are_delivered_and_readable() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin(
        "/tokens",
        json!({"token": "ghs_apptoken", "login": "gws-app[bot]"}),
    )
    .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/widgets", "files": {"OWNERS": "approvers: [alice]\n"},
               "collaborators": {"alice": "admin", "bob": "write", "gws-bot": "write"}}),
    )
    .await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/widgets", "url": hook_url, "secret": HOOK_SECRET}),
    )
    .await;
    let pr = api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "bob", "title": "fix: thing", "head": "fix", "files": {"x.txt": "x\n"}}),
        )
        .await;
    let head = pr["head_sha"].as_str().unwrap().to_string();

    // A review by alice.
    api.admin(
        "/repos/acme/widgets/pulls/1/reviews",
        json!({"author": "alice", "state": "APPROVED"}),
    )
    .await;
    let (_, _, reviews) = api
        .get("/repos/acme/widgets/pulls/1/reviews", Some(BOT_TOKEN))
        .await;
    assert_eq!(reviews[0]["state"], "APPROVED");
    assert_eq!(reviews[0]["user"]["login"], "alice");
    assert_eq!(reviews[0]["commit_id"], head.as_str());

    // A third-party CI app reports, then the bot labels the PR and removes a label.
    api.admin(
        "/repos/acme/widgets/check-runs",
        json!({"app": "ci", "name": "build", "head_sha": head, "status": "completed", "conclusion": "success"}),
    )
    .await;
    let add = api
        .call(
            Method::POST,
            "/repos/acme/widgets/issues/1/labels",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"labels": ["size/XS", "lgtm-alice"]})),
        )
        .await;
    assert_eq!(add.0, 200);
    let del = api
        .call(
            Method::DELETE,
            "/repos/acme/widgets/issues/1/labels/lgtm-alice",
            &format!("token {BOT_TOKEN}"),
            None,
        )
        .await;
    assert_eq!(del.0, 200);
    let (_, _, labels) = api
        .get("/repos/acme/widgets/issues/1/labels", Some(BOT_TOKEN))
        .await;
    assert_eq!(labels.as_array().unwrap().len(), 1);
    assert_eq!(labels[0]["name"], "size/XS");

    // The bot's App writes its own check run and updates it in place; a PAT may not.
    let pat = api
        .call(
            Method::POST,
            "/repos/acme/widgets/check-runs",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"name": "tox", "head_sha": head})),
        )
        .await;
    assert_eq!(pat.0, 403);
    let created: Value = api
        .call(
            Method::POST,
            "/repos/acme/widgets/check-runs",
            "token ghs_apptoken",
            Some(json!({"name": "can-be-merged", "head_sha": head, "status": "in_progress"})),
        )
        .await
        .1;
    let run_id = created["id"].as_u64().unwrap();
    let updated = api
        .call(
            Method::PATCH,
            &format!("/repos/acme/widgets/check-runs/{run_id}"),
            "token ghs_apptoken",
            Some(
                json!({"conclusion": "success", "output": {"title": "ok", "summary": "all good"}}),
            ),
        )
        .await;
    assert_eq!(updated.0, 200);
    let (_, _, runs) = api
        .get(
            &format!("/repos/acme/widgets/commits/{head}/check-runs"),
            Some(BOT_TOKEN),
        )
        .await;
    assert_eq!(runs["total_count"], 2);
    let ours = runs["check_runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "can-be-merged")
        .unwrap();
    assert_eq!(ours["status"], "completed");
    assert_eq!(ours["conclusion"], "success");
    assert_eq!(ours["output"]["summary"], "all good");
    assert_eq!(ours["app"]["slug"], "gws-app");
    assert_eq!(ours["pull_requests"][0]["number"], 1);
    for (query, names) in [
        ("check_name=build", vec!["build"]),
        ("check_name=nothing", vec![]),
        (
            "status=completed&check_name=can-be-merged",
            vec!["can-be-merged"],
        ),
        ("status=queued", vec![]),
    ] {
        let (_, _, runs) = api
            .get(
                &format!("/repos/acme/widgets/commits/{head}/check-runs?{query}"),
                Some(BOT_TOKEN),
            )
            .await;
        let listed: Vec<&str> = runs["check_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, names, "{query}");
        assert_eq!(runs["total_count"], names.len(), "{query}");
    }

    // Merging with a stale head is refused; with the right one it lands.
    let stale = api
        .call(
            Method::PUT,
            "/repos/acme/widgets/pulls/1/merge",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"merge_method": "squash", "sha": "0".repeat(40)})),
        )
        .await;
    assert_eq!(stale.0, 409);
    let merged: Value = api
        .call(
            Method::PUT,
            "/repos/acme/widgets/pulls/1/merge",
            &format!("token {BOT_TOKEN}"),
            Some(json!({"merge_method": "squash", "sha": head})),
        )
        .await
        .1;
    assert_eq!(merged["merged"], true);
    let (_, _, pull) = api
        .get("/repos/acme/widgets/pulls/1", Some(BOT_TOKEN))
        .await;
    assert_eq!(pull["state"], "closed");
    assert_eq!(pull["merged"], true);
    assert_eq!(pull["merged_by"]["login"], "gws-bot");
    assert_eq!(pull["merge_commit_sha"], merged["sha"]);

    // A release tag on the merge commit.
    api.admin(
        "/repos/acme/widgets/tags",
        json!({"name": "v1.0.0", "from": "main"}),
    )
    .await;

    let events: Vec<(String, Option<String>)> = wait_for(&got, 13)
        .await
        .iter()
        .map(|d| {
            (
                d.event.clone(),
                d.body["action"].as_str().map(str::to_string),
            )
        })
        .collect();
    let expect = |e: &str, a: Option<&str>| (e.to_string(), a.map(str::to_string));
    assert_eq!(
        events,
        vec![
            expect("pull_request", Some("opened")),
            expect("pull_request_review", Some("submitted")),
            expect("check_run", Some("created")),
            expect("check_run", Some("completed")),
            expect("pull_request", Some("labeled")),
            expect("pull_request", Some("labeled")),
            expect("pull_request", Some("unlabeled")),
            expect("check_run", Some("created")),
            expect("check_run", Some("completed")),
            expect("pull_request", Some("closed")),
            expect("push", None),
            expect("create", None),
            expect("push", None),
        ]
    );
    let all = wait_for(&got, 13).await;
    assert_eq!(all[12].event, "push");
    assert_eq!(all[12].body["ref"], "refs/tags/v1.0.0");
    assert_eq!(all[12].body["after"], merged["sha"]);
    assert_eq!(all[9].body["pull_request"]["merged"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_injection_is_deterministic_for_a_seed() {
    let (_dir, _sim, api) = start().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin("/repos", json!({"full_name": "acme/w"})).await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        api.admin(
            "/faults",
            json!({"error_rate": 0.3, "statuses": [500, 502, 503], "seed": 42}),
        )
        .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(api.get("/repos/acme/w", Some(BOT_TOKEN)).await.0);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "same seed, same sequence");
    let failures = runs[0].iter().filter(|s| **s != 200).count();
    assert!(
        (4..=24).contains(&failures),
        "{failures} of 40 failed at rate 0.3"
    );
    assert!(runs[0].iter().all(|s| [200, 500, 502, 503].contains(s)));
    api.admin("/faults", json!({"error_rate": 0.0})).await;
    assert_eq!(api.get("/repos/acme/w", Some(BOT_TOKEN)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_targeted_fault_fails_the_nth_matching_request_once() {
    let (_dir, _sim, api) = start().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin("/repos", json!({"full_name": "acme/w"})).await;
    let auth = format!("token {BOT_TOKEN}");
    let label = |name: &str| Some(json!({"name": name, "color": "ededed"}));
    api.admin(
        "/faults/targeted",
        json!({"method": "POST", "path": "/repos/*/w/labels", "nth": 2, "status": 502}),
    )
    .await;
    // Reads and other paths do not count towards the target.
    assert_eq!(
        api.get("/repos/acme/w/labels", Some(BOT_TOKEN)).await.0,
        200
    );
    let mut statuses = Vec::new();
    for name in ["a", "b", "c"] {
        let (status, _) = api
            .call(Method::POST, "/repos/acme/w/labels", &auth, label(name))
            .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [201, 502, 201],
        "the second matching write fails, once"
    );
    let (_, _, labels) = api.get("/repos/acme/w/labels", Some(BOT_TOKEN)).await;
    let names: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "c"], "a failed request changes nothing");
    let refused = api
        .http
        .post(format!("{}/_simulator/faults/targeted", api.base))
        .json(&json!({"method": "POST", "path": "/x", "nth": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exhausted_token_gets_403_with_retry_after_and_others_go_on() {
    let (_dir, _sim, api) = start().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin(
        "/tokens",
        json!({"token": "ghp_second", "login": "gws-bot"}),
    )
    .await;
    api.admin("/repos", json!({"full_name": "acme/w"})).await;
    api.admin(
        "/rate-limit",
        json!({"token": BOT_TOKEN, "limit": 100, "remaining": 2}),
    )
    .await;
    let (s1, h1, _) = api.get("/repos/acme/w", Some(BOT_TOKEN)).await;
    assert_eq!(
        (s1, &h1["x-ratelimit-remaining"]),
        (200, &"1".parse().unwrap())
    );
    assert_eq!(h1["x-ratelimit-limit"], "100");
    assert_eq!(api.get("/repos/acme/w", Some(BOT_TOKEN)).await.0, 200);
    let (s3, h3, body) = api.get("/repos/acme/w", Some(BOT_TOKEN)).await;
    assert_eq!(s3, 403);
    assert_eq!(h3["x-ratelimit-remaining"], "0");
    let retry: i64 = h3["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0);
    assert!(body["message"].as_str().unwrap().contains("rate limit"));
    let (s4, h4, _) = api.get("/repos/acme/w", Some("ghp_second")).await;
    assert_eq!(s4, 200);
    assert_eq!(h4["x-ratelimit-limit"], "5000");
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_latency_delays_every_rest_answer() {
    let (_dir, _sim, api) = start().await;
    api.admin("/repos", json!({"full_name": "acme/w"})).await;
    api.admin("/latency", json!({"ms": 150})).await;
    let started = Instant::now();
    assert_eq!(api.get("/repos/acme/w", None).await.0, 200);
    // A lower bound only: the answer cannot come before the injected delay.
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_paginated_with_link_headers() {
    let (_dir, _sim, api) = start().await;
    api.admin("/repos", json!({"full_name": "acme/w"})).await;
    api.admin(
        "/repos/acme/w/pulls",
        json!({"author": "bob", "title": "t", "head": "f", "files": {"a": "a\n"}}),
    )
    .await;
    for i in 0..35 {
        api.admin(
            "/repos/acme/w/issues/1/comments",
            json!({"author": "bob", "body": format!("c{i}")}),
        )
        .await;
    }
    let (_, headers, first) = api.get("/repos/acme/w/issues/1/comments", None).await;
    assert_eq!(first.as_array().unwrap().len(), 30);
    let link = headers["link"].to_str().unwrap();
    assert!(
        link.contains("rel=\"next\"") && link.contains("rel=\"last\""),
        "{link}"
    );
    assert!(!link.contains("rel=\"prev\""), "{link}");

    // Following `next` yields everything once, in order.
    let mut url = format!("{}/repos/acme/w/issues/1/comments?per_page=10", api.base);
    let mut bodies = Vec::new();
    let mut pages = 0;
    loop {
        let resp = api.http.get(&url).send().await.unwrap();
        let next = resp
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| {
                l.split(", ")
                    .find(|p| p.ends_with("rel=\"next\""))
                    .map(|p| p[1..p.find('>').unwrap()].to_string())
            });
        let page: Value = resp.json().await.unwrap();
        bodies.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|c| c["body"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(pages, 4);
    let expected: Vec<String> = (0..35).map(|i| format!("c{i}")).collect();
    assert_eq!(bodies, expected);
    let (_, headers, last) = api
        .get("/repos/acme/w/issues/1/comments?per_page=10&page=4", None)
        .await;
    assert_eq!(last.as_array().unwrap().len(), 5);
    let link = headers["link"].to_str().unwrap();
    assert!(
        link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
        "{link}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_git_push_to_the_pr_branch_updates_the_pull_request() {
    let (dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    let repo = api
        .admin(
            "/repos",
            json!({"full_name": "acme/w", "files": {"a": "a\n"}}),
        )
        .await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/w", "url": hook_url, "secret": HOOK_SECRET}),
    )
    .await;
    api.admin(
        "/repos/acme/w/pulls",
        json!({"author": "bob", "title": "t", "head": "feature", "files": {"b": "b\n"}}),
    )
    .await;
    let work = dir.path().join("work");
    let w = work.to_str().unwrap().to_string();
    let git = |args: &[&str]| git_in(dir.path(), args);
    git(&[
        "clone",
        "--quiet",
        "--branch",
        "feature",
        repo["clone_url"].as_str().unwrap(),
        &w,
    ]);
    std::fs::write(work.join("c"), "c\n").unwrap();
    git(&["-C", &w, "add", "c"]);
    git(&["-C", &w, "commit", "--quiet", "-m", "more"]);
    git(&["-C", &w, "push", "--quiet", "origin", "HEAD:feature"]);
    let pushed = git(&["-C", &w, "rev-parse", "HEAD"]);

    let d = wait_for(&got, 3).await;
    assert_eq!(d[1].event, "push");
    assert_eq!(d[1].body["ref"], "refs/heads/feature");
    assert_eq!(d[1].body["after"], pushed.as_str());
    assert_eq!(d[2].body["action"], "synchronize");
    assert_eq!(d[2].body["after"], pushed.as_str());
    let (_, _, pull) = api.get("/repos/acme/w/pulls/1", None).await;
    assert_eq!(pull["head"]["sha"], pushed.as_str());
    assert_eq!(pull["changed_files"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_comments_carry_the_old_body_and_a_rebase_keeps_the_diff() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "files": {"a": "a\n"}}),
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
    let c = api
        .admin(
            "/repos/acme/w/issues/1/comments",
            json!({"author": "bob", "body": "/hold"}),
        )
        .await;
    let resp = api
        .http
        .patch(format!(
            "{}/_simulator/repos/acme/w/issues/comments/{}",
            api.base, c["id"]
        ))
        .json(&json!({"author": "bob", "body": "/hold cancel"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let d = wait_for(&got, 3).await;
    assert_eq!(d[2].body["action"], "edited");
    assert_eq!(d[2].body["changes"]["body"]["from"], "/hold");
    assert_eq!(d[2].body["comment"]["body"], "/hold cancel");

    // main moves on; the PR falls behind, then a rebase moves its head but not its changes.
    api.admin(
        "/repos/acme/w/commits",
        json!({"author": "alice", "branch": "main", "files": {"z": "z\n"}}),
    )
    .await;
    let (_, _, compare) = api
        .get("/repos/acme/w/compare/main...acme:feature", None)
        .await;
    assert_eq!(compare["behind_by"], 1);
    assert_eq!(compare["ahead_by"], 1);
    assert_eq!(compare["status"], "diverged");
    // Behind only counts when protection wants the head up to date, as on GitHub.
    let (_, _, behind) = api.get("/repos/acme/w/pulls/1", None).await;
    assert_eq!(behind["mergeable_state"], "clean");
    api.admin("/tokens", json!({"token": "ghp_owner", "login": "acme"}))
        .await;
    let (status, _) = api
        .call(
            Method::PUT,
            "/repos/acme/w/branches/main/protection",
            "token ghp_owner",
            Some(
                json!({"required_status_checks": {"strict": true, "contexts": []},
                        "enforce_admins": null, "required_pull_request_reviews": null,
                        "restrictions": null}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, behind) = api.get("/repos/acme/w/pulls/1", None).await;
    assert_eq!(behind["mergeable_state"], "behind");
    let rebased = api
        .admin("/repos/acme/w/pulls/1/rebase", json!({"author": "bob"}))
        .await;
    assert_ne!(rebased["head_sha"], pr["head_sha"]);
    let (_, _, after) = api.get("/repos/acme/w/pulls/1", None).await;
    assert_eq!(after["mergeable_state"], "clean");
    assert_eq!(after["head"]["sha"], rebased["head_sha"]);
    assert_eq!(after["changed_files"], 1);
    assert_eq!(after["additions"], 1);
    let d = wait_for(&got, 6).await;
    assert_eq!(d[5].body["action"], "synchronize");
    assert_eq!(d[5].body["before"], pr["head_sha"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_api_creates_pings_lists_deliveries_and_redelivers_with_the_same_guid() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin("/tokens", json!({"token": "ghp_alice", "login": "alice"}))
        .await;
    api.admin("/tokens", json!({"token": "ghp_bob", "login": "bob"}))
        .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "collaborators": {"alice": "admin", "bob": "write"}}),
    )
    .await;
    let created: Value = api
        .call(
            Method::POST,
            "/repos/acme/w/hooks",
            "token ghp_alice",
            Some(json!({"name": "web", "active": true, "events": ["*"],
                      "config": {"url": hook_url, "content_type": "json", "secret": HOOK_SECRET}})),
        )
        .await
        .1;
    assert_eq!(created["config"]["secret"], "********");
    let hook_id = created["id"].as_u64().unwrap();
    let d = wait_for(&got, 1).await;
    assert_eq!(d[0].event, "ping");
    assert_eq!(d[0].body["hook_id"], hook_id);

    assert_eq!(api.get("/repos/acme/w/hooks", Some("ghp_bob")).await.0, 404);
    let (_, _, hooks) = api.get("/repos/acme/w/hooks", Some("ghp_alice")).await;
    assert_eq!(hooks.as_array().unwrap().len(), 1);

    api.admin(
        "/repos/acme/w/pulls",
        json!({"author": "bob", "title": "t", "head": "f", "files": {"a": "a\n"}}),
    )
    .await;
    let d = wait_for(&got, 2).await;
    let (_, _, deliveries) = api
        .get(
            &format!("/repos/acme/w/hooks/{hook_id}/deliveries"),
            Some("ghp_alice"),
        )
        .await;
    let pr = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["event"] == "pull_request")
        .unwrap()
        .clone();
    assert_eq!(pr["guid"], d[1].delivery.as_str());
    assert_eq!(pr["status_code"], 200);

    let resp = api
        .call(
            Method::POST,
            &format!(
                "/repos/acme/w/hooks/{hook_id}/deliveries/{}/attempts",
                pr["id"]
            ),
            "token ghp_alice",
            None,
        )
        .await;
    assert_eq!(resp.0, 202);
    let d = wait_for(&got, 3).await;
    assert_eq!(d[2].delivery, d[1].delivery, "a redelivery keeps its GUID");
    assert_eq!(d[2].body, d[1].body);
    let (_, _, deliveries) = api
        .get(
            &format!("/repos/acme/w/hooks/{hook_id}/deliveries"),
            Some("ghp_alice"),
        )
        .await;
    assert_eq!(deliveries[0]["redelivery"], true);

    let del = api
        .call(
            Method::DELETE,
            &format!("/repos/acme/w/hooks/{hook_id}"),
            "token ghp_alice",
            None,
        )
        .await;
    assert_eq!(del.0, 204);
    let (_, _, hooks) = api.get("/repos/acme/w/hooks", Some("ghp_alice")).await;
    assert_eq!(hooks.as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tracking_issues_repository_labels_and_rate_limit_reads() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin("/tokens", json!({"token": BOT_TOKEN, "login": "gws-bot"}))
        .await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "collaborators": {"gws-bot": "write"}}),
    )
    .await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/w", "url": hook_url, "secret": HOOK_SECRET}),
    )
    .await;
    let auth = format!("token {BOT_TOKEN}");

    let issue: Value = api
        .call(
            Method::POST,
            "/repos/acme/w/issues",
            &auth,
            Some(json!({"title": "Track PR #1", "body": "[Auto generated]\nNumber: [#1]"})),
        )
        .await
        .1;
    let n = issue["number"].as_u64().unwrap();
    let closed: Value = api
        .call(
            Method::PATCH,
            &format!("/repos/acme/w/issues/{n}"),
            &auth,
            Some(json!({"state": "closed"})),
        )
        .await
        .1;
    assert_eq!(closed["state"], "closed");
    let d = wait_for(&got, 2).await;
    assert_eq!(
        (d[0].event.as_str(), d[0].body["action"].as_str()),
        ("issues", Some("opened"))
    );
    assert_eq!(
        (d[1].event.as_str(), d[1].body["action"].as_str()),
        ("issues", Some("closed"))
    );

    let created = api
        .call(
            Method::POST,
            "/repos/acme/w/labels",
            &auth,
            Some(json!({"name": "size/XS", "color": "ededed"})),
        )
        .await;
    assert_eq!(created.0, 201);
    let again = api
        .call(
            Method::POST,
            "/repos/acme/w/labels",
            &auth,
            Some(json!({"name": "size/XS"})),
        )
        .await;
    assert_eq!(again.0, 422);
    let recoloured: Value = api
        .call(
            Method::PATCH,
            "/repos/acme/w/labels/size%2FXS",
            &auth,
            Some(json!({"color": "#0E8A16"})),
        )
        .await
        .1;
    assert_eq!(recoloured["color"], "0E8A16");
    let (_, _, labels) = api.get("/repos/acme/w/labels", Some(BOT_TOKEN)).await;
    assert_eq!(labels[0]["name"], "size/XS");

    let (_, _, first) = api.get("/rate_limit", Some(BOT_TOKEN)).await;
    let (_, _, second) = api.get("/rate_limit", Some(BOT_TOKEN)).await;
    assert_eq!(
        first["resources"]["core"]["remaining"],
        second["resources"]["core"]["remaining"]
    );
    assert_eq!(first["rate"]["limit"], 5000);
}
