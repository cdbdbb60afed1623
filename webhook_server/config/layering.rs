//! Layering: per-repo file > `repositories.<name>` > root > default.
//!
//! Fixes to the Python server's rules are listed in docs/configuration.md. In short: settings
//! groups (`labels`, `branch-protection`, `security-checks`, `ai-features`, `test-oracle`,
//! `container`) merge key by key at every depth instead of a higher level silently replacing the
//! whole group, and a repository's own file cannot set secrets or commands unless allowed.

use serde_json::{Map, Value};

/// Groups whose keys merge individually across layers; every other key is taken whole from the
/// highest layer that sets it (lists and branch maps such as `tox` are meant as a unit).
const MERGED_GROUPS: &[&str] = &[
    "labels",
    "branch-protection",
    "security-checks",
    "ai-features",
    "test-oracle",
    "container",
];

/// Needed before the repository's file can be read (triage, logging), so only config.yaml sets them.
const SERVER_SIDE: &[&str] = &["log-level", "log-file", "mask-sensitive-data", "events"];

/// Keys that carry secrets or commands; a repository's file may set them only when allowed.
const SENSITIVE: &[&str] = &[
    "github-tokens",
    "slack-webhook-url",
    "pypi",
    "custom-check-runs",
];

/// `container` sub-keys that carry credentials, pick where they are sent, or add command arguments.
const SENSITIVE_CONTAINER: &[&str] = &["username", "password", "repository", "args", "build-args"];

/// A key of a repository's file that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKey {
    pub key: String,
    pub reason: &'static str,
}

/// Removes from a repository file's settings what it may not set, and says why.
pub fn restrict_repo_file(
    settings: &Map<String, Value>,
    allow_sensitive: bool,
) -> (Map<String, Value>, Vec<IgnoredKey>) {
    let mut kept = Map::new();
    let mut ignored = Vec::new();
    for (key, value) in settings {
        if SERVER_SIDE.contains(&key.as_str()) {
            ignored.push(IgnoredKey {
                key: key.clone(),
                reason: "only config.yaml can set it",
            });
            continue;
        }
        if !allow_sensitive && SENSITIVE.contains(&key.as_str()) {
            ignored.push(IgnoredKey {
                key: key.clone(),
                reason: "it carries secrets or commands; set allow-sensitive-keys-in-repo-file in config.yaml to allow it",
            });
            continue;
        }
        if !allow_sensitive
            && key == "container"
            && let Value::Object(container) = value
        {
            let mut safe = Map::new();
            for (sub, v) in container {
                if SENSITIVE_CONTAINER.contains(&sub.as_str()) {
                    ignored.push(IgnoredKey {
                        key: format!("container.{sub}"),
                        reason: "it carries secrets or commands; set allow-sensitive-keys-in-repo-file in config.yaml to allow it",
                    });
                } else {
                    safe.insert(sub.clone(), v.clone());
                }
            }
            kept.insert(key.clone(), Value::Object(safe));
            continue;
        }
        kept.insert(key.clone(), value.clone());
    }
    (kept, ignored)
}

/// Combines settings layers, highest priority first. `null` counts as unset.
pub fn layer(layers: &[&Map<String, Value>]) -> Map<String, Value> {
    let mut out = Map::new();
    for layer in layers.iter().rev() {
        for (key, value) in layer.iter() {
            if value.is_null() {
                continue;
            }
            match (out.get_mut(key), value) {
                (Some(Value::Object(lower)), Value::Object(higher))
                    if MERGED_GROUPS.contains(&key.as_str()) =>
                {
                    deep_merge(lower, higher);
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
    }
    out
}

fn deep_merge(lower: &mut Map<String, Value>, higher: &Map<String, Value>) {
    for (key, value) in higher {
        if value.is_null() {
            continue;
        }
        match (lower.get_mut(key), value) {
            (Some(Value::Object(l)), Value::Object(h)) => deep_merge(l, h),
            _ => {
                lower.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn higher_layers_win_for_plain_keys() {
        let file = map(json!({"minimum-lgtm": 2}));
        let repo = map(json!({"minimum-lgtm": 1, "pre-commit": true}));
        let root = map(json!({"minimum-lgtm": 0, "verified-job": false}));
        let out = layer(&[&file, &repo, &root]);
        assert_eq!(
            Value::Object(out),
            json!({"verified-job": false, "minimum-lgtm": 2, "pre-commit": true})
        );
    }

    #[test]
    fn null_does_not_override() {
        let repo = map(json!({"conventional-title": null}));
        let root = map(json!({"conventional-title": "feat,fix"}));
        assert_eq!(
            layer(&[&repo, &root])["conventional-title"],
            json!("feat,fix")
        );
    }

    #[test]
    fn settings_groups_merge_key_by_key() {
        let repo = map(json!({"security-checks": {"mandatory": false},
                              "labels": {"colors": {"hold": "red"}}}));
        let root = map(json!({"security-checks": {"trusted-committers": ["bot"]},
                              "labels": {"enabled-labels": ["hold"], "colors": {"wip": "blue", "hold": "green"}}}));
        let out = layer(&[&repo, &root]);
        assert_eq!(
            out["security-checks"],
            json!({"trusted-committers": ["bot"], "mandatory": false})
        );
        assert_eq!(
            out["labels"],
            json!({"enabled-labels": ["hold"], "colors": {"wip": "blue", "hold": "red"}})
        );
    }

    #[test]
    fn branch_maps_and_lists_replace_whole() {
        let repo = map(json!({"tox": {"main": "all"}, "set-auto-merge-prs": ["dev"]}));
        let root = map(json!({"tox": {"dev": "lint"}, "set-auto-merge-prs": ["main"]}));
        let out = layer(&[&repo, &root]);
        assert_eq!(out["tox"], json!({"main": "all"}));
        assert_eq!(out["set-auto-merge-prs"], json!(["dev"]));
    }

    #[test]
    fn repo_file_cannot_set_secrets_or_commands_by_default() {
        let file = map(json!({
            "minimum-lgtm": 1,
            "events": ["push"],
            "pypi": {"token": "t"},
            "custom-check-runs": [{"name": "x", "command": "curl evil"}],
            "container": {"password": "p", "repository": "evil.io/x", "dockerfile": "Containerfile"},
        }));
        let (kept, ignored) = restrict_repo_file(&file, false);
        assert_eq!(
            Value::Object(kept),
            json!({"minimum-lgtm": 1, "container": {"dockerfile": "Containerfile"}})
        );
        let keys: Vec<_> = ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "events",
                "pypi",
                "custom-check-runs",
                "container.password",
                "container.repository"
            ]
        );
    }

    #[test]
    fn allowed_repo_file_keeps_sensitive_keys_but_not_server_side_ones() {
        let file = map(json!({"pypi": {"token": "t"}, "log-level": "DEBUG"}));
        let (kept, ignored) = restrict_repo_file(&file, true);
        assert_eq!(Value::Object(kept), json!({"pypi": {"token": "t"}}));
        assert_eq!(ignored.len(), 1);
        assert_eq!(ignored[0].key, "log-level");
    }
}
