use super::common::text;
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

/// SELinux types the baseline level allows (the 1.31+ list; `""` means unset).
const ALLOWED_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

rule! {
    /// ## What it finds
    /// `securityContext.seLinuxOptions` (pod or container level) that
    /// - sets `type` to anything but `container_t`, `container_init_t`, `container_kvm_t` or
    ///   `container_engine_t` (the Kubernetes 1.31+ list), e.g. `spc_t` or `unconfined_t`;
    /// - sets `user` or `role` at all.
    ///
    /// Each offending field is reported on its own. `level` (the MCS categories) is allowed.
    ///
    /// ## Why it matters
    /// SELinux confines containers to the `container_t` domain, which cannot touch host files or
    /// other containers' files. A custom type such as `spc_t` ("super privileged container")
    /// or `unconfined_t` lifts that confinement; a custom user or role can grant a more
    /// privileged SELinux identity.
    ///
    /// ## How to fix
    /// Remove `seLinuxOptions.type`, `user` and `role` (keep `level` if you need MCS
    /// separation), or use one of the allowed container types.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t   # KW107
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: SELinux (`seLinuxOptions`)
    pub static RULE {
        code: "KW107",
        name: "selinux-custom-options",
        severity: Medium,
        category: PodSecurity,
        summary: "Pod or container sets a custom SELinux type, user or role",
        remediation: "Remove `seLinuxOptions.type/user/role` or use an allowed container type (container_t, ...).",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.3"],
        pss: baseline("seLinuxOptions"),
        check: Check::Pod(check),
    }
}

fn check_options(opts: &Node, base: &str, who: &str, cx: &mut Cx<'_>) {
    if let Some(t) = opts.get("type") {
        let allowed = t.as_str().is_some_and(|s| ALLOWED_TYPES.contains(&s));
        if !allowed {
            cx.report(
                format_args!("{base}/type"),
                format_args!("{who} sets SELinux type {}", text(t)),
            )
            .evidence(util::show("seLinuxOptions.type", t));
        }
    }
    for field in ["user", "role"] {
        if let Some(v) = opts.get(field)
            && v.as_str() != Some("")
        {
            cx.report(
                format_args!("{base}/{field}"),
                format_args!("{who} sets SELinux {field} {}", text(v)),
            )
            .evidence(util::show(&format!("seLinuxOptions.{field}"), v));
        }
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if let Some(opts) = pod.sc("seLinuxOptions") {
        check_options(opts, &pod.sc_ptr("seLinuxOptions").to_string(), "pod", cx);
    }
    for c in pod.containers() {
        if let Some(opts) = c.sc("seLinuxOptions") {
            check_options(
                opts,
                &c.sc_ptr("seLinuxOptions").to_string(),
                &c.describe().to_string(),
                cx,
            );
        }
    }
}
