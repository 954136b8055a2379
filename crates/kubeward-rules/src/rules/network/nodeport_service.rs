use crate::{Check, Cx, rule};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// Services of `type: NodePort`.
    ///
    /// ## Why it matters
    /// A NodePort opens the same port on every node of the cluster, reachable from anything
    /// that can reach a node: usually far more than the workload's intended clients. It also
    /// bypasses the ingress layer's TLS, authentication and logging.
    ///
    /// ## How to fix
    /// Use `type: ClusterIP` and expose the workload through an Ingress or Gateway (with TLS),
    /// or a LoadBalancer restricted by `loadBalancerSourceRanges` when it must be external.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   type: NodePort   # KW301
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    pub static RULE {
        code: "KW301",
        name: "nodeport-service",
        severity: Medium,
        category: Network,
        summary: "Service exposed on every node's address (NodePort)",
        remediation: "Use a ClusterIP Service behind an Ingress or Gateway with TLS.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Service"], check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    if let Some(t) = obj.root.path(&["spec", "type"]).and_then(Node::as_str)
        && t == "NodePort"
    {
        cx.report("/spec/type", "Service is exposed on a port of every node")
            .evidence("type: NodePort");
    }
}
