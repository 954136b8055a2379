use crate::{Check, Cx, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Pod specs that do not set `automountServiceAccountToken: false`, so the kubelet mounts
    /// an API token for the pod's service account into every container.
    ///
    /// The ServiceAccount object's own `automountServiceAccountToken: false` also disables
    /// the mount when the pod does not set the field. kubeward checks each workload on its own
    /// (the same check runs in the admission webhook, where the ServiceAccount is not
    /// visible), so a pod that relies on its ServiceAccount's setting is still reported: set
    /// the field on the pod, where it is explicit and cannot be changed by editing another
    /// object, or record an exception. A pod's `true` always wins over the ServiceAccount.
    ///
    /// ## Why it matters
    /// Most applications never call the Kubernetes API, yet each of their containers holds a
    /// token that can. Whoever compromises the container (a remote code execution, a path
    /// traversal that reads `/var/run/secrets/kubernetes.io/serviceaccount/token`) gets the
    /// service account's permissions, and the token works from outside the cluster too.
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` on the pod spec. Workloads that call the API
    /// keep `true` and get a dedicated, minimally bound service account.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   automountServiceAccountToken: false
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.6: Ensure that Service Account Tokens are only mounted where necessary
    /// - NSA/CISA Kubernetes Hardening Guide: pod service account tokens
    pub static RULE {
        code: "KW129",
        name: "service-account-token-automount",
        severity: Medium,
        category: PodSecurity,
        summary: "Pod mounts a service account API token",
        remediation: "Set `automountServiceAccountToken: false` on the pod spec unless the workload calls the Kubernetes API.",
        mitre: [(CredentialAccess, "Container service account", "T1528"), (Discovery, "Access the Kubernetes API server", "T1613")],
        nsa: ["Pod security: pod service account tokens"],
        cis: ["5.1.6"],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    match pod.get("automountServiceAccountToken") {
        Some(v) if v.as_bool() == Some(false) => {}
        Some(v) => {
            let (message, evidence) = match v.as_str() {
                Some(s) => (
                    "pod mounts its service account token (automountServiceAccountToken is a string, not the boolean false)",
                    format!("automountServiceAccountToken: \"{s}\""),
                ),
                None => (
                    "pod mounts its service account token into every container",
                    util::show("automountServiceAccountToken", v),
                ),
            };
            cx.report(pod.ptr("automountServiceAccountToken"), message)
                .evidence(evidence);
        }
        None => {
            cx.report(
                pod.spec_ptr,
                "pod mounts its service account token (automountServiceAccountToken is not false)",
            )
            .evidence("automountServiceAccountToken: not set");
        }
    }
}
