//! Reviewers GitHub refused to be asked (no access to the repository), remembered for an
//! hour so a replayed event does not ask them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a refused reviewer is not asked again: long enough to cover redeliveries and
/// bursts of events on one pull request, short enough to notice a new collaborator.
const REFUSAL_TTL: Duration = Duration::from_secs(3600);

/// Reviewers GitHub refused, by repository.
#[derive(Default)]
pub struct Refusals(Mutex<HashMap<(String, String), Instant>>);

impl Refusals {
    fn key(full_name: &str, login: &str) -> (String, String) {
        (full_name.to_ascii_lowercase(), login.to_ascii_lowercase())
    }

    pub fn contains(&self, full_name: &str, login: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&Self::key(full_name, login))
            .is_some_and(|at| at.elapsed() < REFUSAL_TTL)
    }

    pub fn remember(&self, full_name: &str, login: &str) {
        let mut refused = self.0.lock().unwrap_or_else(|e| e.into_inner());
        refused.retain(|_, at| at.elapsed() < REFUSAL_TTL);
        refused.insert(Self::key(full_name, login), Instant::now());
    }
}
