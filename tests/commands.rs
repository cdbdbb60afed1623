//! `/commands` typed in pull request comments, end to end: the real server with a GitHub App
//! against the simulator. Each test acts as people do, lets every webhook settle, then reads
//! labels, reactions, replies, the title and check runs back through REST.

mod common;

use common::scenario::Scenario;
use common::team::*;
use serde_json::{Value, json};

/// carol approves everything, bob reviews, dave and erin are writers, and alice opens.
const OWNERS: &str = "approvers: [carol]\nreviewers: [bob]\n";

async fn world(config: &str) -> (Scenario, u64) {
    world_with(config, json!({"src/engine.rs": "fn x() {}\n"})).await
}

/// `team`, with mia a maintainer and a stranger who has a token but no access, and alice's pull
/// request changing `files`.
async fn world_with(config: &str, files: Value) -> (Scenario, u64) {
    let s = team()
        .token(&token("stranger"), "stranger")
        .token(&token("mia"), "mia")
        .collaborator("mia", "admin")
        .config(config)
        .files(json!({"OWNERS": OWNERS}))
        .start()
        .await;
    let n = s.open("alice", "Add engine", "engine", files).await;
    (s, n)
}

/// `user` types `body` on `n`, which is not carried out (refused, mistyped, or not available):
/// `label` stays off, one reply says `why`, and the comment gets 😕.
async fn assert_not_done(
    s: &Scenario,
    n: u64,
    user: &str,
    body: &str,
    label: Option<&str>,
    why: &str,
) {
    let id = s.comment(user, n, body).await;
    if let Some(label) = label {
        assert!(!has(&s.labels(n).await, label), "{body} by {user}");
    }
    assert_reply(s, n, id, why).await;
    assert_eq!(s.reactions(id).await[0].1, "confused", "{body} by {user}");
}

/// The server answered comment `id` on `n` with one reply that says `text`.
async fn assert_reply(s: &Scenario, n: u64, id: u64, text: &str) {
    let replies = s.replies(n, id).await;
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(replies[0].contains(text), "{text:?} not in {replies:#?}");
}

fn has(labels: &std::collections::BTreeSet<String>, label: &str) -> bool {
    labels.contains(label)
}

#[tokio::test(flavor = "multi_thread")]
async fn lgtm_by_a_reviewer_labels_and_reacts_and_cancel_takes_it_back() {
    let (s, n) = world("").await;
    let id = s.comment("bob", n, "Looks right.\n/lgtm").await;
    assert!(has(&s.labels(n).await, "lgtm-bob"));
    assert_eq!(
        s.reactions(id).await,
        [("gws[bot]".to_string(), "+1".to_string())]
    );
    assert!(
        s.replies(n, id).await.is_empty(),
        "a valid /lgtm needs no reply"
    );
    s.comment("bob", n, "/lgtm cancel").await;
    assert!(!has(&s.labels(n).await, "lgtm-bob"));
    // The author's own /lgtm is refused, with the reason, and a 😕.
    let own = s.comment("alice", n, "/lgtm").await;
    assert!(!has(&s.labels(n).await, "lgtm-alice"));
    assert_eq!(
        s.reactions(own).await,
        [("gws[bot]".to_string(), "confused".to_string())]
    );
    assert_reply(&s, n, own, "alice cannot `/lgtm` their own pull request").await;
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_by_an_approver_and_a_refused_outsider() {
    let (s, n) = world("").await;
    assert_not_done(
        &s,
        n,
        "dave",
        "/approve",
        Some("approved-dave"),
        "dave cannot `/approve`: only approvers of this pull request can approve it",
    )
    .await;
    let id = s.comment("carol", n, "/approve").await;
    assert!(has(&s.labels(n).await, "approved-carol"));
    assert_eq!(s.reactions(id).await[0].1, "+1");
    s.comment("carol", n, "/approve cancel").await;
    assert!(!has(&s.labels(n).await, "approved-carol"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hold_by_the_author_or_an_approver_only() {
    let (s, n) = world("").await;
    s.comment("alice", n, "/hold").await;
    assert!(has(&s.labels(n).await, "hold"));
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    let refused = s.comment("bob", n, "/hold cancel").await;
    assert!(has(&s.labels(n).await, "hold"));
    assert_reply(&s, n, refused, "bob cannot manage hold").await;
    s.comment("carol", n, "/unhold").await;
    assert!(!has(&s.labels(n).await, "hold"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wip_edits_the_title_and_cancel_restores_it() {
    let (s, n) = world("").await;
    s.comment("alice", n, "/wip").await;
    assert_eq!(s.pull(n).await["title"], "WIP: Add engine");
    assert!(has(&s.labels(n).await, "wip"));
    assert_not_done(
        &s,
        n,
        "stranger",
        "/wip cancel",
        None,
        "stranger is not allowed to run commands",
    )
    .await;
    s.comment("dave", n, "/wip cancel").await;
    assert_eq!(s.pull(n).await["title"], "Add engine");
    assert!(!has(&s.labels(n).await, "wip"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verified_sets_its_check_and_cancel_queues_it_again() {
    let (s, n) = world("verified-job: true\n").await;
    s.comment("dave", n, "/verified").await;
    assert!(has(&s.labels(n).await, "verified"));
    assert_eq!(
        s.check(n, "verified").await,
        ("completed".to_string(), "success".to_string())
    );
    s.comment("dave", n, "/verified cancel").await;
    assert!(!has(&s.labels(n).await, "verified"));
    assert_eq!(s.check(n, "verified").await.0, "queued");
    let refused = s.comment("stranger", n, "/verified").await;
    assert!(!has(&s.labels(n).await, "verified"));
    assert_eq!(s.reactions(refused).await[0].1, "confused");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn automerge_for_maintainers_and_approvers_and_cancel_removes_the_label() {
    let (s, n) = world("").await;
    let refused = s.comment("dave", n, "/automerge").await;
    assert!(!has(&s.labels(n).await, "automerge"));
    assert_reply(
        &s,
        n,
        refused,
        "Only maintainers or approvers can set pull request to auto-merge",
    )
    .await;
    s.comment("carol", n, "/automerge").await;
    assert!(has(&s.labels(n).await, "automerge"));
    s.comment("carol", n, "/automerge cancel").await;
    assert!(
        !has(&s.labels(n).await, "automerge"),
        "the reference added it again"
    );
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_runs_only_the_commands_it_added() {
    let (s, n) = world("").await;
    let id = s.comment("carol", n, "/lgtm").await;
    assert!(has(&s.labels(n).await, "lgtm-carol"));
    // Taken back by hand; an edit that adds /hold must not put lgtm back.
    s.comment("carol", n, "/lgtm cancel").await;
    s.edit_comment("carol", id, "/lgtm\n/hold").await;
    let labels = s.labels(n).await;
    assert!(has(&labels, "hold"), "{labels:?}");
    assert!(!has(&labels, "lgtm-carol"), "{labels:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_in_code_or_a_quote_does_nothing_and_costs_no_call() {
    let (s, n) = world("").await;
    let before = s.api.last_request_id().await;
    for body in [
        "Try this:\n```\n/approve\n```",
        "> /approve\nquoting carol",
        "Type `/approve` when ready",
    ] {
        s.comment("carol", n, body).await;
    }
    assert!(!has(&s.labels(n).await, "approved-carol"));
    let server_calls: Vec<Value> = s
        .api
        .requests(before)
        .await
        .into_iter()
        .filter(|r| r["login"].as_str().is_some_and(|l| l.ends_with("[bot]")))
        .collect();
    assert!(server_calls.is_empty(), "{server_calls:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_reaction_before_the_permission_is_read() {
    let (s, n) = world("").await;
    let before = s.api.last_request_id().await;
    let id = s.comment("dave", n, "/approve").await;
    let calls: Vec<Value> = s
        .api
        .requests(before)
        .await
        .into_iter()
        .filter(|r| r["login"].as_str().is_some_and(|l| l.ends_with("[bot]")))
        .collect();
    let position = |pred: &dyn Fn(&Value) -> bool| calls.iter().position(pred);
    let snapshot = position(&|r| r["path"] == "/graphql").expect("the snapshot was read");
    let reaction = position(&|r| {
        r["method"] == "POST"
            && r["path"] == format!("/repos/acme/widgets/issues/comments/{id}/reactions")
    })
    .expect("a reaction");
    assert!(snapshot < reaction, "{calls:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_commands_get_one_helpful_reply() {
    let (s, n) = world("").await;
    let id = s.comment("dave", n, "/lgmt\n/frobnicate").await;
    assert_reply(
        &s,
        n,
        id,
        "`/lgmt` is not a command (did you mean `/lgtm`?)",
    )
    .await;
    assert_reply(&s, n, id, "`/frobnicate` is not a command").await;
    assert_eq!(s.reactions(id).await[0].1, "confused");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_run_code_say_so_and_cherry_pick_labels_an_open_pull_request() {
    let (s, n) = world("").await;
    assert_not_done(&s, n, "dave", "/retest tox", None, "`/retest` is allowed, but the runner that runs code is not available on this server yet: nothing was done.").await;
    s.api
        .admin(
            "/repos/acme/widgets/branches",
            json!({"name": "release-1", "from": "main"}),
        )
        .await;
    assert_not_done(
        &s,
        n,
        "stranger",
        "/cherry-pick release-1",
        None,
        "stranger is not allowed to run commands",
    )
    .await;
    assert!(!has(&s.labels(n).await, "cherry-pick-release-1"));
    let id = s.comment("dave", n, "/cherry-pick release-1 nope").await;
    assert!(has(&s.labels(n).await, "cherry-pick-release-1"));
    assert_reply(&s, n, id, "Target branch `nope` does not exist").await;
    assert_reply(&s, n, id, "Adding label/s `cherry-pick-release-1`").await;
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_label_of_the_repository_is_a_command_for_valid_users() {
    let (s, n) = world("").await;
    s.as_user(
        "alice",
        http::Method::POST,
        "/repos/acme/widgets/labels",
        json!({"name": "bug", "color": "ff0000"}),
    )
    .await;
    s.comment("dave", n, "/BUG").await;
    assert!(has(&s.labels(n).await, "bug"));
    // The repository's label keeps its name and colour.
    assert_eq!(
        s.get("/repos/acme/widgets/labels/bug").await["color"],
        "ff0000"
    );
    s.comment("dave", n, "/bug cancel").await;
    assert!(!has(&s.labels(n).await, "bug"));
    let refused = s.comment("stranger", n, "/bug").await;
    assert!(!has(&s.labels(n).await, "bug"));
    assert_eq!(s.reactions(refused).await[0].1, "confused");
}

#[tokio::test(flavor = "multi_thread")]
async fn add_allowed_user_grants_only_from_a_maintainer_or_approver() {
    let (s, n) = world("").await;
    assert_not_done(&s, n, "stranger", "/lgtm", None, "stranger is not allowed").await;
    assert_not_done(
        &s,
        n,
        "dave",
        "/add-allowed-user @stranger",
        None,
        "Only maintainers or approvers can use `/add-allowed-user`",
    )
    .await;
    let id = s.comment("carol", n, "/add-allowed-user @stranger").await;
    assert_reply(&s, n, id, "stranger is now allowed to run commands").await;
    assert_eq!(s.reactions(id).await[0].1, "+1");
    s.comment("stranger", n, "/lgtm").await;
    assert!(has(&s.labels(n).await, "lgtm-stranger"));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn regenerate_welcome_rewrites_the_welcome_comment_from_the_current_config() {
    let (s, n) = world("").await;
    let welcome = |comments: Vec<String>| -> Vec<String> {
        comments
            .into_iter()
            .filter(|c| c.starts_with("<!-- gws:welcome -->"))
            .collect()
    };
    let before = welcome(s.replies(n, 0).await);
    assert_eq!(before.len(), 1);
    s.api
        .admin(
            "/repos/acme/widgets/commits",
            json!({"author": "carol", "branch": "main",
                   "files": {".github-webhook-server.yaml": "welcome-extra-info: Ask the widgets team for help.\n"}}),
        )
        .await;
    let refused = s.comment("stranger", n, "/regenerate-welcome").await;
    assert_eq!(welcome(s.replies(n, 0).await), before);
    assert_eq!(s.reactions(refused).await[0].1, "confused");
    let id = s.comment("dave", n, "/regenerate-welcome").await;
    let after = welcome(s.replies(n, 0).await);
    assert_eq!(after.len(), 1, "edited, not posted again");
    assert!(
        after[0].contains("Ask the widgets team for help."),
        "{}",
        after[0]
    );
    assert_eq!(s.reactions(id).await[0].1, "+1");
    // No replay here: main moved, so the pull request now needs a rebase, which a replayed
    // delivery rightly writes.
}

#[tokio::test(flavor = "multi_thread")]
async fn assign_reviewer_asks_collaborators_only_and_assign_reviewers_needs_a_valid_user() {
    let (s, n) = world("").await;
    s.comment("erin", n, "/assign-reviewer @dave").await;
    let asked = |pull: Value| -> Vec<String> {
        pull["requested_reviewers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(asked(s.pull(n).await).contains(&"dave".to_string()));
    assert_not_done(
        &s,
        n,
        "erin",
        "/assign-reviewer @nobody",
        None,
        "not adding reviewer nobody by user comment, nobody is not a repository collaborator",
    )
    .await;
    assert_not_done(
        &s,
        n,
        "stranger",
        "/assign-reviewers",
        None,
        "stranger is not allowed to run commands",
    )
    .await;
    let id = s.comment("erin", n, "/assign-reviewers").await;
    assert_eq!(s.reactions(id).await[0].1, "+1");
    assert!(asked(s.pull(n).await).contains(&"bob".to_string()));
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reprocess_and_check_can_merge_settle_the_pull_request_again() {
    let (s, n) = world("").await;
    // Someone removes the size label by hand; only a full reconciliation puts it back.
    s.unlabel("erin", n, "size/XS").await;
    assert!(!has(&s.labels(n).await, "size/XS"));
    assert_not_done(
        &s,
        n,
        "stranger",
        "/reprocess",
        None,
        "stranger is not allowed to run commands",
    )
    .await;
    assert!(!has(&s.labels(n).await, "size/XS"));
    let id = s.comment("dave", n, "/reprocess").await;
    assert!(has(&s.labels(n).await, "size/XS"));
    assert_eq!(s.reactions(id).await[0].1, "+1");
    assert_eq!(
        s.tracking_issues("all").await.len(),
        1,
        "no second tracking issue"
    );
    let id = s.comment("dave", n, "/check-can-merge").await;
    assert_eq!(s.reactions(id).await[0].1, "+1");
    assert_eq!(s.check(n, "can-be-merged").await.1, "failure");
    let refused = s.comment("stranger", n, "/check-can-merge").await;
    assert_eq!(s.reactions(refused).await[0].1, "confused");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn security_override_is_for_maintainers_and_cancel_runs_the_checks_again() {
    let (s, n) = world_with("", json!({".github/workflows/ci.yml": "on: push\n"})).await;
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "failure");
    assert_not_done(
        &s,
        n,
        "carol",
        "/security-override",
        None,
        "Only maintainers can use `/security-override`",
    )
    .await;
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "failure");
    let id = s.comment("mia", n, "/security-override").await;
    assert_reply(
        &s,
        n,
        id,
        "Security checks overridden by @mia. Security check runs set to pass.",
    )
    .await;
    assert_eq!(s.reactions(id).await[0].1, "+1");
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "success");
    assert_eq!(
        s.check_output(n, "security-suspicious-paths").await["title"],
        "Overridden by maintainer @mia"
    );
    // A label change settles the pull request again; the override stands.
    s.label("erin", n, "hold").await;
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "success");
    let id = s.comment("mia", n, "/security-override cancel").await;
    assert_reply(
        &s,
        n,
        id,
        "Security override removed by @mia. Security checks re-run.",
    )
    .await;
    assert_eq!(s.check(n, "security-suspicious-paths").await.1, "failure");
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_that_run_code_are_authorised_first_and_never_pretend() {
    let (s, n) = world("").await;
    for command in [
        "/build-and-push-container --build-arg V=1",
        "/rebase",
        "/cherry-pick-retry release-1",
        "/test-oracle",
        "/retest all",
    ] {
        let refused = s.comment("stranger", n, command).await;
        assert_reply(&s, n, refused, "stranger is not allowed to run commands").await;
        let id = s.comment("dave", n, command).await;
        assert_reply(
            &s,
            n,
            id,
            "is not available on this server yet: nothing was done.",
        )
        .await;
        assert_eq!(s.reactions(id).await[0].1, "confused", "{command}");
    }
    let id = s
        .comment("dave", n, "/build-and-push-container -v /:/host")
        .await;
    assert_reply(
        &s,
        n,
        id,
        "only `--build-arg KEY=VALUE` is accepted, not `-v`",
    )
    .await;
    s.replay_changes_nothing(&[n]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn review_bodies_use_the_same_grammar() {
    let (s, n) = world("").await;
    s.review("bob", n, "COMMENTED", "Nice.\n/lgtm").await;
    assert!(has(&s.labels(n).await, "lgtm-bob"));
    s.review("carol", n, "COMMENTED", "> /approve\nquoting the docs")
        .await;
    assert!(!has(&s.labels(n).await, "approved-carol"));
    s.review("carol", n, "COMMENTED", "/approve").await;
    assert!(has(&s.labels(n).await, "approved-carol"));
    s.review("alice", n, "COMMENTED", "/lgtm").await;
    assert!(!has(&s.labels(n).await, "lgtm-alice"));
    s.review("stranger", n, "COMMENTED", "/lgtm").await;
    assert!(!has(&s.labels(n).await, "lgtm-stranger"));
    // An approver's own pull request: their review body cannot approve it.
    let own = s
        .open(
            "carol",
            "Carol's change",
            "carol",
            json!({"src/c.rs": "c\n"}),
        )
        .await;
    s.review("carol", own, "COMMENTED", "/approve").await;
    assert!(!has(&s.labels(own).await, "approved-carol"));
}
