use super::common::{self, Allowed, Ask, At, Env, KUBE_SYSTEM, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `update` or `patch` on the ConfigMap `aws-auth` in `kube-system`: every
    /// ConfigMap there, or `aws-auth` by name. Only ClusterRoleBindings and RoleBindings in
    /// kube-system reach it.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// On Amazon EKS clusters that authenticate through the `aws-auth` ConfigMap, it maps IAM
    /// roles and users to Kubernetes users and groups. Whoever can edit it can map an IAM
    /// identity they control to `system:masters` and come back as cluster-admin, from outside
    /// the cluster, whenever they like. (On other clusters the ConfigMap means nothing; the
    /// grant still covers every ConfigMap of kube-system, which control-plane components
    /// read their configuration from.)
    ///
    /// ## How to fix
    /// Move to EKS access entries (the access API) and keep `aws-auth` writes with cluster
    /// administrators; never grant ConfigMap writes in kube-system to workloads.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {namespace: kube-system}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   resourceNames: ["aws-auth"]
    ///   verbs: ["update", "patch"]   # KW222
    /// ```
    ///
    /// ## References
    /// - Amazon EKS docs: Grant IAM users access to Kubernetes with a ConfigMap (aws-auth)
    /// - Kubernetes docs: RBAC good practices
    pub static RULE {
        code: "KW222",
        name: "rbac-aws-auth-write",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants rewriting the aws-auth ConfigMap (EKS identity mapping)",
        remediation: "Use EKS access entries and keep aws-auth writes with cluster administrators.",
        mitre: [
            (PrivilegeEscalation, "Cluster-admin binding", "T1098.006"),
            (InitialAccess, "Using cloud credentials", "T1078"),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [
    Ask::ns("update", "", "configmaps")
        .named("aws-auth")
        .at(At::In(KUBE_SYSTEM)),
    Ask::ns("patch", "", "configmaps")
        .named("aws-auth")
        .at(At::In(KUBE_SYSTEM)),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(format!(
        "rewrite the aws-auth ConfigMap of kube-system, mapping an IAM identity of their \
         choosing to system:masters on EKS ({})",
        a.summary(0..2)
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
