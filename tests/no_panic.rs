//! Every input from the network or from a repository gets an answer or a clear error, and none
//! makes the server panic: the intake's checks, the typed events, both configuration files,
//! and OWNERS. Inputs are random bytes and random documents built from the words each parser
//! looks for, so the generated cases reach past the first syntax check.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{Notify, watch};

use github_webhook_server::config::{Config, OwnersApproval, RepoFile};
use github_webhook_server::event::Event;
use github_webhook_server::queue::sqlite::SqliteQueue;
use github_webhook_server::queue::{PayloadMeta, ordering_key};
use github_webhook_server::rules::owners::resolve;
use github_webhook_server::server::allowlist::Allowlist;
use github_webhook_server::server::intake::{receive, verify_signature};
use github_webhook_server::server::state::AppState;
use github_webhook_server::snapshot::ChangedFile;
use proptest::prelude::*;
use serde_json::{Map, Value};

const EVENTS: &[&str] = &[
    "pull_request",
    "issue_comment",
    "pull_request_review",
    "pull_request_review_thread",
    "check_run",
    "status",
    "push",
    "ping",
    "installation",
];

/// Field names the event structs read, so generated payloads often have the right keys with
/// the wrong shapes.
const FIELDS: &[&str] = &[
    "action",
    "repository",
    "full_name",
    "name",
    "default_branch",
    "sender",
    "login",
    "type",
    "pull_request",
    "number",
    "title",
    "user",
    "draft",
    "label",
    "before",
    "issue",
    "comment",
    "body",
    "review",
    "state",
    "commit_id",
    "check_run",
    "head_sha",
    "conclusion",
    "pull_requests",
    "sha",
    "ref",
    "deleted",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z/ ]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(FIELDS), inner), 0..6).prop_map(
                |entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

/// YAML built from the tokens the configuration files and OWNERS use, with anchors, aliases,
/// merges, flow collections, tags and YAML 1.1 scalars.
fn yamlish(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    const SYNTAX: &[&str] = &[
        ": ",
        "\n",
        "  ",
        "    ",
        "- ",
        "&a ",
        "*a",
        "<<: *a\n",
        "{",
        "}",
        "[",
        "]",
        ", ",
        "'",
        "\"",
        "!!str ",
        "!!int ",
        "yes",
        "no",
        "on",
        ".inf",
        "-.inf",
        ".nan",
        "0x1F",
        "010",
        "1e3",
        "1_000",
        "~",
        "null",
        "# c\n",
        "|\n  ",
        ">\n  ",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "? ",
        "\t",
        "\\",
        "ü",
        "0",
        "-1",
        "3.5",
    ];
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(SYNTAX),
            proptest::sample::select(words),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

/// config.yaml with one valid repository, then random settings under it or beside it.
fn config_yaml() -> impl Strategy<Value = String> {
    prop_oneof![
        yamlish(CONFIG_WORDS),
        yamlish(CONFIG_WORDS).prop_map(|t| format!("repositories:\n  r:\n    name: o/r\n    {t}")),
        yamlish(CONFIG_WORDS).prop_map(|t| format!("{t}\nrepositories:\n  r:\n    name: o/r\n")),
        ".{0,200}",
    ]
}

const CONFIG_WORDS: &[&str] = &[
    "repositories:\n",
    "  r:\n    name: o/r\n",
    "name",
    "o/r",
    "webhook-secret",
    "github-tokens",
    "tox",
    "pre-commit",
    "pr-size-thresholds",
    "threshold",
    "color",
    "labels",
    "enabled-labels",
    "events",
    "custom-check-runs",
    "conventional-title",
    "branch-protection",
    "owners-approval",
    "prow",
    "default",
    "max-workers",
    "set-auto-merge-prs",
    "verified-job",
    "container",
    "oci-annotations",
];

const OWNERS_WORDS: &[&str] = &[
    "approvers",
    "reviewers",
    "emeritus_approvers",
    "root-approvers",
    "options",
    "no_parent_owners",
    "aliases",
    "alice",
    "bob",
    "team",
    "true",
    "false",
];

const SECRET: &str = "no-panic-secret";

/// One intake for every case: a runtime, and a queue in a directory that lives as long as
/// the test process.
fn intake() -> &'static (tokio::runtime::Runtime, AppState) {
    static INTAKE: OnceLock<(tokio::runtime::Runtime, AppState)> = OnceLock::new();
    INTAKE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let config = Config::parse(&format!(
            "webhook-secret: {SECRET}\nrepositories:\n  r:\n    name: o/r\n"
        ))
        .unwrap();
        let state = AppState {
            config: watch::channel(Arc::new(config)).1,
            queue: Arc::new(SqliteQueue::open(&dir.join("queue.sqlite3")).unwrap()),
            wake: Arc::new(Notify::new()),
            allowlist: Arc::new(Allowlist::default()),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        (runtime, state)
    })
}

/// A header from generated text; text no header can carry is left out, as an HTTP client
/// could not send it.
fn put(headers: &mut HeaderMap, name: &'static str, value: Option<&str>) {
    if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_request_to_the_intake_is_answered_and_only_signed_ones_are_stored(
        event in proptest::option::of(prop_oneof![
            proptest::sample::select(EVENTS).prop_map(str::to_string),
            ".{0,24}",
        ]),
        delivery in proptest::option::of(".{0,48}"),
        signed in any::<bool>(),
        forged in proptest::option::of(prop_oneof!["sha256=[0-9a-f]{64}", ".{0,80}"]),
        length in proptest::option::of(prop_oneof!["[0-9]{1,12}", ".{0,12}"]),
        body in prop_oneof![
            json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            proptest::collection::vec(any::<u8>(), 0..256),
            // A repository, so the delivery gets as far as the queue.
            (json_value(), proptest::sample::select(FIELDS)).prop_map(|(v, key)| {
                let mut payload = serde_json::json!({
                    "repository": {"name": "r", "full_name": "o/r"},
                });
                payload[key] = v;
                serde_json::to_vec(&payload).unwrap()
            }),
        ],
    ) {
        let (runtime, state) = intake();
        let mut headers = HeaderMap::new();
        put(&mut headers, "x-github-event", event.as_deref());
        put(&mut headers, "x-github-delivery", delivery.as_deref());
        put(&mut headers, "content-length", length.as_deref());
        let signature = if signed {
            Some(github_simulator::sign(SECRET, &body))
        } else {
            forged
        };
        put(&mut headers, "x-hub-signature-256", signature.as_deref());
        let peer = ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000)));
        let response = runtime.block_on(receive(
            State(state.clone()),
            peer,
            headers,
            Body::from(body),
        ));
        let status = response.status().as_u16();
        prop_assert!(matches!(status, 200 | 400 | 403 | 413), "{status}");
        if status == 200 {
            prop_assert!(signed, "an unsigned delivery was accepted");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_as_any_event_are_read_or_refused(
        event in proptest::sample::select(EVENTS),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = Event::parse(event, &bytes);
        if let Ok(meta) = serde_json::from_slice::<PayloadMeta>(&bytes) {
            ordering_key(event, "d", &meta);
        }
    }

    #[test]
    fn any_json_as_any_event_is_read_or_refused_with_its_path(
        event in proptest::sample::select(EVENTS),
        payload in json_value(),
    ) {
        let bytes = serde_json::to_vec(&payload).unwrap();
        if let Err(e) = Event::parse(event, &bytes) {
            prop_assert!(!e.path.is_empty() && !e.message.is_empty(), "{e}");
        }
        if let Ok(meta) = serde_json::from_slice::<PayloadMeta>(&bytes) {
            ordering_key(event, "d", &meta);
        }
    }

    #[test]
    fn any_signature_header_is_checked_without_a_panic(
        secret in ".{0,16}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        header in proptest::option::of(prop_oneof!["sha256=[0-9a-f]{0,70}", ".{0,80}"]),
    ) {
        let _ = verify_signature(&secret, &body, header.as_deref());
    }

    #[test]
    fn any_config_yaml_is_loaded_or_refused(text in config_yaml()) {
        let _ = Config::parse(&text);
    }

    #[test]
    fn any_repository_file_is_loaded_or_refused(text in config_yaml()) {
        if let Ok(file) = RepoFile::parse(&text) {
            let config = Config::parse("repositories:\n  r:\n    name: o/r\n").unwrap();
            let _ = config.with_repo_file(&config.repositories[0], &file);
        }
    }

    #[test]
    fn any_owners_files_resolve_without_a_panic(
        files in proptest::collection::btree_map(
            proptest::sample::select(&["OWNERS", "OWNERS_ALIASES", "a/OWNERS", "a/b/OWNERS", ".x/OWNERS"][..]),
            prop_oneof![yamlish(OWNERS_WORDS), ".{0,80}"],
            0..5,
        ),
        changed in proptest::collection::vec(
            proptest::sample::select(&["f", "a/f", "a/b/f", ".x/f", "a/b/c/f"][..]),
            0..4,
        ),
        prow in any::<bool>(),
        complete in any::<bool>(),
    ) {
        let texts: BTreeMap<String, String> =
            files.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let changed: Vec<ChangedFile> = changed
            .into_iter()
            .map(|p| ChangedFile {
                path: p.to_string(),
                additions: 1,
                deletions: 0,
                change_type: "MODIFIED".into(),
            })
            .collect();
        let rule = if prow { OwnersApproval::Prow } else { OwnersApproval::Default };
        resolve(&texts, &changed, rule, complete);
    }
}
