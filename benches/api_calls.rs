//! API-call benchmark: the server (intake, durable queue, workers, as in `serve`) against the
//! simulator with 100 ms added to every API answer. For five kinds of event it prints the GitHub
//! API calls the server made (reads and writes, from the simulator's request log), the longest
//! chain of calls that had to wait for one another, and the time from the user's action to the
//! last resulting delivery being processed, the echoes of the server's own writes included. The
//! user's action itself is not counted.
//!
//! `cargo bench --bench api_calls` (`-- --quick`: no latency, for a fast look at the counts).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

// The tests' simulator helpers; the benchmark uses the client and its request log.
#[allow(dead_code)]
#[path = "../tests/common/sim.rs"]
mod sim;

use sim::Api;

const SECRET: &str = "api-bench-secret";
const BOT: &str = "ghp_apibenchbot00000000000000000000000000";
const BOB: &str = "ghp_apibenchbob00000000000000000000000000";
/// How long no new delivery may arrive before a scenario counts as settled.
const QUIET: Duration = Duration::from_millis(300);

struct Bench {
    api: Api,
    queue: Arc<dyn DeliveryQueue>,
}

impl Bench {
    async fn admin(&self, path: &str, body: Value) -> Value {
        self.api.admin(path, body).await
    }

    async fn list(&self, path: &str) -> Vec<Value> {
        let (_, _, list) = self.api.get(&format!("/_simulator{path}"), None).await;
        serde_json::from_value(list).unwrap()
    }

    async fn deliveries(&self) -> usize {
        self.list("/deliveries").await.len()
    }

    async fn processed(&self) -> u64 {
        let s = self.queue.stats().await.unwrap();
        s.done + s.failed
    }

    /// Makes the user's action (an admin call), waits until every delivery it caused is
    /// processed, and reports with the action's answer.
    async fn measure(&self, event: &str, path: &str, body: Value) -> (Row, Value) {
        let before_requests = self.api.last_request_id().await;
        let before_deliveries = self.deliveries().await;
        let before_processed = self.processed().await;
        let started = Instant::now();
        let answer = self.admin(path, body).await;
        // Settled once every delivery the simulator sent is processed and nothing new has
        // arrived for a while: the echoes of the server's own writes count too.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_change = Instant::now();
        let mut seen = before_processed;
        loop {
            let processed = self.processed().await;
            if processed != seen {
                seen = processed;
                last_change = Instant::now();
            }
            let sent = self.deliveries().await - before_deliveries;
            if processed >= before_processed + sent as u64 && last_change.elapsed() > QUIET {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{event}: deliveries not processed"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let caused = self.deliveries().await - before_deliveries;
        let settle = last_change - started;
        let calls: Vec<Value> = self
            .api
            .requests(before_requests)
            .await
            .into_iter()
            // The server's calls (its token and its App), not the user's action.
            .filter(|r| {
                !r["path"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("/_simulator")
            })
            .collect();
        let writes = calls.iter().filter(|r| sim::is_write(r)).count();
        let row = Row {
            event: event.to_string(),
            deliveries: caused,
            reads: calls.len() - writes,
            writes,
            chain: chain(&calls),
            settle,
        };
        (row, answer)
    }
}

/// The longest run of calls each issued after the previous one answered: calls overlapping in
/// time are in parallel, so the chain counts the distinct waits.
fn chain(calls: &[Value]) -> usize {
    let mut spans: Vec<(f64, f64)> = calls
        .iter()
        .filter_map(|c| Some((c["started_ms"].as_f64()?, c["finished_ms"].as_f64()?)))
        .collect();
    if spans.is_empty() {
        return calls.len();
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut longest = vec![1usize; spans.len()];
    for i in 0..spans.len() {
        for j in 0..i {
            if spans[j].1 <= spans[i].0 {
                longest[i] = longest[i].max(longest[j] + 1);
            }
        }
    }
    longest.into_iter().max().unwrap_or(0)
}

struct Row {
    event: String,
    deliveries: usize,
    reads: usize,
    writes: usize,
    chain: usize,
    settle: Duration,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let latency = if quick { 0 } else { 100 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(latency));
}

async fn run(latency: u64) {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(
        &dir.path().join("sim"),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}/webhook_server", listener.local_addr().unwrap());
    let config = Config::parse(&format!(
        "webhook-secret: {SECRET}\ngithub-api-url: {}\ngithub-tokens: [{BOT}]\ngithub-app-id: 77\n\
         repositories:\n  widgets:\n    name: acme/widgets\n",
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
    let (_stop_tx, stop_rx) = watch::channel(false);
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

    let bench = Bench {
        api: Api {
            base: sim.url(),
            http: reqwest::Client::new(),
        },
        queue,
    };
    bench
        .admin("/tokens", json!({"token": BOT, "login": "gws-bot"}))
        .await;
    bench
        .admin("/tokens", json!({"token": BOB, "login": "bob"}))
        .await;
    bench
        .admin(
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
    let app = bench.admin("/apps", json!({"id": 77, "slug": "gws"})).await;
    std::fs::write(
        data.join("webhook-server.private-key.pem"),
        app["private_key_pem"].as_str().unwrap(),
    )
    .unwrap();
    bench
        .admin(
            "/hooks",
            json!({"repo": "acme/widgets", "url": server, "secret": SECRET,
                   "events": ["pull_request", "issue_comment", "check_run",
                              "pull_request_review", "status"]}),
        )
        .await;
    bench.admin("/latency", json!({"ms": latency})).await;
    // What `serve` does at start: the App's installation is looked up before any delivery.
    let before_start = bench.api.last_request_id().await;
    clients.warm_app(&config).await;
    let at_start = bench
        .api
        .requests(before_start)
        .await
        .iter()
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with("/_simulator")
        })
        .count();

    let (opened, pr) = bench
        .measure(
            "pull_request opened",
            "/repos/acme/widgets/pulls",
            json!({"author": "alice", "title": "Add a feature", "head": "feature",
                   "files": {"src/feature.rs": "pub fn g() {}\n"}}),
        )
        .await;
    let mut rows = vec![opened];
    let actions = [
        (
            "issue_comment /lgtm",
            "/repos/acme/widgets/issues/1/comments",
            json!({"author": "bob", "body": "/lgtm"}),
        ),
        (
            "check_run completed",
            "/repos/acme/widgets/check-runs",
            json!({"app": "ci", "name": "external-ci", "head_sha": pr["head_sha"],
                   "status": "completed", "conclusion": "success"}),
        ),
        (
            "pull_request_review submitted",
            "/repos/acme/widgets/pulls/1/reviews",
            json!({"author": "bob", "state": "APPROVED"}),
        ),
        (
            "pull_request synchronize",
            "/repos/acme/widgets/pulls/1/commits",
            json!({"author": "alice", "files": {"src/feature.rs": "pub fn h() {}\n"}}),
        ),
    ];
    for (event, path, body) in actions {
        rows.push(bench.measure(event, path, body).await.0);
    }
    // main moves on; the pull request is rebased onto it without a code change.
    bench
        .admin(
            "/repos/acme/widgets/commits",
            json!({"author": "bob", "branch": "main", "files": {"docs/notes.md": "notes\n"}}),
        )
        .await;
    rows.push(
        bench
            .measure(
                "pull_request synchronize (clean rebase)",
                "/repos/acme/widgets/pulls/1/rebase",
                json!({"author": "alice"}),
            )
            .await
            .0,
    );
    drop(config_tx);

    println!("\n{latency} ms added to every API answer.");
    println!("At start, before any delivery: {at_start} read(s) (the App's installation)\n");
    println!("| event | deliveries | reads | writes | longest chain | settled in |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} ms |",
            r.event,
            r.deliveries,
            r.reads,
            r.writes,
            r.chain,
            r.settle.as_millis()
        );
    }
}
