//! GitHub's own example payloads (npm `@octokit/webhooks-examples`) through the real intake
//! on loopback, then triage and processing: none may be refused, and none may fail other than
//! with a clear GitHub error (the examples' pull requests do not exist in the simulator the
//! server talks to). `.ci/run` sets `GWS_WEBHOOK_EXAMPLES` to the package's
//! `api.github.com/index.json`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use github_simulator::Simulator;
use github_simulator::sign;
use github_webhook_server::config::Config;
use github_webhook_server::github::clients::Clients;
use github_webhook_server::orchestrator::GithubWebhook;
use github_webhook_server::queue::sqlite::SqliteQueue;
use github_webhook_server::queue::{Claimed, DeliveryQueue};
use github_webhook_server::server::allowlist::Allowlist;
use github_webhook_server::server::routes::{router, serve};
use github_webhook_server::server::state::AppState;
use github_webhook_server::steps::WebhookContext;
use github_webhook_server::store::Memory;
use serde_json::Value;
use tokio::sync::{Notify, watch};

const SECRET: &str = "examples-secret";
const TOKEN: &str = "ghp_examplestoken0000000000000000000000";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "run by .ci/run with GWS_WEBHOOK_EXAMPLES set"]
async fn every_github_example_payload_is_accepted_triaged_and_processed() {
    let path = PathBuf::from(
        std::env::var_os("GWS_WEBHOOK_EXAMPLES").expect("GWS_WEBHOOK_EXAMPLES names index.json"),
    );
    let index: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The examples' repositories are configured, so triage goes past "not configured".
    let mut names: Vec<String> = index
        .iter()
        .flat_map(|e| e["examples"].as_array().unwrap().iter())
        .filter_map(|x| x.pointer("/repository/full_name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    let sim_dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(sim_dir.path(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    reqwest::Client::new()
        .post(format!("{}/_simulator/tokens", sim.url()))
        .json(&serde_json::json!({"token": TOKEN, "login": "bot"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut yaml = format!(
        "webhook-secret: {SECRET}\ngithub-api-url: {}\ngithub-tokens: [{TOKEN}]\nrepositories:\n",
        sim.url()
    );
    for (i, name) in names.iter().enumerate() {
        yaml.push_str(&format!("  r{i}:\n    name: {name}\n"));
    }
    let config = Arc::new(Config::parse(&yaml).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let queue: Arc<dyn DeliveryQueue> =
        Arc::new(SqliteQueue::open(&dir.path().join("queue.sqlite3")).unwrap());
    let (_config_tx, config_rx) = watch::channel(config.clone());
    let app = router(AppState {
        config: config_rx,
        queue: queue.clone(),
        wake: Arc::new(Notify::new()),
        allowlist: Arc::new(Allowlist::default()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, std::future::pending()));

    let http = reqwest::Client::new();
    let mut sent = 0;
    let mut refused = Vec::new();
    for event in &index {
        let name = event["name"].as_str().unwrap();
        for (i, example) in event["examples"].as_array().unwrap().iter().enumerate() {
            let body = serde_json::to_vec(example).unwrap();
            let resp = http
                .post(format!("http://{addr}/webhook_server"))
                .header("x-github-event", name)
                .header("x-github-delivery", format!("{name}-{i}"))
                .header("x-hub-signature-256", sign(SECRET, &body))
                .body(body)
                .send()
                .await
                .unwrap();
            if resp.status() != 200 {
                refused.push(format!(
                    "{name}[{i}]: {} {}",
                    resp.status(),
                    resp.text().await.unwrap()
                ));
            }
            sent += 1;
        }
    }
    assert!(
        refused.is_empty(),
        "refused by intake:\n{}",
        refused.join("\n")
    );
    assert!(sent > 300, "only {sent} examples");

    // Everything stored is processed by the orchestrator, failing only where GitHub must be read.
    let clients = Arc::new(Clients::new(dir.path()));
    let memory = Arc::new(Memory::new(dir.path()));
    let mut failed = Vec::new();
    let mut processed = 0;
    loop {
        let claimed: Vec<Claimed> = queue
            .claim("examples", 64, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        if claimed.is_empty() {
            break;
        }
        for delivery in claimed {
            let mut ctx = WebhookContext::new(&delivery.delivery_id, &delivery.event);
            GithubWebhook::new(config.clone(), clients.clone(), memory.clone())
                .process(&delivery, &mut ctx)
                .await;
            let summary = ctx.finish();
            let clear = summary
                .error
                .as_ref()
                .is_some_and(|e| e.kind == "GitHubError");
            if !summary.success && !clear {
                failed.push(format!("{}: {:?}", delivery.delivery_id, summary.error));
            }
            queue
                .complete(
                    delivery.seq,
                    github_webhook_server::queue::Completion {
                        state: github_webhook_server::queue::FinalState::Done,
                        day: summary.day().to_string(),
                        summary_line: String::new(),
                        follow_ups: Vec::new(),
                    },
                )
                .await
                .unwrap();
            processed += 1;
        }
    }
    assert_eq!(processed, sent);
    assert!(
        failed.is_empty(),
        "failed in processing:\n{}",
        failed.join("\n")
    );
}
