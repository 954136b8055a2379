use super::common::{self, RETAIN, SubjectHit, SubjectRisk};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Bindings of the input that name the group `system:masters` as a subject, other than
    /// Kubernetes' own `cluster-admin` ClusterRoleBinding. One finding per such subject entry.
    ///
    /// ## Why it matters
    /// Members of `system:masters` bypass authorization altogether: RBAC and authorization
    /// webhooks are never consulted for them. A binding to the group therefore grants nothing
    /// and restricts nothing; it shows that credentials in the group are expected to be in use
    /// (client certificates whose organization is `system:masters`, such as kubeadm's
    /// `admin.conf` or certificates minted through a CSR). Those credentials cannot be revoked
    /// by deleting any binding: only by rotating the cluster's CA (or waiting for them to
    /// expire).
    ///
    /// ## How to fix
    /// Remove the binding and stop using `system:masters` credentials for people and
    /// automation: give them ordinary users or groups bound to the roles they need, which can
    /// be revoked. Keep `system:masters` for break-glass access.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: masters-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, name: "system:masters"}   # KW202
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.7 (avoid use of the system:masters group)
    /// - Kubernetes docs: RBAC good practices, "avoid system:masters"
    pub static RULE {
        code: "KW202",
        name: "rbac-system-masters-binding",
        severity: Medium,
        category: Rbac,
        summary: "Binding names the system:masters group, which bypasses RBAC",
        remediation: "Remove the binding; give people and automation revocable identities bound to the roles they need, and keep system:masters for break-glass access.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1078")],
        nsa: ["Authentication and authorization"],
        cis: ["5.1.7"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static RISK: SubjectRisk = SubjectRisk {
    matches: |kind, name| kind == "Group" && name == "system:masters",
    exempt: |_| false,
    message,
};

fn message(hit: &SubjectHit<'_>) -> String {
    format!(
        "Group `system:masters` is bound to {} {}: its members bypass all authorization, so \
         the binding neither grants nor limits anything, and their credentials can be revoked \
         only by rotating the cluster CA",
        hit.role_text, hit.scope
    )
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check_subjects(snapshot, cx, &RISK);
}
