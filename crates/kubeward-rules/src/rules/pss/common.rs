//! Helpers the Pod Security Standards rules share (not a rule).

use kubeward_core::pointer::escape;
use kubeward_core::{ContainerView, Entry, Node, PodView};

/// Where to point when a required container securityContext field is absent: the container's
/// `securityContext` when it exists (and is not null), else the container itself.
pub(super) fn sc_or_container_ptr(c: &ContainerView<'_>) -> String {
    if c.get("securityContext").is_some_and(Node::is_map) {
        c.field_ptr("securityContext").to_string()
    } else {
        c.ptr().to_string()
    }
}

/// The pod (template) annotations, in source order; empty when there are none.
pub(super) fn annotations<'a>(pod: &PodView<'a>) -> &'a [Entry] {
    pod.meta
        .and_then(|m| m.get("annotations"))
        .map(Node::entries)
        .unwrap_or_default()
}

/// JSON pointer of a pod (template) annotation (the key escaped per RFC 6901).
pub(super) fn annotation_ptr(pod: &PodView<'_>, key: &str) -> String {
    format!("{}/annotations/{}", pod.meta_ptr, escape(key))
}

/// A scalar as written, or its type for anything else (for messages and evidence).
pub(super) fn text(node: &Node) -> String {
    node.scalar_text()
        .unwrap_or_else(|| node.type_name().to_string())
}
