//! Checks what the simulator served and sent against GitHub's published descriptions:
//! REST exchanges against npm `@octokit/openapi` (`generated/api.github.com.json`): each
//! request must match an operation (method and path template), its JSON body must be valid for
//! that operation, and the response must be a documented status with a valid body; and webhook
//! payloads against npm `@octokit/openapi-webhooks`. Mismatches name the operation or event and
//! the JSON path.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

use super::world::{Emitted, Exchange};

/// Statuses GitHub may answer on any operation, with its `basic-error` body, even where the
/// description does not list them.
const GENERIC_ERRORS: &[u16] = &[401, 403, 404, 409, 422, 429, 500, 502, 503, 504];

#[derive(Clone)]
enum Segment {
    Literal(String),
    Param,
    /// A trailing parameter that takes the rest of the path (`contents/{path}`).
    Rest,
}

struct Operation {
    method: String,
    id: String,
    segments: Vec<Segment>,
    /// JSON pointer of the operation object in the document.
    pointer: String,
}

pub struct Spec {
    doc: Value,
    /// OpenAPI 3.0 schemas are draft 4 with `nullable`; 3.1 schemas are draft 2020-12.
    draft: Draft,
    operations: Vec<Operation>,
    validators: HashMap<String, Validator>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// OpenAPI 3.0's `nullable: true` in JSON Schema terms, everywhere in the document.
fn convert_nullable(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                convert_nullable(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.push(Value::Null);
                }
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

impl Spec {
    pub fn load(path: &Path) -> Result<Spec> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut doc: Value = serde_json::from_str(&text).context("parsing the OpenAPI JSON")?;
        let draft = if doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.0"))
        {
            convert_nullable(&mut doc);
            Draft::Draft4
        } else {
            Draft::Draft202012
        };
        let mut operations = Vec::new();
        if let Some(Value::Object(paths)) = doc.get("paths") {
            for (template, item) in paths {
                let Value::Object(methods) = item else {
                    continue;
                };
                let parts: Vec<&str> = template.split('/').skip(1).collect();
                let segments: Vec<Segment> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        if s.starts_with('{') {
                            let last = i + 1 == parts.len();
                            if last && (*s == "{path}" || *s == "{ref}") {
                                Segment::Rest
                            } else {
                                Segment::Param
                            }
                        } else {
                            Segment::Literal((*s).to_string())
                        }
                    })
                    .collect();
                for (method, op) in methods {
                    let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                        continue;
                    };
                    operations.push(Operation {
                        method: method.to_ascii_uppercase(),
                        id: id.to_string(),
                        segments: segments.clone(),
                        pointer: format!("/paths/{}/{method}", escape(template)),
                    });
                }
            }
        }
        Ok(Spec {
            doc,
            draft,
            operations,
            validators: HashMap::new(),
        })
    }

    /// The operation serving `method path`; the one with most literal segments wins.
    fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        self.operations
            .iter()
            .filter(|op| op.method == method && matches(&op.segments, &parts))
            .max_by_key(|op| {
                op.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count()
            })
    }

    fn validate(&mut self, schema_pointer: &str, instance: &Value) -> Result<Vec<String>> {
        if !self.validators.contains_key(schema_pointer) {
            let schema = self
                .doc
                .pointer(schema_pointer)
                .with_context(|| format!("no schema at {schema_pointer}"))?;
            // The schema with the document's components beside it, so `#/components/...`
            // references resolve against this root.
            let mut root = Map::new();
            root.insert("allOf".into(), json!([schema]));
            root.insert("components".into(), self.doc["components"].clone());
            let validator = jsonschema::options()
                .with_draft(self.draft)
                .build(&Value::Object(root))
                .map_err(|e| anyhow::anyhow!("compiling {schema_pointer}: {e}"))?;
            self.validators
                .insert(schema_pointer.to_string(), validator);
        }
        let validator = &self.validators[schema_pointer];
        Ok(validator
            .iter_errors(instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path().as_str()))
            .collect())
    }

    /// Every way `ex` departs from the description.
    pub fn check(&mut self, ex: &Exchange) -> Vec<String> {
        let label = format!("{} {}", ex.method, ex.path);
        let Some(op) = self.operation(&ex.method, &ex.path) else {
            // GitHub answers unknown routes with a 404 basic-error, and so must we.
            if ex.status == 404 {
                let body = ex.response.clone().unwrap_or(Value::Null);
                return match self.validate("/components/schemas/basic-error", &body) {
                    Ok(errors) => errors
                        .into_iter()
                        .map(|e| format!("{label}: 404 for an unknown route {e}"))
                        .collect(),
                    Err(e) => vec![format!("{label}: {e:#}")],
                };
            }
            return vec![format!(
                "{label}: no operation in GitHub's OpenAPI description"
            )];
        };
        let (id, pointer) = (op.id.clone(), op.pointer.clone());
        let mut problems = Vec::new();
        let mut report = |what: &str, errors: Result<Vec<String>>| match errors {
            Ok(errs) => problems.extend(
                errs.into_iter()
                    .map(|e| format!("{label} ({id}) {what} {e}")),
            ),
            Err(e) => problems.push(format!("{label} ({id}) {what}: {e:#}")),
        };

        let request_schema = format!("{pointer}/requestBody/content/application~1json/schema");
        if let Some(body) = &ex.request
            && self.doc.pointer(&request_schema).is_some()
        {
            // A body GitHub's schema rejects must be refused (4xx), never acted on.
            let errors = match self.validate(&request_schema, body) {
                Ok(errs) if !errs.is_empty() && (400..500).contains(&ex.status) => Ok(Vec::new()),
                Ok(errs) if !errs.is_empty() => Ok(errs
                    .into_iter()
                    .map(|e| format!("{e}, yet answered {}", ex.status))
                    .collect()),
                other => other,
            };
            report("request body", errors);
        }

        let status = ex.status.to_string();
        let documented = self
            .doc
            .pointer(&format!("{pointer}/responses/{status}"))
            .is_some();
        let response_schema = if documented {
            let declared = format!("{pointer}/responses/{status}");
            // Responses may be `$ref`s to shared responses.
            let target = match self
                .doc
                .pointer(&format!("{declared}/$ref"))
                .and_then(Value::as_str)
            {
                Some(r) => r.trim_start_matches('#').to_string(),
                None => declared,
            };
            Some(format!("{target}/content/application~1json/schema"))
        } else if GENERIC_ERRORS.contains(&ex.status) {
            Some("/components/schemas/basic-error".to_string())
        } else {
            report(
                "response",
                Ok(vec![format!("status {status} is not documented")]),
            );
            None
        };
        if let (Some(schema), Some(body)) = (response_schema, &ex.response)
            && self.doc.pointer(&schema).is_some()
        {
            let errors = self.validate(&schema, body);
            report(&format!("response {status}"), errors);
        }
        problems
    }
}

impl Spec {
    /// How `emitted` departs from the webhook description of its event and action.
    pub fn check_payload(&mut self, emitted: &Emitted) -> Vec<String> {
        let event = emitted.event.replace('_', "-");
        let action = emitted.payload.get("action").and_then(Value::as_str);
        let keys: Vec<String> = match action {
            Some(a) => vec![format!("{event}-{}", a.replace('_', "-")), event.clone()],
            None => vec![event.clone()],
        };
        let Some(key) = keys.iter().find(|k| {
            self.doc
                .pointer(&format!("/webhooks/{}", escape(k)))
                .is_some()
        }) else {
            return vec![format!(
                "{}: no webhook `{}` in the description",
                emitted.event, keys[0]
            )];
        };
        let schema = format!(
            "/webhooks/{}/post/requestBody/content/application~1json/schema",
            escape(key)
        );
        match self.validate(&schema, &emitted.payload) {
            Ok(errors) => errors
                .into_iter()
                .map(|e| format!("webhook {key} {e}"))
                .collect(),
            Err(e) => vec![format!("webhook {key}: {e:#}")],
        }
    }
}

fn matches(segments: &[Segment], parts: &[&str]) -> bool {
    let mut i = 0;
    for seg in segments {
        match seg {
            Segment::Rest => return i < parts.len(),
            _ if i >= parts.len() => return false,
            Segment::Literal(l) if l != parts[i] => return false,
            _ => i += 1,
        }
    }
    i == parts.len()
}

/// All REST exchanges recorded under `dir`.
pub fn read_exchanges(dir: &Path) -> Result<Vec<Exchange>> {
    read_records(dir, "exchanges-")
}

/// All webhook payloads recorded under `dir`.
pub fn read_payloads(dir: &Path) -> Result<Vec<Emitted>> {
    read_records(dir, "payloads-")
}

/// One JSON object a line, from every `<prefix>*.jsonl` file in `dir`.
fn read_records<T: serde::de::DeserializeOwned>(dir: &Path, prefix: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.starts_with(prefix) || !name.ends_with(".jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            out.push(serde_json::from_str(line).with_context(|| format!("in {}", path.display()))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        let doc = json!({
            "openapi": "3.0.3",
            "paths": {
                "/repos/{owner}/{repo}": {"get": {"operationId": "repos/get", "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/repo"}}}}}}},
                "/repos/{owner}/{repo}/contents/{path}": {"get": {"operationId": "repos/get-content",
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
                "/repos/{owner}/{repo}/issues/{n}/labels": {"post": {"operationId": "issues/add-labels",
                    "requestBody": {"content": {"application/json": {"schema": {
                        "type": "object", "required": ["labels"],
                        "properties": {"labels": {"type": "array", "items": {"type": "string"}}}}}}},
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "array"}}}}}}},
            },
            "components": {"schemas": {
                "repo": {"type": "object", "required": ["id", "description"],
                         "properties": {"id": {"type": "integer"},
                                        "description": {"type": "string", "nullable": true}}},
                "basic-error": {"type": "object", "properties": {"message": {"type": "string"}}},
            }},
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spec.json");
        std::fs::write(&path, doc.to_string()).unwrap();
        Spec::load(&path).unwrap()
    }

    fn exchange(
        method: &str,
        path: &str,
        request: Option<Value>,
        status: u16,
        response: Value,
    ) -> Exchange {
        Exchange {
            id: 1,
            login: None,
            method: method.into(),
            path: path.into(),
            query: None,
            operation: None,
            request,
            status,
            response: Some(response),
            started_ms: 0.0,
            finished_ms: 0.0,
        }
    }

    #[test]
    fn valid_exchanges_pass_and_nullable_is_understood() {
        let mut s = spec();
        let ok = exchange(
            "GET",
            "/repos/o/r",
            None,
            200,
            json!({"id": 1, "description": null}),
        );
        assert_eq!(s.check(&ok), Vec::<String>::new());
        let nested = exchange("GET", "/repos/o/r/contents/a/b/c.txt", None, 200, json!({}));
        assert_eq!(s.check(&nested), Vec::<String>::new());
    }

    #[test]
    fn mismatches_name_the_operation_and_path() {
        let mut s = spec();
        let bad = exchange("GET", "/repos/o/r", None, 200, json!({"id": "one"}));
        let problems = s.check(&bad);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("(repos/get) response 200 at `/id`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("description")),
            "{problems:?}"
        );

        let unknown = exchange("GET", "/nope", None, 200, json!({}));
        assert!(s.check(&unknown)[0].contains("no operation"));
        let unknown_404 = exchange("GET", "/nope", None, 404, json!({"message": "Not Found"}));
        assert_eq!(s.check(&unknown_404), Vec::<String>::new());

        let body = exchange(
            "POST",
            "/repos/o/r/issues/1/labels",
            Some(json!({"labels": [1]})),
            200,
            json!([]),
        );
        assert!(s.check(&body)[0].contains("request body at `/labels/0`"));
        assert!(s.check(&body)[0].contains("yet answered 200"));
        // Refusing a body GitHub's schema rejects is what GitHub does.
        let refused = exchange(
            "POST",
            "/repos/o/r/issues/1/labels",
            Some(json!({"labels": [1]})),
            422,
            json!({"message": "Validation Failed"}),
        );
        assert_eq!(s.check(&refused), Vec::<String>::new());

        let undocumented = exchange("GET", "/repos/o/r", None, 302, json!({}));
        assert!(s.check(&undocumented)[0].contains("status 302 is not documented"));

        let generic = exchange(
            "GET",
            "/repos/o/r",
            None,
            404,
            json!({"message": "Not Found"}),
        );
        assert_eq!(s.check(&generic), Vec::<String>::new());
    }
}
