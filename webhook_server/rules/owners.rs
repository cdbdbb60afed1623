//! OwnersFileHandler: who approves and who reviews a pull request, from the OWNERS files the
//! snapshot read at the base.
//!
//! Two rules decide which approvals a pull request needs (`owners-approval`, see
//! docs/pull-requests.md for the full table):
//!
//! - `default`, the Python server's rule: the root approvers must approve, and one root
//!   approval covers every changed file, unless the pull request stays inside a directory whose
//!   OWNERS says `root-approvers: false`. Such an opted-out directory then needs an approval from
//!   each OWNERS file that governs it. Unlike the reference, every OWNERS file is checked on its
//!   own (its union subtraction let one approval stand for unrelated directories), and a root
//!   approval never covers a directory that opted out.
//! - `prow`: each changed file answers to its chain, the nearest OWNERS file and its ancestors
//!   up to the root, cut after a file with `root-approvers: false` or Prow's
//!   `options: {no_parent_owners: true}`; one approval from anyone in the chain suffices.
//!
//! Prow's `emeritus_approvers` are read and never counted, and names defined in
//! `OWNERS_ALIASES` expand to their members.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::config::{OwnersApproval, yaml};
use crate::snapshot::{ChangedFile, OWNERS_ALIASES, hidden};

/// One OWNERS file, logins lower-cased and aliases expanded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnersFile {
    /// The directory it governs; `""` for the root.
    pub dir: String,
    pub approvers: BTreeSet<String>,
    pub reviewers: BTreeSet<String>,
    pub emeritus: BTreeSet<String>,
    pub allowed_users: BTreeSet<String>,
    /// `root-approvers: false`: the root approvers are not required for the files below.
    pub opts_out_of_root: bool,
    /// Prow's `options: {no_parent_owners: true}`, honoured by the `prow` rule only.
    pub no_parent_owners: bool,
    /// Why the file's approvers cannot be used though it lists some.
    pub unusable: Option<String>,
}

/// A set of approvers of which one must approve.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproverGroup {
    /// The OWNERS directories whose approvers these are, nearest first (`""` is the root).
    pub dirs: Vec<String>,
    pub approvers: BTreeSet<String>,
}

/// The owners of one pull request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullOwners {
    /// Approvers of every OWNERS file that governs a changed file (the root's when required).
    pub approvers: BTreeSet<String>,
    /// Reviewers of those files: the users asked to review.
    pub reviewers: BTreeSet<String>,
    pub root_approvers: BTreeSet<String>,
    pub root_reviewers: BTreeSet<String>,
    /// The root file's `allowed-users`.
    pub allowed_users: BTreeSet<String>,
    /// Each needs one approval from its approvers.
    pub groups: Vec<ApproverGroup>,
    /// Every approver in any OWNERS file read (the repository's approvers).
    pub all_approvers: BTreeSet<String>,
    /// Files, or keys of files, that could not be used, with why.
    pub invalid: Vec<String>,
    /// OWNERS files that govern a changed file but cannot be used, and leave no root approver
    /// to stand in for them: merging waits until they are fixed.
    pub blocking: Vec<String>,
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

/// Whether directory `dir` is `ancestor` or lies below it.
fn under(dir: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || dir == ancestor
        || dir
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.starts_with('/'))
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

/// The mapping `text` holds; an empty file is one only where `empty_is_mapping`.
fn mapping(text: &str, empty_is_mapping: bool) -> Result<serde_json::Map<String, Value>, String> {
    match yaml::parse(text).map_err(|e| e.to_string())?.value {
        Value::Object(map) => Ok(map),
        Value::Null if empty_is_mapping => Ok(serde_json::Map::new()),
        _ => Err("not a mapping".into()),
    }
}

fn parse_aliases(text: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let map = mapping(text, true)?;
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

/// Parses one OWNERS file governing `dir`. Like the reference, only a file that is not a
/// mapping, or whose `approvers`, `reviewers` or `allowed-users` is not a list of logins, is
/// rejected; a bad value of a key the reference never checked is reported in `warnings` and read
/// the strict way, so a typo never drops the file's approvers.
pub fn parse_file(
    dir: &str,
    text: &str,
    aliases: &BTreeMap<String, BTreeSet<String>>,
    warnings: &mut Vec<String>,
) -> Result<OwnersFile, String> {
    // The reference rejected an empty file, and a listed key that is not a list of strings
    // (`reviewers:` with nothing after it included).
    let map = mapping(text, false)?;
    for key in ["approvers", "reviewers", "allowed-users"] {
        if let Some(v) = map.get(key)
            && !v.as_array().is_some_and(|l| l.iter().all(Value::is_string))
        {
            return Err(format!("`{key}` must be a list of logins"));
        }
    }
    let approvers = logins(&map, "approvers", aliases)?;
    let reviewers = logins(&map, "reviewers", aliases)?;
    let allowed_users = logins(&map, "allowed-users", aliases)?;
    // Only `false` opts out: the reference's truthiness would also read `0` or `""` as false,
    // and requiring the root approvers is the stricter reading.
    let opts_out_of_root = match map.get("root-approvers") {
        None | Some(Value::Null) | Some(Value::Bool(true)) => false,
        Some(Value::Bool(false)) => true,
        Some(other) => {
            warnings.push(format!(
                "`root-approvers: {other}` is not true or false; the root approvers stay required"
            ));
            false
        }
    };
    let no_parent_owners = map
        .get("options")
        .and_then(|o| o.get("no_parent_owners"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let emeritus = logins(&map, "emeritus_approvers", aliases).unwrap_or_else(|e| {
        warnings.push(format!("{e}; it is ignored"));
        BTreeSet::new()
    });
    let approvers: BTreeSet<String> = approvers.difference(&emeritus).cloned().collect();
    let listed = map
        .get("approvers")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    // The reference would wait for those listed; here nobody could approve at all.
    let unusable = (listed && approvers.is_empty()).then(|| {
        "its `approvers` leave no one who can approve (emeritus, empty aliases or blank names)"
            .to_string()
    });
    Ok(OwnersFile {
        dir: dir.to_string(),
        unusable,
        approvers,
        reviewers,
        emeritus,
        allowed_users,
        opts_out_of_root: !dir.is_empty() && opts_out_of_root,
        no_parent_owners: !dir.is_empty() && no_parent_owners,
    })
}

/// Resolves the owners of a pull request changing `files`, from the OWNERS texts by path (as
/// `RepositoryData::owners` holds them), under `rule`.
///
/// `complete` says whether `texts` holds every OWNERS file that can govern the changes; when it
/// does not, the `default` rule requires the root approvers, since a file it did not read might
/// have asked for them.
pub fn resolve(
    texts: &BTreeMap<String, String>,
    files: &[ChangedFile],
    rule: OwnersApproval,
    complete: bool,
) -> PullOwners {
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
    // Files that cannot be used, by directory, with why.
    let mut broken: BTreeMap<String, String> = BTreeMap::new();
    for (path, text) in texts {
        let dir = match path.strip_suffix("OWNERS") {
            Some("") => "",
            Some(d) if d.ends_with('/') => d.trim_end_matches('/'),
            _ => continue,
        };
        if hidden(dir) {
            continue;
        }
        let mut warnings = Vec::new();
        match parse_file(dir, text, &aliases, &mut warnings) {
            Ok(f) => {
                if let Some(why) = &f.unusable {
                    broken.insert(dir.to_string(), format!("{path}: {why}"));
                }
                out.all_approvers.extend(f.approvers.iter().cloned());
                owners.insert(dir.to_string(), f);
            }
            Err(e) => {
                out.invalid.push(format!("{path}: {e}"));
                broken.insert(dir.to_string(), format!("{path}: {e}"));
            }
        }
        out.invalid
            .extend(warnings.into_iter().map(|w| format!("{path}: {w}")));
    }
    if let Some(root) = owners.get("") {
        out.root_approvers = root.approvers.clone();
        out.root_reviewers = root.reviewers.clone();
        out.allowed_users = root.allowed_users.clone();
    }
    let dirs: BTreeSet<&str> = files.iter().map(|f| dir_of(&f.path)).collect();
    match rule {
        OwnersApproval::Default => {
            // A file that governs a change but cannot be used, or one left unread, might have
            // asked for the root approvers: they are required. Without any, nobody can stand in
            // for an unusable file, so it blocks until fixed.
            let governing: Vec<&String> = broken
                .iter()
                .filter(|(b, _)| dirs.iter().any(|d| under(d, b)))
                .map(|(_, why)| why)
                .collect();
            let force_root = !governing.is_empty() || !complete;
            by_root_approvers(&owners, &dirs, force_root, &mut out);
            if !governing.is_empty() && out.root_approvers.is_empty() {
                out.blocking = governing.into_iter().cloned().collect();
            }
        }
        OwnersApproval::Prow => by_chain(&owners, &dirs, &mut out),
    }
    out
}

/// The `default` rule (the module's documentation says why it reads as it does).
fn by_root_approvers(
    owners: &BTreeMap<String, OwnersFile>,
    dirs: &BTreeSet<&str>,
    force_root: bool,
    out: &mut PullOwners,
) {
    // Every non-root OWNERS file in a changed directory or above one, shallowest first.
    let mut matched: Vec<&OwnersFile> = Vec::new();
    for d in dirs {
        let mut dir = Some(*d);
        while let Some(here) = dir.filter(|h| !h.is_empty()) {
            if let Some(f) = owners.get(here)
                && !matched.iter().any(|m| m.dir == f.dir)
            {
                matched.push(f);
            }
            dir = parent(here);
        }
    }
    matched.sort_by_key(|f| (f.dir.matches('/').count(), f.dir.clone()));
    // The reference leaves the root out only when every matched file governs every changed
    // file and the topmost of them opts out; a pull request spanning two opted-out siblings, or
    // reaching above an opted-out directory, still needs the root.
    let confined = matched
        .iter()
        .all(|m| dirs.iter().all(|d| under(d, &m.dir)));
    let root_required =
        force_root || !(confined && matched.first().is_some_and(|m| m.opts_out_of_root));
    let opted_out = |dir: &str| {
        let mut here = Some(dir);
        while let Some(d) = here.filter(|h| !h.is_empty()) {
            if owners.get(d).is_some_and(|f| f.opts_out_of_root) {
                return true;
            }
            here = parent(d);
        }
        false
    };
    let root_group = root_required && !out.root_approvers.is_empty();
    if root_required {
        out.approvers.extend(out.root_approvers.iter().cloned());
        out.reviewers.extend(out.root_reviewers.iter().cloned());
    }
    let mut groups = Vec::new();
    if root_group {
        groups.push(ApproverGroup {
            dirs: vec![String::new()],
            approvers: out.root_approvers.clone(),
        });
    }
    for m in matched {
        out.approvers.extend(m.approvers.iter().cloned());
        out.reviewers.extend(m.reviewers.iter().cloned());
        // The root approval that is needed anyway covers a directory that did not opt out.
        if m.approvers.is_empty() || (root_group && !opted_out(&m.dir)) {
            continue;
        }
        groups.push(ApproverGroup {
            dirs: vec![m.dir.clone()],
            approvers: m.approvers.clone(),
        });
    }
    push_distinct(out, groups);
}

/// The `prow` rule: one approval per distinct chain.
fn by_chain(owners: &BTreeMap<String, OwnersFile>, dirs: &BTreeSet<&str>, out: &mut PullOwners) {
    let mut chains: BTreeSet<Vec<String>> = BTreeSet::new();
    for d in dirs {
        let mut chain = Vec::new();
        let mut dir = Some(*d);
        while let Some(here) = dir {
            if let Some(f) = owners.get(here) {
                chain.push(here.to_string());
                if f.opts_out_of_root || f.no_parent_owners {
                    break;
                }
            }
            dir = parent(here);
        }
        chains.insert(chain);
    }
    let mut groups = Vec::new();
    for chain in chains {
        let mut approvers = BTreeSet::new();
        for d in &chain {
            approvers.extend(owners[d].approvers.iter().cloned());
            out.reviewers.extend(owners[d].reviewers.iter().cloned());
        }
        out.approvers.extend(approvers.iter().cloned());
        if !approvers.is_empty() {
            groups.push(ApproverGroup {
                dirs: chain,
                approvers,
            });
        }
    }
    push_distinct(out, groups);
}

/// Keeps one group per distinct approver set: one approval satisfies them all alike.
fn push_distinct(out: &mut PullOwners, groups: Vec<ApproverGroup>) {
    for group in groups {
        if !out.groups.iter().any(|g| g.approvers == group.approvers) {
            out.groups.push(group);
        }
    }
}

impl PullOwners {
    /// Whether `login` may `/approve`, and whose requested changes block: an approver of this
    /// pull request or of the root, as in the reference.
    pub fn is_approver(&self, login: &str) -> bool {
        let login = login.to_ascii_lowercase();
        self.approvers.contains(&login) || self.root_approvers.contains(&login)
    }

    /// The groups none of whose approvers is in `approved` (logins lower-cased).
    pub fn missing_approvals<'a>(
        &'a self,
        approved: &'a BTreeSet<String>,
    ) -> impl Iterator<Item = &'a ApproverGroup> + 'a {
        self.groups
            .iter()
            .filter(|g| g.approvers.is_disjoint(approved))
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

    /// The users to request a review from: reviewers of the governing OWNERS files but the
    /// author.
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

    /// The approver sets of `o`'s groups that `approved` leaves unmet.
    fn unmet(o: &PullOwners, approved: &[&str]) -> Vec<BTreeSet<String>> {
        let approved = set(approved);
        o.missing_approvals(&approved)
            .map(|g| g.approvers.clone())
            .collect()
    }

    /// The OWNERS files of the Python server's own tests (`test_pull_request_owners.py`), plus
    /// a second opted-out directory and nested files for the `root-approvers: false` cases.
    fn reference_tree() -> BTreeMap<String, String> {
        texts(&[
            (
                "OWNERS",
                "approvers: [root_approver1, root_approver2]\nreviewers: [root_reviewer1, root_reviewer2]\n",
            ),
            (
                "folder1/OWNERS",
                "approvers: [folder1_approver1, folder1_approver2]\nreviewers: [folder1_reviewer1]\n",
            ),
            ("folder2/OWNERS", "{}\n"),
            (
                "folder/folder4/OWNERS",
                "approvers: [folder4_approver1, folder4_approver2]\n",
            ),
            (
                "folder5/OWNERS",
                "approvers: [folder5_approver1, folder5_approver2]\nroot-approvers: false\n",
            ),
            ("folder5/sub/OWNERS", "approvers: [sub_approver]\n"),
            (
                "folder6/OWNERS",
                "approvers: [folder6_approver]\nroot-approvers: false\n",
            ),
            ("nested/OWNERS", "approvers: [nested_approver]\n"),
            (
                "nested/inner/OWNERS",
                "approvers: [inner_approver]\nroot-approvers: false\n",
            ),
        ])
    }

    /// The reference's `ALL_CHANGED_FILES`.
    const ALL_CHANGED_FILES: &[&str] = &[
        "OWNERS",
        "folder1/OWNERS",
        "code/file.py",
        "README.md",
        "folder2/lib.py",
        "folder/folder4/another_file.txt",
        "folder5/file",
    ];

    /// One case: which files change, who approved, the Python server's verdict, ours. A verdict
    /// is `None` when approved, else the approvers the missing line names; ours is one list per
    /// unmet group.
    struct Case {
        name: &'static str,
        files: &'static [&'static str],
        approved: &'static [&'static str],
        python: Option<&'static [&'static str]>,
        ours: &'static [&'static [&'static str]],
        /// Why ours is stricter, where the verdicts differ.
        stricter: Option<&'static str>,
    }

    const ROOT: &[&str] = &["root_approver1", "root_approver2"];
    const FOLDER5: &[&str] = &["folder5_approver1", "folder5_approver2"];

    const DEFAULT_RULE_CASES: &[Case] = &[
        Case {
            name: "test_check_pr_approved",
            files: ALL_CHANGED_FILES,
            approved: &[
                "root_approver1",
                "root_approver2",
                "folder1_approver1",
                "folder1_approver2",
                "folder4_approver1",
                "folder4_approver2",
                "folder5_approver1",
                "folder5_approver2",
            ],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_minimum_approved",
            files: ALL_CHANGED_FILES,
            approved: &[
                "root_approver1",
                "folder1_approver1",
                "folder4_approver1",
                "folder5_approver1",
            ],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_not_approved",
            files: ALL_CHANGED_FILES,
            approved: &["folder1_approver1"],
            python: Some(&[
                "folder4_approver1",
                "folder4_approver2",
                "folder5_approver1",
                "folder5_approver2",
                "root_approver1",
                "root_approver2",
            ]),
            // folder4 did not opt out: the root approval that is required covers it.
            ours: &[ROOT, FOLDER5],
            stricter: None,
        },
        Case {
            name: "test_check_pr_partial_approved",
            files: ALL_CHANGED_FILES,
            approved: &["folder1_approver1", "folder4_approver2"],
            python: Some(&[
                "folder5_approver1",
                "folder5_approver2",
                "root_approver1",
                "root_approver2",
            ]),
            ours: &[ROOT, FOLDER5],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_specific_folder",
            files: &["file_in_root", "folder2", "folder/folder4/another_file.txt"],
            approved: &["root_approver1", "folder4_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_nested_folder_no_owners",
            files: &["file_in_root", "folder2", "folder/another_file.txt"],
            approved: &["root_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_specific_folder_with_root_approvers",
            files: &["folder1/file"],
            approved: &["folder1_approver1"],
            python: Some(ROOT),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "folder1's change approved by a root approver alone",
            files: &["folder1/file"],
            approved: &["root_approver2"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_specific_folder_no_root_approvers",
            files: &["folder5/file"],
            approved: &["folder5_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_not_approved_specific_folder_without_owners",
            files: &["folder_with_no_owners/file"],
            approved: &["folder5_approver1"],
            python: Some(ROOT),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_specific_folder_without_owners",
            files: &["folder_with_no_owners/file"],
            approved: &["root_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_folder_with_no_owners_and_folder_without_root_approvers",
            files: &["folder_with_no_owners/file", "folder5/file"],
            approved: &["root_approver1", "folder5_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "test_check_pr_not_approved_folder_with_no_owners_and_folder_without_root_approvers",
            files: &["folder_with_no_owners/file", "folder5/file"],
            approved: &["folder5_approver1"],
            python: Some(ROOT),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "test_check_pr_approved_subfolder_with_owners_no_root_approvers",
            files: &["folder5/sub_folder5/file"],
            approved: &["folder5_approver1"],
            python: None,
            ours: &[],
            stricter: None,
        },
        // `root-approvers: false`: the Python server reads it from the topmost matched OWNERS
        // file, and adds the root back when a changed directory lies outside some matched one.
        Case {
            name: "an opted-out directory approved by the root alone",
            files: &["folder5/file"],
            approved: &["root_approver1"],
            python: None,
            ours: &[FOLDER5],
            stricter: Some("a root approval does not cover a directory that opted out"),
        },
        Case {
            name: "an opted-out directory and a root file approved by the root alone",
            files: &["README.md", "folder5/file"],
            approved: &["root_approver1"],
            python: None,
            ours: &[FOLDER5],
            stricter: Some("a root approval does not cover a directory that opted out"),
        },
        Case {
            name: "two opted-out siblings approved by their own approvers",
            files: &["folder5/file", "folder6/file"],
            approved: &["folder5_approver1", "folder6_approver"],
            python: Some(ROOT),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "two opted-out siblings approved by the root and their own approvers",
            files: &["folder5/file", "folder6/file"],
            approved: &["root_approver1", "folder5_approver1", "folder6_approver"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "inside an opted-out directory, every OWNERS file below it approves",
            files: &["folder5/sub/file"],
            approved: &["folder5_approver2"],
            python: Some(&["sub_approver"]),
            ours: &[&["sub_approver"]],
            stricter: None,
        },
        Case {
            name: "inside an opted-out directory, both of its OWNERS files approved",
            files: &["folder5/sub/file"],
            approved: &["folder5_approver2", "sub_approver"],
            python: None,
            ours: &[],
            stricter: None,
        },
        Case {
            name: "an opted-out directory and its subdirectory both changed need the root",
            files: &["folder5/file", "folder5/sub/file"],
            approved: &["folder5_approver2", "sub_approver"],
            python: Some(ROOT),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "opting out below a directory that did not keeps the root required",
            files: &["nested/inner/file"],
            approved: &["inner_approver"],
            python: Some(&["nested_approver", "root_approver1", "root_approver2"]),
            ours: &[ROOT],
            stricter: None,
        },
        Case {
            name: "the root approval does not cover the opted-out inner directory",
            files: &["nested/inner/file"],
            approved: &["root_approver1"],
            python: None,
            ours: &[&["inner_approver"]],
            stricter: Some("a root approval does not cover a directory that opted out"),
        },
    ];

    fn check(tree: &BTreeMap<String, String>, rule: OwnersApproval, cases: &[Case]) {
        for case in cases {
            let owners = resolve(tree, &files(case.files), rule, true);
            let ours = unmet(&owners, case.approved);
            let expected: Vec<BTreeSet<String>> = case.ours.iter().map(|g| set(g)).collect();
            assert_eq!(ours, expected, "{}", case.name);
            // Same verdict as the Python server, unless documented as stricter; never looser.
            match (case.python.is_none(), ours.is_empty(), case.stricter) {
                (python, ours, None) => assert_eq!(python, ours, "{}", case.name),
                (true, false, Some(_)) => {}
                (_, _, Some(why)) => panic!("{}: marked stricter ({why}) but is not", case.name),
            }
        }
    }

    #[test]
    fn the_default_rule_matches_the_python_server_or_is_stricter() {
        check(
            &reference_tree(),
            OwnersApproval::Default,
            DEFAULT_RULE_CASES,
        );
    }

    /// One OWNERS file of a generated tree: its directory, approvers and `root-approvers`.
    type Entry = (String, Vec<String>, Option<bool>);

    /// The Python server's verdict, transcribed from its `owners_data_for_changed_files` and
    /// `_check_if_pr_approved`: `entries` in its walk order (parents first), the root's
    /// approvers, the changed files and the users whose `approved-` label is on the PR.
    fn python_approves(
        entries: &[Entry],
        root: &[String],
        changed: &[String],
        approved: &BTreeSet<String>,
    ) -> bool {
        let folders: BTreeSet<&str> = changed.iter().map(|f| dir_of(f)).collect();
        let inside =
            |folder: &str, dir: &str| folder == dir || folder.starts_with(&format!("{dir}/"));
        let mut data: Vec<&[String]> = Vec::new();
        let mut matched: Vec<&str> = Vec::new();
        let mut require_root: Option<bool> = None;
        for (dir, approvers, root_approvers) in entries {
            for folder in &folders {
                if inside(folder, dir) {
                    data.push(approvers);
                    matched.push(dir);
                    if require_root.is_none() {
                        require_root = Some(root_approvers.unwrap_or(true));
                    }
                }
            }
        }
        let root_included = require_root != Some(false)
            || folders
                .iter()
                .any(|folder| matched.iter().any(|m| !inside(folder, m)));
        if root_included {
            data.push(root);
        }
        if approved.iter().any(|a| root.contains(a)) {
            return true;
        }
        let mut missing: BTreeSet<&String> = data.iter().flat_map(|d| d.iter()).collect();
        for approvers in &data {
            if approvers.iter().any(|a| approved.contains(a)) {
                for a in approvers.iter() {
                    missing.remove(a);
                }
            }
        }
        missing.is_empty()
    }

    #[test]
    fn the_transcription_of_the_python_server_agrees_with_its_own_cases() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let entries: Vec<Entry> = vec![
            ("folder".into(), vec![], None),
            (
                "folder/folder4".into(),
                list(&["folder4_approver1", "folder4_approver2"]),
                None,
            ),
            (
                "folder1".into(),
                list(&["folder1_approver1", "folder1_approver2"]),
                None,
            ),
            ("folder2".into(), vec![], None),
            ("folder5".into(), list(FOLDER5), Some(false)),
            ("folder5/sub".into(), list(&["sub_approver"]), None),
            ("folder6".into(), list(&["folder6_approver"]), Some(false)),
            ("nested".into(), list(&["nested_approver"]), None),
            (
                "nested/inner".into(),
                list(&["inner_approver"]),
                Some(false),
            ),
        ];
        // `folder` has no OWNERS file in the reference tree.
        let entries: Vec<Entry> = entries.into_iter().filter(|e| e.0 != "folder").collect();
        for case in DEFAULT_RULE_CASES {
            let changed = list(case.files);
            let approved = set(case.approved);
            assert_eq!(
                python_approves(&entries, &list(ROOT), &changed, &approved),
                case.python.is_none(),
                "{}",
                case.name
            );
        }
    }

    fn yaml_list(items: &[String]) -> String {
        format!("[{}]", items.join(", "))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Whatever the tree, the changes and the approvals, the default rule never approves
        /// what the Python server would not.
        #[test]
        fn the_default_rule_is_never_looser_than_the_python_server(
            present in proptest::collection::vec(proptest::bool::ANY, 7),
            lists in proptest::collection::vec(proptest::collection::vec(0..5usize, 0..3), 7),
            flags in proptest::collection::vec(proptest::option::of(proptest::bool::ANY), 7),
            root in proptest::option::of(proptest::collection::vec(0..5usize, 0..3)),
            changed in proptest::collection::vec(0..9usize, 1..4),
            approved in proptest::collection::btree_set(0..5usize, 0..4),
        ) {
            const DIRS: [&str; 7] = ["a", "a/b", "a/b/c", "a/c", "ab", "b", "b/a"];
            const FILES: [&str; 9] =
                ["x", "a/x", "a/b/x", "a/b/c/x", "a/c/x", "ab/x", "b/x", "b/a/x", "a/d/x"];
            let user = |i: &usize| format!("u{i}");
            let mut entries: Vec<Entry> = Vec::new();
            let mut tree = BTreeMap::new();
            for (i, dir) in DIRS.iter().enumerate() {
                if !present[i] {
                    continue;
                }
                let approvers: Vec<String> = lists[i].iter().map(user).collect();
                let mut text = format!("approvers: {}\n", yaml_list(&approvers));
                if let Some(flag) = flags[i] {
                    text.push_str(&format!("root-approvers: {flag}\n"));
                }
                tree.insert(format!("{dir}/OWNERS"), text);
                entries.push((dir.to_string(), approvers, flags[i]));
            }
            let root: Vec<String> = root.iter().flatten().map(user).collect();
            if !root.is_empty() {
                tree.insert("OWNERS".into(), format!("approvers: {}\n", yaml_list(&root)));
            }
            let changed: Vec<String> = changed.iter().map(|i| FILES[*i].to_string()).collect();
            let approved: BTreeSet<String> = approved.iter().map(user).collect();
            let paths: Vec<&str> = changed.iter().map(String::as_str).collect();
            let owners = resolve(&tree, &files(&paths), OwnersApproval::Default, true);
            let ours = owners.missing_approvals(&approved).next().is_none()
                && owners.blocking.is_empty();
            // `entries` follow DIRS, which lists every parent before its children.
            let python = python_approves(&entries, &root, &changed, &approved);
            proptest::prop_assert!(
                !ours || python,
                "approved here, not by the Python server: {tree:?} {changed:?} {approved:?}"
            );
        }
    }

    #[test]
    fn the_union_subtraction_of_the_reference_is_not_copied() {
        // The reference removes all of an approved file's approvers from the missing list, so
        // folder1's approval, naming the root approver too, also satisfied the root.
        let tree = texts(&[
            ("OWNERS", "approvers: [a]\n"),
            ("folder1/OWNERS", "approvers: [a, b]\n"),
        ]);
        let owners = resolve(&tree, &files(&["folder1/x"]), OwnersApproval::Default, true);
        assert_eq!(unmet(&owners, &["b"]), [set(&["a"])]);
    }

    #[test]
    fn without_root_approvers_every_governing_file_approves() {
        let tree = texts(&[
            ("OWNERS", "reviewers: [r]\n"),
            ("folder1/OWNERS", "approvers: [x]\n"),
            ("folder1/deep/OWNERS", "approvers: [y]\n"),
            ("folder2/OWNERS", "approvers: [z]\n"),
        ]);
        let owners = resolve(
            &tree,
            &files(&["folder1/deep/a", "folder2/b"]),
            OwnersApproval::Default,
            true,
        );
        // Shallowest first.
        assert_eq!(unmet(&owners, &["x"]), [set(&["z"]), set(&["y"])]);
        assert!(unmet(&owners, &["x", "y", "z"]).is_empty());
        assert_eq!(owners.reviewers, set(&["r"]));
    }

    /// Under the `prow` rule: files changed, who approved, and the approvers of each unmet group.
    type ProwCase = (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static [&'static str]],
    );

    const PROW_RULE_CASES: &[ProwCase] = &[
        (
            "a folder approver alone approves the folder's change",
            &["folder1/file"],
            &["folder1_approver1"],
            &[],
        ),
        (
            "a root approver covers every chain that reaches the root",
            &["folder1/file", "folder/folder4/x", "README.md"],
            &["root_approver1"],
            &[],
        ),
        (
            "an opted-out chain answers to its own approvers",
            &["folder5/file", "folder6/file"],
            &["folder5_approver1"],
            &[&["folder6_approver"]],
        ),
        (
            "a root approver does not cover an opted-out chain",
            &["folder5/file"],
            &["root_approver1"],
            &[FOLDER5],
        ),
    ];

    #[test]
    fn the_prow_rule_takes_one_approval_from_anywhere_up_the_chain() {
        let tree = reference_tree();
        for (name, changed, approved, expected) in PROW_RULE_CASES {
            let owners = resolve(&tree, &files(changed), OwnersApproval::Prow, true);
            let expected: Vec<BTreeSet<String>> = expected.iter().map(|g| set(g)).collect();
            assert_eq!(unmet(&owners, approved), expected, "{name}");
        }
    }

    #[test]
    fn each_rule_lists_the_reviewers_of_the_files_that_govern() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\nreviewers: [r0]\n"),
            ("src/OWNERS", "reviewers: [Bob]\n"),
            ("src/core/OWNERS", "approvers: [carol]\n"),
            ("docs/OWNERS", "approvers: [dan]\nroot-approvers: false\n"),
        ]);
        let changed = files(&["src/core/a.rs", "docs/x.md", "README.md"]);
        let o = resolve(&t, &changed, OwnersApproval::Default, true);
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
            ]
        );
        let o = resolve(&t, &changed, OwnersApproval::Prow, true);
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
    fn no_parent_owners_counts_under_the_prow_rule_only() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            (
                "vendor/OWNERS",
                "approvers: [v]\noptions:\n  no_parent_owners: true\n",
            ),
        ]);
        let changed = files(&["vendor/lib/x.c"]);
        let prow = resolve(&t, &changed, OwnersApproval::Prow, true);
        assert_eq!(prow.groups.len(), 1);
        assert_eq!(prow.groups[0].approvers, set(&["v"]));
        // The Python server never read `options`: its root approvers stay required.
        let default = resolve(&t, &changed, OwnersApproval::Default, true);
        assert_eq!(default.groups.len(), 1);
        assert_eq!(default.groups[0].approvers, set(&["root"]));
        // Root approvers may always /approve, as in the reference.
        assert!(prow.is_approver("root"));
        assert!(prow.is_approver("V"));
        assert!(!prow.is_approver("stranger"));
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
        let o = resolve(&t, &files(&["x"]), OwnersApproval::Default, true);
        assert_eq!(o.approvers, set(&["alice", "bob"]));
        assert_eq!(o.reviewers, set(&["alice", "bob"]));
        assert_eq!(o.review_requests("alice"), vec!["bob".to_string()]);
    }

    #[test]
    fn files_the_reference_rejected_are_reported_and_skipped() {
        for bad in [
            "- just\n- a list\n",
            "",
            "approvers: carol\n",
            "approvers: [carol]\nreviewers:\n",
            "approvers: [carol, 7]\n",
        ] {
            let t = texts(&[("OWNERS", "approvers: [root]\n"), ("a/OWNERS", bad)]);
            let o = resolve(&t, &files(&["a/x"]), OwnersApproval::Default, true);
            assert_eq!(o.invalid.len(), 1, "{bad:?}: {:?}", o.invalid);
            assert!(o.invalid[0].starts_with("a/OWNERS: "), "{:?}", o.invalid);
            // The root approvers stand in for the file that could not be read.
            let groups: Vec<_> = o.groups.iter().map(|g| g.approvers.clone()).collect();
            assert_eq!(groups, [set(&["root"])], "{bad:?}");
            assert!(o.blocking.is_empty());
        }
    }

    #[test]
    fn an_unreadable_governing_file_needs_the_root_even_inside_an_opted_out_directory() {
        // `a/b` opts out, but `a`'s file above it cannot be read: had it been readable and not
        // opted out, the reference would have asked for the root.
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            ("a/OWNERS", "approvers: [x\n"),
            ("a/b/OWNERS", "approvers: [inner]\nroot-approvers: false\n"),
        ]);
        let o = resolve(&t, &files(&["a/b/f"]), OwnersApproval::Default, true);
        assert_eq!(unmet(&o, &["inner"]), [set(&["root"])]);
    }

    #[test]
    fn without_root_approvers_an_unusable_governing_file_blocks() {
        let t = texts(&[
            ("OWNERS", "reviewers: [r]\n"),
            (
                "a/OWNERS",
                "approvers: [bob]\nemeritus_approvers: [bob]\nroot-approvers: false\n",
            ),
            ("c/OWNERS", "approvers: ['@', '']\n"),
        ]);
        let o = resolve(&t, &files(&["a/f"]), OwnersApproval::Default, true);
        assert!(o.groups.is_empty());
        assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
        assert!(o.blocking[0].starts_with("a/OWNERS: its `approvers` leave no one"));
        let o = resolve(&t, &files(&["c/f"]), OwnersApproval::Default, true);
        assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
        // A change the unusable files do not govern is not held up.
        let o = resolve(&t, &files(&["d/f"]), OwnersApproval::Default, true);
        assert!(o.blocking.is_empty());
        // An unreadable root file governs everything, unless a root approver could stand in.
        let t = texts(&[
            ("OWNERS", "approvers: [x\n"),
            ("a/OWNERS", "approvers: [a]\n"),
        ]);
        let o = resolve(&t, &files(&["a/f"]), OwnersApproval::Default, true);
        assert_eq!(o.blocking.len(), 1, "{:?}", o.blocking);
    }

    #[test]
    fn owners_files_under_hidden_directories_are_not_read() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            (".github/OWNERS", "approvers: [ci]\nroot-approvers: false\n"),
        ]);
        let o = resolve(
            &t,
            &files(&[".github/workflows/x.yml"]),
            OwnersApproval::Default,
            true,
        );
        let groups: Vec<_> = o.groups.iter().map(|g| g.approvers.clone()).collect();
        assert_eq!(groups, [set(&["root"])]);
    }

    #[test]
    fn owners_files_left_unread_make_the_root_required() {
        // With `a/b/OWNERS` unread (the changed files or `max-owners-files` cut short), the
        // change might reach beyond the opted-out `a`: the root must approve.
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            ("a/OWNERS", "approvers: [a]\nroot-approvers: false\n"),
        ]);
        let changed = files(&["a/f", "a/b/f"]);
        let complete = resolve(&t, &changed, OwnersApproval::Default, true);
        let groups: Vec<_> = complete
            .groups
            .iter()
            .map(|g| g.approvers.clone())
            .collect();
        assert_eq!(groups, [set(&["a"])]);
        let partial = resolve(&t, &changed, OwnersApproval::Default, false);
        let groups: Vec<_> = partial.groups.iter().map(|g| g.approvers.clone()).collect();
        assert_eq!(groups, [set(&["root"]), set(&["a"])]);
    }

    #[test]
    fn keys_the_reference_never_checked_do_not_drop_the_file() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            (
                "b/OWNERS",
                "approvers: [b]\nroot-approvers: maybe\nemeritus_approvers: gone\n",
            ),
        ]);
        let o = resolve(&t, &files(&["b/y"]), OwnersApproval::Default, true);
        assert_eq!(o.invalid.len(), 2, "{:?}", o.invalid);
        assert!(o.invalid[0].contains("root-approvers"), "{:?}", o.invalid);
        // Not `false`, so the root approvers stay required; b's approver still counts.
        assert_eq!(o.groups.len(), 1);
        assert_eq!(o.groups[0].approvers, set(&["root"]));
        assert!(o.is_approver("b"));
    }

    #[test]
    fn yaml_1_1_booleans_opt_out_as_pyyaml_reads_them() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\n"),
            ("b/OWNERS", "approvers: [b]\nroot-approvers: no\n"),
        ]);
        let o = resolve(&t, &files(&["b/y"]), OwnersApproval::Default, true);
        assert!(o.invalid.is_empty(), "{:?}", o.invalid);
        assert_eq!(o.groups.len(), 1);
        assert_eq!(o.groups[0].approvers, set(&["b"]));
    }

    #[test]
    fn lgtm_counts_reviewers_and_the_roots_people_but_not_the_author() {
        let t = texts(&[
            ("OWNERS", "approvers: [root]\nreviewers: [rr]\n"),
            ("src/OWNERS", "reviewers: [alice, bob]\n"),
        ]);
        let o = resolve(&t, &files(&["src/x"]), OwnersApproval::Default, true);
        assert_eq!(o.lgtm_eligible("alice"), set(&["bob", "root", "rr"]));
    }

    #[test]
    fn no_owners_files_means_no_approval_is_needed() {
        for rule in [OwnersApproval::Default, OwnersApproval::Prow] {
            let o = resolve(&BTreeMap::new(), &files(&["a/b"]), rule, true);
            assert!(o.groups.is_empty());
            assert!(o.approvers.is_empty());
        }
    }
}
