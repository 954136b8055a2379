use super::common::{
    self, Allowed, Ask, Env, KUBE_SYSTEM, RETAIN_NAMESPACES, Risk, Target, Verdict,
};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants that start pods of the subject's choosing: `create` on pods, or `create`,
    /// `update` or `patch` on the workload controllers that create them (Deployments,
    /// DaemonSets, StatefulSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs), where
    /// nothing stops those pods from being privileged: cluster-wide, in `kube-system`, or in
    /// a namespace that does not enforce the `baseline` or `restricted` Pod Security Standard
    /// (its Namespace in the input has no `pod-security.kubernetes.io/enforce: baseline` or
    /// `restricted` label, or it is not in the input at all). A deployer limited to a
    /// namespace that enforces Pod Security is not reported.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// A pod can be privileged, share the host's namespaces, mount the host's filesystem or
    /// be pinned to a chosen node (`nodeName`): each is a path to root on the node, and from
    /// a control-plane node to the cluster. A pod can also run as any service account of its
    /// namespace and mount any Secret, ConfigMap or volume there, so it inherits their
    /// permissions; in kube-system those are the controllers'.
    ///
    /// ## How to fix
    /// Enforce the `restricted` (or at least `baseline`) Pod Security Standard on the
    /// namespaces where the subject deploys (`pod-security.kubernetes.io/enforce`), keep the
    /// grant out of kube-system, and bind it per namespace rather than cluster-wide.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["create", "patch"]   # KW211 when bound cluster-wide
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.4 (minimize access to create pods)
    /// - Kubernetes docs: RBAC good practices, workload creation; Pod Security Admission
    pub static RULE {
        code: "KW211",
        name: "rbac-pod-create",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants creating pods where nothing stops privileged ones",
        remediation: "Enforce the restricted Pod Security Standard where the subject deploys, and grant pod and workload writes per namespace, never in kube-system or cluster-wide.",
        mitre: [
            (Execution, "New container", "T1610"),
            (PrivilegeEscalation, "Privileged container", "T1611"),
        ],
        nsa: ["Authentication and authorization: least privilege", "Pod security"],
        cis: ["5.1.4"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN_NAMESPACES, check },
    }
}

const fn writes(group: &'static str, resource: &'static str) -> [Ask; 3] {
    [
        Ask::ns("create", group, resource),
        Ask::ns("update", group, resource),
        Ask::ns("patch", group, resource),
    ]
}

static ASKS: [Ask; 22] = {
    let d = writes("apps", "deployments");
    let ds = writes("apps", "daemonsets");
    let ss = writes("apps", "statefulsets");
    let rs = writes("apps", "replicasets");
    let rc = writes("", "replicationcontrollers");
    let j = writes("batch", "jobs");
    let cj = writes("batch", "cronjobs");
    [
        Ask::ns("create", "", "pods"),
        d[0],
        d[1],
        d[2],
        ds[0],
        ds[1],
        ds[2],
        ss[0],
        ss[1],
        ss[2],
        rs[0],
        rs[1],
        rs[2],
        rc[0],
        rc[1],
        rc[2],
        j[0],
        j[1],
        j[2],
        cj[0],
        cj[1],
        cj[2],
    ]
};

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, env: &Env<'_>) -> Option<Verdict> {
    let note = match a.target {
        Target::Cluster | Target::Namespace(KUBE_SYSTEM) => String::new(),
        Target::Namespace(ns) => match env.analysis.pod_security(ns) {
            Some(Some("baseline" | "restricted")) => return None,
            Some(Some(level)) => {
                format!(": namespace {ns} enforces the `{level}` Pod Security level")
            }
            Some(None) => format!(": namespace {ns} enforces no Pod Security Standard"),
            None => format!(
                ": namespace {ns} is not in the input, so nothing shows it enforces Pod Security"
            ),
        },
    };
    let accounts = match a.target {
        Target::Cluster => "of any namespace",
        Target::Namespace(_) => "of the namespace",
    };
    Some(
        Verdict::new(format!(
            "start pods of their choosing, privileged ones included, with any service account \
             {accounts} ({})",
            a.summary(0..a.asks.len())
        ))
        .note(note),
    )
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
