//! Pure decisions, with no I/O: triage, coalescing, merge readiness, OWNERS resolution, labels and sizes,
//! check-run plans, the security checks, the welcome text and the command grammar. Each takes
//! the snapshot and the config and returns a value, so each is tested as a table.

pub mod check_runs;
pub mod coalesce;
pub mod command_plan;
pub mod commands;
mod css_colors;
pub mod labels;
pub mod merge_readiness;
pub mod owners;
pub mod permissions;
pub mod pull_request;
pub mod reviews;
pub mod security_checks;
pub mod triage;
pub mod welcome;
