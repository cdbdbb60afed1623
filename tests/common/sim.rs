//! A GitHub simulator on a loopback port, a signed-webhook receiver, and request helpers.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use github_simulator::Simulator;
use github_webhook_server::server::intake::verify_signature;
use http::Method;
use serde_json::Value;

pub const HOOK_SECRET: &str = "simulator-hook-secret";
pub const BOT_TOKEN: &str = "ghp_simulatorbottoken000000000000000000";

#[derive(Clone, Debug)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub body: Value,
}

/// A webhook receiver that checks every signature and keeps what it got.
pub async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                verify_signature(HOOK_SECRET, &body, header("x-hub-signature-256").as_deref())
                    .expect("every delivery is signed with the hook secret");
                assert!(header("x-github-hook-id").is_some());
                sink.lock().unwrap().push(Received {
                    event: header("x-github-event").unwrap(),
                    delivery: header("x-github-delivery").unwrap(),
                    body: serde_json::from_slice(&body).unwrap(),
                });
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

pub async fn wait_for(got: &Arc<Mutex<Vec<Received>>>, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = got.lock().unwrap().clone();
        if v.len() >= n {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} deliveries",
            v.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}/_simulator{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    /// A request with an `Authorization` header value and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", auth);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The simulator's request log after entry `since`.
    pub async fn requests(&self, since: u64) -> Vec<Value> {
        let (_, _, log) = self
            .get(&format!("/_simulator/requests?since={since}"), None)
            .await;
        serde_json::from_value(log).unwrap()
    }

    /// The id of the last request the simulator logged, to read what follows it.
    pub async fn last_request_id(&self) -> u64 {
        self.requests(0)
            .await
            .last()
            .map_or(0, |r| r["id"].as_u64().unwrap())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, HeaderMap, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("token {t}"));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.json().await.unwrap_or(Value::Null))
    }
}

/// Whether a logged request changed GitHub: any REST call but a GET, and the auto-merge
/// mutations (other GraphQL documents here only read).
pub fn is_write(r: &Value) -> bool {
    let mutation = r["operation"]
        .as_str()
        .is_some_and(|o| o.contains("AutoMerge"));
    (r["method"] != "GET" && r["path"] != "/graphql") || mutation
}

/// Runs git as bob in `cwd`; returns its trimmed output.
pub fn git_in(cwd: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=bob", "-c", "user.email=bob@example.com"])
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub async fn start() -> (tempfile::TempDir, Simulator, Api) {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let api = Api {
        base: sim.url(),
        http: reqwest::Client::new(),
    };
    (dir, sim, api)
}

/// Waits for the first delivery that `wanted` accepts (deliveries arrive asynchronously).
pub async fn wait_for_match(
    got: &Arc<Mutex<Vec<Received>>>,
    wanted: impl Fn(&Received) -> bool,
) -> Received {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = got.lock().unwrap().iter().find(|r| wanted(r)) {
            return found.clone();
        }
        assert!(Instant::now() < deadline, "no such delivery arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
