//! Intake benchmark: this server's `POST /webhook_server` (signature check, JSON check, durable
//! SQLite enqueue; workers and the summary writer running as in production) against a bare axum
//! handler that reads the same request and answers 200. Same machine, same load generator, same
//! run. Prints throughput, latency percentiles and the ratio.
//!
//! Two more targets split the cost: the same router in front of a queue that stores nothing, and
//! in front of the least an fsync-durable store does (append the packed payload, fdatasync many
//! deliveries at once). For each target it also prints the machine's CPU time per delivery
//! (load generator included, from `/proc/stat`) and the share of CPU left idle.
//!
//! `cargo bench --bench intake` (add `-- --quick` for a shorter run).
//!
//! `cargo bench --bench intake -- --memory` instead runs the release binary's `serve` in its own
//! process, with the simulator as GitHub, and prints its resident memory idle and under the
//! same saturating load with workers running.

// serde_json::json! of a GitHub-sized payload nests deeper than the default limit.
#![recursion_limit = "256"]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use github_webhook_server::config::Config;
use github_webhook_server::github::clients::Clients;
use github_webhook_server::logs::writer::LogWriter;
use github_webhook_server::masking::{Masker, SharedMasker};
use github_webhook_server::queue::sqlite::SqliteQueue;
use github_webhook_server::queue::{
    Behind, Claimed, Completion, DeliveryQueue, Enqueued, LogCursor, NewDelivery, QueueError,
    QueueFuture, QueueStats, Retrying, SummaryRow,
};
use github_webhook_server::server::allowlist::Allowlist;
use github_webhook_server::server::routes::{router, serve};
use github_webhook_server::server::state::AppState;
use github_webhook_server::store::Memory;
use github_webhook_server::worker::Workers;
use tokio::sync::{Notify, watch};

// The tests' helper that runs the real binary and waits until it listens.
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "intake/payloads.rs"]
mod payloads;

use payloads::{PULL_REQUESTS, signed_bodies};

const SECRET: &str = "bench-secret";
const CONNECTIONS: usize = 64;
const RATE: u64 = 500;

struct Settings {
    saturate: Duration,
    /// Saturation rounds; the targets alternate within each, and medians are reported, so a
    /// burst of load from elsewhere on the machine does not decide the ratio.
    rounds: usize,
    fixed: Duration,
}

fn bare_router() -> Router {
    Router::new().route("/webhook_server", post(|_body: Bytes| async { "{}" }))
}

/// Every target's config: the signing secret and one repository. The sender is kept alive for
/// the whole run so the config never counts as closed.
fn bench_config() -> watch::Receiver<Arc<Config>> {
    let config = Config::parse(&format!(
        "webhook-secret: {SECRET}\nrepositories:\n  widgets:\n    name: acme/widgets\n"
    ))
    .unwrap();
    let (config_tx, config_rx) = watch::channel(Arc::new(config));
    std::mem::forget(config_tx);
    config_rx
}

/// The production wiring of `serve`, minus signals and the config file watcher. Without
/// `process`, deliveries are only stored: the intake path alone.
async fn server_router(dir: &std::path::Path, process: bool) -> Router {
    let config_rx = bench_config();
    let masker = SharedMasker::new(Masker::new(config_rx.borrow().secrets(), true));
    let queue: Arc<dyn DeliveryQueue> =
        Arc::new(SqliteQueue::open(&dir.join("queue.sqlite3")).unwrap());
    let (stop_tx, stop_rx) = watch::channel(false);
    std::mem::forget(stop_tx);
    let wake = Arc::new(Notify::new());
    let summaries = Arc::new(Notify::new());
    if process {
        spawn_processing(
            queue.clone(),
            config_rx.clone(),
            masker,
            wake.clone(),
            summaries,
            dir,
            stop_rx,
        );
    }
    router(AppState {
        config: config_rx,
        queue,
        wake,
        allowlist: Arc::new(Allowlist::default()),
    })
}

/// A queue no worker can claim from. Without a journal it keeps nothing: the intake path
/// without storage, which splits the cost of the request handling from the cost of durability.
/// With one it appends each packed payload to a file and answers after an fdatasync that covers
/// many deliveries: the least work an fsync-durable store does, with no index, scheduling or
/// deduplication.
struct Floor {
    journal: Option<Journal>,
}

struct Journal {
    appended: Arc<(Mutex<Appended>, Condvar)>,
    synced: watch::Receiver<u64>,
}

#[derive(Default)]
struct Appended {
    bytes: Vec<u8>,
    count: u64,
}

impl Journal {
    fn open(path: &std::path::Path) -> Journal {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        let appended = Arc::new((Mutex::new(Appended::default()), Condvar::new()));
        let (synced_tx, synced) = watch::channel(0);
        let shared = appended.clone();
        std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || sync_appends(file, &shared, &synced_tx))
            .unwrap();
        Journal { appended, synced }
    }

    /// Resolves once the payload is on disk.
    fn append(&self, payload: &[u8]) -> impl std::future::Future<Output = ()> + use<> {
        let packed = lz4_flex::compress_prepend_size(payload);
        let (lock, ready) = &*self.appended;
        let mine = {
            let mut appended = lock.lock().unwrap();
            appended.bytes.extend_from_slice(&packed);
            appended.count += 1;
            appended.count
        };
        ready.notify_one();
        let mut synced = self.synced.clone();
        async move {
            synced.wait_for(|n| *n >= mine).await.unwrap();
        }
    }
}

/// Group commit: writes whatever was appended since the last sync, syncs it, and releases its
/// callers, while new appends collect for the next round.
fn sync_appends(
    mut file: std::fs::File,
    appended: &(Mutex<Appended>, Condvar),
    synced: &watch::Sender<u64>,
) {
    let (lock, ready) = appended;
    let mut batch = Vec::new();
    loop {
        let upto = {
            let mut appended = lock.lock().unwrap();
            while appended.bytes.is_empty() {
                appended = ready.wait(appended).unwrap();
            }
            std::mem::swap(&mut appended.bytes, &mut batch);
            appended.count
        };
        file.write_all(&batch).unwrap();
        file.sync_data().unwrap();
        batch.clear();
        synced.send_replace(upto);
    }
}

impl DeliveryQueue for Floor {
    fn enqueue(&self, d: NewDelivery) -> QueueFuture<'_, Enqueued> {
        let stored = self.journal.as_ref().map(|j| j.append(&d.payload));
        Box::pin(async move {
            if let Some(stored) = stored {
                stored.await;
            }
            Ok(Enqueued::Queued)
        })
    }
    fn claim(&self, _: &str, _: usize, _: Duration) -> QueueFuture<'_, Vec<Claimed>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn renew(&self, _: Vec<i64>, _: Duration) -> QueueFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
    fn pending_behind(&self, _: i64, _: usize) -> QueueFuture<'_, Vec<Behind>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn complete(&self, _: i64, _: Completion) -> QueueFuture<'_, ()> {
        Box::pin(async { Err(QueueError::Closed) })
    }
    fn defer(&self, _: i64, _: i64, _: String) -> QueueFuture<'_, ()> {
        Box::pin(async { Err(QueueError::Closed) })
    }
    fn retrying(&self, _: usize) -> QueueFuture<'_, Vec<Retrying>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn stats(&self) -> QueueFuture<'_, QueueStats> {
        Box::pin(async { Ok(QueueStats::default()) })
    }
    fn prune(&self, _: Duration) -> QueueFuture<'_, u64> {
        Box::pin(async { Ok(0) })
    }
    fn summaries_after(&self, _: i64, _: usize) -> QueueFuture<'_, Vec<SummaryRow>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn log_cursor(&self) -> QueueFuture<'_, LogCursor> {
        Box::pin(async { Ok(LogCursor::default()) })
    }
    fn advance_log_cursor(&self, _: LogCursor) -> QueueFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

fn floor_router(journal: Option<Journal>) -> Router {
    router(AppState {
        config: bench_config(),
        queue: Arc::new(Floor { journal }),
        wake: Arc::new(Notify::new()),
        allowlist: Arc::new(Allowlist::default()),
    })
}

fn spawn_processing(
    queue: Arc<dyn DeliveryQueue>,
    config: watch::Receiver<Arc<Config>>,
    masker: SharedMasker,
    wake: Arc<Notify>,
    summaries: Arc<Notify>,
    dir: &std::path::Path,
    stop_rx: watch::Receiver<bool>,
) {
    tokio::spawn(
        LogWriter {
            queue: queue.clone(),
            dir: dir.join("logs"),
            wake: summaries.clone(),
        }
        .run(stop_rx.clone()),
    );
    tokio::spawn(
        Workers {
            queue,
            config,
            masker,
            clients: Arc::new(Clients::new(dir)),
            memory: Arc::new(Memory::new(dir)),
            wake,
            summaries,
            owner: "bench".into(),
            delivery_delay: Duration::ZERO,
        }
        .run(stop_rx, Duration::from_secs(1)),
    );
}

/// Serves the router `make` builds on a loopback port, from its own two-thread runtime.
fn spawn_server<F, Fut>(make: F) -> SocketAddr
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Router>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("server")
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let router = make().await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            serve(listener, router, std::future::pending())
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

struct Load {
    url: String,
    /// Signed bodies, one per PR.
    bodies: Arc<Vec<(Bytes, String)>>,
    client: reqwest::Client,
    prefix: String,
}

impl Load {
    async fn send(&self, n: u64) -> Duration {
        let (body, signature) = &self.bodies[(n % PULL_REQUESTS) as usize];
        let start = Instant::now();
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-github-event", "pull_request")
            .header("x-github-delivery", format!("{}-{n}", self.prefix))
            .header("x-hub-signature-256", signature)
            .body(body.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
        start.elapsed()
    }
}

#[derive(Debug)]
struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// The machine's busy CPU time per delivery, every thread and the kernel included.
    cpu_per_delivery: Option<Duration>,
    /// The share of the machine's CPU time nobody used.
    idle: Option<f64>,
}

/// Busy and idle (idle plus iowait) CPU time of the whole machine so far, in clock ticks.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some((ticks.iter().sum::<u64>() - idle, idle))
}

/// Linux reports /proc/stat in USER_HZ ticks, which is 100 per second on every common build.
const TICK: Duration = Duration::from_millis(10);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration) -> Figures {
    latencies.sort();
    Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        cpu_per_delivery: None,
        idle: None,
    }
}

/// Closed loop: `CONNECTIONS` clients sending back to back for `duration`.
async fn saturate(load: Arc<Load>, duration: Duration) -> Figures {
    // Warm up connections and caches.
    for i in 0..200 {
        load.send(10_000_000 + i).await;
    }
    let ticks_before = cpu_ticks();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS as u64 {
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut n = c;
            while start.elapsed() < duration {
                out.push(load.send(n).await);
                n += CONNECTIONS as u64;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let deliveries = all.len() as u32;
    let mut f = figures(all, start.elapsed());
    if let (Some((busy0, idle0)), Some((busy1, idle1))) = (ticks_before, cpu_ticks()) {
        let (busy, idle) = (busy1 - busy0, idle1 - idle0);
        f.cpu_per_delivery = Some(TICK * busy as u32 / deliveries.max(1));
        f.idle = Some(idle as f64 / (busy + idle).max(1) as f64);
    }
    f
}

/// Open loop: one request every 1/RATE s, latency counted from its scheduled send time so a
/// stalled server cannot hide its queueing delay.
async fn fixed_rate(load: Arc<Load>, duration: Duration) -> Figures {
    let total = RATE * duration.as_secs();
    let interval = Duration::from_secs(1) / RATE as u32;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            load.send(20_000_000 + i).await;
            due.elapsed()
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    figures(all, start.elapsed())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--memory") {
        memory(if quick { 5 } else { 30 });
        return;
    }
    let settings = if quick {
        Settings {
            saturate: Duration::from_secs(2),
            rounds: 1,
            fixed: Duration::from_secs(2),
        }
    } else {
        Settings {
            saturate: Duration::from_secs(3),
            rounds: 3,
            fixed: Duration::from_secs(5),
        }
    };
    let bodies = signed_bodies();
    let dir = tempfile::tempdir().unwrap();
    let intake_dir = dir.path().join("intake");
    let full_dir = dir.path().join("full");
    std::fs::create_dir_all(&intake_dir).unwrap();
    std::fs::create_dir_all(&full_dir).unwrap();

    let journal_path = dir.path().join("journal");
    let bare = spawn_server(|| async { bare_router() });
    let checks = spawn_server(|| async { floor_router(None) });
    let floor =
        spawn_server(move || async move { floor_router(Some(Journal::open(&journal_path))) });
    let ours = spawn_server(move || async move { server_router(&intake_dir, false).await });
    let full = spawn_server(move || async move { server_router(&full_dir, true).await });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("loadgen")
        .enable_all()
        .build()
        .unwrap();
    let load = |addr: SocketAddr, prefix: &str| {
        Arc::new(Load {
            url: format!("http://{addr}/webhook_server"),
            bodies: bodies.clone(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(CONNECTIONS * 4)
                .build()
                .unwrap(),
            prefix: prefix.to_string(),
        })
    };
    let targets = [
        ("bare axum (read body, 200)", bare),
        ("server intake, nothing stored", checks),
        ("server intake, append + fdatasync", floor),
        ("server intake (durable enqueue)", ours),
        ("server intake + processing", full),
    ];
    let (sat, fixed) = rt.block_on(async {
        // Fixed rate first: after saturation the processing target still works off its
        // backlog, which would load the machine under the other targets' latency runs.
        let mut fixed = Vec::new();
        for (i, (_, addr)) in targets.iter().enumerate() {
            fixed.push(fixed_rate(load(*addr, &format!("fixed-{i}")), settings.fixed).await);
        }
        let mut sat: Vec<Vec<Figures>> = targets.iter().map(|_| Vec::new()).collect();
        for round in 0..settings.rounds {
            for (i, (_, addr)) in targets.iter().enumerate() {
                let f = saturate(load(*addr, &format!("sat{round}-{i}")), settings.saturate).await;
                sat[i].push(f);
            }
        }
        (sat, fixed)
    });
    let sat: Vec<Figures> = sat.into_iter().map(median).collect();
    let packed = lz4_flex::compress_prepend_size(&bodies[0].0).len();

    println!(
        "intake benchmark: 20 KB signed pull_request deliveries over {PULL_REQUESTS} PRs \
         (stored packed: {packed} bytes), loopback, one process"
    );
    println!(
        "saturation ({CONNECTIONS} connections, median of {} rounds of {:?}):",
        settings.rounds, settings.saturate
    );
    table(&targets, &sat);
    println!(
        "  ratio intake/bare throughput: {:.2} (nothing stored: {:.2}, append + fdatasync: {:.2}, \
         with processing: {:.2})",
        sat[3].per_second / sat[0].per_second,
        sat[1].per_second / sat[0].per_second,
        sat[2].per_second / sat[0].per_second,
        sat[4].per_second / sat[0].per_second
    );
    println!("fixed rate ({RATE} deliveries/s for {:?}):", settings.fixed);
    table(&targets, &fixed);
    println!(
        "  ratio intake/bare p99: {:.2} (nothing stored: {:.2}, append + fdatasync: {:.2}, \
         with processing: {:.2})",
        fixed[3].p99.as_secs_f64() / fixed[0].p99.as_secs_f64(),
        fixed[1].p99.as_secs_f64() / fixed[0].p99.as_secs_f64(),
        fixed[2].p99.as_secs_f64() / fixed[0].p99.as_secs_f64(),
        fixed[4].p99.as_secs_f64() / fixed[0].p99.as_secs_f64()
    );
}

fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    runs.swap_remove(runs.len() / 2)
}

fn table(targets: &[(&str, SocketAddr)], figures: &[Figures]) {
    println!(
        "  {:<34} {:>14} {:>10} {:>10} {:>14} {:>6}",
        "target", "deliveries/s", "p50", "p99", "CPU/delivery", "idle"
    );
    for ((name, _), f) in targets.iter().zip(figures) {
        let cpu = f
            .cpu_per_delivery
            .map(|d| format!("{:.0} µs", d.as_secs_f64() * 1e6))
            .unwrap_or_default();
        let idle = f
            .idle
            .map(|i| format!("{:.0}%", i * 100.0))
            .unwrap_or_default();
        println!(
            "  {:<34} {:>14.0} {:>10} {:>10} {:>14} {:>6}",
            name,
            f.per_second,
            ms(f.p50),
            ms(f.p99),
            cpu,
            idle
        );
    }
}

/// A figure of `/proc/PID/status`, in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// `serve` as deployed: its own process, release build, an empty data dir but for config.yaml,
/// and GitHub played by the simulator so the workers' API calls are answered.
fn memory(seconds: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("loadgen")
        .enable_all()
        .build()
        .unwrap();
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = rt
        .block_on(github_simulator::Simulator::start(
            sim_dir.path(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let data = common::data_dir(&format!(
        "ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {SECRET}\ngithub-api-url: {}\n\
         github-tokens: [ghp_membenchbot000000000000000000000000000]\n\
         repositories:\n  widgets:\n    name: acme/widgets\n",
        sim.url()
    ));
    let server = common::Server::start(data.path());
    let pid = server.child.id();
    // Let start-up finish (config checked, queue opened, workers waiting) before reading.
    std::thread::sleep(Duration::from_secs(3));
    let idle = (status_kb(pid, "VmRSS"), status_kb(pid, "RssAnon"));

    let bodies = signed_bodies();
    let load = Arc::new(Load {
        url: server.url("/webhook_server"),
        bodies,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS * 4)
            .build()
            .unwrap(),
        prefix: "memory".into(),
    });
    let loaded = Arc::new(Mutex::new((0u64, 0u64)));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (loaded, sampling) = (loaded.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let mut max = loaded.lock().unwrap();
                max.0 = max.0.max(status_kb(pid, "VmRSS"));
                max.1 = max.1.max(status_kb(pid, "RssAnon"));
                drop(max);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let figures = rt.block_on(saturate(load, Duration::from_secs(seconds)));
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    let loaded = *loaded.lock().unwrap();
    let after = (status_kb(pid, "VmRSS"), status_kb(pid, "RssAnon"));
    let peak = status_kb(pid, "VmHWM");

    println!(
        "memory benchmark: `serve` (release binary, own process), max-workers 10, GitHub = simulator"
    );
    println!(
        "  idle (3 s after start):        VmRSS {:>9}  RssAnon {:>9}",
        mb(idle.0),
        mb(idle.1)
    );
    println!(
        "  saturating intake ({seconds:>2} s):      VmRSS {:>9}  RssAnon {:>9}  (highest 50 ms sample; \
         {:.0} deliveries/s, {CONNECTIONS} connections)",
        mb(loaded.0),
        mb(loaded.1),
        figures.per_second
    );
    println!(
        "  right after the load:          VmRSS {:>9}  RssAnon {:>9}  (VmHWM {})",
        mb(after.0),
        mb(after.1),
        mb(peak)
    );
}
