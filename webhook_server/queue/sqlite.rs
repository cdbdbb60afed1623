//! The embedded queue: SQLite (WAL, `synchronous=FULL`) in the data dir.
//!
//! One thread owns the connection. Callers send it jobs; it runs every job waiting at that
//! moment inside one transaction and answers them only after that transaction commits. Under
//! load many enqueues share one fsync (group commit), which is what lets durable intake keep up
//! with a bare HTTP handler. Because that thread sees every change, it also keeps the
//! scheduling index (`schedule.rs`) that makes a claim independent of the backlog's size.
//!
//! Payloads are stored lz4-packed: GitHub's JSON repeats itself (a 21 KB pull_request event
//! packs to ~4 KB), and at intake rates the bytes written per delivery decide throughput.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::schedule::Schedule;
use super::{
    Behind, Claimed, Completion, DeliveryQueue, Enqueued, FinalState, LogCursor, NewDelivery,
    QueueError, QueueFuture, QueueStats, Retrying, SummaryRow, now_ms,
};

type Finish = Box<dyn FnOnce(Result<(), QueueError>) + Send>;
type Job = Box<dyn FnOnce(&mut Store) -> Finish + Send>;

/// Enough to amortise an fsync without making any caller wait long behind a huge batch.
const MAX_BATCH: usize = 512;

pub struct SqliteQueue {
    jobs: mpsc::Sender<Job>,
}

struct Store {
    conn: Connection,
    schedule: Schedule,
    /// Deliveries per state, kept as they change so `/status` costs no scan.
    counts: QueueStats,
    /// Set when a job or a commit failed: the schedule and counts may disagree with the
    /// database until they are rebuilt from it.
    stale: bool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL UNIQUE,
    event        TEXT NOT NULL,
    hook_id      TEXT,
    key          TEXT NOT NULL,
    repository   TEXT,
    action       TEXT,
    payload      BLOB NOT NULL,
    received_at  INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  INTEGER,
    finished_at  INTEGER,
    not_before   INTEGER,
    last_error   TEXT
);
CREATE TABLE IF NOT EXISTS summaries (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL,
    day          TEXT NOT NULL,
    line         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log_cursor (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    upto    INTEGER NOT NULL,
    file    TEXT,
    offset  INTEGER NOT NULL
);
INSERT OR IGNORE INTO log_cursor (id, upto, file, offset) VALUES (1, 0, NULL, 0);
";

fn storage(e: impl std::fmt::Display) -> QueueError {
    QueueError::Storage(e.to_string())
}

impl From<rusqlite::Error> for QueueError {
    fn from(e: rusqlite::Error) -> Self {
        storage(e)
    }
}

impl From<std::io::Error> for QueueError {
    fn from(e: std::io::Error) -> Self {
        storage(e)
    }
}

fn count_states(conn: &Connection) -> rusqlite::Result<QueueStats> {
    let mut stats = QueueStats::default();
    let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM deliveries GROUP BY state")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (state, n) = row?;
        let n = n as u64;
        match state.as_str() {
            "pending" => stats.pending = n,
            "running" => stats.running = n,
            "done" => stats.done = n,
            "failed" => stats.failed = n,
            _ => {}
        }
    }
    Ok(stats)
}

/// Queues created before retries existed lack their columns.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has = |column: &str| -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = ?1",
            params![column],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    for (column, kind) in [("not_before", "INTEGER"), ("last_error", "TEXT")] {
        if !has(column)? {
            conn.execute_batch(&format!(
                "ALTER TABLE deliveries ADD COLUMN {column} {kind}"
            ))?;
        }
    }
    Ok(())
}

fn load_schedule(conn: &Connection) -> rusqlite::Result<Schedule> {
    let mut pending = conn.prepare(
        "SELECT seq, key, COALESCE(not_before, 0) FROM deliveries
         WHERE state = 'pending' ORDER BY seq",
    )?;
    let pending: Vec<(i64, String, i64)> = pending
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut running = conn.prepare(
        "SELECT seq, key, COALESCE(lease_until, 0) FROM deliveries WHERE state = 'running'",
    )?;
    let running: Vec<(i64, String, i64)> = running
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Schedule::rebuild(pending, running))
}

impl Store {
    /// Stores a delivery (its payload already packed) unless its id is known.
    fn insert(&mut self, d: &NewDelivery, packed: &[u8]) -> Result<Enqueued, QueueError> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO deliveries
                   (delivery_id, event, hook_id, key, repository, action, payload, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                d.delivery_id,
                d.event,
                d.hook_id,
                d.key,
                d.repository,
                d.action,
                packed,
                now_ms()
            ])?;
        if inserted == 0 {
            return Ok(Enqueued::Duplicate);
        }
        self.counts.pending += 1;
        self.schedule.push(self.conn.last_insert_rowid(), &d.key);
        Ok(Enqueued::Queued)
    }
}

impl SqliteQueue {
    /// Opens (or creates) the queue at `path`. The caller must own the data dir exclusively:
    /// deliveries left running by a previous process are returned to pending here.
    pub fn open(path: &Path) -> Result<SqliteQueue, QueueError> {
        let conn = Connection::open(path).map_err(storage)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -32768;",
        )
        .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        migrate(&conn).map_err(storage)?;
        let requeued = conn
            .execute(
                "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL
                 WHERE state = 'running'",
                [],
            )
            .map_err(storage)?;
        if requeued > 0 {
            tracing::warn!(
                requeued,
                "deliveries interrupted by the previous run are queued again"
            );
        }
        let schedule = load_schedule(&conn)?;
        let counts = count_states(&conn)?;
        let store = Store {
            conn,
            schedule,
            counts,
            stale: false,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-queue".into())
            .spawn(move || run(store, rx))
            .map_err(storage)?;
        Ok(SqliteQueue { jobs: tx })
    }

    fn call<T, F>(&self, f: F) -> QueueFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, QueueError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, QueueError>>();
        let job: Job = Box::new(move |store| {
            let result = f(store);
            if result.is_err() {
                store.stale = true;
            }
            Box::new(move |commit| {
                let _ = tx.send(commit.and(result));
            })
        });
        let sent = self.jobs.send(job).map_err(|_| QueueError::Closed);
        Box::pin(async move {
            sent?;
            rx.await.map_err(|_| QueueError::Closed)?
        })
    }
}

fn begin(store: &mut Store) -> Result<(), QueueError> {
    Ok(store.conn.execute_batch("BEGIN IMMEDIATE")?)
}

fn commit(store: &mut Store) -> Result<(), QueueError> {
    let result = store.conn.execute_batch("COMMIT");
    if result.is_err() {
        let _ = store.conn.execute_batch("ROLLBACK");
        store.stale = true;
    }
    Ok(result?)
}

fn run(mut store: Store, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (finishes, commit): (Vec<Finish>, _) = match begin(&mut store) {
            Ok(()) => {
                let finishes = jobs.into_iter().map(|job| job(&mut store)).collect();
                (finishes, commit(&mut store))
            }
            Err(err) => {
                tracing::error!("queue transaction could not start: {err}");
                // Nothing ran; every caller gets the error.
                let finishes = jobs
                    .into_iter()
                    .map(|_| -> Finish { Box::new(|_| {}) })
                    .collect();
                (finishes, Err(err))
            }
        };
        // A failed job leaves the statements that succeeded (each is atomic) for the batch to
        // commit with the others; the in-memory view is then rebuilt from what was stored.
        if store.stale {
            match load_schedule(&store.conn).and_then(|s| Ok((s, count_states(&store.conn)?))) {
                Ok((schedule, counts)) => {
                    store.schedule = schedule;
                    store.counts = counts;
                    store.stale = false;
                }
                Err(e) => tracing::error!("rebuilding the queue schedule: {e}"),
            }
        }
        for finish in finishes {
            finish(commit.clone());
        }
    }
}

impl DeliveryQueue for SqliteQueue {
    fn enqueue(&self, d: NewDelivery) -> QueueFuture<'_, Enqueued> {
        // Packed on the caller's task, so the queue thread only stores bytes.
        let packed = lz4_flex::compress_prepend_size(&d.payload);
        self.call(move |store| store.insert(&d, &packed))
    }

    fn claim(&self, owner: &str, limit: usize, lease: Duration) -> QueueFuture<'_, Vec<Claimed>> {
        let owner = owner.to_string();
        self.call(move |store| {
            let now = now_ms();
            store.schedule.wake(now);
            for seq in store.schedule.expired(now) {
                store
                    .conn
                    .prepare_cached(
                        "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL
                         WHERE seq = ?1",
                    )?
                    .execute(params![seq])?;
                store.schedule.requeue(seq);
                store.counts.running = store.counts.running.saturating_sub(1);
                store.counts.pending += 1;
            }
            let until = now + lease.as_millis() as i64;
            let mut claimed = Vec::new();
            for (seq, key) in store.schedule.peek(limit) {
                let (delivery_id, event, attempt, packed, last_error): (
                    String,
                    String,
                    u32,
                    Vec<u8>,
                    Option<String>,
                ) = store
                    .conn
                    .prepare_cached(
                        "UPDATE deliveries
                         SET state = 'running', attempts = attempts + 1, lease_owner = ?2,
                             lease_until = ?3, not_before = NULL
                         WHERE seq = ?1
                         RETURNING delivery_id, event, attempts, payload, last_error",
                    )?
                    .query_row(params![seq, owner, until], |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                        ))
                    })?;
                let payload = lz4_flex::decompress_size_prepended(&packed)
                    .map_err(|e| storage(format!("payload of delivery {seq} is corrupt: {e}")))?;
                let delivery = Claimed {
                    seq,
                    delivery_id,
                    event,
                    payload,
                    attempt,
                    last_error,
                };
                store.schedule.start(seq, &key, until);
                store.counts.pending = store.counts.pending.saturating_sub(1);
                store.counts.running += 1;
                claimed.push(delivery);
            }
            Ok(claimed)
        })
    }

    fn renew(&self, seqs: Vec<i64>, lease: Duration) -> QueueFuture<'_, ()> {
        self.call(move |store| {
            let until = now_ms() + lease.as_millis() as i64;
            for seq in seqs {
                store
                    .conn
                    .prepare_cached(
                        "UPDATE deliveries SET lease_until = ?2 WHERE seq = ?1 AND state = 'running'",
                    )?
                    .execute(params![seq, until])?;
                store.schedule.renew(seq, until);
            }
            Ok(())
        })
    }

    fn complete(&self, seq: i64, c: Completion) -> QueueFuture<'_, ()> {
        self.call(move |store| {
            let conn = &store.conn;
            let state = match c.state {
                FinalState::Done => "done",
                FinalState::Failed => "failed",
            };
            let delivery_id: Option<String> = conn
                .prepare_cached(
                    "UPDATE deliveries
                     SET state = ?2, finished_at = ?3, lease_owner = NULL, lease_until = NULL
                     WHERE seq = ?1 AND state = 'running'
                     RETURNING delivery_id",
                )?
                .query_row(params![seq, state, now_ms()], |row| row.get(0))
                .optional()?;
            // Not running any more (its lease expired and another worker took it): the other
            // worker's completion is the one that counts, so no second summary is written.
            if let Some(delivery_id) = delivery_id {
                conn.prepare_cached(
                    "INSERT INTO summaries (delivery_id, day, line) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![delivery_id, c.day, c.summary_line])?;
                store.schedule.finish(seq);
                store.counts.running = store.counts.running.saturating_sub(1);
                match c.state {
                    FinalState::Done => store.counts.done += 1,
                    FinalState::Failed => store.counts.failed += 1,
                }
                for d in &c.follow_ups {
                    store.insert(d, &lz4_flex::compress_prepend_size(&d.payload))?;
                }
            }
            Ok(())
        })
    }

    fn defer(&self, seq: i64, until_ms: i64, error: String) -> QueueFuture<'_, ()> {
        self.call(move |store| {
            let deferred = store
                .conn
                .prepare_cached(
                    "UPDATE deliveries
                     SET state = 'pending', lease_owner = NULL, lease_until = NULL,
                         not_before = ?2, last_error = ?3
                     WHERE seq = ?1 AND state = 'running'",
                )?
                .execute(params![seq, until_ms, error])?;
            if deferred > 0 {
                store.schedule.defer(seq, until_ms);
                store.counts.running = store.counts.running.saturating_sub(1);
                store.counts.pending += 1;
            }
            Ok(())
        })
    }

    fn retrying(&self, limit: usize) -> QueueFuture<'_, Vec<Retrying>> {
        self.call(move |store| {
            let mut stmt = store.conn.prepare_cached(
                "SELECT delivery_id, event, key, attempts, COALESCE(last_error, '')
                 FROM deliveries WHERE seq = ?1 AND state = 'pending'",
            )?;
            let mut out = Vec::new();
            for (seq, not_before) in store.schedule.waiting().take(limit) {
                let row = stmt
                    .query_row(params![seq], |row| {
                        Ok(Retrying {
                            delivery_id: row.get(0)?,
                            event: row.get(1)?,
                            key: row.get(2)?,
                            attempts: row.get(3)?,
                            not_before_ms: not_before,
                            last_error: row.get(4)?,
                        })
                    })
                    .optional()?;
                out.extend(row);
            }
            Ok(out)
        })
    }

    fn pending_behind(&self, seq: i64, limit: usize) -> QueueFuture<'_, Vec<Behind>> {
        self.call(move |store| {
            let mut stmt = store.conn.prepare_cached(
                "SELECT delivery_id, event, payload FROM deliveries
                 WHERE seq = ?1 AND state = 'pending'",
            )?;
            let mut out = Vec::new();
            for later in store.schedule.behind(seq).into_iter().take(limit) {
                let row = stmt
                    .query_row(params![later], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get::<_, Vec<u8>>(2)?))
                    })
                    .optional()?;
                if let Some((delivery_id, event, packed)) = row {
                    out.push(Behind {
                        delivery_id,
                        event,
                        payload: lz4_flex::decompress_size_prepended(&packed).map_err(storage)?,
                    });
                }
            }
            Ok(out)
        })
    }

    fn stats(&self) -> QueueFuture<'_, QueueStats> {
        self.call(|store| {
            Ok(QueueStats {
                retrying: store.schedule.waiting().count() as u64,
                ..store.counts
            })
        })
    }

    fn prune(&self, older_than: Duration) -> QueueFuture<'_, u64> {
        self.call(move |store| {
            let cutoff = now_ms() - older_than.as_millis() as i64;
            let forget = |state: &str| {
                store.conn.execute(
                    "DELETE FROM deliveries WHERE state = ?1 AND finished_at < ?2",
                    params![state, cutoff],
                )
            };
            let done = forget("done")? as u64;
            let failed = forget("failed")? as u64;
            store.counts.done = store.counts.done.saturating_sub(done);
            store.counts.failed = store.counts.failed.saturating_sub(failed);
            Ok(done + failed)
        })
    }

    fn summaries_after(&self, after: i64, limit: usize) -> QueueFuture<'_, Vec<SummaryRow>> {
        self.call(move |store| {
            let mut stmt = store.conn.prepare_cached(
                "SELECT seq, delivery_id, day, line FROM summaries WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, limit as i64], |row| {
                Ok(SummaryRow {
                    seq: row.get(0)?,
                    delivery_id: row.get(1)?,
                    day: row.get(2)?,
                    line: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn log_cursor(&self) -> QueueFuture<'_, LogCursor> {
        self.call(|store| {
            Ok(store.conn.query_row(
                "SELECT upto, file, offset FROM log_cursor WHERE id = 1",
                [],
                |row| {
                    Ok(LogCursor {
                        upto: row.get(0)?,
                        file: row.get(1)?,
                        offset: row.get::<_, i64>(2)? as u64,
                    })
                },
            )?)
        })
    }

    fn advance_log_cursor(&self, cursor: LogCursor) -> QueueFuture<'_, ()> {
        self.call(move |store| {
            store.conn.execute(
                "UPDATE log_cursor SET upto = ?1, file = ?2, offset = ?3 WHERE id = 1",
                params![cursor.upto, cursor.file, cursor.offset as i64],
            )?;
            store.conn.execute(
                "DELETE FROM summaries WHERE seq <= ?1",
                params![cursor.upto],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
