use super::common::text;
use crate::{Check, Cx, restricted, rule};
use kubeward_core::{ContainerView, Node, PodView};

rule! {
    /// ## What it finds
    /// Containers (init, regular, ephemeral) that do not follow the restricted capability rule:
    /// - `securityContext.capabilities.drop` does not include `ALL` (or is absent);
    /// - `securityContext.capabilities.add` lists anything but `NET_BIND_SERVICE` (each such
    ///   capability is reported at its list item; KW105 also reports those outside the
    ///   baseline set).
    ///
    /// Names are compared exactly, as PSA does: `all` or `CAP_ALL` in `drop` does not count.
    /// Windows pods (`spec.os.name: windows`) are exempt, as in PSA since Kubernetes 1.25.
    ///
    /// ## Why it matters
    /// Container runtimes grant a default set of about 14 capabilities (`CHOWN`, `DAC_OVERRIDE`,
    /// `FOWNER`, `SETUID`, `SETGID`, `NET_RAW`, `MKNOD`, ...). Most applications need none of
    /// them; each one left in place is attack surface for privilege escalation inside the
    /// container and for attacks on the pod network (`NET_RAW` spoofing).
    ///
    /// ## How to fix
    /// Drop `ALL` and add back `NET_BIND_SERVICE` only if the process binds a port below 1024.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Capabilities (`capabilities_restricted`)
    /// - CIS Kubernetes Benchmark 5.2.9, 5.2.10
    pub static RULE {
        code: "KW118",
        name: "capabilities-not-dropped",
        severity: Medium,
        category: PodSecurity,
        summary: "Container does not drop ALL capabilities (or adds more than NET_BIND_SERVICE)",
        remediation: "Set `capabilities.drop: [\"ALL\"]` and add back at most `NET_BIND_SERVICE`.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: ["5.2.9", "5.2.10"],
        pss: restricted("capabilities_restricted"),
        check: Check::Pod(check),
    }
}

/// Where to point when `drop: [ALL]` is missing: the nearest of `capabilities/drop`,
/// `capabilities`, `securityContext` and the container that exists.
fn missing_drop_ptr(c: &ContainerView<'_>) -> (String, String) {
    let caps = c.sc("capabilities");
    if let Some(drop) = caps.and_then(|caps| caps.get("drop")) {
        let listed: Vec<String> = drop.items().iter().filter_map(Node::scalar_text).collect();
        return (
            c.sc_ptr("capabilities/drop").to_string(),
            format!("capabilities.drop: [{}]", listed.join(", ")),
        );
    }
    let ptr = if caps.is_some() {
        c.sc_ptr("capabilities")
    } else if c.get("securityContext").is_some_and(Node::is_map) {
        c.field_ptr("securityContext")
    } else {
        c.ptr()
    };
    (ptr.to_string(), "capabilities.drop: not set".into())
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        let caps = c.sc("capabilities");
        let drops_all = caps
            .and_then(|caps| caps.get("drop"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            let (ptr, evidence) = missing_drop_ptr(&c);
            cx.report(
                ptr,
                format_args!("{} does not drop ALL capabilities", c.describe()),
            )
            .evidence(evidence);
        }
        let add = caps
            .and_then(|caps| caps.get("add"))
            .map(Node::items)
            .unwrap_or_default();
        for (k, cap) in add.iter().enumerate() {
            if cap.is_null() || cap.as_str() == Some("NET_BIND_SERVICE") {
                continue;
            }
            let name = text(cap);
            cx.report(
                c.sc_ptr(&format!("capabilities/add/{k}")),
                format_args!(
                    "{} adds capability {name} (only NET_BIND_SERVICE is allowed)",
                    c.describe()
                ),
            )
            .evidence(format_args!("capabilities.add: {name}"));
        }
    }
}
