//! The snapshot from GitHub's answers: the RepositoryData query, the compare answer, and which
//! OWNERS files can govern a change.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use serde_json::Value;

use super::model::{
    AuthoredComment, ChangedFile, CheckRun, Comment, OWNERS_ALIASES, OwnIssue, ProtectionRule,
    PullRequest, RepositoryData, Review, Status, Thread,
};

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
pub(super) fn compare_files(compare: &Value) -> Vec<ChangedFile> {
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

pub(super) fn files(connection: &Value) -> Vec<ChangedFile> {
    nodes(connection)
        .map(|f| ChangedFile {
            path: text(&f["path"]),
            additions: count(&f["additions"]),
            deletions: count(&f["deletions"]),
            change_type: text(&f["changeType"]),
        })
        .collect()
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
        our_issues: Vec::new(),
    })
}

/// Whether `viewer` wrote `node` (a comment or an issue).
fn by_viewer(node: &Value, viewer: Option<&str>) -> bool {
    // GraphQL names an App's bot by its slug, while `viewer` says `<slug>[bot]`.
    let author = node["author"]["login"].as_str().unwrap_or_default();
    viewer.is_some_and(|v| v.strip_suffix("[bot]").unwrap_or(v) == author)
}

/// The issues of an `issues` connection that `viewer` opened.
pub(super) fn own_issues(connection: &Value, viewer: Option<&str>) -> Vec<OwnIssue> {
    nodes(connection)
        .filter(|i| by_viewer(i, viewer))
        .filter_map(|i| {
            Some(OwnIssue {
                number: i["number"].as_u64()?,
                body: text(&i["body"]),
            })
        })
        .collect()
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
            .filter(|c| by_viewer(c, viewer))
            .map(|c| Comment {
                id: count(&c["databaseId"]),
                body: text(&c["body"]),
            })
            .collect(),
        grant_comments: nodes(&pr["comments"])
            .filter(|c| !by_viewer(c, viewer))
            .filter(|c| {
                text(&c["body"])
                    .to_ascii_lowercase()
                    .contains("/add-allowed-user")
            })
            .map(|c| AuthoredComment {
                author: text(&c["author"]["login"]),
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
    use serde_json::json;

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
