use super::common::text;
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers with `securityContext.procMount` set to anything but `Default` (in practice
    /// `Unmasked`), in pods that share the node's user namespace. Pods with `hostUsers: false`
    /// run in their own user namespace and are exempt, as in PSA since Kubernetes 1.35; the
    /// restricted control KW119 (proc-mount-in-user-namespace) still reports them.
    ///
    /// ## Why it matters
    /// The default `/proc` mount masks and makes read-only the paths that expose the host
    /// kernel (`/proc/sys`, `/proc/sysrq-trigger`, `/proc/kcore`, ...). An unmasked `/proc`
    /// lets a container read kernel memory and change kernel settings of the node.
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`. Workloads that need an unmasked `/proc` (nested
    /// container builds) should run with `hostUsers: false`.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked   # KW108
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: /proc Mount Type (`procMount`)
    pub static RULE {
        code: "KW108",
        name: "unmasked-proc-mount",
        severity: High,
        category: PodSecurity,
        summary: "Container mounts /proc unmasked without a user namespace",
        remediation: "Remove `procMount` (or set it to `Default`), or run the pod with `hostUsers: false`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.3"],
        pss: baseline("procMount"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.user_namespaced() {
        return;
    }
    for c in pod.containers() {
        if let Some(pm) = c.sc("procMount")
            && pm.as_str() != Some("Default")
        {
            cx.report(
                c.sc_ptr("procMount"),
                format_args!(
                    "{} sets procMount {} outside a user namespace",
                    c.describe(),
                    text(pm)
                ),
            )
            .evidence(util::show("procMount", pm));
        }
    }
}
