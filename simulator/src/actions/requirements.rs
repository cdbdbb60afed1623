//! What a pull request needs before it may merge: commit statuses and branch protection.

use serde_json::{Value, json};

use super::auto_merge::merge_ready;
use crate::errors::{Outcome, Refusal};
use crate::hooks::emit;
use crate::state::{Sim, repo_key};
use crate::world::{CommitStatus, Protection, now};

const STATUS_STATES: &[&str] = &["error", "failure", "pending", "success"];

/// A commit status from `creator`: the `status` event, and any auto-merge it unblocks.
pub(crate) fn set_status(
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
pub(crate) struct NewStatus {
    pub state: String,
    pub target_url: Option<String>,
    pub description: Option<String>,
    pub context: Option<String>,
}

pub(crate) fn set_protection(
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
