use super::*;

fn delivery(id: &str, key: &str) -> NewDelivery {
    NewDelivery {
        delivery_id: id.into(),
        event: "pull_request".into(),
        hook_id: None,
        key: key.into(),
        repository: Some("o/r".into()),
        action: Some("opened".into()),
        payload: bytes::Bytes::from_static(b"{}"),
    }
}

fn done(day: &str) -> Completion {
    Completion {
        state: FinalState::Done,
        day: day.into(),
        summary_line: "{}".into(),
        follow_ups: Vec::new(),
    }
}

#[tokio::test]
async fn pending_behind_lists_the_running_deliverys_key_in_order() {
    let (_dir, q) = fresh();
    for (id, key) in [("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A")] {
        q.enqueue(delivery(id, key)).await.unwrap();
    }
    let claimed = q.claim("w", 10, LEASE).await.unwrap();
    let seq = |id: &str| claimed.iter().find(|c| c.delivery_id == id).unwrap().seq;
    let ids = |behind: Vec<Behind>| -> Vec<String> {
        behind.into_iter().map(|b| b.delivery_id).collect()
    };
    assert_eq!(
        ids(q.pending_behind(seq("a1"), 10).await.unwrap()),
        ["a2", "a3"]
    );
    assert_eq!(ids(q.pending_behind(seq("a1"), 1).await.unwrap()), ["a2"]);
    assert!(q.pending_behind(seq("b1"), 10).await.unwrap().is_empty());
    let behind = q.pending_behind(seq("a1"), 1).await.unwrap();
    assert_eq!(
        (behind[0].event.as_str(), behind[0].payload.as_ref()),
        ("pull_request", &b"{}"[..])
    );
}

#[tokio::test]
async fn follow_ups_are_stored_with_the_completion_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let q = SqliteQueue::open(&path).unwrap();
    q.enqueue(delivery("merge", "A")).await.unwrap();
    let claimed = q.claim("w", 1, LEASE).await.unwrap();
    let mut completion = done("2026-01-01");
    completion.follow_ups = vec![delivery("merge/1", "B"), delivery("merge/2", "C")];
    q.complete(claimed[0].seq, completion.clone())
        .await
        .unwrap();
    // A second completion of the same claim (its lease had expired) adds nothing.
    q.complete(claimed[0].seq, completion).await.unwrap();
    drop(q);
    let q = SqliteQueue::open(&path).unwrap();
    let stats = q.stats().await.unwrap();
    assert_eq!((stats.done, stats.pending), (1, 2));
    let mut next: Vec<_> = q
        .claim("w", 10, LEASE)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.delivery_id)
        .collect();
    next.sort();
    assert_eq!(next, ["merge/1", "merge/2"]);
}

const LEASE: Duration = Duration::from_secs(60);

/// An empty queue in a directory that lives as long as the returned guard.
fn fresh() -> (tempfile::TempDir, SqliteQueue) {
    let dir = tempfile::tempdir().unwrap();
    let q = SqliteQueue::open(&dir.path().join("q.db")).unwrap();
    (dir, q)
}

#[tokio::test]
async fn duplicates_are_not_queued_twice() {
    let (_dir, q) = fresh();
    assert_eq!(
        q.enqueue(delivery("a", "k")).await.unwrap(),
        Enqueued::Queued
    );
    assert_eq!(
        q.enqueue(delivery("a", "k")).await.unwrap(),
        Enqueued::Duplicate
    );
    assert_eq!(q.stats().await.unwrap().pending, 1);
}

#[tokio::test]
async fn payloads_come_back_byte_for_byte() {
    let (_dir, q) = fresh();
    let payload: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut d = delivery("a", "k");
    d.payload = payload.clone().into();
    q.enqueue(d).await.unwrap();
    let c = q.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(c[0].payload, payload);
}

#[tokio::test]
async fn one_delivery_per_key_runs_at_a_time_in_order() {
    let (_dir, q) = fresh();
    for (id, key) in [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B")] {
        q.enqueue(delivery(id, key)).await.unwrap();
    }
    let first: Vec<_> = q
        .claim("w", 10, LEASE)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.delivery_id)
        .collect();
    assert_eq!(first, vec!["a1", "b1"]);
    assert!(q.claim("w", 10, LEASE).await.unwrap().is_empty());
    let a1 = 1;
    q.complete(a1, done("2026-01-01")).await.unwrap();
    let next: Vec<_> = q
        .claim("w", 10, LEASE)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.delivery_id)
        .collect();
    assert_eq!(next, vec!["a2"]);
    let stats = q.stats().await.unwrap();
    assert_eq!(
        stats,
        QueueStats {
            pending: 1,
            running: 2,
            done: 1,
            failed: 0,
            retrying: 0,
        }
    );
}

#[tokio::test]
async fn expired_leases_return_to_pending() {
    let (_dir, q) = fresh();
    q.enqueue(delivery("a", "k")).await.unwrap();
    let c = q.claim("w1", 1, Duration::ZERO).await.unwrap();
    assert_eq!(c[0].attempt, 1);
    std::thread::sleep(Duration::from_millis(5));
    let again = q.claim("w2", 1, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
}

#[tokio::test]
async fn a_deferred_delivery_holds_back_its_key_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let q = SqliteQueue::open(&path).unwrap();
    for (id, key) in [("a1", "A"), ("a2", "A"), ("b1", "B")] {
        q.enqueue(delivery(id, key)).await.unwrap();
    }
    let first = q.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(first[0].last_error, None);
    let later = now_ms() + 60_000;
    q.defer(first[0].seq, later, "GitHub answered 502".into())
        .await
        .unwrap();
    let stats = q.stats().await.unwrap();
    assert_eq!((stats.pending, stats.running, stats.retrying), (3, 0, 1));
    let waiting = q.retrying(10).await.unwrap();
    assert_eq!(
        (
            waiting[0].delivery_id.as_str(),
            waiting[0].attempts,
            waiting[0].not_before_ms,
            waiting[0].last_error.as_str()
        ),
        ("a1", 1, later, "GitHub answered 502")
    );
    // a2 waits behind a1; only B may run.
    let next = q.claim("w", 10, LEASE).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].delivery_id, "b1");
    drop(q);
    let q = SqliteQueue::open(&path).unwrap();
    assert!(
        q.claim("w", 10, LEASE)
            .await
            .unwrap()
            .iter()
            .all(|c| c.delivery_id == "b1")
    );
    assert_eq!(q.retrying(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_deferred_delivery_runs_again_first_when_its_time_comes() {
    let (_dir, q) = fresh();
    for id in ["a1", "a2"] {
        q.enqueue(delivery(id, "A")).await.unwrap();
    }
    let first = q.claim("w", 1, LEASE).await.unwrap();
    q.defer(first[0].seq, now_ms() - 1, "timeout".into())
        .await
        .unwrap();
    let again = q.claim("w", 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (
            again[0].delivery_id.as_str(),
            again[0].attempt,
            again[0].last_error.as_deref()
        ),
        ("a1", 2, Some("timeout"))
    );
    assert_eq!(q.stats().await.unwrap().retrying, 0);
}

#[tokio::test]
async fn a_stale_completion_writes_no_second_summary() {
    let (_dir, q) = fresh();
    q.enqueue(delivery("a", "k")).await.unwrap();
    let c = q.claim("w", 1, LEASE).await.unwrap();
    q.complete(c[0].seq, done("2026-01-01")).await.unwrap();
    q.complete(c[0].seq, done("2026-01-01")).await.unwrap();
    assert_eq!(q.summaries_after(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn pruning_forgets_only_old_finished_deliveries() {
    let (_dir, q) = fresh();
    for id in ["done", "pending"] {
        q.enqueue(delivery(id, id)).await.unwrap();
    }
    let c = q.claim("w", 1, LEASE).await.unwrap();
    q.complete(c[0].seq, done("2026-01-01")).await.unwrap();
    assert_eq!(q.prune(Duration::from_secs(3600)).await.unwrap(), 0);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(q.prune(Duration::ZERO).await.unwrap(), 1);
    // The id is forgotten, so it is accepted again; the pending one was kept.
    assert_eq!(
        q.enqueue(delivery("done", "done")).await.unwrap(),
        Enqueued::Queued
    );
    assert_eq!(q.stats().await.unwrap().pending, 2);
}

#[tokio::test]
async fn running_deliveries_are_requeued_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    {
        let q = SqliteQueue::open(&path).unwrap();
        q.enqueue(delivery("a", "k")).await.unwrap();
        assert_eq!(q.claim("w", 1, LEASE).await.unwrap().len(), 1);
    }
    let q = SqliteQueue::open(&path).unwrap();
    assert_eq!(q.stats().await.unwrap().pending, 1);
    let c = q.claim("w", 1, LEASE).await.unwrap();
    assert_eq!(c[0].attempt, 2);
}

#[tokio::test]
async fn log_cursor_advances_and_drops_written_summaries() {
    let (_dir, q) = fresh();
    assert_eq!(q.log_cursor().await.unwrap(), LogCursor::default());
    for id in ["a", "b"] {
        q.enqueue(delivery(id, id)).await.unwrap();
    }
    for c in q.claim("w", 2, LEASE).await.unwrap() {
        q.complete(c.seq, done("2026-01-01")).await.unwrap();
    }
    let rows = q.summaries_after(0, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    let cursor = LogCursor {
        upto: rows[0].seq,
        file: Some("webhooks_2026-01-01.json".into()),
        offset: 3,
    };
    q.advance_log_cursor(cursor.clone()).await.unwrap();
    assert_eq!(q.log_cursor().await.unwrap(), cursor);
    let left = q.summaries_after(0, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].delivery_id, rows[1].delivery_id);
}
