use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `update` or `patch` on the status of Services, Pods or Nodes
    /// (`services/status`, `pods/status`, `nodes/status`): what controllers and kubelets
    /// report, written by someone else. Nodes are cluster-scoped: only ClusterRoleBindings
    /// grant `nodes/status`.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings (controllers'
    /// and nodes') are not reported.
    ///
    /// ## Why it matters
    /// - `services/status`: setting `status.loadBalancer.ingress[].ip` makes kube-proxy send
    ///   the cluster's traffic for that IP to the Service (CVE-2020-8554): a
    ///   man-in-the-middle of any address.
    /// - `pods/status`: a pod's status decides whether it receives Service traffic (its
    ///   conditions and IPs), so traffic can be steered to or away from pods.
    /// - `nodes/status`: a node's reported capacity, conditions and addresses steer the
    ///   scheduler and the components that trust them.
    ///
    /// ## How to fix
    /// Leave status to the controllers that own it (load-balancer controllers, kubelets);
    /// grant it to no one else.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["services/status"]
    ///   verbs: ["patch"]   # KW221
    /// ```
    ///
    /// ## References
    /// - CVE-2020-8554 (man in the middle using LoadBalancer or ExternalIPs)
    /// - Kubernetes docs: RBAC good practices
    pub static RULE {
        code: "KW221",
        name: "rbac-status-write",
        severity: Medium,
        category: Rbac,
        summary: "Binding or role grants writing the status of Services, Pods or Nodes",
        remediation: "Leave status writes to the controllers and kubelets that own them.",
        mitre: [(LateralMovement, "ARP poisoning and IP spoofing", "T1557")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 6] = [
    Ask::ns("update", "", "services").sub("status"),
    Ask::ns("patch", "", "services").sub("status"),
    Ask::ns("update", "", "pods").sub("status"),
    Ask::ns("patch", "", "pods").sub("status"),
    Ask::cluster("update", "", "nodes").sub("status"),
    Ask::cluster("patch", "", "nodes").sub("status"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let mut what = Vec::new();
    if a.any(0..2) {
        what.push("claim any IP for a Service and intercept its traffic, as in CVE-2020-8554");
    }
    if a.any(2..4) {
        what.push("rewrite pod status to steer Service traffic");
    }
    if a.any(4..6) {
        what.push("rewrite node status to steer scheduling");
    }
    Some(Verdict::new(format!(
        "{} ({})",
        common::list(&what),
        a.summary(0..6)
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
