//! Refs that move: created branches and tags, commits on a branch, pushes from git clients,
//! and the pull requests whose heads move with them.

use serde_json::{Value, json};

use crate::errors::{Outcome, Refusal, internal};
use crate::git::Changes;
use crate::hooks::{Outgoing, emit};
use crate::state::{Sim, repo_key};
use crate::world::{World, now};

/// Points `refs/{heads|tags}/name` at `from` (a ref or sha): `create` and `push` events.
pub(crate) fn create_ref(
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
pub(crate) fn commit_to_branch(
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
pub(crate) fn pushed(
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

pub(super) fn push_event(
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
