//! Talking to GitHub: the client with its token pool and per-delivery accounting, and the
//! GraphQL documents the server sends.

pub mod app;
pub mod client;
pub mod clients;
pub mod queries;
pub mod repo;
pub mod spend;
pub mod tokens;
