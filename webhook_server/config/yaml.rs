//! YAML text → `serde_json::Value`, remembering the line of every node.
//!
//! Validation happens on JSON values (JSON Schema, serde), but users edit YAML, so every error
//! must point back at a line. We walk yaml-rust2's event stream ourselves to keep the markers
//! that its `Yaml` tree throws away.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A parsed YAML document with the line of each node, keyed by JSON pointer.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    lines: HashMap<String, usize>,
}

impl Document {
    /// Line of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut p = pointer;
        loop {
            if let Some(line) = self.lines.get(p) {
                return Some(*line);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("line {line}, column {column}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses one YAML document. An empty document is `null`.
pub fn parse(text: &str) -> Result<Document, YamlError> {
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, false)
        .map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(Document {
        value: builder.root.unwrap_or(Value::Null),
        lines: builder.lines,
    })
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
        /// `<<` merge sources; explicit keys of this mapping win over them.
        merges: Vec<Map<String, Value>>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// JSON-pointer segments of the node being built.
    path: Vec<String>,
    anchors: HashMap<usize, Value>,
    lines: HashMap<String, usize>,
    root: Option<Value>,
    error: Option<YamlError>,
}

impl Builder {
    fn fail(&mut self, mark: Marker, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                line: mark.line(),
                column: mark.col() + 1,
                message: message.into(),
            });
        }
    }

    fn pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            s.push('/');
            s.push_str(seg);
        }
        s
    }

    /// Called when a node starts: records where it is and pushes its path segment.
    fn enter(&mut self, mark: Marker) {
        let segment = match self.stack.last() {
            Some(Frame::Seq { items, .. }) => Some(items.len().to_string()),
            Some(Frame::Map { key: Some(k), .. }) => Some(escape_pointer(k)),
            _ => None,
        };
        if let Some(seg) = segment {
            self.path.push(seg);
        }
        let pointer = self.pointer();
        self.lines.entry(pointer).or_insert(mark.line());
    }

    /// Called when a node is complete: attaches it to its parent.
    fn finish(&mut self, value: Value, anchor: usize, mark: Marker) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                self.path.pop();
            }
            Some(Frame::Map {
                map, key, merges, ..
            }) => {
                let k = key.take().expect("a mapping value always follows its key");
                self.path.pop();
                if k == "<<" {
                    match value {
                        Value::Object(m) => merges.push(m),
                        Value::Array(list) if list.iter().all(Value::is_object) => {
                            merges.extend(list.into_iter().filter_map(|v| match v {
                                Value::Object(m) => Some(m),
                                _ => None,
                            }));
                        }
                        _ => self.fail(
                            mark,
                            "a `<<` merge key needs a mapping or a list of mappings",
                        ),
                    }
                } else if map.insert(k.clone(), value).is_some() {
                    self.fail(mark, format!("duplicate key `{k}`"));
                }
            }
        }
    }

    /// Scalars in key position become the pending key instead of a value.
    fn take_key(&mut self, text: &str, mark: Marker) -> bool {
        let pointer = self.pointer();
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut()
            && key.is_none()
        {
            *key = Some(text.to_string());
            let seg = escape_pointer(text);
            self.lines
                .entry(format!("{pointer}/{seg}"))
                .or_insert(mark.line());
            return true;
        }
        false
    }

    fn map_expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if self.map_expects_key() {
                    if anchor > 0 {
                        self.anchors.insert(anchor, Value::String(text.clone()));
                    }
                    self.take_key(&text, mark);
                    return;
                }
                self.enter(mark);
                let value = resolve_scalar(&text, style, tag.as_ref());
                self.finish(value, anchor, mark);
            }
            Event::Alias(id) => {
                let Some(value) = self.anchors.get(&id).cloned() else {
                    self.fail(mark, "alias to an unknown anchor");
                    return;
                };
                if self.map_expects_key() {
                    match value {
                        Value::String(s) => {
                            self.take_key(&s, mark);
                        }
                        _ => self.fail(mark, "only string keys are supported"),
                    }
                    return;
                }
                self.enter(mark);
                self.finish(value, 0, mark);
            }
            Event::SequenceStart(anchor, _) => {
                if self.map_expects_key() {
                    self.fail(mark, "only string keys are supported");
                    return;
                }
                self.enter(mark);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                if self.map_expects_key() {
                    self.fail(mark, "only string keys are supported");
                    return;
                }
                self.enter(mark);
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key: None,
                    anchor,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, anchor }) = self.stack.pop() {
                    self.finish(Value::Array(items), anchor, mark);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut map,
                    anchor,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    for source in merges {
                        for (k, v) in source {
                            map.entry(k).or_insert(v);
                        }
                    }
                    self.finish(Value::Object(map), anchor, mark);
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// Escapes one JSON-pointer segment (RFC 6901).
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// YAML 1.2 core schema, which is what users of the Python server (PyYAML aside) expect:
/// `yes`/`on` stay strings, so a typo'd boolean is reported by the schema, not silently cast.
fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag
        && tag.suffix == "str"
    {
        return Value::String(text.to_string());
    }
    if style != TScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n.into());
    }
    if looks_like_float(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn parse_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` — rejects `inf`/`nan`, which JSON cannot hold.
fn looks_like_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], Some(&mantissa[i + 1..])),
        None => (mantissa, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int_part) && digits(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let doc = parse(
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: inf\ng: yes\nh: '3'\ni: 0x10\nj: 1e3\nk: .5\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": null, "f": "inf", "g": "yes",
                   "h": "3", "i": 16, "j": 1000.0, "k": 0.5})
        );
    }

    #[test]
    fn lines_are_recorded_for_keys_and_items() {
        let doc = parse("root:\n  list:\n    - a\n    - b\n  n: 3\n").unwrap();
        assert_eq!(doc.line_of("/root"), Some(1));
        assert_eq!(doc.line_of("/root/list"), Some(2));
        assert_eq!(doc.line_of("/root/list/1"), Some(4));
        assert_eq!(doc.line_of("/root/n"), Some(5));
        assert_eq!(doc.line_of("/root/missing/deeper"), Some(1));
    }

    #[test]
    fn keys_with_slashes_are_escaped_in_pointers() {
        let doc = parse("colors:\n  size/XL: red\n").unwrap();
        assert_eq!(doc.line_of("/colors/size~1XL"), Some(2));
    }

    #[test]
    fn anchors_aliases_and_merge_keys_work() {
        let doc = parse(
            "base: &b\n  x: 1\n  y: 2\nrepo:\n  <<: *b\n  y: 3\nlist: &l [1, 2]\nother: *l\n",
        )
        .unwrap();
        assert_eq!(doc.value["repo"], json!({"x": 1, "y": 3}));
        assert_eq!(doc.value["other"], json!([1, 2]));
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("duplicate key `a`"), "{err}");
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = parse("a:\n  b: 1\n c: [\n").unwrap_err();
        assert!(err.line >= 3, "{err}");
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }
}
