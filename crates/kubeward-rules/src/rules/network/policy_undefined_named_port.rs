use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Named ports in policy rules that no container of the pods they resolve on defines: for an
    /// ingress rule the pods the policy selects, for an egress rule the pods its peers name. A
    /// rule whose pods are not in the input is not judged. The finding is on the port.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// A named port resolves per pod; where no container defines it the rule allows nothing on
    /// it. The traffic the policy was meant to allow is blocked, and the usual "fix" under
    /// pressure is a rule that allows far too much.
    ///
    /// ## How to fix
    /// Use the name a container declares in `ports[].name`, or the port number.
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW315",
        name: "network-policy-undefined-named-port",
        severity: Low,
        category: Network,
        summary: "NetworkPolicy names a port that no selected container defines",
        remediation: "Use the port name a container declares (ports[].name) or the port number.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::NamedPortUndefined);
}
