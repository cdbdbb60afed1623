//! Handler structs: each computes the GitHub state its events call for from the config and the
//! delivery's snapshot, and writes only the difference (level-triggered), so a replayed event
//! writes nothing.

/// What one handler did, for its step record.
pub type Done = serde_json::Map<String, serde_json::Value>;

pub mod check_run;
mod css_colors;
pub mod labels;
pub mod owners;
pub mod pull_request;
pub mod pull_request_review;
pub mod review_requests;
pub mod security_checks;
pub mod settle;
pub mod welcome;
