//! The clients deliveries share, and the per-delivery session over them.
//!
//! One client (and token pool) per API URL and set of tokens, kept across deliveries and config
//! reloads, so the quota each token has left, learned from response headers, and tokens dropped
//! as revoked carry over without any probe call. The GitHub App's auth lives here too, with its
//! cached installation tokens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use http::Method;
use serde_json::Value;

use super::app::{AppAuth, INSTALLATION_LABEL, lock};
use super::client::{Answer, Credential, GitHub, GitHubError};
use super::spend::Spend;
use super::tokens::TokenPool;
use crate::config::Config;

/// The App's private key, beside config.yaml in the data dir, as the reference keeps it.
pub const PRIVATE_KEY_FILE: &str = "webhook-server.private-key.pem";

type PoolKey = (String, Vec<String>);

pub struct Clients {
    private_key: PathBuf,
    clients: Mutex<HashMap<PoolKey, Arc<GitHub>>>,
    app: Mutex<Option<(u64, Arc<AppAuth>)>>,
}

impl Clients {
    pub fn new(data_dir: &Path) -> Clients {
        Clients {
            private_key: data_dir.join(PRIVATE_KEY_FILE),
            clients: Mutex::default(),
            app: Mutex::default(),
        }
    }

    /// The client for `api` with `tokens`, created on first use.
    pub fn github(&self, api: &str, tokens: &[String]) -> anyhow::Result<Arc<GitHub>> {
        let key = (api.trim_end_matches('/').to_string(), tokens.to_vec());
        if let Some(gh) = lock(&self.clients).get(&key) {
            return Ok(gh.clone());
        }
        let gh = Arc::new(GitHub::new(
            api,
            Arc::new(TokenPool::new(tokens.iter().cloned())),
        )?);
        Ok(lock(&self.clients).entry(key).or_insert(gh).clone())
    }

    /// The App's auth when `github-app-id` is set; its key is read once per app id.
    pub fn app(&self, app_id: Option<u64>) -> anyhow::Result<Option<Arc<AppAuth>>> {
        let Some(id) = app_id else {
            return Ok(None);
        };
        if let Some((cached, app)) = lock(&self.app).as_ref()
            && *cached == id
        {
            return Ok(Some(app.clone()));
        }
        let pem = std::fs::read_to_string(&self.private_key).with_context(|| {
            format!(
                "github-app-id is {id} but its private key {} cannot be read",
                self.private_key.display()
            )
        })?;
        let app = Arc::new(
            AppAuth::new(id, &pem)
                .with_context(|| format!("loading {}", self.private_key.display()))?,
        );
        // The start-up lookup and the first deliveries may load the key at once: all keep the
        // one stored first, with whatever it has already learned.
        let mut cached = lock(&self.app);
        match cached.as_ref() {
            Some((stored, app)) if *stored == id => Ok(Some(app.clone())),
            _ => {
                *cached = Some((id, app.clone()));
                Ok(Some(app))
            }
        }
    }

    /// Looks up the App's installation for every account that owns a configured repository,
    /// before any delivery needs it: a delivery's reads are then only its own data. A failure
    /// here costs nothing but the saving; a delivery looks up what is still missing.
    pub async fn warm_app(&self, config: &Config) {
        let app = match self.app(config.server.github_app_id) {
            Ok(Some(app)) => app,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("GitHub App: {e:#}");
                return;
            }
        };
        let gh = match self.github(&config.server.github_api_url, &[]) {
            Ok(gh) => gh,
            Err(e) => {
                tracing::warn!("GitHub App: {e:#}");
                return;
            }
        };
        let mut by_owner: Vec<(&str, Vec<&str>)> = Vec::new();
        for full_name in config.repositories.iter().filter_map(|r| {
            r.full_name
                .as_deref()
                .or_else(|| r.alias.contains('/').then_some(r.alias.as_str()))
        }) {
            let Some((owner, repo)) = full_name.split_once('/') else {
                continue;
            };
            match by_owner
                .iter_mut()
                .find(|(o, _)| o.eq_ignore_ascii_case(owner))
            {
                Some((_, repos)) => repos.push(repo),
                None => by_owner.push((owner, vec![repo])),
            }
        }
        let spend = Spend::default();
        'owners: for (owner, repos) in by_owner {
            if app.knows(owner) {
                continue;
            }
            for repo in repos {
                match app.installation(&gh, &spend, owner, repo).await {
                    Ok(id) => {
                        tracing::info!("GitHub App installation for {owner}: {id}");
                        continue 'owners;
                    }
                    // Not among the repositories the App was given; another of the owner's
                    // may be.
                    Err(GitHubError::Status { status: 404, .. }) => {
                        tracing::warn!("the GitHub App is not installed on {owner}/{repo}");
                    }
                    Err(e) => {
                        tracing::warn!("GitHub App installation for {owner}: {e}");
                        continue 'owners;
                    }
                }
            }
        }
        tracing::info!(
            calls = spend.summary()["total"].as_u64().unwrap_or(0),
            "GitHub App installations looked up"
        );
    }
}

/// One delivery's access to one repository: its client, the App when configured, and the
/// delivery's spend, which every request is counted in.
pub struct Session {
    gh: Arc<GitHub>,
    app: Option<Arc<AppAuth>>,
    pub spend: Spend,
    pub owner: String,
    pub name: String,
}

impl Session {
    pub fn new(gh: Arc<GitHub>, app: Option<Arc<AppAuth>>, owner: &str, name: &str) -> Session {
        Session {
            gh,
            app,
            spend: Spend::default(),
            owner: owner.to_string(),
            name: name.to_string(),
        }
    }

    /// The App, when it reads and writes for the server: without `github-tokens`, an installed
    /// App uses its installation token for everything.
    fn app_for_all(&self) -> Option<&AppAuth> {
        self.app.as_deref().filter(|_| self.gh.pool().is_empty())
    }

    /// Whether check runs can be written: only a GitHub App may.
    pub fn has_app(&self) -> bool {
        self.app.is_some()
    }

    /// The App's slug, which its check runs carry; learned when its installation is looked up.
    pub async fn app_slug(&self) -> Result<String, GitHubError> {
        let app = self.required_app("check runs")?;
        if let Some(slug) = app.slug() {
            return Ok(slug);
        }
        self.installation_token(app).await?;
        app.slug().ok_or_else(|| GitHubError::Status {
            request: "GET installation".into(),
            status: 200,
            message: "the installation names no app_slug".into(),
        })
    }

    /// A REST call under the repository as the App's installation, as check runs must be.
    pub(super) async fn app_rest(
        &self,
        method: Method,
        repo_path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        let app = self.required_app(&format!("{method} {repo_path}"))?;
        self.repo_call(Some(app), method, repo_path, body).await
    }

    /// The App, for `request`, which only an App may make.
    fn required_app(&self, request: &str) -> Result<&AppAuth, GitHubError> {
        self.app.as_deref().ok_or_else(|| GitHubError::NoToken {
            request: format!("{request} (only a GitHub App may; github-app-id is not set)"),
        })
    }

    async fn installation_token(&self, app: &AppAuth) -> Result<String, GitHubError> {
        app.installation_token(&self.gh, &self.spend, &self.owner, &self.name)
            .await
    }

    /// Makes `call` with the pool, or as `app`'s installation. An installation token GitHub
    /// answers 401 to was revoked (the App was reinstalled): it is dropped and the call made
    /// once more with a new one. Repeating is safe for any method, as GitHub did nothing.
    /// Once GitHub says the installation's quota is spent, no call goes out until its reset.
    async fn authorized<T, Call, Fut>(
        &self,
        app: Option<&AppAuth>,
        call: Call,
    ) -> Result<T, GitHubError>
    where
        Call: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, GitHubError>>,
    {
        let Some(app) = app else {
            return call(None).await;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some(until) = app.spent_until(&self.owner, now) {
            return Err(GitHubError::RateLimited {
                request: "as the App's installation".into(),
                until,
            });
        }
        let answer = async {
            let token = self.installation_token(app).await?;
            match call(Some(token.clone())).await {
                Err(GitHubError::Status { status: 401, .. }) => {
                    app.revoke(&token);
                    call(Some(self.installation_token(app).await?)).await
                }
                other => other,
            }
        }
        .await;
        if let Err(GitHubError::RateLimited { until, .. }) = &answer {
            app.spent(&self.owner, *until);
        }
        answer
    }

    pub async fn graphql(&self, body: &Value) -> Result<Value, GitHubError> {
        self.authorized(self.app_for_all(), |token| async move {
            let credential = credential(token.as_deref());
            self.gh.graphql_with(&self.spend, credential, body).await
        })
        .await
    }

    /// A REST call to a path under the repository, e.g. `/commits/{sha}/pulls`.
    pub(super) async fn rest(
        &self,
        method: Method,
        repo_path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        self.repo_call(self.app_for_all(), method, repo_path, body)
            .await
    }

    /// A REST call under the repository, with the pool or as `app`'s installation.
    async fn repo_call(
        &self,
        app: Option<&AppAuth>,
        method: Method,
        repo_path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        let path = &format!("/repos/{}/{}{repo_path}", self.owner, self.name);
        let method = &method;
        self.authorized(app, |token| async move {
            let credential = credential(token.as_deref());
            self.gh
                .rest_with(&self.spend, credential, method.clone(), path, body)
                .await
        })
        .await
    }
}

fn credential(token: Option<&str>) -> Credential<'_> {
    match token {
        Some(secret) => Credential::Fixed {
            secret,
            label: INSTALLATION_LABEL,
        },
        None => Credential::Pool,
    }
}
