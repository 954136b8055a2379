//! YAML (and JSON, which is YAML) to a positioned [`Node`] tree, one document at a time.
//!
//! Built on saphyr-parser's event stream. The file is first split on document markers
//! (`---`, `...` at the start of a line) so that a broken document costs only itself: the parser
//! stops at its first error, and the other documents are still loaded.
//!
//! Scalars resolve the way Kubernetes' own YAML decoder (go-yaml v2 via sigs.k8s.io/yaml) resolves
//! them: YAML 1.1 booleans (`yes`, `on`, ...), octal `0644`, null as `~`/`null`/empty.

use kubeward_core::{Entry, Node, Pos, Str, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Limits that keep hostile input from exhausting the stack or memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences allowed.
    pub max_depth: usize,
    /// Most nodes alias expansion may create in one document (stops "billion laughs").
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 200,
            max_alias_nodes: 100_000,
        }
    }
}

/// A syntax error in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// One document of a stream: its 0-based index, the line it starts on, and its root (or error).
#[derive(Debug)]
pub struct Document {
    pub index: u32,
    pub line: u32,
    pub root: Result<Node, SyntaxError>,
}

/// Splits `text` into documents and parses each. Empty documents (only comments or blank) are
/// skipped and not counted.
pub fn parse_stream(text: &str, limits: &Limits) -> Vec<Document> {
    let mut docs = Vec::new();
    each_document(text, false, limits, &mut |d| docs.push(d));
    docs
}

/// The root of a config file (`kubeward.yaml`, the audit config): its one document, which must
/// be a mapping. `Ok(None)` for an empty file or a null document; the error is the position
/// and what was wrong.
pub fn config_root(text: &str) -> Result<Option<Node>, (Pos, String)> {
    let Some(doc) = parse_single(text, &Limits::default()).pop() else {
        return Ok(None);
    };
    let root = doc.root.map_err(|e| (e.pos, e.message))?;
    if root.is_null() {
        return Ok(None);
    }
    if !root.is_map() {
        return Err((
            root.pos,
            format!("expected a mapping, found {}", root.type_name()),
        ));
    }
    Ok(Some(root))
}

/// Parses a whole input as one document (JSON files).
pub fn parse_single(text: &str, limits: &Limits) -> Vec<Document> {
    let mut docs = Vec::new();
    each_document(text, true, limits, &mut |d| docs.push(d));
    docs
}

/// Parses `text` document by document, handing each to `emit` as soon as it is built, so a
/// large file never holds more than one document's tree. `single` parses the whole text as
/// one document (JSON).
pub fn each_document(text: &str, single: bool, limits: &Limits, emit: &mut dyn FnMut(Document)) {
    if single {
        if !is_blank_document(text) {
            parse_chunk(text, 0, 0, limits, emit);
        }
        return;
    }
    let mut index = 0u32;
    for (start_line, chunk) in split_documents(text) {
        if is_blank_document(chunk) {
            continue;
        }
        index += parse_chunk(chunk, start_line, index, limits, emit);
    }
}

/// Parses one chunk; returns how many documents it held (normally one).
fn parse_chunk(
    chunk: &str,
    line_offset: u32,
    index: u32,
    limits: &Limits,
    emit: &mut dyn FnMut(Document),
) -> u32 {
    if let Some(root) = crate::fast::parse(chunk, line_offset, limits.max_depth) {
        emit(Document {
            index,
            line: root.pos.line,
            root: Ok(root),
        });
        return 1;
    }
    saphyr_chunk(chunk, line_offset, index, limits, emit)
}

/// Parses `chunk` (starting on 0-based line `line_offset` of its file) as exactly one
/// document.
pub fn parse_one(chunk: &str, line_offset: u32, limits: &Limits) -> Result<Node, SyntaxError> {
    let mut docs = Vec::new();
    parse_chunk(chunk, line_offset, 0, limits, &mut |d| docs.push(d));
    let mut docs = docs.into_iter();
    match (docs.next(), docs.next()) {
        (Some(d), None) => d.root,
        (Some(_), Some(extra)) => Err(SyntaxError {
            pos: extra.root.map_or_else(|e| e.pos, |n| n.pos),
            message: "expected one JSON value per snapshot item".into(),
        }),
        (None, _) => Err(SyntaxError {
            pos: Pos::new(line_offset + 1, 1),
            message: "empty snapshot item".into(),
        }),
    }
}

/// The complete parser (saphyr), for what the fast path declines. Exposed for differential tests.
pub fn parse_with_saphyr(chunk: &str, line_offset: u32, limits: &Limits) -> Option<Node> {
    let mut docs = Vec::new();
    saphyr_chunk(chunk, line_offset, 0, limits, &mut |d| docs.push(d));
    match docs.len() {
        1 => docs.pop().and_then(|d| d.root.ok()),
        _ => None,
    }
}

/// Parses a chunk with the fast path only (`None` when it declines). Exposed for differential
/// tests and benchmarks.
pub fn parse_fast(chunk: &str, line_offset: u32, limits: &Limits) -> Option<Node> {
    crate::fast::parse(chunk, line_offset, limits.max_depth)
}

/// Splits text into `(line offset, chunk)` document pieces, as the loader does.
pub fn document_chunks(text: &str) -> Vec<(u32, &str)> {
    split_documents(text).collect()
}

fn saphyr_chunk(
    chunk: &str,
    line_offset: u32,
    index: u32,
    limits: &Limits,
    emit: &mut dyn FnMut(Document),
) -> u32 {
    let mut builder = Builder::new(line_offset, limits);
    let mut count = 0;
    for event in Parser::new_from_str(chunk) {
        let result = match event {
            Ok((ev, span)) => builder.event(ev, span),
            Err(e) => {
                let m = e.marker();
                Err(SyntaxError {
                    pos: builder.pos_at(m.line(), m.col()),
                    message: e.info().to_string(),
                })
            }
        };
        match result {
            Ok(Some(root)) => {
                // A chunk normally holds one document; number any extra ones after it.
                emit(Document {
                    index: index + count,
                    line: root.pos.line,
                    root: Ok(root),
                });
                count += 1;
            }
            Ok(None) => {}
            Err(err) => {
                emit(Document {
                    index: index + count,
                    line: err.pos.line,
                    root: Err(err),
                });
                return count + 1;
            }
        }
    }
    count.max(1)
}

/// Yields `(line offset, chunk)` for each `---`/`...` separated piece of `text`.
fn split_documents(text: &str) -> impl Iterator<Item = (u32, &str)> {
    let bytes = text.as_bytes();
    let mut starts: Vec<(usize, u32)> = vec![(0, 0)];
    let mut line = 0u32;
    let mut at = 0usize;
    while at < bytes.len() {
        if at > 0 && is_marker_line(&bytes[at..]) {
            starts.push((at, line));
        }
        match memchr_newline(&bytes[at..]) {
            Some(n) => {
                at += n + 1;
                line += 1;
            }
            None => break,
        }
    }
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|s| s.0)
        .chain([text.len()])
        .collect();
    starts
        .into_iter()
        .zip(ends)
        .map(move |((start, line), end)| (line, &text[start..end]))
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
}

fn is_marker_line(b: &[u8]) -> bool {
    (b.starts_with(b"---") || b.starts_with(b"..."))
        && matches!(b.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

fn is_blank_document(chunk: &str) -> bool {
    chunk.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..." || t.starts_with("--- #")
    })
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
        /// Values of `<<` merge keys, applied when the mapping ends.
        merges: Vec<Node>,
        /// Keys seen, once the mapping is too large for a linear duplicate check.
        seen: Option<HashSet<Str>>,
    },
}

struct Builder<'l> {
    line_offset: u32,
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    root: Option<Node>,
}

const LINEAR_DUP_CHECK: usize = 16;

impl<'l> Builder<'l> {
    fn new(line_offset: u32, limits: &'l Limits) -> Self {
        Builder {
            line_offset,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
        }
    }

    fn pos_at(&self, line: usize, col: usize) -> Pos {
        Pos::new(
            (line as u32).saturating_add(self.line_offset),
            (col as u32).saturating_add(1),
        )
    }

    fn pos(&self, span: &Span) -> Pos {
        self.pos_at(span.start.line(), span.start.col())
    }

    /// Feeds one event; returns a finished document root when one ends.
    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<Option<Node>, SyntaxError> {
        let pos = self.pos(&span);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if anchor == 0
                    && let Some(Frame::Map {
                        key: key @ None, ..
                    }) = self.stack.last_mut()
                {
                    // A mapping key: kept as written, never resolved.
                    *key = Some((text.into_owned(), pos));
                    return self.check_duplicate(pos);
                }
                let node = Node::new(pos, resolve(text, style, tag.as_deref()));
                self.deliver(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.enter(pos)?;
                self.stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                self.enter(pos)?;
                self.stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                    seen: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => {
                        (Node::new(pos, Value::Seq(items)), anchor)
                    }
                    Some(Frame::Map {
                        pos,
                        anchor,
                        mut entries,
                        merges,
                        ..
                    }) => {
                        apply_merges(&mut entries, merges, pos)?;
                        (Node::new(pos, Value::Map(entries)), anchor)
                    }
                    None => return Ok(None),
                };
                self.deliver(node, anchor)?;
            }
            Event::Alias(id) => {
                let node = match self.anchors.get(&id) {
                    Some(n) => n.clone(),
                    None => {
                        return Err(SyntaxError {
                            pos,
                            message: "alias refers to an unknown anchor".into(),
                        });
                    }
                };
                self.alias_nodes += node.count();
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                            self.limits.max_alias_nodes
                        ),
                    });
                }
                self.deliver(node, 0)?;
            }
            Event::DocumentEnd => {
                self.anchors.clear();
                self.alias_nodes = 0;
                return Ok(Some(
                    self.root
                        .take()
                        .unwrap_or_else(|| Node::new(pos, Value::Null)),
                ));
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {}
        }
        Ok(None)
    }

    fn enter(&self, pos: Pos) -> Result<(), SyntaxError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(SyntaxError {
                pos,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        Ok(())
    }

    /// Rejects a key already present in the mapping being built (Kubernetes rejects them too).
    fn check_duplicate(&mut self, pos: Pos) -> Result<Option<Node>, SyntaxError> {
        let Some(Frame::Map {
            entries, key, seen, ..
        }) = self.stack.last_mut()
        else {
            return Ok(None);
        };
        let Some((k, _)) = key else { return Ok(None) };
        if k == "<<" {
            return Ok(None);
        }
        let first = if entries.len() < LINEAR_DUP_CHECK {
            entries.iter().find(|e| e.key == *k).map(|e| e.key_pos)
        } else {
            let set = seen.get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
            if set.insert(Str::from(k.as_str())) {
                None
            } else {
                entries.iter().find(|e| e.key == *k).map(|e| e.key_pos)
            }
        };
        match first {
            Some(first) => Err(SyntaxError {
                pos,
                message: format!(
                    "duplicate key `{k}` in mapping (first at line {})",
                    first.line
                ),
            }),
            None => Ok(None),
        }
    }

    fn deliver(&mut self, node: Node, anchor: usize) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merges,
                seen,
                ..
            }) => match key.take() {
                Some((k, _)) if k == "<<" => merges.push(node),
                Some((k, key_pos)) => {
                    if let Some(set) = seen {
                        set.insert(Str::from(k.as_str()));
                    }
                    entries.push(Entry {
                        key: Str::from(k),
                        key_pos,
                        value: node,
                    });
                }
                None => {
                    // A key that is not a plain scalar: anchored scalar, or a collection.
                    let pos = node.pos;
                    match node.scalar_text() {
                        Some(text) => {
                            *key = Some((text, pos));
                            self.check_duplicate(pos)?;
                        }
                        None => {
                            return Err(SyntaxError {
                                pos,
                                message: format!(
                                    "a mapping key must be a string, found {}",
                                    node.type_name()
                                ),
                            });
                        }
                    }
                }
            },
        }
        Ok(())
    }
}

/// Applies YAML merge keys (`<<: *base`, `<<: [*a, *b]`): keys written in the mapping win.
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>, pos: Pos) -> Result<(), SyntaxError> {
    for merge in merges {
        let sources: Vec<&Node> = match &merge.value {
            Value::Map(_) => vec![&merge],
            Value::Seq(items) => items.iter().collect(),
            _ => {
                return Err(SyntaxError {
                    pos: merge.pos,
                    message: "a merge key `<<` needs a mapping or a list of mappings".into(),
                });
            }
        };
        for src in sources {
            if !src.is_map() {
                return Err(SyntaxError {
                    pos,
                    message: "a merge key `<<` needs a mapping or a list of mappings".into(),
                });
            }
            let mut present: HashSet<Str> = entries.iter().map(|e| e.key.clone()).collect();
            for e in src.entries() {
                if present.insert(e.key.clone()) {
                    entries.push(e.clone());
                }
            }
        }
    }
    Ok(())
}

/// Resolves a scalar to a value the way Kubernetes' YAML decoder does.
fn resolve(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag
        && tag.handle == "tag:yaml.org,2002:"
    {
        match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => return Value::Str(Str::from(text)),
            "null" => return Value::Null,
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return Value::Str(Str::from(text));
    }
    match resolve_plain_value(&text) {
        Some(v) => v,
        None => Value::Str(Str::from(text)),
    }
}

/// Resolves a plain scalar's text.
pub(crate) fn resolve_plain(text: &str) -> Value {
    resolve_plain_value(text).unwrap_or_else(|| Value::Str(Str::from(text)))
}

/// The non-string value a plain scalar resolves to, if any.
fn resolve_plain_value(t: &str) -> Option<Value> {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Some(Value::Bool(true));
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Some(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let first = *t.as_bytes().first()?;
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        return resolve_number(t);
    }
    None
}

fn resolve_number(t: &str) -> Option<Value> {
    let (neg, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = |v: i64| if neg { -v } else { v };
    // Digits only: `from_str_radix` alone would take a sign (`0x-5`).
    let radix = |s: &str, r: u32| {
        if s.is_empty() || !s.chars().all(|c| c.is_digit(r)) {
            return None;
        }
        i64::from_str_radix(s, r).ok().map(|v| Value::Int(sign(v)))
    };
    if let Some(hex) = digits.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return radix(oct, 8);
    }
    if digits.is_empty() {
        return None;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b < b'8') {
            return radix(digits, 8);
        }
        return match digits.parse::<i64>() {
            Ok(v) => Some(Value::Int(sign(v))),
            Err(_) => digits
                .parse::<f64>()
                .ok()
                .map(|f| Value::Float(if neg { -f } else { f })),
        };
    }
    // Floats: digits with one dot and/or an exponent; nothing else (no `1_000`, no `inf`).
    let valid = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if valid {
        t.parse::<f64>().ok().map(Value::Float)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_stream(text, &Limits::default());
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0).root.expect("parses")
    }

    fn err(text: &str) -> SyntaxError {
        let docs = parse_stream(text, &Limits::default());
        docs.into_iter()
            .find_map(|d| d.root.err())
            .expect("an error")
    }

    #[test]
    fn scalars_resolve_like_kubernetes() {
        let n = one(
            "a: yes\nb: 'yes'\nc: 0644\nd: 1.5\ne: ~\nf: 12\ng: 1e3\nh: 0x1F\ni: -3\nj: 1.2.3\nk: 08\n",
        );
        assert_eq!(n.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("b").unwrap().as_str(), Some("yes"));
        assert_eq!(n.get("c").unwrap().as_i64(), Some(420));
        assert_eq!(n.get("d").unwrap().value, Value::Float(1.5));
        assert!(n.get("e").is_none());
        assert_eq!(n.get("f").unwrap().as_i64(), Some(12));
        assert_eq!(n.get("g").unwrap().value, Value::Float(1000.0));
        assert_eq!(n.get("h").unwrap().as_i64(), Some(31));
        assert_eq!(n.get("i").unwrap().as_i64(), Some(-3));
        assert_eq!(n.get("j").unwrap().as_str(), Some("1.2.3"));
        assert_eq!(n.get("k").unwrap().as_i64(), Some(8));
    }

    #[test]
    fn positions_are_one_based_and_offset_per_document() {
        let docs = parse_stream(
            "a: 1\n---\n# c\nkind: Pod\nspec:\n  x: [1, 2]\n",
            &Limits::default(),
        );
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].index, 1);
        let n = docs[1].root.as_ref().unwrap();
        let kind = n.entry("kind").unwrap();
        assert_eq!(kind.key_pos, Pos::new(4, 1));
        let x = n.path(&["spec", "x"]).unwrap();
        assert_eq!(
            n.path(&["spec"]).unwrap().entry("x").unwrap().key_pos,
            Pos::new(6, 3)
        );
        assert_eq!(x.items()[1].pos, Pos::new(6, 10));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = err("a: 1\nb: 2\na: 3\n");
        assert_eq!(e.pos, Pos::new(3, 1));
        assert!(e.message.contains("duplicate key `a`"), "{}", e.message);
        // Large mappings take the hashed path.
        let mut big = String::new();
        for i in 0..40 {
            big.push_str(&format!("k{i}: v\n"));
        }
        big.push_str("k7: again\n");
        assert_eq!(err(&big).pos, Pos::new(41, 1));
    }

    #[test]
    fn a_broken_document_does_not_lose_the_others() {
        let docs = parse_stream("a: 1\n---\nb: [1, 2\n---\nc: 3\n", &Limits::default());
        assert_eq!(docs.len(), 3);
        assert!(docs[0].root.is_ok());
        assert!(docs[1].root.is_err());
        assert_eq!(
            docs[2].root.as_ref().unwrap().get("c").unwrap().as_i64(),
            Some(3)
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let e = err(&text);
        assert!(
            e.message.contains("nesting deeper") || e.message.contains("recursion limit"),
            "{}",
            e.message
        );
        let text = (0..5000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect::<String>();
        let e = err(&text);
        assert!(e.message.contains("nesting deeper"), "{}", e.message);
    }

    #[test]
    fn billion_laughs_is_stopped() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            s.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        assert!(err(&s).message.contains("billion laughs"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nref: *b\n");
        let d = n.get("derived").unwrap();
        assert_eq!(d.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(d.get("y").unwrap().as_i64(), Some(3));
        assert_eq!(n.path(&["ref", "y"]).unwrap().as_i64(), Some(2));
    }

    #[test]
    fn non_scalar_keys_are_errors() {
        assert!(err("? [a, b]\n: c\n").message.contains("mapping key"));
    }

    #[test]
    fn json_parses_as_one_document() {
        let docs = parse_single(
            "{\n  \"kind\": \"Pod\",\n  \"a\": [1]\n}\n",
            &Limits::default(),
        );
        let n = docs[0].root.as_ref().unwrap();
        assert_eq!(n.entry("a").unwrap().key_pos, Pos::new(3, 3));
    }

    #[test]
    fn document_markers_inside_block_scalars_are_not_split() {
        let n = one("a: |\n  ---\n  text\nb: 1\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("---\ntext\n"));
    }

    #[test]
    fn empty_documents_are_skipped() {
        let docs = parse_stream(
            "---\n# only a comment\n---\n\n---\na: 1\n",
            &Limits::default(),
        );
        assert_eq!(docs.len(), 1);
    }
}
