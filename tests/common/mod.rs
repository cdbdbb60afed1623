//! Runs the real binary on a loopback port with its own data dir.

#![allow(dead_code)]

pub mod scenario;
pub mod sim;
pub mod team;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use github_simulator::sign;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_github-webhook-server");
pub const SECRET: &str = "test-webhook-secret-4242";

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
    output: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `serve` on `data_dir` (which must hold config.yaml) and waits until it listens.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with_env(data_dir, &[])
    }

    pub fn start_with_env(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--data-dir"])
            .arg(data_dir)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("binary starts");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut o = output.lock().unwrap();
                    o.push_str(&line);
                    o.push('\n');
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Some(port) = output
                .lock()
                .unwrap()
                .lines()
                .find_map(|l| l.split("listening on http://").nth(1))
                .and_then(|addr| addr.rsplit(':').next())
                .and_then(|p| p.trim().parse().ok())
            {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "server exited with {status} before listening:\n{}",
                    output.lock().unwrap()
                );
            }
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        Server {
            child,
            port,
            data_dir: data_dir.to_path_buf(),
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the output contains `needle`.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.output().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "`{needle}` never appeared in the output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data dir holding `config`.
pub fn data_dir(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
    dir
}

/// A config for the loopback listener with a webhook secret and one repository, `o/r`.
pub fn config_with_secret() -> String {
    format!(
        "ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {SECRET}\nrepositories:\n  r:\n    name: o/r\n"
    )
}

pub fn pr_payload(number: u64, action: &str) -> Value {
    json!({
        "action": action,
        "number": number,
        "pull_request": {"number": number, "title": format!("PR {number}"), "draft": false,
                         "user": {"login": "alice"}},
        "repository": {"name": "r", "full_name": "o/r"},
        "sender": {"login": "alice"},
    })
}

pub struct Response {
    pub status: u16,
    pub body: Value,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// `GET` a path of `server` and parse its JSON.
pub async fn get_json(client: &reqwest::Client, server: &Server, path: &str) -> Value {
    client
        .get(server.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts a delivery signed with `secret` (unsigned when `None`).
pub async fn deliver(
    client: &reqwest::Client,
    server: &Server,
    event: &str,
    delivery_id: &str,
    body: &[u8],
    secret: Option<&str>,
) -> Response {
    let mut req = client
        .post(server.url("/webhook_server"))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery_id)
        .body(body.to_vec());
    if let Some(secret) = secret {
        req = req.header("x-hub-signature-256", sign(secret, body));
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    Response { status, body }
}

/// Every summary record in the data dir's JSONL files.
pub fn summaries(data_dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(data_dir.join("logs")) else {
        return out;
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("webhooks_") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        // The last line may be caught mid-append; it is read whole at the next poll.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in complete.lines() {
            out.push(serde_json::from_str(line).expect("each line is one JSON record"));
        }
    }
    out
}

/// Waits until at least `n` summary records exist, and returns them.
pub fn wait_for_summaries(data_dir: &Path, n: usize, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let s = summaries(data_dir);
        if s.len() >= n {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} summary records after {timeout:?}",
            s.len()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
