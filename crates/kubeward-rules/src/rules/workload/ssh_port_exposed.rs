use crate::{Check, Cx, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Containers that declare port 22 (`ports[].containerPort: 22` or `ports[].hostPort: 22`),
    /// the SSH port.
    ///
    /// ## Why it matters
    /// An SSH server in a container is a second way in that bypasses Kubernetes authentication,
    /// RBAC and audit logging (`kubectl exec` is logged; an SSH session is not). Its keys or
    /// passwords live in the image or a volume, and are rarely rotated. With `hostPort: 22` it
    /// also competes with, or impersonates, the node's own SSH daemon.
    ///
    /// ## How to fix
    /// Remove the SSH server and use `kubectl exec` or `kubectl debug` for interactive access.
    /// If SSH is the workload's purpose (a git server, a bastion), record an exception.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example/app:1.0
    ///   ports:
    ///   - containerPort: 22   # KW127
    /// ```
    ///
    /// ## References
    /// - Microsoft Threat Matrix for Kubernetes: SSH server running inside container
    pub static RULE {
        code: "KW127",
        name: "ssh-port-exposed",
        severity: Medium,
        category: PodSecurity,
        summary: "Container exposes the SSH port 22",
        remediation: "Remove the SSH server; use `kubectl exec` or `kubectl debug` for access.",
        mitre: [(Execution, "SSH server running inside container", "T1133")],
        nsa: [],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn is_22(n: &Node) -> bool {
    n.as_i64() == Some(22) || n.as_str().is_some_and(|s| s.trim() == "22")
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let Some(ports) = c.get("ports") else {
            continue;
        };
        for (i, p) in ports.items().iter().enumerate() {
            for field in ["containerPort", "hostPort"] {
                if let Some(v) = p.get(field)
                    && is_22(v)
                {
                    cx.report(
                        c.field_ptr(&format!("ports/{i}/{field}")),
                        format_args!("{} exposes the SSH port 22 ({field})", c.describe()),
                    )
                    .evidence(format_args!("{field}: 22"));
                    break;
                }
            }
        }
    }
}
