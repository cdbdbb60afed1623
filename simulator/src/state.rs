//! What every handler works on: the world behind its lock, the outbox its changes' deliveries
//! leave by, and who is calling.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use crate::errors::Outcome;
use crate::hooks::Outgoing;
use crate::world::{Repo, World};

#[derive(Clone)]
pub struct Sim {
    pub world: Arc<Mutex<World>>,
    pub outbox: mpsc::UnboundedSender<Outgoing>,
}

impl Sim {
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn send(&self, out: Vec<Outgoing>) {
        for d in out {
            let _ = self.outbox.send(d);
        }
    }

    /// Runs `f` under the lock, then sends what it emitted once the lock is released.
    pub(crate) fn act<T>(
        &self,
        f: impl FnOnce(&mut World, &mut Vec<Outgoing>) -> Outcome<T>,
    ) -> Outcome<T> {
        let mut out = Vec::new();
        let result = {
            let mut w = self.lock();
            f(&mut w, &mut out)
        };
        self.send(out);
        result
    }
}

pub(crate) fn repo_key(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}").to_ascii_lowercase()
}

/// The login a request acts as, resolved from its token by `authenticate`.
#[derive(Clone)]
pub(crate) struct Caller(pub(crate) Option<String>);

/// Whose rate limit a request counts against: its token, or `anonymous`.
#[derive(Clone)]
pub(crate) struct QuotaKey(pub(crate) String);

/// A repository the caller may see: private ones only for collaborators.
pub(crate) fn visible<'a>(
    w: &'a World,
    caller: &Caller,
    owner: &str,
    repo: &str,
) -> Option<&'a Repo> {
    let r = w.repos.get(&repo_key(owner, repo))?;
    if !r.private {
        return Some(r);
    }
    let login = caller.0.as_deref()?;
    let key = repo_key(owner, repo);
    (r.collaborators.contains_key(login) || w.can_write(&key, login)).then_some(r)
}
