//! A stateful GitHub for offline use: REST operations, bare git repositories served as
//! `file://` URLs, signed webhook deliveries for every change, and an admin API under
//! `/_simulator/` to drive scenarios. Tests, benchmarks and `demo` run against it.

// serde_json::json! of GitHub-sized objects nests past the default limit.
#![recursion_limit = "256"]

mod actions;
mod admin;
mod api;
mod apps;
mod errors;
pub mod fidelity;
mod gate;
pub mod git;
mod graphql;
mod hooks;
mod rest;
mod state;
mod world;

pub use hooks::sign;
pub use world::{Emitted, Exchange, REPO_URLS};

/// When set, each simulator writes the REST exchanges it served into this directory when it
/// stops, for `fidelity::Spec` to check against GitHub's OpenAPI description.
pub const FIDELITY_DIR_ENV: &str = "GWS_FIDELITY_DIR";

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::mpsc;

/// A running simulator.
pub struct Simulator {
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    world: Arc<Mutex<world::World>>,
}

impl Simulator {
    /// Serves on `listen` (port 0 picks one), keeping repositories under `state_dir`.
    pub async fn start(state_dir: &Path, listen: SocketAddr) -> Result<Simulator> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating {}", state_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        let world = Arc::new(Mutex::new(world::World::new(
            state_dir.to_path_buf(),
            format!("http://{addr}"),
        )));
        let (outbox, deliveries) = mpsc::unbounded_channel();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the delivery client")?;
        tokio::spawn(hooks::deliver(deliveries, world.clone(), http));
        let router = api::router(state::Sim {
            world: world.clone(),
            outbox,
        });
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(Simulator {
            addr,
            server,
            world,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs until the process is stopped.
    pub async fn wait(mut self) {
        let _ = (&mut self.server).await;
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
        if let Some(dir) = std::env::var_os(FIDELITY_DIR_ENV)
            && let Err(e) = self.write_exchanges(Path::new(&dir))
        {
            eprintln!("simulator: could not record exchanges for the fidelity check: {e:#}");
        }
    }
}

impl Simulator {
    fn write_exchanges(&self, dir: &Path) -> Result<()> {
        use std::io::Write;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        fn write<T: serde::Serialize>(dir: &Path, kind: &str, n: u64, items: &[T]) -> Result<()> {
            if items.is_empty() {
                return Ok(());
            }
            let name = format!("{kind}-{}-{n}.jsonl", std::process::id());
            let mut file = std::fs::File::create(dir.join(name))?;
            for item in items {
                serde_json::to_writer(&mut file, item)?;
                file.write_all(b"\n")?;
            }
            Ok(())
        }
        let w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        std::fs::create_dir_all(dir)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        write(dir, "exchanges", n, &w.exchanges)?;
        write(dir, "payloads", n, &w.payloads)
    }
}
