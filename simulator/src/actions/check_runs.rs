//! Check runs, which only GitHub Apps write.

use serde_json::{Value, json};

use super::auto_merge::merge_ready;
use crate::errors::{Outcome, Refusal};
use crate::hooks::emit;
use crate::state::{Sim, repo_key};
use crate::world::{CheckRun, now};

/// What a check-run write may set.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct CheckRunFields {
    pub name: Option<String>,
    pub head_sha: Option<String>,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub output: Option<CheckRunOutput>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct CheckRunOutput {
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
pub(crate) fn write_check_run(
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
            // A run moved back to queued or in progress starts over: on GitHub only a
            // completed run has a conclusion.
            if status != "completed" {
                run.conclusion = None;
                run.completed_at = None;
            }
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
            merge_ready(w, out, &key);
        }
        Ok(json)
    })
}
