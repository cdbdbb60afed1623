//! Native auto-merge, which GitHub performs itself as soon as a pull request's requirements
//! are met.

use serde_json::json;

use super::merge::merge_locked;
use crate::errors::{Outcome, Refusal};
use crate::hooks::{Outgoing, emit};
use crate::state::Sim;
use crate::world::{AutoMerge, MergeState, Pull, World};

/// Native auto-merge, as `enablePullRequestAutoMerge` does it. GitHub refuses when the pull
/// request could merge right now ("clean status"), so callers must merge it themselves then,
/// and when `expected_head` is given but the head has moved.
pub(crate) fn enable_auto_merge(
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

pub(crate) fn disable_auto_merge(sim: &Sim, pull_node: u64, actor: &str) -> Outcome<(String, u64)> {
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
