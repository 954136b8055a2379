use super::common::text;
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

/// The namespaced, "safe" sysctls the baseline level allows (PSA's 1.32 list, the latest in a
/// released Kubernetes).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

rule! {
    /// ## What it finds
    /// Pod-level `securityContext.sysctls` whose `name` is not in the safe set the baseline
    /// level allows (Kubernetes 1.32): `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    /// `net.ipv4.ip_local_reserved_ports`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`,
    /// `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
    /// `net.ipv4.tcp_keepalive_probes`, `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`.
    /// Names are compared exactly (the slash form `net/ipv4/...` is not in the set).
    ///
    /// ## Why it matters
    /// Other sysctls are either not namespaced (they change the whole node's kernel) or not
    /// isolated between pods: `kernel.*` shared-memory limits, `net.core.*`,
    /// `vm.*`. A pod that sets them can degrade or destabilise the node and its neighbours.
    ///
    /// ## How to fix
    /// Remove the sysctl. If a node really needs it, set it on the node (or in a dedicated,
    /// exempted namespace with the kubelet's `--allowed-unsafe-sysctls`).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: kernel.msgmax   # KW110
    ///     value: "65536"
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Sysctls (`sysctls`)
    pub static RULE {
        code: "KW110",
        name: "unsafe-sysctls",
        severity: Medium,
        category: PodSecurity,
        summary: "Pod sets a sysctl outside the safe set",
        remediation: "Remove the sysctl, or set it on the node instead of in the pod.",
        mitre: [
            (PrivilegeEscalation, "Privileged container", "T1611"),
            (Impact, "Denial of service", "T1499"),
        ],
        nsa: ["Pod security: pod security enforcement"],
        cis: [],
        pss: baseline("sysctls"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    let sysctls = pod.sc("sysctls").map(Node::items).unwrap_or_default();
    for (i, s) in sysctls.iter().enumerate() {
        let name = s.get("name");
        if name
            .and_then(Node::as_str)
            .is_some_and(|n| SAFE_SYSCTLS.contains(&n))
        {
            continue;
        }
        let (ptr, shown, evidence) = match name {
            Some(n) => (
                pod.sc_ptr(&format!("sysctls/{i}/name")).to_string(),
                format!("unsafe sysctl {}", text(n)),
                util::show("sysctls.name", n),
            ),
            None => (
                pod.sc_ptr(&format!("sysctls/{i}")).to_string(),
                "a sysctl without a name".into(),
                "sysctls: entry without a name".into(),
            ),
        };
        cx.report(ptr, format_args!("pod sets {shown}"))
            .evidence(evidence);
    }
}
