//! API-call benchmark: the server (intake, durable queue, workers, as in `serve`) against the
//! simulator with 100 ms added to every API answer. For five kinds of event it prints the GitHub
//! API calls the server made (reads and writes, from the simulator's request log), the longest
//! chain of calls that had to wait for one another, and the time from the user's action to the
//! last resulting delivery being processed, the echoes of the server's own writes included. The
//! user's action itself is not counted.
//!
//! `cargo bench --bench api_calls` (`-- --quick`: no latency, for a fast look at the counts).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

// The tests' simulator helpers; the benchmark uses the client and its request log.
#[allow(dead_code)]
#[path = "../tests/common/sim.rs"]
mod sim;
#[path = "common/world.rs"]
mod world;

use world::{World, server_calls, writes};

/// How long no new delivery may arrive before a scenario counts as settled.
const QUIET: Duration = Duration::from_millis(300);

struct Bench {
    world: World,
}

impl Bench {
    /// Makes the user's action (an admin call), waits until every delivery it caused is
    /// processed, and reports with the action's answer.
    async fn measure(&self, event: &str, path: &str, body: Value) -> (Row, Value) {
        let world = &self.world;
        let before_requests = world.api.last_request_id().await;
        let before_deliveries = world.deliveries().await;
        let before_processed = world.processed().await;
        let started = Instant::now();
        let answer = world.admin(path, body).await;
        // Settled once every delivery the simulator sent is processed and nothing new has
        // arrived for a while: the echoes of the server's own writes count too.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_change = Instant::now();
        let mut seen = before_processed;
        loop {
            let processed = world.processed().await;
            if processed != seen {
                seen = processed;
                last_change = Instant::now();
            }
            let sent = world.deliveries().await - before_deliveries;
            if processed >= before_processed + sent as u64 && last_change.elapsed() > QUIET {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{event}: deliveries not processed"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let caused = world.deliveries().await - before_deliveries;
        let settle = last_change - started;
        let calls = server_calls(&world.api, before_requests).await;
        let writes = writes(&calls);
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
    world::main_with(run);
}

async fn run(latency: u64) {
    let (world, at_start) = World::start("", latency).await;
    let bench = Bench { world };

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
            "issue_comment /hold (the author)",
            "/repos/acme/widgets/issues/1/comments",
            json!({"author": "alice", "body": "/hold"}),
        ),
        (
            "issue_comment /approve refused (not an approver)",
            "/repos/acme/widgets/issues/1/comments",
            json!({"author": "dave", "body": "/approve"}),
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
        .world
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
