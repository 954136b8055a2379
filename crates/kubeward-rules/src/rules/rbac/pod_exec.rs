use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `create` on `pods/exec` or `pods/attach` (`kubectl exec`, `kubectl attach`,
    /// `kubectl debug` without a new container), and grants of `get` on them alone: an exec
    /// over WebSocket starts with a `GET`, which API servers before Kubernetes 1.35 (or with
    /// the `AuthorizePodWebsocketUpgradeCreatePermission` feature gate off) authorize with
    /// `get` only, so a "read-only" role with `get` on `*` resources can exec. Through a
    /// RoleBinding the grant covers the pods of its namespace; in `kube-system` those are the
    /// control plane's. `pods/*` in a rule is not a wildcard for the API server and does not
    /// grant exec.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each Role or ClusterRole of the input that grants it
    /// but that nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// Exec runs any command in any container in scope, with that container's service account
    /// token, secrets, volumes and privileges: the permissions of the most powerful pod in
    /// scope become the subject's. Commands typed through exec are not in the API server's
    /// audit log beyond the connection itself.
    ///
    /// ## How to fix
    /// Grant exec only for debugging, to people, in the namespaces they own, preferably for
    /// a limited time (just-in-time access); never to CI or application service accounts, and
    /// never in kube-system.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/exec"]
    ///   verbs: ["create"]   # KW213
    /// - apiGroups: [""]
    ///   resources: ["*"]
    ///   verbs: ["get"]      # KW213 before Kubernetes 1.35 (WebSocket exec)
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: RBAC good practices
    /// - KEP-4006 (SPDY to WebSockets), kubernetes/kubernetes#78741 (exec with `get`)
    /// - MITRE ATT&CK T1609 Container Administration Command
    pub static RULE {
        code: "KW213",
        name: "rbac-pod-exec",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants exec or attach into pods",
        remediation: "Grant pods/exec only to people, per namespace and for a limited time; never to automation or in kube-system.",
        mitre: [(Execution, "Exec into container", "T1609")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 4] = [
    Ask::ns("create", "", "pods").sub("exec"),
    Ask::ns("create", "", "pods").sub("attach"),
    Ask::ns("get", "", "pods").sub("exec"),
    Ask::ns("get", "", "pods").sub("attach"),
];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(a: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    let (range, what) = if a.any(0..2) {
        (
            0..2,
            "run commands in any pod, with its service account, secrets and privileges",
        )
    } else {
        (
            2..4,
            "run commands in any pod over a WebSocket, which API servers before Kubernetes 1.35 \
             allow with `get` alone",
        )
    };
    let cite: Vec<usize> = range.clone().filter(|&i| a.has(i)).collect();
    Some(Verdict {
        what: format!("{what} ({})", a.summary(range)),
        cite,
        note: String::new(),
    })
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
