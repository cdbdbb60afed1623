//! The tokens a repository may use. Each call takes the live token with the most quota left,
//! as the last response headers reported it, so no probe call is ever made. A token that is
//! rate limited rests until its reset; one that answers 401 leaves the pool for good.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

struct Entry {
    secret: String,
    label: String,
    /// None until a response reports it: an unmeasured token is assumed full.
    remaining: Option<u64>,
    /// Unix time the quota refills (0: unknown).
    reset: i64,
    revoked: bool,
}

/// A token taken for one request.
#[derive(Debug, Clone)]
pub struct Lease {
    pub index: usize,
    pub secret: String,
    /// Names the token in logs without revealing it.
    pub label: String,
}

#[derive(Debug)]
pub enum Pick {
    Use(Lease),
    /// Every live token is spent; the earliest refills at this unix time.
    WaitUntil(i64),
    /// No token is left (none configured, or all revoked).
    Empty,
}

pub struct TokenPool {
    entries: Mutex<Vec<Entry>>,
}

/// `token 2 (sha256 1a2b3c4d)`: which token, recognisable by whoever holds it, useless to anyone
/// who reads the log.
pub fn label(index: usize, secret: &str) -> String {
    let digest = hex::encode(Sha256::digest(secret.as_bytes()));
    format!("token {} (sha256 {})", index + 1, &digest[..8])
}

impl TokenPool {
    pub fn new(tokens: impl IntoIterator<Item = String>) -> TokenPool {
        let entries = tokens
            .into_iter()
            .enumerate()
            .map(|(i, secret)| Entry {
                label: label(i, &secret),
                secret,
                remaining: None,
                reset: 0,
                revoked: false,
            })
            .collect();
        TokenPool {
            entries: Mutex::new(entries),
        }
    }

    /// No token was configured.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn pick(&self, now: i64) -> Pick {
        let entries = self.entries();
        let live = entries.iter().enumerate().filter(|(_, e)| !e.revoked);
        let usable = |e: &&Entry| e.remaining != Some(0) || e.reset <= now;
        let best = live
            .clone()
            .filter(|(_, e)| usable(e))
            .max_by_key(|(i, e)| {
                // A refilled token counts as full; ties go to the earlier token.
                let left = match e.remaining {
                    Some(0) | None => u64::MAX,
                    Some(n) => n,
                };
                (left, std::cmp::Reverse(*i))
            });
        if let Some((index, e)) = best {
            return Pick::Use(Lease {
                index,
                secret: e.secret.clone(),
                label: e.label.clone(),
            });
        }
        match live.map(|(_, e)| e.reset).min() {
            Some(reset) => Pick::WaitUntil(reset),
            None => Pick::Empty,
        }
    }

    /// Records what a response said of the token's quota.
    pub fn observe(&self, index: usize, remaining: u64, reset: i64) {
        if let Some(e) = self.entries().get_mut(index) {
            e.remaining = Some(remaining);
            e.reset = reset;
        }
    }

    /// The token was refused for its rate limit; it rests until `until`.
    pub fn exhausted(&self, index: usize, until: i64) {
        self.observe(index, 0, until);
    }

    /// The token was refused as bad credentials; it is not used again.
    pub fn revoke(&self, index: usize) {
        if let Some(e) = self.entries().get_mut(index) {
            e.revoked = true;
        }
    }

    /// Each token's label, what it has left (if known), and whether it was revoked.
    pub fn state(&self) -> Vec<(String, Option<u64>, bool)> {
        self.entries()
            .iter()
            .map(|e| (e.label.clone(), e.remaining, e.revoked))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(pick: Pick) -> usize {
        match pick {
            Pick::Use(lease) => lease.index,
            other => panic!("expected a token, got {other:?}"),
        }
    }

    #[test]
    fn takes_the_token_with_the_most_quota_left() {
        let pool = TokenPool::new(["a".to_string(), "b".to_string(), "c".to_string()]);
        // Nothing measured: the first one.
        assert_eq!(index(pool.pick(100)), 0);
        pool.observe(0, 10, 200);
        // Unmeasured tokens are assumed full.
        assert_eq!(index(pool.pick(100)), 1);
        pool.observe(1, 4000, 200);
        pool.observe(2, 4500, 200);
        assert_eq!(index(pool.pick(100)), 2);
    }

    #[test]
    fn a_spent_token_rests_until_its_reset_and_revoked_ones_never_return() {
        let pool = TokenPool::new(["a".to_string(), "b".to_string()]);
        pool.exhausted(0, 500);
        pool.observe(1, 3, 300);
        assert_eq!(index(pool.pick(100)), 1);
        pool.exhausted(1, 300);
        assert!(matches!(pool.pick(100), Pick::WaitUntil(300)));
        // After its reset, the token counts as refilled.
        assert_eq!(index(pool.pick(300)), 1);
        pool.revoke(1);
        assert!(matches!(pool.pick(300), Pick::WaitUntil(500)));
        pool.revoke(0);
        assert!(matches!(pool.pick(1000), Pick::Empty));
        assert!(matches!(TokenPool::new([]).pick(0), Pick::Empty));
    }

    #[test]
    fn labels_name_the_token_without_revealing_it() {
        let secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
        let pool = TokenPool::new([secret.to_string()]);
        let (label, _, _) = &pool.state()[0];
        assert!(label.starts_with("token 1 (sha256 "));
        assert!(!label.contains("0123456789"));
    }
}
