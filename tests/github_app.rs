//! The client as a GitHub App against the simulator: a JWT signed by the client, the
//! installation looked up once per account, the installation token minted once (by one of
//! any callers asking at once) and reused, and both found again after the App is reinstalled.

mod common;

use std::sync::Arc;

use common::sim::*;
use github_simulator::Simulator;
use github_webhook_server::github::app::AppAuth;
use github_webhook_server::github::client::{Credential, GitHub};
use github_webhook_server::github::clients::Session;
use github_webhook_server::github::repo::CheckRunWrite;
use github_webhook_server::github::spend::Spend;
use github_webhook_server::github::tokens::TokenPool;
use http::Method;
use serde_json::{Value, json};

/// A simulator with a private repository `acme/w` holding one pull request, and App 31 (`gws`)
/// installed on it.
struct Installed {
    _dir: tempfile::TempDir,
    _sim: Simulator,
    api: Api,
    pr: Value,
    app: Value,
    auth: Arc<AppAuth>,
    gh: Arc<GitHub>,
}

async fn installed() -> Installed {
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
    let auth = Arc::new(AppAuth::new(31, app["private_key_pem"].as_str().unwrap()).unwrap());
    let gh = Arc::new(GitHub::new(&api.base, Arc::new(TokenPool::new([]))).unwrap());
    Installed {
        _dir,
        _sim,
        api,
        pr,
        app,
        auth,
        gh,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_installation_token_is_minted_once_and_reused() {
    let Installed {
        _dir,
        _sim,
        api,
        pr,
        auth,
        gh,
        ..
    } = installed().await;

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

    // An App has one installation per account: another repository of the owner needs no
    // lookup and shares the token.
    api.admin(
        "/repos",
        json!({"full_name": "acme/x", "private": true, "files": {"a": "a\n"}}),
    )
    .await;
    let spend = Spend::default();
    auth.installation_token(&gh, &spend, "acme", "x")
        .await
        .unwrap();
    assert_eq!(spend.summary()["total"], 0);

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

#[tokio::test(flavor = "multi_thread")]
async fn a_reinstalled_app_is_found_again_without_a_restart() {
    let Installed {
        _dir,
        _sim,
        api,
        pr,
        app,
        auth,
        gh,
    } = installed().await;
    let check_run = async |name: &str| {
        let session = Session::new(gh.clone(), Some(auth.clone()), "acme", "w");
        let queued = CheckRunWrite {
            status: "queued",
            conclusion: None,
            output: None,
        };
        let id = session
            .create_check_run(name, pr["head_sha"].as_str().unwrap(), &queued)
            .await
            .unwrap();
        assert!(id > 0, "GitHub answers the new run with its id");
        session.spend.summary()["total"].as_u64().unwrap()
    };
    assert_eq!(check_run("before").await, 3, "lookup, mint, check run");
    let before = api.last_request_id().await;

    let reinstalled = api.admin("/apps/31/reinstall", json!({})).await;
    assert_ne!(reinstalled["installation_id"], app["installation_id"]);
    // The cached token is refused, the old installation is gone, the new one is looked up
    // and its token minted, and the check run is written once.
    assert_eq!(check_run("after").await, 5);
    let log: Vec<(String, u64)> = api
        .requests(before)
        .await
        .iter()
        .filter(|r| !r["path"].as_str().unwrap().starts_with("/_simulator"))
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                ),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let old = app["installation_id"].as_u64().unwrap();
    let new = reinstalled["installation_id"].as_u64().unwrap();
    assert_eq!(
        log,
        [
            ("POST /repos/acme/w/check-runs".to_string(), 401),
            (format!("POST /app/installations/{old}/access_tokens"), 404),
            ("GET /repos/acme/w/installation".to_string(), 200),
            (format!("POST /app/installations/{new}/access_tokens"), 201),
            ("POST /repos/acme/w/check-runs".to_string(), 201),
        ]
    );
    assert_eq!(check_run("later").await, 1, "the new token is reused");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_share_one_lookup_and_one_token() {
    let Installed {
        _dir,
        _sim,
        auth,
        gh,
        ..
    } = installed().await;
    // A delivery's parallel check-run writes all ask for the token at once.
    let spend = Spend::default();
    let ask = || auth.installation_token(&gh, &spend, "acme", "w");
    let (a, b, c, d) = tokio::join!(ask(), ask(), ask(), ask());
    let tokens = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(auth.minted(), 1);
    assert_eq!(spend.summary()["total"], 2, "one lookup, one mint");
}
