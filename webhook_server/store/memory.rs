//! The memory a delivery reads and adds to, and triage's view of it.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use super::echoes::Echoes;
use super::handled::HandledComments;
use super::patch_ids::PatchIds;
use super::refusals::Refusals;
use crate::rules::triage::OwnActions;

const PATCH_IDS_FILE: &str = "patch_ids.sqlite3";
const HANDLED_COMMENTS_FILE: &str = "handled_comments.sqlite3";

pub struct Memory {
    pub echoes: Echoes,
    /// Logins the server acts as, learned from `viewer` in its reads: its own comments and
    /// reviews are recognised without a probe call.
    own_logins: Mutex<HashSet<String>>,
    /// The patch id of every head compared, for clean-rebase detection.
    pub patch_ids: PatchIds,
    /// Reviewers GitHub refused, so replays do not ask them again.
    pub refusals: Refusals,
    /// Comments whose commands were carried out, so a redelivery does not act again.
    pub handled: HandledComments,
}

impl Memory {
    /// Memory kept in `data_dir` where it must outlive a restart (patch ids, handled comments),
    /// in RAM otherwise.
    pub fn new(data_dir: &Path) -> Memory {
        Memory {
            echoes: Echoes::default(),
            own_logins: Mutex::default(),
            patch_ids: PatchIds::new(data_dir.join(PATCH_IDS_FILE)),
            refusals: Refusals::default(),
            handled: HandledComments::new(data_dir.join(HANDLED_COMMENTS_FILE)),
        }
    }

    pub fn learn_login(&self, login: &str) {
        self.own_logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(login.to_ascii_lowercase());
    }
}

impl OwnActions for Memory {
    fn is_own_login(&self, login: &str) -> bool {
        self.own_logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&login.to_ascii_lowercase())
    }

    fn is_echo(&self, full_name: &str, number: u64, action: &str, label: &str) -> bool {
        self.echoes.take(full_name, number, action, label)
    }

    fn is_check_run_echo(&self, full_name: &str, sha: &str, name: &str) -> bool {
        self.echoes.take_check_run(full_name, sha, name)
    }

    fn is_handled_comment(&self, full_name: &str, id: u64, body: &str) -> bool {
        self.handled.contains(full_name, id, body)
    }
}

/// The server's own actions as a look-ahead sees them: triaging a delivery that has not run
/// yet must not use up the echo it will be recognised by.
pub struct Peek<'a>(pub &'a Memory);

impl OwnActions for Peek<'_> {
    fn is_own_login(&self, login: &str) -> bool {
        self.0.is_own_login(login)
    }

    fn is_echo(&self, full_name: &str, number: u64, action: &str, label: &str) -> bool {
        self.0.echoes.contains(full_name, number, action, label)
    }

    fn is_check_run_echo(&self, full_name: &str, sha: &str, name: &str) -> bool {
        self.0.echoes.contains_check_run(full_name, sha, name)
    }

    fn is_handled_comment(&self, full_name: &str, id: u64, body: &str) -> bool {
        self.0.is_handled_comment(full_name, id, body)
    }
}
