//! The simulator's state: users, tokens, repositories with their issues, pull requests,
//! comments and labels, registered hooks, and the logs of requests and deliveries. Rendered
//! to JSON in GitHub's shapes; what git knows (SHAs, mergeability, files) is read from git.

mod merge_state;
mod records;
mod render;
mod stamps;
mod state;

pub use merge_state::MergeState;
pub use records::{
    AutoMerge, CheckRun, Comment, CommitStatus, DeliveryRecord, Emitted, Exchange, Hook, Issue,
    Label, Outcome, Protection, Pull, Reaction, Repo, Review,
};
pub use render::REPO_URLS;
pub use stamps::{node_id, now, unix_timestamp};
pub use state::{App, Faults, Quota, TargetedFault, World, targeted_fault};
