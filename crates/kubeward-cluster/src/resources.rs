//! The kinds a cluster scan lists, in the order they are written: controllers before what they
//! own (CronJob → Job → Pod, Deployment → ReplicaSet → Pod), so the scan can report a pod
//! template's problem once, on the controller.

/// One listable resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// Versions to try, most preferred first; the first one the server serves is used.
    pub versions: &'static [&'static str],
    /// Plural resource name as in the URL.
    pub plural: &'static str,
    /// The kind of one item (list items carry no `kind`; the collector writes it back).
    pub kind: &'static str,
    pub namespaced: bool,
}

impl Resource {
    /// `pods` or `deployments.apps`.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{}", self.group, version)
        }
    }

    /// The list URL path, cluster-wide or in one namespace.
    pub fn path(&self, version: &str, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", self.group)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }
}

const fn core(plural: &'static str, kind: &'static str, namespaced: bool) -> Resource {
    Resource {
        group: "",
        versions: &["v1"],
        plural,
        kind,
        namespaced,
    }
}

const fn grouped(
    group: &'static str,
    versions: &'static [&'static str],
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        versions,
        plural,
        kind,
        namespaced,
    }
}

/// Everything the rules read, in output order.
pub const RESOURCES: &[Resource] = &[
    core("namespaces", "Namespace", false),
    core("nodes", "Node", false),
    core("serviceaccounts", "ServiceAccount", true),
    core("secrets", "Secret", true),
    core("configmaps", "ConfigMap", true),
    core("services", "Service", true),
    grouped("apps", &["v1"], "deployments", "Deployment", true),
    grouped("apps", &["v1"], "statefulsets", "StatefulSet", true),
    grouped("apps", &["v1"], "daemonsets", "DaemonSet", true),
    grouped("apps", &["v1"], "replicasets", "ReplicaSet", true),
    core("replicationcontrollers", "ReplicationController", true),
    grouped("batch", &["v1"], "cronjobs", "CronJob", true),
    grouped("batch", &["v1"], "jobs", "Job", true),
    core("pods", "Pod", true),
    grouped("networking.k8s.io", &["v1"], "ingresses", "Ingress", true),
    grouped(
        "networking.k8s.io",
        &["v1"],
        "networkpolicies",
        "NetworkPolicy",
        true,
    ),
    grouped(
        "policy",
        &["v1"],
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
    ),
    grouped("rbac.authorization.k8s.io", &["v1"], "roles", "Role", true),
    grouped(
        "rbac.authorization.k8s.io",
        &["v1"],
        "rolebindings",
        "RoleBinding",
        true,
    ),
    grouped(
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterroles",
        "ClusterRole",
        false,
    ),
    grouped(
        "rbac.authorization.k8s.io",
        &["v1"],
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
    ),
    grouped(
        "admissionregistration.k8s.io",
        &["v1"],
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
    ),
    grouped(
        "admissionregistration.k8s.io",
        &["v1"],
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
    ),
    grouped(
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
    ),
    grouped(
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
    ),
];

/// The secrets resource (listed in its metadata-only form unless values are asked for).
pub fn is_secrets(r: &Resource) -> bool {
    r.group.is_empty() && r.plural == "secrets"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controllers_come_before_what_they_own() {
        let at = |kind: &str| RESOURCES.iter().position(|r| r.kind == kind).unwrap();
        assert!(at("Deployment") < at("ReplicaSet"));
        assert!(at("ReplicaSet") < at("Pod"));
        assert!(at("CronJob") < at("Job"));
        assert!(at("Job") < at("Pod"));
        assert!(at("StatefulSet") < at("Pod"));
    }

    #[test]
    fn paths() {
        let pods = RESOURCES.iter().find(|r| r.kind == "Pod").unwrap();
        assert_eq!(pods.path("v1", None), "/api/v1/pods");
        assert_eq!(pods.path("v1", Some("dev")), "/api/v1/namespaces/dev/pods");
        let crb = RESOURCES
            .iter()
            .find(|r| r.kind == "ClusterRoleBinding")
            .unwrap();
        assert_eq!(
            crb.path("v1", Some("dev")),
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
        );
        assert_eq!(
            crb.display(),
            "clusterrolebindings.rbac.authorization.k8s.io"
        );
    }
}
