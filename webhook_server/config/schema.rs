//! JSON Schema validation of both configuration files against `schema/config.schema.yaml`,
//! reporting every error with its YAML path and line.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

use super::yaml::{self, Document};

/// The schema, embedded so the binary validates without the source tree.
pub const SCHEMA_YAML: &str = include_str!("../../schema/config.schema.yaml");

/// One thing wrong with a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted YAML path, e.g. `repositories.api.custom-check-runs[0].name`; empty for the root.
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if self.path.is_empty() {
            write!(f, "(root): {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

pub enum Target {
    ConfigYaml,
    RepoFile,
}

pub fn schema_value() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        yaml::parse(SCHEMA_YAML)
            .expect("schema/config.schema.yaml is valid YAML (checked by tests)")
            .value
    })
}

fn validator(target: Target) -> &'static Validator {
    static ROOT: OnceLock<Validator> = OnceLock::new();
    static REPO_FILE: OnceLock<Validator> = OnceLock::new();
    let build = |schema: &Value| {
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .build(schema)
            .expect("schema/config.schema.yaml is a valid JSON Schema (checked by tests)")
    };
    match target {
        Target::ConfigYaml => ROOT.get_or_init(|| build(schema_value())),
        Target::RepoFile => REPO_FILE.get_or_init(|| {
            let schema = schema_value();
            build(&json!({
                "$schema": schema["$schema"],
                "$defs": schema["$defs"],
                "$ref": "#/$defs/repo-file",
            }))
        }),
    }
}

/// Every schema violation of `doc`, sorted by line.
pub fn validate(doc: &Document, target: Target) -> Vec<Problem> {
    violations(doc, target)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

/// Every schema violation of `doc` with the JSON pointer of the node at fault, sorted by line.
pub fn violations(doc: &Document, target: Target) -> Vec<(String, Problem)> {
    let mut unknown = Vec::new();
    let mut other: Vec<(String, Problem)> = Vec::new();
    for err in validator(target).iter_errors(&doc.value) {
        let pointer = err.instance_path().as_str();
        match err.kind() {
            ValidationErrorKind::UnevaluatedProperties { unexpected }
            | ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    unknown.push(format!("{pointer}/{}", yaml::escape_pointer(key)));
                }
            }
            kind => {
                // The schema's only `not` guards reserved names (built-in check names).
                let message = match kind {
                    ValidationErrorKind::Not { .. } => {
                        format!("{} is reserved for a built-in check", err.instance())
                    }
                    _ => err.to_string(),
                };
                let message = match doc.reading(pointer) {
                    Some(reading) => format!("{message} ({reading})"),
                    None => message,
                };
                other.push((
                    pointer.to_string(),
                    Problem {
                        path: dotted(pointer),
                        line: doc.line_of(pointer),
                        message,
                    },
                ))
            }
        }
    }
    // Under `unevaluatedProperties`, a key whose value is invalid also counts as unevaluated;
    // report the real error, not a second "unknown key" for the same place or its parents.
    let explained = |child: &str| {
        let under = format!("{child}/");
        other
            .iter()
            .any(|(p, _)| p == child || p.starts_with(&under))
            || unknown.iter().any(|u| u.starts_with(&under))
    };
    let mut problems: Vec<(String, Problem)> = unknown
        .iter()
        .filter(|child| !explained(child))
        .map(|child| {
            let problem = Problem {
                path: dotted(child),
                line: doc.line_of(child),
                message: "unknown key".to_string(),
            };
            (child.clone(), problem)
        })
        .collect();
    problems.extend(other);
    problems.sort_by_key(|(_, p)| (p.line, p.path.clone()));
    problems.dedup();
    problems
}

/// `/repositories/api/custom-check-runs/0/name` → `repositories.api.custom-check-runs[0].name`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_compiles_for_both_targets() {
        let doc = yaml::parse("repositories:\n  r:\n    name: o/r\n").unwrap();
        assert!(validate(&doc, Target::ConfigYaml).is_empty());
        let doc = yaml::parse("minimum-lgtm: 1\n").unwrap();
        assert!(validate(&doc, Target::RepoFile).is_empty());
    }

    #[test]
    fn unknown_keys_are_reported_at_their_own_line() {
        let doc = yaml::parse("repositories:\n  r:\n    name: o/r\n    minimum-lgmt: 2\n").unwrap();
        let problems = validate(&doc, Target::ConfigYaml);
        assert_eq!(
            problems,
            vec![Problem {
                path: "repositories.r.minimum-lgmt".into(),
                line: Some(4),
                message: "unknown key".into()
            }]
        );
    }

    #[test]
    fn server_keys_are_not_valid_in_a_repo_file() {
        let doc = yaml::parse("webhook-secret: x\n").unwrap();
        let problems = validate(&doc, Target::RepoFile);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "webhook-secret");
    }

    #[test]
    fn every_error_is_reported_not_just_the_first() {
        let doc = yaml::parse(
            "port: high\nrepositories:\n  r:\n    name: o/r\n    minimum-lgtm: -1\n    custom-check-runs:\n      - name: tox\n        command: x\n",
        )
        .unwrap();
        let problems = validate(&doc, Target::ConfigYaml);
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "port",
                "repositories.r.minimum-lgtm",
                "repositories.r.custom-check-runs[0].name"
            ]
        );
        assert_eq!(problems[1].line, Some(5));
        assert_eq!(problems[2].line, Some(7));
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(dotted(""), "");
        assert_eq!(dotted("/a/0/b"), "a[0].b");
        assert_eq!(dotted("/labels/colors/size~1XL"), "labels.colors.size/XL");
    }
}
