use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `get` or `create` on `nodes/proxy`: access to the kubelet API of every node
    /// through the API server (or directly, when the kubelet authorizes through the API
    /// server). Nodes are cluster-scoped, so only ClusterRoleBindings grant it. `get` alone
    /// is enough: the kubelet's exec endpoints are reachable with a websocket `GET`.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// The kubelet API runs commands in every container on the node (`/exec`, `/run`), reads
    /// their logs, and lists their pods. Those commands go around the API server's admission
    /// control and its audit log, which see only a proxied request, if anything. Monitoring
    /// agents often ask for `nodes/proxy` to read metrics, and get all of that with it.
    ///
    /// ## How to fix
    /// Grant `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring instead of
    /// `nodes/proxy`; keep `nodes/proxy` to break-glass accounts.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/proxy"]
    ///   verbs: ["get"]   # KW215
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.10 (minimize access to the proxy sub-resource of nodes)
    /// - Kubernetes docs: RBAC good practices (nodes/proxy); Kubelet authentication/authorization
    pub static RULE {
        code: "KW215",
        name: "rbac-node-proxy",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants the kubelet API of every node (nodes/proxy)",
        remediation: "Grant nodes/metrics, nodes/stats or nodes/log instead of nodes/proxy.",
        mitre: [
            (Execution, "Exec into container", "T1609"),
            (Discovery, "Access Kubelet API", "T1613"),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.10"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [
    Ask::cluster("get", "", "nodes").sub("proxy"),
    Ask::cluster("create", "", "nodes").sub("proxy"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(format!(
        "use every kubelet's API, running commands in any pod on any node without admission \
         or audit ({})",
        a.summary(0..2)
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
