//! `validate-config`, start-up validation and hot reload, through the real binary.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use github_webhook_server::config::schema::schema_value;
use serde_json::Value;

fn validate(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("validate-config")
        .args(args)
        .env_remove("WEBHOOK_SERVER_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn manifest(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_shipped_config_file_is_valid() {
    let mut checked = 0;
    for dir in ["examples", "config"] {
        for entry in std::fs::read_dir(manifest(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".yaml") {
                continue;
            }
            let p = path.to_string_lossy().into_owned();
            let args: Vec<&str> = if name.starts_with(".github-webhook-server") {
                vec!["--repo-file", &p]
            } else if name.starts_with("config") {
                vec![&p]
            } else {
                continue;
            };
            let (ok, stdout, stderr) = validate(&args);
            assert!(ok, "{name} is invalid:\n{stderr}");
            assert!(stdout.contains("valid"), "{stdout}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} files checked");
}

#[test]
fn every_error_of_a_broken_config_is_reported_with_path_and_line() {
    let file = manifest("tests/fixtures/broken-config.yaml");
    let (ok, _, stderr) = validate(&[&file]);
    assert!(!ok);
    for expected in [
        ":1: port:",
        ":2: webhok-secret: unknown key",
        ":6: repositories.api.minimum-lgtm:",
        ":8: repositories.api.labels.enabled-labels[1]:",
        ":10: repositories.api.custom-check-runs[0].name:",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 problems"), "{stderr}");
}

#[test]
fn semantic_errors_are_reported_once_the_schema_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "repositories:\n  api:\n    name: acme/api\n  again:\n    name: acme/api\n",
    )
    .unwrap();
    let (ok, _, stderr) = validate(&[path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr
            .contains(":5: repositories.again.name: `acme/api` is already configured under `api`"),
        "{stderr}"
    );
}

#[test]
fn a_broken_repo_file_is_reported_with_paths() {
    let file = manifest("tests/fixtures/broken-repo-file.yaml");
    let (ok, _, stderr) = validate(&["--repo-file", &file]);
    assert!(!ok);
    for expected in [
        ":1: webhook-secret: unknown key",
        ":2: minimum-lgtm:",
        ":4: tox.main:",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
}

#[test]
fn yaml_syntax_errors_name_the_line() {
    let file = manifest("tests/fixtures/broken-syntax.yaml");
    let (ok, _, stderr) = validate(&[&file]);
    assert!(!ok);
    assert!(stderr.contains("invalid YAML"), "{stderr}");
    assert!(stderr.contains("broken-syntax.yaml:4:"), "{stderr}");
}

/// The full example uses every key of the schema, so the typed model (which rejects unknown
/// keys) is proven to cover them all, and the example cannot fall behind the schema.
#[test]
fn the_full_example_uses_every_schema_key() {
    fn schema_keys(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(props)) = m.get("properties") {
                    out.extend(props.keys().cloned());
                }
                for (k, child) in m {
                    if k != "enum" && k != "const" && k != "default" {
                        schema_keys(child, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| schema_keys(i, out)),
            _ => {}
        }
    }
    fn used_keys(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    out.insert(k.clone());
                    used_keys(child, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| used_keys(i, out)),
            _ => {}
        }
    }
    let mut wanted = BTreeSet::new();
    schema_keys(schema_value(), &mut wanted);
    let text = std::fs::read_to_string(manifest("examples/config.yaml")).unwrap();
    let config = github_webhook_server::config::Config::parse(&text).expect("example is valid");
    assert_eq!(config.repositories.len(), 2);
    let example: Value = serde_json::to_value(yaml_to_json(&text)).unwrap();
    let mut used = BTreeSet::new();
    used_keys(&example, &mut used);
    let missing: Vec<_> = wanted.difference(&used).collect();
    assert!(missing.is_empty(), "examples/config.yaml lacks {missing:?}");
}

/// The example through the same loader the server uses, as plain JSON.
fn yaml_to_json(text: &str) -> Value {
    github_webhook_server::config::parse_to_json(text).unwrap()
}

#[test]
fn an_invalid_config_at_start_up_exits_1_naming_the_bad_key() {
    let dir = data_dir(
        "ip-bind: 127.0.0.1\nport: 0\nrepositories:\n  r:\n    name: o/r\n    minimum-lgtm: -3\n",
    );
    let out = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config.yaml:6: repositories.r.minimum-lgtm:"),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_at_start_up_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn the_data_dir_comes_from_the_environment_when_no_flag_is_given() {
    let dir = data_dir("repositories:\n  r:\n    minimum-lgtm: nope\n");
    let out = Command::new(BIN)
        .arg("serve")
        .env("WEBHOOK_SERVER_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&dir.path().join("config.yaml").display().to_string()),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_edits_take_effect_without_a_restart_and_broken_edits_are_ignored() {
    let dir = data_dir(&config_with_secret());
    let server = Server::start(dir.path());
    let c = client();
    let body = serde_json::to_vec(&pr_payload(1, "opened")).unwrap();
    assert_eq!(
        deliver(&c, &server, "pull_request", "r-1", &body, Some(SECRET))
            .await
            .status,
        200
    );

    let rotated = "rotated-secret-0001";
    std::fs::write(
        dir.path().join("config.yaml"),
        format!("ip-bind: 127.0.0.1\nport: 0\nwebhook-secret: {rotated}\nmax-workers: 3\nrepositories:\n  r:\n    name: o/r\n"),
    )
    .unwrap();
    server.wait_for_output("configuration reloaded", Duration::from_secs(15));
    assert_eq!(
        deliver(&c, &server, "pull_request", "r-2", &body, Some(SECRET))
            .await
            .status,
        403
    );
    assert_eq!(
        deliver(&c, &server, "pull_request", "r-3", &body, Some(rotated))
            .await
            .status,
        200
    );

    std::fs::write(dir.path().join("config.yaml"), "repositories: [oops\n").unwrap();
    server.wait_for_output("configuration not reloaded", Duration::from_secs(15));
    assert_eq!(
        deliver(&c, &server, "pull_request", "r-4", &body, Some(rotated))
            .await
            .status,
        200
    );
    let s = wait_for_summaries(dir.path(), 3, Duration::from_secs(20));
    let ids: BTreeSet<_> = s
        .iter()
        .map(|r| r["hook_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        ["r-1", "r-3", "r-4"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}
