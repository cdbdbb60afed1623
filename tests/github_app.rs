//! The client as a GitHub App against the simulator: a JWT signed by the client, the
//! installation looked up once, and the installation token minted once and reused.

mod common;

use std::sync::Arc;

use common::sim::*;
use github_webhook_server::github::app::AppAuth;
use github_webhook_server::github::client::{Credential, GitHub};
use github_webhook_server::github::spend::Spend;
use github_webhook_server::github::tokens::TokenPool;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn the_installation_token_is_minted_once_and_reused() {
    let (_dir, _sim, api) = start().await;
    api.admin(
        "/repos",
        json!({"full_name": "acme/w", "private": true, "files": {"a": "a\n"}}),
    )
    .await;
    let pr = api
        .admin(
            "/repos/acme/w/pulls",
            json!({"author": "acme", "title": "t", "head": "f", "files": {"b": "b\n"}}),
        )
        .await;
    let app = api.admin("/apps", json!({"id": 31, "slug": "gws"})).await;
    let auth = AppAuth::new(31, app["private_key_pem"].as_str().unwrap()).unwrap();
    let gh = GitHub::new(&api.base, Arc::new(TokenPool::new([]))).unwrap();

    for run in 0..3 {
        let spend = Spend::default();
        let token = auth
            .installation_token(&gh, &spend, "acme", "w")
            .await
            .unwrap();
        let answer = gh
            .rest_with(
                &spend,
                Credential::Fixed {
                    secret: &token,
                    label: "installation",
                },
                Method::POST,
                "/repos/acme/w/check-runs",
                Some(&json!({"name": format!("check-{run}"), "head_sha": pr["head_sha"]})),
            )
            .await
            .unwrap();
        assert_eq!(answer.body["app"]["slug"], "gws");
        // The first delivery looks the installation up and mints; later ones reuse both.
        let expected = if run == 0 { 3 } else { 1 };
        assert_eq!(spend.summary()["total"], expected, "run {run}");
    }
    assert_eq!(auth.minted(), 1);
    let log: Vec<Value> = api
        .http
        .get(format!("{}/_simulator/requests", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<&str> = log.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/access_tokens"))
            .count(),
        1
    );
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/installation"))
            .count(),
        1
    );
    assert!(
        log.iter()
            .filter(|r| r["path"] == "/repos/acme/w/check-runs")
            .all(|r| r["login"] == "gws[bot]")
    );

    // A key that is not the app's is refused by GitHub, and the error says so.
    let other = api.admin("/apps", json!({"id": 32, "slug": "other"})).await;
    let wrong = AppAuth::new(31, other["private_key_pem"].as_str().unwrap()).unwrap();
    let err = wrong
        .installation_token(&gh, &Spend::default(), "acme", "w")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    assert!(AppAuth::new(1, "not a key").is_err());
}
