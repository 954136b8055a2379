//! Configuration files (YAML or JSON) parsed with kubeward's loader, positions kept.

use crate::error::Problem;
use crate::fsroot::Root;
use kubeward_core::Node;
use kubeward_load::yaml::{Limits, each_document};

/// The first document of a YAML or JSON file. A syntax error is a [`Problem`] with its line
/// and column; an empty file is one too.
pub fn parse_text(path: &str, text: &str) -> Result<Node, Problem> {
    let single = path.ends_with(".json");
    let mut first: Option<Result<Node, Problem>> = None;
    each_document(text, single, &Limits::default(), &mut |doc| {
        if first.is_none() {
            first = Some(doc.root.map_err(|e| {
                Problem::new(
                    path,
                    e.pos.line,
                    e.pos.col,
                    format!("invalid YAML: {}", e.message),
                )
            }));
        }
    });
    first.unwrap_or_else(|| Err(Problem::file(path, "empty file: expected a YAML document")))
}

/// Reads and parses a file of the node.
pub fn parse_file(root: &Root, path: &str) -> Result<Node, Problem> {
    let text = root.read(path)?;
    parse_text(path, &text)
}

/// Checks `kind` (and the API group of `apiVersion`) of a configuration document.
pub fn expect_kind(path: &str, doc: &Node, kind: &str, groups: &[&str]) -> Result<(), Problem> {
    if !doc.is_map() {
        return Err(Problem::new(
            path,
            doc.pos.line,
            doc.pos.col,
            format!("expected a {kind} mapping, found {}", doc.type_name()),
        ));
    }
    let found = doc.get("kind").and_then(Node::as_str);
    if found != Some(kind) {
        let at = doc.get("kind").map_or(doc.pos, |n| n.pos);
        return Err(Problem::new(
            path,
            at.line,
            at.col,
            format!(
                "expected kind {kind}, found {}",
                found.map_or_else(|| "no kind".to_string(), |k| format!("kind {k}"))
            ),
        ));
    }
    if !groups.is_empty() {
        let api = doc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        if !groups.contains(&group) {
            let at = doc.get("apiVersion").map_or(doc.pos, |n| n.pos);
            return Err(Problem::new(
                path,
                at.line,
                at.col,
                format!(
                    "expected apiVersion {}/..., found `{api}`",
                    groups.first().copied().unwrap_or("")
                ),
            ));
        }
    }
    Ok(())
}

/// Text of a scalar, sequence items joined with `,`, mapping entries as `k=v` joined with `,`.
pub fn text_of(node: &Node) -> String {
    if let Some(s) = node.scalar_text() {
        return s;
    }
    if !node.items().is_empty() {
        return node
            .items()
            .iter()
            .filter_map(Node::scalar_text)
            .collect::<Vec<_>>()
            .join(",");
    }
    node.entries()
        .iter()
        .map(|e| format!("{}={}", e.key, e.value.scalar_text().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_positions() {
        let e = parse_text("/etc/x.yaml", "a: 1\nb: [\n").unwrap_err();
        assert_eq!(e.file, "/etc/x.yaml");
        assert!(e.line >= 2, "{e}");
        let e = parse_text("/etc/x.yaml", "# only a comment\n").unwrap_err();
        assert!(e.message.contains("empty"));
        let doc = parse_text("/k.json", "{\"kind\": \"Pod\", \"apiVersion\": \"v1\"}").unwrap();
        assert!(expect_kind("/k.json", &doc, "Pod", &[""]).is_ok());
        let e = expect_kind("/k.json", &doc, "KubeletConfiguration", &[]).unwrap_err();
        assert_eq!(
            e.message,
            "expected kind KubeletConfiguration, found kind Pod"
        );
    }
}
