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
    /// Keys given twice in one mapping, with the line of the second: the last value stands, as
    /// PyYAML (and so the Python server) read it; each caller decides what a repeat means.
    pub duplicates: Vec<(String, usize)>,
    lines: HashMap<String, usize>,
    /// The text of each plain scalar that YAML 1.1 reads differently than it looks, by pointer.
    readings: HashMap<String, String>,
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

    /// How YAML 1.1 read the plain scalar at `pointer`, when that may surprise: `on` is a
    /// boolean, `010` is 8, `1e3` is text. Used to explain a validation error there.
    pub fn reading(&self, pointer: &str) -> Option<String> {
        let text = self.readings.get(pointer)?;
        let value = self.value.pointer(pointer)?;
        Some(match value {
            Value::String(_) => format!(
                "YAML 1.1, as the Python server read it too, takes `{text}` as text; a number needs a dot and a signed exponent (1.0e+3) or all its digits"
            ),
            other => format!(
                "YAML 1.1, as the Python server read it too, takes `{text}` as {other}; quote it to mean the text"
            ),
        })
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
    let mut parser = Parser::new_from_str(text);
    // Events are pulled one by one: `Parser::load` recurses once per nesting level, so a
    // deeply indented file would overflow the stack before the builder could refuse it.
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        // Only the first document is read, as before.
        let last = matches!(event, Event::DocumentEnd | Event::StreamEnd);
        builder.on_event(event, mark);
        if last || builder.error.is_some() {
            break;
        }
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(Document {
        value: builder.root.unwrap_or(Value::Null),
        duplicates: builder.duplicates,
        lines: builder.lines,
        readings: builder.readings,
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
    readings: HashMap<String, String>,
    duplicates: Vec<(String, usize)>,
    /// Values copied by aliases so far: bounded, so a few lines of nested aliases (a "billion
    /// laughs") cannot exhaust memory.
    aliased: usize,
    root: Option<Value>,
    error: Option<YamlError>,
}

/// Values aliases may copy into one document; hand-written files use a few hundred.
const MAX_ALIASED: usize = 100_000;
/// Nesting depth of collections; a deeper document is refused before it can exhaust the stack.
const MAX_DEPTH: usize = 100;

/// The number of values in `value`, itself included.
fn size(value: &Value) -> usize {
    let mut count = 0;
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        count += 1;
        match v {
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    count
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
                let here = self.path.iter().fold(String::new(), |p, s| p + "/" + s);
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
                } else if map.insert(k, value).is_some() {
                    self.duplicates.push((here, mark.line()));
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
                if style == TScalarStyle::Plain && surprising(&text, &value) {
                    self.readings.insert(self.pointer(), text.clone());
                }
                self.finish(value, anchor, mark);
            }
            Event::Alias(id) => {
                let Some(value) = self.anchors.get(&id) else {
                    self.fail(mark, "alias to an unknown anchor");
                    return;
                };
                self.aliased += size(value);
                if self.aliased > MAX_ALIASED {
                    self.fail(
                        mark,
                        format!("aliases expand to more than {MAX_ALIASED} values"),
                    );
                    return;
                }
                let value = value.clone();
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
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(mark, format!("nested deeper than {MAX_DEPTH} levels"));
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
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(mark, format!("nested deeper than {MAX_DEPTH} levels"));
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

/// Plain scalars resolve as PyYAML's `safe_load` (YAML 1.1) resolves them, because the Python
/// server read every file this server reads with it, and a drop-in replacement must not read a
/// team's files differently: `yes`/`no`/`on`/`off` are booleans, `010` is octal, `1_000` is
/// 1000, `1:30` is 90, and `1e3` (no dot, no exponent sign) stays text. JSON cannot hold
/// `.inf` or `.nan`, so they become the text `inf`, `-inf` and `nan`, which is how the Python
/// server's settings that accept infinity spell it too.
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
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    if let Some(f) = yaml11_float(text) {
        return match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None if f.is_nan() => Value::String("nan".into()),
            None if f < 0.0 => Value::String("-inf".into()),
            None => Value::String("inf".into()),
        };
    }
    if let Some(n) = yaml11_int(text) {
        return i64::try_from(n)
            .map(Value::from)
            .or_else(|_| u64::try_from(n).map(Value::from))
            .unwrap_or_else(|_| Number::from_f64(n as f64).map_or(Value::Null, Value::Number));
    }
    Value::String(text.to_string())
}

/// Whether YAML 1.1 read plain `text` as `value` in a way its look does not tell: a word as a
/// boolean, a number in another base, or what YAML 1.2 would take for a number as text.
fn surprising(text: &str, value: &Value) -> bool {
    match value {
        Value::Bool(b) => !text.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Value::Number(n) => text.parse::<f64>().ok() != n.as_f64(),
        Value::String(s) if s == text => {
            (text.parse::<f64>().is_ok() && text.bytes().any(|b| b.is_ascii_digit()))
                || text.starts_with("0o")
        }
        _ => false,
    }
}

/// `text` without a leading sign, and whether it was `-`.
fn unsigned(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Non-empty, and every byte is a digit of the kind `digit` accepts or `_`.
fn digits_with_underscores(s: &str, digit: fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(|b| digit(b) || b == b'_')
}

/// A sexagesimal part after a `:`: `[0-5]?[0-9]`.
fn base60_part(s: &str) -> bool {
    match s.as_bytes() {
        [d] => d.is_ascii_digit(),
        [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
        _ => false,
    }
}

/// PyYAML's int: `[-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ |
/// [1-9][0-9_]*(:[0-5]?[0-9])+)`.
fn yaml11_int(text: &str) -> Option<i128> {
    let (negative, body) = unsigned(text);
    let clean = |s: &str| s.replace('_', "");
    let magnitude = if let Some(bin) = body.strip_prefix("0b") {
        if !digits_with_underscores(bin, |b| b == b'0' || b == b'1') {
            return None;
        }
        i128::from_str_radix(&clean(bin), 2).ok()?
    } else if let Some(hex) = body.strip_prefix("0x") {
        if !digits_with_underscores(hex, |b| b.is_ascii_hexdigit()) {
            return None;
        }
        i128::from_str_radix(&clean(hex), 16).ok()?
    } else if body == "0" {
        0
    } else if let Some(octal) = body.strip_prefix('0') {
        if !digits_with_underscores(octal, |b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        i128::from_str_radix(&clean(body), 8).ok()?
    } else {
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !first.starts_with(|c: char| c.is_ascii_digit() && c != '0')
            || !digits_with_underscores(first, |b| b.is_ascii_digit())
        {
            return None;
        }
        let mut value: i128 = clean(first).parse().ok()?;
        for part in parts {
            if !base60_part(part) {
                return None;
            }
            value = value.checked_mul(60)?.checked_add(part.parse().ok()?)?;
        }
        value
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// PyYAML's float: `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*` with the same
/// exponent, `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.inf` and `\.nan` (each in
/// three spellings). A dot is required: `1e3` is not a float.
fn yaml11_float(text: &str) -> Option<f64> {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (negative, body) = unsigned(text);
    let signed = body.len() != text.len();
    let sign = if negative { -1.0 } else { 1.0 };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(sign * f64::INFINITY);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        matches!(e.as_bytes().first(), Some(b'+' | b'-'))
            && e.len() > 1
            && e[1..].bytes().all(|b| b.is_ascii_digit())
    });
    let digit = |b: u8| b.is_ascii_digit();
    let (whole, raw_fraction) = mantissa.split_once('.')?;
    if !exponent_ok || !(raw_fraction.is_empty() || digits_with_underscores(raw_fraction, digit)) {
        return None;
    }
    let fraction = match raw_fraction.replace('_', "") {
        f if f.is_empty() => "0".to_string(),
        f => f,
    };
    let exponent = exponent.map(|e| format!("e{e}")).unwrap_or_default();
    if whole.is_empty() {
        // `.5`: no sign allowed, and a digit right after the dot.
        if signed || !raw_fraction.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return format!("0.{fraction}{exponent}").parse().ok();
    }
    if whole.contains(':') {
        if !exponent.is_empty() {
            return None;
        }
        let mut parts = whole.split(':');
        let first = parts.next()?;
        if !first.starts_with(|c: char| c.is_ascii_digit())
            || !digits_with_underscores(first, digit)
        {
            return None;
        }
        let mut value: f64 = first.replace('_', "").parse().ok()?;
        let parts: Vec<&str> = parts.collect();
        let (last, middle) = parts.split_last()?;
        for part in middle {
            if !base60_part(part) {
                return None;
            }
            value = value * 60.0 + part.parse::<f64>().ok()?;
        }
        if !base60_part(last) {
            return None;
        }
        value = value * 60.0 + format!("{last}.{fraction}").parse::<f64>().ok()?;
        return Some(sign * value);
    }
    if !whole.starts_with(|c: char| c.is_ascii_digit()) || !digits_with_underscores(whole, digit) {
        return None;
    }
    format!("{}.{fraction}{exponent}", whole.replace('_', ""))
        .parse::<f64>()
        .ok()
        .map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scalar(text: &str) -> Value {
        parse(&format!("v: {text}\n")).unwrap().value["v"].clone()
    }

    #[test]
    fn plain_scalars_read_as_pyyaml_reads_them() {
        let doc = parse("a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: inf\nh: '3'\nk: .5\n").unwrap();
        assert_eq!(
            doc.value,
            json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": null, "f": "inf", "h": "3", "k": 0.5})
        );
    }

    #[test]
    fn infinity_in_any_spelling_is_the_text_inf() {
        for text in [".inf", ".Inf", ".INF", "+.inf"] {
            assert_eq!(scalar(text), json!("inf"), "{text}");
        }
        assert_eq!(scalar("-.inf"), json!("-inf"));
        assert_eq!(scalar(".nan"), json!("nan"));
        // Not YAML 1.1 spellings: text, as PyYAML leaves them.
        assert_eq!(scalar(".infinity"), json!(".infinity"));
        assert_eq!(scalar("-.nan"), json!("-.nan"));
    }

    #[test]
    fn yes_no_on_off_are_booleans() {
        for text in ["yes", "Yes", "YES", "on", "On", "ON", "true", "True"] {
            assert_eq!(scalar(text), json!(true), "{text}");
        }
        for text in ["no", "No", "NO", "off", "Off", "OFF", "false", "FALSE"] {
            assert_eq!(scalar(text), json!(false), "{text}");
        }
        // YAML 1.1 allows y/n, but PyYAML does not resolve them; neither do quoted forms.
        for text in ["y", "n", "Y", "yEs", "'yes'", "\"off\""] {
            assert!(scalar(text).is_string(), "{text}");
        }
    }

    #[test]
    fn an_exponent_without_a_dot_is_text() {
        assert_eq!(scalar("1e3"), json!("1e3"));
        assert_eq!(scalar("1.0e3"), json!("1.0e3"));
        assert_eq!(scalar("1.0e+3"), json!(1000.0));
        assert_eq!(scalar("1.5E-1"), json!(0.15));
    }

    #[test]
    fn integers_in_every_base_pyyaml_knows() {
        assert_eq!(scalar("0x10"), json!(16));
        assert_eq!(scalar("0x_1F"), json!(31));
        assert_eq!(scalar("010"), json!(8));
        assert_eq!(scalar("-010"), json!(-8));
        assert_eq!(scalar("0b101"), json!(5));
        assert_eq!(scalar("1_000"), json!(1000));
        assert_eq!(scalar("+7"), json!(7));
        assert_eq!(scalar("0"), json!(0));
        assert_eq!(scalar("1:30"), json!(90));
        assert_eq!(scalar("-1:00:00"), json!(-3600));
        // YAML 1.2 forms PyYAML leaves as text.
        assert_eq!(scalar("0o10"), json!("0o10"));
        assert_eq!(scalar("08"), json!("08"));
        assert_eq!(scalar("1:60"), json!("1:60"));
    }

    #[test]
    fn every_recorded_pyyaml_reading_matches() {
        let table = include_str!("../../tests/fixtures/pyyaml_scalars.tsv");
        let mut checked = 0;
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let (text, expected) = line.split_once('\t').unwrap();
            let expected: Value = serde_json::from_str(expected).unwrap();
            assert_eq!(scalar(text), expected, "{text}");
            checked += 1;
        }
        assert!(checked > 2000, "{checked}");
    }

    #[test]
    fn floats_need_a_dot() {
        assert_eq!(scalar("1."), json!(1.0));
        assert_eq!(scalar("1_0.2_5"), json!(10.25));
        assert_eq!(scalar(".5"), json!(0.5));
        assert_eq!(scalar("-.5"), json!("-.5"));
        assert_eq!(scalar("1:30.5"), json!(90.5));
        assert_eq!(scalar("3.10"), json!(3.1));
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
    fn duplicate_keys_are_recorded_and_the_last_stands_as_in_pyyaml() {
        let doc = parse("a: 1\nb: 2\nc:\n  d: x\n  d: y\na: 3\n").unwrap();
        assert_eq!(doc.value, json!({"a": 3, "b": 2, "c": {"d": "y"}}));
        assert_eq!(
            doc.duplicates,
            [("/c/d".to_string(), 5), ("/a".to_string(), 6)]
        );
    }

    #[test]
    fn a_billion_laughs_is_refused() {
        let mut text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        let letters: Vec<char> = ('b'..='k').collect();
        let mut previous = 'a';
        for l in letters {
            let p = previous;
            text.push_str(&format!(
                "{l}: &{l} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            ));
            previous = l;
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        // yaml-rust2 stops deep flow collections itself; block ones stop at MAX_DEPTH.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
        let deep: String = (0..150).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("nested deeper than 100"), "{err}");
        let deep: String = (0..5_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&deep).is_err());
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
