//! GitHub App authentication: a JWT signed with the app's private key (octocrab's, as
//! rust-lang/bors signs it), the installation covering each account, and installation tokens
//! minted once and reused until shortly before they expire.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use http::Method;
use octocrab::auth::{EncodingKey, create_jwt};
use octocrab::models::{AppId, InstallationToken};
use tokio::sync::OnceCell;

use super::client::{Answer, Credential, GitHub, GitHubError};
use super::spend::Spend;

/// A cached installation token is renewed this long before it expires.
const RENEW_BEFORE_SECS: i64 = 300;

pub struct AppAuth {
    app_id: u64,
    key: EncodingKey,
    /// The installation covering each account (lower-cased owner): an App has one installation
    /// per account, so one lookup serves all of an owner's repositories.
    installations: Mutex<HashMap<String, Arc<OnceCell<u64>>>>,
    /// Installation token and its expiry (unix time) by installation id.
    tokens: Mutex<HashMap<u64, (String, i64)>>,
    minted: AtomicU64,
    /// One lock per installation, held while its token is minted.
    minting: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    /// The app's slug, learned from an installation: its check runs carry it.
    slug: Mutex<Option<String>>,
    /// Until when (unix time) GitHub said an installation's quota is spent, by account
    /// (lower-cased owner): each installation has its own.
    spent_until: Mutex<HashMap<String, i64>>,
}

/// The label an installation token carries in logs and spend records.
pub const INSTALLATION_LABEL: &str = "app installation token";

impl AppAuth {
    /// From the app id and its PEM private key (PKCS#1 as GitHub issues it, or PKCS#8).
    pub fn new(app_id: u64, pem: &str) -> anyhow::Result<AppAuth> {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes())
            .context("the private key is not a usable RSA key in PEM")?;
        // A key that parses can still fail to sign; better to learn that at start.
        create_jwt(AppId(app_id), &key).context("the private key cannot sign a JWT")?;
        Ok(AppAuth {
            app_id,
            key,
            installations: Mutex::default(),
            tokens: Mutex::default(),
            minted: AtomicU64::new(0),
            minting: Mutex::default(),
            slug: Mutex::default(),
            spent_until: Mutex::default(),
        })
    }

    /// A JWT for the app endpoints: issued a minute ago (clock drift) and valid for nine
    /// minutes, within GitHub's ten.
    fn jwt(&self) -> Result<String, GitHubError> {
        create_jwt(AppId(self.app_id), &self.key).map_err(|e| GitHubError::Signing(e.to_string()))
    }

    /// The app's slug, once an installation was looked up.
    pub fn slug(&self) -> Option<String> {
        lock(&self.slug).clone()
    }

    /// How many installation tokens this process has minted.
    pub fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
    }

    /// The installation covering `owner`, looked up through `owner/repo` once per process.
    /// Callers that arrive while a lookup for the same account is under way share its answer
    /// instead of making their own.
    pub async fn installation(
        &self,
        gh: &GitHub,
        spend: &Spend,
        owner: &str,
        repo: &str,
    ) -> Result<u64, GitHubError> {
        let cell = lock(&self.installations)
            .entry(owner.to_ascii_lowercase())
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.look_up(gh, spend, owner, repo))
            .await
            .copied()
    }

    /// Whether the installation covering `owner` is known, so no delivery will look it up.
    pub fn knows(&self, owner: &str) -> bool {
        lock(&self.installations)
            .get(&owner.to_ascii_lowercase())
            .is_some_and(|cell| cell.initialized())
    }

    async fn look_up(
        &self,
        gh: &GitHub,
        spend: &Spend,
        owner: &str,
        repo: &str,
    ) -> Result<u64, GitHubError> {
        let path = format!("/repos/{owner}/{repo}/installation");
        let answer = self.as_app(gh, spend, Method::GET, &path).await?;
        let id = answer.body["id"]
            .as_u64()
            .ok_or_else(|| malformed(&answer, "GET", &path, "the installation has no id"))?;
        if let Some(slug) = answer.body["app_slug"].as_str() {
            *lock(&self.slug) = Some(slug.to_string());
        }
        Ok(id)
    }

    /// Drops `owner`'s installation if it is still `id`, so the next caller looks it up again.
    fn forget(&self, owner: &str, id: u64) {
        let mut installations = lock(&self.installations);
        let key = owner.to_ascii_lowercase();
        if installations.get(&key).and_then(|c| c.get()) == Some(&id) {
            installations.remove(&key);
        }
    }

    /// An app endpoint, called with a freshly signed JWT.
    async fn as_app(
        &self,
        gh: &GitHub,
        spend: &Spend,
        method: Method,
        path: &str,
    ) -> Result<Answer, GitHubError> {
        let jwt = self.jwt()?;
        let credential = Credential::Fixed {
            secret: &jwt,
            label: "app JWT",
        };
        gh.rest_with(spend, credential, method, path, None).await
    }

    /// An installation token for `owner/repo`, minted only when none is cached or the cached
    /// one is about to expire.
    pub async fn installation_token(
        &self,
        gh: &GitHub,
        spend: &Spend,
        owner: &str,
        repo: &str,
    ) -> Result<String, GitHubError> {
        let installation = self.installation(gh, spend, owner, repo).await?;
        match self.token(gh, spend, installation).await {
            // The app was reinstalled since the lookup: its old installation is gone.
            Err(GitHubError::Status { status: 404, .. }) => {
                self.forget(owner, installation);
                let installation = self.installation(gh, spend, owner, repo).await?;
                self.token(gh, spend, installation).await
            }
            other => other,
        }
    }

    /// Remembers that the quota of `owner`'s installation is spent until `until`, so no request
    /// goes out for it before then.
    pub fn spent(&self, owner: &str, until: i64) {
        let mut spent = lock(&self.spent_until);
        let entry = spent.entry(owner.to_ascii_lowercase()).or_default();
        *entry = (*entry).max(until);
    }

    /// The reset of `owner`'s installation's spent quota, while it lies ahead.
    pub fn spent_until(&self, owner: &str, now: i64) -> Option<i64> {
        lock(&self.spent_until)
            .get(&owner.to_ascii_lowercase())
            .copied()
            .filter(|until| *until > now)
    }

    /// Drops `token`, which GitHub no longer accepts, so the next caller mints a new one.
    pub fn revoke(&self, token: &str) {
        lock(&self.tokens).retain(|_, (cached, _)| cached != token);
    }

    /// The cached token of `installation`, or a new one.
    async fn token(
        &self,
        gh: &GitHub,
        spend: &Spend,
        installation: u64,
    ) -> Result<String, GitHubError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let cached = || {
            lock(&self.tokens)
                .get(&installation)
                .filter(|(_, expires)| *expires - RENEW_BEFORE_SECS > now)
                .map(|(token, _)| token.clone())
        };
        if let Some(token) = cached() {
            return Ok(token);
        }
        // Callers that need the token at once (a delivery's parallel check runs, concurrent
        // deliveries) share one mint: the first mints, the others wait and take its token.
        let minting = lock(&self.minting).entry(installation).or_default().clone();
        let _minting = minting.lock().await;
        if let Some(token) = cached() {
            return Ok(token);
        }
        let path = format!("/app/installations/{installation}/access_tokens");
        let answer = self.as_app(gh, spend, Method::POST, &path).await?;
        let minted: InstallationToken = serde_json::from_value(answer.body.clone())
            .map_err(|e| malformed(&answer, "POST", &path, &format!("not a token: {e}")))?;
        let token = minted.token;
        let expires = minted
            .expires_at
            .as_deref()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map_or(now + 3600, |t| t.unix_timestamp());
        if token.is_empty() {
            return Err(malformed(&answer, "POST", &path, "no token in the answer"));
        }
        self.minted.fetch_add(1, Ordering::Relaxed);
        lock(&self.tokens).insert(installation, (token.clone(), expires));
        Ok(token)
    }
}

/// A successful answer that lacks what the request is for.
fn malformed(answer: &Answer, method: &str, path: &str, message: &str) -> GitHubError {
    GitHubError::Status {
        request: format!("{method} {path}"),
        status: answer.status,
        message: message.into(),
    }
}

/// A poisoned lock still holds usable data: every critical section here leaves it consistent.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
