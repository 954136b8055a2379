//! What the NetworkPolicy analysis reads of a workload, Service or Ingress, so a scan can keep
//! only that.
//!
//! The KW3xx policy rules of `kubeward scan` need every workload of the input at the end (which
//! policies select it, which named ports it defines). [`prune`] keeps of a workload its
//! identity, owners and pod-template labels and, of its containers, the names, ports and
//! `restartPolicy` (native sidecars); of a Service its type, selector, ports and external IPs;
//! of an Ingress its backends. Positions are kept, so findings point at the same lines; a test
//! runs the analysis on the whole and on the pruned objects and compares.

use kubeward_core::view::pod_paths;
use kubeward_core::{Node, Object, Value};

/// The kinds [`prune`] cuts down; the analysis reads other kinds (NetworkPolicy, Namespace,
/// the admin policies, Route) whole.
pub const PRUNED_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Service",
    "Ingress",
];

/// The object cut down to what the analysis reads, or `None` for a kind it does not prune.
pub fn prune(mut object: Object) -> Option<Object> {
    if !object.builtin || !PRUNED_KINDS.contains(&object.kind.as_str()) {
        return None;
    }
    let kind = object.kind.clone();
    let root = &mut object.root;
    retain(root, |k| {
        matches!(k, "apiVersion" | "kind" | "metadata" | "spec")
    });
    if let Some(meta) = field(root, "metadata") {
        metadata(meta);
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = field(root, "spec") {
                retain(spec, |k| {
                    matches!(k, "type" | "selector" | "ports" | "externalIPs")
                });
            }
        }
        "Ingress" => {
            if let Some(spec) = field(root, "spec") {
                retain(spec, |k| {
                    matches!(k, "rules" | "defaultBackend" | "backend")
                });
            }
        }
        _ => {
            let paths = pod_paths(&kind)?;
            // Keep only the path to the pod template: its metadata (labels) and spec.
            let mut node: &mut Node = root;
            let last = paths.spec.len() - 1;
            for (depth, key) in paths.spec.iter().enumerate() {
                if depth > 0 {
                    let keep_meta = depth == last;
                    retain(node, |k| k == *key || (keep_meta && k == "metadata"));
                    if keep_meta && let Some(meta) = field(node, "metadata") {
                        metadata(meta);
                    }
                }
                let Some(next) = field(node, key) else {
                    break;
                };
                node = next;
                if depth == last {
                    pod_spec(node);
                }
            }
        }
    }
    object.root.shrink_to_fit();
    Some(object)
}

/// Identity, labels, owners, and kubeward's own annotations (exceptions).
fn metadata(meta: &mut Node) {
    retain(meta, |k| {
        matches!(
            k,
            "name"
                | "generateName"
                | "namespace"
                | "uid"
                | "labels"
                | "annotations"
                | "ownerReferences"
        )
    });
    if let Some(annotations) = field(meta, "annotations") {
        retain(annotations, |k| k.starts_with("kubeward.io/"));
    }
}

/// A pod spec: containers' names, ports and restart policy.
fn pod_spec(spec: &mut Node) {
    retain(spec, |k| matches!(k, "containers" | "initContainers"));
    for list in ["containers", "initContainers"] {
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = field(spec, list)
        {
            for c in items {
                retain(c, |k| matches!(k, "name" | "ports" | "restartPolicy"));
            }
        }
    }
}

/// Keeps the entries of a mapping whose key `keep` accepts (anything else is left alone).
fn retain(node: &mut Node, keep: impl Fn(&str) -> bool) {
    if let Value::Map(entries) = &mut node.value {
        entries.retain(|e| keep(e.key.as_str()));
    }
}

/// A mapping's field, mutably.
fn field<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}
