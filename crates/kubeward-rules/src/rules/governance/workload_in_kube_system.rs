use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Workloads whose `metadata.namespace` is explicitly `kube-system`.
    ///
    /// The cluster's own components (CoreDNS, kube-proxy, CNI and CSI agents, cloud
    /// controllers) are expected there, so this is informational for them and the finding is
    /// low severity: review the list and except the components your distribution ships. A
    /// workload without a namespace is not flagged.
    ///
    /// ## Why it matters
    /// `kube-system` holds the most privileged service accounts and secrets of the cluster and
    /// is usually exempt from Pod Security admission and policy engines. A user workload placed
    /// there inherits that lax treatment and can mount the namespace's powerful service
    /// accounts. Attackers also deploy into `kube-system` to hide among system pods (Microsoft's
    /// threat matrix, "Pod / container name similarity").
    ///
    /// ## How to fix
    /// Deploy application workloads in their own namespaces; keep `kube-system` for the
    /// cluster's components.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: kube-system   # KW802
    /// ```
    ///
    /// ## References
    /// - Microsoft Threat Matrix for Kubernetes: Pod / container name similarity
    pub static RULE {
        code: "KW802",
        name: "workload-in-kube-system",
        severity: Low,
        category: Governance,
        summary: "Workload deployed in the kube-system namespace",
        remediation: "Deploy application workloads in their own namespaces; keep kube-system for cluster components.",
        mitre: [(DefenseEvasion, "Pod / container name similarity", "T1036")],
        nsa: ["Network separation and hardening: namespaces"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    let object = pod.object;
    if object.namespace.as_deref() == Some("kube-system") {
        cx.report(
            "/metadata/namespace",
            format_args!(
                "{} `{}` is deployed in kube-system",
                object.kind, object.name
            ),
        )
        .evidence("namespace: kube-system");
    }
}
