//! A SQLite file in the data dir, opened on first use: a store that cannot open costs the
//! feature that uses it, not the server.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::Connection;

pub struct LazyDb {
    path: PathBuf,
    /// Creates the tables and prunes old rows, each time the file is opened.
    prepare: fn(&Connection) -> rusqlite::Result<()>,
    conn: Mutex<Option<Connection>>,
}

impl LazyDb {
    pub fn new(path: PathBuf, prepare: fn(&Connection) -> rusqlite::Result<()>) -> LazyDb {
        LazyDb {
            path,
            prepare,
            conn: Mutex::new(None),
        }
    }

    // Each call is one indexed row in WAL mode without a sync per commit: microseconds, so it
    // runs inline rather than on a blocking thread.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> anyhow::Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.open()?);
        }
        let conn = guard.as_ref().expect("opened above");
        f(conn).with_context(|| format!("store {}", self.path.display()))
    }

    fn open(&self) -> anyhow::Result<Connection> {
        let path = &self.path;
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .and_then(|()| (self.prepare)(&conn))
            .with_context(|| format!("preparing {}", path.display()))?;
        Ok(conn)
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
