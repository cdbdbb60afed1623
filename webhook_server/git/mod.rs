//! Git for the jobs that run code (tox, pre-commit, builds, cherry-pick, rebase): one bare
//! mirror per repository under `<data-dir>/git/mirrors/`, fetched incrementally with only the
//! refs a job needs, and a worktree per job under `<data-dir>/git/jobs/`. The token reaches
//! libgit2 through a credential callback and is never written to disk.
//!
//! A job has its worktree to itself. When the job ends the worktree is parked, up to
//! [`IDLE_PER_REPOSITORY`] per repository, and the next job takes it over: a forced checkout
//! of the new commit that also deletes untracked and ignored files leaves exactly the
//! commit's tree, while writing only the files that differ. Creating a file is the dominant
//! cost of a fresh checkout (about 1 ms each on the disks measured, so 5 s for 5 000 files, see
//! BENCHMARKS.md); a parked worktree avoids nearly all of it. Worktrees beyond the cap are
//! removed. Worktrees survive a restart: the first job on a mirror in a new process adopts
//! those an earlier process left (parked, or mid-job when it crashed) as parked ones, up to
//! the cap, and removes the rest; so a fresh checkout happens only on a repository's first
//! job or when more jobs run at once than were parked.
//!
//! Fetching and taking a worktree hold a per-repository lock, since both update the mirror's
//! refs; jobs then run in their own worktrees side by side.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use git2::build::CheckoutBuilder;
use git2::{
    AutotagOption, Cred, FetchOptions, Oid, RemoteCallbacks, Repository, WorktreeAddOptions,
    WorktreePruneOptions,
};

/// The longest a fetch may take before it is abandoned.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Parked worktrees kept per repository for later jobs.
pub const IDLE_PER_REPOSITORY: usize = 2;

/// Parked worktrees by mirror path. A mirror without an entry has not been used by this
/// process yet, so its worktrees on disk are still to be adopted.
type Idle = Arc<Mutex<HashMap<PathBuf, Vec<Parked>>>>;

pub struct Mirrors {
    root: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    idle: Idle,
    jobs: AtomicU64,
    /// Distinguishes this process's worktree names from those of earlier processes, which
    /// may still be on disk; a container's server often has the same pid every time.
    epoch: String,
}

/// A worktree no job is using, by mirror.
#[derive(Debug)]
struct Parked {
    name: String,
    path: PathBuf,
}

/// What a job needs checked out.
pub struct Checkout<'a> {
    /// `owner/name`.
    pub full_name: &'a str,
    pub clone_url: &'a str,
    /// Sent as the password of `x-access-token`, as GitHub expects for installation and
    /// personal tokens over HTTPS.
    pub token: Option<&'a str>,
    /// Refs to bring up to date, e.g. `refs/pull/5/head` and `refs/heads/main`.
    pub refs: &'a [String],
    /// The commit to check out; when the mirror already has it, nothing is fetched.
    pub commit: &'a str,
}

/// A job's checkout. Dropping it parks it for a later job, or removes it when enough are
/// parked.
#[derive(Debug)]
pub struct Worktree {
    path: PathBuf,
    mirror: PathBuf,
    name: String,
    idle: Idle,
    /// Whether this checkout had to fetch.
    pub fetched: bool,
    /// Whether a parked worktree was taken over rather than a new one created.
    pub reused: bool,
}

impl Mirrors {
    pub fn new(data_dir: &Path) -> Mirrors {
        Mirrors {
            root: data_dir.join("git"),
            locks: Mutex::default(),
            idle: Arc::default(),
            jobs: AtomicU64::new(0),
            epoch: format!(
                "{:x}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ),
        }
    }

    pub fn mirror_path(&self, full_name: &str) -> PathBuf {
        let safe: String = full_name
            .to_ascii_lowercase()
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '-' | '_' | '.' => c,
                _ => '_',
            })
            .collect();
        self.root.join("mirrors").join(format!("{safe}.git"))
    }

    /// Brings the mirror of `checkout.full_name` up to date where needed and checks out
    /// `checkout.commit` in a new worktree.
    pub async fn worktree(&self, checkout: Checkout<'_>) -> anyhow::Result<Worktree> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(checkout.full_name.to_ascii_lowercase())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        let mirror = self.mirror_path(checkout.full_name);
        let job = self.jobs.fetch_add(1, Ordering::Relaxed);
        let commit = checkout.commit.to_string();
        let fresh = format!(
            "job-{}-{job}-{}",
            self.epoch,
            &commit[..commit.len().min(12)]
        );
        let jobs_dir = self.root.join("jobs");
        let url = checkout.clone_url.to_string();
        let token = checkout.token.map(str::to_string);
        let refs = checkout.refs.to_vec();
        let full_name = checkout.full_name.to_string();
        let idle = self.idle.clone();
        tokio::task::spawn_blocking(move || {
            let parked = take_parked(&idle, &mirror)
                .with_context(|| format!("adopting the worktrees of {full_name}"))?;
            let fetched = fetch_if_missing(&mirror, &url, token.as_deref(), &refs, &commit)
                .with_context(|| format!("fetching {full_name}"))?;
            if let Some(parked) = parked {
                match reset_worktree(&mirror, &parked, &commit) {
                    Ok(()) => {
                        return Ok(Worktree {
                            path: parked.path,
                            mirror,
                            name: parked.name,
                            idle,
                            fetched,
                            reused: true,
                        });
                    }
                    Err(e) => {
                        tracing::warn!(worktree = %parked.path.display(), "a parked worktree could not be reset, replacing it: {e:#}");
                        remove_worktree(&mirror, &parked.name, &parked.path)?;
                    }
                }
            }
            let path = jobs_dir.join(&fresh);
            add_worktree(&mirror, &fresh, &path, &commit)
                .with_context(|| format!("checking out {commit} of {full_name}"))?;
            Ok(Worktree {
                path,
                mirror,
                name: fresh,
                idle,
                fetched,
                reused: false,
            })
        })
        .await
        .context("the git task panicked")?
    }
}

/// A parked worktree of `mirror`, if any; adopts what is on disk on the mirror's first use.
/// The caller holds the repository's lock, so no other job adopts or takes at the same time.
fn take_parked(idle: &Idle, mirror: &Path) -> anyhow::Result<Option<Parked>> {
    if let Some(parked) = lock_idle(idle).get_mut(mirror) {
        return Ok(parked.pop());
    }
    let left = if mirror.exists() {
        adopt(mirror)?
    } else {
        Vec::new()
    };
    let mut idle = lock_idle(idle);
    let parked = idle.entry(mirror.to_path_buf()).or_default();
    parked.extend(left);
    Ok(parked.pop())
}

/// The worktrees an earlier process left behind, up to [`IDLE_PER_REPOSITORY`]; the others are
/// removed, and those whose directory is gone are forgotten with their branches. Whatever a
/// crashed job left in one is cleared when it is reset for the next job.
fn adopt(mirror: &Path) -> anyhow::Result<Vec<Parked>> {
    let repo = Repository::open_bare(mirror).context("opening the mirror")?;
    let mut adopted = Vec::new();
    for name in repo.worktrees()?.iter().flatten() {
        let path = repo.find_worktree(name)?.path().to_path_buf();
        if path.exists() && adopted.len() < IDLE_PER_REPOSITORY {
            adopted.push(Parked {
                name: name.to_string(),
                path,
            });
        } else {
            remove_worktree(mirror, name, &path)?;
        }
    }
    Ok(adopted)
}

fn lock_idle(idle: &Idle) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Vec<Parked>>> {
    idle.lock().unwrap_or_else(|e| e.into_inner())
}

impl Worktree {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        {
            let mut idle = lock_idle(&self.idle);
            let parked = idle.entry(self.mirror.clone()).or_default();
            if parked.len() < IDLE_PER_REPOSITORY {
                parked.push(Parked {
                    name: std::mem::take(&mut self.name),
                    path: std::mem::take(&mut self.path),
                });
                return;
            }
        }
        if let Err(e) = remove_worktree(&self.mirror, &self.name, &self.path) {
            tracing::warn!(worktree = %self.path.display(), "removing a job's worktree: {e:#}");
        }
    }
}

fn open_or_init(mirror: &Path) -> anyhow::Result<Repository> {
    if mirror.exists() {
        return Repository::open_bare(mirror).context("opening the mirror");
    }
    std::fs::create_dir_all(mirror)?;
    Repository::init_bare(mirror).context("creating the mirror")
}

/// Fetches `refs` unless the mirror already holds `commit`; returns whether it fetched.
fn fetch_if_missing(
    mirror: &Path,
    url: &str,
    token: Option<&str>,
    refs: &[String],
    commit: &str,
) -> anyhow::Result<bool> {
    let repo = open_or_init(mirror)?;
    let oid = Oid::from_str(commit).context("not a commit id")?;
    if repo.find_commit(oid).is_ok() {
        return Ok(false);
    }
    // An anonymous remote: the URL is not stored in the mirror's config.
    let mut remote = repo.remote_anonymous(url)?;
    let mut callbacks = RemoteCallbacks::new();
    let mut offered = false;
    callbacks.credentials(move |_url, _user, _allowed| match token {
        // libgit2 asks again after a refusal; a second offer of the same token would loop.
        Some(token) if !offered => {
            offered = true;
            Cred::userpass_plaintext("x-access-token", token)
        }
        _ => Err(git2::Error::from_str(
            "the repository refused the credentials",
        )),
    });
    let deadline = Instant::now() + FETCH_TIMEOUT;
    callbacks.transfer_progress(move |_| Instant::now() < deadline);
    let mut options = FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .download_tags(AutotagOption::None);
    let specs: Vec<String> = refs.iter().map(|r| format!("+{r}:{r}")).collect();
    remote.fetch(&specs, Some(&mut options), None)?;
    if repo.find_commit(oid).is_err() {
        bail!("{commit} is not reachable from {}", refs.join(", "));
    }
    Ok(true)
}

/// Makes a parked worktree exactly `commit`'s tree: changed files rewritten, untracked and
/// ignored ones deleted.
fn reset_worktree(mirror: &Path, parked: &Parked, commit: &str) -> anyhow::Result<()> {
    let repo = Repository::open(&parked.path)?;
    let target = repo.find_commit(Oid::from_str(commit)?)?;
    repo.checkout_tree(
        target.as_object(),
        Some(
            CheckoutBuilder::new()
                .force()
                .remove_untracked(true)
                .remove_ignored(true),
        ),
    )?;
    // The worktree's own branch follows, so HEAD names the commit checked out.
    Repository::open_bare(mirror)?.reference(
        &format!("refs/heads/{}", branch_name(&parked.name)),
        target.id(),
        true,
        "next job",
    )?;
    Ok(())
}

fn branch_name(name: &str) -> String {
    format!("gws/{name}")
}

fn add_worktree(mirror: &Path, name: &str, path: &Path, commit: &str) -> anyhow::Result<()> {
    let repo = Repository::open_bare(mirror)?;
    let commit = repo.find_commit(Oid::from_str(commit)?)?;
    // A worktree checks out a branch; a private one per job keeps jobs apart.
    let branch = repo.branch(&branch_name(name), &commit, true)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = WorktreeAddOptions::new();
    options.reference(Some(branch.get()));
    repo.worktree(name, path, Some(&options))?;
    Ok(())
}

fn remove_worktree(mirror: &Path, name: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path)?;
    }
    let repo = Repository::open_bare(mirror)?;
    if let Ok(worktree) = repo.find_worktree(name) {
        worktree.prune(Some(
            WorktreePruneOptions::new().valid(true).working_tree(true),
        ))?;
    }
    if let Ok(mut branch) = repo.find_branch(&branch_name(name), git2::BranchType::Local) {
        branch.delete()?;
    }
    Ok(())
}
