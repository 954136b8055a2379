use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Objects the NetworkPolicy analysis cannot read: a NetworkPolicy with an invalid selector,
    /// CIDR, port, protocol, `endPort` or `policyTypes`, an invalid admin policy, or a workload or
    /// Namespace whose labels are invalid. One finding per problem, at its field. When there is
    /// one, the other NetworkPolicy checks (KW308–KW316) do not run on the input.
    ///
    /// ## Why it matters
    /// The API server rejects such an object: the isolation it was written for does not exist in
    /// the cluster, while the manifest suggests it does.
    ///
    /// ## How to fix
    /// Correct the field as the message says (`kubectl apply --dry-run=server` shows the API
    /// server's own error).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: db}}
    ///   ingress:
    ///   - from: [{ipBlock: {cidr: 10.0.0.0/33}}]   # KW317: not a CIDR
    /// ```
    ///
    /// ## References
    /// - Kubernetes API reference: NetworkPolicy
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW317",
        name: "invalid-network-policy",
        severity: Medium,
        category: Network,
        summary: "NetworkPolicy (or a workload's labels) the API server would reject",
        remediation: "Correct the field as the message says; `kubectl apply --dry-run=server` shows the API server's own error.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check_errors(snapshot, cx);
}
