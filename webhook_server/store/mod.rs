//! What the server remembers between deliveries: the logins it acts as, the webhook echoes of
//! its own writes, the patch id of every head it compared, the reviewers GitHub refused, and
//! the comments whose commands it carried out.
//! Nothing here talks to GitHub.

pub mod echoes;
pub mod handled;
mod lazy_db;
mod memory;
pub mod patch_ids;
pub mod refusals;

pub use memory::{Memory, Peek};
