//! Writing a label plan: the one place labels are written. Each change the server makes is
//! remembered, so triage skips its webhook echo.

use futures_util::future::try_join_all;

use crate::github::client::GitHubError;
use crate::github::clients::Session;
use crate::rules::labels::LabelPlan;
use crate::store::echoes::Echoes;

pub struct LabelWriter<'a> {
    pub session: &'a Session,
    pub echoes: &'a Echoes,
}

impl LabelWriter<'_> {
    /// Writes a plan: labels defined in parallel, then one call adds them all, while the
    /// removals run beside it.
    pub async fn write(
        &self,
        full_name: &str,
        number: u64,
        plan: &LabelPlan,
    ) -> anyhow::Result<()> {
        let add = async {
            try_join_all(
                plan.define
                    .iter()
                    .map(|(name, color, exists)| self.define(name, color, *exists)),
            )
            .await?;
            if !plan.add.is_empty() {
                self.session.add_labels(number, &plan.add).await?;
                for label in &plan.add {
                    self.echoes.expect(full_name, number, "labeled", label);
                }
            }
            anyhow::Ok(())
        };
        let remove = try_join_all(plan.remove.iter().map(|label| async move {
            match self.session.remove_label(number, label).await {
                Ok(()) => {
                    self.echoes.expect(full_name, number, "unlabeled", label);
                    Ok(())
                }
                // Someone removed it since the snapshot: the goal is met.
                Err(GitHubError::Status { status: 404, .. }) => Ok(()),
                Err(e) => Err(anyhow::Error::from(e)),
            }
        }));
        futures_util::future::try_join(add, remove).await?;
        Ok(())
    }

    /// Creates the repository label with its colour, or recolours it.
    async fn define(&self, name: &str, color: &str, exists: bool) -> anyhow::Result<()> {
        if exists {
            self.session.recolor_label(name, color).await?;
            return Ok(());
        }
        match self.session.create_label(name, color).await {
            // Beyond the hundred labels the snapshot lists, it may exist already.
            Ok(()) | Err(GitHubError::Status { status: 422, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
