use super::common::sc_or_container_ptr;
use super::seccomp_unconfined::{describe_invalid, valid_type};
use crate::{Check, Cx, restricted, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers that do not run under a `RuntimeDefault` or `Localhost` seccomp profile, either
    /// their own (`securityContext.seccompProfile.type`) or inherited from the pod-level
    /// `securityContext.seccompProfile`:
    /// - a pod-level profile of another type (`Unconfined`) is reported once, at the pod field;
    ///   containers that inherit it are not reported again;
    /// - a container-level profile of another type is reported at the container field;
    /// - a container with no profile, in a pod without one, is reported at the container.
    ///
    /// `Unconfined` is also reported by KW109 (seccomp-unconfined): both PSA controls fail on it.
    /// Windows pods (`spec.os.name: windows`) are exempt, as in PSA since Kubernetes 1.25.
    ///
    /// ## Why it matters
    /// Without a profile the container runs `Unconfined` on most clusters (the kubelet only
    /// defaults to `RuntimeDefault` with `--seccomp-default`), so every system call reaches the
    /// node's kernel, including the ones kernel exploits and container escapes rely on.
    ///
    /// ## How to fix
    /// Set `seccompProfile.type: RuntimeDefault` in the pod's `securityContext` (or `Localhost`
    /// with a reviewed profile), and do not override it per container.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Seccomp (`seccompProfile_restricted`)
    /// - CIS Kubernetes Benchmark 5.7.2
    pub static RULE {
        code: "KW117",
        name: "seccomp-profile-missing",
        severity: Low,
        category: PodSecurity,
        summary: "Container does not run under the RuntimeDefault (or a Localhost) seccomp profile",
        remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.2"],
        pss: restricted("seccompProfile_restricted"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.is_windows() {
        return;
    }
    let pod_profile = pod.sc("seccompProfile");
    if let Some(profile) = pod_profile
        && !valid_type(profile)
    {
        let (ptr, shown, evidence) =
            describe_invalid(profile, pod.sc_ptr("seccompProfile").to_string());
        cx.report(
            ptr,
            format_args!(
                "pod sets a seccomp profile {shown} (must be RuntimeDefault or Localhost)"
            ),
        )
        .evidence(evidence);
    }
    for c in pod.containers() {
        match c.sc("seccompProfile") {
            Some(profile) if valid_type(profile) => {}
            Some(profile) => {
                let (ptr, shown, evidence) =
                    describe_invalid(profile, c.sc_ptr("seccompProfile").to_string());
                cx.report(
                    ptr,
                    format_args!(
                        "{} sets a seccomp profile {shown} (must be RuntimeDefault or Localhost)",
                        c.describe()
                    ),
                )
                .evidence(evidence);
            }
            // Inherits the pod-level profile: fine when valid, already reported when not.
            None if pod_profile.is_some() => {}
            None => {
                cx.report(
                    sc_or_container_ptr(&c),
                    format_args!(
                        "{} has no seccomp profile, and neither does the pod",
                        c.describe()
                    ),
                )
                .evidence("seccompProfile: not set");
            }
        }
    }
}
