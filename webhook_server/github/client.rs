//! The GitHub API client: REST and GraphQL over one HTTP client, with the token pool picking a
//! token per request, failover on rate limits and bad credentials, bounded retries for
//! idempotent requests only, and every request counted in the delivery's [`Spend`].
//!
//! Requests go out through octocrab, one instance per client with no credential of its own:
//! each request carries the token the pool picked for it, and its answer's `X-RateLimit-*`
//! headers go back to the pool. octocrab's own retries stay off, since only idempotent requests
//! may be repeated and a rate-limited token must fail over to another, not wait.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use octocrab::Octocrab;
use serde_json::Value;

use super::spend::Spend;
use super::tokens::{Lease, Pick, TokenPool};

/// Attempts for an idempotent request that meets a 5xx or a connection error.
const ATTEMPTS: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(250);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    #[error("{request}: GitHub answered {status}: {message}")]
    Status {
        request: String,
        status: u16,
        message: String,
    },
    #[error("{request}: every token is rate limited until unix time {until}")]
    RateLimited { request: String, until: i64 },
    #[error("{request}: no usable token (none configured, or all refused as bad credentials)")]
    NoToken { request: String },
    #[error("{request}: {message}")]
    Transport { request: String, message: String },
    #[error("GraphQL {operation}: {kind}: {message}")]
    GraphQl {
        operation: String,
        kind: String,
        message: String,
    },
    #[error("app JWT: {0}")]
    Signing(String),
}

/// A failure that time may cure, and when to look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// GitHub failed or was unreachable: try again after a growing pause.
    Backoff,
    /// Every token is spent until this unix time (seconds).
    Until(i64),
}

impl GitHubError {
    /// Whether the same request may succeed later. A 4xx (other than a rate limit, which
    /// the transport turns into `RateLimited`) or a bad answer will not pass by itself.
    pub fn transient(&self) -> Option<Transient> {
        match self {
            GitHubError::Status { status, .. } if *status >= 500 || *status == 429 => {
                Some(Transient::Backoff)
            }
            // A secondary rate limit GitHub sent without `retry-after`: its docs ask for a
            // pause of at least a minute, which the backoff grows to.
            GitHubError::Status {
                status: 403,
                message,
                ..
            } if message.to_ascii_lowercase().contains("rate limit") => Some(Transient::Backoff),
            GitHubError::Transport { .. } => Some(Transient::Backoff),
            GitHubError::RateLimited { until, .. } => Some(Transient::Until(*until)),
            GitHubError::GraphQl { kind, .. } if kind == "RATE_LIMITED" => Some(Transient::Backoff),
            GitHubError::Status { .. }
            | GitHubError::NoToken { .. }
            | GitHubError::GraphQl { .. }
            | GitHubError::Signing(_) => None,
        }
    }
}

/// Which credential a request goes out with.
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    /// The best token of the pool, with failover.
    Pool,
    /// One token (an App's JWT or installation token): no failover.
    Fixed { secret: &'a str, label: &'a str },
}

/// A REST answer: status and JSON body (null when there is none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

pub struct GitHub {
    octocrab: Octocrab,
    api: String,
    graphql: String,
    pool: Arc<TokenPool>,
}

/// GitHub's GraphQL endpoint for a REST base: `api.github.com/graphql`, and on Enterprise
/// Server `https://host/api/graphql` for `https://host/api/v3`.
pub fn graphql_url(api: &str) -> String {
    let api = api.trim_end_matches('/');
    match api.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api}/graphql"),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn header_i64(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The operation a GraphQL document runs, and whether it is a mutation (a write).
fn operation(document: &str) -> (String, bool) {
    use async_graphql_parser::types::OperationType;
    let Ok(doc) = async_graphql_parser::parse_query(document) else {
        // GitHub will refuse it; a refusal changes nothing, so it counts as a read.
        return ("unparsable document".to_string(), false);
    };
    doc.operations
        .iter()
        .next()
        .map(|(name, op)| {
            (
                name.map_or_else(|| "anonymous".to_string(), |n| n.to_string()),
                op.node.ty == OperationType::Mutation,
            )
        })
        .unwrap_or_else(|| ("anonymous".to_string(), false))
}

/// One request, as `send` retries it.
struct Call<'a> {
    request: &'a str,
    method: Method,
    url: &'a str,
    body: Option<&'a Value>,
    idempotent: bool,
    /// Counted as a write (anything but GET, HEAD and GraphQL queries).
    write: bool,
}

impl GitHub {
    pub fn new(api: &str, pool: Arc<TokenPool>) -> anyhow::Result<GitHub> {
        let octocrab = Octocrab::builder()
            .set_connect_timeout(Some(REQUEST_TIMEOUT))
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .build()?;
        Ok(GitHub {
            octocrab,
            api: api.trim_end_matches('/').to_string(),
            graphql: graphql_url(api),
            pool,
        })
    }

    pub fn pool(&self) -> &TokenPool {
        &self.pool
    }

    /// A REST call to `path` (under the API base). Non-2xx answers are errors.
    pub async fn rest(
        &self,
        spend: &Spend,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        self.rest_with(spend, Credential::Pool, method, path, body)
            .await
    }

    /// A REST call with a given credential.
    pub async fn rest_with(
        &self,
        spend: &Spend,
        credential: Credential<'_>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        let write = !matches!(method, Method::GET | Method::HEAD);
        let url = format!("{}{path}", self.api);
        let request = format!("{method} {path}");
        let call = Call {
            request: &request,
            method,
            url: &url,
            body,
            idempotent,
            write,
        };
        self.send(spend, credential, call).await
    }

    /// Runs a GraphQL request body (`{query, variables}`); its `data`, or its first error.
    pub async fn graphql(&self, spend: &Spend, body: &Value) -> Result<Value, GitHubError> {
        self.graphql_with(spend, Credential::Pool, body).await
    }

    /// A GraphQL request with a given credential.
    pub async fn graphql_with(
        &self,
        spend: &Spend,
        credential: Credential<'_>,
        body: &Value,
    ) -> Result<Value, GitHubError> {
        let (operation, mutation) = operation(body["query"].as_str().unwrap_or_default());
        let request = format!("GraphQL {operation}");
        let call = Call {
            request: &request,
            method: Method::POST,
            url: &self.graphql,
            body: Some(body),
            idempotent: !mutation,
            write: mutation,
        };
        let answer = self.send(spend, credential, call).await?;
        if let Some(first) = answer.body["errors"].as_array().and_then(|e| e.first()) {
            return Err(GitHubError::GraphQl {
                operation,
                kind: first["type"].as_str().unwrap_or("ERROR").to_string(),
                message: first["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(answer.body["data"].clone())
    }

    /// One request with `lease`'s token: the answer's status, headers and body, or why there
    /// is none. Bounded by `REQUEST_TIMEOUT` from the first byte sent to the last one read.
    async fn exchange(
        &self,
        method: &Method,
        url: &str,
        lease: &Lease,
        body: Option<&Value>,
    ) -> Result<(u16, HeaderMap, String), String> {
        let builder = http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header(AUTHORIZATION, format!("Bearer {}", lease.secret))
            .header(ACCEPT, "application/vnd.github+json");
        let request = match body {
            Some(body) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string()),
            None => builder.body(String::new()),
        }
        .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self.octocrab.execute(request).await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = self.octocrab.body_to_string(response).await?;
            Ok::<_, octocrab::Error>((status, headers, text))
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {}s", REQUEST_TIMEOUT.as_secs())),
        }
    }

    async fn send(
        &self,
        spend: &Spend,
        credential: Credential<'_>,
        call: Call<'_>,
    ) -> Result<Answer, GitHubError> {
        let Call {
            request,
            method,
            url,
            body,
            idempotent,
            write,
        } = call;
        let mut failures = 0;
        loop {
            let pick = match credential {
                Credential::Pool => self.pool.pick(now()),
                Credential::Fixed { secret, label } => Pick::Use(Lease {
                    index: usize::MAX,
                    secret: secret.to_string(),
                    label: label.to_string(),
                }),
            };
            let pooled = matches!(credential, Credential::Pool);
            let lease = match pick {
                Pick::Use(lease) => lease,
                // The delivery waits in the queue, not here holding a worker: no request
                // goes out until the reset.
                Pick::WaitUntil(until) => {
                    return Err(GitHubError::RateLimited {
                        request: request.to_string(),
                        until,
                    });
                }
                Pick::Empty => {
                    return Err(GitHubError::NoToken {
                        request: request.to_string(),
                    });
                }
            };
            spend.count(write, &lease.label);
            let (status, headers, text) = match self.exchange(&method, url, &lease, body).await {
                Ok(answer) => answer,
                Err(message) => {
                    failures += 1;
                    if idempotent && failures < ATTEMPTS {
                        tokio::time::sleep(BACKOFF * 2u32.pow(failures - 1)).await;
                        continue;
                    }
                    return Err(GitHubError::Transport {
                        request: request.to_string(),
                        message,
                    });
                }
            };
            let remaining = header_i64(&headers, "x-ratelimit-remaining");
            let reset = header_i64(&headers, "x-ratelimit-reset").unwrap_or(0);
            if let Some(left) = remaining {
                if pooled {
                    self.pool.observe(lease.index, left.max(0) as u64, reset);
                }
                spend.remaining(left.max(0) as u64);
            }
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = || json["message"].as_str().unwrap_or_default().to_string();
            // Refused before GitHub acted, so even a write may go again with another token.
            if status == 401 && pooled {
                tracing::warn!(request, token = %lease.label, "bad credentials; token dropped from the pool");
                self.pool.revoke(lease.index);
                continue;
            }
            let retry_after = header_i64(&headers, "retry-after");
            if status == 429 || (status == 403 && (remaining == Some(0) || retry_after.is_some())) {
                let until = retry_after
                    .map(|s| now() + s)
                    .unwrap_or(reset.max(now() + 1));
                if !pooled {
                    return Err(GitHubError::RateLimited {
                        request: request.to_string(),
                        until,
                    });
                }
                tracing::warn!(request, token = %lease.label, until, "rate limited; trying another token");
                self.pool.exhausted(lease.index, until);
                continue;
            }
            if status >= 500 {
                failures += 1;
                if idempotent && failures < ATTEMPTS {
                    tokio::time::sleep(BACKOFF * 2u32.pow(failures - 1)).await;
                    continue;
                }
            }
            if !(200..300).contains(&status) {
                return Err(GitHubError::Status {
                    request: request.to_string(),
                    status,
                    message: message(),
                });
            }
            return Ok(Answer { status, body: json });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_lives_beside_the_rest_api() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(
            graphql_url("http://127.0.0.1:8765"),
            "http://127.0.0.1:8765/graphql"
        );
    }

    #[test]
    fn only_failures_time_may_cure_are_transient() {
        let status = |status| GitHubError::Status {
            request: "GET /x".into(),
            status,
            message: String::new(),
        };
        let graphql = |kind: &str| GitHubError::GraphQl {
            operation: "q".into(),
            kind: kind.into(),
            message: String::new(),
        };
        let transport = GitHubError::Transport {
            request: "GET /x".into(),
            message: "connection refused".into(),
        };
        let spent = GitHubError::RateLimited {
            request: "GET /x".into(),
            until: 42,
        };
        assert_eq!(status(502).transient(), Some(Transient::Backoff));
        let secondary = GitHubError::Status {
            request: "POST /x".into(),
            status: 403,
            message: "You have exceeded a secondary rate limit. Please wait a few minutes.".into(),
        };
        assert_eq!(secondary.transient(), Some(Transient::Backoff));
        assert_eq!(status(429).transient(), Some(Transient::Backoff));
        assert_eq!(transport.transient(), Some(Transient::Backoff));
        assert_eq!(spent.transient(), Some(Transient::Until(42)));
        assert_eq!(
            graphql("RATE_LIMITED").transient(),
            Some(Transient::Backoff)
        );
        for lasting in [
            status(404),
            status(422),
            status(403),
            status(200),
            graphql("NOT_FOUND"),
            GitHubError::NoToken {
                request: "GET /x".into(),
            },
            GitHubError::Signing("bad key".into()),
        ] {
            assert_eq!(lasting.transient(), None, "{lasting}");
        }
    }

    #[test]
    fn mutations_are_told_from_queries() {
        assert_eq!(
            operation(crate::github::queries::ENABLE_AUTO_MERGE),
            ("EnableAutoMerge".to_string(), true)
        );
        assert_eq!(
            operation(crate::github::queries::REPOSITORY_DATA),
            ("RepositoryData".to_string(), false)
        );
        assert_eq!(
            operation("{ viewer { login } }"),
            ("anonymous".to_string(), false)
        );
    }
}
