//! The team the end-to-end scenarios share: five writers with tokens on `acme/widgets`, the
//! App `gws` installed, and the verbs people use (open, label, review, push, comment), each of
//! which waits until every resulting webhook is processed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};

use super::scenario::{Builder, Scenario};
use super::sim::is_write;
use super::{client, get_json, summaries};

pub const WAIT: Duration = Duration::from_secs(60);
pub const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin"];

pub fn token(user: &str) -> String {
    format!("ghp_{user:0<36}")
}

/// `acme/widgets` with every user a writer holding a token, and the App `gws` installed.
pub fn team() -> Builder {
    USERS
        .iter()
        .fold(Scenario::builder().app(77, "gws"), |b, user| {
            b.token(&token(user), user).collaborator(user, "write")
        })
}

impl Scenario {
    pub async fn get(&self, path: &str) -> Value {
        let (status, _, body) = self.api.get(path, Some(&token("alice"))).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn as_user(&self, user: &str, method: Method, path: &str, body: Value) -> Value {
        let (status, body) = self
            .api
            .call(method, path, &format!("token {}", token(user)), Some(body))
            .await;
        assert!(status < 300, "{path}: {status} {body}");
        body
    }

    /// Opens a pull request by `author` changing `files`; returns its number.
    pub async fn open(&self, author: &str, title: &str, head: &str, files: Value) -> u64 {
        let pr = self
            .api
            .admin(
                "/repos/acme/widgets/pulls",
                json!({"author": author, "title": title, "head": head, "files": files}),
            )
            .await;
        let number = pr["number"].as_u64().unwrap();
        self.settle().await;
        number
    }

    pub async fn label(&self, user: &str, number: u64, label: &str) {
        self.api
            .admin(
                &format!("/repos/acme/widgets/issues/{number}/labels"),
                json!({"author": user, "labels": [label]}),
            )
            .await;
        self.settle().await;
    }

    pub async fn unlabel(&self, user: &str, number: u64, label: &str) {
        let (status, body) = self
            .api
            .call(
                Method::DELETE,
                &format!("/_simulator/repos/acme/widgets/issues/{number}/labels"),
                "",
                Some(json!({"author": user, "labels": [label]})),
            )
            .await;
        assert!(status < 300, "{status} {body}");
        self.settle().await;
    }

    pub async fn review(&self, user: &str, number: u64, state: &str, body: &str) {
        self.api
            .admin(
                &format!("/repos/acme/widgets/pulls/{number}/reviews"),
                json!({"author": user, "state": state, "body": body}),
            )
            .await;
        self.settle().await;
    }

    /// Waits until GitHub has delivered every webhook and the server has processed them all,
    /// including those its own writes caused.
    pub async fn settle(&self) {
        let deadline = Instant::now() + WAIT;
        let mut quiet = 0;
        while quiet < 3 {
            assert!(
                Instant::now() < deadline,
                "never settled\n{}",
                self.server.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            let (_, _, deliveries) = self.api.get("/_simulator/deliveries", None).await;
            let answered = deliveries
                .as_array()
                .unwrap()
                .iter()
                .all(|d| !d["status"].is_null());
            let stats = get_json(&client(), &self.server, "/webhook_server/status").await;
            let idle = stats["pending"] == 0 && stats["running"] == 0;
            quiet = if answered && idle { quiet + 1 } else { 0 };
        }
    }

    pub async fn labels(&self, number: u64) -> BTreeSet<String> {
        self.get(&format!(
            "/repos/acme/widgets/issues/{number}/labels?per_page=100"
        ))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
    }

    /// The latest run of each name at the pull request's head: (status, conclusion).
    pub async fn checks(&self, number: u64) -> Vec<(String, String, String)> {
        let sha = self.head(number).await;
        let runs = self
            .get(&format!("/repos/acme/widgets/commits/{sha}/check-runs"))
            .await;
        let mut out: Vec<(String, String, String)> = runs["check_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                    r["conclusion"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }

    pub async fn check(&self, number: u64, name: &str) -> (String, String) {
        let all = self.checks(number).await;
        let runs: Vec<_> = all.iter().filter(|(n, _, _)| n == name).collect();
        assert_eq!(runs.len(), 1, "one `{name}` run per head: {all:?}");
        (runs[0].1.clone(), runs[0].2.clone())
    }

    /// The output (`title`, `summary`, `text`) of the newest run of `name` at the head.
    pub async fn check_output(&self, number: u64, name: &str) -> Value {
        let sha = self.head(number).await;
        let runs = self
            .get(&format!(
                "/repos/acme/widgets/commits/{sha}/check-runs?check_name={name}"
            ))
            .await;
        runs["check_runs"]
            .as_array()
            .unwrap()
            .iter()
            .max_by_key(|r| r["id"].as_u64())
            .map(|r| r["output"].clone())
            .expect("a run")
    }

    /// Pushes `files` to pull request `number`'s branch as `author`.
    pub async fn push(&self, author: &str, number: u64, files: Value) {
        self.api
            .admin(
                &format!("/repos/acme/widgets/pulls/{number}/commits"),
                json!({"author": author, "files": files}),
            )
            .await;
        self.settle().await;
    }

    /// Protects main, requiring `contexts`, as the repository's owner.
    pub async fn protect(&self, contexts: &[impl AsRef<str>]) {
        let contexts: Vec<&str> = contexts.iter().map(AsRef::as_ref).collect();
        self.api
            .admin("/tokens", json!({"token": token("acme"), "login": "acme"}))
            .await;
        self.as_user(
            "acme",
            Method::PUT,
            "/repos/acme/widgets/branches/main/protection",
            json!({"required_status_checks": {"strict": false, "contexts": contexts},
                   "enforce_admins": null, "required_pull_request_reviews": null,
                   "restrictions": null}),
        )
        .await;
    }

    pub async fn head(&self, number: u64) -> String {
        self.pull(number).await["head"]["sha"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The repository's issues that are not pull requests (the tracking issues), in `state`.
    pub async fn tracking_issues(&self, state: &str) -> Vec<Value> {
        let issues = self
            .get(&format!("/repos/acme/widgets/issues?state={state}"))
            .await;
        issues
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["pull_request"].is_null())
            .cloned()
            .collect()
    }

    pub async fn pull(&self, number: u64) -> Value {
        self.get(&format!("/repos/acme/widgets/pulls/{number}"))
            .await
    }

    /// What the last `can-be-merged` evaluation for `number` found unmet.
    pub fn unmet(&self, number: u64) -> Vec<String> {
        summaries(self.data.path())
            .iter()
            .rev()
            .filter(|s| s["pr"]["number"] == number)
            .find_map(|s| {
                s["workflow_steps"]
                    .as_object()?
                    .values()
                    .find(|step| step.get("can_be_merged").is_some())
                    .map(|step| {
                        step["unmet"]
                            .as_array()
                            .map(|u| u.iter().map(|l| l.as_str().unwrap().to_string()).collect())
                            .unwrap_or_default()
                    })
            })
            .expect("an evaluation")
    }

    /// Sends every delivery so far again under new ids: the state must not change and the
    /// server must write nothing.
    pub async fn replay_changes_nothing(&self, numbers: &[u64]) {
        let mut before = Vec::new();
        for n in numbers {
            before.push((self.labels(*n).await, self.checks(*n).await));
        }
        let since = self.api.last_request_id().await;
        let sent = self.api.admin("/replay", json!({"since": 0})).await;
        assert!(sent["sent"].as_u64().unwrap() > 0);
        self.settle().await;
        let writes: Vec<String> = self
            .api
            .requests(since)
            .await
            .iter()
            .filter(|r| !r["path"].as_str().unwrap().starts_with("/_simulator"))
            .filter(|r| is_write(r))
            .filter(|r| !r["path"].as_str().unwrap().ends_with("/access_tokens"))
            .map(|r| format!("{} {}", r["method"], r["path"]))
            .collect();
        assert!(writes.is_empty(), "a replay wrote: {writes:#?}");
        for (n, was) in numbers.iter().zip(before) {
            assert_eq!((self.labels(*n).await, self.checks(*n).await), was);
        }
    }

    /// `user` comments `body` on issue or pull request `number`; returns the comment's id.
    pub async fn comment(&self, user: &str, number: u64, body: &str) -> u64 {
        let comment = self
            .as_user(
                user,
                Method::POST,
                &format!("/repos/acme/widgets/issues/{number}/comments"),
                json!({"body": body}),
            )
            .await;
        self.settle().await;
        comment["id"].as_u64().unwrap()
    }

    /// `user` rewrites their comment `id` to `body`.
    pub async fn edit_comment(&self, user: &str, id: u64, body: &str) {
        self.as_user(
            user,
            Method::PATCH,
            &format!("/repos/acme/widgets/issues/comments/{id}"),
            json!({"body": body}),
        )
        .await;
        self.settle().await;
    }

    /// The reactions on comment `id`, as (login, content).
    pub async fn reactions(&self, id: u64) -> Vec<(String, String)> {
        self.get(&format!(
            "/repos/acme/widgets/issues/comments/{id}/reactions"
        ))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"]["login"].as_str().unwrap().to_string(),
                r["content"].as_str().unwrap().to_string(),
            )
        })
        .collect()
    }

    /// The bodies of the comments on `number` that the server wrote after comment `after`.
    pub async fn replies(&self, number: u64, after: u64) -> Vec<String> {
        self.get(&format!(
            "/repos/acme/widgets/issues/{number}/comments?per_page=100"
        ))
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"].as_u64().unwrap() > after)
        .filter(|c| c["user"]["login"].as_str().unwrap().ends_with("[bot]"))
        .map(|c| c["body"].as_str().unwrap().to_string())
        .collect()
    }

    /// Makes GitHub answer `status` to the `nth` request matching `method` and `path`, once.
    pub async fn fail_once(&self, method: &str, path: &str, nth: u64, status: u16) {
        self.api
            .admin(
                "/faults/targeted",
                json!({"method": method, "path": path, "nth": nth, "status": status}),
            )
            .await;
    }
}
