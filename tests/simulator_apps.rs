//! GitHub App authentication in the simulator: JWTs signed with the app's key, installation
//! lookup, and installation tokens that write check runs as the app.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::sim::*;
use http::Method;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};
use sha2::Sha256;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A JWT as GitHub's docs describe it: RS256 over `{iss, iat, exp}`.
fn jwt(pem: &str, claims: Value) -> String {
    let key = RsaPrivateKey::from_pkcs1_pem(pem).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let message = format!(
        "{}.{}",
        encode(&json!({"alg": "RS256", "typ": "JWT"})),
        encode(&claims)
    );
    let signature = signer.sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn valid_claims(iss: Value) -> Value {
    json!({"iss": iss, "iat": now() - 30, "exp": now() + 540})
}

async fn register(api: &Api, id: u64, slug: &str, repos: Option<Vec<&str>>) -> Value {
    let mut body = json!({"id": id, "slug": slug});
    if let Some(repos) = repos {
        body["repos"] = json!(repos);
    }
    api.admin("/apps", body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_authenticates_with_a_jwt_and_writes_check_runs_with_its_installation_token() {
    let (_dir, _sim, api) = start().await;
    let (hook_url, got) = receiver().await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/private", "private": true, "files": {"a": "a\n"}}),
    )
    .await;
    api.admin(
        "/hooks",
        json!({"repo": "acme/private", "url": hook_url, "secret": HOOK_SECRET,
               "events": ["check_run"]}),
    )
    .await;
    let pr = api
        .admin(
            "/repos/acme/private/pulls",
            json!({"author": "acme", "title": "t", "head": "f", "files": {"b": "b\n"}}),
        )
        .await;
    let app = register(&api, 4242, "gws-app", None).await;
    let pem = app["private_key_pem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let installation = app["installation_id"].as_u64().unwrap();

    // The JWT's `iss` may be a number or a string.
    let token = jwt(pem, valid_claims(json!("4242")));
    let bearer = format!("Bearer {token}");
    let (status, me) = api.call(Method::GET, "/app", &bearer, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], 4242);
    assert_eq!(me["slug"], "gws-app");
    let (status, found) = api
        .call(
            Method::GET,
            "/repos/acme/private/installation",
            &bearer,
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["id"], installation);
    assert_eq!(found["app_id"], 4242);

    let (status, issued) = api
        .call(
            Method::POST,
            &format!("/app/installations/{installation}/access_tokens"),
            &format!("Bearer {}", jwt(pem, valid_claims(json!(4242)))),
            None,
        )
        .await;
    assert_eq!(status, 201, "{issued}");
    let installation_token = issued["token"].as_str().unwrap();
    assert!(installation_token.starts_with("ghs_"));
    assert!(issued["expires_at"].as_str().unwrap().ends_with('Z'));

    // The installation sees the private repository and writes check runs as the app.
    let auth = format!("token {installation_token}");
    let (status, _) = api
        .call(Method::GET, "/repos/acme/private", &auth, None)
        .await;
    assert_eq!(status, 200);
    let (status, run) = api
        .call(
            Method::POST,
            "/repos/acme/private/check-runs",
            &auth,
            Some(json!({"name": "tox", "head_sha": pr["head_sha"], "status": "in_progress"})),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["app"]["slug"], "gws-app");
    assert_eq!(run["app"]["id"], 4242);
    let d = wait_for(&got, 1).await;
    assert_eq!(d[0].body["action"], "created");
    assert_eq!(d[0].body["sender"]["login"], "gws-app[bot]");

    // A JWT is for the app endpoints; an installation token is not a JWT.
    let (status, _) = api.call(Method::GET, "/app", &auth, None).await;
    assert_eq!(status, 401);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/app/installations/{}/access_tokens", installation + 1),
            &format!("Bearer {}", jwt(pem, valid_claims(json!(4242)))),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_jwts_are_refused_with_githubs_messages() {
    let (_dir, _sim, api) = start().await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "files": {"a": "a\n"}}),
    )
    .await;
    let app = register(&api, 7, "seven", Some(vec!["acme/other"])).await;
    let other = register(&api, 8, "eight", None).await;
    let pem = app["private_key_pem"].as_str().unwrap();
    let wrong_pem = other["private_key_pem"].as_str().unwrap();

    let refused = |claims: Value, key: &str| {
        let token = jwt(key, claims);
        let api = &api;
        async move {
            let (status, body) = api
                .call(Method::GET, "/app", &format!("Bearer {token}"), None)
                .await;
            assert_eq!(status, 401, "{body}");
            body["message"].as_str().unwrap().to_string()
        }
    };
    // Signed by another app's key.
    assert_eq!(
        refused(valid_claims(json!(7)), wrong_pem).await,
        "A JSON web token could not be decoded"
    );
    assert_eq!(
        refused(valid_claims(json!(99)), pem).await,
        "Integration not found"
    );
    assert!(
        refused(json!({"iss": 7, "iat": now(), "exp": now() + 3600}), pem)
            .await
            .contains("too far in the future")
    );
    assert!(
        refused(
            json!({"iss": 7, "iat": now() - 700, "exp": now() - 100}),
            pem
        )
        .await
        .contains("'exp'")
    );
    let (status, _) = api
        .call(Method::GET, "/app", "Bearer eyJhbGciOiJub25lIn0.e30.", None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = api.call(Method::GET, "/app", "", None).await;
    assert_eq!(status, 401);

    // Installed only on acme/other: acme/w has no installation for it.
    let bearer = format!("Bearer {}", jwt(pem, valid_claims(json!(7))));
    let (status, _) = api
        .call(Method::GET, "/repos/acme/w/installation", &bearer, None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_given_key_is_used_and_not_returned() {
    let (_dir, _sim, api) = start().await;
    let generated = register(&api, 1, "one", None).await;
    let pem = generated["private_key_pem"].as_str().unwrap();
    let reused = api
        .admin(
            "/apps",
            json!({"id": 2, "slug": "two", "private_key_pem": pem}),
        )
        .await;
    assert_eq!(reused.get("private_key_pem"), None);
    let (status, me) = api
        .call(
            Method::GET,
            "/app",
            &format!("Bearer {}", jwt(pem, valid_claims(json!(2)))),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["slug"], "two");
    let resp = api
        .http
        .post(format!("{}/_simulator/apps", api.base))
        .json(&json!({"id": 3, "slug": "three", "private_key_pem": "not a key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}
