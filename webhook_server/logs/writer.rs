//! The single writer of `logs/webhooks_YYYY-MM-DD.json`.
//!
//! Workers store each summary record in the queue in the same transaction that completes the
//! delivery. This task appends them to the daily file in order, fsyncs, and records how far it
//! got. After a crash between an append and that record, the lines already in the file are
//! matched against the pending records on start-up, so every delivery has exactly one line.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{Notify, watch};

use crate::queue::{DeliveryQueue, LogCursor, SummaryRow};

const BATCH: usize = 1000;

pub fn file_name(day: &str) -> String {
    format!("webhooks_{day}.json")
}

pub struct LogWriter {
    pub queue: Arc<dyn DeliveryQueue>,
    pub dir: PathBuf,
    pub wake: Arc<Notify>,
}

impl LogWriter {
    /// Appends records as they arrive; once `shutdown` is true, writes what is left and returns.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let mut cursor = self.recover().await?;
        loop {
            let rows = self.queue.summaries_after(cursor.upto, BATCH).await?;
            if rows.is_empty() {
                if *shutdown.borrow() {
                    return Ok(());
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            cursor = self.append(cursor, rows).await?;
        }
    }

    /// Writes the leading run of rows that share a day, then records the new cursor.
    async fn append(&self, mut cursor: LogCursor, rows: Vec<SummaryRow>) -> Result<LogCursor> {
        let day = rows[0].day.clone();
        let name = file_name(&day);
        let path = self.dir.join(&name);
        if cursor.file.as_deref() != Some(name.as_str()) {
            // Record the switch before writing, so recovery knows which file to inspect.
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            cursor = LogCursor {
                upto: cursor.upto,
                file: Some(name.clone()),
                offset: len,
            };
            self.queue.advance_log_cursor(cursor.clone()).await?;
        }
        let mut text = String::new();
        let mut upto = cursor.upto;
        for row in rows.iter().take_while(|r| r.day == day) {
            text.push_str(&row.line);
            text.push('\n');
            upto = row.seq;
        }
        let offset = tokio::task::spawn_blocking(move || append_synced(&path, text.as_bytes()))
            .await
            .context("log writer task")??;
        let next = LogCursor {
            upto,
            file: Some(name),
            offset,
        };
        self.queue.advance_log_cursor(next.clone()).await?;
        Ok(next)
    }

    /// Reconciles the cursor with the file after an unclean stop.
    async fn recover(&self) -> Result<LogCursor> {
        let mut cursor = self.queue.log_cursor().await?;
        let Some(name) = cursor.file.clone() else {
            return Ok(cursor);
        };
        let path = self.dir.join(&name);
        let offset = cursor.offset;
        let lines = tokio::task::spawn_blocking(move || tail_lines(&path, offset))
            .await
            .context("log recovery task")??;
        if lines.is_empty() {
            return Ok(cursor);
        }
        let pending = self.queue.summaries_after(cursor.upto, lines.len()).await?;
        let mut matched = 0;
        for (line, row) in lines.iter().zip(&pending) {
            if file_name(&row.day) != name || hook_id(line).as_deref() != Some(&row.delivery_id) {
                break;
            }
            cursor.upto = row.seq;
            cursor.offset += line.len() as u64 + 1;
            matched += 1;
        }
        if matched < lines.len() {
            tracing::warn!(
                file = %name,
                unexpected = lines.len() - matched,
                "log file has lines the queue does not account for; leaving them in place"
            );
            cursor.offset += lines[matched..]
                .iter()
                .map(|l| l.len() as u64 + 1)
                .sum::<u64>();
        }
        if matched > 0 {
            tracing::info!(
                records = matched,
                "summary records written before the last stop were found in {name}"
            );
        }
        self.queue.advance_log_cursor(cursor.clone()).await?;
        Ok(cursor)
    }
}

fn hook_id(line: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        hook_id: String,
    }
    serde_json::from_str::<Id>(line).ok().map(|i| i.hook_id)
}

fn append_synced(path: &Path, bytes: &[u8]) -> Result<u64> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("appending to {}", path.display()))?;
    file.sync_data()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(file.metadata()?.len())
}

/// Complete lines after `offset`. A torn last line (no newline: the process died mid-write) is
/// cut off so the next append starts on a clean line.
fn tail_lines(path: &Path, offset: u64) -> Result<Vec<String>> {
    let mut file = match File::options().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    let len = file.metadata()?.len();
    if len <= offset {
        return Ok(Vec::new());
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let complete = tail.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    if complete < tail.len() {
        file.set_len(offset + complete as u64)?;
        file.sync_data()?;
    }
    Ok(String::from_utf8_lossy(&tail[..complete])
        .lines()
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::sqlite::SqliteQueue;
    use crate::queue::{Completion, FinalState, NewDelivery};

    async fn queue_with_completed(dir: &Path, ids: &[&str]) -> Arc<dyn DeliveryQueue> {
        let q: Arc<dyn DeliveryQueue> = Arc::new(SqliteQueue::open(&dir.join("q.db")).unwrap());
        for id in ids {
            q.enqueue(NewDelivery {
                delivery_id: id.to_string(),
                event: "ping".into(),
                hook_id: None,
                key: id.to_string(),
                repository: None,
                action: None,
                payload: bytes::Bytes::from_static(b"{}"),
            })
            .await
            .unwrap();
        }
        for c in q
            .claim("w", ids.len(), Duration::from_secs(60))
            .await
            .unwrap()
        {
            q.complete(
                c.seq,
                Completion {
                    state: FinalState::Done,
                    day: "2026-11-22".into(),
                    summary_line: format!(r#"{{"hook_id":"{}"}}"#, c.delivery_id),
                    follow_ups: Vec::new(),
                },
            )
            .await
            .unwrap();
        }
        q
    }

    fn lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join("logs").join(file_name("2026-11-22")))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    async fn drain(q: Arc<dyn DeliveryQueue>, dir: &Path) {
        let (tx, rx) = watch::channel(true);
        LogWriter {
            queue: q,
            dir: dir.join("logs"),
            wake: Arc::default(),
        }
        .run(rx)
        .await
        .unwrap();
        drop(tx);
    }

    #[tokio::test]
    async fn records_are_appended_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let q = queue_with_completed(dir.path(), &["a", "b", "c"]).await;
        drain(q.clone(), dir.path()).await;
        assert_eq!(
            lines(dir.path()),
            vec![
                r#"{"hook_id":"a"}"#,
                r#"{"hook_id":"b"}"#,
                r#"{"hook_id":"c"}"#
            ]
        );
        assert!(q.summaries_after(0, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn lines_written_before_a_crash_are_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let q = queue_with_completed(dir.path(), &["a", "b", "c"]).await;
        // A previous run recorded the file switch, appended two lines and a torn third, then died.
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        q.advance_log_cursor(LogCursor {
            upto: 0,
            file: Some(file_name("2026-11-22")),
            offset: 0,
        })
        .await
        .unwrap();
        std::fs::write(
            logs.join(file_name("2026-11-22")),
            "{\"hook_id\":\"a\"}\n{\"hook_id\":\"b\"}\n{\"hook_",
        )
        .unwrap();
        drain(q, dir.path()).await;
        assert_eq!(
            lines(dir.path()),
            vec![
                r#"{"hook_id":"a"}"#,
                r#"{"hook_id":"b"}"#,
                r#"{"hook_id":"c"}"#
            ]
        );
    }
}
