use super::resources::check_missing;
use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers and init containers without `resources.limits.memory`. Ephemeral containers
    /// cannot set resources and are not checked.
    ///
    /// A limit set on the pod itself (`spec.resources.limits`, Kubernetes 1.32+) bounds every
    /// container and satisfies the rule.
    ///
    /// ## Why it matters
    /// Without a memory limit the container can use all the node's memory: one compromised or
    /// buggy container (a leak, a decompression bomb) pushes the node into memory pressure and
    /// gets other pods evicted or OOM-killed.
    ///
    /// ## How to fix
    /// Set `resources.limits.memory` on every container (or have a LimitRange in the namespace
    /// supply a default — kubeward cannot see one, so set it explicitly).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   resources:
    ///     limits:
    ///       memory: 256Mi
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: resource policies
    /// - Kubernetes documentation: Resource Management for Pods and Containers
    pub static RULE {
        code: "KW122",
        name: "missing-memory-limit",
        severity: Medium,
        category: PodSecurity,
        summary: "Container has no memory limit",
        remediation: "Set `resources.limits.memory` on every container.",
        mitre: [(Impact, "Denial of service", "T1499"), (Impact, "Resource hijacking", "T1496")],
        nsa: ["Namespaces: resource policies"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    check_missing(pod, cx, "limits", "memory");
}
