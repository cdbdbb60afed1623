//! Label and check-run changes the server made, so triage skips their webhook echoes
//! whichever identity (pool token or App) made them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// How long a label change the server made waits for its webhook echo.
const ECHO_TTL_SECS: i64 = 600;
/// The action under which check-run completions are remembered (they have no number).
const CHECK_RUN_ECHO: &str = "check_run completed";

#[derive(Default)]
pub struct Echoes(Mutex<HashMap<String, i64>>);

fn echo_key(full_name: &str, number: u64, action: &str, label: &str) -> String {
    format!(
        "{}#{number} {action} {label}",
        full_name.to_ascii_lowercase()
    )
}

impl Echoes {
    /// A poisoned lock still holds usable data: every critical section here leaves it
    /// consistent.
    fn pending(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn expect(&self, full_name: &str, number: u64, action: &str, label: &str) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut pending = self.pending();
        pending.retain(|_, at| now - *at < ECHO_TTL_SECS);
        pending.insert(echo_key(full_name, number, action, label), now);
    }

    /// A check run the server completed: its `completed` webhook needs no handling.
    pub fn expect_check_run(&self, full_name: &str, sha: &str, name: &str) {
        self.expect(full_name, 0, CHECK_RUN_ECHO, &format!("{name}@{sha}"));
    }

    pub fn take_check_run(&self, full_name: &str, sha: &str, name: &str) -> bool {
        self.take(full_name, 0, CHECK_RUN_ECHO, &format!("{name}@{sha}"))
    }

    pub fn contains_check_run(&self, full_name: &str, sha: &str, name: &str) -> bool {
        self.contains(full_name, 0, CHECK_RUN_ECHO, &format!("{name}@{sha}"))
    }

    /// Whether an echo is expected, without using it up.
    pub fn contains(&self, full_name: &str, number: u64, action: &str, label: &str) -> bool {
        self.pending()
            .contains_key(&echo_key(full_name, number, action, label))
    }

    /// Whether this event is the echo of a change the server made; each echo is recognised once.
    pub fn take(&self, full_name: &str, number: u64, action: &str, label: &str) -> bool {
        self.pending()
            .remove(&echo_key(full_name, number, action, label))
            .is_some()
    }
}
