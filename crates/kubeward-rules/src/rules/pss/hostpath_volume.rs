use super::common::text;
use crate::{Check, Cx, baseline, rule, util};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Pod volumes of type `hostPath` (`spec.volumes[*].hostPath`), whatever the path and
    /// whether or not a container mounts it read-only.
    ///
    /// ## Why it matters
    /// A hostPath volume exposes part of the node's filesystem to the pod. Mounting `/`,
    /// `/var/run/docker.sock`, `/var/lib/kubelet` or `/etc` is a direct route to node takeover
    /// and to every other pod's secrets; even a "harmless" path can be used to plant files the
    /// node later executes (persistence) or to fill the node's disk.
    ///
    /// ## How to fix
    /// Use `emptyDir`, a `configMap`/`secret`, a `persistentVolumeClaim` or a CSI volume. Agents
    /// that must read the host belong in a dedicated, exempted namespace.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:            # KW103
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: HostPath Volumes (`hostPathVolumes`)
    /// - CIS Kubernetes Benchmark 5.2.12
    pub static RULE {
        code: "KW103",
        name: "hostpath-volume",
        severity: High,
        category: PodSecurity,
        summary: "Pod mounts a directory of the node (hostPath volume)",
        remediation: "Replace the hostPath volume with emptyDir, a ConfigMap/Secret, a PVC or a CSI volume.",
        mitre: [
            (PrivilegeEscalation, "hostPath mount", "T1611"),
            (Persistence, "Writable hostPath mount", ""),
        ],
        nsa: ["Pod security: pod security enforcement"],
        cis: ["5.2.12"],
        pss: baseline("hostPathVolumes"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (i, vol) in pod.volumes() {
        let Some(hp) = vol.get("hostPath") else {
            continue;
        };
        let name = vol
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        let path = hp.get("path").map(text);
        let message = match &path {
            Some(p) => format!("volume `{name}` mounts the node's `{p}` (hostPath)"),
            None => format!("volume `{name}` is a hostPath volume"),
        };
        let evidence = match hp.get("path") {
            Some(p) => util::show("hostPath.path", p),
            None => util::show("hostPath", hp),
        };
        cx.report(pod.ptr(&format!("volumes/{i}/hostPath")), message)
            .evidence(evidence);
    }
}
