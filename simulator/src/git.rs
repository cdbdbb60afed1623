//! Bare repositories the simulator hosts, driven through the git CLI. Everything GitHub
//! derives from git (mergeable, behind_by, changed files) is computed here, never stored.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

pub struct BareRepo {
    path: PathBuf,
}

/// A throwaway index file for building one commit's tree, removed when dropped.
struct ScratchIndex(PathBuf);

impl ScratchIndex {
    fn new(repo: &Path) -> ScratchIndex {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        ScratchIndex(repo.join(format!("sim-index-{}-{n}", std::process::id())))
    }
}

impl Drop for ScratchIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A file change: `Some(content)` writes, `None` deletes.
pub type Changes = BTreeMap<String, Option<String>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub filename: String,
    /// added, modified, removed
    pub status: &'static str,
    pub additions: u64,
    pub deletions: u64,
    /// The file's hunks as GitHub gives them (`@@` lines onward); none for binary files and
    /// where the caller did not ask for them.
    pub patch: Option<String>,
}

/// What `git show` knows of a commit.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub author: String,
    pub author_email: String,
    pub author_date: String,
    pub committer: String,
    pub committer_email: String,
    pub committer_date: String,
    pub message: String,
}

impl BareRepo {
    pub fn init(path: &Path, default_branch: &str) -> Result<BareRepo> {
        std::fs::create_dir_all(path)?;
        let repo = BareRepo {
            path: path.to_path_buf(),
        };
        repo.git(&["init", "--quiet", "--bare", "-b", default_branch])?;
        // Let clients fetch any commit, as GitHub does for PR heads.
        repo.git(&["config", "uploadpack.allowAnySHA1InWant", "true"])?;
        repo.git(&["config", "receive.denyCurrentBranch", "ignore"])?;
        Ok(repo)
    }

    /// Makes pushes from git clients known to the simulator: the `post-receive` hook posts the
    /// updated refs (`old new ref` lines) to `url`, as GitHub's push handling would see them.
    pub fn report_pushes_to(&self, url: &str) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let hook = self.path.join("hooks").join("post-receive");
        std::fs::create_dir_all(hook.parent().expect("hooks dir has a parent"))?;
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\nexec curl -sS --max-time 10 -X POST -H 'content-type: text/plain' \
                 --data-binary @- '{url}' >/dev/null\n"
            ),
        )?;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
        Ok(())
    }

    pub fn open(path: &Path) -> BareRepo {
        BareRepo {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir")
            .arg(&self.path)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            // Commits made here record UTC, as GitHub's timestamps do.
            .env("TZ", "UTC");
        cmd
    }

    fn git(&self, args: &[&str]) -> Result<String> {
        self.git_stdin(args, b"", &[])
    }

    fn git_stdin(&self, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Result<String> {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running git {}", args.join(" ")))?;
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input)?;
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The commit a ref or revision names, if it exists.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        self.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ])
        .ok()
        .filter(|s| !s.is_empty())
    }

    pub fn set_ref(&self, name: &str, sha: &str) -> Result<()> {
        self.git(&["update-ref", name, sha]).map(|_| ())
    }

    pub fn delete_ref(&self, name: &str) -> Result<()> {
        self.git(&["update-ref", "-d", name]).map(|_| ())
    }

    /// Commits `changes` on top of `parent` (or as a root commit) and returns the new sha.
    /// Refs are not moved.
    pub fn commit(
        &self,
        parent: Option<&str>,
        changes: &Changes,
        message: &str,
        author: &str,
    ) -> Result<String> {
        let index = ScratchIndex::new(&self.path);
        let index_path = index.0.to_string_lossy().into_owned();
        let env = [("GIT_INDEX_FILE", index_path.as_str())];
        if let Some(parent) = parent {
            self.git_stdin(&["read-tree", parent], b"", &env)?;
        }
        // One `--index-info` batch; mode 0 removes a path, and it needs no work tree.
        let mut info = String::new();
        for (path, content) in changes {
            match content {
                Some(content) => {
                    let blob =
                        self.git_stdin(&["hash-object", "-w", "--stdin"], content.as_bytes(), &[])?;
                    info.push_str(&format!("100644 {blob}\t{path}\n"));
                }
                None => info.push_str(&format!("0 {}\t{path}\n", "0".repeat(40))),
            }
        }
        self.git_stdin(&["update-index", "--index-info"], info.as_bytes(), &env)?;
        let tree = self.git_stdin(&["write-tree"], b"", &env)?;
        let parents: Vec<&str> = parent.into_iter().collect();
        self.commit_tree(&tree, &parents, message, author)
    }

    /// A file's content at `rev`, if it exists there.
    pub fn read_file(&self, rev: &str, path: &str) -> Option<Vec<u8>> {
        let out = self
            .command(&["cat-file", "blob", &format!("{rev}:{path}")])
            .output()
            .ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// The entries of the tree at `rev:path`: (blob or tree, object id, name).
    pub fn tree_entries(&self, rev: &str, path: &str) -> Result<Vec<(String, String, String)>> {
        Ok(self
            .git(&["ls-tree", &format!("{rev}:{path}")])?
            .lines()
            .filter_map(|l| {
                let (meta, name) = l.split_once('\t')?;
                let mut parts = meta.split_whitespace().skip(1);
                Some((
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                    name.to_string(),
                ))
            })
            .collect())
    }

    /// The blob id of `path` at `rev`.
    pub fn blob_id(&self, rev: &str, path: &str) -> Option<String> {
        if rev.is_empty() {
            return None;
        }
        self.git(&["rev-parse", "--verify", "--quiet", &format!("{rev}:{path}")])
            .ok()
            .filter(|s| !s.is_empty())
    }

    /// Files changed between the merge base of `base` and `head`, and `head`.
    pub fn changed_files(&self, base: &str, head: &str) -> Result<Vec<FileChange>> {
        let range = format!("{base}...{head}");
        let status = self.git(&["diff", "--name-status", "--no-renames", &range])?;
        let numstat = self.git(&["diff", "--numstat", "--no-renames", &range])?;
        let counts: BTreeMap<&str, (u64, u64)> = numstat
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, '\t');
                let add = parts.next()?.parse().unwrap_or(0);
                let del = parts.next()?.parse().unwrap_or(0);
                Some((parts.next()?, (add, del)))
            })
            .collect();
        Ok(status
            .lines()
            .filter_map(|l| {
                let (code, name) = l.split_once('\t')?;
                let (additions, deletions) = counts.get(name).copied().unwrap_or((0, 0));
                Some(FileChange {
                    filename: name.to_string(),
                    status: match code {
                        "A" => "added",
                        "D" => "removed",
                        _ => "modified",
                    },
                    additions,
                    deletions,
                    patch: None,
                })
            })
            .collect())
    }

    /// `changed_files` with each file's patch, as the REST API's diff entries carry them.
    pub fn diff_files(&self, base: &str, head: &str) -> Result<Vec<FileChange>> {
        let mut files = self.changed_files(base, head)?;
        let diff = self.git(&[
            "diff",
            "--no-renames",
            "--no-color",
            &format!("{base}...{head}"),
        ])?;
        let mut patches: BTreeMap<&str, String> = BTreeMap::new();
        for section in diff.split("diff --git a/").skip(1) {
            let header = section.lines().next().unwrap_or_default();
            // Without renames both sides name the same path: `<p> b/<p>`.
            let name = &header[..header.len().saturating_sub(3) / 2];
            if let Some(at) = section.find("\n@@") {
                patches.insert(name, section[at + 1..].trim_end_matches('\n').to_string());
            }
        }
        for f in &mut files {
            f.patch = patches.remove(f.filename.as_str());
        }
        Ok(files)
    }

    /// Commits on `from` that `to` lacks.
    pub fn count_between(&self, to: &str, from: &str) -> Result<u64> {
        Ok(self
            .git(&["rev-list", "--count", &format!("{to}..{from}")])?
            .parse()
            .unwrap_or(0))
    }

    /// Whether `head` merges into `base` without conflicts; the merged tree if it does.
    pub fn merge_tree(&self, base: &str, head: &str) -> Result<Option<String>> {
        let out = self
            .command(&["merge-tree", "--write-tree", base, head])
            .output()
            .context("running git merge-tree")?;
        match out.status.code() {
            Some(0) => Ok(Some(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            )),
            Some(1) => Ok(None),
            _ => bail!(
                "git merge-tree failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }
    }

    /// A commit of `tree` with the given parents (for merges and squashes).
    pub fn commit_tree(
        &self,
        tree: &str,
        parents: &[&str],
        message: &str,
        author: &str,
    ) -> Result<String> {
        let email = format!("{author}@users.noreply.github.com");
        let identity = [
            ("GIT_AUTHOR_NAME", author),
            ("GIT_AUTHOR_EMAIL", email.as_str()),
            ("GIT_COMMITTER_NAME", author),
            ("GIT_COMMITTER_EMAIL", email.as_str()),
        ];
        let mut args = vec!["commit-tree", tree];
        for p in parents {
            args.extend(["-p", p]);
        }
        self.git_stdin(&args, message.as_bytes(), &identity)
    }

    pub fn commit_info(&self, rev: &str) -> Result<CommitInfo> {
        // %x00 separates fields; the message comes last since it may hold anything else.
        let out = self.git(&[
            "show",
            "-s",
            "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B",
            &format!("{rev}^{{commit}}"),
        ])?;
        let f: Vec<&str> = out.splitn(10, '\0').collect();
        let [sha, tree, parents, an, ae, ad, cn, ce, cd, message] = f[..] else {
            bail!("unexpected git show output for {rev}");
        };
        Ok(CommitInfo {
            sha: sha.to_string(),
            tree: tree.to_string(),
            parents: parents.split_whitespace().map(str::to_string).collect(),
            author: an.to_string(),
            author_email: ae.to_string(),
            author_date: ad.to_string(),
            committer: cn.to_string(),
            committer_email: ce.to_string(),
            committer_date: cd.to_string(),
            message: message.trim_end().to_string(),
        })
    }

    /// Commits reachable from `head` but not `base`, oldest first.
    pub fn commits_between(&self, base: &str, head: &str) -> Result<Vec<String>> {
        Ok(self
            .git(&["rev-list", "--reverse", &format!("{base}..{head}")])?
            .lines()
            .map(str::to_string)
            .collect())
    }

    pub fn merge_base(&self, a: &str, b: &str) -> Result<String> {
        self.git(&["merge-base", a, b])
    }

    /// Every commit reachable from `rev`, newest first.
    pub fn history(&self, rev: &str) -> Result<Vec<String>> {
        Ok(self
            .git(&["rev-list", rev])?
            .lines()
            .map(str::to_string)
            .collect())
    }

    pub fn tree_of(&self, commit: &str) -> Result<String> {
        self.git(&["rev-parse", &format!("{commit}^{{tree}}")])
    }

    /// Every ref and the commit it points at.
    pub fn refs(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .git(&["for-each-ref", "--format=%(refname) %(objectname)"])?
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, Option<&str>)]) -> Changes {
        pairs
            .iter()
            .map(|(p, c)| (p.to_string(), c.map(str::to_string)))
            .collect()
    }

    #[test]
    fn commits_diffs_and_merges_are_real_git() {
        let dir = tempfile::tempdir().unwrap();
        let repo = BareRepo::init(&dir.path().join("r.git"), "main").unwrap();
        let root = repo
            .commit(
                None,
                &files(&[
                    ("README.md", Some("hi\n")),
                    ("OWNERS", Some("approvers: [a]\n")),
                ]),
                "init",
                "alice",
            )
            .unwrap();
        repo.set_ref("refs/heads/main", &root).unwrap();
        assert_eq!(repo.resolve("main").as_deref(), Some(root.as_str()));
        assert_eq!(repo.read_file("main", "README.md").unwrap(), b"hi\n");

        let feature = repo
            .commit(
                Some(&root),
                &files(&[("src/a.rs", Some("fn a() {}\n")), ("README.md", None)]),
                "feat",
                "bob",
            )
            .unwrap();
        repo.set_ref("refs/heads/feature", &feature).unwrap();
        let changed = repo.diff_files("main", "feature").unwrap();
        assert_eq!(
            changed,
            vec![
                FileChange {
                    filename: "README.md".into(),
                    status: "removed",
                    additions: 0,
                    deletions: 1,
                    patch: Some("@@ -1 +0,0 @@\n-hi".into()),
                },
                FileChange {
                    filename: "src/a.rs".into(),
                    status: "added",
                    additions: 1,
                    deletions: 0,
                    patch: Some("@@ -0,0 +1 @@\n+fn a() {}".into()),
                },
            ]
        );
        assert!(repo.merge_tree("main", "feature").unwrap().is_some());

        // A conflicting change on main makes the PR unmergeable and behind.
        let conflict = repo
            .commit(
                Some(&root),
                &files(&[("src/a.rs", Some("fn other() {}\n"))]),
                "clash",
                "carol",
            )
            .unwrap();
        repo.set_ref("refs/heads/main", &conflict).unwrap();
        assert!(repo.merge_tree("main", "feature").unwrap().is_none());
        assert_eq!(repo.count_between("feature", "main").unwrap(), 1);
        assert_eq!(repo.count_between("main", "feature").unwrap(), 1);
    }
}
