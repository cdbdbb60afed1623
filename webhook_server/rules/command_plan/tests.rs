use std::collections::BTreeSet;

use super::*;
use crate::rules::owners::PullOwners;
use crate::snapshot::PullRequest;

fn data(draft: bool) -> RepositoryData {
    RepositoryData {
        full_name: "o/r".into(),
        viewer: Some("gws[bot]".into()),
        collaborators: [
            ("alice", "WRITE"),
            ("bob", "WRITE"),
            ("carol", "WRITE"),
            ("mia", "ADMIN"),
        ]
        .iter()
        .map(|(l, p)| (l.to_string(), p.to_string()))
        .collect(),
        collaborators_complete: true,
        repo_labels: ["bug", "hold", "can-be-merged", "lgtm-bob"]
            .iter()
            .map(|l| (l.to_string(), "ffffff".to_string()))
            .collect(),
        pull: PullRequest {
            number: 1,
            title: "Add engine".into(),
            state: "OPEN".into(),
            draft,
            author: "alice".into(),
            ..PullRequest::default()
        },
        ..RepositoryData::default()
    }
}

fn people(data: &RepositoryData) -> People {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let owners = PullOwners {
        approvers: set(&["carol"]),
        reviewers: set(&["bob"]),
        all_approvers: set(&["carol"]),
        ..PullOwners::default()
    };
    People::new("alice", &data.collaborators, &owners, &[], &[])
}

fn plan_for(config: &RepoConfig, data: &RepositoryData, user: &str, body: &str) -> Plan {
    plan(config, data, &people(data), user, &commands::parse(body))
}

#[test]
fn label_commands_want_and_cancel_their_labels() {
    let config = RepoConfig::default();
    let d = data(false);
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        ("bob", "/lgtm", &["lgtm-bob"], &["changes-requested-bob"]),
        ("bob", "/lgtm cancel", &[], &["lgtm-bob"]),
        (
            "carol",
            "/approve",
            &["approved-carol"],
            &["changes-requested-carol"],
        ),
        ("carol", "/approve cancel", &[], &["approved-carol"]),
        ("alice", "/hold", &["hold"], &[]),
        ("carol", "/unhold", &[], &["hold"]),
        ("alice", "/wip", &["wip"], &[]),
        ("bob", "/verified", &["verified"], &[]),
        ("mia", "/automerge", &["automerge"], &[]),
        ("carol", "/automerge cancel", &[], &["automerge"]),
        ("bob", "/bug", &["bug"], &[]),
        ("bob", "/bug cancel", &[], &["bug"]),
    ];
    for (user, body, want, unwanted) in cases {
        let p = plan_for(&config, &d, user, body);
        assert_eq!(p.want, *want, "{user} {body}");
        assert_eq!(p.unwanted, *unwanted, "{user} {body}");
        assert!(p.all_done && p.replies.is_empty(), "{user} {body}: {p:?}");
    }
}

#[test]
fn refused_commands_change_nothing_and_say_why() {
    let config = RepoConfig::default();
    let d = data(false);
    let cases: &[(&str, &str, &str)] = &[
        ("eve", "/lgtm", "eve is not allowed to run commands"),
        (
            "alice",
            "/lgtm",
            "alice cannot `/lgtm` their own pull request",
        ),
        ("bob", "/approve", "bob cannot `/approve`: only approvers"),
        (
            "alice",
            "/approve",
            "alice cannot `/approve` their own pull request",
        ),
        ("bob", "/hold", "bob cannot manage hold"),
        (
            "bob",
            "/automerge",
            "Only maintainers or approvers can set pull request to auto-merge",
        ),
        (
            "bob",
            "/security-override",
            "Only maintainers can use `/security-override`",
        ),
        ("eve", "/bug", "eve is not allowed to run commands"),
        (
            "bob",
            "/add-allowed-user @eve",
            "Only maintainers or approvers can use `/add-allowed-user`",
        ),
    ];
    for (user, body, reply) in cases {
        let p = plan_for(&config, &d, user, body);
        assert!(
            p.want.is_empty() && p.unwanted.is_empty(),
            "{user} {body}: {p:?}"
        );
        assert!(!p.all_done);
        assert_eq!(p.replies.len(), 1, "{user} {body}: {p:?}");
        assert!(
            p.replies[0].starts_with(reply),
            "{user} {body}: {}",
            p.replies[0]
        );
    }
}

#[test]
fn reserved_labels_are_not_label_commands_and_unknown_commands_get_help() {
    let config = RepoConfig::default();
    let d = data(false);
    for body in ["/can-be-merged", "/lgtm-bob", "/lgmt"] {
        let p = plan_for(&config, &d, "bob", body);
        assert!(p.want.is_empty(), "{body}: {p:?}");
        assert!(p.replies[0].contains("is not a command"), "{body}: {p:?}");
        assert!(p.replies[0].contains("Commands: `/lgtm`"), "{body}: {p:?}");
    }
    let p = plan_for(&config, &d, "bob", "/lgmt");
    assert!(p.replies[0].starts_with("`/lgmt` is not a command (did you mean `/lgtm`?)."));
}

#[test]
fn wip_edits_the_title_both_ways() {
    let config = RepoConfig::default();
    let mut d = data(false);
    assert_eq!(
        plan_for(&config, &d, "alice", "/wip").title.as_deref(),
        Some("WIP: Add engine")
    );
    assert_eq!(plan_for(&config, &d, "alice", "/wip cancel").title, None);
    d.pull.title = "wip:Add engine".into();
    assert_eq!(plan_for(&config, &d, "alice", "/wip").title, None);
    assert_eq!(
        plan_for(&config, &d, "alice", "/wip cancel")
            .title
            .as_deref(),
        Some("Add engine")
    );
}

#[test]
fn drafts_follow_allow_commands_on_draft_prs() {
    let mut config = RepoConfig::default();
    let d = data(true);
    // Unset: commands on drafts are ignored, as in the reference; unknown ones still answered.
    let p = plan_for(&config, &d, "bob", "/lgtm\n/lgmt");
    assert!(p.want.is_empty() && !p.ignored);
    assert_eq!(p.replies.len(), 1);
    assert!(p.replies[0].contains("is not a command"));
    let p = plan_for(&config, &d, "bob", "/lgtm\n/bug");
    assert!(
        p.want.is_empty() && p.replies.is_empty() && p.ignored,
        "{p:?}"
    );
    config.allow_commands_on_draft_prs = Some(vec!["hold".into()]);
    let p = plan_for(&config, &d, "bob", "/lgtm");
    assert!(
        p.replies[0].starts_with("Command `/lgtm` is not allowed on draft PRs."),
        "{p:?}"
    );
    assert!(plan_for(&config, &d, "alice", "/hold").want == ["hold"]);
    config.allow_commands_on_draft_prs = Some(Vec::new());
    assert!(plan_for(&config, &d, "bob", "/lgtm").want == ["lgtm-bob"]);
}

#[test]
fn commands_that_run_code_go_to_the_runner_once_authorised() {
    let config = RepoConfig::default();
    let d = data(false);
    for body in [
        "/retest",
        "/retest tox",
        "/build-and-push-container",
        "/rebase",
        "/test-oracle",
        "/cherry-pick-retry b",
    ] {
        let p = plan_for(&config, &d, "bob", body);
        assert_eq!(
            p.jobs,
            [commands::parse(body).remove(0).parsed.unwrap()],
            "{body}"
        );
        assert!(p.replies.is_empty(), "{body}: {p:?}");
        let refused = plan_for(&config, &d, "eve", body);
        assert!(refused.jobs.is_empty(), "{body}");
    }
    // On an open pull request, /cherry-pick only asks for labels; merged, it is a job.
    let p = plan_for(&config, &d, "bob", "/cherry-pick release-1");
    assert_eq!(p.cherry_picks, ["release-1"]);
    assert!(p.jobs.is_empty() && p.replies.is_empty());
    let mut merged = data(false);
    merged.pull.merged = true;
    merged.pull.state = "MERGED".into();
    let p = plan_for(&config, &merged, "bob", "/cherry-pick release-1");
    assert!(p.cherry_picks.is_empty() && p.jobs.len() == 1);
    let mut closed = data(false);
    closed.pull.state = "CLOSED".into();
    let p = plan_for(&config, &closed, "bob", "/cherry-pick release-1");
    assert!(p.cherry_picks.is_empty() && p.jobs.is_empty() && !p.all_done);
    assert!(p.replies[0].contains("closed without merging"), "{p:?}");
    assert!(plan_for(&config, &d, "bob", "/regenerate-welcome").regenerate_welcome);
}

#[test]
fn replies_are_found_again_by_their_marker() {
    let body = reply_body(42, &["a".into(), "b".into()]);
    assert!(is_reply_to(&body, 42));
    assert!(!is_reply_to(&body, 4));
    assert!(body.ends_with("a\n\nb"));
}

#[test]
fn cherry_pick_labels_name_what_exists_what_is_there_and_what_is_not() {
    let mut d = data(false);
    d.pull.labels.insert("cherry-pick-old".into());
    let mut p = Plan {
        all_done: true,
        ..Plan::default()
    };
    let branches = [
        ("new".to_string(), true),
        ("old".to_string(), true),
        ("nope".to_string(), false),
    ];
    cherry_pick_labels(&mut p, &d.pull, "bob", &branches);
    assert_eq!(p.want, ["cherry-pick-new"]);
    assert!(!p.all_done);
    assert_eq!(p.replies[0], "Target branch `nope` does not exist");
    assert!(p.replies[1].starts_with("Cherry-pick label already present for: `old`."));
    assert!(p.replies[2].starts_with("Cherry-pick requested for PR: `Add engine` by user `bob`"));
}
