use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `update` or `patch` on `pods/ephemeralcontainers` (`kubectl debug` with a
    /// new container in a running pod). Through a RoleBinding the grant covers the pods of
    /// its namespace; in `kube-system` those are the control plane's.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// An ephemeral container runs an image of the subject's choosing inside a running pod:
    /// it shares the pod's network, can share a container's process namespace, and mount the
    /// pod's volumes, including its service-account token. Where Pod Security is not
    /// enforced, it can also be privileged.
    ///
    /// ## How to fix
    /// Grant it only for debugging, to people, in the namespaces they own, for a limited time;
    /// never to automation or in kube-system.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/ephemeralcontainers"]
    ///   verbs: ["patch"]   # KW214
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Ephemeral containers; RBAC good practices
    pub static RULE {
        code: "KW214",
        name: "rbac-ephemeral-containers",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants adding ephemeral containers to running pods",
        remediation: "Grant pods/ephemeralcontainers only to people, per namespace and for a limited time.",
        mitre: [
            (Execution, "New container", "T1610"),
            (Execution, "Exec into container", "T1609"),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [
    Ask::ns("update", "", "pods").sub("ephemeralcontainers"),
    Ask::ns("patch", "", "pods").sub("ephemeralcontainers"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(format!(
        "add a container of their choosing to any running pod, with access to its volumes and \
         service account ({})",
        a.summary(0..2)
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
