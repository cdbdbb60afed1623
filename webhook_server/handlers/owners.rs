//! OwnersFileHandler: who approves and who reviews a pull request, from the OWNERS files the
//! snapshot read at the base.
//!
//! The reference unions every matched file and decides root inheritance by walk order (02
//! §5.3). Here each changed file is governed by its own chain: the nearest OWNERS file and its
//! ancestors up to the root, cut after a file that says `root-approvers: false` (or Prow's
//! `options: {no_parent_owners: true}`). Each distinct chain needs one approval from its
//! approvers. Prow's `emeritus_approvers` are read and never counted, and names defined in
//! `OWNERS_ALIASES` expand to their members.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::config::yaml;
use crate::repository_data::{ChangedFile, OWNERS_ALIASES};

/// One OWNERS file, logins lower-cased and aliases expanded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnersFile {
    /// The directory it governs; `""` for the root.
    pub dir: String,
    pub approvers: BTreeSet<String>,
    pub reviewers: BTreeSet<String>,
    pub emeritus: BTreeSet<String>,
    pub allowed_users: BTreeSet<String>,
    /// `root-approvers: false`: the files below answer to this file and no ancestor.
    pub stops_inheritance: bool,
}

/// A set of approvers of which one must approve: the chain governing some changed files.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproverGroup {
    /// The directories of the chain, nearest first (`""` is the root).
    pub dirs: Vec<String>,
    pub approvers: BTreeSet<String>,
}

/// The owners of one pull request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullOwners {
    /// Approvers of every chain that governs a changed file.
    pub approvers: BTreeSet<String>,
    /// Reviewers of every such chain: the users asked to review.
    pub reviewers: BTreeSet<String>,
    pub root_approvers: BTreeSet<String>,
    pub root_reviewers: BTreeSet<String>,
    /// The root file's `allowed-users`.
    pub allowed_users: BTreeSet<String>,
    /// One per distinct chain with approvers.
    pub groups: Vec<ApproverGroup>,
    /// Every approver in any OWNERS file read (the repository's approvers).
    pub all_approvers: BTreeSet<String>,
    /// Files that could not be used, with why.
    pub invalid: Vec<String>,
}

fn parent(dir: &str) -> Option<&str> {
    if dir.is_empty() {
        None
    } else {
        Some(dir.rsplit_once('/').map_or("", |(p, _)| p))
    }
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A list of logins at `key`, aliases expanded; an error names the key.
fn logins(
    map: &serde_json::Map<String, Value>,
    key: &str,
    aliases: &BTreeMap<String, BTreeSet<String>>,
) -> Result<BTreeSet<String>, String> {
    let Some(v) = map.get(key) else {
        return Ok(BTreeSet::new());
    };
    if v.is_null() {
        return Ok(BTreeSet::new());
    }
    let list = v
        .as_array()
        .ok_or_else(|| format!("`{key}` must be a list of logins"))?;
    let mut out = BTreeSet::new();
    for item in list {
        let login = item
            .as_str()
            .ok_or_else(|| format!("`{key}` must be a list of logins"))?
            .trim()
            .trim_start_matches('@')
            .to_ascii_lowercase();
        match aliases.get(&login) {
            Some(members) => out.extend(members.iter().cloned()),
            None if !login.is_empty() => {
                out.insert(login);
            }
            None => {}
        }
    }
    Ok(out)
}

fn mapping(text: &str) -> Result<serde_json::Map<String, Value>, String> {
    match yaml::parse(text).map_err(|e| e.to_string())?.value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(serde_json::Map::new()),
        _ => Err("not a mapping".into()),
    }
}

fn parse_aliases(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let map = mapping(text)?;
    let Some(aliases) = map.get("aliases") else {
        return Ok(BTreeMap::new());
    };
    let aliases = aliases
        .as_object()
        .ok_or("`aliases` must map names to lists of logins")?;
    aliases
        .keys()
        .map(|name| {
            let members = logins(aliases, name, &BTreeMap::new())?;
            Ok((name.to_ascii_lowercase(), members))
        })
        .collect()
}

/// Parses one OWNERS file governing `dir`.
pub fn parse_file(
    dir: &str,
    text: &str,
    aliases: &BTreeMap<String, BTreeSet<String>>,
) -> Result<OwnersFile, String> {
    let map = mapping(text)?;
    let root_approvers = match map.get("root-approvers") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`root-approvers` must be true or false".into()),
    };
    let no_parent = map
        .get("options")
        .and_then(|o| o.get("no_parent_owners"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let emeritus = logins(&map, "emeritus_approvers", aliases)?;
    let approvers = logins(&map, "approvers", aliases)?
        .difference(&emeritus)
        .cloned()
        .collect();
    Ok(OwnersFile {
        dir: dir.to_string(),
        approvers,
        reviewers: logins(&map, "reviewers", aliases)?,
        emeritus,
        allowed_users: logins(&map, "allowed-users", aliases)?,
        stops_inheritance: !dir.is_empty() && (!root_approvers || no_parent),
    })
}

/// Resolves the owners of a pull request changing `files`, from the OWNERS texts by path (as
/// `RepositoryData::owners` holds them).
pub fn resolve(texts: &BTreeMap<String, String>, files: &[ChangedFile]) -> PullOwners {
    let mut out = PullOwners::default();
    let aliases = match texts.get(OWNERS_ALIASES).map(|t| parse_aliases(t)) {
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            out.invalid.push(format!("{OWNERS_ALIASES}: {e}"));
            BTreeMap::new()
        }
        None => BTreeMap::new(),
    };
    let mut owners: BTreeMap<String, OwnersFile> = BTreeMap::new();
    for (path, text) in texts {
        let dir = match path.strip_suffix("OWNERS") {
            Some("") => "",
            Some(d) if d.ends_with('/') => d.trim_end_matches('/'),
            _ => continue,
        };
        match parse_file(dir, text, &aliases) {
            Ok(f) => {
                out.all_approvers.extend(f.approvers.iter().cloned());
                owners.insert(dir.to_string(), f);
            }
            Err(e) => out.invalid.push(format!("{path}: {e}")),
        }
    }
    if let Some(root) = owners.get("") {
        out.root_approvers = root.approvers.clone();
        out.root_reviewers = root.reviewers.clone();
        out.allowed_users = root.allowed_users.clone();
    }
    let mut chains: BTreeMap<Vec<String>, ()> = BTreeMap::new();
    for file in files {
        let mut chain = Vec::new();
        let mut dir = Some(dir_of(&file.path));
        while let Some(d) = dir {
            if let Some(f) = owners.get(d) {
                chain.push(d.to_string());
                if f.stops_inheritance {
                    break;
                }
            }
            dir = parent(d);
        }
        chains.insert(chain, ());
    }
    let mut seen: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for chain in chains.into_keys() {
        let mut approvers = BTreeSet::new();
        for d in &chain {
            approvers.extend(owners[d].approvers.iter().cloned());
            out.reviewers.extend(owners[d].reviewers.iter().cloned());
        }
        out.approvers.extend(approvers.iter().cloned());
        if !approvers.is_empty() && seen.insert(approvers.clone()) {
            out.groups.push(ApproverGroup {
                dirs: chain,
                approvers,
            });
        }
    }
    out
}

impl PullOwners {
    /// Whether `login` may `/approve`: an approver of some chain of this pull request.
    pub fn is_approver(&self, login: &str) -> bool {
        self.approvers.contains(&login.to_ascii_lowercase())
    }

    /// The users whose `lgtm-` labels count toward `minimum-lgtm`: the reviewers and the root's
    /// approvers and reviewers, as in the reference, never the author.
    pub fn lgtm_eligible(&self, author: &str) -> BTreeSet<String> {
        let author = author.to_ascii_lowercase();
        self.reviewers
            .iter()
            .chain(&self.root_approvers)
            .chain(&self.root_reviewers)
            .filter(|u| **u != author)
            .cloned()
            .collect()
    }

    /// The users to request a review from: reviewers of the governing chains but the author.
    pub fn review_requests(&self, author: &str) -> Vec<String> {
        let author = author.to_ascii_lowercase();
        self.reviewers
            .iter()
            .filter(|u| **u != author)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<ChangedFile> {
        paths
            .iter()
            .map(|p| ChangedFile {
                path: p.to_string(),
                additions: 1,
                deletions: 0,
                change_type: "MODIFIED".into(),
            })
            .collect()
    }

    fn texts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_changed_file_answers_to_its_nearest_chain() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\nreviewers: [r0]\n"),
            ("src/OWNERS", "reviewers: [Bob]\n"),
            ("src/core/OWNERS", "approvers: [carol]\n"),
            ("docs/OWNERS", "approvers: [dan]\nroot-approvers: false\n"),
        ]);
        let o = resolve(&t, &files(&["src/core/a.rs", "docs/x.md", "README.md"]));
        assert_eq!(o.approvers, set(&["carol", "dan", "root"]));
        assert_eq!(o.reviewers, set(&["bob", "r0"]));
        let groups: Vec<(Vec<String>, BTreeSet<String>)> = o
            .groups
            .iter()
            .map(|g| (g.dirs.clone(), g.approvers.clone()))
            .collect();
        assert_eq!(
            groups,
            vec![
                (vec!["".to_string()], set(&["root"])),
                (vec!["docs".to_string()], set(&["dan"])),
                (
                    vec!["src/core".to_string(), "src".to_string(), "".to_string()],
                    set(&["carol", "root"])
                ),
            ]
        );
        assert_eq!(o.root_approvers, set(&["root"]));
    }

    #[test]
    fn root_approvers_false_keeps_root_out_of_that_subtree_only() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            (
                "vendor/OWNERS",
                "approvers: [v]\noptions:\n  no_parent_owners: true\n",
            ),
        ]);
        let o = resolve(&t, &files(&["vendor/lib/x.c"]));
        assert_eq!(o.groups.len(), 1);
        assert_eq!(o.groups[0].approvers, set(&["v"]));
        assert!(!o.is_approver("root"));
        assert!(o.is_approver("V"));
    }

    #[test]
    fn aliases_expand_and_emeritus_never_count() {
        let t = texts(&[
            (OWNERS_ALIASES, "aliases:\n  core-team: [alice, Bob]\n"),
            (
                "OWNERS",
                "approvers: [core-team, old]\nemeritus_approvers: [old]\nreviewers: ['@core-team']\n",
            ),
        ]);
        let o = resolve(&t, &files(&["x"]));
        assert_eq!(o.approvers, set(&["alice", "bob"]));
        assert_eq!(o.reviewers, set(&["alice", "bob"]));
        assert_eq!(o.review_requests("alice"), vec!["bob".to_string()]);
    }

    #[test]
    fn broken_files_are_reported_and_skipped() {
        let t = texts(&[
            ("OWNERS", "approvers: root\n"),
            ("a/OWNERS", "- just\n- a list\n"),
            ("b/OWNERS", "approvers: [b]\nroot-approvers: maybe\n"),
        ]);
        let o = resolve(&t, &files(&["a/x", "b/y"]));
        assert_eq!(o.invalid.len(), 3, "{:?}", o.invalid);
        assert!(o.groups.is_empty());
    }

    #[test]
    fn lgtm_counts_reviewers_and_the_roots_people_but_not_the_author() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\nreviewers: [rr]\n"),
            ("src/OWNERS", "reviewers: [alice, bob]\n"),
        ]);
        let o = resolve(&t, &files(&["src/x"]));
        assert_eq!(o.lgtm_eligible("alice"), set(&["bob", "root", "rr"]));
    }

    #[test]
    fn no_owners_files_means_no_approval_is_needed() {
        let o = resolve(&BTreeMap::new(), &files(&["a/b"]));
        assert!(o.groups.is_empty());
        assert!(o.approvers.is_empty());
    }
}
