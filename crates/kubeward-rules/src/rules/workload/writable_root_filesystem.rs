use crate::{Check, Cx, rule, util};
use kubeward_core::{ContainerList, PodView};

rule! {
    /// ## What it finds
    /// Containers and init containers whose `securityContext.readOnlyRootFilesystem` is not
    /// `true` (absent, null or `false`). The field exists only on containers, so there is no
    /// pod-level value to inherit. Ephemeral (debug) containers and Windows pods
    /// (`spec.os.name: windows`, where the field is not supported) are not checked.
    ///
    /// ## Why it matters
    /// A writable root filesystem lets an attacker who gets code execution in the container
    /// download tools, drop binaries, modify the application or its configuration and persist
    /// across process restarts. An immutable filesystem turns most of these into errors and
    /// makes tampering visible.
    ///
    /// ## How to fix
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` volume at each path the
    /// application must write to (`/tmp`, caches).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27
    ///   securityContext:
    ///     readOnlyRootFilesystem: true
    ///   volumeMounts:
    ///   - {name: tmp, mountPath: /tmp}
    /// volumes:
    /// - {name: tmp, emptyDir: {}}
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Use immutable container file systems"
    pub static RULE {
        code: "KW120",
        name: "writable-root-filesystem",
        severity: Medium,
        category: PodSecurity,
        summary: "Container root filesystem is writable",
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where the application writes.",
        mitre: [(Persistence, "Backdoor container", "T1525"), (Execution, "Application exploit (RCE)", "T1190")],
        nsa: ["Pod security: immutable container file systems"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    if pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        if c.list == ContainerList::EphemeralContainers {
            continue;
        }
        match c.sc("readOnlyRootFilesystem") {
            Some(v) if v.is_true() => {}
            Some(v) => {
                let why = if v.as_bool().is_some() {
                    ""
                } else {
                    " (readOnlyRootFilesystem is not a boolean)"
                };
                let evidence = match v.as_str() {
                    Some(s) => format!("readOnlyRootFilesystem: \"{s}\""),
                    None => util::show("readOnlyRootFilesystem", v),
                };
                cx.report(
                    c.sc_ptr("readOnlyRootFilesystem"),
                    format_args!("{} has a writable root filesystem{why}", c.describe()),
                )
                .evidence(evidence);
            }
            None => {
                let ptr = if c.get("securityContext").is_some() {
                    c.field_ptr("securityContext")
                } else {
                    c.ptr()
                };
                cx.report(
                    ptr,
                    format_args!(
                        "{} has a writable root filesystem (readOnlyRootFilesystem is not set)",
                        c.describe()
                    ),
                )
                .evidence("readOnlyRootFilesystem: not set");
            }
        }
    }
}
