use super::resources::check_missing;
use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers and init containers without `resources.limits.cpu`. Ephemeral containers
    /// cannot set resources and are not checked.
    ///
    /// A limit set on the pod itself (`spec.resources.limits`, Kubernetes 1.32+) bounds every
    /// container and satisfies the rule.
    ///
    /// ## Why it matters
    /// Without a CPU limit the container can use every CPU the node has: one compromised or
    /// buggy container (a crypto-miner, a busy loop, a request flood) starves every other pod on
    /// the node.
    ///
    /// ## How to fix
    /// Set `resources.limits.cpu` on every container (or have a LimitRange in the namespace
    /// supply a default — kubeward cannot see one, so set it explicitly).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   resources:
    ///     limits:
    ///       cpu: 500m
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: resource policies
    /// - Kubernetes documentation: Resource Management for Pods and Containers
    pub static RULE {
        code: "KW121",
        name: "missing-cpu-limit",
        severity: Medium,
        category: PodSecurity,
        summary: "Container has no CPU limit",
        remediation: "Set `resources.limits.cpu` on every container.",
        mitre: [(Impact, "Resource hijacking", "T1496"), (Impact, "Denial of service", "T1499")],
        nsa: ["Namespaces: resource policies"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    check_missing(pod, cx, "limits", "cpu");
}
