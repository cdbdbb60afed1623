//! When a delivery that met a transient GitHub failure runs again: a pure decision.
//!
//! Pauses double from `retry-delay-seconds` up to sixty times it, each shortened by a jitter
//! of up to half, so deliveries that failed together (an outage) do not return together.
//! The jitter is drawn from the delivery id and attempt, which spreads a burst just as well
//! as randomness and keeps the schedule reproducible. When every token is spent, the delivery
//! waits for the earliest reset instead, plus a jitter of up to a second.

use std::hash::{Hash, Hasher};

use crate::config::model::ServerConfig;
use crate::github::client::Transient;

/// The longest pause, as a multiple of the first.
const MAX_GROWTH: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    /// The first pause, in ms.
    pub first_delay_ms: f64,
}

impl RetryPolicy {
    pub fn of(server: &ServerConfig) -> RetryPolicy {
        RetryPolicy {
            max_attempts: server.max_delivery_attempts,
            first_delay_ms: server.retry_delay_seconds * 1000.0,
        }
    }

    /// When attempt `attempt` (1 for the first) of `delivery_id`, which failed with
    /// `transient`, may run again, in unix ms; `None` when it has had all its attempts.
    pub fn next(
        &self,
        transient: Transient,
        delivery_id: &str,
        attempt: u32,
        now_ms: i64,
    ) -> Option<i64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let spread = unit(delivery_id, attempt);
        if let Transient::Until(reset) = transient
            && reset * 1000 > now_ms
        {
            return Some(reset * 1000 + (spread * 1000.0) as i64);
        }
        let doubled = self.first_delay_ms * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let pause = doubled.min(self.first_delay_ms * MAX_GROWTH);
        Some(now_ms + (pause * (1.0 - spread / 2.0)) as i64)
    }
}

/// A number in [0, 1) fixed by the delivery and attempt.
fn unit(delivery_id: &str, attempt: u32) -> f64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (delivery_id, attempt).hash(&mut hasher);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: RetryPolicy = RetryPolicy {
        max_attempts: 12,
        first_delay_ms: 5000.0,
    };

    fn pauses(policy: &RetryPolicy, id: &str) -> Vec<i64> {
        (1..)
            .map_while(|attempt| policy.next(Transient::Backoff, id, attempt, 0))
            .collect()
    }

    #[test]
    fn the_defaults_span_about_half_an_hour() {
        for id in ["a", "b", "c", "d"] {
            let pauses = pauses(&DEFAULTS, id);
            assert_eq!(pauses.len(), 11, "12 attempts, 11 pauses");
            let total: i64 = pauses.iter().sum();
            // Without jitter 1815 s; jitter takes off at most half.
            assert!((907_000..=1_815_000).contains(&total), "{total}");
            assert!(pauses.iter().all(|p| *p <= 300_000));
        }
    }

    #[test]
    fn pauses_grow_and_jitter_spreads_a_burst() {
        let p = pauses(&DEFAULTS, "x");
        assert!(p[0] >= 2500 && p[0] <= 5000);
        assert!(p[3] >= 20_000 && p[3] <= 40_000);
        let first: std::collections::HashSet<i64> = (0..20)
            .map(|i| {
                DEFAULTS
                    .next(Transient::Backoff, &format!("d{i}"), 1, 0)
                    .unwrap()
            })
            .collect();
        assert!(first.len() > 10, "{first:?}");
        assert_eq!(
            DEFAULTS.next(Transient::Backoff, "x", 3, 0),
            DEFAULTS.next(Transient::Backoff, "x", 3, 0)
        );
    }

    #[test]
    fn spent_tokens_wait_for_their_reset() {
        let at = DEFAULTS
            .next(Transient::Until(1_000), "x", 1, 400_000)
            .unwrap();
        assert!((1_000_000..1_001_000).contains(&at), "{at}");
        // A reset already past backs off as usual.
        let at = DEFAULTS.next(Transient::Until(1), "x", 1, 400_000).unwrap();
        assert!((402_500..=405_000).contains(&at), "{at}");
    }

    #[test]
    fn the_last_attempt_is_final() {
        let once = RetryPolicy {
            max_attempts: 1,
            first_delay_ms: 10.0,
        };
        assert_eq!(once.next(Transient::Backoff, "x", 1, 0), None);
        assert_eq!(DEFAULTS.next(Transient::Backoff, "x", 12, 0), None);
        assert!(DEFAULTS.next(Transient::Backoff, "x", 11, 0).is_some());
    }
}
