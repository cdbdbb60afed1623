//! The apply step: desired state against the snapshot gives the writes, and only this layer
//! writes. `Settle` takes the labels and check runs a handler wants, works out what
//! `can-be-merged` will then say (evaluated on the snapshot as it will be after the writes),
//! and writes the whole difference at once, in parallel; with `automerge` and every
//! requirement met, it then merges, pinned to the head the evaluation saw. `extras` writes the
//! rest of what a pull request's events ask.

pub mod check_runs;
pub mod extras;
pub mod labels;
pub mod review_requests;
mod scope;

pub use scope::Scope;

use futures_util::future::try_join_all;
use serde_json::json;

use crate::config::REPO_FILE_NAME;
use crate::github::client::GitHubError;
use crate::rules::check_runs::{Output, RunPlan, RunState, plan, record_run};
use crate::rules::labels::{self as label_rules, AUTOMERGE, CAN_BE_MERGED, LabelPlan};
use crate::rules::merge_readiness::{self, Unmet};
use crate::snapshot::RepositoryData;
use crate::steps::Done;
use check_runs::CheckRunWriter;
use labels::LabelWriter;

/// What a handler wants of the pull request's labels and the server's check runs.
#[derive(Debug, Default)]
pub struct Desired {
    pub want: Vec<String>,
    pub unwanted: Vec<String>,
    pub checks: Vec<(String, RunState, Option<Output>)>,
}

/// The writes that settle a pull request, and the verdict they carry.
#[derive(Debug)]
pub struct Settlement {
    pub labels: LabelPlan,
    pub runs: Vec<RunPlan>,
    /// What keeps the pull request from merging, after the writes.
    pub unmet: Vec<String>,
    slug: Option<String>,
}

pub struct Settle<'a> {
    pub scope: Scope<'a>,
}

impl Settle<'_> {
    /// Plans the writes for `desired` plus `can-be-merged`; reads nothing (the App's slug was
    /// learned with its installation, at start).
    pub async fn plan(
        &self,
        data: &RepositoryData,
        desired: Desired,
    ) -> anyhow::Result<Settlement> {
        let slug = match self.scope.session.has_app() {
            true => Some(self.scope.session.app_slug().await?),
            false => None,
        };
        // Only the pull request feeds the evaluation: it alone is projected.
        let mut after = data.pull.clone();
        label_rules::plan(self.scope.config, data, &desired.want, &desired.unwanted)
            .project(&mut after.labels);
        let mut runs = Vec::new();
        if let Some(slug) = &slug {
            for (name, state, output) in desired.checks {
                if let Some(p) = plan(&after, slug, &name, state, output) {
                    // Ids above any real one: each planned run is the newest of its name.
                    record_run(&mut after, p.run(u64::MAX - runs.len() as u64, slug));
                    runs.push(p);
                }
            }
        }
        let open = data.pull.state == "OPEN";
        let unmet: Vec<String> = if open {
            let required = merge_readiness::required_checks(
                self.scope.config,
                &data.protection,
                &after.base_ref,
            );
            merge_readiness::evaluate(
                &after,
                self.scope.config,
                self.scope.owners,
                &required,
                self.scope.repo_file,
            )
            .iter()
            .map(Unmet::to_string)
            .collect()
        } else {
            Vec::new()
        };
        let (mut want, mut unwanted) = (desired.want, desired.unwanted);
        if open {
            let verdict = CAN_BE_MERGED.to_string();
            if unmet.is_empty() {
                want.push(verdict);
            } else {
                unwanted.push(verdict);
            }
            if let Some(slug) = &slug {
                let notice = self
                    .scope
                    .repo_file
                    .notice(REPO_FILE_NAME, &data.default_branch);
                let (state, output) = if unmet.is_empty() {
                    let o = Output::new(
                        "Check if can be merged",
                        "All merge requirements are met",
                        notice.as_deref().unwrap_or_default(),
                    );
                    (RunState::Success, o)
                } else {
                    let summary = unmet.join("\n");
                    let text = match &notice {
                        Some(n) => format!("{summary}\n\n{n}"),
                        None => summary.clone(),
                    };
                    (
                        RunState::Failure,
                        Output::new("Check if can be merged", &summary, &text),
                    )
                };
                runs.extend(plan(&after, slug, CAN_BE_MERGED, state, Some(output)));
            }
        }
        Ok(Settlement {
            labels: label_rules::plan(self.scope.config, data, &want, &unwanted),
            runs,
            unmet,
            slug,
        })
    }

    /// Writes a settlement: labels and every check run at once.
    pub async fn write(&self, data: &RepositoryData, s: &Settlement) -> anyhow::Result<Vec<u64>> {
        let labels = LabelWriter {
            session: self.scope.session,
            echoes: &self.scope.memory.echoes,
        };
        let runs = CheckRunWriter {
            session: self.scope.session,
            echoes: &self.scope.memory.echoes,
        };
        let (_, ids) = futures_util::future::try_join(
            labels.write(&data.full_name, data.pull.number, &s.labels),
            try_join_all(s.runs.iter().map(|p| runs.write(data, p))),
        )
        .await?;
        Ok(ids)
    }

    /// Records a written settlement in the snapshot and the step, then merges when it can.
    pub async fn finish(
        &self,
        data: &mut RepositoryData,
        s: Settlement,
        ids: Vec<u64>,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        s.labels.apply_to(data);
        s.labels.record(done, "labels");
        if let Some(slug) = &s.slug {
            let written: Vec<String> = s
                .runs
                .iter()
                .map(|p| format!("{}: {:?}", p.name, p.state))
                .collect();
            if !written.is_empty() {
                done.insert("check_runs".into(), json!(written));
            }
            for (p, id) in s.runs.iter().zip(ids) {
                record_run(&mut data.pull, p.run(id, slug));
            }
        } else if data.pull.state == "OPEN" {
            done.insert(
                "check_runs".into(),
                json!("not written: only a GitHub App can (github-app-id is not set)"),
            );
        }
        if data.pull.state != "OPEN" {
            return Ok(());
        }
        done.insert("can_be_merged".into(), json!(s.unmet.is_empty()));
        if !s.unmet.is_empty() {
            done.insert("unmet".into(), json!(s.unmet));
            return Ok(());
        }
        if data
            .pull
            .labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(AUTOMERGE))
        {
            self.merge(data, done).await?;
        }
        Ok(())
    }

    /// Plans, writes and finishes in one go, for handlers with nothing to write beside it.
    pub async fn run(
        &self,
        data: &mut RepositoryData,
        desired: Desired,
        done: &mut Done,
    ) -> anyhow::Result<()> {
        let s = self.plan(data, desired).await?;
        let ids = self.write(data, &s).await?;
        self.finish(data, s, ids, done).await
    }

    async fn merge(&self, data: &mut RepositoryData, done: &mut Done) -> anyhow::Result<()> {
        match self
            .scope
            .session
            .squash_merge(data.pull.number, &data.pull.head_sha)
            .await
        {
            Ok(()) => {
                data.pull.state = "MERGED".into();
                data.pull.merged = true;
                done.insert("merged".into(), json!(data.pull.head_sha));
            }
            // Not mergeable after all, or the head moved: a later event re-evaluates.
            Err(GitHubError::Status {
                status: 405 | 409 | 422,
                message,
                ..
            }) => {
                done.insert("merge_refused".into(), json!(message));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}
