//! `serve`: wires configuration, queue, workers, log writer and HTTP listener together, and
//! shuts them down in order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::sync::{Notify, watch};

pub mod allowlist;
pub mod intake;
pub mod routes;
pub mod state;

use crate::config::{self, Config, ConfigError};
use crate::github::clients::Clients;
use crate::logging::Logging;
use crate::logs::writer::LogWriter;
use crate::masking::{Masker, SharedMasker};
use crate::queue::DeliveryQueue;
use crate::queue::sqlite::SqliteQueue;
use crate::store::Memory;
use crate::worker::Workers;
use allowlist::Allowlist;
use state::AppState;

pub const DEFAULT_DATA_DIR: &str = "/home/podman/data";
/// How long running deliveries may take to finish after SIGTERM/SIGINT.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid configuration {path}: {source}")]
    Config { path: PathBuf, source: ConfigError },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub fn masker_for(config: &Config) -> Masker {
    Masker::new(config.secrets(), config.defaults.mask_sensitive_data)
}

/// Holds `<data-dir>/.lock` for the life of the process: two servers on one data dir would
/// both think they own the queue's running deliveries.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!("another server is already using {}", dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

pub async fn serve(data_dir: &Path) -> Result<(), StartError> {
    let config_path = data_dir.join("config.yaml");
    let config = Config::load(&config_path).map_err(|source| StartError::Config {
        path: config_path.clone(),
        source,
    })?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let _lock = lock_data_dir(data_dir)?;
    let logs_dir = data_dir.join("logs");
    let masker = SharedMasker::new(masker_for(&config));
    let logging = Logging::init(&logs_dir, &config, masker.clone())?;

    if config.server.webhook_secret.is_none() {
        tracing::warn!(
            "webhook-secret is not set: deliveries are accepted without signature verification"
        );
    }

    let queue: Arc<dyn DeliveryQueue> = Arc::new(
        SqliteQueue::open(&data_dir.join("queue.sqlite3")).context("opening the delivery queue")?,
    );
    let listen: SocketAddr = format!("{}:{}", config.server.ip_bind, config.server.port)
        .parse()
        .with_context(|| {
            format!(
                "ip-bind `{}` with port {} is not a socket address",
                config.server.ip_bind, config.server.port
            )
        })?;

    let (config_tx, config_rx) = watch::channel(Arc::new(config));
    tokio::spawn(config::watch::watch_file(
        config_path,
        config_tx,
        config::watch::POLL_INTERVAL,
    ));
    tokio::spawn(apply_reloads(config_rx.clone(), masker.clone(), logging));

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("github-webhook-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let allowlist = Arc::new(Allowlist::default());
    // A watch borrow must not be held across an await: it would block config reloads.
    let current = config_rx.borrow().clone();
    allowlist.load(&http, &current).await;
    tokio::spawn(allowlist.clone().maintain(http, config_rx.clone()));

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (writer_stop_tx, writer_stop_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let summaries = Arc::new(Notify::new());
    let writer = tokio::spawn(
        LogWriter {
            queue: queue.clone(),
            dir: logs_dir,
            wake: summaries.clone(),
        }
        .run(writer_stop_rx),
    );
    let clients = Arc::new(Clients::new(data_dir));
    tokio::spawn(keep_app_warm(clients.clone(), config_rx.clone()));
    let workers = tokio::spawn(
        Workers {
            queue: queue.clone(),
            config: config_rx.clone(),
            masker,
            clients,
            memory: Arc::new(Memory::new(data_dir)),
            wake: wake.clone(),
            summaries,
            owner: format!("pid-{}", std::process::id()),
            delivery_delay: test_delay(),
        }
        .run(shutdown_rx, SHUTDOWN_DRAIN),
    );

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    tracing::info!("listening on http://{bound}");

    let router = routes::router(AppState {
        config: config_rx,
        queue,
        wake,
        allowlist,
    });
    routes::serve(listener, router, async {
        termination().await;
        tracing::info!("shutting down: no new deliveries accepted");
    })
    .await
    .context("HTTP server")?;

    let _ = shutdown_tx.send(true);
    if let Err(e) = workers.await {
        tracing::error!("worker pool ended abnormally: {e}");
    }
    let _ = writer_stop_tx.send(true);
    match writer.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("log writer: {e:#}"),
        Err(e) => tracing::error!("log writer ended abnormally: {e}"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// See `Workers::delivery_delay`.
fn test_delay() -> Duration {
    let ms = std::env::var("WEBHOOK_SERVER_TEST_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if ms > 0 {
        tracing::warn!("WEBHOOK_SERVER_TEST_DELAY_MS: every delivery is delayed by {ms} ms");
    }
    Duration::from_millis(ms)
}

async fn apply_reloads(
    mut config: watch::Receiver<Arc<Config>>,
    masker: SharedMasker,
    logging: Logging,
) {
    while config.changed().await.is_ok() {
        let current = config.borrow_and_update().clone();
        masker.set(masker_for(&current));
        logging.apply(&current);
    }
}

/// Looks the App's installations up at start and again when the config changes (a new
/// repository, owner or app id).
async fn keep_app_warm(clients: Arc<Clients>, mut config: watch::Receiver<Arc<Config>>) {
    loop {
        let current = config.borrow_and_update().clone();
        clients.warm_app(&current).await;
        if config.changed().await.is_err() {
            return;
        }
    }
}

async fn termination() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
