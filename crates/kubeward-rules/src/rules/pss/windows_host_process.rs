use crate::{Check, Cx, baseline, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Windows HostProcess pods: `securityContext.windowsOptions.hostProcess: true` at pod or
    /// container level (init, regular and ephemeral containers).
    ///
    /// ## Why it matters
    /// A HostProcess container runs directly on the Windows node as a host process, with the
    /// node's network, filesystem and (typically) a SYSTEM-level account. It is the Windows
    /// equivalent of a privileged container: full control of the node.
    ///
    /// ## How to fix
    /// Remove `hostProcess: true`. Node management workloads that need it belong in a
    /// dedicated, exempted namespace.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     hostProcess: true   # KW111
    ///     runAsUserName: "NT AUTHORITY\\SYSTEM"
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: HostProcess (`windowsHostProcess`)
    /// - CIS Kubernetes Benchmark 5.2.11
    pub static RULE {
        code: "KW111",
        name: "windows-host-process",
        severity: Critical,
        category: PodSecurity,
        summary: "Windows HostProcess container (full access to the node)",
        remediation: "Remove `windowsOptions.hostProcess: true`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.11"],
        pss: baseline("windowsHostProcess"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod
        .sc("windowsOptions")
        .and_then(|w| w.get("hostProcess"))
        .is_some_and(Node::is_true)
    {
        cx.report(
            pod.sc_ptr("windowsOptions/hostProcess"),
            "pod runs as a Windows HostProcess",
        )
        .evidence("windowsOptions.hostProcess: true");
    }
    for c in pod.containers() {
        if c.sc("windowsOptions")
            .and_then(|w| w.get("hostProcess"))
            .is_some_and(Node::is_true)
        {
            cx.report(
                c.sc_ptr("windowsOptions/hostProcess"),
                format_args!("{} runs as a Windows HostProcess", c.describe()),
            )
            .evidence("windowsOptions.hostProcess: true");
        }
    }
}
