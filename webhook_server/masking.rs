//! Secret masking for everything the server writes: text logs, summary records, and later
//! check-run output and comments.
//!
//! Configured secret values are always replaced, wherever they appear. With
//! `mask-sensitive-data` (the default) strings shaped like GitHub tokens are replaced too, so an
//! installation token or a token pasted into a payload does not leak either. Unlike the Python
//! server, ordinary words such as "token" or "login" are left alone.

use std::borrow::Cow;
use std::io;
use std::sync::{Arc, RwLock};

use tracing_subscriber::fmt::MakeWriter;

pub const MASK: &str = "*****";

#[derive(Debug, Default)]
pub struct Masker {
    /// Longest first, so a secret that contains another is replaced whole.
    needles: Vec<String>,
    token_shapes: bool,
}

/// GitHub token prefixes: personal, OAuth, user-to-server, server-to-server, refresh.
const TOKEN_PREFIXES: &[&str] = &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"];
/// Real tokens have 36+ characters after the prefix; 20 avoids masking identifiers like `ghp_test`.
const MIN_TOKEN_BODY: usize = 20;

impl Masker {
    pub fn new(secrets: impl IntoIterator<Item = String>, token_shapes: bool) -> Masker {
        let mut needles: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.is_empty() {
                continue;
            }
            // Secrets also appear JSON-escaped inside summary records and payload dumps.
            let escaped = serde_json::to_string(&secret).expect("strings serialise");
            let escaped = escaped[1..escaped.len() - 1].to_string();
            if escaped != secret {
                needles.push(escaped);
            }
            needles.push(secret);
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Masker {
            needles,
            token_shapes,
        }
    }

    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), MASK));
            }
        }
        if self.token_shapes
            && TOKEN_PREFIXES.iter().any(|p| out.contains(p))
            && let Some(masked) = mask_token_shapes(&out)
        {
            out = Cow::Owned(masked);
        }
        out
    }
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn mask_token_shapes(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_token_char(bytes[i - 1]);
        let prefix = if at_word_start {
            TOKEN_PREFIXES.iter().find(|p| text[i..].starts_with(**p))
        } else {
            None
        };
        if let Some(prefix) = prefix {
            let body_start = i + prefix.len();
            let mut end = body_start;
            while end < bytes.len() && is_token_char(bytes[end]) {
                end += 1;
            }
            if end - body_start >= MIN_TOKEN_BODY {
                out.push_str(&text[last..i]);
                out.push_str(MASK);
                last = end;
                changed = true;
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// The masker in force; replaced when the configuration is reloaded.
#[derive(Clone, Default)]
pub struct SharedMasker(Arc<RwLock<Arc<Masker>>>);

impl SharedMasker {
    pub fn new(masker: Masker) -> SharedMasker {
        SharedMasker(Arc::new(RwLock::new(Arc::new(masker))))
    }

    pub fn set(&self, masker: Masker) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(masker);
    }

    pub fn get(&self) -> Arc<Masker> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A `MakeWriter` that masks each formatted log line before it reaches `inner`. The fmt layer
/// writes a whole event in one `write` call, so a secret is never split across calls.
#[derive(Clone)]
pub struct MaskingMakeWriter<M> {
    inner: M,
    masker: SharedMasker,
}

impl<M> MaskingMakeWriter<M> {
    pub fn new(inner: M, masker: SharedMasker) -> Self {
        MaskingMakeWriter { inner, masker }
    }
}

pub struct MaskingWriter<W> {
    inner: W,
    masker: Arc<Masker>,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingMakeWriter<M> {
    type Writer = MaskingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingWriter {
            inner: self.inner.make_writer(),
            masker: self.masker.get(),
        }
    }
}

impl<W: io::Write> io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(self.masker.mask(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_secrets_are_masked_everywhere() {
        let m = Masker::new(["hunter2".to_string(), "s3cr\"et".to_string()], false);
        assert_eq!(m.mask("pw=hunter2, again hunter2"), "pw=*****, again *****");
        assert_eq!(m.mask(r#"{"x":"s3cr\"et"}"#), r#"{"x":"*****"}"#);
        assert_eq!(m.mask("s3cr\"et"), "*****");
        assert!(matches!(m.mask("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn longer_secrets_win_over_their_substrings() {
        let m = Masker::new(["abc".to_string(), "abcdef".to_string()], false);
        assert_eq!(m.mask("abcdef abc"), "***** *****");
    }

    #[test]
    fn token_shapes_are_masked_only_when_enabled() {
        let token = format!("ghs_{}", "a1B2".repeat(9));
        let line = format!("using {token} now");
        assert_eq!(Masker::new([], true).mask(&line), "using ***** now");
        assert_eq!(Masker::new([], false).mask(&line), line);
    }

    #[test]
    fn ordinary_words_and_short_identifiers_are_not_masked() {
        let m = Masker::new([], true);
        let text = "token login password ghp_test my_ghp_notatoken";
        assert_eq!(m.mask(text), text);
    }

    #[test]
    fn empty_secrets_are_ignored() {
        let m = Masker::new([String::new()], false);
        assert_eq!(m.mask("abc"), "abc");
    }

    #[test]
    fn the_writer_masks_what_passes_through() {
        use std::io::Write;
        let shared = SharedMasker::new(Masker::new(["topsecret".to_string()], false));
        let mut out = Vec::new();
        {
            let mut w = MaskingWriter {
                inner: &mut out,
                masker: shared.get(),
            };
            w.write_all(b"value=topsecret\n").unwrap();
        }
        assert_eq!(out, b"value=*****\n");
        shared.set(Masker::new(["value".to_string()], false));
        assert_eq!(shared.get().mask("value"), "*****");
    }
}
