//! `demo`: the simulator and the server in one process, and a pull request's life played on
//! them, step by step, with what the bot changed and the API calls it spent. No credentials and
//! no network: everything listens on loopback, and the data lives in a temporary directory.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::config::Config;

/// The configuration the README's quick start serves, which the demo starts from.
const BASE_CONFIG: &str = include_str!("../config/config.yaml");
const SECRET: &str = "demo-webhook-secret";
const APP_ID: u64 = 1;
/// The check an outside CI reports, which branch protection requires.
const CI_CHECK: &str = "ci/external";
const PEOPLE: &[&str] = &["alice", "bob", "carol", "dave"];
/// How long one step may take to settle.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// Plays the demo; with `exit`, returns whether every expected effect happened, else serves
/// until Ctrl-C.
pub async fn run(exit: bool) -> Result<bool> {
    let dir = tempfile::tempdir().context("creating the demo's data directory")?;
    let sim = github_simulator::Simulator::start(
        &dir.path().join("simulator"),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await?;
    let api = sim.url();
    let repo = Config::parse(BASE_CONFIG)
        .ok()
        .and_then(|c| c.repositories.first().and_then(|r| r.full_name.clone()))
        .context("config/config.yaml names no repository")?;
    let demo = Demo {
        http: reqwest::Client::new(),
        api: api.clone(),
        repo: repo.clone(),
        server: String::new(),
    };
    let data = dir.path().join("server");
    let server = demo.world(&data).await?;
    let demo = Demo { server, ..demo };
    println!(
        "GitHub simulator: {api}\nServer: {}\nRepository: {repo}\n",
        demo.server
    );
    let checks = demo.play().await?;
    let passed = checks.iter().all(|(_, ok)| *ok);
    println!();
    for (what, ok) in &checks {
        println!("{} {what}", if *ok { "✔" } else { "✘" });
    }
    if exit {
        return Ok(passed);
    }
    let sandbox = demo
        .admin(
            &format!("/repos/{repo}/pulls"),
            json!({"author": "alice", "title": "Try your own commands", "head": "sandbox",
                   "files": {"docs/sandbox.md": "Try a command here.\n"}}),
        )
        .await?;
    let number = sandbox["number"].as_u64().unwrap_or_default();
    println!(
        "\nalice opened #{number} for you to try. The simulator's admin API: {api}/_simulator/\n\
         Comment on #{number} as bob:\n  curl -X POST -H 'Authorization: token {}' \
         -H 'Content-Type: application/json' -d '{{\"body\": \"/lgtm\"}}' \
         {api}/repos/{repo}/issues/{number}/comments\n\
         and see what the bot did: {api}/repos/{repo}/issues/{number}/labels\n\n\
         Serving until Ctrl-C.",
        token("bob")
    );
    tokio::signal::ctrl_c().await.ok();
    drop(sim);
    Ok(passed)
}

fn token(user: &str) -> String {
    format!("ghp_demo{user:0<32}")
}

struct Demo {
    http: reqwest::Client,
    api: String,
    repo: String,
    server: String,
}

/// A pull request as the demo shows it between steps, and the API calls spent so far.
#[derive(Clone, Default)]
struct Seen {
    labels: BTreeSet<String>,
    comments: usize,
    checks: BTreeSet<(String, String)>,
    reviewers: BTreeSet<String>,
    merged: bool,
    calls: u64,
}

impl Demo {
    /// The repository with its people, the App, branch protection and the webhook, and the
    /// server started on it; returns the server's address.
    async fn world(&self, data: &Path) -> Result<String> {
        for user in PEOPLE.iter().chain(&["demo-org"]) {
            self.admin("/tokens", json!({"token": token(user), "login": user}))
                .await?;
        }
        self.admin(
            "/repos",
            json!({"full_name": self.repo,
                   "collaborators": {"alice": "write", "bob": "write", "carol": "write"},
                   "files": {"README.md": "# demo\n",
                             "OWNERS": "approvers:\n  - carol\nreviewers:\n  - bob\n"}}),
        )
        .await?;
        let app = self
            .admin("/apps", json!({"id": APP_ID, "slug": "gws"}))
            .await?;
        std::fs::create_dir_all(data)?;
        let key = app["private_key_pem"].as_str().context("the App's key")?;
        std::fs::write(data.join("webhook-server.private-key.pem"), key)?;
        let owner = self.repo.split('/').next().unwrap_or_default();
        self.call(
            owner,
            reqwest::Method::PUT,
            &format!("/repos/{}/branches/main/protection", self.repo),
            json!({"required_status_checks": {"strict": false, "contexts": [CI_CHECK]},
                   "enforce_admins": null, "required_pull_request_reviews": null,
                   "restrictions": null}),
        )
        .await?;

        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::write(data.join("config.yaml"), config(&self.api, port))?;
        let data_dir = data.to_path_buf();
        tokio::spawn(async move {
            if let Err(e) = crate::server::serve(&data_dir).await {
                eprintln!("error: the server stopped: {e:#}");
            }
        });
        let server = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + STEP_TIMEOUT;
        while self
            .http
            .get(format!("{server}/webhook_server/healthcheck"))
            .send()
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("the server did not start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.admin(
            "/hooks",
            json!({"repo": self.repo, "url": format!("{server}/webhook_server"), "secret": SECRET}),
        )
        .await?;
        Ok(server)
    }

    /// The lifecycle, each step printed with its effects; returns what was checked.
    async fn play(&self) -> Result<Vec<(String, bool)>> {
        let mut checks = Vec::new();
        let mut seen = Seen::default();
        let mut check = |what: &str, ok: bool| checks.push((what.to_string(), ok));

        let pr = self
            .admin(
                &format!("/repos/{}/pulls", self.repo),
                json!({"author": "alice", "title": "Add the engine", "head": "engine",
                       "files": {"src/engine.rs": "pub fn start() {}\n"}}),
            )
            .await?;
        let n = pr["number"].as_u64().context("the pull request's number")?;
        let now = self
            .step(
                "alice opens pull request #1 \"Add the engine\"",
                &mut seen,
                n,
            )
            .await?;
        check(
            "opening labels the pull request by size and branch",
            now.labels.contains("size/XS") && now.labels.contains("branch-main"),
        );
        check(
            "bob is asked to review, from OWNERS",
            now.reviewers.contains("bob"),
        );
        check("a welcome comment appears", now.comments >= 1);

        self.comment("bob", n, "Looks good to me.\n/lgtm").await?;
        let now = self.step("bob: /lgtm", &mut seen, n).await?;
        check("bob's /lgtm adds lgtm-bob", now.labels.contains("lgtm-bob"));

        let before = now.comments;
        self.comment("dave", n, "/approve").await?;
        let now = self
            .step("dave (not an approver): /approve", &mut seen, n)
            .await?;
        check(
            "dave's /approve is refused with the reason",
            !now.labels.contains("approved-dave") && now.comments == before + 1,
        );

        self.comment("carol", n, "/approve").await?;
        let now = self
            .step("carol (an approver): /approve", &mut seen, n)
            .await?;
        check(
            "carol's /approve adds approved-carol",
            now.labels.contains("approved-carol"),
        );

        self.comment("alice", n, "/hold").await?;
        let now = self.step("alice: /hold", &mut seen, n).await?;
        check("/hold adds hold", now.labels.contains("hold"));
        self.comment("alice", n, "/hold cancel").await?;
        let now = self.step("alice: /hold cancel", &mut seen, n).await?;
        check("/hold cancel removes it", !now.labels.contains("hold"));

        let head = pr["head_sha"].as_str().unwrap_or_default().to_string();
        self.admin(
            &format!("/repos/{}/check-runs", self.repo),
            json!({"app": "ci", "name": CI_CHECK, "head_sha": head,
                   "status": "completed", "conclusion": "success"}),
        )
        .await?;
        let now = self
            .step(
                &format!("an outside CI reports {CI_CHECK}: success"),
                &mut seen,
                n,
            )
            .await?;
        check(
            "the pull request can be merged once CI passed",
            now.labels.contains("can-be-merged"),
        );

        self.comment("carol", n, "/automerge").await?;
        let now = self.step("carol: /automerge", &mut seen, n).await?;
        check("/automerge merges the pull request", now.merged);
        Ok(checks)
    }

    /// Waits for the server to settle, prints what changed since `seen`, and keeps the new view.
    async fn step(&self, title: &str, seen: &mut Seen, n: u64) -> Result<Seen> {
        self.settle().await?;
        let mut now = self.look(n).await?;
        println!("▶ {title}");
        let mut labels: Vec<String> = now
            .labels
            .difference(&seen.labels)
            .map(|l| format!("+{l}"))
            .collect();
        labels.extend(seen.labels.difference(&now.labels).map(|l| format!("-{l}")));
        if !labels.is_empty() {
            println!("    labels     {}", labels.join(" "));
        }
        for reviewer in now.reviewers.difference(&seen.reviewers) {
            println!("    reviewer   {reviewer} asked");
        }
        for (name, state) in now.checks.difference(&seen.checks) {
            println!("    check run  {name}: {state}");
        }
        for body in self.bot_comments(n).await?.iter().skip(seen.comments) {
            let first = body
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with("<!--"))
                .unwrap_or_default();
            println!(
                "    comment    {}",
                first.chars().take(100).collect::<String>()
            );
        }
        if now.merged && !seen.merged {
            println!("    merged");
        }
        let (reads, writes) = self.server_calls().await?;
        now.calls = reads + writes;
        println!(
            "    API calls  {} (server total: {reads} reads, {writes} writes)",
            now.calls - seen.calls
        );
        *seen = now.clone();
        Ok(now)
    }

    async fn look(&self, n: u64) -> Result<Seen> {
        let pull = self.get(&format!("/repos/{}/pulls/{n}", self.repo)).await?;
        let names = |v: &Value, key: &str| -> BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x[key].as_str().map(str::to_string))
                .collect()
        };
        let head = pull["head"]["sha"].as_str().unwrap_or_default();
        let runs = self
            .get(&format!("/repos/{}/commits/{head}/check-runs", self.repo))
            .await?;
        Ok(Seen {
            labels: names(&pull["labels"], "name"),
            reviewers: names(&pull["requested_reviewers"], "login"),
            checks: runs["check_runs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let state = r["conclusion"]
                        .as_str()
                        .or(r["status"].as_str())
                        .unwrap_or_default();
                    (
                        r["name"].as_str().unwrap_or_default().to_string(),
                        state.to_string(),
                    )
                })
                .collect(),
            comments: self.bot_comments(n).await?.len(),
            merged: pull["merged"].as_bool().unwrap_or(false),
            calls: 0,
        })
    }

    /// The bodies of the server's comments on `n`, oldest first.
    async fn bot_comments(&self, n: u64) -> Result<Vec<String>> {
        let comments = self
            .get(&format!(
                "/repos/{}/issues/{n}/comments?per_page=100",
                self.repo
            ))
            .await?;
        Ok(comments
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| {
                c["user"]["login"]
                    .as_str()
                    .is_some_and(|l| l.ends_with("[bot]"))
            })
            .filter_map(|c| c["body"].as_str().map(str::to_string))
            .collect())
    }

    /// The server's GitHub API calls so far, as (reads, writes), from the simulator's log.
    async fn server_calls(&self) -> Result<(u64, u64)> {
        let log = self.get("/_simulator/requests?since=0").await?;
        let (mut reads, mut writes) = (0, 0);
        for r in log.as_array().into_iter().flatten() {
            if !r["login"].as_str().is_some_and(|l| l.ends_with("[bot]")) {
                continue;
            }
            let mutation = r["operation"]
                .as_str()
                .is_some_and(|o| o.contains("AutoMerge"));
            if (r["method"] != "GET" && r["path"] != "/graphql") || mutation {
                writes += 1;
            } else {
                reads += 1;
            }
        }
        Ok((reads, writes))
    }

    /// Waits until every webhook was delivered and the server's queue is idle for a moment.
    async fn settle(&self) -> Result<()> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut quiet = 0;
        while quiet < 3 {
            if Instant::now() > deadline {
                bail!(
                    "the server did not settle within {}s",
                    STEP_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            let deliveries = self.get("/_simulator/deliveries").await?;
            let answered = deliveries
                .as_array()
                .into_iter()
                .flatten()
                .all(|d| !d["status"].is_null());
            let status: Value = self
                .http
                .get(format!("{}/webhook_server/status", self.server))
                .send()
                .await?
                .json()
                .await?;
            let idle = status["pending"] == 0 && status["running"] == 0;
            quiet = if answered && idle { quiet + 1 } else { 0 };
        }
        Ok(())
    }

    async fn comment(&self, user: &str, n: u64, body: &str) -> Result<()> {
        self.call(
            user,
            reqwest::Method::POST,
            &format!("/repos/{}/issues/{n}/comments", self.repo),
            json!({"body": body}),
        )
        .await
        .map(drop)
    }

    async fn admin(&self, path: &str, body: Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}/_simulator{path}", self.api))
            .json(&body)
            .send()
            .await?;
        answer(path, response).await
    }

    /// A REST call as `user`.
    async fn call(
        &self,
        user: &str,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.api))
            .header("authorization", format!("token {}", token(user)))
            .json(&body)
            .send()
            .await?;
        answer(path, response).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.api))
            .header("authorization", format!("token {}", token("alice")))
            .send()
            .await?;
        answer(path, response).await
    }
}

async fn answer(path: &str, response: reqwest::Response) -> Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {body}");
    }
    Ok(body)
}

/// config/config.yaml for the simulator: its listener and URL, the App, quiet logs, and no
/// `verified` step, so the demo's steps alone make the pull request mergeable.
fn config(api: &str, port: u16) -> String {
    let overridden = [
        "ip-bind",
        "port",
        "github-api-url",
        "github-app-id",
        "webhook-secret",
        "log-level",
        "verified-job",
    ];
    let kept: String = BASE_CONFIG
        .lines()
        .filter(|l| !overridden.iter().any(|k| l.starts_with(&format!("{k}:"))))
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "ip-bind: 127.0.0.1\nport: {port}\ngithub-api-url: {api}\ngithub-app-id: {APP_ID}\n\
         webhook-secret: {SECRET}\nlog-level: ERROR\nverified-job: false\n{kept}"
    )
}
