use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `update` or `patch` on pods (not their subresources: `pods/status` is
    /// KW221's, `pods/ephemeralcontainers` KW214's). Through a RoleBinding the grant covers
    /// the pods of its namespace; in `kube-system` those are the control plane's.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// A running pod's container images can be changed in place. The new image runs with
    /// everything the pod has: its service account token, its mounted secrets and volumes,
    /// its privileges (a privileged or host-namespace pod gives the node). Pod Security
    /// admission does not object, since the pod's security settings do not change.
    ///
    /// ## How to fix
    /// Remove the grant: pods are changed through their controllers (Deployments...), which
    /// is where rollouts belong. Labels and annotations can be granted through a narrower
    /// controller or admission policy if an operator needs them.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods"]
    ///   verbs: ["get", "patch"]   # KW212
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices, workload creation
    pub static RULE {
        code: "KW212",
        name: "rbac-pod-update",
        severity: Medium,
        category: Rbac,
        summary: "Binding or role grants changing running pods (update/patch pods)",
        remediation: "Remove update/patch on pods; change workloads through their controllers.",
        mitre: [
            (Persistence, "Backdoor container", "T1525"),
            (Execution, "New container", "T1610"),
        ],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 2] = [Ask::ns("update", "", "pods"), Ask::ns("patch", "", "pods")];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(format!(
        "swap the image of any running pod, running their code with its service account, \
         secrets and privileges ({})",
        a.summary(0..2)
    )))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
