use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// NetworkPolicies whose `podSelector` matches no workload of their namespace in the input.
    /// The finding is on the `podSelector`.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// A policy that selects nothing protects nothing: usually a typo in a label, or a workload
    /// that was renamed. Whoever reads the policy believes the workload is isolated.
    ///
    /// ## How to fix
    /// Fix the selector to match the workload's pod-template labels, or delete the policy.
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW311",
        name: "network-policy-selects-nothing",
        severity: Low,
        category: Network,
        summary: "NetworkPolicy whose podSelector matches no workload of its namespace",
        remediation: "Fix the podSelector to match the workload's pod-template labels, or delete the policy.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::PolicySelectsNoPod);
}
