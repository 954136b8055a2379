use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Workloads that no NetworkPolicy selects (for ingress or egress) and that no
    /// AdminNetworkPolicy has as its subject, in namespaces that do have NetworkPolicies (a
    /// namespace with none is KW305's). The finding is on the workload's pod-template labels.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// A pod no policy selects is not isolated: it accepts connections from every pod and address
    /// and may connect anywhere. In a namespace whose other workloads are protected this is
    /// usually an oversight: a label that does not match the policy's selector.
    ///
    /// ## How to fix
    /// Make a policy select the workload (fix the labels or the podSelector), or add a default-deny
    /// policy to the namespace (KW308, KW309).
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW310",
        name: "workload-not-isolated",
        severity: Medium,
        category: Network,
        summary: "Workload that no NetworkPolicy selects, in a namespace that has policies",
        remediation: "Select the workload with a NetworkPolicy (fix its labels or the podSelector), or add a default-deny policy to the namespace.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: ["5.3.2"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::WorkloadNotSelected);
}
