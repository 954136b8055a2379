use super::host_path;
use crate::{Check, Cx, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// `hostPath` volumes of sensitive host directories, anything inside them, and any
    /// directory that contains one: `/` (the whole host), `/etc`, `/proc`, `/sys`, `/dev`,
    /// `/boot`, `/root`, `/home`, `/var/lib/kubelet`, `/var/lib/etcd`, `/var/log`,
    /// `/var/lib/docker` and `/var/lib/containerd` (so `/etc/kubernetes`, `/var/lib` and
    /// `/sys/fs/cgroup` are reported too). Paths are normalised first.
    ///
    /// Not reported: the CA bundles and time zone files commonly mounted read-only
    /// (`/etc/ssl/certs`, `/etc/pki/tls/certs`, `/etc/pki/ca-trust`, `/etc/ca-certificates`,
    /// `/etc/localtime`, `/etc/timezone`), and paths that expose a container runtime socket
    /// (reported, as critical, by KW125).
    ///
    /// ## Why it matters
    /// These directories hold the node's credentials and control surfaces: kubelet and
    /// control-plane keys, every pod's service account tokens and secrets, etcd's data, host
    /// processes and devices, and logs. Read access leaks credentials; write access
    /// (hostPath mounts are writable unless the volumeMount says `readOnly`) is code execution
    /// on the node and a way to persist there.
    ///
    /// ## How to fix
    /// Use a narrower path, a projected or `emptyDir` volume, or a CSI driver. If a node agent
    /// really needs the mount, mount exactly the file it reads with `readOnly: true` and
    /// record an exception.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: host-etc
    ///   hostPath:
    ///     path: /etc   # KW126
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: pod security
    /// - Pod Security Standards, baseline: HostPath Volumes
    pub static RULE {
        code: "KW126",
        name: "sensitive-host-path",
        severity: High,
        category: PodSecurity,
        summary: "Pod mounts a sensitive host directory",
        remediation: "Do not mount sensitive host paths; mount the narrowest path needed, read-only.",
        mitre: [(PrivilegeEscalation, "hostPath mount", "T1611"), (Persistence, "Writable hostPath mount", "T1611")],
        nsa: ["Pod security: hostPath volumes"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (i, v, raw) in pod.host_path_volumes() {
        if host_path::runtime_socket(raw).is_some() {
            continue;
        }
        if let Some((dir, holds)) = host_path::sensitive(raw) {
            let name = v.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let norm = host_path::normalize(raw);
            let relation = if norm == dir {
                format_args!("mounts {dir}")
            } else if norm.len() > dir.len() {
                format_args!("mounts {norm}, inside {dir}")
            } else {
                format_args!("mounts {norm}, which contains {dir}")
            };
            cx.report(
                pod.ptr(&format!("volumes/{i}/hostPath/path")),
                format_args!("hostPath volume `{name}` {relation} ({holds})"),
            )
            .evidence(format_args!("hostPath.path: {raw}"));
        }
    }
}
