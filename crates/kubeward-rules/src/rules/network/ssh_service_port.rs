use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// Service ports that carry SSH: `port: 22`, `targetPort: 22`, a `targetPort` naming a
    /// container port `ssh`, or a service port named `ssh`. One finding per port entry.
    /// Ports with `protocol: UDP` or `SCTP` are not SSH and are skipped, as are
    /// `type: ExternalName` Services (they only alias a DNS name and proxy nothing).
    ///
    /// ## Why it matters
    /// An SSH server in a container is a second way into it that bypasses the Kubernetes API's
    /// authentication, authorisation and audit log. It is typically reached with static keys or
    /// passwords baked into the image, is rarely patched with the application, and is the
    /// classic backdoor an attacker installs for persistence.
    ///
    /// ## How to fix
    /// Remove the SSH server and the port: use `kubectl exec` or `kubectl debug` (ephemeral
    /// containers), which are authenticated, authorised and audited. If SSH is the
    /// application (a git server, a bastion), keep the Service internal and restrict it with a
    /// NetworkPolicy, and except the finding with a reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   ports:
    ///   - name: ssh
    ///     port: 22   # KW306
    /// ```
    ///
    /// ## References
    /// - Microsoft Threat Matrix for Kubernetes: SSH server running inside container
    pub static RULE {
        code: "KW306",
        name: "ssh-service-port",
        severity: Medium,
        category: Network,
        summary: "Service exposes an SSH port",
        remediation: "Remove the SSH server and port; use `kubectl exec` or `kubectl debug` instead.",
        mitre: [(Execution, "SSH server running inside container", "T1021.004")],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Service"], check },
    }
}

fn is_22(node: Option<&Node>) -> bool {
    node.and_then(Node::as_i64) == Some(22)
        || node.and_then(Node::as_str).map(str::trim) == Some("22")
}

fn is_ssh_name(node: Option<&Node>) -> bool {
    node.and_then(Node::as_str)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("ssh"))
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let Some(spec) = obj.root.get("spec") else {
        return;
    };
    if spec.get("type").and_then(Node::as_str) == Some("ExternalName") {
        return;
    }
    let ports = spec.get("ports").map(Node::items).unwrap_or_default();
    for (i, p) in ports.iter().enumerate() {
        if !p.is_map() {
            continue;
        }
        if let Some(proto) = p.get("protocol").and_then(Node::as_str)
            && !proto.eq_ignore_ascii_case("TCP")
        {
            continue;
        }
        let target = p.get("targetPort");
        let hit = if is_22(p.get("port")) {
            Some("port")
        } else if is_22(target) || is_ssh_name(target) {
            Some("targetPort")
        } else if is_ssh_name(p.get("name")) {
            Some("name")
        } else {
            None
        };
        let Some(field) = hit else {
            continue;
        };
        let node = p.get(field).unwrap_or(Node::null());
        let label = match (p.get("name").and_then(Node::as_str), p.get("port")) {
            (Some(n), _) => format!("`{n}`"),
            (None, Some(port)) => port.scalar_text().unwrap_or_else(|| format!("#{i}")),
            (None, None) => format!("#{i}"),
        };
        cx.report(
            format_args!("/spec/ports/{i}/{field}"),
            format_args!("Service port {label} exposes SSH"),
        )
        .evidence(util::show(field, node));
    }
}
