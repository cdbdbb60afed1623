//! github-webhook-server: a self-hosted GitHub automation bot. See DESIGN.md for the architecture.

pub mod allowlist;
pub mod app;
pub mod commands;
pub mod config;
pub mod github_webhook;
pub mod intake;
pub mod logging;
pub mod logs;
pub mod masking;
pub mod queue;
pub mod server;
pub mod steps;
pub mod worker;
