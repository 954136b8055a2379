use super::common::{sc_or_container_ptr, text};
use crate::{Check, Cx, restricted, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers (init, regular, ephemeral) that do not set
    /// `securityContext.allowPrivilegeEscalation: false` explicitly: the field is `true` or
    /// absent. There is no pod-level field, so each container must set it. Windows pods
    /// (`spec.os.name: windows`) are exempt, as in PSA since Kubernetes 1.25.
    ///
    /// ## Why it matters
    /// Unless it is `false`, the kernel's `no_new_privs` flag is not set: a process in the
    /// container can gain privileges through setuid/setgid binaries or file capabilities, which
    /// is a classic step from a compromised application user to root in the container.
    ///
    /// ## How to fix
    /// Set `allowPrivilegeEscalation: false` in every container's `securityContext`.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   securityContext:
    ///     allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Privilege Escalation (`allowPrivilegeEscalation`)
    /// - CIS Kubernetes Benchmark 5.2.6
    pub static RULE {
        code: "KW114",
        name: "privilege-escalation-allowed",
        severity: Medium,
        category: PodSecurity,
        summary: "Container does not set allowPrivilegeEscalation: false",
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` in every container.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.6"],
        pss: restricted("allowPrivilegeEscalation"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        match c.sc("allowPrivilegeEscalation") {
            Some(v) if v.as_bool() == Some(false) => {}
            Some(v) => {
                cx.report(
                    c.sc_ptr("allowPrivilegeEscalation"),
                    format_args!(
                        "{} sets allowPrivilegeEscalation: {} (must be false)",
                        c.describe(),
                        text(v)
                    ),
                )
                .evidence(util::show("allowPrivilegeEscalation", v));
            }
            None => {
                cx.report(
                    sc_or_container_ptr(&c),
                    format_args!(
                        "{} does not set allowPrivilegeEscalation: false",
                        c.describe()
                    ),
                )
                .evidence("allowPrivilegeEscalation: not set");
            }
        }
    }
}
