//! Writing check-run plans: the one place the server writes its check runs. Each (head, name)
//! has one run of the server's App, created once and then updated in place.

use crate::github::clients::Session;
use crate::github::repo::{CheckRunOutput, CheckRunWrite};
use crate::rules::check_runs::{RunPlan, truncate};
use crate::snapshot::RepositoryData;
use crate::store::echoes::Echoes;

pub struct CheckRunWriter<'a> {
    pub session: &'a Session,
    pub echoes: &'a Echoes,
}

impl CheckRunWriter<'_> {
    /// Writes one plan at the head; returns the run's id.
    pub async fn write(&self, data: &RepositoryData, plan: &RunPlan) -> anyhow::Result<u64> {
        let (status, conclusion) = plan.state.graphql();
        let status = status.to_ascii_lowercase();
        let conclusion = conclusion.map(str::to_ascii_lowercase);
        let run = CheckRunWrite {
            status: &status,
            conclusion: conclusion.as_deref(),
            output: plan.output.as_ref().map(|o| CheckRunOutput {
                title: &o.title,
                summary: truncate(&o.summary),
                text: truncate(&o.text),
            }),
        };
        let id = match plan.existing {
            Some(id) => self.session.update_check_run(id, &run).await?,
            None => {
                self.session
                    .create_check_run(&plan.name, &data.pull.head_sha, &run)
                    .await?
            }
        };
        if conclusion.is_some() {
            self.echoes
                .expect_check_run(&data.full_name, &data.pull.head_sha, &plan.name);
        }
        Ok(id)
    }
}
