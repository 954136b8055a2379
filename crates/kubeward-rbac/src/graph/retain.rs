//! What the attack graph reads of an object, so a scan can keep only that.
//!
//! A manifest scan drops each object once the object rules have seen it; the attack-path rules
//! need the workloads, Services, Ingresses, service accounts and secrets of the whole input at
//! the end. [`prune`] removes from such an object every field [`Graph::build`] never reads
//! (container commands, probes, resources, plain env values, affinity, data of secrets...),
//! keeping positions, so the graph, its evidence and its paths are the same as with the whole
//! objects (a test builds both on every fixture) at a fraction of the memory.
//!
//! [`Graph::build`]: super::Graph::build

use kubeward_core::{Node, Object, Value};

/// The kinds [`Graph::build`](super::Graph::build) reads from the object list (RBAC comes from
/// the evaluator, Namespaces need only their metadata).
pub const GRAPH_KINDS: &[&str] = &[
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
    "ServiceAccount",
    "Secret",
];

/// The object cut down to what the attack graph reads, or `None` when the graph never reads
/// objects of its kind. A Secret keeps no data, only its type and the annotation naming its
/// service account.
pub fn prune(mut object: Object) -> Option<Object> {
    if !object.builtin || !GRAPH_KINDS.contains(&object.kind.as_str()) {
        return None;
    }
    let kind = object.kind.clone();
    let root = &mut object.root;
    retain(root, |k| {
        matches!(
            k,
            "apiVersion" | "kind" | "metadata" | "spec" | "type" | "automountServiceAccountToken"
        )
    });
    if let Some(meta) = field(root, "metadata") {
        metadata(meta);
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = field(root, "spec") {
                // Ports and external IPs: the NetworkPolicy rules read the same kept objects.
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
        "ServiceAccount" | "Secret" => retain(root, |k| k != "spec"),
        "Pod" => {
            if let Some(spec) = field(root, "spec") {
                pod_spec(spec);
            }
        }
        "CronJob" => {
            if let Some(spec) = field(root, "spec") {
                retain(spec, |k| k == "jobTemplate");
                if let Some(job) = field(spec, "jobTemplate") {
                    retain(job, |k| matches!(k, "metadata" | "spec"));
                    if let Some(meta) = field(job, "metadata") {
                        metadata(meta);
                    }
                    if let Some(job_spec) = field(job, "spec") {
                        template_holder(job_spec);
                    }
                }
            }
        }
        _ => {
            if let Some(spec) = field(root, "spec") {
                template_holder(spec);
            }
        }
    }
    object.root.shrink_to_fit();
    Some(object)
}

/// A controller's `spec`: only its pod template.
fn template_holder(spec: &mut Node) {
    retain(spec, |k| k == "template");
    if let Some(template) = field(spec, "template") {
        retain(template, |k| matches!(k, "metadata" | "spec"));
        if let Some(meta) = field(template, "metadata") {
            metadata(meta);
        }
        if let Some(pod) = field(template, "spec") {
            pod_spec(pod);
        }
    }
}

/// Metadata: identity, labels (Service selectors, Pod Security levels), owners, and the
/// annotations that matter (AppArmor profiles, a token secret's account, kubeward's own).
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
        retain(annotations, |k| {
            k.starts_with("container.apparmor.security.beta.kubernetes.io/")
                || k.starts_with("kubeward.io/")
                || k == "kubernetes.io/service-account.name"
        });
    }
}

/// A pod spec without what no technique depends on.
fn pod_spec(spec: &mut Node) {
    retain(spec, |k| {
        !matches!(
            k,
            "affinity"
                | "tolerations"
                | "topologySpreadConstraints"
                | "dnsConfig"
                | "dnsPolicy"
                | "imagePullSecrets"
                | "readinessGates"
                | "resourceClaims"
                | "schedulingGates"
                | "overhead"
                | "hostAliases"
                | "nodeSelector"
                | "priorityClassName"
                | "terminationGracePeriodSeconds"
        )
    });
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(Node {
            value: Value::Seq(items),
            ..
        }) = field(spec, list)
        else {
            continue;
        };
        for c in items {
            container(c);
        }
    }
}

/// A container: name, securityContext, mounts, and the env entries that name a secret.
fn container(c: &mut Node) {
    retain(c, |k| {
        matches!(
            k,
            "name"
                | "securityContext"
                | "volumeMounts"
                | "env"
                | "envFrom"
                | "volumeDevices"
                // What the NetworkPolicy rules read from the same kept objects.
                | "ports"
                | "restartPolicy"
        )
    });
    if let Some(Node {
        value: Value::Seq(env),
        ..
    }) = field(c, "env")
    {
        blank(env, |e| e.path(&["valueFrom", "secretKeyRef"]).is_some());
    }
    if let Some(Node {
        value: Value::Seq(from),
        ..
    }) = field(c, "envFrom")
    {
        blank(from, |e| e.get("secretRef").is_some());
    }
}

/// Replaces the items `keep` rejects with nulls: evidence points at items by index.
fn blank(items: &mut [Node], keep: impl Fn(&Node) -> bool) {
    for item in items.iter_mut().filter(|i| !keep(i)) {
        *item = Node::new(item.pos, Value::Null);
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
