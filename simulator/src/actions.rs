//! State changes shared by the admin API (people acting) and REST (the bot acting). Each one
//! emits the deliveries GitHub would send, so the bot's own writes come back as webhooks too.

use serde_json::{Value, json};

use super::git::Changes;
use super::hooks::{Outgoing, emit};
use super::world::{CheckRun, Comment, Label, MergeState, Review, World, now};
use crate::errors::{Outcome, Refusal, internal};
use crate::state::{Sim, repo_key};

pub(super) fn add_comment(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    author: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let id = w.next_id();
        w.user_id(author);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        if !r.issues.contains_key(&number) {
            return Err(Refusal::NotFound);
        }
        let at = now();
        r.comments.insert(
            id,
            Comment {
                id,
                issue: number,
                user: author.to_string(),
                body,
                created_at: at.clone(),
                updated_at: at,
                reactions: Vec::new(),
            },
        );
        let r = &w.repos[&key];
        let comment = w.comment_json(r, &r.comments[&id]);
        let issue = w.issue_json(r, &r.issues[&number]);
        out.extend(emit(
            w,
            &key,
            "issue_comment",
            author,
            json!({"action": "created", "issue": issue, "comment": comment}),
        ));
        Ok(comment)
    })
}

/// Edits a comment as `author`: `issue_comment` `edited` with the previous body.
pub(super) fn edit_comment(
    sim: &Sim,
    owner: &str,
    repo: &str,
    id: u64,
    author: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(author);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let comment = r.comments.get_mut(&id).ok_or(Refusal::NotFound)?;
        if comment.user != author {
            return Err(Refusal::Forbidden(
                "Only the author can edit a comment".into(),
            ));
        }
        let previous = std::mem::replace(&mut comment.body, body);
        comment.updated_at = now();
        let number = comment.issue;
        let r = &w.repos[&key];
        let comment = w.comment_json(r, &r.comments[&id]);
        let issue = w.issue_json(r, &r.issues[&number]);
        out.extend(emit(
            w,
            &key,
            "issue_comment",
            author,
            json!({"action": "edited", "changes": {"body": {"from": previous}},
                   "issue": issue, "comment": comment}),
        ));
        Ok(comment)
    })
}

/// Replays a PR's changes on the current tip of its base, keeping the diff: the head moves
/// (`synchronize`) but the change set is the same, as after a clean rebase.
pub(super) fn rebase_pull(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
) -> Outcome<String> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get(&key).ok_or(Refusal::NotFound)?;
        let pull = r
            .issues
            .get(&number)
            .and_then(|i| i.pull.as_ref())
            .ok_or(Refusal::NotFound)?;
        let (head_ref, base_ref, title) = (
            pull.head_ref.clone(),
            pull.base_ref.clone(),
            r.issues[&number].title.clone(),
        );
        let before = r
            .git
            .resolve(&format!("refs/pull/{number}/head"))
            .ok_or(Refusal::NotFound)?;
        let base = r
            .git
            .resolve(&format!("refs/heads/{base_ref}"))
            .ok_or(Refusal::NotFound)?;
        let tree = r
            .git
            .merge_tree(&base, &before)
            .map_err(internal)?
            .ok_or_else(|| Refusal::Invalid("the pull request does not rebase cleanly".into()))?;
        let after = r
            .git
            .commit_tree(&tree, &[&base], &title, actor)
            .map_err(internal)?;
        r.git
            .set_ref(&format!("refs/heads/{head_ref}"), &after)
            .map_err(internal)?;
        push_event(
            w,
            out,
            &key,
            &format!("refs/heads/{head_ref}"),
            &before,
            &after,
            actor,
        );
        synchronize_heads(w, out, &key, &head_ref, &before, &after, actor);
        Ok(after)
    })
}

/// Opens an issue: `issues` `opened`.
pub(super) fn open_issue(
    sim: &Sim,
    owner: &str,
    repo: &str,
    author: &str,
    title: String,
    body: Option<String>,
    labels: Vec<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    let number = sim.act(|w, out| {
        let id = w.next_id();
        w.user_id(author);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let number = r.next_number;
        r.next_number += 1;
        let at = now();
        r.issues.insert(
            number,
            super::world::Issue {
                id,
                number,
                title,
                body,
                user: author.to_string(),
                state: "open",
                labels: Vec::new(),
                assignees: Vec::new(),
                created_at: at.clone(),
                updated_at: at,
                closed_at: None,
                pull: None,
            },
        );
        let r = &w.repos[&key];
        let issue = w.issue_json(r, &r.issues[&number]);
        out.extend(emit(
            w,
            &key,
            "issues",
            author,
            json!({"action": "opened", "issue": issue}),
        ));
        Ok(number)
    })?;
    if !labels.is_empty() {
        add_labels(sim, owner, repo, number, author, labels)?;
    }
    let w = sim.lock();
    let r = &w.repos[&key];
    Ok(w.issue_json(r, &r.issues[&number]))
}

/// What an issue edit may change.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct IssueEdit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub state: Option<String>,
    /// Pull requests only: retarget onto another branch.
    pub base: Option<String>,
}

/// Edits an issue's title, body or state: `issues` `edited`, `closed` or `reopened`
/// (`pull_request` for pull requests).
pub(super) fn edit_issue(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    edit: IssueEdit,
) -> Outcome<Value> {
    let IssueEdit {
        title,
        body,
        state,
        base,
    } = edit;
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        let mut changes = serde_json::Map::new();
        if let Some(t) = title
            && t != issue.title
        {
            changes.insert(
                "title".into(),
                json!({"from": std::mem::replace(&mut issue.title, t)}),
            );
        }
        if let Some(b) = body
            && Some(&b) != issue.body.as_ref()
        {
            changes.insert("body".into(), json!({"from": issue.body.replace(b)}));
        }
        if let Some(base) = base {
            let old_sha = r.git.resolve(&format!(
                "refs/heads/{}",
                issue
                    .pull
                    .as_ref()
                    .map(|p| p.base_ref.as_str())
                    .unwrap_or_default()
            ));
            if r.git.resolve(&format!("refs/heads/{base}")).is_none() {
                return Err(Refusal::Invalid(format!(
                    "Proposed base branch '{base}' was not found"
                )));
            }
            let pull = issue
                .pull
                .as_mut()
                .ok_or_else(|| Refusal::Invalid("Only pull requests have a base branch".into()))?;
            if pull.base_ref != base {
                let from = std::mem::replace(&mut pull.base_ref, base);
                changes.insert(
                    "base".into(),
                    json!({"ref": {"from": from}, "sha": {"from": old_sha}}),
                );
            }
        }
        let at = now();
        let transition = match state.as_deref() {
            Some("closed") if issue.state == "open" => {
                issue.state = "closed";
                issue.closed_at = Some(at.clone());
                Some("closed")
            }
            Some("open")
                if issue.state == "closed"
                    && issue.pull.as_ref().is_none_or(|p| p.merged_at.is_none()) =>
            {
                issue.state = "open";
                issue.closed_at = None;
                Some("reopened")
            }
            Some("open" | "closed") | None => None,
            Some(other) => return Err(Refusal::Invalid(format!("Invalid state `{other}`"))),
        };
        issue.updated_at = at;
        let is_pull = issue.pull.is_some();
        let r = &w.repos[&key];
        let issue_json = w.issue_json(r, &r.issues[&number]);
        let (event, subject) = if is_pull {
            (
                "pull_request",
                json!({"pull_request": w.pull_json(r, &r.issues[&number]), "number": number}),
            )
        } else {
            ("issues", json!({"issue": issue_json.clone()}))
        };
        let mut emitted = |action: &str, extra: Option<Value>| {
            let mut payload = subject.clone();
            payload["action"] = json!(action);
            if let Some(extra) = extra {
                payload["changes"] = extra;
            }
            out.extend(emit(w, &key, event, actor, payload));
        };
        if !changes.is_empty() {
            emitted("edited", Some(Value::Object(changes)));
        }
        if let Some(action) = transition {
            emitted(action, None);
        }
        Ok(issue_json)
    })
}

/// Creates or updates a repository label (not an event GitHub's server reacts to here).
pub(super) fn upsert_label(
    sim: &Sim,
    owner: &str,
    repo: &str,
    current: Option<&str>,
    name: Option<String>,
    color: Option<String>,
    description: Option<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, _out| {
        let id = w.next_id();
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let label = match current {
            Some(existing) => {
                let mut label = r.labels.remove(existing).ok_or(Refusal::NotFound)?;
                if let Some(n) = name {
                    label.name = n;
                }
                label
            }
            None => {
                let name = name.ok_or_else(|| Refusal::Invalid("name is required".into()))?;
                if r.labels.contains_key(&name) {
                    return Err(Refusal::Invalid(
                        "Validation Failed: label already_exists".into(),
                    ));
                }
                Label {
                    id,
                    name,
                    color: NEW_LABEL_COLOR.to_string(),
                    description: None,
                }
            }
        };
        let mut label = label;
        if let Some(c) = color {
            label.color = c.trim_start_matches('#').to_string();
        }
        if description.is_some() {
            label.description = description;
        }
        let name = label.name.clone();
        r.labels.insert(name.clone(), label);
        let r = &w.repos[&key];
        Ok(w.label_json(r, &r.labels[&name]))
    })
}

/// GitHub's default colour for labels created by being applied.
const NEW_LABEL_COLOR: &str = "ededed";

/// Adds labels (creating unknown ones, as GitHub does); returns the issue's labels.
pub(super) fn add_labels(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    names: Vec<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        if !w
            .repos
            .get(&key)
            .ok_or(Refusal::NotFound)?
            .issues
            .contains_key(&number)
        {
            return Err(Refusal::NotFound);
        }
        for name in names {
            let id = w.next_id();
            let r = w.repos.get_mut(&key).expect("checked above");
            r.labels.entry(name.clone()).or_insert(Label {
                id,
                name: name.clone(),
                color: NEW_LABEL_COLOR.to_string(),
                description: None,
            });
            let issue = r.issues.get_mut(&number).expect("checked above");
            if issue.labels.contains(&name) {
                continue;
            }
            issue.labels.push(name.clone());
            issue.updated_at = now();
            label_event(w, out, &key, number, actor, "labeled", &name);
        }
        let r = &w.repos[&key];
        Ok(w.issue_json(r, &r.issues[&number])["labels"].clone())
    })
}

pub(super) fn remove_label(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    name: &str,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        let Some(pos) = issue.labels.iter().position(|l| l == name) else {
            return Err(Refusal::NotFound);
        };
        issue.labels.remove(pos);
        issue.updated_at = now();
        label_event(w, out, &key, number, actor, "unlabeled", name);
        let r = &w.repos[&key];
        Ok(w.issue_json(r, &r.issues[&number])["labels"].clone())
    })
}

/// `pull_request` labeled/unlabeled for pull requests, `issues` for plain issues.
fn label_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    number: u64,
    actor: &str,
    action: &str,
    name: &str,
) {
    let r = &w.repos[key];
    let issue = &r.issues[&number];
    let label = r.labels.get(name).map(|l| w.label_json(r, l));
    let payload = if issue.pull.is_some() {
        json!({"action": action, "number": number, "label": label,
               "pull_request": w.pull_json(r, issue)})
    } else {
        json!({"action": action, "label": label, "issue": w.issue_json(r, issue)})
    };
    let event = if issue.pull.is_some() {
        "pull_request"
    } else {
        "issues"
    };
    out.extend(emit(w, key, event, actor, payload));
}

pub(super) fn submit_review(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    state: &str,
    body: String,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let id = w.next_id();
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get(&number).ok_or(Refusal::NotFound)?;
        if issue.pull.is_none() {
            return Err(Refusal::NotFound);
        }
        if issue.user == actor && state != "COMMENTED" {
            return Err(Refusal::Invalid(
                "Can not approve or request changes on your own pull request".into(),
            ));
        }
        let commit_id = r
            .git
            .resolve(&format!("refs/pull/{number}/head"))
            .unwrap_or_default();
        r.reviews.insert(
            id,
            Review {
                id,
                pull: number,
                user: actor.to_string(),
                state: state.to_string(),
                body,
                commit_id,
                submitted_at: now(),
            },
        );
        let review = review_event(w, out, &key, number, id, actor, "submitted");
        super::requirements::merge_ready(w, out, &key);
        Ok(review)
    })
}

/// What a check-run write may set.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct CheckRunFields {
    pub name: Option<String>,
    pub head_sha: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub output: Option<CheckRunOutput>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct CheckRunOutput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
}

const CONCLUSIONS: &[&str] = &[
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
];

/// Creates (no `id`) or updates a check run owned by `app`.
pub(super) fn write_check_run(
    sim: &Sim,
    owner: &str,
    repo: &str,
    app: &str,
    id: Option<u64>,
    fields: CheckRunFields,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let new_id = w.next_id();
        w.user_id(&format!("{app}[bot]"));
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        if let Some(c) = &fields.conclusion
            && !CONCLUSIONS.contains(&c.as_str())
        {
            return Err(Refusal::Invalid(format!("Invalid conclusion `{c}`")));
        }
        let (run_id, created) = match id {
            Some(id) => {
                if !r.check_runs.contains_key(&id) {
                    return Err(Refusal::NotFound);
                }
                (id, false)
            }
            None => {
                let (Some(name), Some(head_sha)) = (&fields.name, &fields.head_sha) else {
                    return Err(Refusal::Invalid("name and head_sha are required".into()));
                };
                let head = r
                    .git
                    .resolve(head_sha)
                    .ok_or_else(|| Refusal::Invalid("No commit found for SHA".into()))?;
                r.check_runs.insert(
                    new_id,
                    CheckRun {
                        id: new_id,
                        name: name.clone(),
                        head_sha: head,
                        status: "queued".into(),
                        conclusion: None,
                        app: app.to_string(),
                        started_at: now(),
                        completed_at: None,
                        title: None,
                        summary: None,
                        text: None,
                    },
                );
                (new_id, true)
            }
        };
        let run = r.check_runs.get_mut(&run_id).expect("present");
        let was_completed = run.status == "completed";
        if let Some(name) = fields.name {
            run.name = name;
        }
        if let Some(status) = fields.status {
            run.status = status;
        }
        if let Some(conclusion) = fields.conclusion {
            // A conclusion completes the run, as on GitHub.
            run.conclusion = Some(conclusion);
            run.status = "completed".into();
        }
        if run.status == "completed" && run.completed_at.is_none() {
            run.completed_at = Some(now());
        }
        if let Some(o) = fields.output {
            run.title = o.title.or(run.title.take());
            run.summary = o.summary.or(run.summary.take());
            run.text = o.text.or(run.text.take());
        }
        let completed_now = run.status == "completed" && !was_completed;
        let r = &w.repos[&key];
        let json = w.check_run_json(r, &r.check_runs[&run_id]);
        let sender = format!("{app}[bot]");
        let actions = [("created", created), ("completed", completed_now)];
        for (action, happened) in actions {
            if happened {
                let payload = json!({"action": action, "check_run": json.clone()});
                out.extend(emit(w, &key, "check_run", &sender, payload));
            }
        }
        if completed_now {
            super::requirements::merge_ready(w, out, &key);
        }
        Ok(json)
    })
}

/// Merges a pull request into its base; `sha`, when given, must be the current head.
pub(super) fn merge_pull(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    method: &str,
    sha: Option<&str>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| merge_locked(w, out, &key, number, actor, method, sha))
}

/// Merges with the world locked: for the merge endpoint and for native auto-merge.
pub(super) fn merge_locked(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    number: u64,
    actor: &str,
    method: &str,
    sha: Option<&str>,
) -> Outcome<Value> {
    w.user_id(actor);
    let state = {
        let r = w.repos.get(key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get(&number).ok_or(Refusal::NotFound)?;
        w.merge_state(r, issue)
    };
    let r = w.repos.get_mut(key).ok_or(Refusal::NotFound)?;
    let issue = r.issues.get(&number).ok_or(Refusal::NotFound)?;
    let pull = issue.pull.as_ref().ok_or(Refusal::NotFound)?;
    if issue.state != "open" {
        return Err(Refusal::NotAllowed("Pull Request is not mergeable".into()));
    }
    match state {
        MergeState::Blocked => {
            return Err(Refusal::NotAllowed(
                "Required status checks or approving reviews are missing".into(),
            ));
        }
        MergeState::Behind => {
            return Err(Refusal::NotAllowed("Head branch is out of date".into()));
        }
        MergeState::Draft => {
            return Err(Refusal::NotAllowed("Pull Request is still a draft".into()));
        }
        _ => {}
    }
    let head = r
        .git
        .resolve(&format!("refs/pull/{number}/head"))
        .ok_or(Refusal::NotFound)?;
    if let Some(expected) = sha
        && expected != head
    {
        return Err(Refusal::Conflict(
            "Head branch was modified. Review and try the merge again.".into(),
        ));
    }
    let base_ref = pull.base_ref.clone();
    let title = issue.title.clone();
    let base = r
        .git
        .resolve(&format!("refs/heads/{base_ref}"))
        .ok_or(Refusal::NotFound)?;
    let tree = r
        .git
        .merge_tree(&base, &head)
        .map_err(internal)?
        .ok_or_else(|| Refusal::NotAllowed("Pull Request is not mergeable".into()))?;
    let message = format!("{title} (#{number})");
    let merged = match method {
        "merge" => r.git.commit_tree(&tree, &[&base, &head], &message, actor),
        "squash" | "rebase" => r.git.commit_tree(&tree, &[&base], &message, actor),
        other => return Err(Refusal::Invalid(format!("Invalid merge_method `{other}`"))),
    }
    .map_err(internal)?;
    r.git
        .set_ref(&format!("refs/heads/{base_ref}"), &merged)
        .map_err(internal)?;
    let at = now();
    let issue = r.issues.get_mut(&number).expect("present");
    issue.state = "closed";
    issue.closed_at = Some(at.clone());
    issue.updated_at = at.clone();
    let pull = issue.pull.as_mut().expect("present");
    pull.merged_at = Some(at);
    pull.merge_commit_sha = Some(merged.clone());
    pull.merged_by = Some(actor.to_string());
    pull.auto_merge = None;
    let r = &w.repos[key];
    let pull = w.pull_json(r, &r.issues[&number]);
    out.extend(emit(
        w,
        key,
        "pull_request",
        actor,
        json!({"action": "closed", "number": number, "pull_request": pull}),
    ));
    push_event(
        w,
        out,
        key,
        &format!("refs/heads/{base_ref}"),
        &base,
        &merged,
        actor,
    );
    Ok(json!({"sha": merged, "merged": true, "message": "Pull Request successfully merged"}))
}

pub(super) fn close_pull(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
) -> Outcome<()> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        if issue.state == "closed" {
            return Ok(());
        }
        let at = now();
        issue.state = "closed";
        issue.closed_at = Some(at.clone());
        issue.updated_at = at;
        let r = &w.repos[&key];
        let issue = &r.issues[&number];
        let (event, payload) = if issue.pull.is_some() {
            (
                "pull_request",
                json!({"action": "closed", "number": number, "pull_request": w.pull_json(r, issue)}),
            )
        } else {
            (
                "issues",
                json!({"action": "closed", "issue": w.issue_json(r, issue)}),
            )
        };
        out.extend(emit(w, &key, event, actor, payload));
        Ok(())
    })
}

/// Points `refs/{heads|tags}/name` at `from` (a ref or sha): `create` and `push` events.
pub(super) fn create_ref(
    sim: &Sim,
    owner: &str,
    repo: &str,
    actor: &str,
    kind: &str,
    name: &str,
    from: &str,
) -> Outcome<String> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get(&key).ok_or(Refusal::NotFound)?;
        let full = format!(
            "refs/{}/{name}",
            if kind == "tag" { "tags" } else { "heads" }
        );
        if r.git.resolve(&full).is_some() {
            return Err(Refusal::Invalid("Reference already exists".into()));
        }
        let sha = r
            .git
            .resolve(from)
            .ok_or_else(|| Refusal::Invalid(format!("No commit found for `{from}`")))?;
        r.git.set_ref(&full, &sha).map_err(internal)?;
        let default_branch = r.default_branch.clone();
        out.extend(emit(
            w,
            &key,
            "create",
            actor,
            json!({
                "ref": name, "ref_type": kind, "master_branch": default_branch,
                "description": null, "pusher_type": "user",
            }),
        ));
        push_event(w, out, &key, &full, &"0".repeat(40), &sha, actor);
        Ok(sha)
    })
}

/// A commit on a branch, as if pushed: `push`, and `synchronize` for PRs whose head it is.
pub(super) fn commit_to_branch(
    sim: &Sim,
    owner: &str,
    repo: &str,
    actor: &str,
    branch: &str,
    files: &Changes,
    message: &str,
) -> Outcome<String> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get(&key).ok_or(Refusal::NotFound)?;
        let full = format!("refs/heads/{branch}");
        let before = r.git.resolve(&full).ok_or(Refusal::NotFound)?;
        let after = r
            .git
            .commit(Some(&before), files, message, actor)
            .map_err(internal)?;
        r.git.set_ref(&full, &after).map_err(internal)?;
        push_event(w, out, &key, &full, &before, &after, actor);
        synchronize_heads(w, out, &key, branch, &before, &after, actor);
        Ok(after)
    })
}

/// Refs a git client pushed (already moved in the repository): `push` for each, and
/// `synchronize` for the open PRs whose head branch moved. The repository owner stands in for
/// the pusher, whom a `file://` push does not identify.
pub(super) fn pushed(
    sim: &Sim,
    owner: &str,
    repo: &str,
    updates: &[(String, String, String)],
) -> Outcome<()> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let pusher = w.repos.get(&key).ok_or(Refusal::NotFound)?.owner.clone();
        for (before, after, full_ref) in updates {
            push_event(w, out, &key, full_ref, before, after, &pusher);
            let deleted = after.bytes().all(|b| b == b'0');
            if let Some(branch) = full_ref.strip_prefix("refs/heads/")
                && !deleted
            {
                synchronize_heads(w, out, &key, branch, before, after, &pusher);
            }
        }
        Ok(())
    })
}

/// Moves `refs/pull/N/head` of open PRs from `branch` to `after` and emits `synchronize`.
pub(super) fn synchronize_heads(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    branch: &str,
    before: &str,
    after: &str,
    actor: &str,
) {
    let numbers: Vec<u64> = w.repos[key]
        .issues
        .values()
        .filter(|i| i.state == "open")
        .filter(|i| i.pull.as_ref().is_some_and(|p| p.head_ref == branch))
        .map(|i| i.number)
        .collect();
    for n in numbers {
        let r = w.repos.get_mut(key).expect("present");
        if r.git
            .set_ref(&format!("refs/pull/{n}/head"), after)
            .is_err()
        {
            continue;
        }
        if let Some(issue) = r.issues.get_mut(&n) {
            issue.updated_at = now();
        }
        let r = &w.repos[key];
        let pull = w.pull_json(r, &r.issues[&n]);
        out.extend(emit(
            w,
            key,
            "pull_request",
            actor,
            json!({
                "action": "synchronize", "number": n, "before": before, "after": after,
                "pull_request": pull,
            }),
        ));
    }
}

fn push_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    full_ref: &str,
    before: &str,
    after: &str,
    actor: &str,
) {
    if let (Some(r), Some(branch)) = (w.repos.get_mut(key), full_ref.strip_prefix("refs/heads/")) {
        r.branch_moved
            .insert(branch.to_string(), std::time::Instant::now());
    }
    let r = &w.repos[key];
    let html = format!("{}/{}/{}", w.api_base, r.owner, r.name);
    let email = format!("{actor}@users.noreply.github.com");
    let created = before.bytes().all(|b| b == b'0');
    let deleted = after.bytes().all(|b| b == b'0');
    let head_commit = json!({
        "id": after, "tree_id": r.git.tree_of(after).unwrap_or_default(), "distinct": true,
        "message": "", "timestamp": now(), "url": format!("{html}/commit/{after}"),
        "author": {"name": actor, "email": email, "username": actor},
        "committer": {"name": actor, "email": email, "username": actor},
        "added": [], "removed": [], "modified": [],
    });
    out.extend(emit(
        w,
        key,
        "push",
        actor,
        json!({
            "ref": full_ref, "before": before, "after": after, "created": created,
            "deleted": deleted, "forced": false, "base_ref": null,
            "compare": format!("{html}/compare/{before}...{after}"),
            "commits": if created || deleted { json!([]) } else { json!([head_commit.clone()]) },
            "head_commit": if deleted { Value::Null } else { head_commit },
            "pusher": {"name": actor, "email": email},
        }),
    ));
}

/// Requests reviews: `pull_request` `review_requested`, once per newly requested user.
pub(super) fn request_reviewers(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    reviewers: Vec<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        for login in &reviewers {
            w.user_id(login);
        }
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        let author = issue.user.clone();
        let pull = issue.pull.as_mut().ok_or(Refusal::NotFound)?;
        if reviewers.contains(&author) {
            return Err(Refusal::Invalid(
                "Review cannot be requested from pull request author.".into(),
            ));
        }
        // GitHub refuses the whole request when one login has no access.
        if reviewers
            .iter()
            .any(|u| *u != r.owner && !r.collaborators.contains_key(u))
        {
            return Err(Refusal::Invalid(format!(
                "Reviews may only be requested from collaborators. One or more of the users or \
                 teams you specified is not a collaborator of the {key} repository."
            )));
        }
        let fresh: Vec<String> = reviewers
            .into_iter()
            .filter(|u| !pull.requested_reviewers.contains(u))
            .collect();
        pull.requested_reviewers.extend(fresh.iter().cloned());
        let r = &w.repos[&key];
        let pull = w.pull_json(r, &r.issues[&number]);
        for login in &fresh {
            out.extend(emit(
                w,
                &key,
                "pull_request",
                actor,
                json!({"action": "review_requested", "number": number,
                       "requested_reviewer": w.user_json(login), "pull_request": pull.clone()}),
            ));
        }
        Ok(pull)
    })
}

/// Adds assignees: `assigned` on `issues` or `pull_request`, once per new assignee.
pub(super) fn assign(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    actor: &str,
    assignees: Vec<String>,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        // GitHub silently skips users who cannot be assigned (not collaborators).
        let owner_login = r.owner.clone();
        let assignable: Vec<String> = assignees
            .into_iter()
            .filter(|u| *u == owner_login || r.collaborators.contains_key(u))
            .collect();
        let issue = r.issues.get_mut(&number).ok_or(Refusal::NotFound)?;
        let fresh: Vec<String> = assignable
            .into_iter()
            .filter(|u| !issue.assignees.contains(u))
            .collect();
        issue.assignees.extend(fresh.iter().cloned());
        let r = &w.repos[&key];
        let issue = &r.issues[&number];
        let issue_json = w.issue_json(r, issue);
        let (event, subject) = if issue.pull.is_some() {
            (
                "pull_request",
                json!({"number": number, "pull_request": w.pull_json(r, issue)}),
            )
        } else {
            ("issues", json!({"issue": issue_json.clone()}))
        };
        for login in &fresh {
            let mut payload = subject.clone();
            payload["action"] = json!("assigned");
            payload["assignee"] = w.user_json(login);
            out.extend(emit(w, &key, event, actor, payload));
        }
        Ok(issue_json)
    })
}

const REACTIONS: &[&str] = &[
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

/// Reacts to an issue comment; the same reaction twice is answered with the first (200).
pub(super) fn react(
    sim: &Sim,
    owner: &str,
    repo: &str,
    comment_id: u64,
    actor: &str,
    content: &str,
) -> Outcome<(bool, Value)> {
    let key = repo_key(owner, repo);
    sim.act(|w, _out| {
        if !REACTIONS.contains(&content) {
            return Err(Refusal::Invalid(format!("Invalid reaction `{content}`")));
        }
        let id = w.next_id();
        w.user_id(actor);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let comment = r.comments.get_mut(&comment_id).ok_or(Refusal::NotFound)?;
        let existing = comment
            .reactions
            .iter()
            .position(|x| x.user == actor && x.content == content);
        let (created, index) = match existing {
            Some(i) => (false, i),
            None => {
                comment.reactions.push(super::world::Reaction {
                    id,
                    user: actor.to_string(),
                    content: content.to_string(),
                    created_at: now(),
                });
                (true, comment.reactions.len() - 1)
            }
        };
        let reaction = &w.repos[&key].comments[&comment_id].reactions[index];
        Ok((created, w.reaction_json(reaction)))
    })
}

/// Dismisses a review: its state becomes DISMISSED (it no longer counts) and
/// `pull_request_review` `dismissed` is sent.
pub(super) fn dismiss_review(
    sim: &Sim,
    owner: &str,
    repo: &str,
    number: u64,
    review_id: u64,
    actor: &str,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        if !w.can_write(&key, actor) {
            return Err(Refusal::Forbidden(
                "You do not have permission to dismiss this review".into(),
            ));
        }
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let review = r
            .reviews
            .get_mut(&review_id)
            .filter(|rv| rv.pull == number)
            .ok_or(Refusal::NotFound)?;
        if !matches!(review.state.as_str(), "APPROVED" | "CHANGES_REQUESTED") {
            return Err(Refusal::Invalid(
                "Can not dismiss a commented pull request review".into(),
            ));
        }
        review.state = "DISMISSED".into();
        let review = review_event(w, out, &key, number, review_id, actor, "dismissed");
        Ok(review)
    })
}

/// Sends `pull_request_review` `action` for a review; returns the review as REST shows it.
/// Webhooks carry the state in lower case (`approved`), REST in upper case (`APPROVED`).
fn review_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    number: u64,
    review_id: u64,
    actor: &str,
    action: &str,
) -> Value {
    let r = &w.repos[key];
    let review = w.review_json(r, &r.reviews[&review_id]);
    let mut delivered = review.clone();
    if let Some(state) = review["state"].as_str() {
        delivered["state"] = json!(state.to_ascii_lowercase());
    }
    let pull = w.pull_json(r, &r.issues[&number]);
    out.extend(emit(
        w,
        key,
        "pull_request_review",
        actor,
        json!({"action": action, "review": delivered, "pull_request": pull}),
    ));
    review
}
