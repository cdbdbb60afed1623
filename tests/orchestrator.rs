//! The real server against the simulator: what each delivery costs in GitHub API calls, read
//! from the simulator's request log. Triage costs nothing; a dispatched delivery reads its
//! snapshot in at most three calls and a replay writes nothing; a spent token fails over to the
//! next one; an App mints its installation token once for many deliveries.

mod common;

use std::time::Duration;

use common::scenario::Scenario;
use common::sim::is_write;
use common::*;
use github_webhook_server::github::tokens::label;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const TOKEN_A: &str = "ghp_orchestratortokenaaaaaaaaaaaaaaaaaaaa";
const TOKEN_B: &str = "ghp_orchestratortokenbbbbbbbbbbbbbbbbbbbb";
const ALICE: &str = "ghp_alicetoken0000000000000000000000000000";

/// `acme/widgets` with OWNERS in three places and `repo_file` as its own config file, and the
/// server with `auth` in config.yaml; `acme/quiet` is configured for pushes only.
async fn world(auth: &str, repo_file: &str) -> Scenario {
    Scenario::builder()
        .token(TOKEN_A, "bot-a")
        .token(TOKEN_B, "bot-b")
        .token(ALICE, "alice")
        .collaborator("alice", "write")
        .collaborator("bob", "write")
        .collaborator("bot-a", "write")
        .collaborator("bot-b", "write")
        .files(json!({
            "OWNERS": "approvers:\n  - alice\n",
            "src/OWNERS": "reviewers:\n  - bob\n",
            "src/core/OWNERS": "approvers:\n  - carol\n",
            "docs/guide.md": "guide\n",
            ".github-webhook-server.yaml": repo_file,
        }))
        .config(auth)
        .configured("quiet", "acme/quiet", "events: [push]")
        .start()
        .await
}

impl Scenario {
    /// The server's requests after entry `since`.
    async fn requests(&self, since: u64) -> Vec<Value> {
        self.api
            .requests(since)
            .await
            .into_iter()
            // The test's own admin and setup calls are not the server's.
            .filter(|r| {
                let login = r["login"].as_str().unwrap_or_default();
                !r["path"].as_str().unwrap().starts_with("/_simulator") && login != "alice"
            })
            .collect()
    }

    async fn open_pr(&self, head: &str, files: Value) -> Value {
        self.api
            .admin(
                "/repos/acme/widgets/pulls",
                json!({"author": "alice", "title": "Add things", "head": head, "files": files}),
            )
            .await
    }

    /// The first summary `wanted` accepts, once it is written.
    fn summary(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            if let Some(s) = summaries(self.data.path()).into_iter().find(&wanted) {
                return s;
            }
            if std::time::Instant::now() > deadline {
                let seen: Vec<String> = summaries(self.data.path())
                    .iter()
                    .map(|s| {
                        format!(
                            "{} {} #{}: {}",
                            s["event_type"], s["action"], s["pr"]["number"], s["workflow_steps"]
                        )
                    })
                    .collect();
                panic!(
                    "no such summary among:\n{}\n{}",
                    seen.join("\n"),
                    self.server.output()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the `opened` delivery of pull request `number` and the echoes of the labels it
    /// added, which triage skips.
    fn opened(&self, number: u64) -> Value {
        let opened = self.summary(|s| s["action"] == "opened" && s["pr"]["number"] == number);
        let added = step(&opened, "PullRequestHandler")["labels_added"]
            .as_array()
            .map_or(0, Vec::len);
        let echoes = |s: &Value| {
            s["action"] == "labeled" && s["pr"]["number"] == number && s["token_spend"] == 0
        };
        let deadline = std::time::Instant::now() + WAIT;
        while summaries(self.data.path())
            .iter()
            .filter(|s| echoes(s))
            .count()
            < added
        {
            assert!(std::time::Instant::now() < deadline, "label echoes missing");
            std::thread::sleep(Duration::from_millis(20));
        }
        opened
    }
}

/// Each call as its GraphQL operation, or `METHOD path`.
fn shape(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|r| match r["operation"].as_str() {
            Some(op) => op.to_string(),
            None => format!(
                "{} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            ),
        })
        .collect()
}

fn step<'a>(summary: &'a Value, name: &str) -> &'a Value {
    &summary["workflow_steps"][name]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_is_read_in_three_calls_settled_in_parallel_and_a_replay_writes_nothing() {
    let w = world(
        &format!("github-tokens: [{TOKEN_A}]\n"),
        "minimum-lgtm: 2\n",
    )
    .await;
    let before = w.api.last_request_id().await;
    let pr = w
        .open_pr(
            "feature",
            json!({"src/core/engine.rs": "fn main() {}\n", "docs/new.md": "new\n"}),
        )
        .await;
    let summary = w.opened(1);
    assert!(summary["success"].as_bool().unwrap(), "{summary:#}");
    let calls = w.requests(before).await;
    let mut shape = shape(&calls);
    // Reads come first and in order; the writes run in parallel.
    let writes = shape.split_off(3);
    assert_eq!(shape[..2], ["RepositoryData", "FilesAt"]);
    assert!(shape[2].starts_with("GET /repos/acme/widgets/compare/"));
    let mut writes = writes;
    writes.sort();
    assert_eq!(
        writes,
        [
            "POST /repos/acme/widgets/issues",
            "POST /repos/acme/widgets/issues/1/assignees",
            "POST /repos/acme/widgets/issues/1/comments",
            "POST /repos/acme/widgets/issues/1/labels",
            "POST /repos/acme/widgets/labels",
            "POST /repos/acme/widgets/labels",
            "POST /repos/acme/widgets/pulls/1/requested_reviewers",
        ]
    );
    assert!(calls.iter().all(|r| r["login"] == "bot-a"));
    assert_eq!(summary["token_spend"], 10);
    assert_eq!(summary["api_user"], "bot-a");
    let data = step(&summary, "repository_data");
    assert_eq!(data["head_sha"], pr["head_sha"]);
    assert_eq!(data["changed_files"], 2);
    assert_eq!(
        data["owners_files"],
        json!(["OWNERS", "src/OWNERS", "src/core/OWNERS"])
    );
    assert_eq!(data["repo_config_file"], true);
    assert_eq!(step(&summary, "repository_config")["status"], "completed");
    assert_eq!(
        step(&summary, "PullRequestHandler")["labels_added"],
        json!(["branch-main", "size/XS"])
    );
    let handled = step(&summary, "PullRequestHandler");
    assert_eq!(handled["reviewers_requested"], json!(["bob"]));
    assert_eq!(handled["assigned"], "alice");
    assert_eq!(handled["can_be_merged"], false);
    let api = step(&summary, "github_api");
    assert_eq!(api["reads"], 3);
    assert_eq!(api["writes"], 7);
    assert!(summary["final_rate_limit"].as_u64().unwrap() < 5000);
    assert_eq!(
        labels_of(&w, 1).await,
        [
            ("branch-main".to_string(), "1d76db".to_string()),
            ("size/XS".to_string(), "ededed".to_string())
        ]
    );

    // The same event delivered again (a replay: a new delivery id) writes nothing.
    let before = w.api.last_request_id().await;
    let payload = json!({
        "action": "opened", "number": 1, "sender": {"login": "alice"},
        "repository": {"name": "widgets", "full_name": "acme/widgets", "default_branch": "main"},
        "pull_request": {"number": 1, "draft": false, "title": "Add things",
                         "user": {"login": "alice"}, "head": {"sha": pr["head_sha"]}},
    });
    send(&w, "pull_request", "replayed-opened", payload).await;
    let again = w.summary(|s| s["hook_id"] == "replayed-opened");
    assert!(again["success"].as_bool().unwrap(), "{again:#}");
    let calls = w.requests(before).await;
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert!(!calls.iter().any(is_write), "{calls:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_of_150_files_is_still_read_in_three_calls() {
    let w = world(&format!("github-tokens: [{TOKEN_A}]\n"), "").await;
    let files: serde_json::Map<String, Value> = (0..150)
        .map(|i| {
            (
                format!("src/core/f{i}.rs"),
                json!(format!("fn f{i}() {{}}\n")),
            )
        })
        .collect();
    let before = w.api.last_request_id().await;
    w.open_pr("big", Value::Object(files)).await;
    let summary = w.opened(1);
    assert!(summary["success"].as_bool().unwrap(), "{summary:#}");
    let calls = w.requests(before).await;
    let reads: Vec<String> = shape(&calls)
        .into_iter()
        .filter(|c| !c.starts_with("POST"))
        .collect();
    assert_eq!(reads.len(), 3, "{reads:#?}");
    assert_eq!(reads[0], "RepositoryData");
    assert!(
        reads[1].starts_with("GET /repos/acme/widgets/compare/"),
        "{reads:#?}"
    );
    assert_eq!(reads[2], "FilesAt");
    assert_eq!(step(&summary, "github_api")["reads"], 3);
    let data = step(&summary, "repository_data");
    assert_eq!(data["changed_files"], 150);
    assert_eq!(
        data["owners_files"],
        json!(["OWNERS", "src/OWNERS", "src/core/OWNERS"])
    );
    assert_eq!(
        step(&summary, "PullRequestHandler")["labels_added"],
        json!(["branch-main", "size/L"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_finds_its_pull_request_in_three_reads() {
    let w = world(&format!("github-tokens: [{TOKEN_A}]\n"), "").await;
    let pr = w.open_pr("feature", json!({"src/lib.rs": "x\n"})).await;
    w.opened(1);
    let before = w.api.last_request_id().await;
    let sha = pr["head_sha"].as_str().unwrap();
    let (status, _) = w
        .api
        .call(
            http::Method::POST,
            &format!("/repos/acme/widgets/statuses/{sha}"),
            &format!("token {ALICE}"),
            Some(json!({"state": "success", "context": "ci/external"})),
        )
        .await;
    assert_eq!(status, 201);
    let summary = w.summary(|s| s["event_type"] == "status");
    assert!(summary["success"].as_bool().unwrap(), "{summary:#}");
    let calls = w.requests(before).await;
    let shape = shape(&calls);
    assert_eq!(
        shape,
        [
            format!("GET /repos/acme/widgets/commits/{sha}/pulls"),
            "RepositoryData".to_string(),
            "FilesAt".to_string(),
        ]
    );
    assert_eq!(step(&summary, "repository_data")["pull_request"], 1);
}

/// A signed delivery straight to the server, as GitHub would send it.
async fn send(w: &Scenario, event: &str, id: &str, payload: Value) {
    let body = serde_json::to_vec(&payload).unwrap();
    let resp = deliver(&client(), &w.server, event, id, &body, Some(SECRET)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn triage_cases_cost_no_api_call() {
    let w = world(&format!("github-tokens: [{TOKEN_A}]\n"), "").await;
    // One real delivery first, so the server knows its own login from its snapshot read.
    w.open_pr("feature", json!({"src/lib.rs": "x\n"})).await;
    w.opened(1);
    let before = w.api.last_request_id().await;

    let repo = json!({"name": "widgets", "full_name": "acme/widgets", "default_branch": "main"});
    let pr = |action: &str, draft: bool| {
        json!({"action": action, "repository": repo, "sender": {"login": "alice"},
               "pull_request": {"number": 1, "draft": draft, "user": {"login": "alice"}}})
    };
    let comment = |body: &str, login: &str| {
        json!({"action": "created", "repository": repo, "sender": {"login": login},
               "issue": {"number": 1, "pull_request": {"url": "u"}},
               "comment": {"id": 1, "body": body, "user": {"login": login, "type": "User"}}})
    };
    let check_run = |action: &str, name: &str, conclusion: Value| {
        json!({"action": action, "repository": repo, "sender": {"login": "alice"},
               "check_run": {"name": name, "status": "completed", "conclusion": conclusion,
                             "head_sha": "abc", "pull_requests": [{"number": 1}]}})
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "ping",
            json!({"zen": "Keep it simple.", "hook_id": 1}),
            "ping",
        ),
        (
            "pull_request",
            json!({"action": "opened", "repository": {"name": "other", "full_name": "acme/other"},
                   "pull_request": {"number": 1}}),
            "not found in configuration",
        ),
        (
            "pull_request",
            json!({"action": "opened", "repository": {"name": "quiet", "full_name": "acme/quiet"},
                   "pull_request": {"number": 1}}),
            "not in the repository's events",
        ),
        (
            "check_run",
            check_run("created", "tox", Value::Null),
            "only completed",
        ),
        (
            "check_run",
            check_run("completed", "can-be-merged", json!("failure")),
            "can-be-merged concluded",
        ),
        (
            "issue_comment",
            comment("looks good to me", "alice"),
            "no /command",
        ),
        ("issue_comment", comment("/lgtm", "bot-a"), "own comment"),
        (
            "pull_request_review",
            json!({"action": "submitted", "repository": repo, "pull_request": {"number": 1},
                   "review": {"state": "approved", "user": {"login": "bot-a"}}}),
            "own review",
        ),
        (
            "push",
            json!({"ref": "refs/heads/main", "deleted": false, "repository": repo}),
            "branch push",
        ),
        (
            "push",
            json!({"ref": "refs/tags/v1", "deleted": true, "repository": repo}),
            "deleted",
        ),
        (
            "status",
            json!({"state": "pending", "sha": "abc", "context": "ci", "repository": repo}),
            "pending",
        ),
        ("pull_request", pr("assigned", false), "not handled"),
        ("pull_request", pr("synchronize", true), "draft"),
    ];
    for (i, (event, payload, _)) in cases.iter().enumerate() {
        send(&w, event, &format!("triage-{i}"), payload.clone()).await;
    }
    for (i, (event, _, reason)) in cases.iter().enumerate() {
        let s = &w.summary(|s| s["hook_id"] == format!("triage-{i}"));
        assert_eq!(s["token_spend"], 0, "case {i} ({event})");
        let routing = step(s, "webhook_routing");
        let text = format!("{routing}{}", s["error"]);
        assert!(
            text.contains(reason),
            "case {i} ({event}): {reason:?} not in {text}"
        );
    }
    assert_eq!(w.requests(before).await, Vec::<Value>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_spent_mid_delivery_fails_over_and_stays_masked() {
    let w = world(&format!("github-tokens: [{TOKEN_A}, {TOKEN_B}]\n"), "").await;
    // Token A has one call left: the snapshot query spends it, the OWNERS read takes token B.
    w.api
        .admin(
            "/rate-limit",
            json!({"token": TOKEN_A, "limit": 5000, "remaining": 1}),
        )
        .await;
    let before = w.api.last_request_id().await;
    w.open_pr("feature", json!({"src/lib.rs": "x\n"})).await;
    let summary = w.opened(1);
    assert!(summary["success"].as_bool().unwrap(), "{summary:#}");
    let logins: Vec<Value> = w
        .requests(before)
        .await
        .iter()
        .map(|r| r["login"].clone())
        .collect();
    assert_eq!(logins[0], "bot-a");
    assert!(logins[1..].iter().all(|l| l == "bot-b"), "{logins:?}");
    let by_token = &step(&summary, "github_api")["by_token"];
    assert_eq!(by_token[label(0, TOKEN_A)], 1, "{by_token}");
    assert_eq!(by_token[label(1, TOKEN_B)], logins.len() - 1, "{by_token}");

    let mut everything = w.server.output();
    for entry in std::fs::read_dir(w.data.path().join("logs")).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(everything.contains("token 1 (sha256"));
    for token in [TOKEN_A, TOKEN_B] {
        assert!(!everything.contains(token), "a token leaked into the logs");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_mints_one_installation_token_for_many_deliveries() {
    let w = world("github-app-id: 77\n", "").await;
    let app = w.api.admin("/apps", json!({"id": 77, "slug": "gws"})).await;
    let pem = app["private_key_pem"].as_str().unwrap();
    // Written after the server started, so its start-up lookup found no key: the first
    // delivery that needs the App reads the key and looks the installation up itself.
    std::fs::write(w.data.path().join("webhook-server.private-key.pem"), pem).unwrap();
    let before = w.api.last_request_id().await;
    for (i, head) in ["one", "two", "three"].iter().enumerate() {
        let pr = w
            .open_pr(head, json!({format!("src/{head}.rs"): "x\n"}))
            .await;
        // Tracking issues take numbers between the pull requests.
        let s = w.opened(pr["number"].as_u64().unwrap());
        assert!(s["success"].as_bool().unwrap(), "{s:#}");
        // Each delivery reads three times (snapshot, OWNERS, compare), labels once, opens the
        // tracking issue, assigns, requests a review, welcomes, and writes four check runs
        // (both security checks, `verified` queued, `can-be-merged`). The first also looks the
        // installation up, mints its token and creates two labels in the repository.
        let expected = if i == 0 { 2 + 2 + 12 } else { 12 };
        assert_eq!(s["token_spend"], expected, "delivery {i}: {s:#}");
    }
    let calls = w.requests(before).await;
    let count = |path_end: &str| {
        calls
            .iter()
            .filter(|r| r["path"].as_str().unwrap().ends_with(path_end))
            .count()
    };
    assert_eq!(count("/installation"), 1);
    assert_eq!(count("/access_tokens"), 1);
    assert!(
        calls
            .iter()
            .filter(|r| !r["path"].as_str().unwrap().starts_with("/app"))
            .filter(|r| !r["path"].as_str().unwrap().ends_with("/installation"))
            .all(|r| r["login"] == "gws[bot]")
    );
}

async fn labels_of(w: &Scenario, number: u64) -> Vec<(String, String)> {
    let (_, _, labels) = w
        .api
        .get(
            &format!("/repos/acme/widgets/issues/{number}/labels"),
            Some(ALICE),
        )
        .await;
    labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["color"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn labels_follow_the_title_the_size_and_the_repository_file() {
    let repo_file = "labels:\n  enabled-labels: [wip, size]\npr-size-thresholds:\n  Small:\n    \
                     threshold: 10\n    color: green\n  Large:\n    threshold: inf\n";
    let w = world(&format!("github-tokens: [{TOKEN_A}]\n"), repo_file).await;
    w.api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "alice", "title": "WIP: widgets", "head": "feature",
                   "files": {"src/w.rs": "one line\n"}}),
        )
        .await;
    let opened = w.opened(1);
    assert_eq!(
        step(&opened, "PullRequestHandler")["labels_disabled"],
        json!(["branch-main"])
    );
    assert_eq!(
        labels_of(&w, 1).await,
        [
            ("size/Small".to_string(), "008000".to_string()),
            ("wip".to_string(), "b60205".to_string())
        ]
    );

    let (status, _) = w
        .api
        .call(
            http::Method::PATCH,
            "/repos/acme/widgets/pulls/1",
            &format!("token {ALICE}"),
            Some(json!({"title": "widgets"})),
        )
        .await;
    assert_eq!(status, 200);
    let edited = w.summary(|s| s["action"] == "edited");
    assert_eq!(
        step(&edited, "PullRequestHandler")["labels_removed"],
        json!(["wip"])
    );

    let lines: String = (0..20).map(|i| format!("line {i}\n")).collect();
    w.api
        .admin(
            "/repos/acme/widgets/pulls/1/commits",
            json!({"author": "alice", "files": {"src/more.rs": lines}}),
        )
        .await;
    let synced = w.summary(|s| s["action"] == "synchronize");
    assert!(synced["success"].as_bool().unwrap(), "{synced:#}");
    // A custom bucket without a colour is lightgray, as in the Python server.
    assert_eq!(
        labels_of(&w, 1).await,
        [("size/Large".to_string(), "d3d3d3".to_string())]
    );
    // Each of the server's own label changes came back as a webhook and cost nothing.
    let echoes: Vec<Value> = summaries(w.data.path())
        .into_iter()
        .filter(|s| s["action"] == "labeled" || s["action"] == "unlabeled")
        .collect();
    assert!(echoes.iter().all(|s| s["token_spend"] == 0), "{echoes:#?}");
}
