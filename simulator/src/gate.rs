//! What every GitHub request passes through before its handler: token authentication, the
//! rate limit, simulated latency and faults, `X-RateLimit-*` headers, and the request log.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::apps::{self, AppCaller};
use crate::errors::gh_error;
use crate::state::{Caller, QuotaKey, Sim};
use crate::world::{Exchange, targeted_fault};

/// Milliseconds since the first request this process's simulators saw: when each exchange
/// started and finished, so overlapping (parallel) calls can be told from chained ones.
fn clock_ms() -> f64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

pub(crate) async fn authenticate(State(sim): State<Sim>, req: Request, next: Next) -> Response {
    let started_ms = clock_ms();
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive, as on GitHub: `token`, `Bearer` or `bearer`.
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")
        })
        .map(|(_, t)| t.trim().to_string());
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    // Bodies are kept (request and response) for the OpenAPI fidelity check.
    let (parts, body) = req.into_parts();
    let Ok(request_bytes) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return gh_error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
    };
    let request_json = serde_json::from_slice(&request_bytes).ok();
    let mut req = Request::from_parts(parts, axum::body::Body::from(request_bytes));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Bound first: the guard must be gone before `record` locks again.
    let identity = token.as_deref().map(|t| {
        let w = sim.lock();
        if apps::is_jwt(t) {
            return apps::verify(&w, t).map(|app| (None, Some(app)));
        }
        let live = w.token_expiry.get(t).is_none_or(|expires| *expires > now);
        match w.tokens.get(t) {
            Some(login) if live => Ok((Some(login.clone()), None)),
            _ => Err("Bad credentials"),
        }
    });
    let (login, app) = match identity {
        None => (None, None),
        Some(Ok(who)) => who,
        Some(Err(message)) => {
            let resp = gh_error(StatusCode::UNAUTHORIZED, message);
            let exchange = (method, path, query, request_json, started_ms);
            return record(&sim, exchange, None, resp).await;
        }
    };
    req.extensions_mut().insert(Caller(login.clone()));
    req.extensions_mut().insert(AppCaller(app));
    // An app's JWTs change every few minutes; its quota does not.
    let key = match (app, &token) {
        (Some(id), _) => format!("app:{id}"),
        (None, Some(t)) => t.clone(),
        (None, None) => "anonymous".to_string(),
    };
    req.extensions_mut().insert(QuotaKey(key.clone()));
    let (latency, fault, quota, allowed) = {
        let mut w = sim.lock();
        let fault = targeted_fault(&mut w.targeted, &method, &path)
            .or_else(|| w.faults.as_mut().and_then(|f| f.draw()));
        let (quota, allowed) = if path == "/rate_limit" {
            w.peek(&key)
        } else {
            w.charge(&key)
        };
        (w.latency_ms, fault, quota, allowed)
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let mut resp = if !allowed {
        let mut r = gh_error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for this token.",
        );
        r.headers_mut()
            .insert("retry-after", (quota.reset - now).max(1).into());
        r
    } else if let Some(status) = fault {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        gh_error(status, "Simulated fault")
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", quota.limit.into());
    h.insert("x-ratelimit-remaining", quota.remaining.into());
    h.insert("x-ratelimit-used", (quota.limit - quota.remaining).into());
    h.insert(
        "x-ratelimit-resource",
        "core".parse().expect("static header"),
    );
    h.insert("x-ratelimit-reset", quota.reset.into());
    let exchange = (method, path, query, request_json, started_ms);
    record(&sim, exchange, login, resp).await
}

const MAX_REQUEST: usize = 32 * 1024 * 1024;

type Seen = (
    String,
    String,
    Option<String>,
    Option<serde_json::Value>,
    f64,
);

/// Logs the request, and the whole exchange for the fidelity check; returns the response.
async fn record(sim: &Sim, seen: Seen, login: Option<String>, resp: Response) -> Response {
    let (method, path, query, request, started_ms) = seen;
    let operation = (path == "/graphql")
        .then(|| request.as_ref().and_then(operation_name))
        .flatten();
    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let response = serde_json::from_slice(&bytes).ok();
    let mut w = sim.lock();
    let id = w.exchanges.len() as u64 + 1;
    w.exchanges.push(Exchange {
        id,
        login,
        method,
        path,
        query,
        operation,
        request,
        status,
        response,
        started_ms,
        finished_ms: clock_ms(),
    });
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The operation a GraphQL request runs: `operationName`, else the document's first name.
fn operation_name(request: &serde_json::Value) -> Option<String> {
    if let Some(name) = request["operationName"].as_str() {
        return Some(name.to_string());
    }
    let doc = async_graphql::parser::parse_query(request["query"].as_str()?).ok()?;
    doc.operations
        .iter()
        .next()
        .and_then(|(name, _)| name.map(|n| n.to_string()))
}
