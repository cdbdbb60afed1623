//! GitHub App authentication: a JWT signed with the app's private key (RS256 through ring,
//! whose RSA is constant-time), the installation of each repository, and installation tokens
//! minted once and reused until shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

use super::client::{Credential, GitHub, GitHubError};
use super::spend::Spend;

/// GitHub allows ten minutes; a minute of margin on each side absorbs clock drift.
const JWT_BACKDATE_SECS: i64 = 60;
const JWT_LIFETIME_SECS: i64 = 540;
/// A cached installation token is renewed this long before it expires.
const RENEW_BEFORE_SECS: i64 = 300;

pub struct AppAuth {
    app_id: u64,
    key: RsaKeyPair,
    /// Installation id by lower-cased full name.
    installations: Mutex<HashMap<String, u64>>,
    /// Installation token and its expiry (unix time) by installation id.
    tokens: Mutex<HashMap<u64, (String, i64)>>,
    minted: AtomicU64,
    /// The app's slug, learned from an installation: its check runs carry it.
    slug: Mutex<Option<String>>,
}

/// The label an installation token carries in logs and spend records.
pub const INSTALLATION_LABEL: &str = "app installation token";

impl AppAuth {
    /// From the app id and its PEM private key (PKCS#1 as GitHub issues it, or PKCS#8).
    pub fn new(app_id: u64, pem: &str) -> anyhow::Result<AppAuth> {
        let armor = pem
            .lines()
            .find(|l| l.starts_with("-----BEGIN "))
            .context("the private key is not PEM")?
            .to_string();
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::trim)
            .collect();
        let der = STANDARD
            .decode(body)
            .context("the private key's PEM body is not base64")?;
        let key = match armor.as_str() {
            "-----BEGIN RSA PRIVATE KEY-----" => RsaKeyPair::from_der(&der),
            "-----BEGIN PRIVATE KEY-----" => RsaKeyPair::from_pkcs8(&der),
            other => bail!("unsupported private key type {other}"),
        }
        .map_err(|e| anyhow::anyhow!("the private key is not a usable RSA key: {e}"))?;
        Ok(AppAuth {
            app_id,
            key,
            installations: Mutex::default(),
            tokens: Mutex::default(),
            minted: AtomicU64::new(0),
            slug: Mutex::default(),
        })
    }

    /// A JWT for the app endpoints, valid for nine minutes from `now`.
    pub fn jwt(&self, now: i64) -> anyhow::Result<String> {
        let encode = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let message = format!(
            "{}.{}",
            encode(json!({"alg": "RS256", "typ": "JWT"})),
            encode(json!({
                "iat": now - JWT_BACKDATE_SECS,
                "exp": now + JWT_LIFETIME_SECS,
                "iss": self.app_id.to_string(),
            }))
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut signature,
            )
            .map_err(|_| anyhow::anyhow!("signing the app JWT failed"))?;
        Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// How many installation tokens this process has minted.
    /// The app's slug, once an installation was looked up.
    pub fn slug(&self) -> Option<String> {
        self.slug.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
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
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let key = format!("{owner}/{repo}").to_ascii_lowercase();
        // Signing is the costly part: only when the installation or a fresh token is missing.
        let sign = || {
            self.jwt(now).map_err(|e| GitHubError::Transport {
                request: "app JWT".into(),
                message: format!("{e:#}"),
            })
        };
        let mut jwt = None;
        let cached = self
            .installations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        let installation = match cached {
            Some(id) => id,
            None => {
                let as_app = Credential::Fixed {
                    secret: jwt.insert(sign()?),
                    label: "app JWT",
                };
                let path = format!("/repos/{owner}/{repo}/installation");
                let answer = gh
                    .rest_with(spend, as_app, Method::GET, &path, None)
                    .await?;
                let id = answer.body["id"]
                    .as_u64()
                    .ok_or_else(|| GitHubError::Status {
                        request: format!("GET {path}"),
                        status: answer.status,
                        message: "the installation has no id".into(),
                    })?;
                self.installations
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, id);
                if let Some(slug) = answer.body["app_slug"].as_str() {
                    *self.slug.lock().unwrap_or_else(|e| e.into_inner()) = Some(slug.to_string());
                }
                id
            }
        };
        if let Some((token, expires)) = self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&installation)
            && *expires - RENEW_BEFORE_SECS > now
        {
            return Ok(token.clone());
        }
        let jwt = match jwt {
            Some(jwt) => jwt,
            None => sign()?,
        };
        let as_app = Credential::Fixed {
            secret: &jwt,
            label: "app JWT",
        };
        let path = format!("/app/installations/{installation}/access_tokens");
        let answer = gh
            .rest_with(spend, as_app, Method::POST, &path, None)
            .await?;
        let token = answer.body["token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let expires = answer.body["expires_at"]
            .as_str()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map_or(now + 3600, |t| t.unix_timestamp());
        if token.is_empty() {
            return Err(GitHubError::Status {
                request: format!("POST {path}"),
                status: answer.status,
                message: "no token in the answer".into(),
            });
        }
        self.minted.fetch_add(1, Ordering::Relaxed);
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(installation, (token.clone(), expires));
        Ok(token)
    }
}
