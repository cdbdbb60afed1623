//! What the server remembers between deliveries: the logins it acts as, the webhook echoes of
//! its own writes, the patch id of every head it compared, and the reviewers GitHub refused.
//! Nothing here talks to GitHub.

pub mod echoes;
mod memory;
pub mod patch_ids;
pub mod refusals;

pub use memory::{Memory, Peek};
