//! The built-in kinds rules are written for, and the API groups they live in.
//!
//! A rule written for `Service` must not fire on Knative's `serving.knative.dev/Service`, nor a
//! Deployment rule on some CRD that happens to be called `Deployment`.

/// The API group of kubeward's own documents (snapshots and the `Cluster` object in them).
pub const KUBEWARD_GROUP: &str = "kubeward.io";
/// The `apiVersion` of kubeward's own documents.
pub const KUBEWARD_API_VERSION: &str = "kubeward.io/v1alpha1";

/// The API groups a built-in kind is served from (current and deprecated); `None` for kinds
/// that are not built in.
pub fn builtin_groups(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod"
        | "Service"
        | "ConfigMap"
        | "Secret"
        | "Namespace"
        | "ServiceAccount"
        | "ReplicationController"
        | "PodTemplate"
        | "Endpoints"
        | "LimitRange"
        | "ResourceQuota"
        | "PersistentVolume"
        | "PersistentVolumeClaim"
        | "Node" => &[""],
        "Deployment" | "DaemonSet" | "ReplicaSet" => &["apps", "extensions"],
        "StatefulSet" | "ControllerRevision" => &["apps"],
        "Job" => &["batch"],
        "CronJob" => &["batch"],
        "Ingress" => &["networking.k8s.io", "extensions"],
        "NetworkPolicy" => &["networking.k8s.io", "extensions"],
        "IngressClass" => &["networking.k8s.io"],
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            &["rbac.authorization.k8s.io"]
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            &["admissionregistration.k8s.io"]
        }
        "PodDisruptionBudget" => &["policy"],
        "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding" => {
            &["admissionregistration.k8s.io"]
        }
        // What kubeward learned about a live cluster itself (see `kubeward_core::cluster`).
        "Cluster" => &[KUBEWARD_GROUP],
        "HorizontalPodAutoscaler" => &["autoscaling"],
        _ => return None,
    })
}

/// Is `group`/`kind` a built-in Kubernetes kind?
pub fn is_builtin(group: &str, kind: &str) -> bool {
    builtin_groups(kind).is_some_and(|groups| groups.contains(&group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_checked() {
        assert!(is_builtin("", "Service"));
        assert!(!is_builtin("serving.knative.dev", "Service"));
        assert!(is_builtin("extensions", "Deployment"));
        assert!(!is_builtin("apps", "Pod"));
        assert!(!is_builtin("example.com", "Widget"));
    }
}
