use super::common::{self, RETAIN, SubjectHit, SubjectRisk};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Bindings of the input that grant a role to the group `system:authenticated` (every
    /// authenticated user and service account) or `system:serviceaccounts` (every service
    /// account of every namespace). One finding per such subject entry. Kubernetes' own
    /// bindings of its discovery roles are not reported, nor are bindings of the default
    /// `system:discovery`, `system:basic-user`, `system:public-info-viewer` and
    /// `system:service-account-issuer-discovery` roles. Per-namespace groups
    /// (`system:serviceaccounts:shop`) are not reported.
    ///
    /// ## Why it matters
    /// The grant goes to every identity the cluster knows, including the service account of
    /// every pod: one compromised application anywhere inherits it. On some managed clusters
    /// "authenticated" has meant far more than the organisation's users (on GKE it once
    /// included any Google account).
    ///
    /// ## How to fix
    /// Bind the role to the users, groups or service accounts that need it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: everyone-views}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, name: "system:authenticated"}   # KW204
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices, least privilege
    pub static RULE {
        code: "KW204",
        name: "rbac-all-authenticated-binding",
        severity: High,
        category: Rbac,
        summary: "Binding grants a role to every authenticated user or every service account",
        remediation: "Bind the role to the users, groups or service accounts that need it instead of system:authenticated or system:serviceaccounts.",
        mitre: [(Discovery, "Access the Kubernetes API server", "T1613")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static RISK: SubjectRisk = SubjectRisk {
    matches: |kind, name| {
        kind == "Group" && matches!(name, "system:authenticated" | "system:serviceaccounts")
    },
    exempt: common::is_discovery_role,
    message,
};

fn message(hit: &SubjectHit<'_>) -> String {
    let who = if hit.name == "system:serviceaccounts" {
        "every service account of every namespace"
    } else {
        "every authenticated user and service account"
    };
    format!(
        "{} `{}` ({who}) gets {} {}",
        hit.kind, hit.name, hit.grants, hit.scope
    )
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check_subjects(snapshot, cx, &RISK);
}
