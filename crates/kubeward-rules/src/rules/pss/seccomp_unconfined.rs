use super::common::{annotation_ptr, annotations, text};
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

rule! {
    /// ## What it finds
    /// Pods that turn seccomp off:
    /// - `securityContext.seccompProfile.type` (pod or container level) other than
    ///   `RuntimeDefault` or `Localhost`, i.e. `Unconfined` (a profile with no type is
    ///   reported too, as PSA does);
    /// - the pre-1.19 annotations `seccomp.security.alpha.kubernetes.io/pod` and
    ///   `container.seccomp.security.alpha.kubernetes.io/<container>` (for containers of the pod)
    ///   with a value other than `runtime/default`, `docker/default` or `localhost/<profile>`,
    ///   e.g. `unconfined`.
    ///
    /// A missing profile is not reported here (baseline allows it); KW117
    /// (seccomp-profile-missing) reports it for the restricted level, and reports `Unconfined`
    /// too, because both PSA controls fail on it.
    ///
    /// ## Why it matters
    /// Seccomp filters the system calls a container may make; the runtime default profile blocks
    /// about 50 rarely needed and dangerous ones (`unshare`, `keyctl`, `bpf`, `mount`, ...) that
    /// appear again and again in kernel exploits and container escapes. `Unconfined` exposes the
    /// node's kernel to all of them.
    ///
    /// ## How to fix
    /// Set `seccompProfile.type: RuntimeDefault` at pod level (or `Localhost` with a reviewed
    /// profile) and remove `Unconfined` overrides and the deprecated annotations.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined   # KW109
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Seccomp (`seccompProfile_baseline`)
    /// - CIS Kubernetes Benchmark 5.7.2
    pub static RULE {
        code: "KW109",
        name: "seccomp-unconfined",
        severity: Medium,
        category: PodSecurity,
        summary: "Seccomp is disabled (Unconfined) for the pod or a container",
        remediation: "Use `seccompProfile.type: RuntimeDefault` (or `Localhost`) and remove `Unconfined` overrides.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.2"],
        pss: baseline("seccompProfile_baseline"),
        check: Check::Pod(check),
    }
}

/// `RuntimeDefault` or `Localhost`.
pub(super) fn valid_type(profile: &Node) -> bool {
    matches!(
        profile.get("type").and_then(Node::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

/// Pointer, description ("of type Unconfined", "without a type") and evidence for an invalid
/// profile.
pub(super) fn describe_invalid(profile: &Node, base: String) -> (String, String, String) {
    match profile.get("type") {
        Some(t) => (
            format!("{base}/type"),
            format!("of type {}", text(t)),
            util::show("seccompProfile.type", t),
        ),
        None => (
            base,
            "without a type".into(),
            "seccompProfile: no type".into(),
        ),
    }
}

fn valid_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if let Some(profile) = pod.sc("seccompProfile")
        && !valid_type(profile)
    {
        let (ptr, shown, evidence) =
            describe_invalid(profile, pod.sc_ptr("seccompProfile").to_string());
        cx.report(ptr, format_args!("pod sets a seccomp profile {shown}"))
            .evidence(evidence);
    }
    for c in pod.containers() {
        if let Some(profile) = c.sc("seccompProfile")
            && !valid_type(profile)
        {
            let (ptr, shown, evidence) =
                describe_invalid(profile, c.sc_ptr("seccompProfile").to_string());
            cx.report(
                ptr,
                format_args!("{} sets a seccomp profile {shown}", c.describe()),
            )
            .evidence(evidence);
        }
    }
    // The deprecated annotations: PSA checks the pod key and the keys of existing containers.
    let names: Vec<&str> = pod.containers().map(|c| c.name()).collect();
    for entry in annotations(pod) {
        let target = if entry.key == POD_ANNOTATION {
            "the pod".to_string()
        } else if let Some(name) = entry.key.strip_prefix(CONTAINER_ANNOTATION_PREFIX)
            && names.contains(&name)
        {
            format!("container `{name}`")
        } else {
            continue;
        };
        let value = entry.value.scalar_text().unwrap_or_default();
        if valid_annotation(&value) {
            continue;
        }
        let (profile, shown) = if value.is_empty() {
            ("an empty seccomp profile".to_string(), "\"\"".to_string())
        } else {
            (format!("seccomp profile `{value}`"), value.clone())
        };
        cx.report(
            annotation_ptr(pod, &entry.key),
            format_args!("annotation sets {profile} for {target}"),
        )
        .evidence(format_args!("{}: {shown}", entry.key));
    }
}
