use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// Services that set `spec.externalIPs`.
    ///
    /// ## Why it matters
    /// kube-proxy routes traffic for every address in `externalIPs` to the Service's pods, on
    /// every node, without checking that the address belongs to the cluster. Besides exposing
    /// the workload on addresses outside any load balancer's control, this is
    /// CVE-2020-8554: anyone who can create or patch a Service can claim the address of
    /// another service (inside or outside the cluster) and intercept the cluster's traffic to
    /// it (man-in-the-middle). The CVE has no fix in Kubernetes itself; the mitigation is to
    /// forbid `externalIPs` by admission (`DenyServiceExternalIPs`) and not use them.
    ///
    /// ## How to fix
    /// Remove `spec.externalIPs`. Use a LoadBalancer Service (restricted with
    /// `loadBalancerSourceRanges`) or an Ingress/Gateway to receive external traffic, and enable
    /// the `DenyServiceExternalIPs` admission plugin.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   externalIPs:   # KW303
    ///   - 203.0.113.10
    /// ```
    ///
    /// ## References
    /// - CVE-2020-8554: Man in the middle using LoadBalancer or ExternalIPs
    ///   (kubernetes/kubernetes#97076)
    /// - Kubernetes docs: Service, External IPs; admission plugin `DenyServiceExternalIPs`
    pub static RULE {
        code: "KW303",
        name: "service-external-ips",
        severity: High,
        category: Network,
        summary: "Service claims external IPs (exposure, CVE-2020-8554 interception)",
        remediation: "Remove `spec.externalIPs`; use a restricted LoadBalancer or an Ingress, and enable the DenyServiceExternalIPs admission plugin.",
        mitre: [
            (InitialAccess, "Exposed sensitive interfaces", "T1133"),
            (LateralMovement, "Cluster internal networking", "T1557"),
        ],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Service"], check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let Some(ips) = obj.root.path(&["spec", "externalIPs"]) else {
        return;
    };
    let listed: Vec<String> = ips.items().iter().filter_map(Node::scalar_text).collect();
    if listed.is_empty() {
        return;
    }
    cx.report(
        "/spec/externalIPs",
        format_args!(
            "Service claims external IP{} {} on every node",
            if listed.len() == 1 { "" } else { "s" },
            listed.join(", ")
        ),
    )
    .evidence(util::show("externalIPs", ips));
}
