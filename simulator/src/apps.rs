//! GitHub Apps: registration through the admin API (with a generated key when none is
//! given), JWTs signed with the app's key verified as GitHub does (RS256, `iss` the app id,
//! at most ten minutes of validity), and expiring installation tokens that act as
//! `<slug>[bot]`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, LineEnding};
use rsa::rand_core::{OsRng, RngCore};
use rsa::signature::Verifier;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::world::{App, World, now};
use crate::errors::{admin_error, gh_error, not_found};
use crate::state::{Sim, repo_key};

/// How long an installation token lives, as on GitHub.
const TOKEN_LIFETIME_SECS: i64 = 3600;
/// GitHub refuses JWTs whose `exp` lies further than this after `iat`.
const MAX_JWT_LIFETIME_SECS: i64 = 600;
/// Clock drift GitHub tolerates on `iat`.
const DRIFT_SECS: i64 = 60;

/// The app a request authenticated as with a JWT.
#[derive(Clone, Copy)]
pub(super) struct AppCaller(pub(super) Option<u64>);

/// Whether a bearer token is a JWT rather than a PAT or installation token.
pub(super) fn is_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// Verifies `jwt` against the registered apps; the app's id, or GitHub's message.
pub(super) fn verify(w: &World, jwt: &str) -> Result<u64, &'static str> {
    const UNDECODABLE: &str = "A JSON web token could not be decoded";
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(UNDECODABLE);
    };
    let decode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s);
    let header: Value = decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(UNDECODABLE)?;
    if header["alg"] != "RS256" {
        return Err(UNDECODABLE);
    }
    let claims: Value = decode(claims)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(UNDECODABLE)?;
    // `iss` may be the numeric id or its string.
    let iss = claims["iss"]
        .as_u64()
        .or_else(|| claims["iss"].as_str().and_then(|s| s.parse().ok()))
        .ok_or("'Issuer' claim ('iss') must be an Integer")?;
    let app = w.apps.get(&iss).ok_or("Integration not found")?;
    let signature = decode(signature).map_err(|_| UNDECODABLE)?;
    let signature =
        rsa::pkcs1v15::Signature::try_from(signature.as_slice()).map_err(|_| UNDECODABLE)?;
    let signed = &jwt[..jwt.rfind('.').expect("three parts")];
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(app.key.clone())
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| UNDECODABLE)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let iat = claims["iat"]
        .as_i64()
        .ok_or("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")?;
    let exp = claims["exp"]
        .as_i64()
        .ok_or("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")?;
    if iat > now + DRIFT_SECS {
        return Err(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        );
    }
    if exp <= now {
        return Err(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        );
    }
    if exp - iat > MAX_JWT_LIFETIME_SECS + DRIFT_SECS {
        return Err("'Expiration time' claim ('exp') is too far in the future");
    }
    Ok(iss)
}

#[derive(Deserialize)]
pub(super) struct NewApp {
    id: u64,
    slug: String,
    private_key_pem: Option<String>,
    /// Full names to install on; every repository when absent.
    repos: Option<Vec<String>>,
}

/// `POST /_simulator/apps`: registers an app and installs it. A generated private key is
/// returned once, as GitHub's "generate a private key" does.
pub(super) async fn create_app(State(sim): State<Sim>, Json(body): Json<NewApp>) -> Response {
    let (public, generated) = match &body.private_key_pem {
        Some(pem) => match public_key(pem) {
            Ok(key) => (key, None),
            Err(e) => return admin_error(StatusCode::UNPROCESSABLE_ENTITY, e),
        },
        None => {
            // Key generation is slow; keep it off the async workers.
            let made = tokio::task::spawn_blocking(|| RsaPrivateKey::new(&mut OsRng, 2048)).await;
            let Ok(Ok(private)) = made else {
                return admin_error(StatusCode::INTERNAL_SERVER_ERROR, "key generation failed");
            };
            let Ok(pem) = private.to_pkcs1_pem(LineEnding::LF) else {
                return admin_error(StatusCode::INTERNAL_SERVER_ERROR, "key encoding failed");
            };
            (private.to_public_key(), Some(pem.to_string()))
        }
    };
    let mut w = sim.lock();
    if w.apps.contains_key(&body.id) {
        return admin_error(StatusCode::CONFLICT, "an app with this id exists");
    }
    let installation_id = w.next_id();
    w.user_id(&format!("{}[bot]", body.slug));
    w.apps.insert(
        body.id,
        App {
            id: body.id,
            slug: body.slug.clone(),
            key: public,
            installation_id,
            repos: body
                .repos
                .map(|r| r.iter().map(|x| x.to_ascii_lowercase()).collect()),
            created_at: now(),
        },
    );
    let mut answer = json!({"id": body.id, "slug": body.slug, "installation_id": installation_id});
    if let Some(pem) = generated {
        answer["private_key_pem"] = json!(pem);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `POST /_simulator/apps/{id}/reinstall`: uninstalls the app and installs it again, as an
/// owner removing and re-adding it does: a new installation id, and every token the old
/// installation issued stops working.
pub(super) async fn reinstall_app(State(sim): State<Sim>, Path(id): Path<u64>) -> Response {
    let mut w = sim.lock();
    let installation_id = w.next_id();
    let Some(app) = w.apps.get_mut(&id) else {
        return admin_error(StatusCode::NOT_FOUND, "no app with this id");
    };
    app.installation_id = installation_id;
    let bot = format!("{}[bot]", app.slug);
    let revoked: Vec<String> = w
        .tokens
        .iter()
        .filter(|(token, login)| **login == bot && token.starts_with("ghs_"))
        .map(|(token, _)| token.clone())
        .collect();
    for token in revoked {
        w.tokens.remove(&token);
        w.token_expiry.remove(&token);
    }
    Json(json!({"id": id, "installation_id": installation_id})).into_response()
}

/// The public half of a PEM private key (PKCS#1, as GitHub issues, or PKCS#8), or a PEM
/// public key.
fn public_key(pem: &str) -> Result<RsaPublicKey, String> {
    if let Ok(k) = RsaPrivateKey::from_pkcs1_pem(pem) {
        return Ok(k.to_public_key());
    }
    if let Ok(k) = RsaPrivateKey::from_pkcs8_pem(pem) {
        return Ok(k.to_public_key());
    }
    RsaPublicKey::from_pkcs1_pem(pem)
        .or_else(|_| RsaPublicKey::from_public_key_pem(pem))
        .map_err(|_| "private_key_pem is not an RSA key in PEM form".to_string())
}

/// The app a JWT named; None when the request carried no valid JWT.
fn jwt_app(w: &World, caller: AppCaller) -> Option<&App> {
    w.apps.get(&caller.0?)
}

/// GitHub's answer to an app endpoint called without a JWT.
fn needs_jwt() -> Response {
    gh_error(
        StatusCode::UNAUTHORIZED,
        "A JSON web token could not be decoded",
    )
}

fn installation_json(w: &World, app: &App) -> Value {
    let api = &w.api_base;
    json!({
        "id": app.installation_id, "app_id": app.id, "app_slug": app.slug,
        "target_id": w.users.get(&format!("{}[bot]", app.slug)).copied().unwrap_or(0),
        "target_type": "Organization", "single_file_name": null,
        "repository_selection": if app.repos.is_some() { "selected" } else { "all" },
        "access_tokens_url": format!("{api}/app/installations/{}/access_tokens", app.installation_id),
        "repositories_url": format!("{api}/installation/repositories"),
        "html_url": format!("{api}/settings/installations/{}", app.installation_id),
        "account": null, "events": ["check_run", "pull_request"],
        "permissions": permissions(),
        "created_at": app.created_at, "updated_at": app.created_at,
        "suspended_by": null, "suspended_at": null,
    })
}

/// What the simulated installation may do: everything the server needs.
fn permissions() -> Value {
    json!({"checks": "write", "contents": "write", "issues": "write",
           "pull_requests": "write", "statuses": "write", "metadata": "read"})
}

/// `GET /app`: the app the JWT belongs to.
pub(super) async fn get_app(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<AppCaller>,
) -> Response {
    let w = sim.lock();
    match jwt_app(&w, caller) {
        Some(app) => {
            let mut v = w.app_json(&app.slug);
            v["permissions"] = permissions();
            v["installations_count"] = json!(1);
            Json(v).into_response()
        }
        None => needs_jwt(),
    }
}

/// `GET /repos/{o}/{r}/installation`: the JWT's app installation covering the repository.
pub(super) async fn repo_installation(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<AppCaller>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let w = sim.lock();
    let Some(app) = jwt_app(&w, caller) else {
        return needs_jwt();
    };
    let key = repo_key(&owner, &repo);
    if !w.repos.contains_key(&key) || !app.installed_on(&key) {
        return not_found();
    }
    Json(installation_json(&w, app)).into_response()
}

/// `POST /app/installations/{id}/access_tokens`: a token acting as `<slug>[bot]` for an hour.
pub(super) async fn access_token(
    State(sim): State<Sim>,
    axum::Extension(caller): axum::Extension<AppCaller>,
    Path(installation): Path<u64>,
) -> Response {
    let mut w = sim.lock();
    let (slug, selection) = match jwt_app(&w, caller) {
        Some(app) if app.installation_id == installation => (
            app.slug.clone(),
            if app.repos.is_some() {
                "selected"
            } else {
                "all"
            },
        ),
        Some(_) => return not_found(),
        None => return needs_jwt(),
    };
    let mut random = [0u8; 18];
    OsRng.fill_bytes(&mut random);
    let token = format!("ghs_{}", hex::encode(random));
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + TOKEN_LIFETIME_SECS;
    w.tokens.insert(token.clone(), format!("{slug}[bot]"));
    w.token_expiry.insert(token.clone(), expires);
    let expires_at = super::world::unix_timestamp(expires);
    (
        StatusCode::CREATED,
        Json(json!({
            "token": token, "expires_at": expires_at, "permissions": permissions(),
            "repository_selection": selection,
        })),
    )
        .into_response()
}
