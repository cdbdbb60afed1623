//! State changes shared by the admin API (people acting) and REST and GraphQL (the bot
//! acting), one module per resource. Each one emits the deliveries GitHub would send, so the
//! bot's own writes come back as webhooks too.

mod auto_merge;
mod check_runs;
mod comments;
mod issues;
mod labels;
mod merge;
mod pushes;
mod requirements;
mod reviews;

pub(crate) use auto_merge::{disable_auto_merge, enable_auto_merge};
pub(crate) use check_runs::{CheckRunFields, write_check_run};
pub(crate) use comments::{add_comment, edit_comment, react};
pub(crate) use issues::{IssueEdit, assign, close_pull, edit_issue, open_issue};
pub(crate) use labels::{add_labels, remove_label, upsert_label};
pub(crate) use merge::{merge_pull, rebase_pull};
pub(crate) use pushes::{commit_to_branch, create_ref, pushed};
pub(crate) use requirements::{NewStatus, set_protection, set_status};
pub(crate) use reviews::{dismiss_review, request_reviewers, submit_review};
