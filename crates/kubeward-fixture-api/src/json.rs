//! JSON bytes exactly as the apiserver's Go serializer writes them.
//!
//! kube-apiserver encodes with Go's `encoding/json` `Encoder`, which
//! - escapes `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`,
//!   `\u2029` (HTML-safe escaping is on by default),
//! - writes backspace and form feed as `\u0008` / `\u000c` (Go 1.19, the toolchain of
//!   Kubernetes 1.26, has no `\b` / `\f` short forms),
//! - ends every body with a newline (`Encoder.Encode` appends `\n`),
//! - and marshals Go maps (custom resources are `map[string]interface{}`) with sorted keys.

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter};
use std::io;

/// A `serde_json` formatter with Go's `encoding/json` string escaping.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let escape: Option<(&[u8], usize)> = match bytes[i] {
                b'<' => Some((b"\\u003c", 1)),
                b'>' => Some((b"\\u003e", 1)),
                b'&' => Some((b"\\u0026", 1)),
                0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                    Some(0xA8) => Some((b"\\u2028", 3)),
                    Some(0xA9) => Some((b"\\u2029", 3)),
                    _ => None,
                },
                _ => None,
            };
            match escape {
                Some((text, len)) => {
                    writer.write_all(&bytes[start..i])?;
                    writer.write_all(text)?;
                    i += len;
                    start = i;
                }
                None => i += 1,
            }
        }
        writer.write_all(&bytes[start..])
    }

    fn write_char_escape<W>(&mut self, writer: &mut W, char_escape: CharEscape) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        match char_escape {
            CharEscape::Quote => writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => writer.write_all(b"\\\\"),
            CharEscape::Solidus => writer.write_all(b"\\/"),
            CharEscape::Backspace => writer.write_all(b"\\u0008"),
            CharEscape::FormFeed => writer.write_all(b"\\u000c"),
            CharEscape::LineFeed => writer.write_all(b"\\n"),
            CharEscape::CarriageReturn => writer.write_all(b"\\r"),
            CharEscape::Tab => writer.write_all(b"\\t"),
            CharEscape::AsciiControl(byte) => write!(writer, "\\u{byte:04x}"),
        }
    }
}

/// Appends `value` as compact Go-style JSON to `out`.
pub(crate) fn write(out: &mut Vec<u8>, value: &Value) {
    let mut ser = serde_json::Serializer::with_formatter(out, GoFormatter);
    // Serialising a `Value` into a `Vec` cannot fail.
    let _ = value.serialize(&mut ser);
}

/// `value` as compact Go-style JSON.
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, value);
    out
}

/// `value` as a compact Go-style JSON body, newline-terminated like `json.Encoder.Encode`.
pub(crate) fn body(value: &Value) -> Vec<u8> {
    let mut out = to_vec(value);
    out.push(b'\n');
    out
}

/// A JSON string literal with Go escaping.
pub(crate) fn string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    let _ = s.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// `value` with the keys of every object sorted, as Go marshals a `map[string]interface{}`.
pub(crate) fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Pretty-printed like Go's `json.MarshalIndent(v, "", "  ")` (the `/version` handler).
pub(crate) fn pretty(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PrettyGo::default());
    let _ = value.serialize(&mut ser);
    out
}

/// Go-escaping pretty printer with two-space indentation.
#[derive(Debug, Default)]
struct PrettyGo {
    inner: serde_json::ser::PrettyFormatter<'static>,
}

impl Formatter for PrettyGo {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        f: &str,
    ) -> io::Result<()> {
        GoFormatter.write_string_fragment(w, f)
    }
    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        e: CharEscape,
    ) -> io::Result<()> {
        GoFormatter.write_char_escape(w, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_go() {
        let v = json!({"a": "<b>&\u{2028}\u{8}\u{c}\u{1}\n\"\\", "n": 1});
        assert_eq!(
            String::from_utf8(to_vec(&v)).unwrap(),
            r#"{"a":"\u003cb\u003e\u0026\u2028\u0008\u000c\u0001\n\"\\","n":1}"#
        );
    }

    #[test]
    fn sorts_map_keys() {
        let v = sorted(json!({"b": {"z": 1, "a": 2}, "a": [{"y": 1, "x": 2}]}));
        assert_eq!(
            String::from_utf8(to_vec(&v)).unwrap(),
            r#"{"a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}"#
        );
    }
}
