use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Ingress rules that allow every port from every pod of every namespace: a peer with
    /// `namespaceSelector: {}` and no (or an empty) `podSelector`, or no `from` at all (which also
    /// admits every address). The finding is on the rule.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// Such a rule undoes the isolation the policy was written for: any compromised pod in the
    /// cluster, in any tenant's namespace, can reach the workload on every port.
    ///
    /// ## How to fix
    /// Name the namespaces (a `namespaceSelector` on `kubernetes.io/metadata.name`) and pods that
    /// need access, and the ports.
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW312",
        name: "network-policy-allows-all-namespaces",
        severity: Medium,
        category: Network,
        summary: "NetworkPolicy ingress rule allows every port from every pod of every namespace",
        remediation: "Name the namespaces and pods that need access (namespaceSelector on kubernetes.io/metadata.name, podSelector) and the ports.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::AllowAllFromAllNamespaces);
}
