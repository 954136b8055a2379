use super::common::{self, Allowed, Ask, At, Env, RETAIN, Risk, Target, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `update` or `patch` on Namespaces. Through a ClusterRoleBinding they cover
    /// every namespace; through a RoleBinding, the namespace of the binding itself (the API
    /// server gives a request on `namespaces/X` the namespace X, so a RoleBinding in X
    /// reaches the Namespace X).
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// A namespace's labels are security settings: `pod-security.kubernetes.io/enforce`
    /// decides whether privileged pods are admitted, and NetworkPolicies and admission
    /// webhooks select namespaces by label. Whoever can relabel a namespace can set it to
    /// `privileged`, or make it match a policy that lets it reach protected services.
    ///
    /// ## How to fix
    /// Keep namespace writes with cluster administrators (or a namespace-provisioning
    /// controller); namespace owners need only `get` on their namespace.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["namespaces"]
    ///   verbs: ["patch"]   # KW219
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices (namespace modification); Pod Security Admission
    pub static RULE {
        code: "KW219",
        name: "rbac-namespace-write",
        severity: Medium,
        category: Rbac,
        summary: "Binding or role grants relabelling namespaces (Pod Security level, policy selectors)",
        remediation: "Keep namespace updates with cluster administrators; namespace owners need only get.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Authentication and authorization: least privilege", "Pod security"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [
    Ask::ns("update", "", "namespaces").at(At::OwnNamespace),
    Ask::ns("patch", "", "namespaces").at(At::OwnNamespace),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let which = match a.target {
        Target::Cluster => "any namespace",
        Target::Namespace(_) => "the namespace",
    };
    let verbs = a.verbs(0..2).join("/");
    Some(Verdict::new(format!(
        "relabel {which}, e.g. to `pod-security.kubernetes.io/enforce: privileged` or to match \
         a NetworkPolicy's namespaceSelector ({verbs} namespaces)"
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
