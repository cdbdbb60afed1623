//! Everything a delivery needs from GitHub, fetched once: one GraphQL query for the repository,
//! its config file, collaborators, protection and the pull request with its labels, reviews,
//! files, our comments and check results at the head; then one more for the OWNERS files at the
//! base that govern the changed paths. Handlers read this snapshot and never re-fetch it.
//!
//! A pull request with more than a hundred files gets them from the compare call instead of
//! further GraphQL pages: up to 300 files in one read, and the same answer serves
//! `needs-rebase` and clean-rebase detection, so the delivery still makes three reads.

mod fetch;
mod model;
mod parse;

pub use model::*;
pub use parse::{hidden, owners_paths, parse};
