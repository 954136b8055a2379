use super::common::{annotation_ptr, annotations, text};
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

rule! {
    /// ## What it finds
    /// Pods that turn AppArmor off or pick a profile type the baseline level does not allow:
    /// - `securityContext.appArmorProfile.type` (pod or container level) other than
    ///   `RuntimeDefault` or `Localhost`, i.e. `Unconfined` (a profile with no or an unknown
    ///   type is reported too, as PSA does);
    /// - the deprecated pod annotation `container.apparmor.security.beta.kubernetes.io/<container>`
    ///   with a value other than `runtime/default`, `localhost/<profile>` or empty, e.g.
    ///   `unconfined`. Every annotation with that prefix is checked, whether or not the named
    ///   container exists, as PSA does.
    ///
    /// ## Why it matters
    /// The runtime's default AppArmor profile blocks a set of operations used in container
    /// escapes (mounting, writing to `/proc` and `/sys` files, raw access to some devices).
    /// `Unconfined` removes that layer, so any other weakness (a capability, a writable host
    /// path) is easier to turn into a node compromise.
    ///
    /// ## How to fix
    /// Remove the setting (the runtime default applies) or use `type: RuntimeDefault` or
    /// `type: Localhost` with a reviewed profile.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined   # KW106
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: AppArmor (`appArmorProfile`)
    pub static RULE {
        code: "KW106",
        name: "apparmor-unconfined",
        severity: Medium,
        category: PodSecurity,
        summary: "AppArmor is disabled (Unconfined) for the pod or a container",
        remediation: "Remove the override or use `appArmorProfile.type: RuntimeDefault` (or `Localhost`).",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: hardening container environments"],
        cis: ["5.7.3"],
        pss: baseline("appArmorProfile"),
        check: Check::Pod(check),
    }
}

fn allowed_type(profile: &Node) -> bool {
    matches!(
        profile.get("type").and_then(Node::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

fn type_ptr_and_evidence(profile: &Node, base: String) -> (String, String) {
    match profile.get("type") {
        Some(t) => (
            format!("{base}/type"),
            util::show("appArmorProfile.type", t),
        ),
        None => (base, "appArmorProfile: no type".into()),
    }
}

fn shown_type(profile: &Node) -> String {
    profile
        .get("type")
        .map(|t| format!("of type {}", text(t)))
        .unwrap_or_else(|| "without a type".into())
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if let Some(profile) = pod.sc("appArmorProfile")
        && !allowed_type(profile)
    {
        let (ptr, evidence) =
            type_ptr_and_evidence(profile, pod.sc_ptr("appArmorProfile").to_string());
        cx.report(
            ptr,
            format_args!(
                "pod sets an AppArmor profile {} (allowed: RuntimeDefault, Localhost)",
                shown_type(profile)
            ),
        )
        .evidence(evidence);
    }
    for c in pod.containers() {
        if let Some(profile) = c.sc("appArmorProfile")
            && !allowed_type(profile)
        {
            let (ptr, evidence) =
                type_ptr_and_evidence(profile, c.sc_ptr("appArmorProfile").to_string());
            cx.report(
                ptr,
                format_args!(
                    "{} sets an AppArmor profile {} (allowed: RuntimeDefault, Localhost)",
                    c.describe(),
                    shown_type(profile)
                ),
            )
            .evidence(evidence);
        }
    }
    for entry in annotations(pod) {
        let Some(container) = entry.key.strip_prefix(ANNOTATION_PREFIX) else {
            continue;
        };
        let value = entry.value.scalar_text().unwrap_or_default();
        if value.is_empty() || value == "runtime/default" || value.starts_with("localhost/") {
            continue;
        }
        cx.report(
            annotation_ptr(pod, &entry.key),
            format_args!(
                "annotation sets AppArmor profile `{value}` for container `{container}` (allowed: runtime/default, localhost/*)"
            ),
        )
        .evidence(format_args!("{}: {value}", entry.key));
    }
}
