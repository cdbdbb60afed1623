//! The world the API benchmarks share: the simulator holding `acme/widgets`, and the server
//! (intake, durable queue, workers, as in `serve`) in this process, receiving its webhooks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use github_simulator::Simulator;
use github_webhook_server::config::Config;
use github_webhook_server::github::clients::Clients;
use github_webhook_server::masking::{Masker, SharedMasker};
use github_webhook_server::queue::DeliveryQueue;
use github_webhook_server::queue::sqlite::SqliteQueue;
use github_webhook_server::server::allowlist::Allowlist;
use github_webhook_server::server::routes::{router, serve};
use github_webhook_server::server::state::AppState;
use github_webhook_server::store::Memory;
use github_webhook_server::worker::Workers;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use super::sim::{self, Api};

const SECRET: &str = "api-bench-secret";
const BOT: &str = "ghp_apibenchbot00000000000000000000000000";
const BOB: &str = "ghp_apibenchbob00000000000000000000000000";

/// Runs `bench` on a multi-threaded runtime with the latency the command line asks for:
/// 100 ms added to every API answer, none with `--quick`.
pub fn main_with<F: std::future::Future<Output = ()>>(bench: impl FnOnce(u64) -> F) {
    let quick = std::env::args().any(|a| a == "--quick");
    let latency = if quick { 0 } else { 100 };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench(latency));
}

pub struct World {
    pub api: Api,
    pub queue: Arc<dyn DeliveryQueue>,
    _config: watch::Sender<Arc<Config>>,
    _stop: watch::Sender<bool>,
    _sim: Simulator,
    _dir: tempfile::TempDir,
}

impl World {
    /// `acme/widgets` with OWNERS files, the App `gws` installed, `latency` ms added to every
    /// API answer, and the server configured with `settings` besides its credentials.
    /// Returns it with the GitHub API calls the server made at start, before any delivery.
    pub async fn start(settings: &str, latency: u64) -> (World, usize) {
        let dir = tempfile::tempdir().unwrap();
        let sim = Simulator::start(
            &dir.path().join("sim"),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        let api = Api {
            base: sim.url(),
            http: reqwest::Client::new(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = format!("http://{}/webhook_server", listener.local_addr().unwrap());
        let config = Config::parse(&format!(
            "webhook-secret: {SECRET}\ngithub-api-url: {}\ngithub-tokens: [{BOT}]\n\
             github-app-id: 77\n{settings}repositories:\n  widgets:\n    name: acme/widgets\n",
            sim.url()
        ))
        .unwrap();
        let (config_tx, config_rx) = watch::channel(Arc::new(config));
        let data = dir.path().join("server");
        std::fs::create_dir_all(&data).unwrap();
        let queue: Arc<dyn DeliveryQueue> =
            Arc::new(SqliteQueue::open(&data.join("queue.sqlite3")).unwrap());
        let wake = Arc::new(Notify::new());
        let app = router(AppState {
            config: config_rx.clone(),
            queue: queue.clone(),
            wake: wake.clone(),
            allowlist: Arc::new(Allowlist::default()),
        });
        tokio::spawn(serve(listener, app, std::future::pending()));

        api.admin("/tokens", json!({"token": BOT, "login": "gws-bot"}))
            .await;
        api.admin("/tokens", json!({"token": BOB, "login": "bob"}))
            .await;
        api.admin(
            "/repos",
            json!({
                "full_name": "acme/widgets",
                "collaborators": {"alice": "write", "bob": "write", "gws-bot": "admin"},
                "files": {
                    "README.md": "# widgets\n",
                    "OWNERS": "approvers:\n  - alice\n  - bob\nreviewers:\n  - bob\n",
                    "src/OWNERS": "reviewers:\n  - carol\n",
                    "src/lib.rs": "pub fn f() {}\n",
                },
            }),
        )
        .await;
        // Check runs go out as the App, as in production.
        let app = api.admin("/apps", json!({"id": 77, "slug": "gws"})).await;
        std::fs::write(
            data.join("webhook-server.private-key.pem"),
            app["private_key_pem"].as_str().unwrap(),
        )
        .unwrap();
        api.admin(
            "/hooks",
            json!({"repo": "acme/widgets", "url": server, "secret": SECRET,
                   "events": ["pull_request", "issue_comment", "check_run",
                              "pull_request_review", "status"]}),
        )
        .await;
        api.admin("/latency", json!({"ms": latency})).await;

        let (stop_tx, stop_rx) = watch::channel(false);
        let clients = Arc::new(Clients::new(&data));
        let config = config_rx.borrow().clone();
        tokio::spawn(
            Workers {
                queue: queue.clone(),
                config: config_rx,
                masker: SharedMasker::new(Masker::new([], true)),
                clients: clients.clone(),
                memory: Arc::new(Memory::new(&data)),
                wake,
                summaries: Arc::new(Notify::new()),
                owner: "bench".into(),
                delivery_delay: Duration::ZERO,
            }
            .run(stop_rx, Duration::from_secs(1)),
        );
        // What `serve` does at start: the App's installation is looked up before any delivery.
        let before_start = api.last_request_id().await;
        clients.warm_app(&config).await;
        let at_start = server_calls(&api, before_start).await.len();
        let world = World {
            api,
            queue,
            _config: config_tx,
            _stop: stop_tx,
            _sim: sim,
            _dir: dir,
        };
        (world, at_start)
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        self.api.admin(path, body).await
    }

    /// Webhook deliveries the simulator has sent so far.
    pub async fn deliveries(&self) -> usize {
        let (_, _, list) = self.api.get("/_simulator/deliveries", None).await;
        list.as_array().map_or(0, Vec::len)
    }

    /// Deliveries the server has finished, done or failed.
    pub async fn processed(&self) -> u64 {
        let s = self.queue.stats().await.unwrap();
        s.done + s.failed
    }
}

/// The server's GitHub API calls after request `since`: everything but the simulator's admin
/// routes, which stand for the users' actions.
pub async fn server_calls(api: &Api, since: u64) -> Vec<Value> {
    api.requests(since)
        .await
        .into_iter()
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/_simulator")
        })
        .collect()
}

pub fn writes(calls: &[Value]) -> usize {
    calls.iter().filter(|r| sim::is_write(r)).count()
}
