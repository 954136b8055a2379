use super::policy_common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_netpol::lint::Check as Lint;

rule! {
    /// ## What it finds
    /// Namespaces that hold workloads and NetworkPolicies, but no default-deny policy for ingress:
    /// one that selects every pod (`podSelector: {}`), lists `Ingress` in its `policyTypes` and
    /// allows nothing, while some workload there is selected by no ingress policy (when policies
    /// select every workload, a default deny changes nothing today). The finding is on the
    /// Namespace when the input has it, else on the first workload's `metadata.namespace`. (A
    /// namespace with no policy at all is KW305's.)
    ///
    /// Judged with Kubernetes' NetworkPolicy semantics by `kubeward_netpol` (the analysis of
    /// `kubeward netpol`). In a cluster scan, nothing is claimed about a namespace whose
    /// policies, pods or namespaces could not be listed, nor where Calico or Cilium policies
    /// also apply.
    ///
    /// ## Why it matters
    /// Without a default deny, every pod that no other policy selects accepts traffic from
    /// anywhere, and a new workload is open until someone writes its policy. Default-deny first,
    /// then allow what each workload needs, is the NSA/CISA and CIS recommendation.
    ///
    /// ## How to fix
    /// Add a policy that selects every pod and allows no ingress, then keep the allow rules:
    ///
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-ingress, namespace: shop}
    /// spec: {podSelector: {}, policyTypes: [Ingress]}
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    /// - `docs/netpol.md`
    pub static RULE {
        code: "KW308",
        name: "namespace-without-default-deny-ingress",
        severity: Low,
        category: Network,
        summary: "Namespace with NetworkPolicies but no default-deny ingress policy",
        remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress]` and no ingress rules, then allow only the flows each workload needs.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: ["5.3.2"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    policy_common::check(snapshot, cx, Lint::NoDefaultDenyIngress);
}
