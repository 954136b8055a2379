use super::host_path;
use crate::{Check, Cx, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// `hostPath` volumes that expose a container runtime API socket: the socket itself
    /// (`/var/run/docker.sock`, `/run/containerd/containerd.sock`, `/var/run/crio/crio.sock`,
    /// `cri-dockerd.sock`, `podman.sock`, k3s and microk8s paths, any file named `docker.sock`,
    /// `containerd.sock` or `crio.sock`), a directory that contains one (`/var/run`, `/run`,
    /// `/var`, `/run/containerd`), anything inside a runtime state directory
    /// (`/run/containerd/...`), and the Windows named pipes `\\.\pipe\docker_engine` and
    /// `\\.\pipe\containerd-containerd`. Paths are normalised first (`//`, trailing `/`, `.`
    /// and `..`). A mount of `/` is reported by KW126 instead.
    ///
    /// ## Why it matters
    /// The runtime socket is the API that creates containers. Whoever can write to it can start
    /// a privileged container with the host's root filesystem mounted, i.e. is root on the
    /// node, bypassing every admission control of the cluster.
    ///
    /// ## How to fix
    /// Do not mount the runtime socket. Build images with a daemonless builder (BuildKit
    /// rootless, kaniko, buildah); read container metadata through the Kubernetes API or the
    /// kubelet instead of the runtime.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock   # KW125
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: pod security
    /// - Microsoft Threat Matrix for Kubernetes: hostPath mount, New container
    pub static RULE {
        code: "KW125",
        name: "container-runtime-socket-mount",
        severity: Critical,
        category: PodSecurity,
        summary: "Pod mounts the container runtime socket",
        remediation: "Remove the hostPath volume of the runtime socket; use a daemonless image builder or the Kubernetes API.",
        mitre: [(PrivilegeEscalation, "hostPath mount", "T1611"), (Execution, "New container", "T1610")],
        nsa: ["Pod security: hostPath volumes"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (i, v, raw) in pod.host_path_volumes() {
        if let Some(socket) = host_path::runtime_socket(raw) {
            let name = v.get("name").and_then(Node::as_str).unwrap_or("<unnamed>");
            let norm = host_path::normalize(raw);
            // Windows named pipes are shown as written; normalising is for Unix paths.
            let norm = if socket.starts_with('\\') {
                raw.trim()
            } else {
                norm.as_ref()
            };
            let what = if norm == socket || !socket.starts_with('/') || norm.ends_with(socket) {
                format_args!("exposes the container runtime socket {norm}")
            } else if socket.len() > norm.len() && socket.starts_with(norm) {
                format_args!("mounts {norm}, which contains the container runtime socket {socket}")
            } else {
                format_args!("mounts {norm}, inside the container runtime's directory {socket}")
            };
            cx.report(
                pod.ptr(&format!("volumes/{i}/hostPath/path")),
                format_args!("hostPath volume `{name}` {what}"),
            )
            .evidence(format_args!("hostPath.path: {raw}"));
        }
    }
}
