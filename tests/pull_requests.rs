//! Pull request automation scenarios: the real server, with a GitHub App, against the
//! simulator. Each scenario acts as people do (opens, labels, reviews, edits, closes), lets every
//! webhook settle, then asserts the final GitHub state read back through REST. Each ends by
//! sending all of its deliveries again under new ids, which must change nothing and write
//! nothing.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::scenario::Scenario;
use common::sim::is_write;
use common::team::*;
use common::*;
use http::Method;
use serde_json::{Value, json};

/// `team`'s repository with `files` (OWNERS, the repository's own config…), and the server
/// with `config` added to config.yaml.
async fn scenario(config: &str, files: Value) -> Scenario {
    team().config(config).files(files).start().await
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const OWNERS: &str = "approvers: [carol]\nreviewers: [bob]\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_from_open_to_merge() {
    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    let n = s
        .open(
            "alice",
            "Add engine",
            "engine",
            json!({"src/engine.rs": "fn x() {}\n"}),
        )
        .await;

    let pr = s.pull(n).await;
    assert_eq!(pr["assignees"][0]["login"], "alice");
    assert_eq!(pr["requested_reviewers"][0]["login"], "bob");
    assert_eq!(s.labels(n).await, set(&["branch-main", "size/XS"]));
    assert_eq!(s.check(n, "verified").await, ("queued".into(), "".into()));
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "success");
    assert_eq!(s.check(n, "security-committer-identity").await.1, "success");
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    assert_eq!(
        s.unmet(n),
        [
            "Some check runs not started: verified",
            "Missing approved from approvers: carol"
        ]
    );
    let comments = s
        .get(&format!("/repos/acme/widgets/issues/{n}/comments"))
        .await;
    let welcome = comments[0]["body"].as_str().unwrap();
    assert!(welcome.starts_with("<!-- gws:welcome -->"), "{welcome}");
    assert!(welcome.contains("- @carol"));
    let tracking = s.tracking_issues("open").await;
    assert_eq!(tracking.len(), 1);
    assert_eq!(tracking[0]["title"], format!("Add engine - {n}"));

    s.label("alice", n, "verified").await;
    assert_eq!(s.check(n, "verified").await.1, "success");
    s.review("bob", n, "APPROVED", "nice").await;
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(
        s.labels(n).await,
        set(&[
            "branch-main",
            "size/XS",
            "verified",
            "lgtm-bob",
            "commented-carol",
            "approved-carol",
            "can-be-merged"
        ])
    );
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    s.replay_changes_nothing(&[n]).await;

    s.label("carol", n, "automerge").await;
    let pr = s.pull(n).await;
    assert_eq!(pr["merged"], true, "{pr:#}");
    let issue = s
        .get(&format!(
            "/repos/acme/widgets/issues/{}",
            tracking[0]["number"]
        ))
        .await;
    assert_eq!(issue["state"], "closed");

    // The App's installation was looked up once, at start: no delivery of the whole flow read
    // more than three times. Its token was minted once, though the first delivery's check runs
    // are written in parallel.
    let all = summaries(s.data.path());
    assert!(all.len() > 20, "{}", all.len());
    for summary in &all {
        let reads = summary["workflow_steps"]["github_api"]["reads"]
            .as_u64()
            .unwrap_or(0);
        assert!(reads <= 3, "{summary:#}");
    }
    let log = s.api.requests(0).await;
    let count = |end: &str| {
        log.iter()
            .filter(|r| r["path"].as_str().unwrap().ends_with(end))
            .count()
    };
    assert_eq!(count("/installation"), 1);
    assert_eq!(count("/access_tokens"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn owners_in_three_directories_with_root_approvers_false_in_one() {
    let s = scenario(
        "verified-job: false\n",
        json!({
            "OWNERS": "approvers: [carol]\n",
            "api/OWNERS": "approvers: [dave]\n",
            "vendor/OWNERS": "approvers: [erin]\nroot-approvers: false\n",
            "docs/OWNERS": "reviewers: [bob]\n",
        }),
    )
    .await;
    let n = s
        .open(
            "alice",
            "Touch everything",
            "wide",
            json!({"api/v1.rs": "a\n", "vendor/lib.c": "b\n", "docs/x.md": "c\n"}),
        )
        .await;
    // api/ did not opt out: the root approver must approve, and that covers api/ and docs/.
    // vendor/ opted out: its own approver must approve, and the root's approval does not
    // cover it (stricter than the Python server, where a root approval covered everything).
    assert_eq!(
        s.unmet(n),
        [
            "Missing approved from approvers: carol",
            "Missing approved from approvers: erin",
        ]
    );
    // A folder approver alone does not stand in for the root.
    s.review("dave", n, "COMMENTED", "/approve").await;
    assert!(s.labels(n).await.contains("approved-dave"));
    assert_eq!(
        s.unmet(n),
        [
            "Missing approved from approvers: carol",
            "Missing approved from approvers: erin",
        ]
    );
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(s.unmet(n), ["Missing approved from approvers: erin"]);
    // Approving is for approvers only.
    s.review("bob", n, "COMMENTED", "/approve").await;
    assert!(!s.labels(n).await.contains("approved-bob"));
    s.review("erin", n, "COMMENTED", "/approve").await;
    assert!(s.unmet(n).is_empty());
    assert!(s.labels(n).await.contains("can-be-merged"));
    s.replay_changes_nothing(&[n]).await;
}

/// A repository whose root OWNERS lists `root` and whose `folder1/OWNERS` lists dave, with
/// `config` added, and a pull request by alice changing `folder1/file`.
async fn folder1_pull(config: &str, root: &str) -> (Scenario, u64) {
    let s = scenario(
        &format!("verified-job: false\n{config}"),
        json!({
            "OWNERS": format!("approvers: [{root}]\n"),
            "folder1/OWNERS": "approvers: [dave]\n",
        }),
    )
    .await;
    let n = s
        .open("alice", "Fix folder1", "f1", json!({"folder1/file": "x\n"}))
        .await;
    (s, n)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_approval_waits_for_a_root_approver() {
    let (s, n) = folder1_pull("", "carol, erin").await;
    assert_eq!(s.unmet(n), ["Missing approved from approvers: carol, erin"]);
    s.review("dave", n, "COMMENTED", "/approve").await;
    let labels = s.labels(n).await;
    assert!(labels.contains("approved-dave"), "{labels:?}");
    assert!(!labels.contains("can-be-merged"), "{labels:?}");
    assert_eq!(s.unmet(n), ["Missing approved from approvers: carol, erin"]);
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    let output = s.check_output(n, "can-be-merged").await;
    assert_eq!(
        output["text"], "Missing approved from approvers: carol, erin",
        "{output:#}"
    );
    s.review("erin", n, "COMMENTED", "/approve").await;
    assert!(s.unmet(n).is_empty());
    assert!(s.labels(n).await.contains("can-be-merged"));
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_prow_rule_is_an_explicit_opt_in() {
    let (s, n) = folder1_pull("owners-approval: prow\n", "carol").await;
    assert_eq!(s.unmet(n), ["Missing approved from approvers: carol, dave"]);
    s.review("dave", n, "COMMENTED", "/approve").await;
    assert!(s.unmet(n).is_empty());
    assert!(s.labels(n).await.contains("can-be-merged"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_yaml_infinity_size_threshold_keeps_the_repository_file_in_force() {
    let s = scenario(
        "verified-job: false\n",
        json!({
            ".github-webhook-server.yaml":
                "pr-size-thresholds:\n  S: {threshold: 100}\n  XXL: {threshold: .inf}\n",
        }),
    )
    .await;
    let n = s
        .open("alice", "Big", "big", json!({"big.txt": lines(400)}))
        .await;
    assert_eq!(
        s.labels(n).await,
        set(&["branch-main", "size/XXL", "can-be-merged"])
    );
    // No colour given: lightgray, as in the Python server.
    let label = s.get("/repos/acme/widgets/labels/size%2FXXL").await;
    assert_eq!(label["color"], "d3d3d3");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_repository_file_is_reported_and_cannot_merge_until_fixed() {
    let s = scenario(
        "verified-job: false\n",
        json!({
            "OWNERS": "approvers: [carol]\nreviewers: [bob]\n",
            ".github-webhook-server.yaml":
                "minimum-lgtm: 1\npr-size-thresholds:\n  S: {threshold: 0}\n",
        }),
    )
    .await;
    // On the default branch: the bad bucket is skipped, minimum-lgtm still applies, and every
    // pull request's can-be-merged says what was skipped, without blocking on it.
    let n = s
        .open("alice", "Change", "change", json!({"x.txt": "x\n"}))
        .await;
    assert!(s.labels(n).await.contains("size/XS"));
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(
        s.unmet(n),
        ["Missing lgtm from reviewers. Minimum 1 required, (0 given). Reviewers: bob, carol."]
    );
    let text = s.check_output(n, "can-be-merged").await["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains(
            "Note: `.github-webhook-server.yaml` on `main` has 1 problem(s); those settings are \
             skipped and config.yaml's apply instead:\n  - line 3: pr-size-thresholds.S.threshold:"
        ),
        "{text}"
    );
    s.review("bob", n, "APPROVED", "").await;
    assert!(s.unmet(n).is_empty());
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    let output = s.check_output(n, "can-be-merged").await;
    assert!(
        output["text"].as_str().unwrap().starts_with("Note: "),
        "{output:#}"
    );

    // A pull request that would put a broken file in force cannot merge until it is fixed.
    let m = s
        .open(
            "alice",
            "Tune sizes",
            "tune",
            json!({".github-webhook-server.yaml": "minimum-lgtm: 1\nverified-job: yes please\n"}),
        )
        .await;
    s.review("carol", m, "COMMENTED", "/approve").await;
    s.review("bob", m, "APPROVED", "").await;
    let unmet = s.unmet(m);
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert!(
        unmet[0].starts_with(
            ".github-webhook-server.yaml in this pull request has 1 problem(s); fix them before \
             merging:\n  - line 2: verified-job:"
        ),
        "{unmet:?}"
    );
    assert_eq!(s.check(m, "can-be-merged").await.1, "failure");
    s.push(
        "alice",
        m,
        json!({".github-webhook-server.yaml": "minimum-lgtm: 1\nverified-job: no\n"}),
    )
    .await;
    // The push dropped the approvals; approved again, the fixed file lets it merge.
    s.review("carol", m, "COMMENTED", "/approve").await;
    s.review("bob", m, "APPROVED", "").await;
    assert!(s.unmet(m).is_empty(), "{:?}", s.unmet(m));
    assert_eq!(s.check(m, "can-be-merged").await.1, "success");
    s.replay_changes_nothing(&[n, m]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reviewers_beyond_the_first_hundred_collaborators_are_asked_and_strangers_once() {
    // 150 readers whose logins sort before the users', so the users are not among the first
    // 100 collaborators GitHub lists.
    let s = (0..150)
        .fold(team(), |b, i| {
            b.collaborator(&format!("aaa-{i:03}"), "read")
        })
        .files(json!({"OWNERS": "approvers: [carol]\nreviewers: [bob, mallory]\n"}))
        .start()
        .await;
    let since = s.api.last_request_id().await;
    let n = s
        .open("alice", "Add engine", "engine", json!({"src/e.rs": "x\n"}))
        .await;
    // bob is a collaborator the snapshot's first page does not show; mallory is none.
    let pr = s.pull(n).await;
    let requested: Vec<&str> = pr["requested_reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["login"].as_str().unwrap())
        .collect();
    assert_eq!(requested, ["bob"]);
    let asks: Vec<Value> = s
        .api
        .requests(since)
        .await
        .into_iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("/requested_reviewers")
        })
        .map(|r| r["status"].clone())
        .collect();
    // Both at once (refused), then each alone.
    assert_eq!(asks, [json!(422), json!(201), json!(422)]);
    // A replay asks nobody: bob is requested, mallory's refusal is remembered.
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn minimum_lgtm_two_and_changes_requested_then_approved() {
    let s = scenario(
        "verified-job: false\nminimum-lgtm: 2\n",
        json!({"OWNERS": "approvers: [carol]\nreviewers: [bob, dave, erin]\n"}),
    )
    .await;
    let n = s
        .open("alice", "Change", "change", json!({"x.txt": "x\n"}))
        .await;
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(
        s.unmet(n),
        [
            "Missing lgtm from reviewers. Minimum 2 required, (0 given). Reviewers: bob, carol, dave, erin."
        ]
    );
    s.review("bob", n, "APPROVED", "").await;
    assert_eq!(s.unmet(n).len(), 1);
    s.review("carol", n, "CHANGES_REQUESTED", "not yet").await;
    let labels = s.labels(n).await;
    assert!(labels.contains("changes-requested-carol"));
    assert!(!labels.contains("can-be-merged"));
    assert_eq!(
        s.unmet(n),
        [
            "PR has changed requests from approvers (carol)",
            "Missing lgtm from reviewers. Minimum 2 required, (1 given). Reviewers: bob, carol, dave, erin."
        ]
    );
    s.review("carol", n, "APPROVED", "/approve").await;
    let labels = s.labels(n).await;
    assert!(!labels.contains("changes-requested-carol"));
    assert!(labels.contains("lgtm-carol") && labels.contains("lgtm-bob"));
    assert!(s.unmet(n).is_empty());
    assert!(labels.contains("can-be-merged"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hold_wip_and_required_labels_block_merging() {
    let s = scenario(
        "verified-job: false\ncan-be-merged-required-labels: [qe-approved]\n",
        json!({"OWNERS": "approvers: [carol]\n"}),
    )
    .await;
    let n = s
        .open("alice", "WIP: half done", "half", json!({"x.txt": "x\n"}))
        .await;
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(
        s.unmet(n),
        ["WIP label exists.", "Missing required labels: qe-approved"]
    );
    s.as_user(
        "alice",
        Method::PATCH,
        &format!("/repos/acme/widgets/pulls/{n}"),
        json!({"title": "Done"}),
    )
    .await;
    s.settle().await;
    assert!(!s.labels(n).await.contains("wip"));
    s.label("carol", n, "hold").await;
    assert_eq!(
        s.unmet(n),
        ["Hold label exists.", "Missing required labels: qe-approved"]
    );
    s.unlabel("carol", n, "hold").await;
    s.label("dave", n, "qe-approved").await;
    assert!(s.unmet(n).is_empty());
    assert!(s.labels(n).await.contains("can-be-merged"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn native_auto_merge_and_suspicious_paths_blocking_it() {
    let s = scenario(
        "verified-job: false\nset-auto-merge-prs: [main]\n",
        json!({"OWNERS": "approvers: [carol]\n"}),
    )
    .await;
    // GitHub enables auto-merge only when something is left to wait for: protection requiring
    // can-be-merged, as the server's repository setup configures it.
    s.protect(&["can-be-merged"]).await;
    let safe = s
        .open("alice", "Safe", "safe", json!({"src/a.rs": "a\n"}))
        .await;
    assert!(!s.pull(safe).await["auto_merge"].is_null());
    let risky = s
        .open(
            "alice",
            "Risky",
            "risky",
            json!({".github/workflows/ci.yml": "on: push\n"}),
        )
        .await;
    assert!(s.pull(risky).await["auto_merge"].is_null());
    let comments = s
        .get(&format!("/repos/acme/widgets/issues/{risky}/comments"))
        .await;
    assert!(
        comments
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap())
            .any(|body| body.starts_with(
                "Auto-merge blocked: PR modifies security-sensitive paths: .github/workflows/ci.yml"
            ) && body.ends_with("<!-- gws:auto-merge-blocked -->")),
        "{comments:#}"
    );
    assert_eq!(
        s.check(risky, "security-suspicious-paths").await.1,
        "failure"
    );
    s.replay_changes_nothing(&[safe, risky]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_after_a_failed_welcome_finds_the_tracking_issue_by_its_marker() {
    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    // The welcome comment is the first comment written on the pull request; it fails once,
    // after the tracking issue was opened.
    s.fail_once("POST", "/repos/acme/widgets/issues/1/comments", 1, 502)
        .await;
    let n = open_engine(&s).await;
    assert_eq!(n, 1);
    // The delivery ran again by itself, and says why.
    let opened = summaries(s.data.path())
        .into_iter()
        .find(|r| r["event_type"] == "pull_request" && r["action"] == "opened")
        .expect("the opened delivery completed");
    let routing = &opened["workflow_steps"]["webhook_routing"];
    assert_eq!(routing["attempt"], 2, "{opened:#}");
    assert!(
        routing["previous_error"].as_str().unwrap().contains("502"),
        "{routing}"
    );
    assert_eq!(opened["success"], true);
    assert_one_welcome_naming_one_tracking_issue(&s, n).await;

    // Every delivery once more: still one of each.
    let sent = s.api.admin("/replay", json!({"since": 0})).await;
    assert!(sent["sent"].as_u64().unwrap() > 0);
    s.settle().await;
    assert_one_welcome_naming_one_tracking_issue(&s, n).await;
}

async fn assert_one_welcome_naming_one_tracking_issue(s: &Scenario, n: u64) {
    let tracking = s.tracking_issues("all").await;
    assert_eq!(tracking.len(), 1, "one tracking issue: {tracking:#?}");
    let comments = s
        .get(&format!("/repos/acme/widgets/issues/{n}/comments"))
        .await;
    let welcomes: Vec<&str> = comments
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["body"].as_str())
        .filter(|b| b.starts_with("<!-- gws:welcome -->"))
        .collect();
    assert_eq!(welcomes.len(), 1);
    assert!(
        welcomes[0].contains(&format!(
            "<!-- gws:tracking-issue {} -->",
            tracking[0]["number"]
        )),
        "{}",
        welcomes[0]
    );
}

/// What a pull request looks like from outside: its labels, check runs, assignees, requested
/// reviewers, the server's comments by kind, and the tracking issues' titles.
async fn end_state(s: &Scenario, n: u64) -> Value {
    let pr = s.pull(n).await;
    let logins = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].as_str().unwrap().to_string())
            .collect()
    };
    let comments = s
        .get(&format!("/repos/acme/widgets/issues/{n}/comments"))
        .await;
    let mut kinds: Vec<String> = comments
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["body"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    kinds.sort();
    let mut tracking: Vec<String> = s
        .tracking_issues("all")
        .await
        .iter()
        .map(|i| format!("{} ({})", i["title"].as_str().unwrap(), i["state"]))
        .collect();
    tracking.sort();
    json!({
        "state": pr["state"],
        "merged": pr["merged"],
        "labels": s.labels(n).await,
        "checks": s.checks(n).await,
        "assignees": logins(&pr["assignees"]),
        "requested_reviewers": logins(&pr["requested_reviewers"]),
        "comments": kinds,
        "tracking_issues": tracking,
    })
}

async fn open_engine(s: &Scenario) -> u64 {
    s.open(
        "alice",
        "Add engine",
        "engine",
        json!({"src/engine.rs": "fn x() {}\n"}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_write_of_opened_failing_once_ends_as_the_clean_run_and_a_replay_changes_nothing() {
    let clean = scenario("", json!({"OWNERS": OWNERS})).await;
    let since = clean.api.last_request_id().await;
    let n = open_engine(&clean).await;
    let expected = end_state(&clean, n).await;
    // Every write of the flow, as (method, path, how many times that pair was written before).
    let mut writes: Vec<(String, String, u64)> = Vec::new();
    for r in clean.api.requests(since).await {
        let path = r["path"].as_str().unwrap();
        if path.starts_with("/_simulator") || !is_write(&r) {
            continue;
        }
        let method = r["method"].as_str().unwrap().to_string();
        let nth = 1 + writes
            .iter()
            .filter(|(m, p, _)| *m == method && p == path)
            .count() as u64;
        writes.push((method, path.to_string(), nth));
    }
    assert!(writes.len() >= 10, "{writes:?}");
    drop(clean);

    for (method, path, nth) in writes {
        let s = scenario("", json!({"OWNERS": OWNERS})).await;
        s.fail_once(&method, &path, nth, 502).await;
        let n = open_engine(&s).await;
        s.settle().await;
        assert_eq!(
            end_state(&s, n).await,
            expected,
            "{method} {path} (#{nth}) failed once, and its delivery was retried"
        );
        s.api.admin("/replay", json!({"since": 0})).await;
        s.settle().await;
        assert_eq!(
            end_state(&s, n).await,
            expected,
            "{method} {path} (#{nth}) failed once, then every delivery ran again"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_request_closed_unmerged_closes_its_tracking_issue() {
    let s = scenario("", json!({})).await;
    let n = s
        .open("alice", "Short lived", "short", json!({"a": "a\n"}))
        .await;
    let tracking = s.tracking_issues("all").await[0]["number"]
        .as_u64()
        .unwrap();
    s.as_user(
        "alice",
        Method::PATCH,
        &format!("/repos/acme/widgets/pulls/{n}"),
        json!({"state": "closed"}),
    )
    .await;
    s.settle().await;
    let issue = s
        .get(&format!("/repos/acme/widgets/issues/{tracking}"))
        .await;
    assert_eq!(issue["state"], "closed");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_rebase_keeps_approvals_and_a_real_change_drops_them() {
    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    let n = s
        .open(
            "alice",
            "Add engine",
            "engine",
            json!({"src/engine.rs": "fn x() {}\n"}),
        )
        .await;
    s.label("alice", n, "verified").await;
    s.review("bob", n, "APPROVED", "nice").await;
    s.review("carol", n, "APPROVED", "/approve").await;
    let approved = set(&[
        "branch-main",
        "size/XS",
        "verified",
        "lgtm-bob",
        "lgtm-carol",
        "approved-carol",
        "can-be-merged",
    ]);
    assert_eq!(s.labels(n).await, approved);

    // main moves on, and the pull request is rebased onto it: the same change on a new base.
    s.api
        .admin(
            "/repos/acme/widgets/commits",
            json!({"author": "dave", "branch": "main", "files": {"docs/guide.md": "guide\n"}}),
        )
        .await;
    let old_head = s.head(n).await;
    s.api
        .admin(
            &format!("/repos/acme/widgets/pulls/{n}/rebase"),
            json!({"author": "alice"}),
        )
        .await;
    s.settle().await;
    let new_head = s.head(n).await;
    assert_ne!(new_head, old_head);
    assert_eq!(
        s.labels(n).await,
        approved,
        "a clean rebase keeps approvals"
    );
    assert_eq!(s.check(n, "verified").await.1, "success");
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    let comments = s
        .get(&format!("/repos/acme/widgets/issues/{n}/comments"))
        .await;
    let notes: Vec<&str> = comments
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["body"].as_str())
        .filter(|b| b.starts_with("**Clean rebase detected**"))
        .collect();
    assert_eq!(notes.len(), 1, "{comments:#}");
    assert!(notes[0].contains(&format!("(`{}`)", &old_head[..7])));
    assert!(notes[0].contains("lgtm-bob"), "{}", notes[0]);

    // A later review of the rebased head still counts the approval given before it.
    s.review("erin", n, "COMMENTED", "looks fine").await;
    assert!(s.labels(n).await.is_superset(&approved));

    // New code: every approval and the verification are gone.
    s.api
        .admin(
            &format!("/repos/acme/widgets/pulls/{n}/commits"),
            json!({"author": "alice", "files": {"src/engine.rs": "fn y() {}\n"}}),
        )
        .await;
    s.settle().await;
    assert_eq!(s.labels(n).await, set(&["branch-main", "size/XS"]));
    assert_eq!(s.check(n, "verified").await, ("queued".into(), "".into()));
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");

    // Approving the new code counts again, and a replay of the push does not undo it.
    s.review("bob", n, "APPROVED", "still nice").await;
    assert!(s.labels(n).await.contains("lgtm-bob"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_refreshes_merge_state_labels_on_the_other_open_pull_requests() {
    let s = scenario("verified-job: false\n", json!({"OWNERS": OWNERS})).await;
    let merged = s
        .open("alice", "Shared A", "a", json!({"src/shared.rs": "a\n"}))
        .await;
    let clashing = s
        .open("bob", "Shared B", "b", json!({"src/shared.rs": "b\n"}))
        .await;
    let unrelated = s
        .open("carol", "Docs", "c", json!({"docs/c.md": "c\n"}))
        .await;
    for n in [clashing, unrelated] {
        let labels = s.labels(n).await;
        assert!(!labels.contains("needs-rebase") && !labels.contains("has-conflicts"));
    }
    // GitHub recomputes mergeability in the background: for a while after the merge it is
    // UNKNOWN, and the refresh has to wait for it rather than sleep a fixed time.
    s.api
        .admin("/mergeability-delay", json!({"ms": 1200}))
        .await;
    s.api
        .admin(
            &format!("/repos/acme/widgets/pulls/{merged}/merge"),
            json!({"author": "carol", "method": "squash"}),
        )
        .await;
    s.settle().await;

    let labels = s.labels(clashing).await;
    assert!(labels.contains("has-conflicts"), "{labels:?}");
    assert!(labels.contains("needs-rebase"), "{labels:?}");
    let labels = s.labels(unrelated).await;
    assert!(labels.contains("needs-rebase"), "{labels:?}");
    assert!(!labels.contains("has-conflicts"), "{labels:?}");
    assert_eq!(
        s.unmet(clashing),
        [
            "PR is not mergeable: CONFLICTING",
            "Missing approved from approvers: carol"
        ]
    );
    let refreshes: Vec<Value> = summaries(s.data.path())
        .into_iter()
        .filter(|r| r["action"] == "base_moved")
        .collect();
    assert_eq!(refreshes.len(), 2, "{refreshes:#?}");
    for r in &refreshes {
        assert!(r["success"].as_bool().unwrap(), "{r:#}");
        let polls = r["workflow_steps"]["PullRequestHandler"]["mergeable_polls"]
            .as_u64()
            .unwrap_or(0);
        assert!(polls >= 1, "mergeability was known at once: {r:#}");
    }
    s.replay_changes_nothing(&[clashing, unrelated]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_completed_checks_is_evaluated_once_at_its_end() {
    // Every delivery takes 300 ms more, so the burst queues up behind its first delivery.
    let s = team()
        .config("verified-job: false\n")
        .files(json!({"OWNERS": "approvers: [carol]\n"}))
        .env("WEBHOOK_SERVER_TEST_DELAY_MS", "300")
        .start()
        .await;
    let checks: Vec<String> = (0..6).map(|i| format!("ci-{i}")).collect();
    s.protect(&checks).await;
    let n = s
        .open("alice", "Burst", "burst", json!({"src/a.rs": "a\n"}))
        .await;
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    let sha = s.head(n).await;
    for name in &checks {
        s.api
            .admin(
                "/repos/acme/widgets/check-runs",
                json!({"app": "ci", "name": name, "head_sha": sha,
                       "status": "completed", "conclusion": "success"}),
            )
            .await;
    }
    s.settle().await;

    let decisions: Vec<String> = summaries(s.data.path())
        .iter()
        .filter(|r| r["event_type"] == "check_run" && r["action"] == "completed")
        .filter(|r| r["workflow_steps"]["webhook_routing"]["decision"] != "skip")
        .map(|r| {
            r["workflow_steps"]["webhook_routing"]["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(decisions.len(), checks.len(), "{decisions:?}");
    let coalesced = decisions.iter().filter(|d| *d == "coalesce").count();
    assert!(coalesced >= 1, "nothing coalesced: {decisions:?}");
    // The completions arrive in order, and the last one always evaluates.
    assert_eq!(decisions.last().unwrap(), "dispatch", "{decisions:?}");
    assert!(s.unmet(n).is_empty(), "{:?}", s.unmet(n));
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    s.replay_changes_nothing(&[n]).await;
}

fn lines(n: usize) -> String {
    (0..n).map(|i| format!("line {i}\n")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn size_labels_follow_the_default_thresholds_as_the_diff_grows() {
    // No OWNERS and no verified job: nothing is left to approve, so it can be merged.
    let s = scenario("verified-job: false\n", json!({})).await;
    let n = s
        .open("alice", "Grow", "grow", json!({"a.txt": lines(25)}))
        .await;
    assert_eq!(
        s.labels(n).await,
        set(&["branch-main", "size/S", "can-be-merged"])
    );
    s.api
        .admin(
            &format!("/repos/acme/widgets/pulls/{n}/commits"),
            json!({"author": "alice", "files": {"a.txt": lines(120)}}),
        )
        .await;
    s.settle().await;
    assert_eq!(
        s.labels(n).await,
        set(&["branch-main", "size/L", "can-be-merged"])
    );
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn size_labels_follow_custom_thresholds() {
    let s = scenario(
        "verified-job: false\npr-size-thresholds:\n  Tiny:\n    threshold: 10\n    color: ededed\n  \
         Huge:\n    threshold: inf\n",
        json!({}),
    )
    .await;
    let tiny = s
        .open("alice", "Tiny", "tiny", json!({"a.txt": lines(5)}))
        .await;
    let huge = s
        .open("bob", "Huge", "huge", json!({"b.txt": lines(40)}))
        .await;
    assert_eq!(
        s.labels(tiny).await,
        set(&["branch-main", "size/Tiny", "can-be-merged"])
    );
    assert_eq!(
        s.labels(huge).await,
        set(&["branch-main", "size/Huge", "can-be-merged"])
    );
    let label = s.get("/repos/acme/widgets/labels/size%2FTiny").await;
    assert_eq!(label["color"], "ededed");
    s.replay_changes_nothing(&[tiny, huge]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_label_categories_are_never_applied() {
    let s = scenario(
        "verified-job: false\nlabels:\n  enabled-labels: [hold]\n",
        json!({"OWNERS": "approvers: [carol]\n"}),
    )
    .await;
    let n = s
        .open("alice", "WIP: start", "start", json!({"a.txt": lines(3)}))
        .await;
    // No wip, size or branch label; the pull request carries nothing.
    assert!(s.labels(n).await.is_empty(), "{:?}", s.labels(n).await);
    s.label("carol", n, "hold").await;
    s.review("carol", n, "COMMENTED", "/approve").await;
    // Review labels have no category and stay; can-be-merged is disabled as a label, not as a
    // check, and hold still blocks.
    assert_eq!(
        s.labels(n).await,
        set(&["hold", "approved-carol", "commented-carol"])
    );
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    assert_eq!(s.unmet(n), ["Hold label exists."]);
    s.unlabel("carol", n, "hold").await;
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    assert!(!s.labels(n).await.contains("can-be-merged"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_label_and_review_events_lose_nothing() {
    let s = scenario(
        "verified-job: false\n",
        json!({"OWNERS": "approvers: [carol]\nreviewers: [bob, dave, erin]\n"}),
    )
    .await;
    let n = s
        .open("alice", "Busy", "busy", json!({"x.txt": "x\n"}))
        .await;
    // 40 labels added by people and 10 reviews, all at once: the server's own label writes
    // land between them, and none of them may be lost or undone.
    let api = &s.api;
    let labels = (0..40).map(|i| async move {
        api.admin(
            &format!("/repos/acme/widgets/issues/{n}/labels"),
            json!({"author": "dave", "labels": [format!("topic-{i}")]}),
        )
        .await;
    });
    let reviews = (0..10).map(|i| async move {
        let (author, state, body) = match i % 5 {
            0 => ("bob", "APPROVED", ""),
            1 => ("erin", "APPROVED", ""),
            2 => ("carol", "COMMENTED", "/approve"),
            3 => ("dave", "COMMENTED", "noted"),
            _ => ("bob", "APPROVED", "again"),
        };
        api.admin(
            &format!("/repos/acme/widgets/pulls/{n}/reviews"),
            json!({"author": author, "state": state, "body": body}),
        )
        .await;
    });
    futures_util::future::join(
        futures_util::future::join_all(labels),
        futures_util::future::join_all(reviews),
    )
    .await;
    s.settle().await;
    let mut expected: BTreeSet<String> = (0..40).map(|i| format!("topic-{i}")).collect();
    expected.extend(set(&[
        "branch-main",
        "size/XS",
        "lgtm-bob",
        "lgtm-erin",
        "approved-carol",
        "commented-carol",
        "commented-dave",
        "can-be-merged",
    ]));
    assert_eq!(s.labels(n).await, expected);
    assert_eq!(s.check(n, "can-be-merged").await.1, "success");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_every_token_spent_a_delivery_waits_in_the_queue_for_the_reset_then_completes() {
    let clean = scenario("", json!({"OWNERS": OWNERS})).await;
    let n = open_engine(&clean).await;
    let expected = end_state(&clean, n).await;
    drop(clean);

    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    // The server reads and writes as the App's installation, whose quota is now spent.
    let reset_in = 4;
    s.api
        .admin(
            "/rate-limit",
            json!({"token": "app:77", "limit": 5000, "remaining": 0, "reset_in": reset_in}),
        )
        .await;
    let reset = Instant::now() + Duration::from_secs(reset_in);
    let since = s.api.last_request_id().await;
    s.api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "alice", "title": "Add engine", "head": "engine",
                   "files": {"src/engine.rs": "fn x() {}\n"}}),
        )
        .await;

    // The wait shows in the status route, with its reason.
    let waiting = loop {
        assert!(
            Instant::now() < reset,
            "no retry was scheduled before the reset"
        );
        let status = get_json(&client(), &s.server, "/webhook_server/status").await;
        if status["retrying"] == 1 {
            break status["retrying_deliveries"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(waiting["event"], "pull_request", "{waiting}");
    assert!(
        waiting["last_error"]
            .as_str()
            .unwrap()
            .contains("rate limited"),
        "{waiting}"
    );
    assert!(waiting["retry_at"].is_string(), "{waiting}");

    // Until the reset, the one refused request that told the quota was spent is all.
    tokio::time::sleep_until((reset - Duration::from_millis(500)).into()).await;
    let server_calls: Vec<Value> = s
        .api
        .requests(since)
        .await
        .into_iter()
        .filter(|r| !r["path"].as_str().unwrap().starts_with("/_simulator"))
        .collect();
    assert_eq!(server_calls.len(), 1, "{server_calls:#?}");
    assert_eq!(server_calls[0]["status"], 403);

    s.settle().await;
    assert_eq!(end_state(&s, n).await, expected);
    let opened = summaries(s.data.path())
        .into_iter()
        .find(|r| r["event_type"] == "pull_request" && r["action"] == "opened")
        .expect("the opened delivery completed");
    assert_eq!(opened["success"], true, "{opened:#}");
    assert_eq!(opened["workflow_steps"]["webhook_routing"]["attempt"], 2);
}

/// Five pull requests through their lives, one step at a time: opened, reviewed, labelled and
/// unlabelled, pushed to, then merged one after another (each merge moves the others' base).
async fn five_lifecycles(s: &Scenario) -> Vec<u64> {
    let mut numbers = Vec::new();
    for i in 0..5 {
        let files = json!({ format!("src/part_{i}.rs"): format!("fn part_{i}() {{}}\n") });
        numbers.push(
            s.open(
                "alice",
                &format!("Add part {i}"),
                &format!("part-{i}"),
                files,
            )
            .await,
        );
    }
    for &n in &numbers {
        s.review("bob", n, "APPROVED", "").await;
        s.review("carol", n, "COMMENTED", "/approve").await;
        s.label("dave", n, "hold").await;
        s.unlabel("dave", n, "hold").await;
        s.push(
            "alice",
            n,
            json!({ format!("docs/part_{n}.md"): "notes\n" }),
        )
        .await;
    }
    for &n in &numbers {
        s.api
            .admin(
                &format!("/repos/acme/widgets/pulls/{n}/merge"),
                json!({"author": "carol"}),
            )
            .await;
        s.settle().await;
    }
    numbers
}

#[tokio::test(flavor = "multi_thread")]
async fn five_lifecycles_with_a_fifth_of_requests_failing_end_as_without_faults() {
    let clean = scenario("", json!({"OWNERS": OWNERS})).await;
    let numbers = five_lifecycles(&clean).await;
    let mut expected = Vec::new();
    for &n in &numbers {
        expected.push(end_state(&clean, n).await);
    }
    drop(clean);

    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    s.api
        .admin(
            "/faults",
            json!({"error_rate": 0.2, "statuses": [500, 502, 503], "seed": 17}),
        )
        .await;
    let faulty = five_lifecycles(&s).await;
    assert_eq!(faulty, numbers);
    s.api.admin("/faults", json!({"error_rate": 0.0})).await;
    let failed: Vec<Value> = s
        .api
        .requests(0)
        .await
        .into_iter()
        .filter(|r| r["status"].as_u64().unwrap() >= 500)
        .collect();
    assert!(failed.len() >= 20, "only {} faults", failed.len());

    for (&n, want) in numbers.iter().zip(&expected) {
        assert_eq!(&end_state(&s, n).await, want, "pull request #{n}");
    }
    let records = summaries(s.data.path());
    let unfinished: Vec<&Value> = records.iter().filter(|r| r["success"] != true).collect();
    assert!(unfinished.is_empty(), "{unfinished:#?}");
    let retried = records
        .iter()
        .filter(|r| r["workflow_steps"]["webhook_routing"]["attempt"].as_u64() > Some(1))
        .count();
    assert!(retried > 0, "no delivery needed a retry");
    s.replay_changes_nothing(&numbers).await;
}

/// Labels added and removed and two pushes, sent faster than the server handles them.
async fn a_burst_of_reconciliations(s: &Scenario) -> u64 {
    let n = open_engine(s).await;
    for label in ["hold", "wip", "hold", "verified"] {
        s.api
            .admin(
                &format!("/repos/acme/widgets/issues/{n}/labels"),
                json!({"author": "dave", "labels": [label]}),
            )
            .await;
    }
    for i in 0..2 {
        s.api
            .admin(
                &format!("/repos/acme/widgets/pulls/{n}/commits"),
                json!({"author": "alice", "files": {format!("src/more_{i}.rs"): "x\n"}}),
            )
            .await;
    }
    s.settle().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_pushes_and_label_changes_runs_once_for_the_newest_state() {
    let slow = |config: &str| {
        team()
            .config(config)
            .files(json!({"OWNERS": OWNERS}))
            .env("WEBHOOK_SERVER_TEST_DELAY_MS", "300")
            .start()
    };
    let each = slow("coalesce-deliveries: false\n").await;
    let n = a_burst_of_reconciliations(&each).await;
    let expected = end_state(&each, n).await;
    let decisions = |s: &Scenario| -> Vec<(String, String)> {
        summaries(s.data.path())
            .iter()
            .filter(|r| r["event_type"] == "pull_request")
            .map(|r| {
                (
                    r["action"].as_str().unwrap().to_string(),
                    r["workflow_steps"]["webhook_routing"]["decision"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    assert!(
        decisions(&each).iter().all(|(_, d)| d != "coalesce"),
        "{:?}",
        decisions(&each)
    );
    drop(each);

    let folded = slow("").await;
    assert_eq!(a_burst_of_reconciliations(&folded).await, n);
    assert_eq!(end_state(&folded, n).await, expected);
    let seen = decisions(&folded);
    let coalesced: Vec<&(String, String)> = seen.iter().filter(|(_, d)| d == "coalesce").collect();
    assert!(!coalesced.is_empty(), "nothing folded: {seen:?}");
    assert!(
        coalesced
            .iter()
            .all(|(action, _)| ["labeled", "unlabeled", "synchronize"].contains(&action.as_str())),
        "{seen:?}"
    );
    // The newest delivery always runs, and the one that opened the pull request too.
    let acted: Vec<&(String, String)> = seen.iter().filter(|(_, d)| d != "skip").collect();
    assert_eq!(acted.last().unwrap().1, "dispatch", "{seen:?}");
    assert!(seen.contains(&("opened".to_string(), "dispatch".to_string())));
    let record = summaries(folded.data.path())
        .into_iter()
        .find(|r| r["workflow_steps"]["webhook_routing"]["decision"] == "coalesce")
        .unwrap();
    let routing = &record["workflow_steps"]["webhook_routing"];
    assert!(routing["folded_into"].is_string(), "{routing}");
    assert!(
        routing["reason"].as_str().unwrap().contains("folded into"),
        "{routing}"
    );
    folded.replay_changes_nothing(&[n]).await;
}

/// The record of the `opened` delivery.
fn opened_record(s: &Scenario) -> Value {
    summaries(s.data.path())
        .into_iter()
        .find(|r| r["event_type"] == "pull_request" && r["action"] == "opened")
        .expect("the opened delivery completed")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_that_keeps_failing_gives_up_after_its_attempts_and_says_why() {
    let s = scenario("max-delivery-attempts: 3\n", json!({"OWNERS": OWNERS})).await;
    s.api
        .admin("/faults", json!({"error_rate": 1.0, "statuses": [503]}))
        .await;
    s.api
        .admin(
            "/repos/acme/widgets/pulls",
            json!({"author": "alice", "title": "Add engine", "head": "engine",
                   "files": {"src/engine.rs": "fn x() {}\n"}}),
        )
        .await;
    s.settle().await;
    s.api.admin("/faults", json!({"error_rate": 0.0})).await;
    let opened = opened_record(&s);
    assert_eq!(opened["success"], false, "{opened:#}");
    let message = opened["error"]["message"].as_str().unwrap();
    assert!(message.contains("503"), "{message}");
    assert!(message.ends_with("(gave up after 3 attempts)"), "{message}");
    let routing = &opened["workflow_steps"]["webhook_routing"];
    assert_eq!(routing["attempt"], 3);
    assert!(routing["previous_error"].as_str().unwrap().contains("503"));
    let status = get_json(&client(), &s.server, "/webhook_server/status").await;
    assert_eq!(
        (status["failed"].as_u64(), status["retrying"].as_u64()),
        (Some(1), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_error_fails_the_delivery_at_once() {
    let s = scenario("", json!({"OWNERS": OWNERS})).await;
    // GitHub refuses the tracking issue as invalid: asking again would be refused again.
    s.fail_once("POST", "/repos/acme/widgets/issues", 1, 422)
        .await;
    open_engine(&s).await;
    let opened = opened_record(&s);
    assert_eq!(opened["success"], false, "{opened:#}");
    assert_eq!(opened["workflow_steps"]["webhook_routing"]["attempt"], 1);
    let message = opened["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("422") && !message.contains("gave up"),
        "{message}"
    );
    assert!(s.tracking_issues("all").await.is_empty());
}
