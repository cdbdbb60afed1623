//! The world rendered to JSON in GitHub's REST and webhook shapes.

use serde_json::{Value, json};

use super::records::{
    CheckRun, Comment, CommitStatus, DeliveryRecord, Hook, Issue, Label, Reaction, Repo, Review,
};
use super::stamps::node_id;
use super::state::World;
use crate::git::FileChange;

impl World {
    pub fn user_json(&self, login: &str) -> Value {
        let id = self.users.get(login).copied().unwrap_or(0);
        // As on GitHub, an App's `[bot]` is percent-encoded in its URLs.
        let path = login.replace('[', "%5B").replace(']', "%5D");
        let api = format!("{}/users/{path}", self.api_base);
        let kind = if login.ends_with("[bot]") {
            "Bot"
        } else {
            "User"
        };
        json!({
            "login": login, "id": id, "node_id": node_id("U", id),
            "avatar_url": format!("{}/avatars/{path}", self.api_base), "gravatar_id": "",
            "url": api, "html_url": format!("{}/{path}", self.api_base),
            "followers_url": format!("{api}/followers"),
            "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"),
            "organizations_url": format!("{api}/orgs"), "repos_url": format!("{api}/repos"),
            "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"),
            "type": kind, "site_admin": false,
        })
    }

    /// `GET /user`: the public profile of the token's user.
    pub fn profile_json(&self, login: &str) -> Value {
        let mut v = self.user_json(login);
        for (key, value) in [
            ("name", Value::Null),
            ("company", Value::Null),
            ("blog", json!("")),
            ("location", Value::Null),
            ("email", Value::Null),
            ("hireable", Value::Null),
            ("bio", Value::Null),
            ("public_repos", json!(0)),
            ("public_gists", json!(0)),
            ("followers", json!(0)),
            ("following", json!(0)),
            ("created_at", json!("2020-01-01T00:00:00Z")),
            ("updated_at", json!("2020-01-01T00:00:00Z")),
        ] {
            v[key] = value;
        }
        v
    }

    pub fn repo_json(&self, repo: &Repo) -> Value {
        let full = format!("{}/{}", repo.owner, repo.name);
        let api = format!("{}/repos/{full}", self.api_base);
        let mut v = json!({
            "id": repo.id, "node_id": node_id("R", repo.id), "name": repo.name,
            "full_name": full, "private": repo.private, "owner": self.user_json(&repo.owner),
            "html_url": format!("{}/{full}", self.api_base), "description": null,
            "fork": false, "url": api,
            "created_at": repo.created_at, "updated_at": repo.created_at,
            "pushed_at": repo.created_at,
            "git_url": format!("file://{}", repo.git.path().display()),
            "ssh_url": format!("file://{}", repo.git.path().display()),
            "clone_url": format!("file://{}", repo.git.path().display()),
            "svn_url": format!("{}/{full}", self.api_base), "homepage": null, "size": 0,
            "stargazers_count": 0, "watchers_count": 0, "language": null,
            "has_issues": true, "has_projects": false, "has_downloads": true,
            "has_wiki": false, "has_pages": false, "has_discussions": false,
            "forks_count": 0, "mirror_url": null, "archived": false, "disabled": false,
            "open_issues_count": repo.issues.values().filter(|i| i.state == "open").count(),
            "license": null, "allow_forking": true, "is_template": false,
            "web_commit_signoff_required": false, "topics": [],
            "visibility": if repo.private { "private" } else { "public" },
            "forks": 0, "open_issues": repo.issues.values().filter(|i| i.state == "open").count(),
            "watchers": 0, "default_branch": repo.default_branch,
            "network_count": 0, "subscribers_count": 0,
        });
        for (key, path) in REPO_URLS {
            v[*key] = Value::String(format!("{api}{path}"));
        }
        for (key, value) in &repo.settings {
            v[key] = value.clone();
        }
        v
    }

    pub fn label_json(&self, repo: &Repo, label: &Label) -> Value {
        json!({
            "id": label.id, "node_id": node_id("L", label.id),
            "url": format!("{}/repos/{}/{}/labels/{}", self.api_base, repo.owner, repo.name, label.name),
            "name": label.name, "color": label.color, "default": false,
            "description": label.description,
        })
    }

    fn labels_json(&self, repo: &Repo, names: &[String]) -> Value {
        Value::Array(
            names
                .iter()
                .filter_map(|n| repo.labels.get(n))
                .map(|l| self.label_json(repo, l))
                .collect(),
        )
    }

    pub fn issue_json(&self, repo: &Repo, issue: &Issue) -> Value {
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        let n = issue.number;
        let comments = repo.comments.values().filter(|c| c.issue == n).count();
        let mut v = json!({
            "id": issue.id, "node_id": node_id("I", issue.id),
            "url": format!("{api}/issues/{n}"),
            "repository_url": api,
            "labels_url": format!("{api}/issues/{n}/labels{{/name}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "events_url": format!("{api}/issues/{n}/events"),
            "html_url": format!("{html}/issues/{n}"),
            "number": n, "state": issue.state, "state_reason": null, "title": issue.title,
            "body": issue.body, "user": self.user_json(&issue.user),
            "labels": self.labels_json(repo, &issue.labels),
            "assignee": issue.assignees.first().map(|u| self.user_json(u)),
            "assignees": issue.assignees.iter().map(|u| self.user_json(u)).collect::<Vec<_>>(),
            "milestone": null, "locked": false,
            "active_lock_reason": null, "comments": comments,
            "closed_at": issue.closed_at, "created_at": issue.created_at,
            "updated_at": issue.updated_at, "author_association": association(repo, &issue.user),
            "reactions": reaction_rollup(&format!("{api}/issues/{n}/reactions"), &[]),
            "timeline_url": format!("{api}/issues/{n}/timeline"),
            "performed_via_github_app": null,
        });
        if let Some(pull) = &issue.pull {
            v["pull_request"] = json!({
                "url": format!("{api}/pulls/{n}"), "html_url": format!("{html}/pull/{n}"),
                "diff_url": format!("{html}/pull/{n}.diff"),
                "patch_url": format!("{html}/pull/{n}.patch"),
                "merged_at": pull.merged_at,
            });
            v["draft"] = Value::Bool(pull.draft);
        }
        v
    }

    pub fn comment_json(&self, repo: &Repo, comment: &Comment) -> Value {
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        json!({
            "id": comment.id, "node_id": node_id("IC", comment.id),
            "url": format!("{api}/issues/comments/{}", comment.id),
            "html_url": format!("{html}/issues/{}#issuecomment-{}", comment.issue, comment.id),
            "issue_url": format!("{api}/issues/{}", comment.issue),
            "body": comment.body, "user": self.user_json(&comment.user),
            "created_at": comment.created_at, "updated_at": comment.updated_at,
            "author_association": association(repo, &comment.user),
            "reactions": reaction_rollup(
                &format!("{api}/issues/comments/{}/reactions", comment.id),
                &comment.reactions,
            ),
            "performed_via_github_app": null,
        })
    }

    /// A pull request, with what git says about it now.
    pub fn pull_json(&self, repo: &Repo, issue: &Issue) -> Value {
        let pull = issue.pull.as_ref().expect("pull_json takes a pull request");
        let n = issue.number;
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        let head_sha = repo
            .git
            .resolve(&format!("refs/pull/{n}/head"))
            .unwrap_or_default();
        let base_sha = repo
            .git
            .resolve(&format!("refs/heads/{}", pull.base_ref))
            .unwrap_or_default();
        let files = repo
            .git
            .changed_files(&base_sha, &head_sha)
            .unwrap_or_default();
        let state = self.merge_state(repo, issue);
        let mergeable = json!(state.mergeable());
        let commits = repo.git.count_between(&base_sha, &head_sha).unwrap_or(0);
        let branch = |r: &str, sha: &str| {
            json!({
                "label": format!("{}:{r}", repo.owner), "ref": r, "sha": sha,
                "user": self.user_json(&repo.owner), "repo": self.repo_json(repo),
            })
        };
        json!({
            "url": format!("{api}/pulls/{n}"), "id": issue.id, "node_id": node_id("PR", issue.id),
            "html_url": format!("{html}/pull/{n}"), "diff_url": format!("{html}/pull/{n}.diff"),
            "patch_url": format!("{html}/pull/{n}.patch"),
            "issue_url": format!("{api}/issues/{n}"),
            "commits_url": format!("{api}/pulls/{n}/commits"),
            "review_comments_url": format!("{api}/pulls/{n}/comments"),
            "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "statuses_url": format!("{api}/statuses/{head_sha}"),
            "number": n, "state": issue.state, "locked": false, "title": issue.title,
            "user": self.user_json(&issue.user), "body": issue.body,
            // A pull request's labels always carry a description string.
            "labels": self.labels_json(repo, &issue.labels).as_array().map(|l| l.iter().map(|label| {
                let mut label = label.clone();
                if label["description"].is_null() {
                    label["description"] = json!("");
                }
                label
            }).collect::<Vec<_>>()),
            "milestone": null,
            "active_lock_reason": null, "created_at": issue.created_at,
            "updated_at": issue.updated_at, "closed_at": issue.closed_at,
            "merged_at": pull.merged_at, "merge_commit_sha": pull.merge_commit_sha,
            "assignee": issue.assignees.first().map(|u| self.user_json(u)),
            "assignees": issue.assignees.iter().map(|u| self.user_json(u)).collect::<Vec<_>>(),
            "requested_reviewers":
                pull.requested_reviewers.iter().map(|u| self.user_json(u)).collect::<Vec<_>>(),
            "requested_teams": [],
            "head": branch(&pull.head_ref, &head_sha),
            "base": branch(&pull.base_ref, &base_sha),
            "_links": {
                "self": {"href": format!("{api}/pulls/{n}")},
                "html": {"href": format!("{html}/pull/{n}")},
                "issue": {"href": format!("{api}/issues/{n}")},
                "comments": {"href": format!("{api}/issues/{n}/comments")},
                "review_comments": {"href": format!("{api}/pulls/{n}/comments")},
                "review_comment": {"href": format!("{api}/pulls/comments{{/number}}")},
                "commits": {"href": format!("{api}/pulls/{n}/commits")},
                "statuses": {"href": format!("{api}/statuses/{head_sha}")},
            },
            "author_association": association(repo, &issue.user),
            "auto_merge": pull.auto_merge.as_ref().map(|a| json!({
                "enabled_by": self.user_json(&a.enabled_by), "merge_method": a.merge_method,
                "commit_title": format!("{} (#{n})", issue.title), "commit_message": "",
            })),
            "draft": pull.draft,
            "merged": pull.merged_at.is_some(), "mergeable": mergeable,
            "rebaseable": mergeable, "mergeable_state": state.rest(),
            "merged_by": pull.merged_by.as_ref().map(|u| self.user_json(u)),
            "comments": repo.comments.values().filter(|c| c.issue == n).count(),
            "review_comments": 0, "maintainer_can_modify": false, "commits": commits,
            "additions": files.iter().map(|f| f.additions).sum::<u64>(),
            "deletions": files.iter().map(|f| f.deletions).sum::<u64>(),
            "changed_files": files.len(),
        })
    }
}

impl World {
    pub fn hook_json(&self, repo: &Repo, hook: &Hook) -> Value {
        let api = format!(
            "{}/repos/{}/{}/hooks/{}",
            self.api_base, repo.owner, repo.name, hook.id
        );
        let mut config =
            json!({"url": hook.url, "content_type": hook.content_type, "insecure_ssl": "0"});
        if hook.secret.is_some() {
            // GitHub never shows a hook's secret.
            config["secret"] = json!("********");
        }
        let last = self.deliveries.iter().rev().find(|d| d.hook_id == hook.id);
        let (code, status) = match last.and_then(|d| d.status) {
            Some(c) if (200..300).contains(&c) => (json!(c), "active"),
            Some(c) => (json!(c), "failed"),
            None => (Value::Null, "unused"),
        };
        json!({
            "type": "Repository", "id": hook.id, "name": "web", "active": hook.active,
            "events": if hook.events.is_empty() { json!(["*"]) } else { json!(hook.events) },
            "config": config, "updated_at": hook.updated_at, "created_at": hook.created_at,
            "url": api, "test_url": format!("{api}/test"), "ping_url": format!("{api}/pings"),
            "deliveries_url": format!("{api}/deliveries"),
            "last_response": {"code": code, "status": status, "message": null},
        })
    }

    /// A commit in REST's `commit` shape, optionally with its files; None if git lacks it.
    pub fn commit_json(&self, repo: &Repo, rev: &str, with_files: bool) -> Option<Value> {
        let c = repo.git.commit_info(rev).ok()?;
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        let person = |name: &str| self.users.contains_key(name).then(|| self.user_json(name));
        let date = |d: &str| match d.strip_suffix("+00:00") {
            Some(utc) => format!("{utc}Z"),
            None => d.to_string(),
        };
        let mut v = json!({
            "url": format!("{api}/commits/{}", c.sha), "sha": c.sha,
            "node_id": node_id("C", u64::from_str_radix(&c.sha[..12], 16).unwrap_or(0)),
            "html_url": format!("{html}/commit/{}", c.sha),
            "comments_url": format!("{api}/commits/{}/comments", c.sha),
            "commit": {
                "url": format!("{api}/git/commits/{}", c.sha),
                "author": {"name": c.author, "email": c.author_email, "date": date(&c.author_date)},
                "committer": {"name": c.committer, "email": c.committer_email,
                              "date": date(&c.committer_date)},
                "message": c.message, "comment_count": 0,
                "tree": {"sha": c.tree, "url": format!("{api}/git/trees/{}", c.tree)},
                "verification": {"verified": false, "reason": "unsigned", "signature": null,
                                 "payload": null, "verified_at": null},
            },
            "author": person(&c.author), "committer": person(&c.committer),
            "parents": c.parents.iter().map(|p| json!({
                "sha": p, "url": format!("{api}/commits/{p}"),
                "html_url": format!("{html}/commit/{p}"),
            })).collect::<Vec<_>>(),
        });
        if with_files {
            let parent = c.parents.first().cloned();
            let files = match &parent {
                Some(p) => repo.git.diff_files(p, &c.sha).unwrap_or_default(),
                None => Vec::new(),
            };
            let additions: u64 = files.iter().map(|f| f.additions).sum();
            let deletions: u64 = files.iter().map(|f| f.deletions).sum();
            v["stats"] = json!({"additions": additions, "deletions": deletions,
                                "total": additions + deletions});
            v["files"] = Value::Array(
                files
                    .iter()
                    .map(|f| self.diff_entry_json(repo, &c.sha, f))
                    .collect(),
            );
        }
        Some(v)
    }

    /// A changed file in REST's `diff-entry` shape.
    pub fn diff_entry_json(&self, repo: &Repo, sha: &str, f: &FileChange) -> Value {
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let blob = repo
            .git
            .blob_id(if f.status == "removed" { "" } else { sha }, &f.filename)
            .unwrap_or_else(|| "0".repeat(40));
        let mut entry = json!({
            "sha": blob, "filename": f.filename, "status": f.status,
            "additions": f.additions, "deletions": f.deletions,
            "changes": f.additions + f.deletions,
            "blob_url": format!("{html}/blob/{sha}/{}", f.filename),
            "raw_url": format!("{html}/raw/{sha}/{}", f.filename),
            "contents_url": format!("{api}/contents/{}?ref={sha}", f.filename),
        });
        // GitHub leaves `patch` out for binary files rather than sending null.
        if let Some(patch) = &f.patch {
            entry["patch"] = json!(patch);
        }
        entry
    }

    pub fn reaction_json(&self, r: &Reaction) -> Value {
        json!({
            "id": r.id, "node_id": node_id("REA", r.id), "user": self.user_json(&r.user),
            "content": r.content, "created_at": r.created_at,
        })
    }

    pub fn status_json(&self, repo: &Repo, s: &CommitStatus) -> Value {
        json!({
            "url": format!("{}/repos/{}/{}/statuses/{}", self.api_base, repo.owner, repo.name, s.sha),
            "avatar_url": format!("{}/avatars/{}", self.api_base, s.creator),
            "id": s.id, "node_id": node_id("SC", s.id), "state": s.state,
            "description": s.description, "target_url": s.target_url, "context": s.context,
            "created_at": s.created_at, "updated_at": s.created_at,
            "creator": self.user_json(&s.creator),
        })
    }

    pub fn hook_delivery_json(&self, repo: &Repo, d: &DeliveryRecord) -> Value {
        let code = d.status.unwrap_or(0);
        json!({
            "id": d.id, "guid": d.delivery_id, "delivered_at": d.delivered_at,
            "redelivery": d.redelivery, "duration": 0.01,
            "status": if (200..300).contains(&code) { "OK" } else if code == 0 { "pending" } else { "failed" },
            "status_code": code, "event": d.event, "action": d.action,
            "installation_id": null, "repository_id": repo.id, "throttled_at": null,
        })
    }

    pub fn review_json(&self, repo: &Repo, review: &Review) -> Value {
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        json!({
            "id": review.id, "node_id": node_id("PRR", review.id),
            "user": self.user_json(&review.user), "body": review.body,
            "state": review.state,
            "html_url": format!("{html}/pull/{}#pullrequestreview-{}", review.pull, review.id),
            "pull_request_url": format!("{api}/pulls/{}", review.pull),
            "author_association": association(repo, &review.user),
            "_links": {
                "html": {"href": format!("{html}/pull/{}#pullrequestreview-{}", review.pull, review.id)},
                "pull_request": {"href": format!("{api}/pulls/{}", review.pull)},
            },
            "submitted_at": review.submitted_at, "commit_id": review.commit_id,
        })
    }

    /// An app in the `integration` shape: a registered one, or a third-party CI app known only
    /// by the slug its check runs carry.
    pub fn app_json(&self, slug: &str) -> Value {
        let id = self.app_id(slug);
        json!({
            "id": id, "slug": slug, "node_id": node_id("A", id), "name": slug,
            "owner": self.user_json(slug), "description": null,
            "external_url": format!("{}/apps/{slug}", self.api_base),
            "html_url": format!("{}/apps/{slug}", self.api_base),
            "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
            "permissions": {"checks": "write", "contents": "read", "pull_requests": "write"},
            "events": ["check_run", "pull_request"],
        })
    }

    pub fn check_run_json(&self, repo: &Repo, run: &CheckRun) -> Value {
        let api = format!("{}/repos/{}/{}", self.api_base, repo.owner, repo.name);
        let html = format!("{}/{}/{}", self.api_base, repo.owner, repo.name);
        let pulls: Vec<Value> = repo
            .issues
            .values()
            .filter(|i| i.state == "open")
            .filter_map(|i| i.pull.as_ref().map(|p| (i, p)))
            .filter(|(i, _)| {
                repo.git.resolve(&format!("refs/pull/{}/head", i.number)).as_deref()
                    == Some(run.head_sha.as_str())
            })
            .map(|(i, p)| {
                let mini = json!({"id": repo.id, "url": api, "name": repo.name});
                json!({
                    "id": i.id, "number": i.number, "url": format!("{api}/pulls/{}", i.number),
                    "head": {"ref": p.head_ref, "sha": run.head_sha, "repo": mini.clone()},
                    "base": {"ref": p.base_ref,
                             "sha": repo.git.resolve(&format!("refs/heads/{}", p.base_ref)).unwrap_or_default(),
                             "repo": mini},
                })
            })
            .collect();
        json!({
            "id": run.id, "node_id": node_id("CR", run.id), "head_sha": run.head_sha,
            "external_id": "", "url": format!("{api}/check-runs/{}", run.id),
            "html_url": format!("{html}/runs/{}", run.id),
            // GitHub falls back to the run's page when the app gives no details URL.
            "details_url": format!("{html}/runs/{}", run.id),
            "status": run.status, "conclusion": run.conclusion,
            "started_at": run.started_at, "completed_at": run.completed_at,
            "output": {
                "title": run.title, "summary": run.summary, "text": run.text,
                "annotations_count": 0,
                "annotations_url": format!("{api}/check-runs/{}/annotations", run.id),
            },
            "name": run.name,
            "check_suite": {"id": run.id},
            "app": self.app_json(&run.app),
            "pull_requests": pulls,
        })
    }
}

fn association(repo: &Repo, login: &str) -> &'static str {
    if login == repo.owner {
        "OWNER"
    } else if repo.collaborators.contains_key(login) {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

/// The `reactions` summary GitHub embeds in issues and comments.
fn reaction_rollup(url: &str, reactions: &[Reaction]) -> Value {
    let mut v = json!({"url": url, "total_count": reactions.len()});
    for kind in [
        "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes",
    ] {
        v[kind] = json!(reactions.iter().filter(|r| r.content == kind).count());
    }
    v
}

/// The `*_url` fields of a repository object, each under the repository's API URL.
pub const REPO_URLS: &[(&str, &str)] = &[
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];
