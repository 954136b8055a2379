use crate::{Check, Cx, Keep, rule};
use kubeward_core::cluster::{self, NotVisible};
use kubeward_core::{Object, ObjectRef, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

rule! {
    /// ## What it finds
    /// Namespaces that have workloads in the input but no NetworkPolicy. One finding per
    /// namespace: on its Namespace object when that is in the input, otherwise on the first
    /// workload of the namespace. A workload without `metadata.namespace` counts as being in
    /// `default`, where `kubectl apply` puts it without `-n`.
    ///
    /// Any policy in the namespace counts as covering it: Kubernetes `NetworkPolicy`, and the
    /// namespaced policies of Calico (`projectcalico.org` / `crd.projectcalico.org`
    /// `NetworkPolicy`) and Cilium (`CiliumNetworkPolicy`). Whether each pod is selected, and
    /// for which directions, is the job of the network policy analysis (`kubeward netpol`),
    /// which computes the actual allowed connections; this rule only finds namespaces where
    /// nobody has started. Cluster-wide policies (Calico `GlobalNetworkPolicy`,
    /// `CiliumClusterwideNetworkPolicy`, `AdminNetworkPolicy`) are not considered.
    ///
    /// ## Why it matters
    /// Pods that no NetworkPolicy selects accept traffic from every pod in the cluster (and
    /// from outside, when exposed) and can connect anywhere. One compromised pod can then reach
    /// every database, admin port and metadata endpoint: there is no lateral-movement boundary.
    ///
    /// ## How to fix
    /// Add a default-deny policy to the namespace and then allow the flows the application
    /// needs:
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Network Policies, default policies
    /// - NSA/CISA Kubernetes Hardening Guide: network policies
    /// - CIS Kubernetes Benchmark 5.3.2
    pub static RULE {
        code: "KW305",
        name: "missing-network-policy",
        severity: Medium,
        category: Network,
        summary: "Namespace with workloads but no NetworkPolicy",
        remediation: "Add a default-deny NetworkPolicy to the namespace and allow only the flows the workloads need.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: network policies"],
        cis: ["5.3.2"],
        pss: None,
        check: Check::Snapshot {
            retain: &[
                ("NetworkPolicy", Keep::Metadata),
                ("CiliumNetworkPolicy", Keep::Metadata),
                ("Namespace", Keep::Metadata),
                ("Cluster", Keep::Whole),
            ],
            check,
        },
    }
}

/// Is `obj` a namespaced network policy of Kubernetes, Calico or Cilium?
pub(super) fn is_policy(obj: &Object) -> bool {
    match obj.kind.as_str() {
        "NetworkPolicy" => {
            obj.builtin || matches!(obj.group(), "projectcalico.org" | "crd.projectcalico.org")
        }
        "CiliumNetworkPolicy" => obj.group() == "cilium.io",
        _ => false,
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    let mut workloads: BTreeMap<&str, Vec<&Arc<ObjectRef>>> = BTreeMap::new();
    for w in snapshot.workloads() {
        workloads
            .entry(w.effective_namespace())
            .or_default()
            .push(w);
    }
    let covered: BTreeSet<&str> = snapshot
        .objects
        .iter()
        .filter(|o| is_policy(o))
        .map(|o| o.namespace.as_deref().unwrap_or("default"))
        .collect();
    // Where a cluster scan could not list network policies, nothing is claimed.
    let unseen: Vec<NotVisible> = snapshot
        .objects
        .iter()
        .filter(|o| cluster::is_cluster(o))
        .flat_map(cluster::not_visible)
        .filter(|nv| {
            nv.resource == "networkpolicies" && matches!(nv.group.as_str(), "networking.k8s.io")
        })
        .collect();
    let visible = |ns: &str| {
        !unseen
            .iter()
            .any(|nv| nv.namespace.as_deref().is_none_or(|n| n == ns))
    };
    for (ns, list) in workloads {
        if !visible(ns) {
            continue;
        }
        cx.evaluated(1);
        if covered.contains(ns) {
            continue;
        }
        let n = list.len();
        let message = format_args!(
            "namespace `{ns}` has no NetworkPolicy: {n} workload{} in it accept{} traffic from anywhere",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
        );
        let mut names: Vec<String> = list
            .iter()
            .take(5)
            .map(|w| format!("{}/{}", w.kind, w.name))
            .collect();
        if n > 5 {
            names.push(format!("and {} more", n - 5));
        }
        let evidence = format_args!("workloads: {}", names.join(", "));
        let ns_obj = snapshot
            .of_kind("Namespace")
            .find(|o| o.builtin && o.name == ns);
        match ns_obj {
            Some(obj) => cx.report_at(obj, "/metadata", message),
            None => cx.report_ref(list[0], message),
        }
        .evidence(evidence);
    }
}
