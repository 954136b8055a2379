use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `create`, `update`, `patch` or `delete` on
    /// `mutatingwebhookconfigurations` or `validatingwebhookconfigurations`
    /// (admissionregistration.k8s.io). They are cluster-scoped: only ClusterRoleBindings
    /// grant them.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// An admission webhook receives every object it registers for as it is written, Secrets
    /// and pod specs included: a webhook pointed at an attacker's server reads them all, and a
    /// mutating one rewrites them (adding a container, a hostPath, a different image) before
    /// they are stored. Changing or deleting an existing webhook switches off the policy
    /// engine it belongs to (Kyverno, Gatekeeper, image verification).
    ///
    /// ## How to fix
    /// Grant webhook configuration writes only to the controller that owns its webhook,
    /// limited with `resourceNames` to its own configurations.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["create", "patch"]   # KW216
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.12 (minimize access to webhook configuration objects)
    /// - Kubernetes docs: RBAC good practices, control admission
    pub static RULE {
        code: "KW216",
        name: "rbac-webhook-write",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants writing admission webhook configurations",
        remediation: "Grant webhook configuration writes only to the controller that owns them, limited with resourceNames.",
        mitre: [
            (Persistence, "Malicious admission controller", ""),
            (CredentialAccess, "Malicious admission controller", ""),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.12"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

const ADMISSION: &str = "admissionregistration.k8s.io";
const MUTATING: &str = "mutatingwebhookconfigurations";
const VALIDATING: &str = "validatingwebhookconfigurations";

static ASKS: [Ask; 8] = [
    Ask::cluster("create", ADMISSION, MUTATING),
    Ask::cluster("update", ADMISSION, MUTATING),
    Ask::cluster("patch", ADMISSION, MUTATING),
    Ask::cluster("delete", ADMISSION, MUTATING),
    Ask::cluster("create", ADMISSION, VALIDATING),
    Ask::cluster("update", ADMISSION, VALIDATING),
    Ask::cluster("patch", ADMISSION, VALIDATING),
    Ask::cluster("delete", ADMISSION, VALIDATING),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let register = a.any(0..3) || a.any(4..7);
    let what = if register {
        "register admission webhooks that receive (and, mutating, rewrite) the objects written \
         to the API, Secrets included"
    } else {
        "delete admission webhooks, switching off the policies they enforce"
    };
    Some(Verdict::new(format!("{what} ({})", a.summary(0..8))))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
