use crate::{Check, Cx, rule, util};
use kubeward_core::Object;

rule! {
    /// ## What it finds
    /// Namespace objects that do not enforce a Pod Security Standard: no
    /// `pod-security.kubernetes.io/enforce` label, or the label set to `privileged`. Other
    /// values are not flagged: an invalid level (`Privileged`, `none`) makes Pod Security
    /// admission fall back to `restricted`, the strictest level.
    ///
    /// System namespaces (`kube-system`, and those of CNI, CSI or monitoring agents that need
    /// host access) legitimately run privileged: they are reported like any other so the
    /// decision is visible; except them with a reason. A cluster-wide default set in the
    /// API server's `PodSecurity` admission configuration is not visible in manifests; if you
    /// use one, except this rule or label the namespaces explicitly.
    ///
    /// ## Why it matters
    /// Pod Security admission only rejects dangerous pods (privileged, host namespaces,
    /// hostPath, added capabilities...) in namespaces that ask it to. Without an `enforce`
    /// level anyone who can create a pod in the namespace can create one that escapes to the
    /// node.
    ///
    /// ## How to fix
    /// Label the namespace with the strictest level its workloads meet, ideally `restricted`,
    /// at least `baseline`; use `warn`/`audit` labels first to find the workloads that would
    /// be rejected.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Pod Security Admission, enforce labels
    /// - CIS Kubernetes Benchmark 5.2.1: at least one active policy control mechanism
    pub static RULE {
        code: "KW803",
        name: "namespace-without-pss-enforce",
        severity: Medium,
        category: Governance,
        summary: "Namespace does not enforce a Pod Security Standard",
        remediation: "Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline`).",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: pod security admission"],
        cis: ["5.2.1"],
        pss: None,
        check: Check::Object { kinds: &["Namespace"], check },
    }
}

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let label = obj.root.path(&["metadata", "labels", ENFORCE]);
    match label {
        None => {
            let ptr = if obj.root.path(&["metadata", "labels"]).is_some() {
                "/metadata/labels"
            } else {
                "/metadata"
            };
            cx.report(
                ptr,
                format_args!(
                    "namespace `{}` has no {ENFORCE} label: no Pod Security Standard is enforced",
                    obj.name
                ),
            )
            .evidence(format_args!("{ENFORCE}: <unset>"));
        }
        Some(value) => {
            let text = value.scalar_text().unwrap_or_default();
            if text == "privileged" {
                cx.report(
                    format_args!(
                        "/metadata/labels/{}",
                        kubeward_core::pointer::escape(ENFORCE)
                    ),
                    format_args!(
                        "namespace `{}` enforces the privileged level: Pod Security admission allows any pod",
                        obj.name
                    ),
                )
                .evidence(util::show(ENFORCE, value));
            }
        }
    }
}
