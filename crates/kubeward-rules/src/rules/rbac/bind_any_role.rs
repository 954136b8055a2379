use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `bind` on `roles` or `clusterroles` together with the right to write
    /// bindings (`create`, `update` or `patch` on `rolebindings` or `clusterrolebindings`).
    /// `bind` is checked where the API server checks it, on the role the new binding refers
    /// to (a `bind` on `rolebindings`, which some tools look for, is meaningless); a `bind`
    /// limited by `resourceNames` is reported when it names `cluster-admin`. `bind` without
    /// the right to write bindings grants nothing and is not reported. Through a RoleBinding
    /// the grant lets its subjects write RoleBindings in that namespace, to any ClusterRole.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// RBAC normally refuses a binding to a role with permissions its author does not hold
    /// (escalation prevention). `bind` switches that check off: its holder can bind
    /// `cluster-admin` to themselves (cluster-wide with ClusterRoleBindings, or over a whole
    /// namespace with RoleBindings).
    ///
    /// ## How to fix
    /// Remove `bind`. Where a controller must create bindings, limit `bind` with
    /// `resourceNames` to the roles it hands out, and keep those roles narrow.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["bind"]            # KW206, with:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterrolebindings"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 (limit bind, impersonate and escalate)
    /// - Kubernetes docs: RBAC, restrictions on role binding creation or update
    pub static RULE {
        code: "KW206",
        name: "rbac-bind-any-role",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants `bind` on roles with the right to write bindings",
        remediation: "Remove bind, or limit it with resourceNames to the narrow roles a controller hands out.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1098.006")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.8"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// `bind` is authorized in the namespace of the binding being written (none for a
/// ClusterRoleBinding), on the role it refers to: namespaced requests here.
static ASKS: [Ask; 9] = [
    Ask::ns("bind", RBAC, "clusterroles"),
    Ask::ns("bind", RBAC, "clusterroles").named("cluster-admin"),
    Ask::ns("bind", RBAC, "roles"),
    Ask::ns("create", RBAC, "rolebindings"),
    Ask::ns("update", RBAC, "rolebindings"),
    Ask::ns("patch", RBAC, "rolebindings"),
    Ask::cluster("create", RBAC, "clusterrolebindings"),
    Ask::cluster("update", RBAC, "clusterrolebindings"),
    Ask::cluster("patch", RBAC, "clusterrolebindings"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let rolebindings = a.any(3..6);
    let clusterrolebindings = a.any(6..9);
    let mut roles = Vec::new();
    if a.has(0) {
        roles.push("any ClusterRole (cluster-admin included)");
    } else if a.has(1) {
        roles.push("ClusterRole cluster-admin");
    }
    // A ClusterRoleBinding can refer only to ClusterRoles.
    if a.has(2) && rolebindings {
        roles.push("any Role");
    }
    let mut kinds = Vec::new();
    if rolebindings {
        kinds.push("RoleBindings");
    }
    if clusterrolebindings && (a.has(0) || a.has(1)) {
        kinds.push("ClusterRoleBindings");
    }
    if roles.is_empty() || kinds.is_empty() {
        return None;
    }
    // Cite `bind` on cluster-admin only when `bind` on any ClusterRole is not granted.
    let cite: Vec<usize> = (0..a.asks.len())
        .filter(|&i| a.has(i) && !(i == 1 && a.has(0)))
        .collect();
    Some(Verdict {
        what: format!(
            "write {} to {} without holding their permissions ({})",
            common::list(&kinds),
            common::list(&roles),
            a.summary_of(cite.iter().copied())
        ),
        cite,
        note: String::new(),
    })
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
