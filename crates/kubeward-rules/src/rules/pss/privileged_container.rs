use crate::{Check, Cx, baseline, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers (including init and ephemeral containers) that run with
    /// `securityContext.privileged: true`.
    ///
    /// ## Why it matters
    /// A privileged container has every capability and access to all host devices; it is
    /// root on the node in all but name. Escaping to the host is trivial (mount the host disk,
    /// load a kernel module), so one compromised privileged pod is a compromised node.
    ///
    /// ## How to fix
    /// Remove `privileged: true` (or set it to `false`) and grant only the specific capabilities
    /// the workload needs.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   securityContext:
    ///     privileged: true   # KW101
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Privileged Containers
    /// - CIS Kubernetes Benchmark 5.2.2
    pub static RULE {
        code: "KW101",
        name: "privileged-container",
        severity: Critical,
        category: PodSecurity,
        summary: "Container runs privileged",
        remediation: "Set `securityContext.privileged: false` and add only the capabilities the container needs.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.2"],
        pss: baseline("privileged"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        if let Some(p) = c.sc("privileged")
            && p.is_true()
        {
            cx.report(
                c.sc_ptr("privileged"),
                format_args!("{} runs privileged", c.describe()),
            )
            .evidence("privileged: true");
        }
    }
}
