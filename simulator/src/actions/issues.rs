//! Issues (and pull requests as issues): opening, editing, closing and assigning.

use serde_json::{Value, json};

use super::labels::add_labels;
use crate::errors::{Outcome, Refusal};
use crate::hooks::emit;
use crate::state::{Sim, repo_key};
use crate::world::now;

/// Opens an issue: `issues` `opened`.
pub(crate) fn open_issue(
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
        r.issues.insert(
            number,
            crate::world::Issue::open(id, number, title, body, author, None),
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
pub(crate) struct IssueEdit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub state: Option<String>,
    /// Pull requests only: retarget onto another branch.
    pub base: Option<String>,
}

/// Edits an issue's title, body or state: `issues` `edited`, `closed` or `reopened`
/// (`pull_request` for pull requests).
pub(crate) fn edit_issue(
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

pub(crate) fn close_pull(
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

/// Adds assignees: `assigned` on `issues` or `pull_request`, once per new assignee.
pub(crate) fn assign(
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
