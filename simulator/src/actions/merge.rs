//! Landing a pull request's changes on its base: merging it, and rebasing it onto the
//! base's tip.

use serde_json::{Value, json};

use super::pushes::{push_event, synchronize_heads};
use crate::errors::{Outcome, Refusal, internal};
use crate::hooks::{Outgoing, emit};
use crate::state::{Sim, repo_key};
use crate::world::{MergeState, Repo, World, now};

/// Merges a pull request into its base; `sha`, when given, must be the current head.
pub(crate) fn merge_pull(
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
    let message = format!("{} (#{number})", issue.title);
    let conflict = Refusal::NotAllowed("Pull Request is not mergeable".into());
    let (base, merged) = land(
        r,
        &base_ref,
        &head,
        keeps_head(method),
        &message,
        actor,
        conflict,
    )?;
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

/// Replays a PR's changes on the current tip of its base, keeping the diff: the head moves
/// (`synchronize`) but the change set is the same, as after a clean rebase.
pub(crate) fn rebase_pull(
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
        let conflict = Refusal::Invalid("the pull request does not rebase cleanly".into());
        let (_, after) = land(r, &base_ref, &before, Ok(false), &title, actor, conflict)?;
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

/// Whether a merge method keeps the head as a second parent: a merge commit does; a squash or
/// a rebase lands one commit on the base.
fn keeps_head(method: &str) -> Outcome<bool> {
    match method {
        "merge" => Ok(true),
        "squash" | "rebase" => Ok(false),
        other => Err(Refusal::Invalid(format!("Invalid merge_method `{other}`"))),
    }
}

/// Lands `head`'s changes on the tip of `base_ref` as one new commit with `message`, whose
/// parents are the tip and, if `keeps_head`, `head`. Returns the tip and the new commit. The
/// trees are merged first: `conflict` is refused before an unknown merge method is.
fn land(
    r: &Repo,
    base_ref: &str,
    head: &str,
    keeps_head: Outcome<bool>,
    message: &str,
    actor: &str,
    conflict: Refusal,
) -> Outcome<(String, String)> {
    let base = r
        .git
        .resolve(&format!("refs/heads/{base_ref}"))
        .ok_or(Refusal::NotFound)?;
    let tree = r
        .git
        .merge_tree(&base, head)
        .map_err(internal)?
        .ok_or(conflict)?;
    let parents: &[&str] = if keeps_head? {
        &[&base, head]
    } else {
        &[&base]
    };
    let landed = r
        .git
        .commit_tree(&tree, parents, message, actor)
        .map_err(internal)?;
    Ok((base, landed))
}
