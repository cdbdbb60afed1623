//! The runner's interface: jobs that run code (checks, container builds, cherry-picks, rebases,
//! the test oracle). Commands hand their authorised jobs here. This version has no runner, so
//! every job is answered as unavailable, and the reply says so: never a fake success.

use crate::rules::commands::Command;

/// What became of a job handed to the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    Accepted,
    Unavailable,
}

pub trait Runner: Send + Sync {
    /// Hands `job`, an authorised command of pull request `number` of `repository`, over.
    fn submit(&self, repository: &str, number: u64, job: &Command) -> Submitted;
}

/// The runner of this version: none.
pub struct NoRunner;

impl Runner for NoRunner {
    fn submit(&self, _: &str, _: u64, _: &Command) -> Submitted {
        Submitted::Unavailable
    }
}
