//! JSON pointers (RFC 6901) into a [`Node`] tree, resolved to source positions.

use crate::node::{Node, Pos, Value};

/// Escapes one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// The node at `ptr`, if every step exists.
pub fn get<'a>(root: &'a Node, ptr: &str) -> Option<&'a Node> {
    let mut node = root;
    for token in tokens(ptr) {
        node = step(node, &token)?.0;
    }
    Some(node)
}

/// Where a finding at `ptr` should point: the key of the deepest existing mapping entry on the
/// path (or the item's own position in a sequence). When a field is absent the position of its
/// nearest existing ancestor is returned, and the object's own position when nothing matches.
pub fn locate(root: &Node, ptr: &str) -> Pos {
    let mut node = root;
    let mut pos = root.pos;
    for token in tokens(ptr) {
        match step(node, &token) {
            Some((next, at)) => {
                node = next;
                if at.is_known() {
                    pos = at;
                }
            }
            None => break,
        }
    }
    pos
}

/// The reference tokens of a pointer, unescaped (allocating only for a token with a `~`).
fn tokens(ptr: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    let bytes = ptr.as_bytes();
    let mut at = if bytes.first() == Some(&b'/') {
        1
    } else {
        bytes.len() + 1
    };
    std::iter::from_fn(move || {
        if at > bytes.len() {
            return None;
        }
        let start = at;
        let mut tilde = false;
        while at < bytes.len() && bytes[at] != b'/' {
            tilde |= bytes[at] == b'~';
            at += 1;
        }
        let token = &ptr[start..at];
        at += 1;
        Some(if tilde { unescape(token) } else { token.into() })
    })
}

fn step<'a>(node: &'a Node, token: &str) -> Option<(&'a Node, Pos)> {
    match &node.value {
        Value::Map(_) => node.entry(token).map(|e| (&e.value, e.key_pos)),
        Value::Seq(items) => {
            let i: usize = token.parse().ok()?;
            items.get(i).map(|n| (n, n.pos))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Entry;

    fn at(line: u32, v: Value) -> Node {
        Node::new(Pos::new(line, 1), v)
    }

    #[test]
    fn locate_points_at_keys_and_falls_back_to_ancestor() {
        // spec:            (line 1)
        //   a/b: [x, y]    (line 2, items at 3, 4)
        let root = at(
            1,
            Value::Map(vec![Entry {
                key: "spec".into(),
                key_pos: Pos::new(1, 1),
                value: at(
                    2,
                    Value::Map(vec![Entry {
                        key: "a/b".into(),
                        key_pos: Pos::new(2, 3),
                        value: at(
                            3,
                            Value::Seq(vec![at(3, Value::Str("x".into())), at(4, Value::Null)]),
                        ),
                    }]),
                ),
            }]),
        );
        assert_eq!(locate(&root, "/spec/a~1b/1"), Pos::new(4, 1));
        assert_eq!(locate(&root, "/spec/a~1b"), Pos::new(2, 3));
        assert_eq!(locate(&root, "/spec/missing/deeper"), Pos::new(1, 1));
        assert_eq!(locate(&root, ""), Pos::new(1, 1));
        assert!(get(&root, "/spec/a~1b/0").is_some());
        assert!(get(&root, "/spec/a~1b/9").is_none());
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        let t: Vec<_> = tokens("/a/b~1c//d~0").collect();
        assert_eq!(t, ["a", "b/c", "", "d~"]);
        assert_eq!(tokens("").count(), 0);
        assert_eq!(tokens("/").collect::<Vec<_>>(), [""]);
    }
}
