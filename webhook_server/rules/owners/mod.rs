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
mod tests;
