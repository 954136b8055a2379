use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Pod specs that run as the namespace's `default` service account: `serviceAccountName`
    /// (or the deprecated `serviceAccount`, used when `serviceAccountName` is empty) is
    /// `default` or unset.
    ///
    /// ## Why it matters
    /// Every pod of the namespace that names no account shares the `default` one. Any role
    /// bound to it, often added "just to make something work", is granted to all of them, and
    /// one compromised pod holds the same API identity as every other. A dedicated account per
    /// workload keeps permissions minimal and audit logs attributable.
    ///
    /// ## How to fix
    /// Create a ServiceAccount for the workload (with `automountServiceAccountToken: false`
    /// unless it calls the API), set `serviceAccountName`, and bind only the roles it needs.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   serviceAccountName: web   # not `default`
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.5: Ensure that default service accounts are not actively used
    pub static RULE {
        code: "KW128",
        name: "default-service-account",
        severity: Low,
        category: PodSecurity,
        summary: "Pod runs as the namespace's default service account",
        remediation: "Create a dedicated ServiceAccount for the workload and set `serviceAccountName`.",
        mitre: [(CredentialAccess, "Container service account", "T1528")],
        nsa: ["Authentication and authorization: service accounts"],
        cis: ["5.1.5"],
        pss: None,
        check: Check::Pod(check),
    }
}

fn non_empty(n: Option<&Node>) -> Option<&Node> {
    n.filter(|n| n.as_str().is_none_or(|s| !s.is_empty()))
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    let (field, node) = match non_empty(pod.get("serviceAccountName")) {
        Some(n) => ("serviceAccountName", Some(n)),
        None => match non_empty(pod.get("serviceAccount")) {
            Some(n) => ("serviceAccount", Some(n)),
            None => ("serviceAccountName", None),
        },
    };
    match node {
        Some(n) if n.as_str() == Some("default") => {
            cx.report(pod.ptr(field), "pod runs as the `default` service account")
                .evidence(util::show(field, n));
        }
        Some(_) => {}
        None => {
            cx.report(
                pod.spec_ptr,
                "pod names no service account, so it runs as `default`",
            )
            .evidence("serviceAccountName: not set");
        }
    }
}
