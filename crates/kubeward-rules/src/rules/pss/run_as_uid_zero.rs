use crate::{Check, Cx, restricted, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// `securityContext.runAsUser: 0` at pod or container level (init, regular and ephemeral
    /// containers). A container that inherits a pod-level `0` is covered by the pod finding.
    /// Pods with `hostUsers: false` are exempt: UID 0 in a user namespace maps to an
    /// unprivileged UID on the node (PSA, Kubernetes 1.35+).
    ///
    /// ## Why it matters
    /// It runs the container's processes as root explicitly, overriding a non-root user baked
    /// into the image. Root in the container is UID 0 on the node; any escape (a host mount, a
    /// capability, a kernel bug) starts with full privileges. With `runAsNonRoot: true` the pod
    /// would simply fail to start.
    ///
    /// ## How to fix
    /// Set `runAsUser` to a non-zero UID (e.g. `10001`) or remove it and use an image with a
    /// non-root `USER`; add `runAsNonRoot: true`.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0   # KW116
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Running as Non-root user (`runAsUser`)
    /// - CIS Kubernetes Benchmark 5.2.7
    pub static RULE {
        code: "KW116",
        name: "run-as-uid-zero",
        severity: High,
        category: PodSecurity,
        summary: "Pod or container runs as UID 0 (root)",
        remediation: "Set `runAsUser` to a non-zero UID and `runAsNonRoot: true`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.7"],
        pss: restricted("runAsUser"),
        check: Check::Pod(check),
    }
}

fn is_zero(n: &Node) -> bool {
    n.as_i64() == Some(0)
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.user_namespaced() {
        return;
    }
    if pod.sc("runAsUser").is_some_and(is_zero) {
        cx.report(pod.sc_ptr("runAsUser"), "pod runs as UID 0 (root)")
            .evidence("runAsUser: 0");
    }
    for c in pod.containers() {
        if c.sc("runAsUser").is_some_and(is_zero) {
            cx.report(
                c.sc_ptr("runAsUser"),
                format_args!("{} runs as UID 0 (root)", c.describe()),
            )
            .evidence("runAsUser: 0");
        }
    }
}
