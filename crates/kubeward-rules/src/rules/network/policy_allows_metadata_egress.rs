use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Egress rules that allow the cloud metadata address (169.254.169.254, `fd00:ec2::254`) on
    /// TCP 80: a rule with no `to`, or an `ipBlock` that contains the address (`0.0.0.0/0`
    /// without it in `except`). The finding is on the rule or the ipBlock.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// The metadata service hands out the node's cloud credentials (instance role, service
    /// account) to whoever asks from the node's network: a compromised pod can take over cloud
    /// resources far beyond the cluster.
    ///
    /// ## How to fix
    /// Add the address to `except`, or allow only the destinations the workload needs:
    ///
    /// ```yaml
    /// egress:
    /// - to:
    ///   - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW313",
        name: "network-policy-allows-metadata-egress",
        severity: Medium,
        category: Network,
        summary: "NetworkPolicy egress rule allows the cloud metadata address",
        remediation: "Add 169.254.169.254/32 (and fd00:ec2::254/128) to the ipBlock's except list, or allow only the destinations the workload needs.",
        mitre: [(CredentialAccess, "Access managed identity credentials", "T1552.005")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::EgressToMetadata);
}
