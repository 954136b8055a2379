use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Container ports with a non-zero `hostPort` (`containers[*].ports[*].hostPort`), in init,
    /// regular and ephemeral containers.
    ///
    /// ## Why it matters
    /// A hostPort binds the port on the node's own address, bypassing Services and most
    /// NetworkPolicy implementations, and exposes the container to anything that can reach the
    /// node. It also pins the pod to nodes where the port is free.
    ///
    /// ## How to fix
    /// Remove `hostPort` and expose the container through a Service (ClusterIP behind an
    /// Ingress or Gateway, or a LoadBalancer).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27
    ///   ports:
    ///   - containerPort: 80
    ///     hostPort: 80   # KW104
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Host Ports (`hostPorts`)
    /// - CIS Kubernetes Benchmark 5.2.13
    pub static RULE {
        code: "KW104",
        name: "host-port",
        severity: Medium,
        category: PodSecurity,
        summary: "Container binds a port on the node (hostPort)",
        remediation: "Remove `hostPort` and expose the container through a Service.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Network separation and hardening"],
        cis: ["5.2.13"],
        pss: baseline("hostPorts"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let ports = c.get("ports").map(Node::items).unwrap_or_default();
        for (j, port) in ports.iter().enumerate() {
            let Some(hp) = port.get("hostPort") else {
                continue;
            };
            // PSA allows undefined or 0; a quoted "0" means the same to a reader.
            let zero = hp.as_i64() == Some(0) || hp.as_str().is_some_and(|s| s.trim() == "0");
            if zero {
                continue;
            }
            let shown = hp.scalar_text().unwrap_or_else(|| hp.type_name().into());
            cx.report(
                c.field_ptr(&format!("ports/{j}/hostPort")),
                format_args!("{} binds port {shown} on the node (hostPort)", c.describe()),
            )
            .evidence(util::show("hostPort", hp));
        }
    }
}
