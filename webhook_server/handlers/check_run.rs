//! `check_run` completed (a run the server did not just complete itself): re-evaluates whether
//! the pull request can be merged.

use crate::apply::{Desired, Settle};
use crate::config::RepoConfig;
use crate::github::clients::Session;
use crate::rules::merge_readiness::RepoFileReport;
use crate::rules::owners::PullOwners;
use crate::snapshot::RepositoryData;
use crate::steps::Done;
use crate::store::echoes::Echoes;

pub struct CheckRunHandler<'a> {
    pub session: &'a Session,
    pub echoes: &'a Echoes,
    pub config: &'a RepoConfig,
    pub owners: &'a PullOwners,
    pub repo_file: &'a RepoFileReport,
}

impl CheckRunHandler<'_> {
    pub async fn handle(&self, data: &mut RepositoryData) -> anyhow::Result<Done> {
        let mut done = Done::new();
        Settle {
            session: self.session,
            echoes: self.echoes,
            config: self.config,
            owners: self.owners,
            repo_file: self.repo_file,
        }
        .run(data, Desired::default(), &mut done)
        .await?;
        Ok(done)
    }
}
