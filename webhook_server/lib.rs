//! github-webhook-server: a self-hosted GitHub automation bot. docs/architecture.md describes
//! the layers and how a delivery travels through them.

// serde_json::json! of GitHub-sized objects nests past the default limit.
#![recursion_limit = "256"]

pub mod apply;
pub mod config;
pub mod demo;
pub mod event;
pub mod git;
pub mod github;
pub mod handlers;
pub mod logging;
pub mod logs;
pub mod masking;
pub mod orchestrator;
pub mod queue;
pub mod rules;
pub mod server;
pub mod snapshot;
pub mod steps;
pub mod store;
pub mod worker;
