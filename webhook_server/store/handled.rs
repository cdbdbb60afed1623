//! Comments whose commands the server has carried out, by comment and text: a command is
//! intent, so a comment delivered again (GitHub's redelivery, a replay under a new id) must
//! not act twice, while an edit that adds a command is a new text and acts. Kept in
//! `<data-dir>/handled_comments.sqlite3`; a lost store only means a replay acts again, as
//! the reference always did.

use std::path::PathBuf;

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::lazy_db::{LazyDb, now};

/// Comments are remembered as long as GitHub offers their deliveries again, and then some.
const RETENTION_SECS: i64 = 30 * 24 * 3600;

pub struct HandledComments {
    db: LazyDb,
}

fn digest(body: &str) -> String {
    format!("{:x}", Sha256::digest(body.as_bytes()))
}

impl HandledComments {
    pub fn new(path: PathBuf) -> HandledComments {
        HandledComments {
            db: LazyDb::new(path, prepare),
        }
    }

    /// Whether the commands of comment `id` of `repository`, as `body` reads, were carried out.
    /// A store that cannot answer says no: acting again is safer than never acting.
    pub fn contains(&self, repository: &str, id: u64, body: &str) -> bool {
        self.db
            .with(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM handled WHERE repository = ?1 AND comment = ?2 AND digest = ?3",
                    params![repository, id as i64, digest(body)],
                    |row| row.get::<_, i64>(0),
                )
            })
            .is_ok_and(|n| n > 0)
    }

    pub fn record(&self, repository: &str, id: u64, body: &str) -> anyhow::Result<()> {
        self.db.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO handled (repository, comment, digest, handled_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![repository, id as i64, digest(body), now()],
            )
            .map(drop)
        })
    }
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS handled (
             repository TEXT NOT NULL,
             comment    INTEGER NOT NULL,
             digest     TEXT NOT NULL,
             handled_at INTEGER NOT NULL,
             PRIMARY KEY (repository, comment, digest)
         );",
    )?;
    conn.execute(
        "DELETE FROM handled WHERE handled_at < ?1",
        params![now() - RETENTION_SECS],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_handled_once_per_text_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handled.sqlite3");
        let store = HandledComments::new(path.clone());
        assert!(!store.contains("o/r", 7, "/lgtm"));
        store.record("o/r", 7, "/lgtm").unwrap();
        assert!(store.contains("o/r", 7, "/lgtm"));
        assert!(
            !store.contains("o/r", 7, "/lgtm\n/hold"),
            "an edit is a new text"
        );
        assert!(!store.contains("o/r", 8, "/lgtm"));
        assert!(!store.contains("o/other", 7, "/lgtm"));
        drop(store);
        assert!(HandledComments::new(path).contains("o/r", 7, "/lgtm"));
    }
}
