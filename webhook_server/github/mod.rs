//! The transport to GitHub, which knows nothing of handlers: the client with its token pool and
//! per-delivery accounting, the GitHub App's auth, the GraphQL documents, and `repo`, one typed
//! function per call the server makes on a repository.

pub mod app;
pub mod client;
pub mod clients;
pub mod queries;
pub mod repo;
pub mod spend;
pub mod tokens;
