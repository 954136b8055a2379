use super::common::{self, Allowed, Ask, At, Env, KUBE_SYSTEM, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants that mint service-account tokens: `create` on `serviceaccounts/token` (the
    /// TokenRequest API) for every service account in scope, and `create` on Secrets in
    /// `kube-system`, where a Secret of type `kubernetes.io/service-account-token` naming a
    /// service account is filled with a long-lived token for it by the token controller.
    /// Through a RoleBinding the grant covers its namespace's service accounts; in
    /// `kube-system` that is as good as cluster-wide.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// A token is the service account: its holder gets every permission bound to it, from
    /// anywhere the API server is reachable, for as long as the token lives. The service
    /// accounts of kube-system (controllers, CNI, cloud integrations) are among the most
    /// powerful identities of the cluster.
    ///
    /// ## How to fix
    /// Remove the grant; workloads get their own token through a projected volume, and a
    /// controller that must mint tokens should be limited with `resourceNames` to the
    /// service accounts it serves.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   verbs: ["create"]   # KW209
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.13 (minimize access to the service account token creation)
    /// - Kubernetes docs: RBAC good practices, escalation paths
    pub static RULE {
        code: "KW209",
        name: "rbac-token-create",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants minting service-account tokens",
        remediation: "Remove create on serviceaccounts/token (and on secrets in kube-system); limit a token-minting controller with resourceNames.",
        mitre: [(CredentialAccess, "Container service account", "T1528")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.13"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [
    Ask::ns("create", "", "serviceaccounts").sub("token"),
    Ask::ns("create", "", "secrets").at(At::In(KUBE_SYSTEM)),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let mut how = Vec::new();
    if a.has(0) {
        how.push("mint a token for any service account (create serviceaccounts/token)");
    }
    if a.has(1) {
        how.push(
            "mint a token for any kube-system service account by creating a token Secret, \
             which the token controller fills (create secrets in kube-system)",
        );
    }
    if how.is_empty() {
        return None;
    }
    Some(Verdict::new(common::list(&how)))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
