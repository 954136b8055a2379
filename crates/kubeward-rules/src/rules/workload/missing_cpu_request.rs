use super::resources::check_missing;
use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers and init containers without `resources.requests.cpu`. Ephemeral containers
    /// cannot set resources and are not checked.
    ///
    /// When a container sets a cpu limit but no request, Kubernetes uses the limit as the
    /// request, so that container passes. A pod-level `spec.resources` value (Kubernetes 1.32+)
    /// also satisfies the rule.
    ///
    /// ## Why it matters
    /// The scheduler places pods by their requests. A container without a CPU request is
    /// scheduled as if it needed nothing, lands on already-full nodes and is the first to
    /// be throttled or evicted.
    ///
    /// ## How to fix
    /// Set `resources.requests.cpu` on every container (or have a LimitRange in the namespace
    /// supply a default — kubeward cannot see one, so set it explicitly).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   resources:
    ///     requests:
    ///       cpu: 500m
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: resource policies
    /// - Kubernetes documentation: Resource Management for Pods and Containers
    pub static RULE {
        code: "KW123",
        name: "missing-cpu-request",
        severity: Low,
        category: PodSecurity,
        summary: "Container has no CPU request",
        remediation: "Set `resources.requests.cpu` on every container.",
        mitre: [(Impact, "Resource hijacking", "T1496")],
        nsa: ["Namespaces: resource policies"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    check_missing(pod, cx, "requests", "cpu");
}
