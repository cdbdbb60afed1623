//! Everything a delivery needs from GitHub, fetched once: one GraphQL query for the repository,
//! its config file, collaborators, protection and the pull request with its labels, reviews,
//! files, our comments and check results at the head; then one more for the OWNERS files at the
//! base that govern the changed paths. Handlers read this snapshot and never re-fetch it.
//!
//! A pull request with more than a hundred files gets them from the compare call instead of
//! further GraphQL pages: up to 300 files in one read, and the same answer serves
//! `needs-rebase` and clean-rebase detection, so the delivery still makes three reads.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::config::REPO_FILE_NAME;
use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::github::queries;
use crate::merge_readiness::Thread;

/// GitHub lists at most 3 000 changed files for a pull request: 30 pages of 100.
const MAX_FILE_PAGES: usize = 30;
/// The compare call lists at most this many files.
const MAX_COMPARE_FILES: usize = 300;
pub const OWNERS_ALIASES: &str = "OWNERS_ALIASES";

#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryData {
    pub full_name: String,
    pub default_branch: String,
    /// The login the server acts as.
    pub viewer: Option<String>,
    /// `.github-webhook-server.yaml` on the default branch, when there is one.
    pub config_text: Option<String>,
    /// The same file at the head, when an open pull request into the default branch changes it
    /// (and does not delete it): what merging would put in force.
    pub proposed_config_text: Option<String>,
    /// Permission (`ADMIN`, `MAINTAIN`, `WRITE`, `TRIAGE`, `READ`) by lower-cased login.
    pub collaborators: BTreeMap<String, String>,
    /// Whether `collaborators` lists all of them; GitHub gives the first 100 in the snapshot.
    pub collaborators_complete: bool,
    pub protection: Vec<ProtectionRule>,
    /// The repository's labels (the first hundred): colour by name.
    pub repo_labels: BTreeMap<String, String>,
    pub pull: PullRequest,
    /// Text of each OWNERS file (and `OWNERS_ALIASES`) found at the base, by path.
    pub owners: BTreeMap<String, String>,
    /// Whether `owners` holds every OWNERS file that can govern the changes: all changed files
    /// were listed and `max-owners-files` cut none.
    pub owners_complete: bool,
    /// `GET /compare/{base}...{head}`'s answer, when the files were read from it.
    pub compare: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtectionRule {
    pub pattern: String,
    pub required_contexts: Vec<String>,
    pub strict: bool,
    pub required_approvals: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PullRequest {
    pub node_id: String,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub draft: bool,
    /// `OPEN`, `CLOSED` or `MERGED`.
    pub state: String,
    pub merged: bool,
    /// `MERGEABLE`, `CONFLICTING` or `UNKNOWN`.
    pub mergeable: String,
    pub merge_state: String,
    pub author: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub additions: u64,
    pub deletions: u64,
    pub auto_merge: bool,
    pub labels: BTreeSet<String>,
    pub assignees: Vec<String>,
    pub requested_reviewers: Vec<String>,
    /// Each reviewer's latest approval or change request.
    pub reviews: Vec<Review>,
    pub files: Vec<ChangedFile>,
    /// The server's own comments among the latest hundred.
    pub our_comments: Vec<Comment>,
    pub check_runs: Vec<CheckRun>,
    pub statuses: Vec<Status>,
    /// Review conversations not resolved yet (the first hundred threads).
    pub unresolved_threads: Vec<Thread>,
    /// Each reviewer's newest review of any kind (a comment included).
    pub latest_reviews: Vec<Review>,
    /// The GitHub accounts linked to the head commit's author and committer, when any.
    pub head_author: Option<String>,
    pub head_committer: Option<String>,
}

impl PullRequest {
    /// The repository path comparing the head with its base: behind or not, and the diff.
    pub fn compare_path(&self) -> String {
        format!("/compare/{}...{}", self.base_sha, self.head_sha)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub author: String,
    pub state: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangedFile {
    pub path: String,
    pub additions: u64,
    pub deletions: u64,
    pub change_type: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub app: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub context: String,
    pub state: String,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn nodes(v: &Value) -> impl Iterator<Item = &Value> {
    v["nodes"].as_array().into_iter().flatten()
}

/// The `login` of each node, or of the node's `field` when given.
fn logins(v: &Value, field: Option<&str>) -> Vec<String> {
    nodes(v)
        .filter_map(|n| field.map_or(n, |f| &n[f])["login"].as_str())
        .map(str::to_string)
        .collect()
}

/// The changed files of a compare answer, named as GraphQL names them.
fn compare_files(compare: &Value) -> Vec<ChangedFile> {
    compare["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| ChangedFile {
            path: text(&f["filename"]),
            additions: count(&f["additions"]),
            deletions: count(&f["deletions"]),
            change_type: match f["status"].as_str().unwrap_or_default() {
                "removed" => "DELETED".to_string(),
                other => other.to_ascii_uppercase(),
            },
        })
        .collect()
}

fn reviews(connection: &Value) -> Vec<Review> {
    nodes(connection)
        .map(|r| Review {
            author: text(&r["author"]["login"]),
            state: text(&r["state"]),
            commit: r["commit"]["oid"].as_str().map(str::to_string),
        })
        .collect()
}

fn files(connection: &Value) -> Vec<ChangedFile> {
    nodes(connection)
        .map(|f| ChangedFile {
            path: text(&f["path"]),
            additions: count(&f["additions"]),
            deletions: count(&f["deletions"]),
            change_type: text(&f["changeType"]),
        })
        .collect()
}

impl RepositoryData {
    /// Fetches the snapshot for pull request `number`; reads the repository's own
    /// config from `default_branch`. OWNERS files are read only for an open pull request.
    pub async fn fetch(
        session: &Session,
        number: u64,
        default_branch: &str,
        max_owners_files: usize,
    ) -> anyhow::Result<RepositoryData> {
        let body = json!({
            "query": queries::REPOSITORY_DATA,
            "variables": {
                "owner": session.owner, "name": session.name, "number": number,
                "configExpression": format!("{default_branch}:{REPO_FILE_NAME}"),
            },
        });
        let answer = session.graphql(&body).await?;
        let mut data = parse(&answer)?;
        let mut page = answer["repository"]["pullRequest"]["files"]["pageInfo"].clone();
        let mut pages = 1;
        if page["hasNextPage"] == true {
            let path = data.pull.compare_path();
            match session.rest(reqwest::Method::GET, &path, None).await {
                Ok(answer) => {
                    let listed = answer.body["files"].as_array().map_or(0, Vec::len);
                    if listed < MAX_COMPARE_FILES {
                        data.pull.files = compare_files(&answer.body);
                        page["hasNextPage"] = json!(false);
                    }
                    data.compare = Some(answer.body);
                }
                // The head was force-pushed away meanwhile: the pages still list the files.
                Err(GitHubError::Status { status: 404, .. }) => {}
                Err(e) => return Err(anyhow::Error::new(e).context("reading the changed files")),
            }
        }
        while page["hasNextPage"] == true && pages < MAX_FILE_PAGES {
            let more = session
                .graphql(&json!({
                    "query": queries::PULL_REQUEST_FILES,
                    "variables": {
                        "owner": session.owner, "name": session.name, "number": number,
                        "after": page["endCursor"],
                    },
                }))
                .await
                .context("reading the changed files")?;
            let connection = &more["repository"]["pullRequest"]["files"];
            data.pull.files.extend(files(connection));
            page = connection["pageInfo"].clone();
            pages += 1;
        }
        if data.pull.state == "OPEN" {
            let base = &data.pull.base_sha;
            let (paths, all_read) = owners_paths(&data.pull.files, max_owners_files);
            data.owners_complete = all_read && page["hasNextPage"] != true;
            let mut wanted: Vec<String> = paths.iter().map(|p| format!("{base}:{p}")).collect();
            // The same query reads the repository file a pull request into the default branch
            // brings, so its problems show before it is in force, at no extra call.
            let proposes_config = data.pull.base_ref == data.default_branch
                && data
                    .pull
                    .files
                    .iter()
                    .any(|f| f.path == REPO_FILE_NAME && f.change_type != "DELETED");
            if proposes_config {
                wanted.push(format!("{}:{REPO_FILE_NAME}", data.pull.head_sha));
            }
            let mut texts = read_files(session, &wanted)
                .await
                .context("reading OWNERS files")?;
            if proposes_config {
                data.proposed_config_text = texts.pop().flatten();
            }
            data.owners = paths
                .into_iter()
                .zip(texts)
                .filter_map(|(path, text)| Some((path, text?)))
                .collect();
        }
        Ok(data)
    }
}

/// Reads each `rev:path` expression in one query: its text, in order, or `None` when the file
/// does not exist there.
async fn read_files(
    session: &Session,
    expressions: &[String],
) -> anyhow::Result<Vec<Option<String>>> {
    if expressions.is_empty() {
        return Ok(Vec::new());
    }
    let body = queries::files_at(&session.owner, &session.name, expressions);
    let answer = session.graphql(&body).await?;
    let repo = &answer["repository"];
    Ok((0..expressions.len())
        .map(|i| repo[format!("f{i}")]["text"].as_str().map(str::to_string))
        .collect())
}

/// Whether `dir` has a part starting with `.`: the reference never read OWNERS files there.
pub fn hidden(dir: &str) -> bool {
    dir.split('/').any(|part| part.starts_with('.'))
}

/// The OWNERS files that can govern the changed files: one in each changed file's directory and
/// in every ancestor up to the root, plus `OWNERS_ALIASES`; at most `max` of them, the
/// shallowest first, since those govern the most files; and whether the cap left none out.
/// Hidden directories have none (see [`hidden`]).
pub fn owners_paths(files: &[ChangedFile], max: usize) -> (Vec<String>, bool) {
    let mut dirs = BTreeSet::new();
    for file in files {
        let mut dir = file.path.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if !hidden(parent) {
                dirs.insert(parent.to_string());
            }
            dir = parent;
        }
    }
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| (d.matches('/').count(), d.clone()));
    let mut paths = vec!["OWNERS".to_string(), OWNERS_ALIASES.to_string()];
    paths.extend(dirs.into_iter().map(|d| format!("{d}/OWNERS")));
    let complete = paths.len() <= max.max(1) + 1;
    paths.truncate(max.max(1) + 1);
    (paths, complete)
}

/// The snapshot from a RepositoryData answer.
pub fn parse(data: &Value) -> anyhow::Result<RepositoryData> {
    let repo = &data["repository"];
    if repo.is_null() {
        bail!("the repository is not visible to the server's credentials");
    }
    let viewer = data["viewer"]["login"].as_str().map(str::to_string);
    let collaborators = repo["collaborators"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["node"]["login"].as_str()?.to_ascii_lowercase(),
                text(&e["permission"]),
            ))
        })
        .collect();
    let protection = nodes(&repo["branchProtectionRules"])
        .map(|r| ProtectionRule {
            pattern: text(&r["pattern"]),
            required_contexts: r["requiredStatusCheckContexts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            strict: r["requiresStrictStatusChecks"] == true,
            required_approvals: count(&r["requiredApprovingReviewCount"]),
        })
        .collect();
    let pr = &repo["pullRequest"];
    if pr.is_null() {
        bail!("the pull request is not visible to the server's credentials");
    }
    let pull = pull_request(pr, viewer.as_deref());
    Ok(RepositoryData {
        full_name: text(&repo["nameWithOwner"]),
        default_branch: text(&repo["defaultBranchRef"]["name"]),
        viewer,
        config_text: repo["config"]["text"].as_str().map(str::to_string),
        proposed_config_text: None,
        owners_complete: true,
        collaborators,
        collaborators_complete: repo["collaborators"]["pageInfo"]["hasNextPage"] != true,
        protection,
        repo_labels: nodes(&repo["labels"])
            .map(|l| (text(&l["name"]), text(&l["color"])))
            .collect(),
        pull,
        compare: None,
        owners: BTreeMap::new(),
    })
}

fn pull_request(pr: &Value, viewer: Option<&str>) -> PullRequest {
    let head = &pr["commits"]["nodes"][0]["commit"];
    let contexts: Vec<&Value> = nodes(&head["statusCheckRollup"]["contexts"]).collect();
    PullRequest {
        node_id: text(&pr["id"]),
        number: count(&pr["number"]),
        title: text(&pr["title"]),
        body: text(&pr["body"]),
        draft: pr["isDraft"] == true,
        state: text(&pr["state"]),
        merged: pr["merged"] == true,
        mergeable: text(&pr["mergeable"]),
        merge_state: text(&pr["mergeStateStatus"]),
        author: text(&pr["author"]["login"]),
        head_ref: text(&pr["headRefName"]),
        head_sha: text(&pr["headRefOid"]),
        base_ref: text(&pr["baseRefName"]),
        base_sha: text(&pr["baseRefOid"]),
        additions: count(&pr["additions"]),
        deletions: count(&pr["deletions"]),
        auto_merge: !pr["autoMergeRequest"].is_null(),
        labels: nodes(&pr["labels"]).map(|l| text(&l["name"])).collect(),
        assignees: logins(&pr["assignees"], None),
        requested_reviewers: logins(&pr["reviewRequests"], Some("requestedReviewer")),
        reviews: reviews(&pr["latestOpinionatedReviews"]),
        latest_reviews: reviews(&pr["latestReviews"]),
        files: files(&pr["files"]),
        our_comments: nodes(&pr["comments"])
            .filter(|c| {
                // GraphQL names an App's bot by its slug, while `viewer` says `<slug>[bot]`.
                let author = c["author"]["login"].as_str().unwrap_or_default();
                viewer.is_some_and(|v| v.strip_suffix("[bot]").unwrap_or(v) == author)
            })
            .map(|c| Comment {
                id: count(&c["databaseId"]),
                body: text(&c["body"]),
            })
            .collect(),
        check_runs: contexts
            .iter()
            .filter(|c| c["__typename"] == "CheckRun")
            .map(|c| CheckRun {
                id: count(&c["databaseId"]),
                name: text(&c["name"]),
                status: text(&c["status"]),
                conclusion: c["conclusion"].as_str().map(str::to_string),
                title: c["title"].as_str().map(str::to_string),
                summary: c["summary"].as_str().map(str::to_string),
                app: c["checkSuite"]["app"]["slug"].as_str().map(str::to_string),
            })
            .collect(),
        unresolved_threads: nodes(&pr["reviewThreads"])
            .filter(|t| t["isResolved"] != true)
            .map(|t| {
                let first = &t["comments"]["nodes"][0];
                Thread {
                    path: text(&first["path"]),
                    line: first["line"].as_u64(),
                    outdated: t["isOutdated"] == true,
                    url: text(&first["url"]),
                }
            })
            .collect(),
        head_author: head["author"]["user"]["login"].as_str().map(str::to_string),
        head_committer: head["committer"]["user"]["login"]
            .as_str()
            .map(str::to_string),
        statuses: contexts
            .iter()
            .filter(|c| c["__typename"] == "StatusContext")
            .map(|c| Status {
                context: text(&c["context"]),
                state: text(&c["state"]),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> ChangedFile {
        ChangedFile {
            path: path.into(),
            additions: 1,
            deletions: 0,
            change_type: "ADDED".into(),
        }
    }

    #[test]
    fn owners_paths_cover_every_ancestor_once() {
        let (paths, complete) = owners_paths(
            &[
                file("a/b/c.rs"),
                file("a/d.rs"),
                file("top.md"),
                file(".github/workflows/ci.yml"),
                file("a/.hidden/x"),
            ],
            100,
        );
        assert_eq!(
            paths,
            ["OWNERS", "OWNERS_ALIASES", "a/OWNERS", "a/b/OWNERS"].map(String::from)
        );
        assert!(complete);
    }

    #[test]
    fn owners_paths_keep_the_shallowest_under_the_cap() {
        let (paths, complete) = owners_paths(&[file("x/y/z/f"), file("b/f")], 2);
        assert_eq!(
            paths,
            ["OWNERS", "OWNERS_ALIASES", "b/OWNERS"].map(String::from)
        );
        assert!(!complete);
    }

    #[test]
    fn parse_keeps_only_our_comments_and_splits_check_results() {
        let answer = json!({
            "viewer": {"login": "bot"},
            "repository": {
                "nameWithOwner": "o/r", "defaultBranchRef": {"name": "main"},
                "config": {"text": "minimum-lgtm: 2\n"},
                "collaborators": {"edges": [{"permission": "WRITE", "node": {"login": "Alice"}}]},
                "branchProtectionRules": {"nodes": []},
                "pullRequest": {
                    "number": 3, "state": "OPEN", "author": {"login": "alice"},
                    "labels": {"nodes": [{"name": "size/XS"}]},
                    "reviewRequests": {"nodes": [{"requestedReviewer": {"login": "bob"}}]},
                    "comments": {"nodes": [
                        {"databaseId": 7, "body": "mine", "author": {"login": "bot"}},
                        {"databaseId": 8, "body": "theirs", "author": {"login": "alice"}}]},
                    "commits": {"nodes": [{"commit": {"oid": "abc", "statusCheckRollup": {
                        "contexts": {"nodes": [
                            {"__typename": "CheckRun", "databaseId": 1, "name": "tox",
                             "status": "COMPLETED", "conclusion": "SUCCESS"},
                            {"__typename": "StatusContext", "context": "ci", "state": "PENDING"}]}}}}]}
                }
            }
        });
        let data = parse(&answer).unwrap();
        assert_eq!(data.collaborators["alice"], "WRITE");
        assert_eq!(data.config_text.as_deref(), Some("minimum-lgtm: 2\n"));
        let pull = data.pull;
        assert_eq!(
            pull.our_comments,
            vec![Comment {
                id: 7,
                body: "mine".into()
            }]
        );
        assert_eq!(pull.requested_reviewers, vec!["bob".to_string()]);
        assert_eq!(pull.check_runs[0].name, "tox");
        assert_eq!(pull.statuses[0].context, "ci");
        assert!(pull.labels.contains("size/XS"));
    }
}
