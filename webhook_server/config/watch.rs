//! Hot reload of config.yaml: a changed file takes effect without a restart; a broken one is
//! reported and the last good configuration stays in force.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use super::Config;

/// Polling rather than inotify: config.yaml is usually a bind mount or a Kubernetes ConfigMap,
/// whose symlink swaps inotify watches miss. A stat per second is negligible.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

#[derive(PartialEq, Clone, Copy)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

fn digest(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Watches `path` until every receiver of `tx` is gone.
pub async fn watch_file(path: PathBuf, tx: watch::Sender<Arc<Config>>, interval: Duration) {
    let mut last_stamp = stamp(&path);
    let mut last_digest = std::fs::read_to_string(&path).ok().map(|t| digest(&t));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if tx.is_closed() {
            return;
        }
        let now = stamp(&path);
        if now == last_stamp {
            continue;
        }
        last_stamp = now;
        let Ok(text) = std::fs::read_to_string(&path) else {
            tracing::error!(path = %path.display(), "config file cannot be read; keeping the last good configuration");
            continue;
        };
        let d = digest(&text);
        if Some(d) == last_digest {
            continue;
        }
        last_digest = Some(d);
        match Config::parse(&text) {
            Ok(new) => {
                let old = tx.borrow().clone();
                if old.server.ip_bind != new.server.ip_bind || old.server.port != new.server.port {
                    tracing::warn!(
                        "ip-bind/port changed in {}; the listener keeps {}:{} until a restart",
                        path.display(),
                        old.server.ip_bind,
                        old.server.port
                    );
                }
                tracing::info!(path = %path.display(), repositories = new.repositories.len(), "configuration reloaded");
                tx.send_replace(Arc::new(new));
            }
            Err(err) => {
                tracing::error!(path = %path.display(), "configuration not reloaded, keeping the last good one: {err}");
            }
        }
    }
}
