//! `check_run` completed (a run the server did not just complete itself): re-evaluates whether
//! the pull request can be merged.

use crate::apply::{Desired, Scope, Settle};
use crate::snapshot::RepositoryData;
use crate::steps::Done;

pub struct CheckRunHandler<'a> {
    pub scope: Scope<'a>,
}

impl CheckRunHandler<'_> {
    pub async fn handle(&self, data: &mut RepositoryData) -> anyhow::Result<Done> {
        let mut done = Done::new();
        Settle { scope: self.scope }
            .run(data, Desired::default(), &mut done)
            .await?;
        Ok(done)
    }
}
