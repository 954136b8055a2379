use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `create`, `update`, `patch` or `delete` on cluster-wide admission policies:
    /// ValidatingAdmissionPolicies, MutatingAdmissionPolicies and their bindings
    /// (admissionregistration.k8s.io), Kyverno `clusterpolicies` (kyverno.io) and Gatekeeper
    /// `constrainttemplates` (templates.gatekeeper.sh). They are cluster-scoped: only
    /// ClusterRoleBindings grant them.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// These objects are the cluster's guardrails: whoever can edit or delete them can switch
    /// off the policies that keep privileged pods, unsigned images or risky configurations
    /// out, and a mutating policy can rewrite what others deploy.
    ///
    /// ## How to fix
    /// Grant policy writes only to the platform team and the policy engine's own controller;
    /// manage the policies through GitOps rather than direct writes.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["validatingadmissionpolicybindings"]
    ///   verbs: ["delete"]   # KW217
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Validating Admission Policy; RBAC good practices
    pub static RULE {
        code: "KW217",
        name: "rbac-admission-policy-write",
        severity: Medium,
        category: Rbac,
        summary: "Binding or role grants writing cluster admission policies",
        remediation: "Grant admission policy writes only to the platform team and the policy engine's controller.",
        mitre: [(Persistence, "Malicious admission controller", "")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

const fn writes(group: &'static str, resource: &'static str) -> [Ask; 4] {
    [
        Ask::cluster("create", group, resource),
        Ask::cluster("update", group, resource),
        Ask::cluster("patch", group, resource),
        Ask::cluster("delete", group, resource),
    ]
}

const ADMISSION: &str = "admissionregistration.k8s.io";

static ASKS: [Ask; 24] = {
    let v = writes(ADMISSION, "validatingadmissionpolicies");
    let vb = writes(ADMISSION, "validatingadmissionpolicybindings");
    let m = writes(ADMISSION, "mutatingadmissionpolicies");
    let mb = writes(ADMISSION, "mutatingadmissionpolicybindings");
    let k = writes("kyverno.io", "clusterpolicies");
    let g = writes("templates.gatekeeper.sh", "constrainttemplates");
    [
        v[0], v[1], v[2], v[3], vb[0], vb[1], vb[2], vb[3], m[0], m[1], m[2], m[3], mb[0], mb[1],
        mb[2], mb[3], k[0], k[1], k[2], k[3], g[0], g[1], g[2], g[3],
    ]
};

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(format!(
        "change or remove the cluster's admission policies ({})",
        a.summary(0..a.asks.len())
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
