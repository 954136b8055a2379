use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `impersonate` on `users`, `groups` or `serviceaccounts` (core API group): a
    /// rule that lets its subjects act as other identities. `groups` is also checked by name
    /// for `system:masters`, so a rule limited to that name by `resourceNames` is reported.
    /// Impersonating `uids` and `userextras` (authentication.k8s.io) is not reported alone:
    /// the API server accepts them only together with an impersonated user. Service accounts
    /// are namespaced: a RoleBinding grants impersonating those of its namespace.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// With `impersonate` a subject sends requests as someone else (`kubectl --as=... --as-group=system:masters`).
    /// Impersonating groups means impersonating `system:masters`, which bypasses
    /// authorization: a full cluster takeover. Impersonating users or service accounts gives
    /// their permissions, whatever RBAC grants the subject itself.
    ///
    /// ## How to fix
    /// Remove the grant. Where impersonation is really needed (an authenticating proxy),
    /// limit it with `resourceNames` to the identities the proxy serves, never groups in
    /// general, and bind it only to that proxy's service account.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["users", "groups"]
    ///   verbs: ["impersonate"]   # KW205
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 (limit bind, impersonate and escalate)
    /// - Kubernetes docs: User impersonation; RBAC good practices, escalation paths
    pub static RULE {
        code: "KW205",
        name: "rbac-impersonate",
        severity: Critical,
        category: Rbac,
        summary: "Binding or role grants impersonation of users, groups or service accounts",
        remediation: "Remove the impersonate grant; limit an authenticating proxy's grant to named identities with resourceNames.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1134")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.8"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 4] = [
    Ask::cluster("impersonate", "", "users"),
    Ask::cluster("impersonate", "", "groups"),
    Ask::cluster("impersonate", "", "groups").named("system:masters"),
    Ask::ns("impersonate", "", "serviceaccounts"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let mut who = Vec::new();
    let mut cite = Vec::new();
    if a.has(0) {
        who.push("any user");
        cite.push(0);
    }
    if a.has(1) {
        who.push("any group, system:masters included,");
        cite.push(1);
    } else if a.has(2) {
        who.push("the group system:masters, which bypasses all authorization,");
        cite.push(2);
    }
    if a.has(3) {
        who.push("any service account");
        cite.push(3);
    }
    if who.is_empty() {
        return None;
    }
    let what = format!(
        "impersonate {} ({})",
        common::list(&who).trim_end_matches(','),
        a.summary_of(cite.iter().copied())
    );
    Some(Verdict {
        cite,
        ..Verdict::new(what)
    })
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
