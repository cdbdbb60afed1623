//! The handles a delivery's handling passes from the orchestrator to the handlers and the
//! apply step.

use crate::config::RepoConfig;
use crate::github::clients::Session;
use crate::rules::merge_readiness::RepoFileReport;
use crate::rules::owners::PullOwners;
use crate::store::Memory;

/// What one delivery's handling works with: its session, the server's memory, the repository's
/// config, the pull request's OWNERS and the report on the repository's own file.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub session: &'a Session,
    pub memory: &'a Memory,
    pub config: &'a RepoConfig,
    pub owners: &'a PullOwners,
    pub repo_file: &'a RepoFileReport,
}
