//! The durable delivery queue.
//!
//! A delivery is stored before intake answers 200, claimed by a worker under a lease, and
//! completed together with its summary record in one transaction. Deliveries sharing a key
//! (repository + PR/issue, commit or ref) run one at a time in arrival order.

mod schedule;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

pub type QueueFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, QueueError>> + Send + 'a>>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    #[error("queue storage: {0}")]
    Storage(String),
    #[error("the queue is shut down")]
    Closed,
}

/// A verified delivery, as received.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub delivery_id: String,
    pub event: String,
    pub hook_id: Option<String>,
    /// Ordering key: deliveries with the same key never run concurrently.
    pub key: String,
    pub repository: Option<String>,
    pub action: Option<String>,
    /// The body as received; shared with intake, not copied.
    pub payload: bytes::Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Queued,
    /// This delivery id was already received; it is not queued again.
    Duplicate,
}

/// A delivery claimed by a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub seq: i64,
    pub delivery_id: String,
    pub event: String,
    pub payload: Vec<u8>,
    /// 1 on the first claim; more after a retry, a crash or an expired lease.
    pub attempt: u32,
    /// Why the previous attempt was retried, if it was.
    pub last_error: Option<String>,
}

/// A delivery waiting to be tried again after a transient failure.
#[derive(Debug, Clone)]
pub struct Retrying {
    pub delivery_id: String,
    pub event: String,
    pub key: String,
    pub attempts: u32,
    /// Unix time in ms before which it does not run again.
    pub not_before_ms: i64,
    pub last_error: String,
}

/// A delivery waiting behind a running one.
#[derive(Debug, Clone)]
pub struct Behind {
    pub delivery_id: String,
    pub event: String,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalState {
    Done,
    Failed,
}

/// How a delivery ended, with its summary record (one JSON line, already masked).
#[derive(Debug, Clone)]
pub struct Completion {
    pub state: FinalState,
    pub day: String,
    pub summary_line: String,
    /// Deliveries the processing asked for (refreshing other pull requests after a merge),
    /// stored in the same transaction, so a crash loses neither or both.
    pub follow_ups: Vec<NewDelivery>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub pending: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
    /// Of the pending deliveries, those waiting to be retried.
    pub retrying: u64,
}

/// A summary record waiting to be appended to its daily log file.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub seq: i64,
    pub delivery_id: String,
    pub day: String,
    pub line: String,
}

/// How far the log writer got: every summary up to `upto` is in the files, and `file` was
/// `offset` bytes long after the last recorded append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCursor {
    pub upto: i64,
    pub file: Option<String>,
    pub offset: u64,
}

pub trait DeliveryQueue: Send + Sync + 'static {
    /// Stores a delivery durably; returns once it would survive a crash.
    fn enqueue(&self, delivery: NewDelivery) -> QueueFuture<'_, Enqueued>;

    /// Claims up to `limit` deliveries, each the oldest pending one of a key that has nothing
    /// running. Expired leases are returned to pending first.
    fn claim(&self, owner: &str, limit: usize, lease: Duration) -> QueueFuture<'_, Vec<Claimed>>;

    /// The event and payload of up to `limit` deliveries waiting behind the running delivery
    /// `seq` (same key), oldest first: what will run after it.
    fn pending_behind(&self, seq: i64, limit: usize) -> QueueFuture<'_, Vec<Behind>>;

    /// Extends the leases of deliveries still being processed.
    fn renew(&self, seqs: Vec<i64>, lease: Duration) -> QueueFuture<'_, ()>;

    /// Ends a delivery and stores its summary record, atomically.
    fn complete(&self, seq: i64, completion: Completion) -> QueueFuture<'_, ()>;

    /// Returns a running delivery to pending after a transient failure: it starts again no
    /// sooner than `until_ms` (unix ms), and until then the deliveries of its key wait too.
    fn defer(&self, seq: i64, until_ms: i64, error: String) -> QueueFuture<'_, ()>;

    /// Up to `limit` deliveries waiting to be retried, soonest first.
    fn retrying(&self, limit: usize) -> QueueFuture<'_, Vec<Retrying>>;

    fn stats(&self) -> QueueFuture<'_, QueueStats>;

    /// Forgets finished deliveries older than `older_than`; returns how many. Until then their
    /// ids deduplicate redeliveries.
    fn prune(&self, older_than: Duration) -> QueueFuture<'_, u64>;

    /// Summary records after `after`, oldest first.
    fn summaries_after(&self, after: i64, limit: usize) -> QueueFuture<'_, Vec<SummaryRow>>;

    fn log_cursor(&self) -> QueueFuture<'_, LogCursor>;

    /// Records progress of the log writer and drops the summaries it has written.
    fn advance_log_cursor(&self, cursor: LogCursor) -> QueueFuture<'_, ()>;
}

/// The wall clock in unix ms, as the queue keeps leases and retry times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The ordering key of a delivery, from its event and payload.
pub fn ordering_key(event: &str, delivery_id: &str, meta: &PayloadMeta) -> String {
    let Some(repo) = meta
        .repository
        .as_ref()
        .and_then(|r| r.full_name.as_deref())
    else {
        return format!("delivery:{delivery_id}");
    };
    let number = meta
        .pull_request
        .as_ref()
        .and_then(|p| p.number)
        .or_else(|| meta.issue.as_ref().and_then(|i| i.number))
        .or_else(|| {
            meta.check_run
                .as_ref()
                .and_then(|c| c.pull_requests.first())
                .and_then(|p| p.number)
        })
        .or_else(|| {
            meta.check_suite
                .as_ref()
                .and_then(|c| c.pull_requests.first())
                .and_then(|p| p.number)
        })
        .or(match event {
            "pull_request" => meta.number,
            _ => None,
        });
    if let Some(n) = number {
        return format!("{repo}#{n}");
    }
    let sha = meta
        .check_run
        .as_ref()
        .and_then(|c| c.head_sha.as_deref())
        .or_else(|| {
            meta.check_suite
                .as_ref()
                .and_then(|c| c.head_sha.as_deref())
        })
        .or(meta.sha.as_deref());
    if let Some(sha) = sha {
        return format!("{repo}@{sha}");
    }
    if let Some(r) = &meta.git_ref {
        return format!("{repo}:{r}");
    }
    repo.to_string()
}

/// The few payload fields intake needs; the rest is skipped without being materialised.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PayloadMeta {
    pub action: Option<String>,
    pub number: Option<u64>,
    pub repository: Option<RepositoryMeta>,
    pub pull_request: Option<NumberMeta>,
    pub issue: Option<NumberMeta>,
    pub check_run: Option<CheckMeta>,
    pub check_suite: Option<CheckMeta>,
    pub sha: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RepositoryMeta {
    pub name: Option<String>,
    pub full_name: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NumberMeta {
    pub number: Option<u64>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct CheckMeta {
    pub head_sha: Option<String>,
    #[serde(default)]
    pub pull_requests: Vec<NumberMeta>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(event: &str, json: &str) -> String {
        let meta: PayloadMeta = serde_json::from_str(json).unwrap();
        ordering_key(event, "d1", &meta)
    }

    #[test]
    fn pr_scoped_events_share_the_pr_key() {
        let repo = r#""repository":{"name":"r","full_name":"o/r"}"#;
        assert_eq!(
            key(
                "pull_request",
                &format!(r#"{{"number":5,"pull_request":{{"number":5}},{repo}}}"#)
            ),
            "o/r#5"
        );
        assert_eq!(
            key(
                "issue_comment",
                &format!(r#"{{"issue":{{"number":5}},{repo}}}"#)
            ),
            "o/r#5"
        );
        assert_eq!(
            key(
                "check_run",
                &format!(
                    r#"{{"check_run":{{"head_sha":"abc","pull_requests":[{{"number":5}}]}},{repo}}}"#
                )
            ),
            "o/r#5"
        );
    }

    #[test]
    fn commit_ref_and_repo_keys() {
        let repo = r#""repository":{"name":"r","full_name":"o/r"}"#;
        assert_eq!(
            key(
                "check_run",
                &format!(r#"{{"check_run":{{"head_sha":"abc","pull_requests":[]}},{repo}}}"#)
            ),
            "o/r@abc"
        );
        assert_eq!(
            key("status", &format!(r#"{{"sha":"def",{repo}}}"#)),
            "o/r@def"
        );
        assert_eq!(
            key("push", &format!(r#"{{"ref":"refs/tags/v1",{repo}}}"#)),
            "o/r:refs/tags/v1"
        );
        assert_eq!(key("label", &format!(r#"{{{repo}}}"#)), "o/r");
        assert_eq!(key("installation", "{}"), "delivery:d1");
    }
}
