use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants that approve certificate signing requests for the API server's client-certificate
    /// signer: `update` (or `patch`) on `certificatesigningrequests/approval` together with
    /// `approve` on `signers` named `kubernetes.io/kube-apiserver-client` (or
    /// `kubernetes.io/*`, or any signer). Both halves are needed, and checked the way the API
    /// server checks them, names included. CSRs are cluster-scoped: only ClusterRoleBindings
    /// grant this.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings (the certificate
    /// controller's) are not reported.
    ///
    /// ## Why it matters
    /// The `kube-apiserver-client` signer signs whatever subject an approved request asks for:
    /// a client certificate for any user in any group, `system:masters` included. Such a
    /// certificate cannot be revoked (Kubernetes has no certificate revocation) and stays
    /// valid until it expires or the cluster CA is rotated.
    ///
    /// ## How to fix
    /// Remove the grant. Approve CSRs by hand, or give an approving controller `approve` only
    /// on the signer it serves, with `resourceNames`.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]
    ///   verbs: ["update"]        # KW210, with:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["signers"]
    ///   verbs: ["approve"]
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.11 (minimize access to the approval sub-resource of CSRs)
    /// - Kubernetes docs: Certificates and certificate signing requests, authorization
    pub static RULE {
        code: "KW210",
        name: "rbac-csr-approval",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants approving client-certificate signing requests",
        remediation: "Remove the approval grant; approve CSRs by hand or limit an approver to its own signer with resourceNames.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1098.006")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.11"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

const CERTS: &str = "certificates.k8s.io";

static ASKS: [Ask; 4] = [
    Ask::cluster("update", CERTS, "certificatesigningrequests").sub("approval"),
    Ask::cluster("patch", CERTS, "certificatesigningrequests").sub("approval"),
    Ask::cluster("approve", CERTS, "signers").named("kubernetes.io/kube-apiserver-client"),
    Ask::cluster("approve", CERTS, "signers").named("kubernetes.io/*"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    if !(a.any(0..2) && a.any(2..4)) {
        return None;
    }
    let mut cite: Vec<usize> = (0..2).filter(|&i| a.has(i)).collect();
    cite.push(if a.has(2) { 2 } else { 3 });
    Some(Verdict {
        what: format!(
            "approve client certificates for any user and group, system:masters included ({})",
            a.summary_of(cite.iter().copied())
        ),
        cite,
        note: String::new(),
    })
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
