//! Clean-rebase detection. Every head the server compares against its base leaves a patch id:
//! a digest of the pull request's diff that ignores where the hunks sit. A push whose new head
//! has the old head's patch id (a rebase onto a newer base, an amended message) changes no
//! code, so the reviews and verification given to the old head still hold.
//!
//! The reference fetches both heads into a clone and hashes `git diff` output per push. Here
//! the digest comes from the compare call `needs-rebase` makes anyway, so detection costs no
//! API call and no checkout. The ids live in `<data-dir>/patch_ids.sqlite3`; a head the
//! server never saw (or a lost data dir) simply counts as a real change, as a failure does.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::lazy_db::{LazyDb, now};
use crate::snapshot::RepositoryData;

/// GitHub's compare answer lists at most this many files; a longer diff cannot be digested.
const MAX_COMPARE_FILES: usize = 300;
/// Ids of heads older than this are forgotten when the store opens.
const RETENTION_SECS: i64 = 180 * 24 * 3600;

/// The patch id of a compare answer's diff (`GET /compare/{base}...{head}`), or `None` when the
/// answer does not show the whole diff. Hunk headers are dropped, so the same change landing
/// on shifted lines keeps its id; any added, removed or context line that differs changes it.
pub fn patch_id(compare: &Value) -> Option<String> {
    let files = compare["files"].as_array()?;
    if files.len() >= MAX_COMPARE_FILES {
        return None;
    }
    let mut entries: Vec<(&str, String)> = Vec::with_capacity(files.len());
    for f in files {
        let name = f["filename"].as_str()?;
        let status = f["status"].as_str().unwrap_or_default();
        let previous = f["previous_filename"].as_str().unwrap_or_default();
        // Binary and very large files come without a patch; their content's blob id stands in.
        let body = match f["patch"].as_str() {
            Some(patch) => patch
                .lines()
                .map(|l| if l.starts_with("@@") { "@@" } else { l })
                .collect::<Vec<_>>()
                .join("\n"),
            None => format!("blob {}", f["sha"].as_str()?),
        };
        entries.push((name, format!("{status}\0{previous}\0{body}")));
    }
    entries.sort();
    let mut hash = Sha256::new();
    for (name, entry) in entries {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(entry.as_bytes());
        hash.update([0]);
    }
    Some(format!("{:x}", hash.finalize()))
}

/// The patch id of each (repository, pull request, head) the server compared.
pub struct PatchIds {
    db: LazyDb,
}

impl PatchIds {
    /// Opens lazily, on first use: a store that cannot open costs clean-rebase detection, not
    /// the server.
    pub fn new(path: PathBuf) -> PatchIds {
        PatchIds {
            db: LazyDb::new(path, prepare),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> anyhow::Result<T> {
        self.db.with(f)
    }

    pub fn record(
        &self,
        repository: &str,
        number: u64,
        head: &str,
        id: &str,
    ) -> anyhow::Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO patch_ids (repository, number, head, patch_id, seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![repository, number as i64, head, id, now()],
            )
            .map(drop)
        })
    }

    pub fn get(&self, repository: &str, number: u64, head: &str) -> anyhow::Result<Option<String>> {
        self.with(|c| {
            c.query_row(
                "SELECT patch_id FROM patch_ids WHERE repository = ?1 AND number = ?2 AND head = ?3",
                params![repository, number as i64, head],
                |row| row.get(0),
            )
            .optional()
        })
    }

    /// The heads of a pull request whose patch id is `head`'s, `head` included. A review of
    /// any of them reviewed the same code.
    pub fn equivalent_heads(
        &self,
        repository: &str,
        number: u64,
        head: &str,
    ) -> anyhow::Result<Vec<String>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT other.head FROM patch_ids AS this
                 JOIN patch_ids AS other
                   ON other.repository = this.repository AND other.number = this.number
                  AND other.patch_id = this.patch_id
                 WHERE this.repository = ?1 AND this.number = ?2 AND this.head = ?3",
            )?;
            let heads = stmt
                .query_map(params![repository, number as i64, head], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(heads)
        })
        .map(|mut heads| {
            if !heads.iter().any(|h| h == head) {
                heads.push(head.to_string());
            }
            heads
        })
    }

    /// The heads of the snapshot's pull request that carry its current code. Without a store
    /// only the head itself does.
    pub fn same_code(&self, data: &RepositoryData) -> Vec<String> {
        let head = &data.pull.head_sha;
        self.equivalent_heads(&data.full_name, data.pull.number, head)
            .unwrap_or_else(|e| {
                tracing::warn!(
                    pull = data.pull.number,
                    "clean-rebase detection unavailable: {e:#}"
                );
                vec![head.clone()]
            })
    }
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS patch_ids (
             repository TEXT NOT NULL,
             number     INTEGER NOT NULL,
             head       TEXT NOT NULL,
             patch_id   TEXT NOT NULL,
             seen_at    INTEGER NOT NULL,
             PRIMARY KEY (repository, number, head)
         );",
    )?;
    conn.execute(
        "DELETE FROM patch_ids WHERE seen_at < ?1",
        params![now() - RETENTION_SECS],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compare(files: Value) -> Value {
        json!({"status": "ahead", "files": files})
    }

    #[test]
    fn the_same_change_on_shifted_lines_keeps_its_id() {
        let before = compare(json!([
            {"filename": "src/a.rs", "status": "modified", "sha": "1",
             "patch": "@@ -10,3 +10,3 @@ fn a() {\n ctx\n-old\n+new"},
        ]));
        let rebased = compare(json!([
            {"filename": "src/a.rs", "status": "modified", "sha": "2",
             "patch": "@@ -14,3 +14,3 @@ fn a() {\n ctx\n-old\n+new"},
        ]));
        assert!(patch_id(&before).is_some());
        assert_eq!(patch_id(&before), patch_id(&rebased));
    }

    #[test]
    fn any_changed_line_file_or_status_changes_the_id() {
        let base = json!({"filename": "a", "status": "modified", "sha": "1",
                          "patch": "@@ -1 +1 @@\n-x\n+y"});
        let id = patch_id(&compare(json!([base]))).unwrap();
        let variants = [
            json!({"filename": "a", "status": "modified", "sha": "1", "patch": "@@ -1 +1 @@\n-x\n+z"}),
            json!({"filename": "b", "status": "modified", "sha": "1", "patch": "@@ -1 +1 @@\n-x\n+y"}),
            json!({"filename": "a", "status": "added", "sha": "1", "patch": "@@ -1 +1 @@\n-x\n+y"}),
        ];
        for v in variants {
            assert_ne!(patch_id(&compare(json!([v.clone()]))).unwrap(), id, "{v}");
        }
        let more = compare(json!([base, {"filename": "c", "status": "added", "sha": "9"}]));
        assert_ne!(patch_id(&more).unwrap(), id);
    }

    #[test]
    fn file_order_does_not_matter_and_truncated_answers_have_no_id() {
        let a =
            json!({"filename": "a", "status": "added", "sha": "1", "patch": "@@ -0,0 +1 @@\n+a"});
        let b = json!({"filename": "b", "status": "removed", "sha": "2"});
        assert_eq!(
            patch_id(&compare(json!([a.clone(), b.clone()]))),
            patch_id(&compare(json!([b, a])))
        );
        let many: Vec<Value> = (0..MAX_COMPARE_FILES)
            .map(|i| json!({"filename": format!("f{i}"), "status": "added", "sha": "1"}))
            .collect();
        assert_eq!(patch_id(&compare(Value::Array(many))), None);
        assert_eq!(patch_id(&json!({"message": "Not Found"})), None);
    }

    #[test]
    fn heads_with_one_patch_are_equivalent_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite3");
        let ids = PatchIds::new(path.clone());
        ids.record("o/r", 1, "h1", "p").unwrap();
        ids.record("o/r", 1, "h2", "p").unwrap();
        ids.record("o/r", 1, "h3", "q").unwrap();
        ids.record("o/r", 2, "h4", "p").unwrap();
        drop(ids);
        let ids = PatchIds::new(path);
        assert_eq!(ids.get("o/r", 1, "h2").unwrap().as_deref(), Some("p"));
        assert_eq!(ids.get("o/r", 1, "nope").unwrap(), None);
        let mut heads = ids.equivalent_heads("o/r", 1, "h2").unwrap();
        heads.sort();
        assert_eq!(heads, ["h1", "h2"]);
        assert_eq!(
            ids.equivalent_heads("o/r", 1, "unseen").unwrap(),
            ["unseen"]
        );
    }
}
