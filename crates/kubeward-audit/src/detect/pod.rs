//! What a pod spec (of a Pod, or of a workload's template) asks for, as far as the detections
//! care: privileged or root containers, added capabilities, hostPath volumes, host namespaces,
//! service account, images. Works on partial objects (patches) and never panics on odd JSON.

use serde_json::Value;

/// Capabilities that are container-escape or host-tampering primitives.
pub(crate) const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "BPF",
    "PERFMON",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
];

/// Host paths whose mount is an escape or a credential read (prefix match on path segments).
pub(crate) const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/log",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/etcd",
    "/etc/kubernetes",
    "/var/run",
    "/run",
    "/var/run/docker.sock",
    "/run/containerd",
    "/var/run/crio",
];

#[derive(Debug, Default)]
pub(crate) struct PodFacts {
    /// `container (image)` of privileged containers.
    pub privileged: Vec<String>,
    /// Containers (or the pod) explicitly running as root.
    pub root: Vec<String>,
    /// `container: CAP`.
    pub caps: Vec<String>,
    /// `(volume, path, sensitive)`.
    pub host_paths: Vec<(String, String, bool)>,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub service_account: Option<String>,
    pub images: Vec<String>,
    /// `(kind, name)` of the controlling owner (pods only).
    pub owner: Option<(String, String)>,
    /// `command args` of every container, joined.
    pub commands: Vec<String>,
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

fn is_true(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

/// The pod spec inside an object of the given resource (`pods`, `deployments`, ...), for a full
/// object or a merge patch.
pub(crate) fn pod_spec<'v>(resource: &str, obj: &'v Value) -> Option<&'v Value> {
    let spec = obj.get("spec");
    match resource {
        "pods" | "ephemeralcontainers" => spec,
        "cronjobs" => spec?
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        "podtemplates" => obj.get("template")?.get("spec"),
        _ => spec?.get("template")?.get("spec"),
    }
    .filter(|s| s.is_object())
}

/// Is `resource` one whose objects carry a pod template?
pub(crate) fn is_workload(resource: &str) -> bool {
    matches!(
        resource,
        "deployments"
            | "daemonsets"
            | "statefulsets"
            | "replicasets"
            | "replicationcontrollers"
            | "jobs"
            | "cronjobs"
            | "podtemplates"
    )
}

/// The kind name of a workload resource.
pub(crate) fn kind_of(resource: &str) -> &'static str {
    match resource {
        "pods" => "Pod",
        "deployments" => "Deployment",
        "daemonsets" => "DaemonSet",
        "statefulsets" => "StatefulSet",
        "replicasets" => "ReplicaSet",
        "replicationcontrollers" => "ReplicationController",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "podtemplates" => "PodTemplate",
        _ => "object",
    }
}

/// The repository of an image reference (`nginx:1.25` -> `nginx`, `reg:5000/a/b@sha256:..`
/// -> `reg:5000/a/b`).
pub(crate) fn repository(image: &str) -> &str {
    let no_digest = image.split_once('@').map_or(image, |(r, _)| r);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .filter_map(move |k| spec.get(k).and_then(Value::as_array))
        .flatten()
        .filter(|c| c.is_object())
}

pub(crate) fn analyze(spec: &Value, meta: Option<&Value>) -> PodFacts {
    let mut f = PodFacts::default();
    let pod_sc = spec.get("securityContext");
    let pod_root = pod_sc.is_some_and(|sc| {
        sc.get("runAsUser").and_then(Value::as_i64) == Some(0)
            || matches!(sc.get("runAsNonRoot"), Some(Value::Bool(false)))
    });
    if pod_root {
        f.root.push("pod securityContext".into());
    }
    for c in containers(spec) {
        let name = c.get("name").and_then(str_of).unwrap_or("?");
        let image = c.get("image").and_then(str_of);
        if let Some(i) = image {
            f.images.push(i.to_string());
        }
        let label = match image {
            Some(i) => format!("{name} ({i})"),
            None => name.to_string(),
        };
        let mut cmd = Vec::new();
        for k in ["command", "args"] {
            if let Some(a) = c.get(k).and_then(Value::as_array) {
                cmd.extend(a.iter().filter_map(str_of).map(str::to_string));
            }
        }
        if !cmd.is_empty() {
            f.commands.push(cmd.join(" "));
        }
        let Some(sc) = c.get("securityContext").filter(|s| s.is_object()) else {
            continue;
        };
        if is_true(sc.get("privileged")) {
            f.privileged.push(label.clone());
        }
        if sc.get("runAsUser").and_then(Value::as_i64) == Some(0)
            || matches!(sc.get("runAsNonRoot"), Some(Value::Bool(false)))
        {
            f.root.push(label.clone());
        }
        if let Some(add) = sc
            .get("capabilities")
            .and_then(|c| c.get("add"))
            .and_then(Value::as_array)
        {
            for cap in add.iter().filter_map(str_of) {
                let norm = cap.trim().to_ascii_uppercase();
                let norm = norm.strip_prefix("CAP_").unwrap_or(&norm);
                if DANGEROUS_CAPS.contains(&norm) {
                    f.caps.push(format!("{name}: {norm}"));
                }
            }
        }
    }
    if let Some(vols) = spec.get("volumes").and_then(Value::as_array) {
        for v in vols {
            if let Some(path) = v
                .get("hostPath")
                .and_then(|h| h.get("path"))
                .and_then(str_of)
            {
                let name = v.get("name").and_then(str_of).unwrap_or("?").to_string();
                let sensitive = is_sensitive_path(path);
                f.host_paths.push((name, path.to_string(), sensitive));
            }
        }
    }
    f.host_network = is_true(spec.get("hostNetwork"));
    f.host_pid = is_true(spec.get("hostPID"));
    f.host_ipc = is_true(spec.get("hostIPC"));
    f.service_account = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(str_of)
        .map(str::to_string);
    f.owner = meta
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .and_then(|owners| {
            owners
                .iter()
                .find(|o| is_true(o.get("controller")))
                .or_else(|| owners.first())
        })
        .and_then(|o| {
            Some((
                o.get("kind").and_then(str_of)?.to_string(),
                o.get("name").and_then(str_of)?.to_string(),
            ))
        });
    f
}

/// A sensitive host path: one of [`SENSITIVE_HOST_PATHS`] or below `/etc`, `/root`, `/proc`,
/// `/var/lib/kubelet`, `/etc/kubernetes`, or a container-runtime socket.
pub(crate) fn is_sensitive_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    let p = if p.is_empty() { "/" } else { p };
    if SENSITIVE_HOST_PATHS.contains(&p) {
        return true;
    }
    if p.ends_with(".sock") {
        return true;
    }
    [
        "/etc/",
        "/root/",
        "/proc/",
        "/sys/",
        "/dev/",
        "/boot/",
        "/var/lib/kubelet/",
        "/var/lib/docker/",
        "/var/lib/etcd/",
        "/var/log/",
        "/home/",
    ]
    .iter()
    .any(|pre| p.starts_with(pre))
}

/// The workloads a controller-created pod may come from: the owner, and the owner's owner by
/// naming convention (ReplicaSet `web-6d4cf56db6` of Deployment `web`, Job `backup-28847431`
/// of CronJob `backup`).
pub(crate) fn owner_candidates(kind: &str, name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    if matches!(kind, "ReplicaSet" | "Job")
        && let Some((base, suffix)) = name.rsplit_once('-')
        && !base.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        out.push(base.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_of_a_node_shell_pod() {
        let pod = json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "web-6d4cf56db6", "controller": true}]},
            "spec": {"hostPID": true, "hostNetwork": true, "serviceAccountName": "x",
            "volumes": [{"name": "host", "hostPath": {"path": "/"}}, {"name": "data", "hostPath": {"path": "/data"}}, {"name": "c", "configMap": {"name": "c"}}],
            "initContainers": [{"name": "init", "image": "busybox", "securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN", "NET_RAW"]}}}],
            "containers": [{"name": "shell", "image": "alpine:3", "command": ["sh", "-c"], "args": ["sleep 1"], "securityContext": {"privileged": true, "runAsUser": 0}}, null, 7]}});
        let spec = pod_spec("pods", &pod).unwrap();
        let f = analyze(spec, pod.get("metadata"));
        assert_eq!(f.privileged, vec!["shell (alpine:3)"]);
        assert_eq!(f.root, vec!["shell (alpine:3)"]);
        assert_eq!(f.caps, vec!["init: SYS_ADMIN"]);
        assert_eq!(
            f.host_paths,
            vec![
                ("host".into(), "/".into(), true),
                ("data".into(), "/data".into(), false)
            ]
        );
        assert!(f.host_pid && f.host_network && !f.host_ipc);
        assert_eq!(f.images, vec!["busybox", "alpine:3"]);
        assert_eq!(
            f.owner,
            Some(("ReplicaSet".into(), "web-6d4cf56db6".into()))
        );
        assert_eq!(f.commands, vec!["sh -c sleep 1"]);
        assert_eq!(
            owner_candidates("ReplicaSet", "web-6d4cf56db6"),
            vec!["web-6d4cf56db6", "web"]
        );
    }

    #[test]
    fn templates_and_odd_shapes() {
        let cj =
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": true}}}}}});
        assert!(analyze(pod_spec("cronjobs", &cj).unwrap(), None).host_ipc);
        assert!(pod_spec("deployments", &json!({"spec": null})).is_none());
        assert!(pod_spec("deployments", &json!([1, 2])).is_none());
        let f = analyze(
            &json!({"containers": "nope", "volumes": [{"hostPath": 3}]}),
            None,
        );
        assert!(f.images.is_empty() && f.host_paths.is_empty());
        assert_eq!(repository("reg:5000/a/b:1.2@sha256:abc"), "reg:5000/a/b");
        assert_eq!(repository("reg:5000/a/b"), "reg:5000/a/b");
        assert_eq!(repository("nginx"), "nginx");
        assert!(
            is_sensitive_path("/var/run/docker.sock")
                && is_sensitive_path("/etc/kubernetes/pki/")
                && is_sensitive_path("/")
        );
        assert!(
            !is_sensitive_path("/data")
                && !is_sensitive_path("/usr/local")
                && !is_sensitive_path("/mnt/data")
        );
    }
}
