//! Intake over HTTP against the real binary.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn a_good_signature_is_queued_and_processed_once() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let c = client();
    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    let r = deliver(&c, &server, "pull_request", "good-1", &body, Some(SECRET)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"status": 200, "message": "Webhook queued for processing",
               "delivery_id": "good-1", "event_type": "pull_request"})
    );
    let s = wait_for_summaries(dir.path(), 1, WAIT);
    assert_eq!(s[0]["hook_id"], "good-1");
    assert_eq!(s[0]["type"], "webhook_summary");
    assert_eq!(s[0]["repository_full_name"], "o/r");
    assert_eq!(s[0]["pr"]["number"], 1);
    assert_eq!(s[0]["token_spend"], 0);
    assert_eq!(
        s[0]["workflow_steps"]["webhook_routing"]["handler"],
        "PullRequestHandler"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_and_missing_signatures_are_refused_and_not_stored() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let c = client();
    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    let wrong = deliver(
        &c,
        &server,
        "pull_request",
        "bad-1",
        &body,
        Some("not-the-secret"),
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.body["detail"], "Request signatures didn't match!");
    let missing = deliver(&c, &server, "pull_request", "bad-2", &body, None).await;
    assert_eq!(missing.status, 403);
    assert_eq!(
        missing.body["detail"],
        "x-hub-signature-256 header is missing!"
    );
    // A refused delivery leaves no trace, so a correctly signed retry with the same id works.
    let retry = deliver(&c, &server, "pull_request", "bad-1", &body, Some(SECRET)).await;
    assert_eq!(retry.body["message"], "Webhook queued for processing");
    let stats = get_json(&c, &server, "/webhook_server/status").await;
    assert_eq!(
        stats["pending"].as_u64().unwrap()
            + stats["running"].as_u64().unwrap()
            + stats["done"].as_u64().unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_secret_deliveries_are_accepted_and_a_warning_is_logged() {
    let dir = data_dir("ip-bind: 127.0.0.1\nport: 0\nrepositories:\n  r:\n    name: o/r\n");
    let server = Server::start(dir.path());
    assert!(
        server.output().contains("webhook-secret is not set"),
        "{}",
        server.output()
    );
    let body = serde_json::to_vec(&pr_payload(2, "opened")).unwrap();
    let r = deliver(
        &client(),
        &server,
        "pull_request",
        "nosecret-1",
        &body,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    wait_for_summaries(dir.path(), 1, WAIT);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_400_with_a_message() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let c = client();

    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    let resp = c
        .post(server.url("/webhook_server"))
        .header("x-github-delivery", "noevent")
        .header("x-hub-signature-256", github_simulator::sign(SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["detail"], "Missing X-GitHub-Event header");

    let r = deliver(
        &c,
        &server,
        "pull_request",
        "badjson",
        b"{\"action\": ",
        Some(SECRET),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload"),
        "{}",
        r.body
    );

    let r = deliver(&c, &server, "pull_request", "scalar", b"42", Some(SECRET)).await;
    assert_eq!(r.status, 400);

    let r = deliver(
        &c,
        &server,
        "pull_request",
        "norepo",
        b"{\"action\":\"opened\"}",
        Some(SECRET),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["detail"], "Missing repository in payload");

    let r = deliver(
        &c,
        &server,
        "pull_request",
        "nofull",
        br#"{"repository":{"name":"r"}}"#,
        Some(SECRET),
    )
    .await;
    assert_eq!(r.body["detail"], "Missing repository.full_name in payload");

    // The server is still healthy after all of that.
    let health = get_json(&c, &server, "/webhook_server/healthcheck").await;
    assert_eq!(health, json!({"status": 200, "message": "Alive"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_26_mib_body_is_refused_with_413() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    // The server answers as soon as it sees the declared length, without reading the body.
    assert_eq!(raw_post(server.port, 26 * 1024 * 1024, false).await, 413);
    // Without Content-Length (chunked), the cap is enforced while reading.
    assert_eq!(raw_post(server.port, 26 * 1024 * 1024, true).await, 413);
    // 24 MiB is within the cap: it is read in full, then refused for its missing signature.
    assert_eq!(raw_post(server.port, 24 * 1024 * 1024, true).await, 403);
}

/// Sends `len` spaces, chunked or with Content-Length, and returns the response status. A raw
/// socket, because an HTTP client reports a broken pipe instead of the early 413.
async fn raw_post(port: u16, len: usize, chunked: bool) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let framing = if chunked {
        "transfer-encoding: chunked".to_string()
    } else {
        format!("content-length: {len}")
    };
    let head = format!(
        "POST /webhook_server HTTP/1.1\r\nhost: localhost\r\nx-github-event: pull_request\r\n\
         x-github-delivery: huge\r\nconnection: close\r\n{framing}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..len / chunk.len() {
        let frame = if chunked {
            [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat()
        } else {
            chunk.clone()
        };
        // The server may answer and stop reading before everything is sent.
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn ping_is_accepted_and_recorded_as_skipped() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let body = br#"{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository"},"repository":{"name":"r","full_name":"o/r"}}"#;
    let r = deliver(&client(), &server, "ping", "ping-1", body, Some(SECRET)).await;
    assert_eq!(r.status, 200);
    let s = wait_for_summaries(dir.path(), 1, WAIT);
    assert_eq!(s[0]["event_type"], "ping");
    assert_eq!(s[0]["success"], true);
    assert_eq!(
        s[0]["workflow_steps"]["webhook_routing"]["decision"],
        "skip"
    );
    // An organisation hook's ping has no repository at all.
    let r = deliver(
        &client(),
        &server,
        "ping",
        "ping-2",
        br#"{"zen":"z","hook_id":2}"#,
        Some(SECRET),
    )
    .await;
    assert_eq!(r.status, 200);
    wait_for_summaries(dir.path(), 2, WAIT);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_delivery_id_is_acknowledged_but_processed_once() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let c = client();
    let body = serde_json::to_vec(&pr_payload(3, "opened")).unwrap();
    let first = deliver(&c, &server, "pull_request", "dup-1", &body, Some(SECRET)).await;
    assert_eq!(first.body["message"], "Webhook queued for processing");
    wait_for_summaries(dir.path(), 1, WAIT);
    for _ in 0..3 {
        let again = deliver(&c, &server, "pull_request", "dup-1", &body, Some(SECRET)).await;
        assert_eq!(again.status, 200);
        assert!(
            again.body["message"]
                .as_str()
                .unwrap()
                .contains("Duplicate"),
            "{}",
            again.body
        );
    }
    // A later delivery acts as a barrier: once its record exists, any duplicate would have too.
    let later = serde_json::to_vec(&pr_payload(3, "edited")).unwrap();
    deliver(&c, &server, "pull_request", "dup-2", &later, Some(SECRET)).await;
    let s = wait_for_summaries(dir.path(), 2, WAIT);
    let ids: Vec<_> = s.iter().map(|r| r["hook_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["dup-1", "dup-2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn unconfigured_repositories_are_recorded_as_failed() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let body = json!({"action": "opened", "pull_request": {"number": 1},
                      "repository": {"name": "x", "full_name": "elsewhere/x"}});
    let body = serde_json::to_vec(&body).unwrap();
    deliver(
        &client(),
        &server,
        "pull_request",
        "unconf-1",
        &body,
        Some(SECRET),
    )
    .await;
    let s = wait_for_summaries(dir.path(), 1, WAIT);
    assert_eq!(s[0]["success"], false);
    assert_eq!(s[0]["status"], "failed");
    assert_eq!(s[0]["error"]["type"], "RepositoryNotFoundInConfigError");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_logs_or_summaries() {
    let token = "ghp_THISISASECRETTOKENVALUE0123456789abcd";
    let pypi = "pypi-AgEIcHlwaS5vcmcSECRET";
    let config = format!(
        "ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {SECRET}\ngithub-tokens: [{token}]\nrepositories:\n  r:\n    name: o/r\n    pypi:\n      token: {pypi}\n"
    );
    let dir = data_dir(&config);
    let server = Server::start(dir.path());
    // Payload fields carrying the secrets end up in the summary (title, sender, reason).
    let body = json!({
        "action": format!("opened {token}"),
        "pull_request": {"number": 9, "title": format!("leak {token} {pypi} {SECRET}"), "user": {"login": "a"}},
        "repository": {"name": "r", "full_name": "o/r"},
        "sender": {"login": pypi},
    });
    let body = serde_json::to_vec(&body).unwrap();
    deliver(
        &client(),
        &server,
        "pull_request",
        "mask-1",
        &body,
        Some(SECRET),
    )
    .await;
    let s = wait_for_summaries(dir.path(), 1, WAIT);
    let title = s[0]["pr"]["title"].as_str().unwrap();
    assert_eq!(title, "leak ***** ***** *****");
    server.wait_for_output("mask-1", WAIT);
    let mut everything = server.output();
    for entry in std::fs::read_dir(dir.path().join("logs")).unwrap() {
        everything.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for secret in [token, pypi, SECRET] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}

/// Serves `{"hooks": [...]}` at `/meta`, as GitHub's meta API does; the ranges can be changed.
async fn fake_meta(
    hooks: Vec<&'static str>,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<&'static str>>>) {
    use axum::routing::get;
    let hooks = std::sync::Arc::new(std::sync::Mutex::new(hooks));
    let shared = hooks.clone();
    let app = axum::Router::new().route(
        "/meta",
        get(move || {
            let hooks = shared.lock().unwrap().clone();
            async move { axum::Json(json!({ "hooks": hooks })) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, hooks)
}

fn allowlist_config(api_port: u16, secret_suffix: &str) -> String {
    format!(
        "ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {SECRET}{secret_suffix}\nverify-github-ips: true\n\
         github-api-url: http://127.0.0.1:{api_port}\nrepositories:\n  r:\n    name: o/r\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ip_allowlist_admits_only_github_hook_ranges() {
    let (meta_port, hooks) = fake_meta(vec!["192.30.252.0/22"]).await;
    let dir = data_dir(&allowlist_config(meta_port, ""));
    let server = Server::start(dir.path());
    let c = client();
    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    let r = deliver(&c, &server, "pull_request", "ip-1", &body, Some(SECRET)).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body["detail"],
        "127.0.0.1 IP is not a valid ip in allowlist IPs"
    );

    // GitHub publishes new ranges; the next refresh (here: triggered by a config change) applies them.
    hooks.lock().unwrap().push("127.0.0.0/8");
    let rotated = format!("{SECRET}-2");
    std::fs::write(
        dir.path().join("config.yaml"),
        allowlist_config(meta_port, "-2"),
    )
    .unwrap();
    server.wait_for_output("configuration reloaded", WAIT);
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let r = deliver(&c, &server, "pull_request", "ip-2", &body, Some(&rotated)).await;
        if r.status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still refused: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ip_allowlist_fails_closed_when_ranges_cannot_be_fetched() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = data_dir(&allowlist_config(port, ""));
    let server = Server::start(dir.path());
    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    let r = deliver(
        &client(),
        &server,
        "pull_request",
        "closed-1",
        &body,
        Some(SECRET),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.body["detail"],
        "IP allowlist is enabled but not loaded yet"
    );
}
