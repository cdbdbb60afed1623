//! The git mirror cache against repositories the simulator hosts: a job's worktree holds the
//! pull request's head, a later head is fetched incrementally, concurrent jobs on one
//! repository each get their own checkout, a parked worktree is taken over clean, and nothing
//! else is left behind (the token included).

mod common;

use common::sim::*;
use github_webhook_server::git::{Checkout, Mirrors};
use serde_json::json;

const TOKEN: &str = "ghs_gittesttoken000000000000000000000000";

#[tokio::test(flavor = "multi_thread")]
async fn jobs_check_out_pull_request_heads_from_one_mirror() {
    let (_dir, _sim, api) = start().await;
    let repo = api
        .admin(
            "/repos",
            json!({"full_name": "acme/tools", "files": {"README.md": "tools\n", "src/a.rs": "a\n"}}),
        )
        .await;
    let url = repo["clone_url"].as_str().unwrap();
    let pr = api
        .admin(
            "/repos/acme/tools/pulls",
            json!({"author": "alice", "title": "b", "head": "feature", "files": {"src/b.rs": "b\n"}}),
        )
        .await;
    let data = tempfile::tempdir().unwrap();
    let mirrors = Mirrors::new(data.path());
    let refs = vec![
        "refs/pull/1/head".to_string(),
        "refs/heads/main".to_string(),
    ];
    let checkout = |commit| job(url, &refs, commit);

    let first = mirrors
        .worktree(checkout(pr["head_sha"].as_str().unwrap()))
        .await
        .unwrap();
    assert!(first.fetched);
    assert_eq!(
        std::fs::read_to_string(first.path().join("src/b.rs")).unwrap(),
        "b\n"
    );
    // The worktree is a repository at the head, for tools that run git.
    assert_eq!(
        git_in(first.path(), &["rev-parse", "HEAD"]),
        pr["head_sha"].as_str().unwrap()
    );

    // A second job on the same head fetches nothing; both run side by side.
    let (same, other) = tokio::join!(
        mirrors.worktree(checkout(pr["head_sha"].as_str().unwrap())),
        async {
            let pushed = api
                .admin(
                    "/repos/acme/tools/pulls/1/commits",
                    json!({"author": "alice", "files": {"src/c.rs": "c\n"}}),
                )
                .await;
            let sha = pushed["head_sha"].as_str().unwrap().to_string();
            (mirrors.worktree(job(url, &refs, &sha)).await, sha)
        }
    );
    let same = same.unwrap();
    assert!(!same.fetched);
    let (other, new_head) = other;
    let other = other.unwrap();
    assert!(other.fetched, "a new head is fetched");
    assert!(other.path().join("src/c.rs").exists());
    assert!(!first.path().join("src/c.rs").exists());
    assert_eq!(git_in(other.path(), &["rev-parse", "HEAD"]), new_head);

    // A job leaves a mess behind: a changed file, an untracked one, an ignored one.
    std::fs::write(first.path().join("README.md"), "scribbled\n").unwrap();
    std::fs::write(first.path().join("untracked.txt"), "x\n").unwrap();
    std::fs::write(first.path().join(".gitignore"), "*.log\n").unwrap();
    std::fs::write(first.path().join("build.log"), "x\n").unwrap();
    let paths = [first.path(), same.path(), other.path()].map(|p| p.to_path_buf());
    drop((first, same, other));
    // Two are parked for later jobs, the third is removed.
    let kept: Vec<_> = paths.iter().filter(|p| p.exists()).collect();
    assert_eq!(kept.len(), 2, "{paths:?}");
    let mirror = mirrors.mirror_path("acme/tools");
    assert_eq!(git_in(&mirror, &["worktree", "list"]).lines().count(), 3);

    // The next jobs take the parked worktrees over, each exactly at its commit.
    let base = pr["head_sha"].as_str().unwrap();
    let (a, b) = tokio::join!(
        mirrors.worktree(checkout(base)),
        mirrors.worktree(checkout(&new_head))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for (wt, head) in [(&a, base), (&b, new_head.as_str())] {
        assert!(wt.reused);
        assert_eq!(git_in(wt.path(), &["rev-parse", "HEAD"]), head);
        assert_eq!(
            git_in(wt.path(), &["status", "--porcelain", "--ignored"]),
            ""
        );
        assert_eq!(
            std::fs::read_to_string(wt.path().join("README.md")).unwrap(),
            "tools\n"
        );
    }
    assert!(!a.path().join("src/c.rs").exists());
    assert!(b.path().join("src/c.rs").exists());
    let left: Vec<_> = [a.path(), b.path()].map(|p| p.to_path_buf()).into();
    drop((a, b));

    // A restarted process adopts the worktrees left on disk, mess included: its first job
    // takes one over and finds it clean.
    std::fs::write(left[0].join("untracked.txt"), "x\n").unwrap();
    std::fs::write(left[1].join("untracked.txt"), "x\n").unwrap();
    let adopting = Mirrors::new(data.path());
    let adopted = adopting.worktree(checkout(&new_head)).await.unwrap();
    assert!(adopted.reused && !adopted.fetched);
    assert!(left.iter().any(|p| p == adopted.path()));
    assert_eq!(git_in(adopted.path(), &["rev-parse", "HEAD"]), new_head);
    assert_eq!(
        git_in(adopted.path(), &["status", "--porcelain", "--ignored"]),
        ""
    );
    drop(adopted);

    // After a restart, worktrees whose directories are gone are forgotten.
    for path in &paths {
        if path.exists() {
            std::fs::remove_dir_all(path).unwrap();
        }
    }
    let restarted = Mirrors::new(data.path());
    let again = restarted.worktree(checkout(&new_head)).await.unwrap();
    assert!(!again.reused && !again.fetched);
    drop(again);
    assert_eq!(git_in(&mirror, &["worktree", "list"]).lines().count(), 2);
    let branches = git_in(&mirror, &["branch", "--list", "gws/*"]);
    assert_eq!(branches.lines().count(), 1, "{branches}");
    for entry in walk(data.path()) {
        if let Ok(text) = std::fs::read(&entry) {
            assert!(
                !String::from_utf8_lossy(&text).contains(TOKEN),
                "the token is in {}",
                entry.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn worktrees_of_a_crashed_process_are_adopted_up_to_the_cap() {
    let (_dir, _sim, api) = start().await;
    let repo = api
        .admin(
            "/repos",
            json!({"full_name": "acme/tools", "files": {"README.md": "tools\n"}}),
        )
        .await;
    let url = repo["clone_url"].as_str().unwrap();
    let pr = api
        .admin(
            "/repos/acme/tools/pulls",
            json!({"author": "alice", "title": "b", "head": "feature", "files": {"b": "b\n"}}),
        )
        .await;
    let head = pr["head_sha"].as_str().unwrap();
    let refs = vec!["refs/pull/1/head".to_string()];
    let data = tempfile::tempdir().unwrap();
    let crashed = Mirrors::new(data.path());
    let (a, b, c) = tokio::join!(
        crashed.worktree(job(url, &refs, head)),
        crashed.worktree(job(url, &refs, head)),
        crashed.worktree(job(url, &refs, head))
    );
    let paths: Vec<_> = [a, b, c]
        .into_iter()
        .map(|wt| {
            let wt = wt.unwrap();
            let path = wt.path().to_path_buf();
            // Killed mid-job: nothing is parked or removed.
            std::mem::forget(wt);
            path
        })
        .collect();
    let mirror = crashed.mirror_path("acme/tools");
    assert_eq!(git_in(&mirror, &["worktree", "list"]).lines().count(), 4);

    let restarted = Mirrors::new(data.path());
    let first = restarted.worktree(job(url, &refs, head)).await.unwrap();
    assert!(first.reused && !first.fetched);
    // One taken, one parked, the third removed.
    assert_eq!(paths.iter().filter(|p| p.exists()).count(), 2);
    assert_eq!(git_in(&mirror, &["worktree", "list"]).lines().count(), 3);
    let second = restarted.worktree(job(url, &refs, head)).await.unwrap();
    assert!(second.reused);
    let third = restarted.worktree(job(url, &refs, head)).await.unwrap();
    assert!(!third.reused, "only two were adopted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_commit_the_refs_do_not_reach_is_a_clear_error() {
    let (_dir, _sim, api) = start().await;
    let repo = api
        .admin(
            "/repos",
            json!({"full_name": "acme/x", "files": {"a": "a\n"}}),
        )
        .await;
    let data = tempfile::tempdir().unwrap();
    let mirrors = Mirrors::new(data.path());
    let refs = vec!["refs/heads/main".to_string()];
    let err = mirrors
        .worktree(Checkout {
            full_name: "acme/x",
            clone_url: repo["clone_url"].as_str().unwrap(),
            token: None,
            refs: &refs,
            commit: "0123456789012345678901234567890123456789",
        })
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("is not reachable"), "{err:#}");
}

fn job<'a>(url: &'a str, refs: &'a [String], commit: &'a str) -> Checkout<'a> {
    Checkout {
        full_name: "acme/tools",
        clone_url: url,
        token: Some(TOKEN),
        refs,
        commit,
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
