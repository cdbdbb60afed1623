//! Checks every REST exchange the test suite had with the simulator, and every webhook payload
//! it sent, against GitHub's published descriptions. `.ci/run` runs the suite with
//! `GWS_FIDELITY_DIR` set, then these tests with `GWS_OPENAPI` naming `api.github.com.json`
//! from npm `@octokit/openapi` and `GWS_OPENAPI_WEBHOOKS` the one from
//! `@octokit/openapi-webhooks`. GraphQL documents are validated by graphql-js (npm `graphql`,
//! `GWS_GRAPHQL_JS`) against npm `@octokit/graphql-schema` (`GWS_GRAPHQL_SCHEMA`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use github_simulator::FIDELITY_DIR_ENV;
use github_simulator::fidelity::{Spec, read_exchanges, read_payloads};
use github_webhook_server::github::queries;
use serde_json::json;

#[test]
#[ignore = "run by .ci/run after the suite, with GWS_OPENAPI and GWS_FIDELITY_DIR set"]
fn every_recorded_rest_exchange_matches_githubs_openapi_description() {
    let spec_path =
        PathBuf::from(std::env::var_os("GWS_OPENAPI").expect("GWS_OPENAPI names the OpenAPI JSON"));
    let dir = PathBuf::from(
        std::env::var_os(FIDELITY_DIR_ENV).expect("GWS_FIDELITY_DIR names the recordings"),
    );
    let mut spec = Spec::load(&spec_path).unwrap();
    let exchanges = read_exchanges(&dir).unwrap();
    assert!(
        !exchanges.is_empty(),
        "the suite recorded no REST exchange in {}",
        dir.display()
    );
    // GraphQL requests are checked against GitHub's GraphQL schema instead.
    let mut problems: Vec<String> = exchanges
        .iter()
        .filter(|ex| ex.path != "/graphql")
        .flat_map(|ex| spec.check(ex))
        .collect();
    problems.sort();
    problems.dedup();
    println!("checked {} REST exchanges", exchanges.len());
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
#[ignore = "run by .ci/run after the suite, with GWS_OPENAPI_WEBHOOKS and GWS_FIDELITY_DIR set"]
fn every_emitted_webhook_payload_matches_githubs_webhook_schemas() {
    let spec_path = PathBuf::from(
        std::env::var_os("GWS_OPENAPI_WEBHOOKS")
            .expect("GWS_OPENAPI_WEBHOOKS names the webhooks JSON"),
    );
    let dir = PathBuf::from(
        std::env::var_os(FIDELITY_DIR_ENV).expect("GWS_FIDELITY_DIR names the recordings"),
    );
    let mut spec = Spec::load(&spec_path).unwrap();
    let payloads = read_payloads(&dir).unwrap();
    assert!(
        !payloads.is_empty(),
        "the suite recorded no webhook payload in {}",
        dir.display()
    );
    let mut problems: Vec<String> = payloads
        .iter()
        .flat_map(|p| spec.check_payload(p))
        .collect();
    problems.sort();
    problems.dedup();
    println!("checked {} webhook payloads", payloads.len());
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
#[ignore = "run by .ci/run after the suite, with GWS_GRAPHQL_JS, GWS_GRAPHQL_SCHEMA and GWS_FIDELITY_DIR set"]
fn every_graphql_document_validates_against_githubs_schema() {
    let env = |name: &str| {
        PathBuf::from(std::env::var_os(name).unwrap_or_else(|| panic!("{name} is not set")))
    };
    let (graphql_js, schema) = (env("GWS_GRAPHQL_JS"), env("GWS_GRAPHQL_SCHEMA"));
    let dir = env(FIDELITY_DIR_ENV);
    // The server's own documents, and every document the suite sent to a simulator (which
    // includes the ones built per delivery).
    let mut documents: Vec<(String, String)> = queries::DOCUMENTS
        .iter()
        .map(|(name, query)| (name.to_string(), query.to_string()))
        .collect();
    let mut recorded = 0;
    for ex in read_exchanges(&dir).unwrap() {
        if ex.path != "/graphql" {
            continue;
        }
        let Some(query) = ex.request.as_ref().and_then(|r| r["query"].as_str()) else {
            continue;
        };
        recorded += 1;
        let name = format!(
            "recorded {} (exchange {})",
            ex.operation.as_deref().unwrap_or("anonymous operation"),
            ex.id
        );
        if !documents.iter().any(|(_, q)| q == query) {
            documents.push((name, query.to_string()));
        }
    }
    assert!(recorded > 0, "the suite sent no GraphQL request");
    let input: Vec<_> = documents
        .iter()
        .map(|(name, query)| json!({"name": name, "query": query}))
        .collect();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fidelity/validate_graphql.cjs");
    let mut child = Command::new("node")
        .arg(&script)
        .arg(&graphql_js)
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs the graphql-js validator");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let problems = String::from_utf8_lossy(&out.stdout);
    println!(
        "checked {} GraphQL documents ({recorded} requests recorded)",
        documents.len()
    );
    assert!(problems.trim().is_empty(), "mismatches:\n{problems}");
}
