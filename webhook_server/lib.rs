//! github-webhook-server: a self-hosted GitHub automation bot. See DESIGN.md for the architecture.

pub mod config;
pub mod masking;
pub mod queue;
pub mod steps;
