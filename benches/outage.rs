//! Outage benchmark: GitHub fails every request while 100 deliveries arrive across five pull
//! requests (label changes, pushes and reviews, in turn), then recovers. Run once with
//! coalescing and once without, in the same process, it prints for each: the deliveries, how
//! many were folded into a later one or retried, the GitHub API calls during the outage and
//! after it, and the drain time from recovery until every delivery is processed. Both runs must
//! end with every delivery done and the same labels on every pull request.
//!
//! `cargo bench --bench outage` (`-- --quick`: no latency added to API answers).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// The tests' simulator helpers; the benchmark uses the client and its request log.
#[allow(dead_code)]
#[path = "../tests/common/sim.rs"]
mod sim;
#[path = "common/world.rs"]
mod world;

use world::{World, server_calls, writes};

const PULLS: u64 = 5;
const ROUNDS: usize = 20;
/// How long GitHub fails every request, from the first delivery of the burst.
const OUTAGE: Duration = Duration::from_secs(10);
/// How long nothing may change before the queue counts as drained.
const QUIET: Duration = Duration::from_millis(300);

struct Report {
    /// Deliveries of the burst, sent during the outage.
    arrived: usize,
    /// Those and the echoes of the server's writes after it.
    deliveries: usize,
    folded: usize,
    retried: usize,
    failed: u64,
    calls_during: usize,
    reads_after: usize,
    writes_after: usize,
    drain: Duration,
    labels: BTreeMap<u64, Vec<String>>,
}

fn main() {
    world::main_with(|latency| async move {
        let folded = outage(true, latency).await;
        let each = outage(false, latency).await;
        print(latency, &folded, &each);
    });
}

async fn outage(coalesce: bool, latency: u64) -> Report {
    let (world, _) = World::start(
        &format!("coalesce-deliveries: {coalesce}\nretry-delay-seconds: 0.5\n"),
        latency,
    )
    .await;
    let mut pulls = Vec::new();
    for i in 0..PULLS {
        let pr = world
            .admin(
                "/repos/acme/widgets/pulls",
                json!({"author": "alice", "title": format!("Part {i}"), "head": format!("part-{i}"),
                       "files": {format!("src/part_{i}.rs"): "pub fn p() {}\n"}}),
            )
            .await;
        pulls.push(pr["number"].as_u64().unwrap());
    }
    drained(&world).await;

    let since = world.api.last_request_id().await;
    let before = world.deliveries().await;
    let summaries_before = world.processed().await;
    world
        .admin(
            "/faults",
            json!({"error_rate": 1.0, "statuses": [502, 503]}),
        )
        .await;
    let started = Instant::now();
    for round in 0..ROUNDS {
        for &n in &pulls {
            act(&world, n, round).await;
        }
    }
    tokio::time::sleep_until((started + OUTAGE).into()).await;
    let arrived = world.deliveries().await - before;
    let recovered_at = world.api.last_request_id().await;
    world.admin("/faults", json!({"error_rate": 0.0})).await;
    let recovered = Instant::now();
    let settled = drained(&world).await;
    let deliveries = world.deliveries().await - before;
    let stats = world.queue.stats().await.unwrap();

    let records: Vec<Value> = world
        .queue
        .summaries_after(0, 100_000)
        .await
        .unwrap()
        .iter()
        .skip(summaries_before as usize)
        .map(|row| serde_json::from_str(&row.line).unwrap())
        .collect();
    let routing = |r: &Value| r["workflow_steps"]["webhook_routing"].clone();
    let after = server_calls(&world.api, recovered_at).await;
    let writes_after = writes(&after);
    let mut labels = BTreeMap::new();
    for &n in &pulls {
        let (_, _, list) = world
            .api
            .get(&format!("/repos/acme/widgets/issues/{n}/labels"), None)
            .await;
        let mut names: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        labels.insert(n, names);
    }
    Report {
        arrived,
        deliveries,
        folded: records
            .iter()
            .filter(|r| routing(r)["decision"] == "coalesce")
            .count(),
        retried: records
            .iter()
            .filter(|r| routing(r)["attempt"].as_u64() > Some(1))
            .count(),
        failed: stats.failed,
        calls_during: server_calls(&world.api, since).await.len() - after.len(),
        reads_after: after.len() - writes_after,
        writes_after,
        drain: settled.saturating_duration_since(recovered),
        labels,
    }
}

/// A user's action on pull request `n`, the `round`th of the burst: each sends one webhook.
async fn act(world: &World, n: u64, round: usize) {
    let (path, body) = match round % 4 {
        0 => (
            format!("/repos/acme/widgets/issues/{n}/labels"),
            json!({"author": "alice", "labels": ["hold"]}),
        ),
        1 => (
            format!("/repos/acme/widgets/pulls/{n}/commits"),
            json!({"author": "alice", "files": {format!("docs/{n}-{round}.md"): "notes\n"}}),
        ),
        2 => {
            let (status, body) = world
                .api
                .call(
                    http::Method::DELETE,
                    &format!("/_simulator/repos/acme/widgets/issues/{n}/labels"),
                    "",
                    Some(json!({"author": "alice", "labels": ["hold"]})),
                )
                .await;
            assert!(status < 300, "{status} {body}");
            return;
        }
        _ => (
            format!("/repos/acme/widgets/pulls/{n}/reviews"),
            json!({"author": "bob", "state": "APPROVED"}),
        ),
    };
    world.admin(&path, body).await;
}

/// Waits until every delivery sent so far is processed and nothing changed for a while;
/// returns when the last change happened.
async fn drained(world: &World) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut last_change = Instant::now();
    let mut seen = world.processed().await;
    loop {
        let processed = world.processed().await;
        if processed != seen {
            seen = processed;
            last_change = Instant::now();
        }
        let stats = world.queue.stats().await.unwrap();
        let idle = stats.pending == 0 && stats.running == 0;
        if idle && processed >= world.deliveries().await as u64 && last_change.elapsed() > QUIET {
            return last_change;
        }
        assert!(Instant::now() < deadline, "the queue never drained");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn print(latency: u64, folded: &Report, each: &Report) {
    assert_eq!(folded.failed + each.failed, 0, "deliveries failed");
    assert_eq!(folded.labels, each.labels, "coalescing changed the outcome");
    println!(
        "\nGitHub fails every request for {} s while {} pull requests get {ROUNDS} actions each; \
         {latency} ms added to every API answer; retries start at 0.5 s.\n",
        OUTAGE.as_secs(),
        PULLS
    );
    println!(
        "| | deliveries in the outage | all deliveries | folded | retried | failed | API calls during the outage | reads after | writes after | drain after recovery |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, r) in [("coalescing", folded), ("every delivery", each)] {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} s |",
            r.arrived,
            r.deliveries,
            r.folded,
            r.retried,
            r.failed,
            r.calls_during,
            r.reads_after,
            r.writes_after,
            r.drain.as_secs_f64()
        );
    }
    let calls = |r: &Report| (r.reads_after + r.writes_after).max(1) as f64;
    println!(
        "\nWith coalescing: {:.2}× the API calls after recovery, {:.2}× the drain time.",
        calls(folded) / calls(each),
        folded.drain.as_secs_f64() / each.drain.as_secs_f64().max(0.001)
    );
}
