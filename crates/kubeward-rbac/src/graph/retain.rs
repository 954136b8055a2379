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
    root.retain_keys(|k| {
        matches!(
            k,
            "apiVersion" | "kind" | "metadata" | "spec" | "type" | "automountServiceAccountToken"
        )
    });
    if let Some(meta) = root.get_mut("metadata") {
        metadata(meta);
    }
    match kind.as_str() {
        "Service" => {
            if let Some(spec) = root.get_mut("spec") {
                // Ports and external IPs: the NetworkPolicy rules read the same kept objects.
                spec.retain_keys(|k| matches!(k, "type" | "selector" | "ports" | "externalIPs"));
            }
        }
        "Ingress" => {
            if let Some(spec) = root.get_mut("spec") {
                spec.retain_keys(|k| matches!(k, "rules" | "defaultBackend" | "backend"));
            }
        }
        "ServiceAccount" | "Secret" => root.retain_keys(|k| k != "spec"),
        "Pod" => {
            if let Some(spec) = root.get_mut("spec") {
                pod_spec(spec);
            }
        }
        "CronJob" => {
            if let Some(spec) = root.get_mut("spec") {
                spec.retain_keys(|k| k == "jobTemplate");
                if let Some(job) = spec.get_mut("jobTemplate") {
                    job.retain_keys(|k| matches!(k, "metadata" | "spec"));
                    if let Some(meta) = job.get_mut("metadata") {
                        metadata(meta);
                    }
                    if let Some(job_spec) = job.get_mut("spec") {
                        template_holder(job_spec);
                    }
                }
            }
        }
        _ => {
            if let Some(spec) = root.get_mut("spec") {
                template_holder(spec);
            }
        }
    }
    object.root.shrink_to_fit();
    Some(object)
}

/// A controller's `spec`: only its pod template.
fn template_holder(spec: &mut Node) {
    spec.retain_keys(|k| k == "template");
    if let Some(template) = spec.get_mut("template") {
        template.retain_keys(|k| matches!(k, "metadata" | "spec"));
        if let Some(meta) = template.get_mut("metadata") {
            metadata(meta);
        }
        if let Some(pod) = template.get_mut("spec") {
            pod_spec(pod);
        }
    }
}

/// Metadata: identity, labels (Service selectors, Pod Security levels), owners, and the
/// annotations that matter (AppArmor profiles, a token secret's account, kubeward's own).
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
        annotations.retain_keys(|k| {
            k.starts_with("container.apparmor.security.beta.kubernetes.io/")
                || k.starts_with("kubeward.io/")
                || k == "kubernetes.io/service-account.name"
        });
    }
}

/// A pod spec without what no technique depends on.
fn pod_spec(spec: &mut Node) {
    spec.retain_keys(|k| {
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
        }) = spec.get_mut(list)
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
    c.retain_keys(|k| {
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
    }) = c.get_mut("env")
    {
        blank(env, |e| e.path(&["valueFrom", "secretKeyRef"]).is_some());
    }
    if let Some(Node {
        value: Value::Seq(from),
        ..
    }) = c.get_mut("envFrom")
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
