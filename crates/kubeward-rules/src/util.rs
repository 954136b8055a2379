//! Small helpers rules share.

use kubeward_core::{Node, Value};

/// Shows a value as evidence: `key: value` for scalars, a short form for collections.
pub fn show(key: &str, node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("{key}: {s}"),
        Value::Seq(items) => {
            let parts: Vec<String> = items.iter().filter_map(Node::scalar_text).collect();
            format!("{key}: [{}]", parts.join(", "))
        }
        Value::Map(_) => format!("{key}: {{...}}"),
        _ => format!(
            "{key}: {}",
            node.scalar_text().unwrap_or_else(|| "null".into())
        ),
    }
}

/// Redacts a secret value for evidence: keeps its length and at most a short, harmless prefix
/// for well-known key formats (`AKIA`), never the secret itself.
pub fn redact(value: &str) -> String {
    let len = value.chars().count();
    format!("<redacted, {len} chars>")
}
