//! The world the end-to-end tests share: the simulator holding `acme/widgets`, and the real
//! server configured for it and receiving its webhooks. Each test file adds its own verbs to
//! `Scenario`.

use std::time::{Duration, Instant};

use github_simulator::Simulator;
use serde_json::{Map, Value, json};

use super::sim::{self, Api};
use super::{SECRET, Server, data_dir};

/// How long the server may take to look its App's installation up at start.
const START: Duration = Duration::from_secs(60);

/// The simulator, `acme/widgets` in it, and the server receiving its webhooks.
pub struct Scenario {
    _sim_dir: tempfile::TempDir,
    _sim: Simulator,
    pub api: Api,
    pub data: tempfile::TempDir,
    pub server: Server,
}

impl Scenario {
    /// `acme/widgets` holding only a README, no tokens, and the server with no credentials.
    pub fn builder() -> Builder {
        Builder {
            tokens: Vec::new(),
            collaborators: Map::new(),
            files: Map::from_iter([("README.md".to_string(), json!("# widgets\n"))]),
            config: String::new(),
            repositories: "  widgets:\n    name: acme/widgets\n".to_string(),
            app: None,
            env: Vec::new(),
        }
    }
}

/// What a `Scenario` holds before it starts.
pub struct Builder {
    tokens: Vec<(String, String)>,
    collaborators: Map<String, Value>,
    files: Map<String, Value>,
    config: String,
    repositories: String,
    app: Option<(u64, String)>,
    env: Vec<(String, String)>,
}

impl Builder {
    /// A token the simulator takes as `login`'s.
    pub fn token(mut self, token: &str, login: &str) -> Self {
        self.tokens.push((token.to_string(), login.to_string()));
        self
    }

    pub fn collaborator(mut self, login: &str, permission: &str) -> Self {
        self.collaborators
            .insert(login.to_string(), json!(permission));
        self
    }

    /// Files on main besides the README (OWNERS, the repository's own config…).
    pub fn files(mut self, files: Value) -> Self {
        self.files.extend(files.as_object().unwrap().clone());
        self
    }

    /// Top-level settings for config.yaml (tokens, rules…).
    pub fn config(mut self, yaml: &str) -> Self {
        self.config.push_str(yaml);
        self
    }

    /// A repository config.yaml lists as `key` with `settings`, which the simulator does not
    /// hold: for deliveries triage turns away before any call.
    pub fn configured(mut self, key: &str, name: &str, settings: &str) -> Self {
        self.repositories
            .push_str(&format!("  {key}:\n    name: {name}\n    {settings}\n"));
        self
    }

    /// The App `id` installed on the repository, with its key in the data dir, so the server
    /// authenticates as it from the start.
    pub fn app(mut self, id: u64, slug: &str) -> Self {
        self.app = Some((id, slug.to_string()));
        self
    }

    /// An environment variable for the server.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Starts the simulator and then the server, and only then sends the repository's webhooks
    /// to it, so no delivery reaches a server that is not listening yet.
    pub async fn start(self) -> Scenario {
        let (sim_dir, sim, api) = sim::start().await;
        for (token, login) in &self.tokens {
            api.admin("/tokens", json!({"token": token, "login": login}))
                .await;
        }
        api.admin(
            "/repos",
            json!({"full_name": "acme/widgets", "collaborators": self.collaborators,
                   "files": self.files}),
        )
        .await;
        let mut app_id = String::new();
        let mut key = None;
        if let Some((id, slug)) = &self.app {
            let app = api.admin("/apps", json!({"id": id, "slug": slug})).await;
            app_id = format!("github-app-id: {id}\n");
            key = Some(app["private_key_pem"].as_str().unwrap().to_string());
        }
        // Retries start at once: a test that fails a request sees the rerun without waiting.
        let config = format!(
            "ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {SECRET}\ngithub-api-url: {}\n\
             retry-delay-seconds: 0.05\n{app_id}{}repositories:\n{}",
            api.base, self.config, self.repositories
        );
        let data = data_dir(&config);
        if let Some(key) = &key {
            std::fs::write(data.path().join("webhook-server.private-key.pem"), key).unwrap();
        }
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let server = Server::start_with_env(data.path(), &env);
        if key.is_some() {
            installation_looked_up(&api, &server).await;
        }
        api.admin(
            "/hooks",
            json!({"repo": "acme/widgets", "url": server.url("/webhook_server"), "secret": SECRET}),
        )
        .await;
        Scenario {
            _sim_dir: sim_dir,
            _sim: sim,
            api,
            data,
            server,
        }
    }
}

/// The server looks its App's installation up at start; waiting for it keeps that call out of
/// the first delivery's count.
async fn installation_looked_up(api: &Api, server: &Server) {
    let deadline = Instant::now() + START;
    while !api
        .requests(0)
        .await
        .iter()
        .any(|r| r["path"] == "/repos/acme/widgets/installation" && r["status"] == 200)
    {
        assert!(
            Instant::now() < deadline,
            "no installation lookup at start\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
