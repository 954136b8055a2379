use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `escalate` on `roles` or `clusterroles` together with the right to write
    /// them (`create`, `update` or `patch` on the same resource). `escalate` alone lets its
    /// holder write nothing and is not reported. Through a RoleBinding the grant covers the
    /// Roles of that namespace.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings (the
    /// aggregation controller's) are not reported.
    ///
    /// ## Why it matters
    /// RBAC normally refuses a role that grants permissions its author does not hold
    /// (escalation prevention). `escalate` switches that check off: its holder can add any
    /// permission to a role already bound to them, up to `*` on `*`.
    ///
    /// ## How to fix
    /// Remove `escalate`; only controllers that manage roles on others' behalf need it, and
    /// then limited with `resourceNames` to the roles they own.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["update", "escalate"]   # KW207
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 (limit bind, impersonate and escalate)
    /// - Kubernetes docs: RBAC, restrictions on role creation or update
    pub static RULE {
        code: "KW207",
        name: "rbac-escalate-roles",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants `escalate` with the right to write roles",
        remediation: "Remove escalate; a controller that manages roles should have it only on the roles it owns (resourceNames).",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1098.006")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.8"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

static ASKS: [Ask; 8] = [
    Ask::ns("escalate", RBAC, "roles"),
    Ask::ns("create", RBAC, "roles"),
    Ask::ns("update", RBAC, "roles"),
    Ask::ns("patch", RBAC, "roles"),
    Ask::cluster("escalate", RBAC, "clusterroles"),
    Ask::cluster("create", RBAC, "clusterroles"),
    Ask::cluster("update", RBAC, "clusterroles"),
    Ask::cluster("patch", RBAC, "clusterroles"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let roles = a.has(0) && a.any(1..4);
    let cluster_roles = a.has(4) && a.any(5..8);
    let (kinds, cite): (&str, Vec<usize>) = match (roles, cluster_roles) {
        (true, true) => ("Roles and ClusterRoles", (0..8).collect()),
        (true, false) => ("Roles", (0..4).collect()),
        (false, true) => ("ClusterRoles", (4..8).collect()),
        (false, false) => return None,
    };
    let range = cite[0]..cite[cite.len() - 1] + 1;
    Some(Verdict {
        cite,
        ..Verdict::new(format!(
            "write {kinds} with permissions they do not hold, up to `*` on `*` ({})",
            a.summary(range)
        ))
    })
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
