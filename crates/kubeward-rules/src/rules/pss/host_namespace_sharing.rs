use crate::{Check, Cx, baseline, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Pods that share a namespace of the node: `hostNetwork: true`, `hostPID: true` or
    /// `hostIPC: true`. Each field set to `true` is reported on its own.
    ///
    /// ## Why it matters
    /// - `hostNetwork` puts the pod on the node's network stack: it can bind node ports, sniff
    ///   node traffic and reach services listening on localhost (the kubelet, node agents), and
    ///   it bypasses NetworkPolicy.
    /// - `hostPID` shows every process on the node; with enough privilege the pod can read their
    ///   environment (often secrets) and `nsenter` into PID 1.
    /// - `hostIPC` gives access to the node's shared memory and IPC objects of other pods.
    ///
    /// ## How to fix
    /// Remove the field or set it to `false`. Node agents that truly need it belong in a
    /// dedicated, exempted namespace.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true   # KW102
    ///   hostPID: true       # KW102
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Host Namespaces (`hostNamespaces`)
    /// - CIS Kubernetes Benchmark 5.2.3, 5.2.4, 5.2.5
    pub static RULE {
        code: "KW102",
        name: "host-namespace-sharing",
        severity: High,
        category: PodSecurity,
        summary: "Pod shares the node's network, PID or IPC namespace",
        remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to `false`).",
        mitre: [
            (PrivilegeEscalation, "Privileged container", "T1611"),
            (Discovery, "Network mapping", "T1046"),
        ],
        nsa: ["Pod security: pod security enforcement"],
        cis: ["5.2.3", "5.2.4", "5.2.5"],
        pss: baseline("hostNamespaces"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (field, what) in [
        ("hostNetwork", "network"),
        ("hostPID", "process (PID)"),
        ("hostIPC", "IPC"),
    ] {
        if pod.get(field).is_some_and(Node::is_true) {
            cx.report(
                pod.ptr(field),
                format_args!("pod shares the node's {what} namespace"),
            )
            .evidence(format_args!("{field}: true"));
        }
    }
}
