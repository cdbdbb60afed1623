//! GitHub REST operations, answered from the simulator's state in GitHub's shapes, one module
//! per resource.

pub(crate) mod branches;
mod call;
pub(crate) mod check_runs;
pub(crate) mod comments;
pub(crate) mod commits;
pub(crate) mod hooks;
pub(crate) mod issues;
pub(crate) mod labels;
mod paging;
pub(crate) mod pulls;
pub(crate) mod repos;
pub(crate) mod reviews;
