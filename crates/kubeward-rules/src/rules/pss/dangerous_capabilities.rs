use super::common::text;
use crate::{Check, Cx, baseline, rule};
use kubeward_core::{Node, PodView};

/// The capabilities the baseline level allows a container to add (the container runtime's
/// default set minus `NET_RAW`). PSA compares exact strings, so `CAP_CHOWN` or `chown` is not in
/// the set.
pub(super) const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

rule! {
    /// ## What it finds
    /// Containers whose `securityContext.capabilities.add` lists a capability outside the
    /// baseline set (`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
    /// `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`): for example
    /// `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE`, `NET_RAW` or `ALL`. Each such capability is
    /// reported at its list item.
    ///
    /// Names are compared exactly, as the Pod Security admission controller does: `CAP_SYS_ADMIN`,
    /// `sys_admin` or `CAP_CHOWN` are not in the allowed set and are reported too (the runtime
    /// accepts some of these spellings, so they are not harmless typos).
    ///
    /// ## Why it matters
    /// Capabilities split root's power into pieces, and several pieces are enough to escape the
    /// container: `SYS_ADMIN` (mount, BPF, namespaces), `SYS_PTRACE` (inspect other processes),
    /// `SYS_MODULE` (load kernel modules), `NET_ADMIN`/`NET_RAW` (spoof and sniff traffic on the
    /// pod network), `DAC_READ_SEARCH` (read any file by handle), `ALL` (everything).
    ///
    /// ## How to fix
    /// Remove the capability from `capabilities.add`. Drop `ALL` and add back only what the
    /// process needs (usually nothing, or `NET_BIND_SERVICE`).
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]   # KW105
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Capabilities (`capabilities_baseline`)
    /// - CIS Kubernetes Benchmark 5.2.8, 5.2.9
    pub static RULE {
        code: "KW105",
        name: "dangerous-capabilities",
        severity: High,
        category: PodSecurity,
        summary: "Container adds a Linux capability outside the baseline set",
        remediation: "Remove the capability from `capabilities.add`; drop ALL and add back only what is needed.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.8", "5.2.9"],
        pss: baseline("capabilities_baseline"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let Some(caps) = c.sc("capabilities") else {
            continue;
        };
        let add = caps.get("add").map(Node::items).unwrap_or_default();
        for (k, cap) in add.iter().enumerate() {
            if cap
                .as_str()
                .is_some_and(|s| BASELINE_CAPABILITIES.contains(&s))
                || cap.is_null()
            {
                continue;
            }
            let name = text(cap);
            cx.report(
                c.sc_ptr(&format!("capabilities/add/{k}")),
                format_args!("{} adds capability {name}", c.describe()),
            )
            .evidence(format_args!("capabilities.add: {name}"));
        }
    }
}
