use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Non-empty `namespaceSelector`s that match no namespace of the input (a namespace that
    /// objects name without a Namespace object counts, with its `kubernetes.io/metadata.name`
    /// label). The finding is on the selector.
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// The rule allows nothing: usually a label that namespaces do not carry (`name: prod` where
    /// only `kubernetes.io/metadata.name` is set automatically). The intended traffic is blocked,
    /// or a later, broader fix opens too much. In a scan of part of a cluster's manifests the
    /// namespace may be defined elsewhere: check before changing it.
    ///
    /// ## How to fix
    /// Select namespaces by `kubernetes.io/metadata.name`, which every namespace has, or add the
    /// label to the namespaces.
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW316",
        name: "network-policy-namespace-selector-matches-nothing",
        severity: Low,
        category: Network,
        summary: "NetworkPolicy namespaceSelector matches no namespace of the input",
        remediation: "Select namespaces by kubernetes.io/metadata.name, which every namespace carries, or add the label the selector expects to the namespaces.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::NamespaceSelectorMatchesNothing);
}
