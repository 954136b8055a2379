//! Snapshot files written by `kubeward snapshot` are one JSON document that can hold a whole
//! cluster. Built as one tree it would cost many times its size in memory, so a file with
//! exactly the layout kubeward writes (header fields, then `"items": [`, then each item
//! pretty-printed from a line `    {` to a line `    }`) is split into its items and each is
//! parsed on its own, with its real line numbers. Anything else (a snapshot reformatted by
//! another tool, edited by hand) is parsed as an ordinary document: same objects, more memory.
//!
//! The split is exact for JSON: a string cannot contain a raw newline, so a line that is
//! exactly `    }` or `    },` can only close an item at that indentation.

/// `(0-based line of the chunk's first line, chunk)` for each item, or `None` when `text` is not
/// laid out as kubeward writes snapshots.
pub(crate) fn split_items(text: &str) -> Option<Vec<(u32, &str)>> {
    if !text.starts_with("{\n  \"apiVersion\": \"kubeward.io/") {
        return None;
    }
    let mut lines = LineIter {
        text,
        at: 0,
        line: 0,
    };
    // Header: a few `  "key": value,` lines, one of them the kind.
    let mut snapshot_kind = false;
    let (_, _, first) = lines.next()?;
    if first != "{" {
        return None;
    }
    loop {
        let (_, _, l) = lines.next()?;
        if l == "  \"items\": [" {
            break;
        }
        if !l.starts_with("  \"") || !l.ends_with(',') {
            return None;
        }
        snapshot_kind |= l == "  \"kind\": \"Snapshot\",";
    }
    if !snapshot_kind {
        return None;
    }
    let mut items = Vec::new();
    loop {
        let (start, line, l) = lines.next()?;
        match l {
            "  ]" => break,
            "    {" => {
                let end = loop {
                    let (_, _, l) = lines.next()?;
                    match l {
                        "    }" | "    }," => break lines.at_before_newline(),
                        _ if l.starts_with("      ") || l.is_empty() => {}
                        _ => return None,
                    }
                };
                items.push((line, &text[start..end]));
            }
            _ => return None,
        }
    }
    let (_, _, close) = lines.next()?;
    if close != "}" || !text.get(lines.at..).unwrap_or("").trim().is_empty() {
        return None;
    }
    Some(items)
}

/// Lines with their byte offset and 0-based number (without `\r\n` / `\n`).
struct LineIter<'a> {
    text: &'a str,
    at: usize,
    line: u32,
}

impl<'a> LineIter<'a> {
    fn next(&mut self) -> Option<(usize, u32, &'a str)> {
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        let rest = &self.text[start..];
        let len = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
        self.at = start + len + 1;
        let line = self.line;
        self.line += 1;
        let l = &rest[..len];
        Some((start, line, l.strip_suffix('\r').unwrap_or(l)))
    }

    /// The end of the last line returned, without its line break and trailing comma.
    fn at_before_newline(&self) -> usize {
        let end = self.at.min(self.text.len());
        let mut line = &self.text[..end];
        line = line.strip_suffix('\n').unwrap_or(line);
        line = line.strip_suffix('\r').unwrap_or(line);
        line = line.strip_suffix(',').unwrap_or(line);
        line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = "{\n  \"apiVersion\": \"kubeward.io/v1alpha1\",\n  \"kind\": \"Snapshot\",\n  \"metadata\": {\"name\":\"x\"},\n  \"items\": [\n    {\n      \"a\": 1\n    },\n    {\n      \"b\": \"}\"\n    }\n  ]\n}\n";

    #[test]
    fn items_are_split_with_their_lines() {
        let items = split_items(SNAPSHOT).unwrap();
        assert_eq!(
            items,
            [
                (5, "    {\n      \"a\": 1\n    }"),
                (8, "    {\n      \"b\": \"}\"\n    }")
            ]
        );
    }

    #[test]
    fn anything_else_is_left_to_the_ordinary_parser() {
        assert!(
            split_items("{\"apiVersion\":\"kubeward.io/v1alpha1\",\"kind\":\"Snapshot\"}")
                .is_none()
        );
        assert!(split_items(&SNAPSHOT.replace("Snapshot", "List")).is_none());
        assert!(split_items(&SNAPSHOT.replace("      \"a\"", "  \"a\"")).is_none());
        assert!(split_items(&SNAPSHOT.replace("  ]\n}\n", "  ]\n}\nx")).is_none());
        assert!(split_items(&SNAPSHOT[..SNAPSHOT.len() - 10]).is_none());
        let empty = "{\n  \"apiVersion\": \"kubeward.io/v1alpha1\",\n  \"kind\": \"Snapshot\",\n  \"items\": [\n  ]\n}\n";
        assert_eq!(split_items(empty), Some(vec![]));
    }
}
