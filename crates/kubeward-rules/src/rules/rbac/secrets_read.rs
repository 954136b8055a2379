use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `get`, `list` or `watch` on Secrets (core API group) for every secret in
    /// scope. A rule limited by `resourceNames` (`app-tls` only) is not "read all secrets"
    /// and is not reported, and `secrets` of another API group (a CRD) are not Secrets.
    /// Through a RoleBinding the grant covers its namespace; in `kube-system`, which holds
    /// the control plane's service-account tokens, that is as good as cluster-wide.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// `list` and `watch` return every secret's contents, not only names: database
    /// passwords, TLS keys, cloud credentials, and service-account tokens, which are other
    /// identities with their own permissions. `get` needs a name, but secret names are
    /// predictable (legacy token secrets are `<account>-token-<5 chars>`).
    ///
    /// ## How to fix
    /// Grant access to the secrets a workload needs by name (`resourceNames`), or mount them
    /// into its pods instead of reading them through the API. Never grant `list` or `watch`
    /// on secrets cluster-wide to applications.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list"]   # KW208
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.2 (minimize access to secrets)
    /// - Kubernetes docs: RBAC good practices, listing secrets
    pub static RULE {
        code: "KW208",
        name: "rbac-secrets-read",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants reading every Secret in its scope",
        remediation: "Grant access to named secrets only (resourceNames), or mount them into pods; never grant list/watch on secrets broadly.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Authentication and authorization: least privilege", "Secrets"],
        cis: ["5.1.2"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 3] = [
    Ask::ns("list", "", "secrets"),
    Ask::ns("watch", "", "secrets"),
    Ask::ns("get", "", "secrets"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let verbs = a.verbs(0..3);
    let what = if a.any(0..2) {
        format!("read every secret's contents ({} secrets)", verbs.join("/"))
    } else {
        "read any secret whose name they know (get secrets)".to_string()
    };
    Some(Verdict::new(what))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
