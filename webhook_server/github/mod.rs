//! Talking to GitHub. The client, token pool and App authentication build on these documents.

pub mod queries;
