use super::common::{self, Allowed, Ask, At, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants that move pods between nodes at will: `update`, `patch` or `delete` on Nodes
    /// (cordon, taint, relabel or remove them), and cluster-wide `create` on `pods/eviction`
    /// or `delete` on pods. Evicting or deleting pods within one namespace (which `edit` and
    /// `admin` allow) is not reported: the subject cannot choose where they go.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings (the node controllers')
    /// are not reported.
    ///
    /// ## Why it matters
    /// An attacker who holds one node can make every other node unschedulable (or taint it)
    /// and evict the pods they want, which the scheduler then places on their node: the
    /// control plane's or the payment service's pods, with their tokens and secrets. The same
    /// rights also take the cluster's workloads down.
    ///
    /// ## How to fix
    /// Keep node writes with cluster administrators and the node lifecycle controllers;
    /// grant evictions per namespace to the teams that own them.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes"]
    ///   verbs: ["patch"]   # KW220
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices; Taints and tolerations
    pub static RULE {
        code: "KW220",
        name: "rbac-node-write-or-eviction",
        severity: Medium,
        category: Rbac,
        summary: "Binding or role grants cordoning or tainting nodes, or evicting pods cluster-wide",
        remediation: "Keep node writes with administrators and node controllers; grant evictions per namespace.",
        mitre: [
            (LateralMovement, "Container service account", "T1528"),
            (Impact, "Denial of service", "T1499"),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 5] = [
    Ask::cluster("update", "", "nodes"),
    Ask::cluster("patch", "", "nodes"),
    Ask::cluster("delete", "", "nodes"),
    // Only across every namespace at once.
    Ask::ns("create", "", "pods")
        .sub("eviction")
        .at(At::ClusterScoped),
    Ask::ns("delete", "", "pods").at(At::ClusterScoped),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let nodes = a.any(0..3);
    let evict = a.any(3..5);
    let what = match (nodes, evict) {
        (true, true) => {
            "cordon or taint every other node and evict the pods they want onto a node they \
             control"
        }
        (true, false) => {
            "cordon, taint or remove any node, steering pods (the control plane's included) \
             onto a node they control"
        }
        (false, true) => {
            "evict or delete any pod of any namespace, to have it rescheduled, possibly onto a \
             node they control"
        }
        (false, false) => return None,
    };
    Some(Verdict::new(format!("{what} ({})", a.summary(0..5))))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
