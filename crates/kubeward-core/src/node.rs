//! A JSON-like value tree whose nodes carry their source position.
//!
//! Kubernetes objects arrive as YAML or JSON; rules need both the value and where each field was
//! written. Rather than keeping a side table from JSON pointer to position (a string per node),
//! every node stores its position and a pointer is resolved by walking the tree.

use std::fmt;

/// The string type of keys and string values: short strings (up to 24 bytes, nearly every key
/// and most values in a manifest) are stored inline, without a heap allocation.
pub type Str = compact_str::CompactString;

/// A 1-based line and column in a source file. `0:0` means unknown (e.g. a live object).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const UNKNOWN: Pos = Pos { line: 0, col: 0 };

    pub fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }

    pub fn is_known(self) -> bool {
        self.line != 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One value in the tree, with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// The value of a node: the JSON data model.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Str),
    Seq(Vec<Node>),
    /// Entries in source order. Keys are unique (the loader rejects duplicates).
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; `key_pos` is where the key was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Str,
    pub key_pos: Pos,
    pub value: Node,
}

static NULL_NODE: Node = Node {
    pos: Pos::UNKNOWN,
    value: Value::Null,
};

impl Node {
    pub fn new(pos: Pos, value: Value) -> Self {
        Node { pos, value }
    }

    pub fn null() -> &'static Node {
        &NULL_NODE
    }

    /// The value under `key` when this is a mapping. A `null` value counts as absent:
    /// `securityContext:` with nothing after it is the same as no `securityContext` at all.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self.entry(key) {
            Some(e) if !matches!(e.value.value, Value::Null) => Some(&e.value),
            _ => None,
        }
    }

    /// The entry for `key`, null values included.
    #[inline]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => {
                // Length and first byte first: most keys differ there, which saves a `memcmp`
                // call per entry on the rules' hottest path.
                let k = key.as_bytes();
                entries.iter().find(|e| {
                    let b = e.key.as_bytes();
                    b.len() == k.len() && b.first() == k.first() && b == k
                })
            }
            _ => None,
        }
    }

    /// Follows a path of mapping keys; `None` as soon as one is absent or null.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let mut node = self;
        for k in keys {
            node = node.get(k)?;
        }
        Some(node)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    /// True only for a boolean `true`.
    pub fn is_true(&self) -> bool {
        matches!(self.value, Value::Bool(true))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The items of a sequence; empty for anything else.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping; empty for anything else.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The value under `key` of a mapping, mutable (a null value included).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|e| e.key == key)
                .map(|e| &mut e.value),
            _ => None,
        }
    }

    /// Keeps the entries of a mapping whose key `keep` accepts; anything else is left alone.
    pub fn retain_keys(&mut self, mut keep: impl FnMut(&str) -> bool) {
        if let Value::Map(entries) = &mut self.value {
            entries.retain(|e| keep(e.key.as_str()));
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// The text of a scalar as a user wrote it (numbers and booleans formatted back).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    /// A short name for the node's type, for error messages ("a mapping", "a string").
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }

    /// Number of nodes in this subtree (this one included).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.value {
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
        n
    }

    /// Frees the spare capacity of every list and map of the tree (a tree that is kept for a
    /// while, after the loader grew its vectors).
    pub fn shrink_to_fit(&mut self) {
        match &mut self.value {
            Value::Seq(items) => {
                items.shrink_to_fit();
                items.iter_mut().for_each(Node::shrink_to_fit);
            }
            Value::Map(entries) => {
                entries.shrink_to_fit();
                entries.iter_mut().for_each(|e| e.value.shrink_to_fit());
            }
            _ => {}
        }
    }

    /// Converts to a `serde_json::Value` (positions are dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a tree from a `serde_json::Value`; every position is unknown.
    pub fn from_json(v: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::Str(s.into()),
            J::Array(a) => Value::Seq(a.iter().map(Node::from_json).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_pos: Pos::UNKNOWN,
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        };
        Node::new(Pos::UNKNOWN, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(
            Pos::new(1, 1),
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_pos: Pos::new(1, 1),
                        value: v,
                    })
                    .collect(),
            ),
        )
    }

    #[test]
    fn null_counts_as_absent() {
        let n = map(vec![(
            "securityContext",
            Node::new(Pos::new(2, 3), Value::Null),
        )]);
        assert!(n.get("securityContext").is_none());
        assert!(n.entry("securityContext").is_some());
        assert!(n.path(&["securityContext", "privileged"]).is_none());
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, 2.5, "x", null, true], "b": {"c": {}}});
        assert_eq!(Node::from_json(&j).to_json(), j);
    }
}
