//! `kubeward node manifests`: the YAML that runs the node check on every node (a DaemonSet),
//! or once on one node (a Job), as narrowly as such a check allows. Every privilege the pod
//! has is explained by a comment next to it.
//!
//! What the check reads, and therefore what is mounted (read-only, from the kubeadm layout):
//! `/etc/kubernetes` (static pod manifests, kubeconfigs, the PKI — stat only —, encryption and
//! audit configuration), the kubelet's systemd unit and drop-ins, its flags files
//! (`/var/lib/kubelet/kubeadm-flags.env`, `/etc/default`), its config file
//! (`/var/lib/kubelet/config.yaml`, not the rest of `/var/lib/kubelet`, which holds every pod's
//! Secrets), the CNI configuration, `/etc/passwd` and `/etc/group` (owner names). The process
//! table comes from `hostPID: true`. The etcd data directory is mounted only on request: its
//! mode and owner are checked (CIS 1.1.11/1.1.12), but the mount would expose the database.
//!
//! Every value from the options is written as a JSON string (valid YAML), so no option can add
//! keys or documents.

use std::fmt::Write as _;
use std::time::Duration;

/// The namespace by default.
pub const DEFAULT_NAMESPACE: &str = "kubeward-node";
/// The check repeats this often in the DaemonSet.
pub const DEFAULT_INTERVAL: &str = "6h";
/// Name of every object.
pub const NAME: &str = "kubeward-node";

/// The image of this kubeward version (tag only: pin it by digest).
pub fn default_image() -> String {
    format!("ghcr.io/kubeward/kubeward:{}", env!("CARGO_PKG_VERSION"))
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestOptions {
    pub namespace: String,
    pub image: String,
    /// How often the DaemonSet's check runs (`30m`, `6h`, `1d`).
    pub interval: String,
    /// `--format` of the check's output (its log).
    pub format: String,
    /// Mount etcd's data directory to check its mode and owner (exposes the database).
    pub etcd_data_dir: Option<String>,
    /// More host paths to mount read-only (RPM-based nodes: `/etc/sysconfig`).
    pub extra_host_paths: Vec<String>,
    /// Instead of the DaemonSet, a Job that runs the check once on this node.
    pub job_node: Option<String>,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            namespace: DEFAULT_NAMESPACE.into(),
            image: default_image(),
            interval: DEFAULT_INTERVAL.into(),
            format: "json".into(),
            etcd_data_dir: None,
            extra_host_paths: Vec::new(),
            job_node: None,
        }
    }
}

/// `90s`, `30m`, `6h`, `1d` (a positive whole number and one unit).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| {
        format!("invalid duration `{s}`: expected a number and a unit, e.g. 30m or 6h")
    })?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "invalid duration `{s}`: the unit must be s, m, h or d"
            ));
        }
    };
    if secs == 0 {
        return Err(format!("invalid duration `{s}`: must be more than 0"));
    }
    Ok(Duration::from_secs(secs))
}

impl ManifestOptions {
    /// Checks the options as the API server would.
    pub fn validate(&self) -> Result<(), String> {
        let label = |what: &str, s: &str, max: usize, dots: bool| -> Result<(), String> {
            let ok = !s.is_empty()
                && s.len() <= max
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (dots && b == b'.')
                })
                && !s.starts_with(['-', '.'])
                && !s.ends_with(['-', '.']);
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "invalid {what} `{s}`: lowercase letters, digits and `-`{}, at most {max} characters",
                    if dots { " or `.`" } else { "" }
                ))
            }
        };
        label("namespace", &self.namespace, 63, false)?;
        if let Some(node) = &self.job_node {
            label("node name", node, 253, true)?;
        }
        if self.image.trim().is_empty()
            || self
                .image
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!("invalid image `{}`", self.image));
        }
        parse_duration(&self.interval)?;
        if !matches!(self.format.as_str(), "json" | "table" | "sarif") {
            return Err(format!(
                "invalid format `{}` (expected json, table or sarif)",
                self.format
            ));
        }
        for p in self.extra_host_paths.iter().chain(&self.etcd_data_dir) {
            if !p.starts_with('/')
                || p.split('/').any(|c| c == "..")
                || p.chars().any(char::is_control)
            {
                return Err(format!(
                    "invalid host path `{p}`: an absolute path without `..`"
                ));
            }
        }
        Ok(())
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Text for a comment line.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A read-only host path: (host path, hostPath type, why).
struct Mount {
    path: String,
    kind: &'static str,
    why: String,
}

fn mounts(opts: &ManifestOptions) -> Vec<Mount> {
    let m = |p: &str, kind, why: &str| Mount {
        path: p.into(),
        kind,
        why: why.into(),
    };
    let mut v = vec![
        m(
            "/etc/kubernetes",
            "Directory",
            "static pod manifests, kubeconfigs, PKI (mode and owner only: keys are not read), encryption and audit configuration (CIS 1.1, 1.2, 2, 3, 4.1)",
        ),
        m(
            "/etc/systemd/system",
            "Directory",
            "the kubelet's unit and drop-ins: its real flags (CIS 4.1.1, 4.1.2, 4.2)",
        ),
        m(
            "/usr/lib/systemd/system",
            "Directory",
            "the packaged kubelet.service",
        ),
        m(
            "/lib/systemd/system",
            "Directory",
            "the packaged kubelet.service (systems without merged /usr)",
        ),
        m(
            "/var/lib/kubelet/config.yaml",
            "File",
            "the kubelet's config file; only this file: the rest of /var/lib/kubelet holds every pod's Secrets",
        ),
        m(
            "/var/lib/kubelet/kubeadm-flags.env",
            "File",
            "KUBELET_KUBEADM_ARGS",
        ),
        m(
            "/etc/default",
            "Directory",
            "KUBELET_EXTRA_ARGS (/etc/default/kubelet)",
        ),
        m(
            "/etc/cni/net.d",
            "Directory",
            "CNI configuration files (CIS 1.1.9, 1.1.10)",
        ),
        m(
            "/etc/passwd",
            "File",
            "the node's user names, to report file owners as the node names them",
        ),
        m("/etc/group", "File", "the node's group names"),
    ];
    if let Some(d) = &opts.etcd_data_dir {
        v.push(Mount {
            path: d.clone(),
            kind: "Directory",
            why: "etcd's data directory, for its mode and owner (CIS 1.1.11, 1.1.12). NOTE: this also exposes the etcd database (every Secret) to this pod".into(),
        });
    }
    for p in &opts.extra_host_paths {
        v.push(Mount {
            path: p.clone(),
            kind: "",
            why: "added with --extra-host-path".into(),
        });
    }
    v
}

/// Multi-document YAML.
pub fn manifests(opts: &ManifestOptions) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let ns = q(&opts.namespace);
    let version = env!("CARGO_PKG_VERSION");
    let what = match &opts.job_node {
        Some(n) => format!("a Job that checks node {} once", plain(n)),
        None => format!(
            "a DaemonSet that checks every node every {}",
            plain(&opts.interval)
        ),
    };
    let _ = write!(
        out,
        "\
# kubeward {version}: CIS node check (`kubeward node manifests`): {what}.
#
# Apply:    kubeward node manifests [options] | kubectl apply -f -
# Results:  kubectl -n {nsp} logs -l app.kubernetes.io/name={NAME} --prefix
#           (each run writes one `--format {format}` report to the pod's log)
# Remove:   kubeward node manifests [options] | kubectl delete -f -
#
# The check needs no Kubernetes API access: the pod has no service account token, no RBAC,
# and a NetworkPolicy denies all its traffic. It needs to see the node: the host's process
# table (hostPID) and read-only host paths, each listed below with the reason. It runs as
# root (the files it reads are root's, mode 600) but with no capability at all and no
# privilege escalation, on a read-only root filesystem.
",
        nsp = plain(&opts.namespace),
        format = plain(&opts.format),
    );
    let _ = write!(
        out,
        "---
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels:
    app.kubernetes.io/name: {NAME}
    app.kubernetes.io/managed-by: kubeward
    # hostPID and hostPath volumes are only admitted under the `privileged` Pod Security
    # level; this namespace holds nothing but the node check.
    pod-security.kubernetes.io/enforce: privileged
    pod-security.kubernetes.io/warn: privileged
    pod-security.kubernetes.io/audit: privileged
  annotations:
    kubeward.io/ignore: \"KW803\"
    kubeward.io/ignore-reason: \"the node check's pod needs hostPID and hostPath volumes, which only the privileged level admits\"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {NAME}
# The check reads only the node's files: no API token.
automountServiceAccountToken: false
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {NAME}-deny-all
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {NAME}
spec:
  # The check talks to nothing: no traffic in or out.
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
"
    );
    let mut args = vec![
        "node".to_string(),
        "--root".into(),
        "/host".into(),
        "--proc".into(),
        "/proc".into(),
        "--format".into(),
        opts.format.clone(),
    ];
    if opts.job_node.is_none() {
        args.push("--every".into());
        args.push(opts.interval.clone());
    }
    let args: Vec<String> = args.iter().map(|a| q(a)).collect();
    let mounts = mounts(opts);
    let mut volume_mounts = String::new();
    let mut volumes = String::new();
    for (i, m) in mounts.iter().enumerate() {
        let name = format!("host-{i}");
        let _ = write!(
            volume_mounts,
            "        # {}\n        - name: {name}\n          mountPath: {}\n          readOnly: true\n",
            plain(&m.why),
            q(&format!("/host{}", m.path))
        );
        let _ = write!(
            volumes,
            "      - name: {name}\n        hostPath:\n          path: {}\n          type: {}\n",
            q(&m.path),
            q(m.kind)
        );
    }
    let ignore = "KW102,KW103,KW113,KW115,KW116,KW126";
    let pod_spec = format!(
        "      serviceAccountName: {NAME}
      automountServiceAccountToken: false
      # hostPID: the check reads /proc/*/cmdline of kube-apiserver, etcd, the kubelet, ...:
      # the command lines they really run with. Nothing else of the host's processes is used
      # (their environment is never read).
      hostPID: true
      enableServiceLinks: false
      tolerations:
      # Control-plane nodes are tainted; their checks matter most.
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      securityContext:
        # root: the manifests, kubeconfigs and kubelet config are root's, mode 600. Root
        # without any capability (below) reads files it owns, nothing more.
        runAsUser: 0
        runAsGroup: 0
        runAsNonRoot: false
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: check
        image: {image}
        imagePullPolicy: IfNotPresent
        args: [{args}]
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            drop: [\"ALL\"]
        resources:
          requests:
            cpu: 10m
            memory: 32Mi
          limits:
            cpu: 200m
            memory: 128Mi
        volumeMounts:
{volume_mounts}      volumes:
{volumes}",
        image = q(&opts.image),
        args = args.join(", "),
    );
    let annotations = format!(
        "  annotations:
    kubeward.io/ignore: {ignore}
    kubeward.io/ignore-reason: \"a node check must share the host's process table (KW102) and read host files (KW103, KW113, KW126) as root (KW115, KW116); it has no capability, no token and no network\"
",
        ignore = q(ignore)
    );
    match &opts.job_node {
        None => {
            let _ = write!(
                out,
                "---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {NAME}
{annotations}spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: {NAME}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {NAME}
    spec:
{pod_spec}"
            );
        }
        Some(node) => {
            let _ = write!(
                out,
                "---
apiVersion: batch/v1
kind: Job
metadata:
  name: {NAME}-once
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {NAME}
{annotations}spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {NAME}
    spec:
      # The node to check.
      nodeName: {node}
      restartPolicy: Never
{pod_spec}",
                node = q(node),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated_and_quoted() {
        let mut o = ManifestOptions::default();
        assert!(o.validate().is_ok());
        o.namespace = "Bad_NS".into();
        assert!(o.validate().unwrap_err().contains("invalid namespace"));
        o = ManifestOptions {
            interval: "6 hours".into(),
            ..ManifestOptions::default()
        };
        assert!(o.validate().unwrap_err().contains("duration"));
        o = ManifestOptions {
            extra_host_paths: vec!["etc/x".into()],
            ..ManifestOptions::default()
        };
        assert!(o.validate().is_err());
        // An image with YAML syntax in it stays one string.
        let y = manifests(&ManifestOptions {
            image: "x\"\n- evil: true".into(),
            ..ManifestOptions::default()
        });
        assert!(y.contains(r#"image: "x\"\n- evil: true""#), "{y}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("6h").unwrap(), Duration::from_secs(21_600));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("h").is_err());
    }
}
