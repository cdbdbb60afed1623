//! Per event: from the delivery's snapshot and the repository's config, what the pull request
//! should look like. The apply step writes the difference (level-triggered), so a replayed
//! event writes nothing.

pub mod check_run;
pub mod issue_comment;
pub mod pull_request;
pub mod pull_request_review;
pub mod runner;
