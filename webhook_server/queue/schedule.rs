//! Which delivery may run next: the in-memory scheduling index of the embedded queue.
//!
//! Per key, pending deliveries wait in arrival order; a key with a running delivery has none
//! ready, and neither has a key whose oldest delivery waits to be retried (the deliveries
//! behind it wait too, so a pull request's events keep their order). `ready` holds, for every
//! other key with work, its oldest delivery, so a claim is a pop from an ordered set whatever
//! the backlog. The database stays the record of truth: the
//! index is rebuilt from it at start-up and whenever a transaction fails.

use std::collections::{BTreeSet, HashMap, VecDeque};

#[derive(Debug, Default)]
pub struct Schedule {
    pending: HashMap<String, VecDeque<i64>>,
    /// Running deliveries: seq → (key, lease deadline in ms).
    running: HashMap<i64, (String, i64)>,
    /// (oldest pending seq, key) of every key that has pending work and nothing running.
    ready: BTreeSet<(i64, String)>,
    /// (not before, in ms; seq, key) of every key whose oldest delivery waits to be retried.
    deferred: BTreeSet<(i64, i64, String)>,
}

impl Schedule {
    /// A new pending delivery, arriving after every other of its key.
    pub fn push(&mut self, seq: i64, key: &str) {
        let queue = self.pending.entry(key.to_string()).or_default();
        queue.push_back(seq);
        if queue.len() == 1 && !self.key_running(key) {
            self.ready.insert((seq, key.to_string()));
        }
    }

    /// Up to `limit` deliveries that may start now, oldest first; at most one per key.
    pub fn peek(&self, limit: usize) -> Vec<(i64, String)> {
        self.ready.iter().take(limit).cloned().collect()
    }

    /// Moves a ready delivery (from `peek`) to running.
    pub fn start(&mut self, seq: i64, key: &str, lease_until: i64) {
        self.ready.remove(&(seq, key.to_string()));
        if let Some(queue) = self.pending.get_mut(key) {
            if queue.front() == Some(&seq) {
                queue.pop_front();
            }
            if queue.is_empty() {
                self.pending.remove(key);
            }
        }
        self.running.insert(seq, (key.to_string(), lease_until));
    }

    /// The pending deliveries of a running delivery's key, oldest first.
    pub fn behind(&self, seq: i64) -> Vec<i64> {
        self.running
            .get(&seq)
            .and_then(|(key, _)| self.pending.get(key))
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    pub fn renew(&mut self, seq: i64, lease_until: i64) {
        if let Some(entry) = self.running.get_mut(&seq) {
            entry.1 = lease_until;
        }
    }

    /// A running delivery ended; its key's next delivery becomes ready. Returns whether it
    /// was running.
    pub fn finish(&mut self, seq: i64) -> bool {
        let Some((key, _)) = self.running.remove(&seq) else {
            return false;
        };
        if let Some(&head) = self.pending.get(&key).and_then(|q| q.front()) {
            self.ready.insert((head, key));
        }
        true
    }

    /// Running deliveries whose lease ended before `now`.
    pub fn expired(&self, now: i64) -> Vec<i64> {
        let mut seqs: Vec<i64> = self
            .running
            .iter()
            .filter(|(_, (_, until))| *until < now)
            .map(|(seq, _)| *seq)
            .collect();
        seqs.sort();
        seqs
    }

    /// Returns a running delivery to pending, ahead of the rest of its key (it was their head).
    pub fn requeue(&mut self, seq: i64) {
        if let Some(key) = self.back_to_front(seq) {
            self.ready.insert((seq, key));
        }
    }

    /// Returns a running delivery to the front of its key, to start again no sooner than
    /// `until`; its key stays blocked until then.
    pub fn defer(&mut self, seq: i64, until: i64) {
        if let Some(key) = self.back_to_front(seq) {
            self.deferred.insert((until, seq, key));
        }
    }

    /// Moves a running delivery to the front of its key's pending deliveries; returns the key.
    fn back_to_front(&mut self, seq: i64) -> Option<String> {
        let (key, _) = self.running.remove(&seq)?;
        let queue = self.pending.entry(key.clone()).or_default();
        if let Some(&old_head) = queue.front() {
            self.ready.remove(&(old_head, key.clone()));
        }
        queue.push_front(seq);
        Some(key)
    }

    /// Makes the deferred deliveries whose time has come ready again.
    pub fn wake(&mut self, now: i64) {
        while let Some(first) = self.deferred.first()
            && first.0 <= now
        {
            let (_, seq, key) = self.deferred.pop_first().expect("just seen");
            self.ready.insert((seq, key));
        }
    }

    /// (seq, not before) of the deliveries waiting to be retried, soonest first.
    pub fn waiting(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.deferred.iter().map(|(until, seq, _)| (*seq, *until))
    }

    fn key_running(&self, key: &str) -> bool {
        self.running.values().any(|(k, _)| k == key)
    }

    /// Rebuilds from the database's pending rows (in seq order, each with the time before
    /// which it may not start again, 0 for none) and running rows.
    pub fn rebuild(
        pending: impl IntoIterator<Item = (i64, String, i64)>,
        running: impl IntoIterator<Item = (i64, String, i64)>,
    ) -> Schedule {
        let mut s = Schedule::default();
        for (seq, key, until) in running {
            s.running.insert(seq, (key, until));
        }
        for (seq, key, not_before) in pending {
            s.push(seq, &key);
            // Only a key's oldest delivery is ever deferred: it was running, so it was first.
            if not_before > 0 && s.ready.remove(&(seq, key.clone())) {
                s.deferred.insert((not_before, seq, key));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(v: Vec<(i64, String)>) -> Vec<i64> {
        v.into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn one_per_key_in_arrival_order() {
        let mut s = Schedule::default();
        for (seq, key) in [(1, "a"), (2, "b"), (3, "a"), (4, "c"), (5, "b")] {
            s.push(seq, key);
        }
        assert_eq!(seqs(s.peek(10)), vec![1, 2, 4]);
        assert_eq!(seqs(s.peek(2)), vec![1, 2]);
        s.start(1, "a", 100);
        assert_eq!(seqs(s.peek(10)), vec![2, 4]);
        s.push(6, "a");
        assert_eq!(seqs(s.peek(10)), vec![2, 4]);
        assert!(s.finish(1));
        assert_eq!(seqs(s.peek(10)), vec![2, 3, 4]);
        assert!(!s.finish(1));
    }

    #[test]
    fn expired_leases_go_back_to_the_front_of_their_key() {
        let mut s = Schedule::default();
        s.push(1, "a");
        s.push(2, "a");
        s.start(1, "a", 50);
        s.renew(1, 80);
        assert!(s.expired(70).is_empty());
        assert_eq!(s.expired(90), vec![1]);
        s.requeue(1);
        assert_eq!(seqs(s.peek(10)), vec![1]);
        s.start(1, "a", 200);
        assert!(s.finish(1));
        assert_eq!(seqs(s.peek(10)), vec![2]);
    }

    #[test]
    fn a_deferred_delivery_blocks_its_key_until_its_time() {
        let mut s = Schedule::default();
        s.push(1, "a");
        s.push(2, "a");
        s.push(3, "b");
        s.start(1, "a", 50);
        s.defer(1, 100);
        s.push(4, "a");
        assert_eq!(seqs(s.peek(10)), vec![3]);
        assert_eq!(s.waiting().collect::<Vec<_>>(), vec![(1, 100)]);
        s.wake(99);
        assert_eq!(seqs(s.peek(10)), vec![3]);
        s.wake(100);
        assert_eq!(seqs(s.peek(10)), vec![1, 3]);
        assert_eq!(s.waiting().count(), 0);
        s.start(1, "a", 200);
        assert!(s.finish(1));
        assert_eq!(seqs(s.peek(10)), vec![2, 3]);
    }

    #[test]
    fn rebuild_keeps_deferred_deliveries_waiting() {
        let mut s = Schedule::rebuild(
            vec![
                (1, "a".to_string(), 500),
                (2, "a".to_string(), 0),
                (3, "b".to_string(), 0),
            ],
            Vec::new(),
        );
        assert_eq!(seqs(s.peek(10)), vec![3]);
        s.wake(500);
        assert_eq!(seqs(s.peek(10)), vec![1, 3]);
    }

    #[test]
    fn rebuild_respects_running_keys() {
        let s = Schedule::rebuild(
            vec![(2, "a".to_string(), 0), (3, "b".to_string(), 0)],
            vec![(1, "a".to_string(), 10)],
        );
        let mut s = s;
        assert_eq!(seqs(s.peek(10)), vec![3]);
        assert!(s.finish(1));
        assert_eq!(seqs(s.peek(10)), vec![2, 3]);
    }
}
