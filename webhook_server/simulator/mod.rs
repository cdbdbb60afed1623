//! A stateful GitHub for offline use: REST operations, bare git repositories served as
//! `file://` URLs, signed webhook deliveries for every change, and an admin API under
//! `/_simulator/` to drive scenarios. Tests, benchmarks and `demo` run against it.

mod actions;
mod admin;
mod api;
pub mod git;
mod hooks;
mod rest;
mod world;

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
        let router = api::router(api::Sim { world, outbox });
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(Simulator { addr, server })
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
    }
}
