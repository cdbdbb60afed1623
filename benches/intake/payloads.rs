//! GitHub-shaped `pull_request` deliveries, signed, spread over many pull requests.

use std::sync::Arc;

use axum::body::Bytes;
use github_simulator::{REPO_URLS, sign};

use super::SECRET;

/// Deliveries are spread over this many PRs, as on a busy repository.
pub const PULL_REQUESTS: u64 = 64;

fn user(login: &str, id: u64) -> serde_json::Value {
    let api = format!("https://api.github.com/users/{login}");
    serde_json::json!({
        "login": login, "id": id, "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "", "url": api, "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"), "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User", "site_admin": false,
    })
}

/// A repository object with every field GitHub sends (three of these make up most of a
/// pull_request payload).
fn repo(owner: &str, name: &str, id: u64) -> serde_json::Value {
    let api = format!("https://api.github.com/repos/{owner}/{name}");
    let mut r = serde_json::json!({
        "id": id, "node_id": format!("MDEwOlJlcG9zaXRvcnk{id}"), "name": name,
        "full_name": format!("{owner}/{name}"), "private": false, "owner": user(owner, id + 7),
        "html_url": format!("https://github.com/{owner}/{name}"),
        "description": "Automation for pull requests", "fork": false, "url": api,
        "created_at": "2019-05-15T15:19:25Z", "updated_at": "2019-05-15T15:19:27Z",
        "pushed_at": "2019-05-15T15:20:32Z",
        "git_url": format!("git://github.com/{owner}/{name}.git"),
        "ssh_url": format!("git@github.com:{owner}/{name}.git"),
        "clone_url": format!("https://github.com/{owner}/{name}.git"),
        "svn_url": format!("https://github.com/{owner}/{name}"), "homepage": null,
        "size": 0, "stargazers_count": 0, "watchers_count": 0, "language": "Rust",
        "has_issues": true, "has_projects": true, "has_downloads": true, "has_wiki": true,
        "has_pages": true, "forks_count": 0, "mirror_url": null, "archived": false,
        "disabled": false, "open_issues_count": 2, "license": null, "forks": 0,
        "open_issues": 2, "watchers": 0, "default_branch": "main",
    });
    for (key, path) in REPO_URLS {
        r[*key] = serde_json::Value::String(format!("{api}{path}"));
    }
    r
}

/// Prose that compresses like a real PR description, not like one sentence repeated.
fn description(seed: u64, bytes: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "webhook",
        "handler",
        "now",
        "retries",
        "when",
        "GitHub",
        "answers",
        "with",
        "a",
        "secondary",
        "rate",
        "limit",
        "and",
        "we",
        "keep",
        "label",
        "state",
        "per",
        "pull",
        "request",
        "so",
        "that",
        "replays",
        "are",
        "idempotent",
        "this",
        "change",
        "also",
        "fixes",
        "flaky",
        "tests",
        "in",
        "queue",
        "ordering",
        "see",
        "issue",
        "migration",
        "config",
        "reviewers",
        "OWNERS",
        "approvers",
        "merge",
        "conflict",
        "rebase",
        "branch",
        "protection",
        "checks",
        "tox",
        "container",
        "build",
        "release",
    ];
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::with_capacity(bytes + 16);
    while out.len() < bytes {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(WORDS[(state >> 33) as usize % WORDS.len()]);
        out.push(if (state >> 20).is_multiple_of(17) {
            '\n'
        } else {
            ' '
        });
    }
    out.truncate(bytes);
    out
}

/// A `pull_request` `opened` delivery shaped like GitHub's (real ones are ~21 KB), 20 KB long.
fn payload(number: u64) -> Vec<u8> {
    let author = user("alice", 21031067);
    let base_repo = repo("acme", "widgets", 186853002);
    let head_repo = repo("alice", "widgets", 186853003);
    let api = "https://api.github.com/repos/acme/widgets";
    let mut v = serde_json::json!({
        "action": "opened",
        "number": number,
        "pull_request": {
            "url": format!("{api}/pulls/{number}"), "id": 279147437 + number,
            "node_id": format!("MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM{number}"),
            "html_url": format!("https://github.com/acme/widgets/pull/{number}"),
            "diff_url": format!("https://github.com/acme/widgets/pull/{number}.diff"),
            "patch_url": format!("https://github.com/acme/widgets/pull/{number}.patch"),
            "issue_url": format!("{api}/issues/{number}"), "number": number,
            "state": "open", "locked": false, "title": "feat: retry on secondary rate limits",
            "user": author, "body": "", "created_at": "2019-05-15T15:20:33Z",
            "updated_at": "2019-05-15T15:20:33Z", "closed_at": null, "merged_at": null,
            "merge_commit_sha": null, "assignee": null, "assignees": [],
            "requested_reviewers": [], "requested_teams": [], "labels": [], "milestone": null,
            "commits_url": format!("{api}/pulls/{number}/commits"),
            "review_comments_url": format!("{api}/pulls/{number}/comments"),
            "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
            "comments_url": format!("{api}/issues/{number}/comments"),
            "statuses_url": format!("{api}/statuses/ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
            "head": {"label": "alice:feature", "ref": "feature",
                     "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "user": user("alice", 21031067),
                     "repo": head_repo},
            "base": {"label": "acme:main", "ref": "main",
                     "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "user": user("acme", 21031074),
                     "repo": base_repo.clone()},
            "_links": {
                "self": {"href": format!("{api}/pulls/{number}")},
                "html": {"href": format!("https://github.com/acme/widgets/pull/{number}")},
                "issue": {"href": format!("{api}/issues/{number}")},
                "comments": {"href": format!("{api}/issues/{number}/comments")},
                "review_comments": {"href": format!("{api}/pulls/{number}/comments")},
                "review_comment": {"href": format!("{api}/pulls/comments{{/number}}")},
                "commits": {"href": format!("{api}/pulls/{number}/commits")},
                "statuses": {"href": format!("{api}/statuses/ec26c3e57ca3a959ca5aad62de7213c562f8c821")},
            },
            "author_association": "CONTRIBUTOR", "draft": false, "merged": false,
            "mergeable": null, "rebaseable": null, "mergeable_state": "unknown",
            "merged_by": null, "comments": 0, "review_comments": 0,
            "maintainer_can_modify": true, "commits": 3, "additions": 120, "deletions": 14,
            "changed_files": 5,
        },
        "repository": base_repo,
        "sender": user("alice", 21031067),
    });
    let base = serde_json::to_vec(&v).unwrap().len();
    v["pull_request"]["body"] = serde_json::Value::String(description(number, 20 * 1024 - base));
    let body = serde_json::to_vec(&v).unwrap();
    assert!(body.len().abs_diff(20 * 1024) < 64, "{} bytes", body.len());
    body
}

/// One signed delivery per PR.
pub fn signed_bodies() -> Arc<Vec<(Bytes, String)>> {
    Arc::new(
        (1..=PULL_REQUESTS)
            .map(|n| {
                let body = Bytes::from(payload(n));
                let signature = sign(SECRET, &body);
                (body, signature)
            })
            .collect(),
    )
}
