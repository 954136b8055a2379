//! Which rules run at admission, on which kinds, and the webhook `rules` that send exactly
//! those kinds.
//!
//! - Pod rules (`Check::Pod`) run on every kind with a pod template.
//! - Object rules (`Check::Object`) run on the kinds they name, except the kinds the API
//!   server never sends to a webhook (webhook configurations) and kubeward's own `Cluster`.
//! - Snapshot rules run only when they can judge one object alone: those that keep nothing but
//!   RBAC objects (and Namespaces' labels), the KW2xx risks. They judge a Role or ClusterRole
//!   by its own rules (as a manifest scan judges a role nothing binds) and a binding by the role
//!   it names when that role is one of Kubernetes' defaults (`cluster-admin`, `edit`, ...),
//!   which the evaluator knows. Rules that claim an absence (KW305, no NetworkPolicy) or need
//!   the whole cluster cannot answer for one object and do not run.

use kubeward_core::view::is_workload_kind;
use kubeward_rules::{Check, Keep, Rule};

/// A built-in resource the webhook can be registered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    pub kind: &'static str,
    /// The API group the webhook registers (`matchPolicy: Equivalent` covers the others).
    pub group: &'static str,
    pub plural: &'static str,
    /// Subresources whose requests carry this kind and must be judged too.
    pub subresources: &'static [&'static str],
    pub namespaced: bool,
}

const fn res(kind: &'static str, group: &'static str, plural: &'static str) -> Resource {
    Resource {
        kind,
        group,
        plural,
        subresources: &[],
        namespaced: true,
    }
}

const fn cluster(kind: &'static str, group: &'static str, plural: &'static str) -> Resource {
    Resource {
        namespaced: false,
        ..res(kind, group, plural)
    }
}

/// Every built-in kind a rule may be written for.
pub const RESOURCES: &[Resource] = &[
    Resource {
        // `kubectl debug` adds (possibly privileged) ephemeral containers through this
        // subresource; its requests carry the whole Pod, which the pod rules judge.
        subresources: &["ephemeralcontainers"],
        ..res("Pod", "", "pods")
    },
    res("PodTemplate", "", "podtemplates"),
    res("ReplicationController", "", "replicationcontrollers"),
    res("Service", "", "services"),
    res("ConfigMap", "", "configmaps"),
    res("Secret", "", "secrets"),
    res("ServiceAccount", "", "serviceaccounts"),
    res("Endpoints", "", "endpoints"),
    res("LimitRange", "", "limitranges"),
    res("ResourceQuota", "", "resourcequotas"),
    res("PersistentVolumeClaim", "", "persistentvolumeclaims"),
    cluster("Namespace", "", "namespaces"),
    cluster("PersistentVolume", "", "persistentvolumes"),
    cluster("Node", "", "nodes"),
    res("Deployment", "apps", "deployments"),
    res("DaemonSet", "apps", "daemonsets"),
    res("ReplicaSet", "apps", "replicasets"),
    res("StatefulSet", "apps", "statefulsets"),
    res("ControllerRevision", "apps", "controllerrevisions"),
    res("Job", "batch", "jobs"),
    res("CronJob", "batch", "cronjobs"),
    res("Ingress", "networking.k8s.io", "ingresses"),
    res("NetworkPolicy", "networking.k8s.io", "networkpolicies"),
    cluster("IngressClass", "networking.k8s.io", "ingressclasses"),
    res("Role", "rbac.authorization.k8s.io", "roles"),
    res("RoleBinding", "rbac.authorization.k8s.io", "rolebindings"),
    cluster("ClusterRole", "rbac.authorization.k8s.io", "clusterroles"),
    cluster(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
    ),
    res("PodDisruptionBudget", "policy", "poddisruptionbudgets"),
    res(
        "HorizontalPodAutoscaler",
        "autoscaling",
        "horizontalpodautoscalers",
    ),
    cluster(
        "ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    cluster(
        "ValidatingAdmissionPolicyBinding",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
];

/// Kinds the API server never sends to admission webhooks (so a webhook can always be
/// removed), and kubeward's own `Cluster` document, which exists only in scans.
pub const NEVER_SENT: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "Cluster",
];

/// The kinds one-object snapshot rules may keep.
const RBAC_KINDS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

pub fn resource(kind: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

pub fn is_rbac_kind(kind: &str) -> bool {
    RBAC_KINDS.contains(&kind)
}

/// Can this rule judge an object at admission, alone?
pub fn runs_at_admission(rule: &Rule) -> bool {
    match rule.check {
        Check::Pod(_) => true,
        Check::Object { kinds, .. } => kinds.iter().any(|k| !NEVER_SENT.contains(k)),
        Check::Snapshot { retain, .. } => one_object_snapshot_rule(retain),
    }
}

/// A snapshot rule that keeps only RBAC objects (and Namespaces' metadata): it judges each
/// role and binding on its own, which one object at a time reproduces.
pub fn one_object_snapshot_rule(retain: &[(&str, Keep)]) -> bool {
    retain.iter().any(|(k, _)| is_rbac_kind(k))
        && retain
            .iter()
            .all(|(k, keep)| is_rbac_kind(k) || (*k == "Namespace" && *keep == Keep::Metadata))
}

/// The kinds these rules judge at admission, in [`RESOURCES`] order; and the kinds some rule
/// names that kubeward does not know how to register (a new rule for a kind missing here).
pub fn judged_kinds(rules: &[&Rule]) -> (Vec<&'static Resource>, Vec<&'static str>) {
    let mut kinds: Vec<&'static str> = Vec::new();
    let mut unknown = Vec::new();
    for rule in rules.iter().filter(|r| runs_at_admission(r)) {
        match rule.check {
            Check::Pod(_) => kinds.extend(
                RESOURCES
                    .iter()
                    .filter(|r| is_workload_kind(r.kind))
                    .map(|r| r.kind),
            ),
            Check::Object { kinds: ks, .. } => {
                for k in ks.iter().filter(|k| !NEVER_SENT.contains(k)) {
                    if resource(k).is_some() {
                        kinds.push(k);
                    } else if !unknown.contains(k) {
                        unknown.push(*k);
                    }
                }
            }
            Check::Snapshot { retain, .. } => kinds.extend(
                retain
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| is_rbac_kind(k))
                    .filter_map(|k| resource(k).map(|r| r.kind)),
            ),
        }
    }
    let judged = RESOURCES
        .iter()
        .filter(|r| kinds.contains(&r.kind))
        .collect();
    (judged, unknown)
}

/// The webhook's `rules`: per API group, the resources (and judged subresources) of the
/// judged kinds.
pub fn webhook_rules(judged: &[&'static Resource]) -> Vec<(&'static str, Vec<String>)> {
    let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
    for r in judged {
        let mut names = vec![r.plural.to_string()];
        names.extend(r.subresources.iter().map(|s| format!("{}/{s}", r.plural)));
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, list)) => list.extend(names),
            None => groups.push((r.group, names)),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_rules::registry;

    #[test]
    fn every_kind_a_rule_judges_can_be_registered() {
        let (judged, unknown) = judged_kinds(registry());
        assert!(
            unknown.is_empty(),
            "rules judge kinds the webhook cannot register; add them to RESOURCES: {unknown:?}"
        );
        let kinds: Vec<&str> = judged.iter().map(|r| r.kind).collect();
        for k in [
            "Pod",
            "Deployment",
            "CronJob",
            "Service",
            "Ingress",
            "ConfigMap",
            "Namespace",
            "RoleBinding",
            "ClusterRole",
        ] {
            assert!(kinds.contains(&k), "{k} is not judged: {kinds:?}");
        }
        for k in [
            "ValidatingWebhookConfiguration",
            "Secret",
            "Endpoints",
            "PersistentVolume",
        ] {
            assert!(!kinds.contains(&k), "{k} is judged by no rule: {kinds:?}");
        }
    }

    #[test]
    fn resources_match_the_kinds_groups() {
        for r in RESOURCES {
            let groups = kubeward_core::kinds::builtin_groups(r.kind)
                .unwrap_or_else(|| panic!("{} is not a built-in kind", r.kind));
            assert!(
                groups.contains(&r.group),
                "{} is not served from {}",
                r.kind,
                r.group
            );
        }
    }

    #[test]
    fn which_snapshot_rules_run() {
        let codes: Vec<&str> = registry()
            .iter()
            .filter(|r| matches!(r.check, Check::Snapshot { .. }) && runs_at_admission(r))
            .map(|r| r.meta.code)
            .collect();
        assert!(
            codes.contains(&"KW201") && codes.contains(&"KW211"),
            "{codes:?}"
        );
        assert!(
            !codes.contains(&"KW305"),
            "an absence rule cannot judge one object"
        );
        assert!(
            !registry()
                .iter()
                .any(|r| r.meta.code == "KW805" && runs_at_admission(r))
        );
    }

    #[test]
    fn rules_group_resources() {
        let (judged, _) = judged_kinds(registry());
        let rules = webhook_rules(&judged);
        let core = &rules.iter().find(|(g, _)| g.is_empty()).unwrap().1;
        assert!(
            core.contains(&"pods".to_string())
                && core.contains(&"pods/ephemeralcontainers".to_string())
        );
        let apps = &rules.iter().find(|(g, _)| *g == "apps").unwrap().1;
        assert_eq!(
            apps,
            &["deployments", "daemonsets", "replicasets", "statefulsets"]
        );
    }
}
