use super::common::{sc_or_container_ptr, text};
use crate::{Check, Cx, restricted, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Pods whose containers are not required to run as a non-root user:
    /// - the pod-level `securityContext.runAsNonRoot` is `false` (reported once, at the pod
    ///   field; containers that inherit it are not reported again);
    /// - a container sets `runAsNonRoot: false`, which overrides a pod-level `true`;
    /// - a container does not set `runAsNonRoot` and the pod does not set it to `true`.
    ///
    /// A container passes when its own `runAsNonRoot` is `true`, or when it is unset and the
    /// pod-level value is `true`. Pods with `hostUsers: false` are exempt: root in a user
    /// namespace is not root on the node (PSA, Kubernetes 1.35+). Windows pods are not exempt.
    ///
    /// ## Why it matters
    /// Without `runAsNonRoot: true` the kubelet happily starts an image whose user is root.
    /// Root in the container shares UID 0 with the node; combined with any other weakness (a
    /// mounted host path, a capability, a kernel bug) it is the shortest path to the node.
    ///
    /// ## How to fix
    /// Set `runAsNonRoot: true` in the pod's `securityContext` (and a non-zero `runAsUser` if
    /// the image does not declare a numeric non-root user); remove container-level `false`.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Running as Non-root (`runAsNonRoot`)
    /// - CIS Kubernetes Benchmark 5.2.7
    pub static RULE {
        code: "KW115",
        name: "run-as-root-allowed",
        severity: Medium,
        category: PodSecurity,
        summary: "Container is not required to run as non-root (runAsNonRoot)",
        remediation: "Set `securityContext.runAsNonRoot: true` at pod level and remove container-level `false`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.7"],
        pss: restricted("runAsNonRoot"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.user_namespaced() {
        return;
    }
    let pod_value = pod.sc("runAsNonRoot");
    if let Some(v) = pod_value
        && !v.is_true()
    {
        cx.report(
            pod.sc_ptr("runAsNonRoot"),
            format_args!("pod sets runAsNonRoot: {} (must be true)", text(v)),
        )
        .evidence(util::show("runAsNonRoot", v));
    }
    for c in pod.containers() {
        match c.sc("runAsNonRoot") {
            Some(v) if v.is_true() => {}
            Some(v) => {
                cx.report(
                    c.sc_ptr("runAsNonRoot"),
                    format_args!(
                        "{} sets runAsNonRoot: {} (must be true)",
                        c.describe(),
                        text(v)
                    ),
                )
                .evidence(util::show("runAsNonRoot", v));
            }
            // Inherits the pod-level value: fine when true, already reported when not.
            None if pod_value.is_some() => {}
            None => {
                cx.report(
                    sc_or_container_ptr(&c),
                    format_args!(
                        "{} does not set runAsNonRoot: true, and neither does the pod",
                        c.describe()
                    ),
                )
                .evidence("runAsNonRoot: not set");
            }
        }
    }
}
