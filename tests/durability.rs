//! Crash recovery, per-PR ordering and graceful shutdown, through the real binary.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["hook_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_burst_loses_nothing_and_duplicates_nothing() {
    let dir = data_dir(&config_with_secret());
    // Slow deliveries, so the kill lands while some are running and others are still queued.
    let mut server = Server::start_with_env(dir.path(), &[("WEBHOOK_SERVER_TEST_DELAY_MS", "100")]);
    let c = client();
    let bodies: Vec<(String, Vec<u8>)> = (0..200u64)
        .map(|i| {
            let body = serde_json::to_vec(&pr_payload(1 + i % 40, "synchronize")).unwrap();
            (format!("burst-{i:03}"), body)
        })
        .collect();
    let bodies = Arc::new(bodies);

    let acked = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for lane in 0..8 {
        let (c, bodies, acked) = (c.clone(), bodies.clone(), acked.clone());
        let url = server.url("/webhook_server");
        senders.push(tokio::spawn(async move {
            for (id, body) in bodies.iter().skip(lane).step_by(8) {
                let sent = c
                    .post(&url)
                    .header("x-github-event", "pull_request")
                    .header("x-github-delivery", id)
                    .header("x-hub-signature-256", github_simulator::sign(SECRET, body))
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => return,
                }
            }
        }));
    }
    while acked.load(Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Kill only once something is mid-processing: each delivery then has 100 ms to go, so
    // the kill lands inside one and requeueing is exercised every time.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = get_json(&c, &server, "/webhook_server/status").await;
        if status["running"].as_u64() > Some(0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing ever ran: {status}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill9();
    for s in senders {
        let _ = s.await;
    }
    let acked_before_kill = acked.load(Ordering::SeqCst);
    let written_before_restart = summaries(dir.path()).len();
    assert!(
        written_before_restart < 200,
        "the kill came too late to test anything"
    );

    // GitHub (or an operator) redelivers everything that might not have arrived; deliveries
    // that were stored are recognised and not queued again.
    let server = Server::start(dir.path());
    let mut duplicates = 0;
    for (id, body) in bodies.iter() {
        let r = deliver(&c, &server, "pull_request", id, body, Some(SECRET)).await;
        assert_eq!(r.status, 200, "{id}: {}", r.body);
        if r.body["message"].as_str().unwrap().contains("Duplicate") {
            duplicates += 1;
        }
    }
    assert!(
        duplicates >= acked_before_kill,
        "every delivery acknowledged before the kill must be known after it ({duplicates} < {acked_before_kill})"
    );

    let records = wait_for_summaries(dir.path(), 200, WAIT);
    // Nothing more may arrive: give stragglers time to show up before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let records = if summaries(dir.path()).len() > records.len() {
        summaries(dir.path())
    } else {
        records
    };
    let all = ids(&records);
    let unique: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 200, "summary records: {}", all.len());
    assert_eq!(unique.len(), 200, "some delivery was recorded twice");
    let retried = records
        .iter()
        .filter(|r| r["workflow_steps"]["webhook_routing"]["attempt"].as_u64() > Some(1))
        .count();
    assert!(
        retried > 0,
        "no delivery was interrupted mid-processing, so requeueing was not exercised"
    );
}

fn interval(r: &Value) -> (String, String) {
    (
        r["timing"]["started_at"].as_str().unwrap().to_string(),
        r["timing"]["completed_at"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn one_prs_deliveries_run_in_arrival_order_while_another_pr_runs_in_parallel() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start_with_env(dir.path(), &[("WEBHOOK_SERVER_TEST_DELAY_MS", "30")]);
    let c = client();
    let mut sent: HashMap<u64, Vec<String>> = HashMap::new();
    for i in 0..50 {
        for pr in [7u64, 8] {
            let id = format!("pr{pr}-{i:02}");
            let body = serde_json::to_vec(&pr_payload(pr, "labeled")).unwrap();
            let r = deliver(&c, &server, "pull_request", &id, &body, Some(SECRET)).await;
            assert_eq!(r.status, 200);
            sent.entry(pr).or_default().push(id);
        }
    }
    let records = wait_for_summaries(dir.path(), 100, WAIT);
    let mut by_pr: HashMap<u64, Vec<&Value>> = HashMap::new();
    for r in &records {
        by_pr
            .entry(r["pr"]["number"].as_u64().unwrap())
            .or_default()
            .push(r);
    }
    for (pr, ids_sent) in &sent {
        let mut runs = by_pr[pr].clone();
        runs.sort_by_key(|r| interval(r).0);
        let order: Vec<_> = runs
            .iter()
            .map(|r| r["hook_id"].as_str().unwrap())
            .collect();
        assert_eq!(&order, ids_sent, "PR {pr} ran out of arrival order");
        for pair in runs.windows(2) {
            let (_, first_end) = interval(pair[0]);
            let (second_start, _) = interval(pair[1]);
            assert!(
                second_start >= first_end,
                "PR {pr}: {} started before {} completed",
                pair[1]["hook_id"],
                pair[0]["hook_id"]
            );
        }
    }
    // The other PR was not held back: their runs overlap in time.
    let overlapping = by_pr[&7].iter().any(|a| {
        let (a0, a1) = interval(a);
        by_pr[&8].iter().any(|b| {
            let (b0, b1) = interval(b);
            a0 < b1 && b0 < a1
        })
    });
    assert!(overlapping, "PR 7 and PR 8 never ran at the same time");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_running_deliveries_then_exits() {
    let dir = data_dir(&config_with_secret());
    let mut server = Server::start_with_env(dir.path(), &[("WEBHOOK_SERVER_TEST_DELAY_MS", "400")]);
    let c = client();
    for pr in 1..=3u64 {
        let body = serde_json::to_vec(&pr_payload(pr, "opened")).unwrap();
        let r = deliver(
            &c,
            &server,
            "pull_request",
            &format!("term-{pr}"),
            &body,
            Some(SECRET),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    // Let the workers claim them; each then takes 400 ms.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    let out = server.output();
    assert!(out.contains("shutting down"), "{out}");
    assert!(out.contains("stopped"), "{out}");
    // The three were running when SIGTERM came; they completed before the exit.
    let records = summaries(dir.path());
    assert_eq!(
        ids(&records).into_iter().collect::<BTreeSet<_>>(),
        ["term-1", "term-2", "term-3"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
