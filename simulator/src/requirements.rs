//! What decides whether a pull request may merge, and what happens once it may: commit
//! statuses, branch protection, and native auto-merge, which GitHub performs itself as soon as
//! the requirements are met.

use serde_json::{Value, json};

use super::actions::merge_locked;
use super::hooks::{Outgoing, emit};
use super::world::{AutoMerge, CommitStatus, MergeState, Protection, Pull, World, now};
use crate::errors::{Outcome, Refusal};
use crate::state::{Sim, repo_key};

const STATUS_STATES: &[&str] = &["error", "failure", "pending", "success"];

/// A commit status from `creator`: the `status` event, and any auto-merge it unblocks.
pub(super) fn set_status(
    sim: &Sim,
    owner: &str,
    repo: &str,
    creator: &str,
    sha: &str,
    status: NewStatus,
) -> Outcome<Value> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        if !STATUS_STATES.contains(&status.state.as_str()) {
            return Err(Refusal::Invalid(format!(
                "state must be one of {}",
                STATUS_STATES.join(", ")
            )));
        }
        let id = w.next_id();
        w.user_id(creator);
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        let sha = r
            .git
            .resolve(sha)
            .ok_or_else(|| Refusal::Invalid(format!("No commit found for SHA: {sha}")))?;
        r.statuses.push(CommitStatus {
            id,
            sha: sha.clone(),
            state: status.state,
            context: status.context.unwrap_or_else(|| "default".to_string()),
            description: status.description,
            target_url: status.target_url,
            creator: creator.to_string(),
            created_at: now(),
        });
        let r = &w.repos[&key];
        let saved = r.statuses.last().expect("just pushed");
        let json = w.status_json(r, saved);
        let commit = w.commit_json(r, &sha, false).unwrap_or(Value::Null);
        let branches: Vec<Value> = r
            .git
            .refs()
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, target)| name.starts_with("refs/heads/") && *target == sha)
            .map(|(name, target)| {
                json!({"name": name.trim_start_matches("refs/heads/"),
                       "commit": {"sha": target, "url": format!("{}/repos/{}/{}/commits/{target}",
                                  w.api_base, r.owner, r.name)},
                       "protected": false})
            })
            .collect();
        let payload = json!({
            "id": saved.id, "sha": sha, "name": format!("{}/{}", r.owner, r.name),
            "target_url": saved.target_url, "context": saved.context,
            "description": saved.description, "state": saved.state, "commit": commit,
            "branches": branches, "created_at": saved.created_at,
            "updated_at": saved.created_at, "avatar_url": json["avatar_url"],
        });
        out.extend(emit(w, &key, "status", creator, payload));
        merge_ready(w, out, &key);
        Ok(json)
    })
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct NewStatus {
    pub state: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
    pub context: Option<String>,
}

pub(super) fn set_protection(
    sim: &Sim,
    owner: &str,
    repo: &str,
    branch: &str,
    protection: Protection,
) -> Outcome<()> {
    let key = repo_key(owner, repo);
    sim.act(|w, out| {
        let r = w.repos.get_mut(&key).ok_or(Refusal::NotFound)?;
        if r.git.resolve(&format!("refs/heads/{branch}")).is_none() {
            return Err(Refusal::NotFound);
        }
        r.protection.insert(branch.to_string(), protection);
        merge_ready(w, out, &key);
        Ok(())
    })
}

/// Native auto-merge, as `enablePullRequestAutoMerge` does it. GitHub refuses when the pull
/// request could merge right now ("clean status"), so callers must merge it themselves then,
/// and when `expected_head` is given but the head has moved.
pub(super) fn enable_auto_merge(
    sim: &Sim,
    pull_node: u64,
    actor: &str,
    merge_method: &str,
    expected_head: Option<&str>,
) -> Outcome<(String, u64)> {
    sim.act(|w, out| {
        let (key, number) = find_pull(w, pull_node)?;
        if let Some(expected) = expected_head
            && w.repos[&key]
                .git
                .resolve(&format!("refs/pull/{number}/head"))
                .as_deref()
                != Some(expected)
        {
            return Err(Refusal::Invalid(
                "Head sha didn't match expected head sha".into(),
            ));
        }
        if !w.can_write(&key, actor) {
            return Err(Refusal::Forbidden(format!(
                "{actor} does not have permission to enable auto-merge"
            )));
        }
        let r = &w.repos[&key];
        let issue = &r.issues[&number];
        if issue.state != "open" {
            return Err(Refusal::Invalid("Pull request is closed".into()));
        }
        match w.merge_state(r, issue) {
            MergeState::Clean | MergeState::Unstable => {
                return Err(Refusal::Invalid("Pull request is in clean status".into()));
            }
            MergeState::Dirty => {
                return Err(Refusal::Invalid("Pull request is in dirty status".into()));
            }
            _ => {}
        }
        pull_mut(w, &key, number).auto_merge = Some(AutoMerge {
            enabled_by: actor.to_string(),
            merge_method: merge_method.to_string(),
        });
        auto_merge_event(w, out, &key, number, actor, "auto_merge_enabled");
        Ok((key, number))
    })
}

pub(super) fn disable_auto_merge(sim: &Sim, pull_node: u64, actor: &str) -> Outcome<(String, u64)> {
    sim.act(|w, out| {
        let (key, number) = find_pull(w, pull_node)?;
        if pull_mut(w, &key, number).auto_merge.take().is_some() {
            auto_merge_event(w, out, &key, number, actor, "auto_merge_disabled");
        }
        Ok((key, number))
    })
}

/// A pull request `find_pull` found.
fn pull_mut<'a>(w: &'a mut World, key: &str, number: u64) -> &'a mut Pull {
    w.repos
        .get_mut(key)
        .and_then(|r| r.issues.get_mut(&number))
        .and_then(|i| i.pull.as_mut())
        .expect("found by find_pull under the same lock")
}

/// The repository and number of the pull request whose issue id is `id`.
fn find_pull(w: &World, id: u64) -> Outcome<(String, u64)> {
    w.repos
        .iter()
        .find_map(|(key, r)| {
            r.issues
                .values()
                .find(|i| i.id == id && i.pull.is_some())
                .map(|i| (key.clone(), i.number))
        })
        .ok_or(Refusal::NotFound)
}

fn auto_merge_event(
    w: &mut World,
    out: &mut Vec<Outgoing>,
    key: &str,
    number: u64,
    actor: &str,
    action: &str,
) {
    let r = &w.repos[key];
    let pull = w.pull_json(r, &r.issues[&number]);
    out.extend(emit(
        w,
        key,
        "pull_request",
        actor,
        json!({"action": action, "number": number, "pull_request": pull}),
    ));
}

/// Merges every open pull request of `key` whose auto-merge is on and whose requirements are
/// now met, as the user who enabled it. Called after each change that can unblock one.
pub(super) fn merge_ready(w: &mut World, out: &mut Vec<Outgoing>, key: &str) {
    let Some(r) = w.repos.get(key) else {
        return;
    };
    let ready: Vec<(u64, AutoMerge)> = r
        .issues
        .values()
        .filter_map(|i| Some((i, i.pull.as_ref()?.auto_merge.clone()?)))
        .filter(|(i, _)| {
            matches!(
                w.merge_state(r, i),
                MergeState::Clean | MergeState::Unstable
            )
        })
        .map(|(i, a)| (i.number, a))
        .collect();
    for (number, auto) in ready {
        // A refusal here leaves auto-merge on, to try again on the next change.
        let _ = merge_locked(
            w,
            out,
            key,
            number,
            &auto.enabled_by,
            &auto.merge_method,
            None,
        );
    }
}
