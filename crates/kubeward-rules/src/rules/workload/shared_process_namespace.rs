use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Pod specs with `shareProcessNamespace: true`.
    ///
    /// ## Why it matters
    /// All containers of the pod then share one PID namespace: each sees the others'
    /// processes, can signal them, and (as the same user, or with `SYS_PTRACE`) reads their
    /// environment and files through `/proc/<pid>/environ` and `/proc/<pid>/root`. A
    /// compromised sidecar thereby gets the main container's secrets, and the reverse.
    ///
    /// ## How to fix
    /// Remove `shareProcessNamespace` (or set it to `false`). For one-off debugging use
    /// `kubectl debug --target`, which shares the namespace of one container only for the
    /// session.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   shareProcessNamespace: true   # KW130
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation: Share Process Namespace between Containers in a Pod
    pub static RULE {
        code: "KW130",
        name: "shared-process-namespace",
        severity: Medium,
        category: PodSecurity,
        summary: "Pod containers share one process namespace",
        remediation: "Remove `shareProcessNamespace: true`; use `kubectl debug --target` for debugging.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.001"), (Collection, "Collecting data from pod", "T1005")],
        nsa: [],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if let Some(v) = pod.get("shareProcessNamespace")
        && v.is_true()
    {
        cx.report(
            pod.ptr("shareProcessNamespace"),
            "pod containers share one process namespace and can read each other's processes",
        )
        .evidence("shareProcessNamespace: true");
    }
}
