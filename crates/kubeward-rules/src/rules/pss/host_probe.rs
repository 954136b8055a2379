use super::common::text;
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Probes and lifecycle handlers that send the kubelet to another host: a non-empty `host`
    /// in `livenessProbe`, `readinessProbe` or `startupProbe` `.httpGet` / `.tcpSocket`, or in
    /// `lifecycle.postStart` / `lifecycle.preStop` `.httpGet` / `.tcpSocket`.
    ///
    /// ## Why it matters
    /// Probes and hooks are executed by the kubelet, from the node's network position. Pointing
    /// them at an arbitrary host turns the kubelet into a request forwarder (server-side request
    /// forgery): it can reach the cloud metadata endpoint, node-local services and networks the
    /// pod itself cannot, and leak the answer through probe status and events.
    ///
    /// ## How to fix
    /// Remove `host`; the kubelet then targets the pod's own IP, which is what a health check
    /// needs. Set a `Host` header in `httpHeaders` if a virtual host is required.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254   # KW112
    ///     path: /latest/meta-data/
    ///     port: 80
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Host Probes / Lifecycle Hooks
    ///   (`hostProbesAndHostLifecycle`, Kubernetes 1.34+)
    pub static RULE {
        code: "KW112",
        name: "host-probe",
        severity: Medium,
        category: PodSecurity,
        summary: "Probe or lifecycle hook targets another host",
        remediation: "Remove `host` from the probe or hook (use an `httpHeaders` Host header if needed).",
        mitre: [
            (LateralMovement, "Cluster internal networking", ""),
            (Discovery, "Instance Metadata API", ""),
        ],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: baseline("hostProbesAndHostLifecycle"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let mut handlers = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(p) = c.get(probe) {
                handlers.push((probe.to_string(), probe.to_string(), p));
            }
        }
        for hook in ["postStart", "preStop"] {
            if let Some(h) = c.get("lifecycle").and_then(|l| l.get(hook)) {
                handlers.push((format!("lifecycle/{hook}"), format!("{hook} hook"), h));
            }
        }
        for (ptr, what, handler) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                let Some(host) = handler.get(action).and_then(|a| a.get("host")) else {
                    continue;
                };
                if host.as_str() == Some("") {
                    continue;
                }
                cx.report(
                    c.field_ptr(&format!("{ptr}/{action}/host")),
                    format_args!(
                        "{} {what} ({action}) targets host {}",
                        c.describe(),
                        text(host)
                    ),
                )
                .evidence(util::show(&format!("{action}.host"), host));
            }
        }
    }
}
