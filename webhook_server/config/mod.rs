//! Configuration: config.yaml and each repository's `.github-webhook-server.yaml`.
//!
//! Both are parsed with line numbers, validated against `schema/config.schema.yaml`, then turned
//! into the typed model. A `Config` is immutable; reloads build a new one (see `watch.rs`).

mod layering;
pub mod model;
pub mod schema;
pub mod watch;
pub(crate) mod yaml;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use layering::IgnoredKey;
pub use model::*;
pub use schema::Problem;

/// What is wrong with a configuration file: every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid(p) => p,
            ConfigError::Read { .. } => &[],
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} problem{}:", if n == 1 { "" } else { "s" })?;
        for p in self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// One `repositories.<alias>` entry.
#[derive(Debug, Clone)]
pub struct RepositoryEntry {
    pub alias: String,
    /// The `name` key: `owner/repo`.
    pub full_name: Option<String>,
    pub allow_sensitive_keys_in_repo_file: bool,
    /// Settings from config.yaml alone (root and this entry), with defaults.
    pub config: RepoConfig,
    /// This entry's settings layered over the root's, before defaults; the base for a repo file.
    layered: Map<String, Value>,
}

/// A validated config.yaml.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    /// Root-level settings with defaults: what applies when no repository is known.
    pub defaults: RepoConfig,
    pub repositories: Vec<RepositoryEntry>,
}

/// A repository's `.github-webhook-server.yaml`, without the settings that failed validation.
#[derive(Debug, Clone)]
pub struct RepoFile {
    settings: Map<String, Value>,
    /// What was wrong, in order of line; the settings at fault are not in force.
    pub problems: Vec<Problem>,
}

/// A repository's effective settings once its own file is applied.
#[derive(Debug, Clone)]
pub struct Layered {
    pub config: RepoConfig,
    /// Keys of the repository's file that were not applied.
    pub ignored: Vec<IgnoredKey>,
}

pub const REPO_FILE_NAME: &str = ".github-webhook-server.yaml";

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let doc = parse_yaml(text)?;
        let mut problems = schema::validate(&doc, schema::Target::ConfigYaml);
        // The server's own file is strict: a key given twice is a mistake to fix, not guess.
        problems.extend(duplicates(&doc, "").into_iter().map(|(_, problem)| problem));
        if !problems.is_empty() {
            problems.sort_by_key(|p| (p.line, p.path.clone()));
            return Err(ConfigError::Invalid(problems));
        }
        let Value::Object(root) = &doc.value else {
            unreachable!("the schema requires a mapping at the root")
        };
        let schema = schema::schema_value();
        let server_keys = schema["properties"]
            .as_object()
            .expect("schema root has properties");
        let entry_keys = schema["$defs"]["repository"]["properties"]
            .as_object()
            .expect("schema repository has properties");

        let mut problems: Vec<Located> = Vec::new();
        let (server_map, root_settings) = partition(root, |k| server_keys.contains_key(k));
        let server: Option<ServerConfig> = typed(&doc, "", server_map, &mut problems);
        let defaults: Option<RepoConfig> = typed(&doc, "", root_settings.clone(), &mut problems);

        let mut repositories = Vec::new();
        if let Some(server) = &server {
            for (alias, entry) in &server.repositories {
                let (own, settings) = partition(entry, |k| entry_keys.contains_key(k));
                let layered = layering::layer(&[&settings, &root_settings]);
                let pointer = format!("/repositories/{}", yaml::escape_pointer(alias));
                let Some(config) =
                    typed::<RepoConfig>(&doc, &pointer, layered.clone(), &mut problems)
                else {
                    continue;
                };
                check_semantics(&doc, &pointer, &config, &mut problems);
                repositories.push(RepositoryEntry {
                    alias: alias.clone(),
                    full_name: own.get("name").and_then(Value::as_str).map(str::to_string),
                    allow_sensitive_keys_in_repo_file: own
                        .get("allow-sensitive-keys-in-repo-file")
                        .and_then(Value::as_bool)
                        .unwrap_or(server.allow_sensitive_keys_in_repo_file),
                    config,
                    layered,
                });
            }
            check_unique_names(&doc, &repositories, &mut problems);
        }
        if let Some(defaults) = &defaults {
            check_semantics(&doc, "", defaults, &mut problems);
        }
        match (server, defaults) {
            (Some(server), Some(defaults)) if problems.is_empty() => Ok(Config {
                server,
                defaults,
                repositories,
            }),
            _ => {
                let mut problems: Vec<Problem> = problems.into_iter().map(|(_, p)| p).collect();
                problems.sort_by_key(|p| (p.line, p.path.clone()));
                Err(ConfigError::Invalid(problems))
            }
        }
    }

    /// The entry for a repository, matched on its full `name`. An entry without `name` matches
    /// when its key equals the full name, or the short name as the Python server did; an entry
    /// whose `name` names another repository never matches on its key.
    pub fn repository(&self, full_name: &str) -> Option<&RepositoryEntry> {
        let by_name = self.repositories.iter().find(|r| {
            r.full_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(full_name))
        });
        if by_name.is_some() {
            return by_name;
        }
        let short = full_name.rsplit('/').next().unwrap_or(full_name);
        self.repositories
            .iter()
            .find(|r| r.full_name.is_none() && (r.alias == full_name || r.alias == short))
    }

    /// Applies a repository's own file on top of its config.yaml settings.
    pub fn with_repo_file(
        &self,
        entry: &RepositoryEntry,
        file: &RepoFile,
    ) -> Result<Layered, ConfigError> {
        let (kept, ignored) =
            layering::restrict_repo_file(&file.settings, entry.allow_sensitive_keys_in_repo_file);
        let layered = layering::layer(&[&kept, &entry.layered]);
        let config = serde_path_to_error::deserialize::<_, RepoConfig>(Value::Object(layered))
            .map_err(|e| {
                ConfigError::Invalid(vec![Problem {
                    path: e.path().to_string(),
                    line: None,
                    message: e.inner().to_string(),
                }])
            })?;
        Ok(Layered { config, ignored })
    }

    /// Every secret value in this configuration, for masking.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.server.webhook_secret.clone());
        if let Some(docker) = &self.server.docker {
            out.extend(docker.password.clone());
        }
        for config in
            std::iter::once(&self.defaults).chain(self.repositories.iter().map(|r| &r.config))
        {
            out.extend(config.secrets());
        }
        out.sort();
        out.dedup();
        out
    }
}

impl RepoConfig {
    /// Secret values carried by these settings.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = self.github_tokens.clone();
        out.extend(self.slack_webhook_url.clone());
        out.extend(self.pypi.as_ref().and_then(|p| p.token.clone()));
        out.extend(self.container.as_ref().and_then(|c| c.password.clone()));
        out
    }
}

impl RepoFile {
    /// Reads a repository's file. The Python server skipped a bad entry and kept the rest of
    /// the file, so a team's other settings never silently fell back; so does this: each fault
    /// drops the smallest mapping entry that holds it (one size bucket, one key) and is listed
    /// in `problems`. Only text that is not YAML, or not a mapping, is an error.
    pub fn parse(text: &str) -> Result<RepoFile, ConfigError> {
        let mut doc = parse_yaml(text)?;
        match &doc.value {
            Value::Null => {
                return Ok(RepoFile {
                    settings: Map::new(),
                    problems: Vec::new(),
                });
            }
            Value::Object(_) => {}
            other => {
                return Err(ConfigError::Invalid(vec![Problem {
                    path: String::new(),
                    line: doc.line_of(""),
                    message: format!("must be a mapping of settings, not {other}"),
                }]));
            }
        }
        // PyYAML kept the last of a key given twice, and so does this; it is still reported.
        let mut found = duplicates(&doc, "; the last one stands");
        loop {
            let round = repo_file_faults(&doc);
            let before = doc.value.clone();
            for (pointer, _) in &round {
                prune(&mut doc.value, pointer);
            }
            for (pointer, problem) in round {
                // A mapping left without a required key by an earlier removal is no news.
                let under = format!("{pointer}/");
                if !found
                    .iter()
                    .any(|(p, _)| *p == pointer || p.starts_with(&under))
                {
                    found.push((pointer, problem));
                }
            }
            if doc.value == before {
                break;
            }
        }
        let Value::Object(settings) = doc.value else {
            unreachable!("pruning keeps the root a mapping")
        };
        let mut problems: Vec<Problem> = found.into_iter().map(|(_, p)| p).collect();
        problems.sort_by_key(|p| (p.line, p.path.clone()));
        Ok(RepoFile { settings, problems })
    }
}

/// What is wrong with a repository file as it stands: schema violations first, then what the
/// typed model and the semantic rules find once the schema is satisfied.
fn repo_file_faults(doc: &yaml::Document) -> Vec<Located> {
    let faults = schema::violations(doc, schema::Target::RepoFile);
    if !faults.is_empty() {
        return faults;
    }
    let Value::Object(settings) = &doc.value else {
        return Vec::new();
    };
    let mut faults = Vec::new();
    if let Some(config) = typed::<RepoConfig>(doc, "", settings.clone(), &mut faults) {
        check_semantics(doc, "", &config, &mut faults);
    }
    faults
}

/// Removes the smallest mapping entry that holds the node at `pointer`: the node itself when
/// its parent is a mapping; inside a list, the entry holding the list, since its items only
/// make sense together. The root itself is emptied.
fn prune(value: &mut Value, pointer: &str) {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    // The deepest existing mapping entry on the path that is not inside a list.
    let mut entry = None;
    let mut node = &*value;
    for (i, segment) in segments.iter().enumerate() {
        let child = match node {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|n| items.get(n)),
            _ => None,
        };
        let Some(child) = child else { break };
        if node.is_array() {
            break;
        }
        entry = Some(i);
        node = child;
    }
    let Some(last) = entry else {
        if segments.is_empty() {
            *value = Value::Object(Map::new());
        }
        return;
    };
    let mut parent = &mut *value;
    for segment in &segments[..last] {
        parent = match parent {
            Value::Object(map) => map.get_mut(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|n| items.get_mut(n)),
            _ => None,
        }
        .expect("the path was walked above");
    }
    if let Value::Object(map) = parent {
        map.remove(&segments[last]);
    }
}

/// YAML text as JSON, with the loader config files use (YAML 1.1 scalars as PyYAML reads them,
/// merge keys).
pub fn parse_to_json(text: &str) -> Result<Value, ConfigError> {
    parse_yaml(text).map(|doc| doc.value)
}

fn parse_yaml(text: &str) -> Result<yaml::Document, ConfigError> {
    yaml::parse(text).map_err(|e| {
        ConfigError::Invalid(vec![Problem {
            path: String::new(),
            line: Some(e.line),
            message: format!("invalid YAML (column {}): {}", e.column, e.message),
        }])
    })
}

fn partition(
    map: &Map<String, Value>,
    first: impl Fn(&str) -> bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut a = Map::new();
    let mut b = Map::new();
    for (k, v) in map {
        if first(k) {
            a.insert(k.clone(), v.clone());
        } else {
            b.insert(k.clone(), v.clone());
        }
    }
    (a, b)
}

/// A problem with the JSON pointer of the node at fault.
type Located = (String, Problem);

/// The keys given twice in `doc`, each as a problem at its second occurrence.
fn duplicates(doc: &yaml::Document, note: &str) -> Vec<Located> {
    doc.duplicates
        .iter()
        .map(|(pointer, line)| {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let key = key.replace("~1", "/").replace("~0", "~");
            let problem = Problem {
                path: schema::dotted(pointer),
                line: Some(*line),
                message: format!("duplicate key `{key}`{note}"),
            };
            (pointer.clone(), problem)
        })
        .collect()
}

fn located(doc: &yaml::Document, pointer: String, message: String) -> Located {
    let problem = Problem {
        path: schema::dotted(&pointer),
        line: doc.line_of(&pointer),
        message,
    };
    (pointer, problem)
}

/// Deserialises `map` into the typed model; a mismatch is reported with its path and line.
fn typed<T: DeserializeOwned>(
    doc: &yaml::Document,
    base_pointer: &str,
    map: Map<String, Value>,
    problems: &mut Vec<Located>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(Value::Object(map)) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut pointer = base_pointer.to_string();
            for seg in e.path().iter() {
                if let serde_path_to_error::Segment::Map { key }
                | serde_path_to_error::Segment::Enum { variant: key } = seg
                {
                    pointer.push('/');
                    pointer.push_str(&yaml::escape_pointer(key));
                } else if let serde_path_to_error::Segment::Seq { index } = seg {
                    pointer.push_str(&format!("/{index}"));
                }
            }
            problems.push(located(doc, pointer, e.inner().to_string()));
            None
        }
    }
}

/// Rules the schema cannot express.
fn check_semantics(
    doc: &yaml::Document,
    base_pointer: &str,
    config: &RepoConfig,
    problems: &mut Vec<Located>,
) {
    let mut seen = HashSet::new();
    for (i, check) in config.custom_check_runs.iter().enumerate() {
        if !seen.insert(check.name.as_str()) {
            let pointer = format!("{base_pointer}/custom-check-runs/{i}/name");
            let message = format!("duplicate custom check name `{}`", check.name);
            problems.push(located(doc, pointer, message));
        }
    }
    if config.welcome_extra_info.len() > 10240 {
        let pointer = format!("{base_pointer}/welcome-extra-info");
        let message = format!(
            "is {} bytes; at most 10240 are allowed",
            config.welcome_extra_info.len()
        );
        problems.push(located(doc, pointer, message));
    }
}

fn check_unique_names(
    doc: &yaml::Document,
    repositories: &[RepositoryEntry],
    problems: &mut Vec<Located>,
) {
    let mut seen: IndexMap<String, &str> = IndexMap::new();
    for r in repositories {
        let Some(name) = &r.full_name else { continue };
        if let Some(first) = seen.insert(name.to_ascii_lowercase(), &r.alias) {
            let pointer = format!("/repositories/{}/name", yaml::escape_pointer(&r.alias));
            let message = format!("`{name}` is already configured under `{first}`");
            problems.push(located(doc, pointer, message));
        }
    }
}

/// What a repository gets from a config.yaml whose root settings are `yaml`.
#[cfg(test)]
pub(crate) fn repo_config(yaml: &str) -> RepoConfig {
    Config::parse(&format!("{yaml}repositories:\n  r:\n    name: o/r\n"))
        .unwrap()
        .repositories[0]
        .config
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = "\
webhook-secret: s3cret
github-tokens: [ghp_root]
minimum-lgtm: 1
security-checks:
  trusted-committers: [renovate]
repositories:
  api:
    name: acme/api
    minimum-lgtm: 2
    security-checks:
      mandatory: false
  legacy:
    pre-commit: true
  other-org-api:
    name: other/api
";

    #[test]
    fn defaults_apply_where_nothing_is_set() {
        let c = Config::parse("repositories:\n  r:\n    name: o/r\n").unwrap();
        let r = &c.repository("o/r").unwrap().config;
        assert!(r.verified_job);
        assert!(!r.pre_commit);
        assert_eq!(r.minimum_lgtm, 0);
        assert_eq!(r.max_owners_files, 1000);
        assert!(r.security_checks.mandatory);
        assert_eq!(r.security_checks.suspicious_paths.len(), 7);
        assert_eq!(c.server.port, 5000);
        assert_eq!(c.server.max_workers, 10);
        assert_eq!(c.server.github_api_url, "https://api.github.com");
    }

    #[test]
    fn repositories_match_on_full_name_and_fall_back_to_the_short_key() {
        let c = Config::parse(BASIC).unwrap();
        assert_eq!(c.repository("acme/api").unwrap().alias, "api");
        assert_eq!(c.repository("ACME/API").unwrap().alias, "api");
        assert_eq!(c.repository("other/api").unwrap().alias, "other-org-api");
        assert_eq!(c.repository("acme/legacy").unwrap().alias, "legacy");
        // The key `api` belongs to acme/api: a third org's `api` is not configured.
        assert!(c.repository("third/api").is_none());
    }

    #[test]
    fn repository_settings_layer_over_root() {
        let c = Config::parse(BASIC).unwrap();
        let api = &c.repository("acme/api").unwrap().config;
        assert_eq!(api.minimum_lgtm, 2);
        assert!(!api.security_checks.mandatory);
        assert_eq!(api.security_checks.trusted_committers, vec!["renovate"]);
        assert_eq!(api.github_tokens, vec!["ghp_root"]);
        let legacy = &c.repository("acme/legacy").unwrap().config;
        assert_eq!(legacy.minimum_lgtm, 1);
        assert!(legacy.pre_commit);
    }

    #[test]
    fn repo_file_overrides_and_ignored_keys_are_reported() {
        let c = Config::parse(BASIC).unwrap();
        let entry = c.repository("acme/api").unwrap();
        let file = RepoFile::parse("minimum-lgtm: 3\npypi:\n  token: leaked\n").unwrap();
        let layered = c.with_repo_file(entry, &file).unwrap();
        assert_eq!(layered.config.minimum_lgtm, 3);
        assert_eq!(layered.config.pypi, None);
        assert_eq!(layered.ignored.len(), 1);
        assert_eq!(layered.ignored[0].key, "pypi");
    }

    #[test]
    fn repo_file_sensitive_keys_apply_when_allowed() {
        let text = "allow-sensitive-keys-in-repo-file: false\nrepositories:\n  r:\n    name: o/r\n    allow-sensitive-keys-in-repo-file: true\n";
        let c = Config::parse(text).unwrap();
        let entry = c.repository("o/r").unwrap();
        let file = RepoFile::parse("pypi:\n  token: t\n").unwrap();
        let layered = c.with_repo_file(entry, &file).unwrap();
        assert_eq!(layered.config.pypi.unwrap().token.as_deref(), Some("t"));
        assert!(layered.ignored.is_empty());
    }

    #[test]
    fn secrets_are_collected_from_every_level() {
        let c = Config::parse(
            "webhook-secret: ws\ndocker: {username: u, password: dp}\ngithub-tokens: [t1]\nrepositories:\n  r:\n    name: o/r\n    github-tokens: [t2]\n    pypi: {token: pt}\n    container: {password: cp}\n    slack-webhook-url: https://hooks/x\n",
        )
        .unwrap();
        assert_eq!(
            c.secrets(),
            vec!["cp", "dp", "https://hooks/x", "pt", "t1", "t2", "ws"]
        );
    }

    #[test]
    fn duplicate_names_and_custom_checks_are_errors() {
        let err = Config::parse(
            "repositories:\n  a:\n    name: o/r\n  b:\n    name: O/R\n    custom-check-runs:\n      - {name: lint, command: x}\n      - {name: lint, command: y}\n",
        )
        .unwrap_err();
        let paths: Vec<_> = err.problems().iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "repositories.b.name",
                "repositories.b.custom-check-runs[1].name"
            ]
        );
        assert_eq!(err.problems()[0].line, Some(5));
    }

    #[test]
    fn missing_repositories_and_bad_yaml_are_reported() {
        let err = Config::parse("port: 5000\n").unwrap_err();
        assert!(err.to_string().contains("repositories"), "{err}");
        let err = Config::parse("repositories: [\n").unwrap_err();
        assert!(err.to_string().contains("invalid YAML"), "{err}");
    }

    #[test]
    fn tox_and_size_thresholds_are_typed() {
        let c = Config::parse(
            "repositories:\n  r:\n    name: o/r\n    tox:\n      python-version: '3.12'\n      main: all\n      dev: [lint, test]\n    pr-size-thresholds:\n      Small: {threshold: 50, color: green}\n      Huge: {threshold: inf}\n",
        )
        .unwrap();
        let r = &c.repository("o/r").unwrap().config;
        let tox = r.tox.as_ref().unwrap();
        assert_eq!(tox.python_version.as_deref(), Some("3.12"));
        assert_eq!(tox.branches["main"], ToxEnvs::Text("all".into()));
        assert_eq!(
            tox.branches["dev"],
            ToxEnvs::List(vec!["lint".into(), "test".into()])
        );
        let t = r.pr_size_thresholds.as_ref().unwrap();
        assert_eq!(t["Small"].threshold, Threshold::Lines(50));
        assert_eq!(t["Huge"].threshold, Threshold::Unbounded);
    }

    fn repo_file(text: &str) -> (RepoConfig, Vec<String>) {
        let c = Config::parse(BASIC).unwrap();
        let file = RepoFile::parse(text).unwrap();
        let problems = file.problems.iter().map(ToString::to_string).collect();
        let config = c
            .with_repo_file(c.repository("acme/api").unwrap(), &file)
            .unwrap()
            .config;
        (config, problems)
    }

    #[test]
    fn a_yaml_infinity_threshold_keeps_the_whole_repo_file() {
        let (config, problems) = repo_file(
            "minimum-lgtm: 3\npr-size-thresholds:\n  S: {threshold: 100}\n  XXL: {threshold: .inf}\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.minimum_lgtm, 3);
        let t = config.pr_size_thresholds.unwrap();
        assert_eq!(t["XXL"].threshold, Threshold::Unbounded);
    }

    #[test]
    fn a_bad_entry_is_skipped_and_the_rest_of_the_repo_file_applies() {
        let (config, problems) = repo_file(
            "minimum-lgtm: 3\npr-size-thresholds:\n  S: {threshold: 100}\n  Bad: {threshold: -5}\n  \
             XXL: {threshold: inf}\nverified-job: maybe\nmystery-key: 1\n",
        );
        assert_eq!(config.minimum_lgtm, 3);
        let t = config.pr_size_thresholds.unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["S", "XXL"]);
        // The skipped key falls back to config.yaml's value (the default here).
        assert!(config.verified_job);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("line 4: pr-size-thresholds.Bad.threshold:"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("line 6: verified-job:"),
            "{problems:?}"
        );
        assert_eq!(problems[2], "line 7: mystery-key: unknown key");
    }

    #[test]
    fn a_bad_list_item_skips_the_whole_list() {
        let (config, problems) = repo_file(
            "can-be-merged-required-labels: [qe, 7]\ncustom-check-runs:\n  - {name: a, command: x}\n  - {name: a, command: y}\n",
        );
        assert!(config.can_be_merged_required_labels.is_empty());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("can-be-merged-required-labels[1]"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("duplicate custom check name"),
            "{problems:?}"
        );
        let file = RepoFile::parse(
            "custom-check-runs:\n  - {name: a, command: x}\n  - {name: a, command: y}\n",
        )
        .unwrap();
        assert!(file.settings.is_empty(), "{:?}", file.settings);
    }

    #[test]
    fn pruning_drops_the_smallest_mapping_entry_outside_lists() {
        let base = serde_json::json!({
            "a": {"b": {"c": 1}, "keep": 2},
            "list": [{"x": 1}, {"x": 2}],
            "other": 3,
        });
        let pruned = |pointer: &str| {
            let mut v = base.clone();
            prune(&mut v, pointer);
            v
        };
        assert_eq!(
            pruned("/a/b/c"),
            serde_json::json!({"a": {"b": {}, "keep": 2}, "list": [{"x": 1}, {"x": 2}], "other": 3})
        );
        // Inside a list, the whole list goes, however deep the fault.
        assert_eq!(
            pruned("/list/1/x"),
            serde_json::json!({"a": {"b": {"c": 1}, "keep": 2}, "other": 3})
        );
        // A missing node: its deepest existing entry goes.
        assert_eq!(
            pruned("/a/b/missing/deeper"),
            serde_json::json!({"a": {"keep": 2}, "list": [{"x": 1}, {"x": 2}], "other": 3})
        );
        assert_eq!(pruned("/nothing"), base);
        assert_eq!(pruned(""), serde_json::json!({}));
    }

    #[test]
    fn a_bad_item_inside_a_list_of_mappings_skips_the_list() {
        let file = RepoFile::parse(
            "custom-check-runs:\n  - {name: a, command: x, mandatory: maybe}\nminimum-lgtm: 1\n",
        )
        .unwrap();
        assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
        assert_eq!(
            Value::Object(file.settings),
            serde_json::json!({"minimum-lgtm": 1})
        );
    }

    #[test]
    fn a_key_given_twice_keeps_the_last_and_is_reported() {
        let (config, problems) = repo_file("minimum-lgtm: 1\nminimum-lgtm: 2\n");
        assert_eq!(config.minimum_lgtm, 2);
        assert_eq!(
            problems,
            ["line 2: minimum-lgtm: duplicate key `minimum-lgtm`; the last one stands"]
        );
        let err =
            Config::parse("port: 1\nport: 2\nrepositories:\n  r:\n    name: o/r\n").unwrap_err();
        assert_eq!(err.problems()[0].message, "duplicate key `port`");
    }

    #[test]
    fn a_repo_file_that_is_not_a_mapping_is_an_error() {
        assert!(RepoFile::parse("- a\n- b\n").is_err());
        assert!(RepoFile::parse("key: [\n").is_err());
        assert!(RepoFile::parse("").unwrap().problems.is_empty());
    }

    #[test]
    fn yaml_1_1_booleans_and_numbers_read_as_the_python_server_read_them() {
        let (config, problems) = repo_file(
            "verified-job: no\npre-commit: on\ncreate-issue-for-new-pr: Off\nminimum-lgtm: 0x2\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!config.verified_job);
        assert!(config.pre_commit);
        assert!(!config.create_issue_for_new_pr);
        assert_eq!(config.minimum_lgtm, 2);
        let (config, _) = repo_file("minimum-lgtm: 010\n");
        assert_eq!(config.minimum_lgtm, 8, "PyYAML reads a leading 0 as octal");
    }

    #[test]
    fn a_surprising_yaml_1_1_reading_is_explained() {
        let (_, problems) = repo_file("minimum-lgtm: 1e3\nconventional-title: on\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("takes `1e3` as text"), "{problems:?}");
        assert!(
            problems[1].contains("takes `on` as true; quote it"),
            "{problems:?}"
        );
    }
}
