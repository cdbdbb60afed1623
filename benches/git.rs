//! Git benchmark: a job needing a new pull-request head, served four ways in one run on a
//! generated repository (5 000 files, 2 000 commits):
//!
//! - **fresh clone**: what the reference does per delivery: clone the repository (libgit2,
//!   checkout of the default branch), fetch the PR head and check it out;
//! - **cached mirror, new worktree**: the mirror already holds the repository; fetch the new
//!   head incrementally and add a worktree at it (what a job meets when no worktree is parked:
//!   a repository's first job, or more jobs at once than were parked);
//! - **cached mirror, parked worktree**: the same fetch, then a parked worktree taken over:
//!   forced checkout of the new head, untracked and ignored files removed (the steady state);
//! - **restarted process, adopted worktree**: a new process's first job on the repository,
//!   which adopts a worktree the previous process left and takes it over the same way.
//!
//! Rounds alternate; medians are printed with the ratio. Clean-up is outside the timings of
//! both, and dirty pages are flushed (`sync`) before each timed step. `cargo bench --bench git` (`-- --quick` for fewer rounds).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use git2::build::{CheckoutBuilder, RepoBuilder};
use git2::{FetchOptions, Oid, Repository};
use github_webhook_server::git::{Checkout, Mirrors};

const FILES: usize = 5_000;
const COMMITS: usize = 2_000;
const PR_REF: &str = "refs/pull/1/head";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn file_text(file: usize, version: usize) -> String {
    format!(
        "// module {file}, revision {version}\n{}\n",
        "fn example() -> u32 { 42 }\n".repeat(8)
    )
}

/// Feeds `git fast-import` a stream: `COMMITS` commits on main, the first adding `FILES` files,
/// each later one changing three.
fn generate(origin: &Path) {
    git(origin, &["init", "--bare", "-q", "-b", "main"]);
    let mut child = Command::new("git")
        .arg("-C")
        .arg(origin)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import runs");
    let mut input = std::io::BufWriter::new(child.stdin.take().unwrap());
    let path = |f: usize| format!("src/dir{:02}/file{f:04}.rs", f % 50);
    for c in 0..COMMITS {
        let message = format!("commit {c}");
        write!(
            input,
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + c,
            message.len()
        )
        .unwrap();
        let changed: Vec<usize> = if c == 0 {
            (0..FILES).collect()
        } else {
            (0..3).map(|k| (c * 7919 + k * 104_729) % FILES).collect()
        };
        for f in changed {
            let text = file_text(f, c);
            write!(
                input,
                "M 644 inline {}\ndata {}\n{text}\n",
                path(f),
                text.len()
            )
            .unwrap();
        }
    }
    drop(input);
    assert!(child.wait().unwrap().success());
}

/// A new PR head: one commit on top of main, set as `refs/pull/1/head`.
fn push_pr_head(origin: &Path, round: usize) -> String {
    let repo = Repository::open_bare(origin).unwrap();
    let main = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let blob = repo.blob(format!("change {round}\n").as_bytes()).unwrap();
    let mut tree = repo.treebuilder(Some(&main.tree().unwrap())).unwrap();
    tree.insert(format!("pr-change-{round}.txt"), blob, 0o100644)
        .unwrap();
    let tree = repo.find_tree(tree.write().unwrap()).unwrap();
    let sig = git2::Signature::new(
        "Bench",
        "bench@example.com",
        &git2::Time::new(1_800_000_000, 0),
    )
    .unwrap();
    let oid = repo
        .commit(
            None,
            &sig,
            &sig,
            &format!("PR round {round}"),
            &tree,
            &[&main],
        )
        .unwrap();
    repo.reference(PR_REF, oid, true, "new PR head").unwrap();
    oid.to_string()
}

fn fresh_clone(url: &str, dir: &Path, head: &str) {
    let repo = RepoBuilder::new().clone(url, dir).unwrap();
    let mut remote = repo.find_remote("origin").unwrap();
    remote
        .fetch(
            &[format!("+{PR_REF}:{PR_REF}")],
            Some(&mut FetchOptions::new()),
            None,
        )
        .unwrap();
    let commit = repo.find_commit(Oid::from_str(head).unwrap()).unwrap();
    repo.checkout_tree(commit.as_object(), Some(CheckoutBuilder::new().force()))
        .unwrap();
    repo.set_head_detached(commit.id()).unwrap();
}

/// Flushes what the previous step wrote, so neither path pays for the other's writeback.
fn settle() {
    assert!(Command::new("sync").status().unwrap().success());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 3 } else { 7 };
    let work = tempfile::tempdir().unwrap();
    let origin = work.path().join("origin.git");
    std::fs::create_dir_all(&origin).unwrap();
    let started = Instant::now();
    generate(&origin);
    let count = git(&origin, &["rev-list", "--count", "main"]);
    let files = git(&origin, &["ls-tree", "-r", "--name-only", "main"])
        .lines()
        .count();
    println!(
        "generated {files} files, {count} commits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let url = format!("file://{}", origin.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = work.path().join("data");
    let mirrors = Mirrors::new(&data);
    let refs = vec![PR_REF.to_string(), "refs/heads/main".to_string()];
    let checkout_with = |mirrors: &Mirrors, head: &str| {
        runtime.block_on(mirrors.worktree(Checkout {
            full_name: "bench/repo",
            clone_url: &url,
            token: None,
            refs: &refs,
            commit: head,
        }))
    };
    let checkout = |head: &str| checkout_with(&mirrors, head);
    // A second data dir whose worktrees are deleted before each round, so no job finds one.
    let bare_data = work.path().join("data-new");
    drop(checkout_with(&Mirrors::new(&bare_data), &push_pr_head(&origin, 0)).unwrap());
    // Warm the mirror, as the first job on a repository does once.
    let warm = Instant::now();
    drop(checkout(&push_pr_head(&origin, 0)).unwrap());
    println!(
        "first job on the repository (mirror created): {}",
        ms(warm.elapsed())
    );

    let (mut clones, mut fresh, mut parked, mut adopted) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let head = push_pr_head(&origin, round);
        let dir = work.path().join(format!("clone-{round}"));
        settle();
        let t = Instant::now();
        fresh_clone(&url, &dir, &head);
        clones.push(t.elapsed());
        std::fs::remove_dir_all(&dir).unwrap();

        // No worktree on disk to take over.
        let head = push_pr_head(&origin, round + 1000);
        std::fs::remove_dir_all(bare_data.join("git/jobs")).unwrap();
        let unpooled = Mirrors::new(&bare_data);
        settle();
        let t = Instant::now();
        let worktree = checkout_with(&unpooled, &head).unwrap();
        fresh.push(t.elapsed());
        assert!(worktree.fetched && !worktree.reused);
        drop(worktree);

        // The previous job's mess, which taking the worktree over must clear.
        let dirty = checkout(&push_pr_head(&origin, round + 3000)).unwrap();
        std::fs::write(dirty.path().join("untracked.txt"), "x").unwrap();
        drop(dirty);
        let head = push_pr_head(&origin, round + 2000);
        settle();
        let t = Instant::now();
        let worktree = checkout(&head).unwrap();
        parked.push(t.elapsed());
        assert!(worktree.fetched && worktree.reused);
        assert!(
            worktree
                .path()
                .join(format!("pr-change-{}.txt", round + 2000))
                .exists()
        );
        assert!(!worktree.path().join("untracked.txt").exists());
        drop(worktree);

        let head = push_pr_head(&origin, round + 4000);
        let restarted = Mirrors::new(&data);
        settle();
        let t = Instant::now();
        let worktree = checkout_with(&restarted, &head).unwrap();
        adopted.push(t.elapsed());
        assert!(worktree.fetched && worktree.reused);
        drop(worktree);
    }
    let clone = median(clones);
    let ratio = |d: Duration| d.as_secs_f64() / clone.as_secs_f64();
    println!("\nnew PR head, medians of {rounds} alternating rounds:");
    println!("| path | time | vs fresh clone |");
    println!("|---|---|---|");
    println!("| fresh clone + PR head checkout | {} | 1 |", ms(clone));
    for (path, times) in [
        ("cached mirror: fetch + new worktree", fresh),
        ("cached mirror: fetch + parked worktree", parked),
        ("restarted process: fetch + adopted worktree", adopted),
    ] {
        let m = median(times);
        println!("| {path} | {} | {:.3} |", ms(m), ratio(m));
    }
}
