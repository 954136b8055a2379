//! Classifying hostPath paths (KW125, KW126, KW131): normalisation, container runtime sockets
//! and sensitive host directories.

use std::borrow::Cow;

/// Normalises an absolute path lexically: `//` and `/./` collapse, `..` goes up, a trailing
/// `/` is dropped (`/var/run//docker.sock/` → `/var/run/docker.sock`). Borrows when the path
/// is already normal.
pub fn normalize(path: &str) -> Cow<'_, str> {
    let clean = path.starts_with('/')
        && (path.len() == 1 || !path.ends_with('/'))
        && !path.contains("//")
        && !path.contains("/./")
        && !path.contains("/../")
        && !path.ends_with("/.")
        && !path.ends_with("/..");
    if clean {
        return Cow::Borrowed(path);
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Cow::Owned(format!("/{}", parts.join("/")))
}

/// Container runtime API sockets at their usual places.
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
    "/run/dockershim.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
    "/var/snap/microk8s/common/run/containerd.sock",
];

/// Runtime state directories: anything inside them reaches the runtime.
const RUNTIME_DIRS: &[&str] = &[
    "/var/run/docker",
    "/run/docker",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/crio",
    "/run/crio",
    "/run/k3s/containerd",
    "/var/run/podman",
    "/run/podman",
];

/// Socket file names recognised wherever they are (rootless and distribution-specific paths).
const SOCKET_NAMES: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
    "dockershim.sock",
    "podman.sock",
];

/// Is `inner` equal to `outer` or inside it (both normalised)?
fn within(inner: &str, outer: &str) -> bool {
    inner == outer
        || (inner.len() > outer.len()
            && inner.starts_with(outer)
            && (outer == "/" || inner.as_bytes().get(outer.len()) == Some(&b'/')))
}

/// If mounting `raw` (a hostPath path as written) exposes a container runtime socket, the
/// socket it exposes. `/` itself is left to [`sensitive`] (it exposes everything).
pub fn runtime_socket(raw: &str) -> Option<&'static str> {
    // Windows named pipes: `\\.\pipe\docker_engine`, `//./pipe/containerd-containerd`.
    let lower_has = |needle: &str| {
        raw.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    if lower_has("pipe\\docker_engine") || lower_has("pipe/docker_engine") {
        return Some("\\\\.\\pipe\\docker_engine");
    }
    if lower_has("pipe\\containerd-containerd") || lower_has("pipe/containerd-containerd") {
        return Some("\\\\.\\pipe\\containerd-containerd");
    }
    let path = normalize(raw);
    let path = path.as_ref();
    if path == "/" {
        return None;
    }
    if let Some(s) = SOCKETS.iter().find(|s| within(path, s) || within(s, path)) {
        return Some(s);
    }
    if let Some(d) = RUNTIME_DIRS.iter().find(|d| within(path, d)) {
        return Some(d);
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    SOCKET_NAMES.iter().find(|n| **n == base).copied()
}

/// Host paths that must not be mounted into pods, and what they hold.
pub const SENSITIVE: &[(&str, &str)] = &[
    ("/", "the host's root filesystem"),
    ("/etc", "host configuration and credentials"),
    ("/proc", "host processes"),
    ("/sys", "kernel and cgroup settings"),
    ("/dev", "host devices"),
    ("/boot", "the kernel and boot files"),
    ("/root", "root's home directory"),
    ("/home", "users' home directories"),
    ("/var/lib/kubelet", "kubelet state and every pod's secrets"),
    ("/var/lib/etcd", "etcd data, every cluster secret included"),
    ("/var/log", "host and pod logs"),
    ("/var/lib/docker", "container images and filesystems"),
    ("/var/lib/containerd", "container images and filesystems"),
];

/// Read-only data under a sensitive directory that is commonly and harmlessly mounted.
const HARMLESS: &[&str] = &[
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/ca-certificates",
    "/etc/localtime",
    "/etc/timezone",
];

/// If `raw` is, is inside, or contains a sensitive host path: that path and what it holds.
pub fn sensitive(raw: &str) -> Option<(&'static str, &'static str)> {
    let path = normalize(raw);
    let path = path.as_ref();
    if !path.starts_with('/') || HARMLESS.iter().any(|h| within(path, h)) {
        return None;
    }
    SENSITIVE
        .iter()
        .find(|(s, _)| {
            if *s == "/" {
                path == "/"
            } else {
                within(path, s) || within(s, path)
            }
        })
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("/var/run//docker.sock/"), "/var/run/docker.sock");
        assert_eq!(normalize("/var/run/../run/./x"), "/var/run/x");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("//"), "/");
        assert_eq!(normalize("/etc"), "/etc");
        assert!(matches!(normalize("/etc"), Cow::Borrowed(_)));
        assert_eq!(normalize("/.."), "/");
    }

    #[test]
    fn sockets() {
        for p in [
            "/var/run/docker.sock",
            "/var/run//docker.sock/",
            "/var/run",
            "/run",
            "/var/run/",
            "/var",
            "/run/containerd",
            "/run/containerd/io.containerd.runtime.v2.task",
            "/run/k3s/containerd/containerd.sock",
            "/run/user/1000/docker.sock",
            "\\\\.\\pipe\\docker_engine",
        ] {
            assert!(runtime_socket(p).is_some(), "{p}");
        }
        for p in [
            "/",
            "/etc",
            "/run/xtables.lock",
            "/var/lib/kubelet",
            "/var/run/netns",
            "",
        ] {
            assert!(runtime_socket(p).is_none(), "{p}");
        }
    }

    #[test]
    fn sensitive_paths() {
        for p in [
            "/",
            "//",
            "/etc",
            "/etc/",
            "/etc/kubernetes",
            "/proc",
            "/sys/fs/cgroup",
            "/dev",
            "/var/lib/kubelet/pods",
            "/var/lib",
            "/var/log/pods",
            "/root/.ssh",
            "/home",
        ] {
            assert!(sensitive(p).is_some(), "{p}");
        }
        for p in [
            "/data",
            "/opt/app",
            "/etc/ssl/certs",
            "/etc/localtime",
            "/var/lib/app",
            "/lib/modules",
            "/etcd-backup",
            "relative",
        ] {
            assert!(sensitive(p).is_none(), "{p}");
        }
    }
}
