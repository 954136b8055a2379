use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Ingress rules that admit every address (an `ipBlock` of a whole address family, or no
    /// `from`) to workloads that nothing exposes outside the cluster: no LoadBalancer or
    /// NodePort Service, no Service with `externalIPs`, no Ingress or Route selects them. The
    /// finding is on the rule.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// An internal workload does not need the internet to reach it; if it is ever exposed (a
    /// Service type change, a node port, a misrouted load balancer), the policy will not stop
    /// anything.
    ///
    /// ## How to fix
    /// Allow only the sources the workload needs: the ingress controller's namespace and pods,
    /// or the cluster's address ranges.
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW314",
        name: "network-policy-internet-ingress-to-internal",
        severity: Medium,
        category: Network,
        summary: "NetworkPolicy admits the whole internet to a workload nothing exposes",
        remediation: "Allow only the sources the workload needs (the ingress controller's pods, the cluster's ranges), not 0.0.0.0/0.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::IngressFromInternetToNonEdge);
}
