use super::common::{self, Allowed, EVERYTHING_ASKS, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of everything: a rule with `*` verbs on `*` resources in `*` API groups (and no
    /// `resourceNames`), as in `cluster-admin`, or rules that allow every read and write verb
    /// (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`) on `*` resources in
    /// `*` groups, which is cluster-admin in all but name. A binding to the ClusterRole
    /// `cluster-admin` is reported even where the input redefines that role: the API server
    /// restores its rules at startup. Reported on each binding of the input that
    /// grants it, a ClusterRoleBinding or RoleBinding to `cluster-admin` included (at
    /// `roleRef.name`, naming the subjects and the scope), and on each Role or ClusterRole of
    /// the input that grants it but that nothing in the input binds. Kubernetes' own default
    /// bindings (`cluster-admin` to `system:masters`) are not reported; aggregation and
    /// RoleBinding scoping are resolved as the API server does (a RoleBinding to
    /// `cluster-admin` gives everything in its namespace only).
    ///
    /// Narrower wildcards (`*` verbs on `secrets`, `*` resources in one group) are judged by
    /// what they grant, by the other KW2xx rules; this rule reports grants of everything
    /// once, and the other rules do not repeat them.
    ///
    /// ## Why it matters
    /// Whoever holds such a grant controls the cluster (or the namespace): every secret, every
    /// workload, RBAC itself, and every resource type added later by CRDs. A compromised
    /// dashboard, CI job or operator with cluster-admin is a compromised cluster.
    ///
    /// ## How to fix
    /// Replace the binding with a role listing the verbs, resources and API groups the subject
    /// needs, in the namespaces it needs them. Keep cluster-admin for break-glass accounts.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: dashboard-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}  # KW201
    /// subjects:
    /// - {kind: ServiceAccount, name: kubernetes-dashboard, namespace: kube-system}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.1 (cluster-admin only where required), 5.1.3 (minimize wildcards)
    /// - Kubernetes docs: RBAC good practices, least privilege
    pub static RULE {
        code: "KW201",
        name: "rbac-wildcard-admin",
        severity: Critical,
        category: Rbac,
        summary: "Binding or role grants everything (cluster-admin or `*` on `*`)",
        remediation: "Bind a role that lists only the verbs, resources and API groups the subject needs; keep cluster-admin for break-glass accounts.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1098.006")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.1", "5.1.3"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static RISK: Risk = Risk {
    asks: &EVERYTHING_ASKS,
    judge,
    skip_everything: false,
    always_judge: true,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    if a.has(0) {
        return Some(Verdict {
            cite: vec![0],
            ..Verdict::new("do anything (every verb on every resource of every API group)")
        });
    }
    if common::is_everything(a) {
        return Some(Verdict::new(
            "read and write every resource of every API group, every secret and RBAC object \
             included (get, list, watch, create, update, patch and delete on `*`)",
        ));
    }
    // The input redefines cluster-admin: the API server puts its rules back at startup.
    if common::is_cluster_admin(a.role) {
        return Some(Verdict::new("do anything").note(
            " (Kubernetes' own role: the API server restores its `*` rules at startup, \
             whatever the input defines under that name)",
        ));
    }
    None
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
