//! Repository labels, and labels on issues and pull requests.

use serde_json::{Value, json};

use crate::errors::{Outcome, Refusal};
use crate::hooks::{Outgoing, emit};
use crate::state::{Sim, repo_key};
use crate::world::{Label, World, now};

/// Creates or updates a repository label (not an event GitHub's server reacts to here).
pub(crate) fn upsert_label(
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
pub(crate) fn add_labels(
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

pub(crate) fn remove_label(
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
