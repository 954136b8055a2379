use super::common::{self, RETAIN, SubjectHit, SubjectRisk};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Bindings of the input that grant a role to the group `system:unauthenticated` or the
    /// user `system:anonymous`: whoever reaches the API server without credentials. One
    /// finding per such subject entry. Kubernetes' own binding of `system:public-info-viewer`
    /// (version and health) is not reported, nor are bindings of the default
    /// `system:public-info-viewer` and `system:service-account-issuer-discovery` roles (the
    /// latter is bound to `system:unauthenticated` on purpose to publish the service-account
    /// issuer's OIDC documents). Binding `system:discovery` or `system:basic-user` to
    /// anonymous users is reported: Kubernetes stopped doing so in 1.14.
    ///
    /// ## Why it matters
    /// With anonymous authentication on (the API server's default), every request without
    /// credentials is `system:anonymous` in `system:unauthenticated`. Whatever the role grants
    /// is open to anyone who can reach the API server, with no identity in the audit log. Even
    /// read access reveals the cluster's layout; anything more is a takeover from the network.
    ///
    /// ## How to fix
    /// Delete the binding; grant the access to authenticated identities instead. Turn
    /// anonymous authentication off (`--anonymous-auth=false`, or an anonymous authenticator
    /// configuration limited to health endpoints) unless load balancers need it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: public-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, name: "system:unauthenticated"}   # KW203
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices (bindings to system:unauthenticated), anonymous requests
    /// - CIS Kubernetes Benchmark 1.2.1 (anonymous auth)
    pub static RULE {
        code: "KW203",
        name: "rbac-anonymous-binding",
        severity: Critical,
        category: Rbac,
        summary: "Binding grants a role to anonymous users (system:unauthenticated or system:anonymous)",
        remediation: "Delete the binding, grant the access to authenticated identities, and turn anonymous authentication off where possible.",
        mitre: [
            (InitialAccess, "Exposed sensitive interfaces", "T1133"),
            (Discovery, "Access the Kubernetes API server", "T1613"),
        ],
        nsa: ["Authentication and authorization"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static RISK: SubjectRisk = SubjectRisk {
    matches: |kind, name| {
        (kind == "Group" && name == "system:unauthenticated")
            || (kind == "User" && name == "system:anonymous")
    },
    exempt: common::is_public_role,
    message,
};

fn message(hit: &SubjectHit<'_>) -> String {
    format!(
        "{} `{}` (anyone who reaches the API server without credentials) gets {} {}",
        hit.kind, hit.name, hit.grants, hit.scope
    )
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check_subjects(snapshot, cx, &RISK);
}
