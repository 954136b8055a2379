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
    root.retain_keys(|k| matches!(k, "apiVersion" | "kind" | "metadata" | "spec"));
    if let Some(meta) = root.get_mut("metadata") {
        metadata(meta);
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = root.get_mut("spec") {
                spec.retain_keys(|k| matches!(k, "type" | "selector" | "ports" | "externalIPs"));
            }
        }
        "Ingress" => {
            if let Some(spec) = root.get_mut("spec") {
                spec.retain_keys(|k| matches!(k, "rules" | "defaultBackend" | "backend"));
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
                    node.retain_keys(|k| k == *key || (keep_meta && k == "metadata"));
                    if keep_meta && let Some(meta) = node.get_mut("metadata") {
                        metadata(meta);
                    }
                }
                let Some(next) = node.get_mut(key) else {
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
    meta.retain_keys(|k| {
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
    if let Some(annotations) = meta.get_mut("annotations") {
        annotations.retain_keys(|k| k.starts_with("kubeward.io/"));
    }
}

/// A pod spec: containers' names, ports and restart policy.
fn pod_spec(spec: &mut Node) {
    spec.retain_keys(|k| matches!(k, "containers" | "initContainers"));
    for list in ["containers", "initContainers"] {
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = spec.get_mut(list)
        {
            for c in items {
                c.retain_keys(|k| matches!(k, "name" | "ports" | "restartPolicy"));
            }
        }
    }
}
