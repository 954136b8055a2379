use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Namespaces that hold workloads and NetworkPolicies, but no default-deny policy for egress
    /// (`podSelector: {}`, `Egress` in `policyTypes`, no egress rules), while some workload there
    /// is selected by no egress policy. The finding is on the Namespace when the input has it,
    /// else on the first workload's `metadata.namespace`. (A namespace with no policy at all is
    /// KW305's.)
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// Egress is how a compromised pod reaches the API server, the cloud metadata address, other
    /// namespaces and the internet (exfiltration, command and control). Without a default deny,
    /// every pod that no egress policy selects may connect anywhere.
    ///
    /// ## How to fix
    /// Add a default-deny egress policy and allow DNS and the destinations each workload needs:
    ///
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-egress, namespace: shop}
    /// spec: {podSelector: {}, policyTypes: [Egress]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW309",
        name: "namespace-without-default-deny-egress",
        severity: Low,
        category: Network,
        summary: "Namespace with NetworkPolicies but no default-deny egress policy",
        remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Egress]` and no egress rules, then allow DNS and the destinations each workload needs.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: ["5.3.2"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::NoDefaultDenyEgress);
}
