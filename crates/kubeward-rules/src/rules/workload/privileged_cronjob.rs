use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object, PodView};

rule! {
    /// ## What it finds
    /// CronJobs whose pod template can take over the node: a privileged container, a host
    /// namespace (`hostPID`, `hostIPC`, `hostNetwork`), a `hostPath` volume, or a container
    /// adding a dangerous capability (`ALL`, `SYS_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`,
    /// `SYS_RAWIO`, `SYS_BOOT`, `NET_ADMIN`, `DAC_READ_SEARCH`, `BPF`, `PERFMON`). One finding
    /// per CronJob, at the first such setting; the message lists them all.
    ///
    /// ## Why it matters
    /// A CronJob is a persistence mechanism: it recreates its pod on every run, so deleting a
    /// malicious pod does not remove it, and scheduled runs draw little attention. A CronJob
    /// with host access is how an attacker keeps root on the nodes (Kubernetes CronJob,
    /// ATT&CK T1053.007). The individual settings are also reported by their own rules; this
    /// rule flags the combination as a persistence risk to review first.
    ///
    /// ## How to fix
    /// Remove the host access from the job's pod template. Node maintenance that truly needs
    /// it belongs in a reviewed DaemonSet or node tooling, not in a schedule anyone with
    /// CronJob access can edit.
    ///
    /// ## Example
    /// ```yaml
    /// kind: CronJob
    /// spec:
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           hostPID: true   # KW131
    /// ```
    ///
    /// ## References
    /// - MITRE ATT&CK T1053.007 Scheduled Task/Job: Container Orchestration Job
    /// - Microsoft Threat Matrix for Kubernetes: Kubernetes CronJob
    pub static RULE {
        code: "KW131",
        name: "privileged-cronjob",
        severity: High,
        category: PodSecurity,
        summary: "CronJob runs a pod with host-level privileges on a schedule",
        remediation: "Remove privileged mode, host namespaces, hostPath volumes and dangerous capabilities from the CronJob's pod template.",
        mitre: [(Persistence, "Kubernetes CronJob", "T1053.007"), (PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security: non-root containers and privilege"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["CronJob"], check },
    }
}

const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "NET_ADMIN",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
];

fn dangerous_cap(cap: &str) -> bool {
    let cap = cap.trim();
    let cap = cap
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("CAP_"))
        .map_or(cap, |_| &cap[4..]);
    DANGEROUS_CAPS.iter().any(|d| d.eq_ignore_ascii_case(cap))
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let Some(pod) = PodView::of(obj) else {
        return;
    };
    // (pointer, evidence) of the first reason; the descriptions of all of them.
    let mut first: Option<(String, String)> = None;
    let mut reasons: Vec<String> = Vec::new();
    let mut add = |ptr: String, evidence: String, reason: String| {
        if first.is_none() {
            first = Some((ptr, evidence));
        }
        reasons.push(reason);
    };
    for c in pod.containers() {
        if let Some(p) = c.sc("privileged")
            && p.is_true()
        {
            add(
                c.sc_ptr("privileged").to_string(),
                "privileged: true".into(),
                format!("{} is privileged", c.describe()),
            );
        }
        if let Some(add_caps) = c.sc("capabilities").and_then(|caps| caps.get("add")) {
            for (i, cap) in add_caps.items().iter().enumerate() {
                if let Some(name) = cap.as_str()
                    && dangerous_cap(name)
                {
                    add(
                        c.sc_ptr(&format!("capabilities/add/{i}")).to_string(),
                        format!("capabilities.add: {name}"),
                        format!("{} adds {name}", c.describe()),
                    );
                }
            }
        }
    }
    for field in ["hostPID", "hostIPC", "hostNetwork"] {
        if let Some(v) = pod.get(field)
            && v.is_true()
        {
            add(
                pod.ptr(field).to_string(),
                format!("{field}: true"),
                format!("{field}: true"),
            );
        }
    }
    for (i, v) in pod.volumes() {
        if let Some(path) = v.path(&["hostPath", "path"]) {
            let name = v.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let shown = path.as_str().unwrap_or("?");
            add(
                pod.ptr(&format!("volumes/{i}/hostPath/path")).to_string(),
                util::show("hostPath.path", path),
                format!("hostPath volume `{name}` ({shown})"),
            );
        }
    }
    if let Some((ptr, evidence)) = first {
        cx.report(
            ptr,
            format_args!(
                "CronJob runs a pod with host access on a schedule: {}",
                reasons.join(", ")
            ),
        )
        .evidence(evidence);
    }
}
