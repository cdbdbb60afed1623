//! What one delivery cost in GitHub API calls: reads and writes, per token, and the quota left
//! as the last response reported it. Recorded in the delivery's summary as `token_spend`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

#[derive(Default)]
pub struct Spend {
    inner: Mutex<Tally>,
}

#[derive(Default)]
struct Tally {
    reads: u64,
    writes: u64,
    by_token: BTreeMap<String, u64>,
    /// The quota left after the first and the latest answered request.
    first_remaining: Option<u64>,
    remaining: Option<u64>,
}

impl Spend {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one request sent with the token `label`, answered or not.
    pub fn count(&self, write: bool, label: &str) {
        let mut t = self.tally();
        if write {
            t.writes += 1;
        } else {
            t.reads += 1;
        }
        *t.by_token.entry(label.to_string()).or_default() += 1;
    }

    pub fn remaining(&self, left: u64) {
        let mut t = self.tally();
        t.first_remaining.get_or_insert(left);
        t.remaining = Some(left);
    }

    /// The quota before this delivery's first request and after its last, as measured.
    pub fn rate_limit(&self) -> (Option<u64>, Option<u64>) {
        let t = self.tally();
        (t.first_remaining.map(|r| r + 1), t.remaining)
    }

    pub fn total(&self) -> u64 {
        let t = self.tally();
        t.reads + t.writes
    }

    pub fn reads(&self) -> u64 {
        self.tally().reads
    }

    pub fn writes(&self) -> u64 {
        self.tally().writes
    }

    /// `{"reads", "writes", "total", "by_token", "rate_limit_remaining"}`.
    pub fn summary(&self) -> Map<String, Value> {
        let t = self.tally();
        Map::from_iter([
            ("reads".to_string(), json!(t.reads)),
            ("writes".to_string(), json!(t.writes)),
            ("total".to_string(), json!(t.reads + t.writes)),
            ("by_token".to_string(), json!(t.by_token)),
            ("rate_limit_remaining".to_string(), json!(t.remaining)),
        ])
    }
}
