//! github-webhook-server: a self-hosted GitHub automation bot. docs/architecture.md describes
//! the architecture.

// serde_json::json! of GitHub-sized objects (simulator payloads) nests past the default limit.
#![recursion_limit = "256"]

pub mod allowlist;
pub mod app;
pub mod commands;
pub mod config;
pub mod git;
pub mod github;
pub mod github_webhook;
pub mod handlers;
pub mod intake;
pub mod logging;
pub mod logs;
pub mod masking;
pub mod merge_readiness;
pub mod patch_ids;
pub mod queue;
pub mod repository_data;
pub mod server;
pub mod steps;
pub mod worker;
