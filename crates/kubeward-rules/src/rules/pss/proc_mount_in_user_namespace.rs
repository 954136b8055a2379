use super::common::text;
use crate::{Check, Cx, restricted, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers with `securityContext.procMount` set to anything but `Default` (in practice
    /// `Unmasked`), whether or not the pod runs in a user namespace. This is PSA's restricted
    /// `procMount` control (Kubernetes 1.35+), which overrides the baseline one.
    ///
    /// It overlaps KW108 (unmasked-proc-mount): for pods that share the node's user namespace
    /// both rules report the same field. Only in user-namespaced pods (`hostUsers: false`),
    /// which the baseline control exempts, is this rule the only one to report it.
    ///
    /// ## Why it matters
    /// A user namespace makes an unmasked `/proc` much less dangerous (the container's root is
    /// not root on the node), but it still exposes kernel interfaces the default mount hides,
    /// and it is one mistake (dropping `hostUsers: false`) away from the baseline violation.
    /// The restricted level therefore keeps `/proc` masked unconditionally.
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: builder
    ///     image: buildkit:v0.15
    ///     securityContext:
    ///       procMount: Unmasked   # KW119
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: /proc Mount Type (`procMount_restricted`)
    pub static RULE {
        code: "KW119",
        name: "proc-mount-in-user-namespace",
        severity: Medium,
        category: PodSecurity,
        summary: "Container mounts /proc unmasked (restricted, even in a user namespace)",
        remediation: "Remove `procMount` or set it to `Default`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.3"],
        pss: restricted("procMount_restricted"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    let where_ = if pod.user_namespaced() {
        " (even in a user namespace)"
    } else {
        ""
    };
    for c in pod.containers() {
        if let Some(pm) = c.sc("procMount")
            && pm.as_str() != Some("Default")
        {
            cx.report(
                c.sc_ptr("procMount"),
                format_args!("{} sets procMount {}{where_}", c.describe(), text(pm)),
            )
            .evidence(util::show("procMount", pm));
        }
    }
}
