//! Optional IP allowlist for intake: GitHub's `hooks` ranges from `{github-api-url}/meta` and/or
//! Cloudflare's published ranges. Refreshed periodically and when the configuration changes.
//! It fails closed: while enabled and never loaded, every delivery is refused.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use ipnet::IpNet;
use serde::Deserialize;
use tokio::sync::watch;

use crate::config::Config;

pub const CLOUDFLARE_IPS_URL: &str = "https://api.cloudflare.com/client/v4/ips";
const REFRESH: Duration = Duration::from_secs(3600);
const RETRY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq)]
enum State {
    Disabled,
    /// Enabled, but no list has been fetched yet.
    NotLoaded,
    Ready(Vec<IpNet>),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    NotLoaded,
    NotAllowed(IpAddr),
}

#[derive(Debug)]
pub struct Allowlist {
    state: RwLock<State>,
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            state: RwLock::new(State::Disabled),
        }
    }
}

impl Allowlist {
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        let ip = ip.to_canonical();
        match &*self.state.read().unwrap_or_else(|e| e.into_inner()) {
            State::Disabled => Ok(()),
            State::NotLoaded => Err(Refusal::NotLoaded),
            State::Ready(nets) if nets.iter().any(|n| n.contains(&ip)) => Ok(()),
            State::Ready(_) => Err(Refusal::NotAllowed(ip)),
        }
    }

    fn set(&self, state: State) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
    }

    fn is_ready(&self) -> bool {
        matches!(
            *self.state.read().unwrap_or_else(|e| e.into_inner()),
            State::Ready(_)
        )
    }

    /// Brings the list in line with `config`; returns whether a retry is needed soon.
    async fn refresh(&self, client: &reqwest::Client, config: &Config) -> bool {
        let server = &config.server;
        if !server.verify_github_ips && !server.verify_cloudflare_ips {
            self.set(State::Disabled);
            return false;
        }
        let mut nets = Vec::new();
        let mut failed = false;
        if server.verify_github_ips {
            let url = format!("{}/meta", server.github_api_url.trim_end_matches('/'));
            match fetch_github(client, &url).await {
                Ok(n) => nets.extend(n),
                Err(e) => {
                    tracing::error!("fetching GitHub hook ranges from {url}: {e:#}");
                    failed = true;
                }
            }
        }
        if server.verify_cloudflare_ips {
            match fetch_cloudflare(client, CLOUDFLARE_IPS_URL).await {
                Ok(n) => nets.extend(n),
                Err(e) => {
                    tracing::error!("fetching Cloudflare ranges: {e:#}");
                    failed = true;
                }
            }
        }
        if failed && self.is_ready() {
            tracing::warn!("keeping the previous IP allowlist");
            return true;
        }
        if failed && nets.is_empty() {
            self.set(State::NotLoaded);
            return true;
        }
        tracing::info!(ranges = nets.len(), "IP allowlist loaded");
        self.set(State::Ready(nets));
        failed
    }

    /// Keeps the list current until every sender of `config` is gone.
    pub async fn maintain(
        self: Arc<Self>,
        client: reqwest::Client,
        mut config: watch::Receiver<Arc<Config>>,
    ) {
        loop {
            let current = config.borrow_and_update().clone();
            let retry = self.refresh(&client, &current).await;
            let wait = if retry { RETRY } else { REFRESH };
            tokio::select! {
                changed = config.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Applies `config` once, before the listener starts.
    pub async fn load(&self, client: &reqwest::Client, config: &Config) {
        if config.server.verify_github_ips || config.server.verify_cloudflare_ips {
            self.set(State::NotLoaded);
        }
        self.refresh(client, config).await;
    }
}

fn parse_nets(list: impl IntoIterator<Item = String>) -> Vec<IpNet> {
    list.into_iter()
        .filter_map(|s| match s.parse::<IpNet>() {
            Ok(n) => Some(n),
            Err(_) => {
                tracing::warn!("skipping invalid CIDR {s:?}");
                None
            }
        })
        .collect()
}

async fn fetch_github(client: &reqwest::Client, url: &str) -> Result<Vec<IpNet>> {
    #[derive(Deserialize)]
    struct Meta {
        hooks: Vec<String>,
    }
    let meta: Meta = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
        .context("reading `hooks` from the meta response")?;
    Ok(parse_nets(meta.hooks))
}

async fn fetch_cloudflare(client: &reqwest::Client, url: &str) -> Result<Vec<IpNet>> {
    let body: serde_json::Value = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(parse_cloudflare(&body))
}

fn parse_cloudflare(body: &serde_json::Value) -> Vec<IpNet> {
    let list = |key: &str| {
        body.pointer(&format!("/result/{key}"))
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let mut all = list("ipv4_cidrs");
    all.extend(list("ipv6_cidrs"));
    parse_nets(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn disabled_allows_everyone_and_not_loaded_refuses_everyone() {
        let a = Allowlist::default();
        assert_eq!(a.check("203.0.113.9".parse().unwrap()), Ok(()));
        a.set(State::NotLoaded);
        assert_eq!(
            a.check("203.0.113.9".parse().unwrap()),
            Err(Refusal::NotLoaded)
        );
    }

    #[test]
    fn ranges_match_including_ipv4_mapped_ipv6() {
        let a = Allowlist::default();
        a.set(State::Ready(parse_nets(vec![
            "192.30.252.0/22".into(),
            "2a0a:a440::/29".into(),
            "garbage".into(),
        ])));
        assert_eq!(a.check("192.30.252.10".parse().unwrap()), Ok(()));
        assert_eq!(a.check("::ffff:192.30.252.10".parse().unwrap()), Ok(()));
        assert_eq!(a.check("2a0a:a440::1".parse().unwrap()), Ok(()));
        assert_eq!(
            a.check("10.0.0.1".parse().unwrap()),
            Err(Refusal::NotAllowed("10.0.0.1".parse().unwrap()))
        );
    }

    #[test]
    fn cloudflare_response_is_parsed() {
        let body = json!({"result": {"ipv4_cidrs": ["173.245.48.0/20"], "ipv6_cidrs": ["2400:cb00::/32"]}});
        assert_eq!(parse_cloudflare(&body).len(), 2);
    }
}
