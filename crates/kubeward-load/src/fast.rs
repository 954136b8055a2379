//! A fast path for the YAML that Kubernetes manifests are made of.
//!
//! saphyr-parser is a complete YAML 1.2 parser and the speed limit of a scan. Almost every
//! manifest, though, uses a small subset: block mappings and sequences indented with spaces,
//! single-line plain and quoted scalars, single-line flow collections, and literal (`|`) block
//! scalars. This module parses exactly that subset straight into a [`Node`] tree, several times
//! faster, and gives up (`None`) at the first thing outside it — anchors, tags, folded or
//! multi-line scalars, tabs, CRLF, complex keys, anything malformed — so the caller falls back
//! to saphyr for that document. It never reports errors itself: a broken document always takes
//! the saphyr path, which produces the canonical message and position.
//!
//! Trees (values and positions) are identical to what the saphyr path builds; a differential
//! test over real manifests and mutated inputs holds both to that.

use crate::yaml::resolve_plain;
use kubeward_core::{Entry, Node, Pos, Str, Value};

/// Parses one document chunk, or `None` when it is outside the subset (or invalid).
pub(crate) fn parse(chunk: &str, line_offset: u32, max_depth: usize) -> Option<Node> {
    if !plain_text(chunk) {
        return None;
    }
    let mut p = P {
        s: chunk.as_bytes(),
        src: chunk,
        at: 0,
        line: 0,
        line_start: 0,
        eol: memchr::memchr(b'\n', chunk.as_bytes()).unwrap_or(chunk.len()),
        line_offset,
        depth: 0,
        max_depth,
    };
    p.document()
}

/// Rejects what the subset never handles: tabs, CR, control and non-printable characters,
/// byte-order marks and Unicode line separators.
fn plain_text(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f) {
        return false;
    }
    if bytes.is_ascii() {
        return true;
    }
    !s.chars().any(|c| {
        ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(
                c,
                '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}'
            )
    })
}

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    /// Cursor: always at the start of a line between structural steps.
    at: usize,
    /// 0-based line of the cursor within the chunk.
    line: u32,
    line_start: usize,
    /// End of the cursor's line (index of its `\n`, or the input's length).
    eol: usize,
    line_offset: u32,
    depth: usize,
    max_depth: usize,
}

impl<'a> P<'a> {
    fn pos(&self, idx: usize) -> Pos {
        let before = &self.src[self.line_start..idx];
        let col = if before.is_ascii() {
            before.len()
        } else {
            before.chars().count()
        };
        Pos::new(self.line_offset + self.line + 1, col as u32 + 1)
    }

    /// The end of the line holding `from` (the cursor's line is cached).
    fn line_end(&self, from: usize) -> usize {
        if from >= self.line_start && from <= self.eol {
            return self.eol;
        }
        memchr::memchr(b'\n', &self.s[from..]).map_or(self.s.len(), |n| from + n)
    }

    /// Moves the cursor to the start of the next line.
    fn next_line(&mut self) {
        let end = self.eol;
        if end < self.s.len() {
            self.at = end + 1;
            self.line += 1;
        } else {
            self.at = self.s.len();
        }
        self.line_start = self.at;
        self.eol = memchr::memchr(b'\n', &self.s[self.at..]).map_or(self.s.len(), |n| self.at + n);
    }

    /// Skips blank and comment-only lines; returns the indentation and content index of the
    /// next line with content, leaving the cursor at its start. `None` at the end.
    fn peek(&mut self) -> Option<(usize, usize)> {
        while self.at < self.s.len() {
            let mut i = self.at;
            while i < self.s.len() && self.s[i] == b' ' {
                i += 1;
            }
            if i < self.s.len() && self.s[i] != b'\n' && self.s[i] != b'#' {
                return Some((i - self.at, i));
            }
            self.next_line();
        }
        None
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    fn document(&mut self) -> Option<Node> {
        let (_, i) = self.peek()?;
        if self.s[i..].starts_with(b"...") {
            return None; // document end marker: saphyr decides what follows it
        }
        if self.s[i..].starts_with(b"---") {
            if i != self.at {
                return None;
            }
            let rest = self.rest_is_blank(i + 3, true)?;
            debug_assert!(rest);
            self.next_line();
        }
        let (indent, i) = self.peek()?;
        let root = self.block_at(indent, i)?;
        // Nothing but blank lines and comments may follow the root.
        if self.peek().is_some() {
            return None;
        }
        Some(root)
    }

    /// `Some(true)` when only spaces and an optional comment follow `from` on its line.
    /// `need_space` requires a space before a `#`.
    fn rest_is_blank(&self, from: usize, need_space: bool) -> Option<bool> {
        let end = self.line_end(from);
        let mut i = from;
        while i < end && self.s[i] == b' ' {
            i += 1;
        }
        if i == end {
            return Some(true);
        }
        if self.s[i] == b'#' && (i > from || !need_space || from == 0 || self.s[from - 1] == b' ') {
            return Some(true);
        }
        None
    }

    fn is_dash_item(&self, i: usize) -> bool {
        self.s[i] == b'-' && matches!(self.s.get(i + 1), None | Some(b' ' | b'\n'))
    }

    /// A block node whose first line has content at `i`, indented by `indent`.
    fn block_at(&mut self, indent: usize, i: usize) -> Option<Node> {
        if self.is_dash_item(i) {
            self.sequence(indent, false)
        } else if self.key_end(i).is_some() {
            self.mapping(indent, None)
        } else {
            None
        }
    }

    /// If a mapping key starts at `i`, returns (key, index of its colon).
    fn key_end(&self, i: usize) -> Option<(Str, usize)> {
        let end = self.line_end(i);
        let b = self.s[i];
        if b == b'"' || b == b'\'' {
            let (key, after) = if b == b'"' {
                self.double_quoted(i, end)?
            } else {
                self.single_quoted(i, end)?
            };
            let mut j = after;
            while j < end && self.s[j] == b' ' {
                j += 1;
            }
            let colon_ok = j < end && self.s[j] == b':' && (j + 1 == end || self.s[j + 1] == b' ');
            return colon_ok.then_some((key, j));
        }
        if !plain_start(self.s, i) {
            return None;
        }
        let mut j = i;
        while j < end {
            match self.s[j] {
                b':' if j + 1 == end || self.s[j + 1] == b' ' => {
                    let key = self.src[i..j].trim_end_matches(' ');
                    return Some((Str::from(key), j));
                }
                b'#' if self.s[j - 1] == b' ' => return None,
                _ => j += 1,
            }
        }
        None
    }

    /// A block mapping at `indent`. `first` is the index of a first key that starts mid-line
    /// (a compact mapping in a sequence item: `- name: x`).
    fn mapping(&mut self, indent: usize, mut first: Option<usize>) -> Option<Node> {
        self.enter()?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen = KeySet::default();
        let mut map_pos = None;
        loop {
            let i = match first.take() {
                Some(i) => i,
                None => match self.peek() {
                    Some((n, i)) if n == indent => i,
                    Some((n, _)) if n > indent => return None,
                    _ => break,
                },
            };
            let (key, colon) = self.key_end(i)?;
            if key == "<<" || !seen.insert(&entries, &key) {
                return None;
            }
            let key_pos = self.pos(i);
            map_pos.get_or_insert(key_pos);
            let value = self.value_after(colon + 1, colon, indent)?;
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
        }
        self.depth -= 1;
        Some(Node::new(map_pos?, Value::Map(entries)))
    }

    /// The value of a mapping entry whose colon is at `colon`, in a mapping at `indent`.
    fn value_after(&mut self, from: usize, colon: usize, indent: usize) -> Option<Node> {
        if self.rest_is_blank(from, true).is_some() {
            let null_pos = self.pos(colon);
            self.next_line();
            return match self.peek() {
                Some((n, i)) if n > indent => self.block_at(n, i),
                Some((n, i)) if n == indent && self.is_dash_item(i) => self.sequence(n, true),
                _ => Some(Node::new(null_pos, Value::Null)),
            };
        }
        let mut i = from;
        while self.s[i] == b' ' {
            i += 1;
        }
        self.inline_value(i, indent)
    }

    /// A block sequence at `indent`. An indentless sequence (`key:` then `- x` at the key's
    /// indentation) is positioned after its first dash, as saphyr reports it.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<Node> {
        self.enter()?;
        let mut items = Vec::new();
        let mut seq_pos = None;
        loop {
            let i = match self.peek() {
                Some((n, i)) if n == indent && self.is_dash_item(i) => i,
                Some((n, _)) if n > indent => return None,
                _ => break,
            };
            // saphyr positions an indentless sequence just after its first dash and spaces.
            let after_dash = skip_spaces(self.s, i + 1, self.line_end(i));
            if indentless {
                if items.is_empty() && self.s.get(after_dash) == Some(&b'#') {
                    return None; // saphyr places this sequence after the comment
                }
                seq_pos.get_or_insert(self.pos(after_dash));
            } else {
                seq_pos.get_or_insert(self.pos(i));
            }
            let item = if self.rest_is_blank(i + 1, true).is_some() {
                // saphyr places a null item after a trailing comment, at the end of the line.
                let null_pos = if self.s.get(after_dash) == Some(&b'#') {
                    self.pos(self.eol)
                } else {
                    self.pos(after_dash)
                };
                self.next_line();
                match self.peek() {
                    Some((n, j)) if n > indent => self.block_at(n, j)?,
                    _ => Node::new(null_pos, Value::Null),
                }
            } else {
                let j = after_dash;
                if self.is_dash_item(j) {
                    return None; // `- - x`: nested compact sequences
                }
                if self.key_end(j).is_some() {
                    let col = j - self.line_start;
                    if !self.src[self.line_start..j].is_ascii() {
                        return None;
                    }
                    self.mapping(col, Some(j))?
                } else {
                    self.inline_value(j, indent)?
                }
            };
            items.push(item);
        }
        self.depth -= 1;
        Some(Node::new(seq_pos?, Value::Seq(items)))
    }

    /// A value that starts on the current line at `i` (not a nested block). Leaves the cursor
    /// at the start of the next line to parse.
    fn inline_value(&mut self, i: usize, indent: usize) -> Option<Node> {
        let end = self.line_end(i);
        let (node, after) = match self.s[i] {
            b'|' => return self.literal(i, end, indent),
            b'"' => {
                let (s, after) = self.double_quoted(i, end)?;
                (Node::new(self.pos(i), Value::Str(s)), after)
            }
            b'\'' => {
                let (s, after) = self.single_quoted(i, end)?;
                (Node::new(self.pos(i), Value::Str(s)), after)
            }
            b'[' | b'{' => {
                let (node, after) = self.flow(i, end)?;
                (node, after)
            }
            _ => {
                if !plain_start(self.s, i) {
                    return None;
                }
                let mut j = i;
                let mut stop = end;
                while j < end {
                    match self.s[j] {
                        b':' if j + 1 == end || self.s[j + 1] == b' ' => return None,
                        b'#' if self.s[j - 1] == b' ' => {
                            stop = j;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let text = self.src[i..stop].trim_end_matches(' ');
                (Node::new(self.pos(i), resolve_plain(text)), end)
            }
        };
        self.rest_is_blank(after, true)?;
        self.next_line();
        // A deeper line after an inline value would continue it (multi-line scalar) or be an
        // error: either way, not ours.
        if let Some((n, _)) = self.peek()
            && n > indent
        {
            return None;
        }
        Some(node)
    }

    /// A literal block scalar (`|`, `|-`, `|+`) whose indicator is at `i`.
    fn literal(&mut self, i: usize, end: usize, indent: usize) -> Option<Node> {
        let (keep, strip) = match self.s.get(i + 1) {
            Some(b'+') => (true, false),
            Some(b'-') => (false, true),
            _ => (false, false),
        };
        let header_end = if keep || strip { i + 2 } else { i + 1 };
        if header_end < end && self.s[header_end] != b' ' {
            return None; // indentation indicator or junk
        }
        self.rest_is_blank(header_end, true)?;
        self.next_line();
        // Find the content indentation from the first non-empty line.
        let mut lines: Vec<&str> = Vec::new();
        let mut leading_max = 0;
        let mut block_indent = None;
        let mut pos = None;
        while self.at < self.s.len() {
            let e = self.line_end(self.at);
            let line = &self.src[self.at..e];
            let spaces = line.bytes().take_while(|&b| b == b' ').count();
            let blank = spaces == line.len();
            match block_indent {
                None if blank => {
                    leading_max = leading_max.max(spaces);
                    lines.push("");
                }
                None => {
                    if spaces <= indent || spaces < leading_max {
                        return None; // empty scalar, or an indentation error
                    }
                    block_indent = Some(spaces);
                    pos = Some(Pos::new(
                        self.line_offset + self.line + 1,
                        spaces as u32 + 1,
                    ));
                    lines.push(&line[spaces..]);
                }
                Some(n) if blank => lines.push(if spaces > n { &line[n..] } else { "" }),
                Some(n) if spaces >= n => lines.push(&line[n..]),
                Some(_) => break,
            }
            if self.eol == self.s.len() && !line.is_empty() {
                return None; // a last line without a newline: saphyr's chomping differs
            }
            self.next_line();
        }
        let pos = pos?;
        let last = lines.iter().rposition(|l| !l.is_empty())?;
        let trailing = lines.len() - 1 - last;
        let mut text = lines[..=last].join("\n");
        if !strip {
            text.push('\n');
        }
        if keep {
            for _ in 0..trailing {
                text.push('\n');
            }
        }
        Some(Node::new(pos, Value::Str(Str::from(text))))
    }

    /// A single-line flow collection starting at `i`; returns it and the index after it.
    fn flow(&mut self, i: usize, end: usize) -> Option<(Node, usize)> {
        self.enter()?;
        let open = self.s[i];
        let close = if open == b'[' { b']' } else { b'}' };
        let pos = self.pos(i);
        let mut j = skip_spaces(self.s, i + 1, end);
        if j >= end {
            return None; // unclosed at the end of the line
        }
        let mut items = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen = KeySet::default();
        if j < end && self.s[j] == close {
            j += 1;
        } else {
            loop {
                if open == b'{' {
                    let key_pos = self.pos(j);
                    let (key_node, after) = self.flow_scalar(j, end, true)?;
                    let key = match key_node.value {
                        Value::Str(s) => s,
                        _ => Str::from(key_node.scalar_text()?),
                    };
                    let k = skip_spaces(self.s, after, end);
                    if k >= end || self.s[k] != b':' {
                        return None;
                    }
                    let v = skip_spaces(self.s, k + 1, end);
                    if v >= end || matches!(self.s[v], b',' | b'}') {
                        return None;
                    }
                    let (value, after) = self.flow_item(v, end)?;
                    if !seen.insert(&entries, &key) {
                        return None;
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        value,
                    });
                    j = skip_spaces(self.s, after, end);
                } else {
                    let (item, after) = self.flow_item(j, end)?;
                    items.push(item);
                    j = skip_spaces(self.s, after, end);
                    if j < end && self.s[j] == b':' {
                        return None; // single-pair mapping inside a sequence
                    }
                }
                if j >= end {
                    return None;
                }
                if self.s[j] == close {
                    j += 1;
                    break;
                }
                if self.s[j] != b',' {
                    return None;
                }
                j = skip_spaces(self.s, j + 1, end);
                if j >= end || self.s[j] == close {
                    return None; // trailing comma
                }
            }
        }
        self.depth -= 1;
        let value = if open == b'[' {
            Value::Seq(items)
        } else {
            Value::Map(entries)
        };
        Some((Node::new(pos, value), j))
    }

    fn flow_item(&mut self, i: usize, end: usize) -> Option<(Node, usize)> {
        match self.s[i] {
            b'[' | b'{' => self.flow(i, end),
            _ => self.flow_scalar(i, end, false),
        }
    }

    /// A scalar inside a flow collection: quoted, or plain up to `,[]{}`, ` #` or `: `.
    fn flow_scalar(&self, i: usize, end: usize, key: bool) -> Option<(Node, usize)> {
        let pos = self.pos(i);
        match self.s[i] {
            b'"' => {
                let (s, after) = self.double_quoted(i, end)?;
                Some((Node::new(pos, Value::Str(s)), after))
            }
            b'\'' => {
                let (s, after) = self.single_quoted(i, end)?;
                Some((Node::new(pos, Value::Str(s)), after))
            }
            b'[' | b']' | b'{' | b'}' | b',' => None,
            _ => {
                if !plain_start(self.s, i) {
                    return None;
                }
                let mut j = i;
                while j < end {
                    match self.s[j] {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b':' => {
                            if key && matches!(self.s.get(j + 1), Some(b' ' | b',' | b'}' | b']')) {
                                break;
                            }
                            return None;
                        }
                        b'#' if self.s[j - 1] == b' ' => return None,
                        _ => j += 1,
                    }
                }
                let text = self.src[i..j].trim_end_matches(' ');
                if text.is_empty() {
                    return None;
                }
                let value = if key {
                    Value::Str(Str::from(text))
                } else {
                    resolve_plain(text)
                };
                Some((Node::new(pos, value), j))
            }
        }
    }

    /// A single-line double-quoted scalar at `i`; returns the text and the index after it.
    fn double_quoted(&self, i: usize, end: usize) -> Option<(Str, usize)> {
        let mut out = Str::default();
        let mut j = i + 1;
        let mut run = j;
        while j < end {
            match self.s[j] {
                b'"' => {
                    out.push_str(&self.src[run..j]);
                    return Some((out, j + 1));
                }
                b'\\' => {
                    out.push_str(&self.src[run..j]);
                    let e = *self.s.get(j + 1)?;
                    if j + 1 >= end {
                        return None;
                    }
                    let simple = match e {
                        b'0' => Some('\0'),
                        b'a' => Some('\x07'),
                        b'b' => Some('\x08'),
                        b't' => Some('\t'),
                        b'n' => Some('\n'),
                        b'v' => Some('\x0b'),
                        b'f' => Some('\x0c'),
                        b'r' => Some('\r'),
                        b'e' => Some('\x1b'),
                        b' ' => Some(' '),
                        b'"' => Some('"'),
                        b'/' => Some('/'),
                        b'\\' => Some('\\'),
                        b'N' => Some('\u{85}'),
                        b'_' => Some('\u{a0}'),
                        b'L' => Some('\u{2028}'),
                        b'P' => Some('\u{2029}'),
                        _ => None,
                    };
                    if let Some(c) = simple {
                        out.push(c);
                        j += 2;
                    } else {
                        let digits = match e {
                            b'x' => 2,
                            b'u' => 4,
                            b'U' => 8,
                            _ => return None,
                        };
                        let hex = self.src.get(j + 2..j + 2 + digits)?;
                        if j + 2 + digits > end || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                        j += 2 + digits;
                    }
                    run = j;
                }
                _ => j += 1,
            }
        }
        None
    }

    /// A single-line single-quoted scalar at `i` (`''` is a quote).
    fn single_quoted(&self, i: usize, end: usize) -> Option<(Str, usize)> {
        let mut out = Str::default();
        let mut j = i + 1;
        let mut run = j;
        while j < end {
            if self.s[j] == b'\'' {
                out.push_str(&self.src[run..j]);
                if self.s.get(j + 1) == Some(&b'\'') && j + 1 < end {
                    out.push('\'');
                    j += 2;
                    run = j;
                    continue;
                }
                return Some((out, j + 1));
            }
            j += 1;
        }
        None
    }
}

/// Duplicate-key detection: a linear scan for small mappings, a hash set for wide ones.
#[derive(Default)]
struct KeySet(Option<std::collections::HashSet<Str>>);

impl KeySet {
    /// Records `key`; false if the mapping already has it.
    fn insert(&mut self, entries: &[Entry], key: &str) -> bool {
        if self.0.is_none() && entries.len() < 16 {
            return !entries.iter().any(|e| e.key == key);
        }
        let set = self
            .0
            .get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
        set.insert(Str::from(key))
    }
}

fn skip_spaces(s: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && s[i] == b' ' {
        i += 1;
    }
    i
}

/// Can a plain scalar start at `i`? Not with an indicator, and `-?:` only before a non-space.
fn plain_start(s: &[u8], i: usize) -> bool {
    match s[i] {
        b'-' | b'?' | b':' => !matches!(s.get(i + 1), None | Some(b' ' | b'\n')),
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse_with_saphyr};

    /// The fast path must accept `text` and agree with saphyr exactly.
    fn same(text: &str) {
        let fast = parse(text, 0, 200).unwrap_or_else(|| panic!("fast path declined:\n{text}"));
        let slow = parse_with_saphyr(text, 0, &Limits::default());
        assert_eq!(Some(&fast), slow.as_ref(), "trees differ for:\n{text}");
    }

    fn declined(text: &str) {
        assert!(
            parse(text, 0, 200).is_none(),
            "fast path should decline:\n{text}"
        );
    }

    #[test]
    fn agrees_with_saphyr_on_the_common_subset() {
        same("a: 1\nb:\n  c: x\n  d:\n  e: [1, \"two\", {f: g}]\n");
        same(
            "---\n# comment\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p # trailing\n  labels: {}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    args: []\n    ports:\n    - containerPort: 80\n      name: http\n    env:\n    -\n      name: A\n  volumes:\n    - name: v\n      emptyDir: {}\n",
        );
        same(
            "data:\n  a.conf: |\n    line 1\n\n      indented\n    # not a comment\n  b: |-\n    x\n  c: |+\n    y\n\n\nz: 'it''s'\ny: \"a\\tb\\u00e9\\\"\"\n",
        );
        same("- a\n- b: 1\n  c: 2\n-\n  d: 3\n- \n- [x, y]\n");
        same("env:\n-\n  name: A\nx:\n-\ny:\n- \n  - a\nz:\n-   \n-  q\n");
        same("a:\n  - # c\n  - x\n  -   #c  \n  - # c\n    k: v\nb: # c\nc: 1\n");
        same(
            "\"quoted key\": v\n'single': w\nurl: http://x:8080/a#frag\nn: -1\no: 0644\nb: yes\nnull_: ~\n",
        );
        same("k: café ünïcode\nmap:\n  ключ: значение\n");
    }

    #[test]
    fn declines_what_it_does_not_handle() {
        declined("a: &x 1\nb: *x\n");
        declined("a: !!str 1\n");
        declined("a: >\n  folded\n");
        declined("a: multi\n  line\n");
        declined("a:\tb\n");
        declined("a: 1\r\n");
        declined("a: 1\na: 2\n");
        declined("? complex\n: key\n");
        declined("a: [1,\n  2]\n");
        declined("a: \"open\n  quote\"\n");
        declined("<<: {a: 1}\n");
        declined("a: b: c\n");
        declined("- - nested\n");
        declined("a: |2\n   x\n");
        declined("just a scalar\n");
        declined("{\"json\": true}\n");
        declined("a: [1, 2,]\n");
        declined("a: \x07\n");
    }

    #[test]
    fn depth_limit_declines() {
        let deep: String = (0..300)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect::<String>()
            + &" ".repeat(300)
            + "b: 1\n";
        assert!(parse(&deep, 0, 200).is_none());
    }
}
