//! `kubeward install-manifests`: the YAML that runs the periodic cluster scan inside the
//! cluster, with the least privilege it needs and passing every kubeward rule itself.
//!
//! The objects, in apply order: a Namespace enforcing the `restricted` Pod Security Standard, a
//! ServiceAccount without an automounted token, a read-only ClusterRole (`get`/`list` on exactly
//! the resources the collector lists, never secrets unless asked) and its binding, a
//! NetworkPolicy (no ingress; egress only to DNS and the API server) and a CronJob whose pod
//! mounts a short-lived token explicitly through a projected volume.
//!
//! The YAML is written from a small template: every value that comes from the options is
//! quoted (JSON string syntax, which is valid YAML), so no option can add keys or documents.

// Used by the `install-manifests` subcommand (cli.rs) and this module's tests.

use kubeward_admission::manifests::{
    EGRESS_API_SERVER, EGRESS_DNS, check_dns_label, check_image, container_resources,
    container_security_context, default_image, flow, kube_api_access_mount, kube_api_access_volume,
    labels, plain, pod_labels, pod_security_context, q, write_namespace, write_service_account,
};
use kubeward_cluster::resources::{RESOURCES, Resource, is_secrets};
use std::fmt::Write as _;

/// The namespace the scan runs in by default.
pub const DEFAULT_NAMESPACE: &str = "kubeward-system";
/// Every six hours, on the hour.
pub const DEFAULT_SCHEDULE: &str = "0 */6 * * *";
/// The output format the scan writes to its log.
pub const DEFAULT_FORMAT: &str = "json";
/// The UID and GID the scan runs as (the `nonroot` user of distroless images), as every
/// kubeward pod does.
pub const RUN_AS: u32 = kubeward_admission::manifests::RUN_AS;
/// Name of the ServiceAccount, CronJob and NetworkPolicy (in the namespace).
pub const NAME: &str = "kubeward";
/// Name of the ClusterRole and ClusterRoleBinding.
pub const CLUSTER_ROLE: &str = "kubeward-reader";

/// What to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// Namespace of the ServiceAccount, NetworkPolicy and CronJob (created by the output).
    pub namespace: String,
    /// The kubeward image; best pinned by digest (`...@sha256:<64 hex>`).
    pub image: String,
    /// The CronJob schedule (cron syntax or a macro such as `@daily`).
    pub schedule: String,
    /// `--format` of the scan (its output goes to the pod's log).
    pub format: String,
    /// Also grant `list` on secrets (see the comment written into the ClusterRole).
    pub with_secret_metadata: bool,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            namespace: DEFAULT_NAMESPACE.to_string(),
            image: default_image(),
            schedule: DEFAULT_SCHEDULE.to_string(),
            format: DEFAULT_FORMAT.to_string(),
            with_secret_metadata: false,
        }
    }
}

impl InstallOptions {
    /// Checks the options the way the API server would (namespace name, cron schedule) and
    /// that the format is one kubeward knows. [`install_manifests`] quotes every value, so
    /// invalid options cannot change the YAML's structure; this only catches them before
    /// `kubectl apply` does.
    pub fn validate(&self) -> Result<(), String> {
        check_dns_label("namespace", &self.namespace)?;
        check_image(&self.image)?;
        if !schedule_ok(&self.schedule) {
            return Err(format!(
                "invalid schedule `{}`: five cron fields (`0 */6 * * *`) or a macro (@hourly, @daily, @weekly, @monthly, @yearly)",
                self.schedule
            ));
        }
        self.format
            .parse::<kubeward_report::Format>()
            .map(|_| ())
            .map_err(|e| format!("invalid format: {e}"))
    }
}

fn schedule_ok(s: &str) -> bool {
    let s = s.trim();
    if s.starts_with('@') {
        return matches!(
            s,
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight" | "@hourly"
        );
    }
    let fields: Vec<&str> = s.split_ascii_whitespace().collect();
    fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?'))
        })
}

/// The collector's resources but secrets, grouped by API group, in the collector's order.
fn rbac_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in RESOURCES.iter().filter(|r: &&Resource| !is_secrets(r)) {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, plurals)) => {
                if !plurals.contains(&r.plural) {
                    plurals.push(r.plural);
                }
            }
            None => groups.push((r.group, vec![r.plural])),
        }
    }
    groups
}

/// Multi-document YAML that installs the periodic in-cluster scan.
pub fn install_manifests(opts: &InstallOptions) -> String {
    let ns = q(&opts.namespace);
    let labels = labels(4, Some(COMPONENT), None);
    let mut out = String::with_capacity(8 * 1024);
    header(&mut out, opts);
    write_namespace(&mut out, &ns, &labels);
    write_service_account(
        &mut out,
        &ns,
        NAME,
        &labels,
        "The token is mounted only into the scan's pod, explicitly (see the CronJob).",
    );
    cluster_role(&mut out, opts.with_secret_metadata, &labels);
    cluster_role_binding(&mut out, &ns, &labels);
    network_policy(&mut out, &ns, &labels);
    cron_job(&mut out, opts, &ns, &labels);
    out
}

/// The `app.kubernetes.io/component` label of the scan's objects.
const COMPONENT: &str = "scanner";

fn header(out: &mut String, opts: &InstallOptions) {
    let version = env!("CARGO_PKG_VERSION");
    let ns = plain(&opts.namespace);
    let _ = write!(
        out,
        "\
# kubeward {version}: periodic in-cluster scan (`kubeward install-manifests`).
#
# Apply:    kubeward install-manifests [options] | kubectl apply -f -
# Run now:  kubectl -n {ns} create job --from=cronjob/{NAME} {NAME}-now
# Results:  kubectl -n {ns} logs job/{NAME}-now
#           (each run writes `--format {format}` to its log; scheduled runs: kubectl -n {ns} get jobs)
# Remove:   kubeward install-manifests [options] | kubectl delete -f -
#
# Image: pin it by digest (ghcr.io/kubeward/kubeward@sha256:<digest>) rather than a tag, which
# can be moved to other content. kubeward's own rule KW502 reports a tag-only image here, and
# this output does not hide that with an exception.
#
# Access: the ClusterRole `{CLUSTER_ROLE}` is read-only (get, list) on exactly the resources
# the scan lists, {secrets}.
# Lists the API server refuses are reported as not visible, never as clean.
# The pod runs as UID/GID {RUN_AS} with a read-only root filesystem, no capabilities, the
# RuntimeDefault seccomp profile, and a one-hour API token mounted explicitly.
",
        format = plain(&opts.format),
        secrets = if opts.with_secret_metadata {
            "plus `list` on secrets\n# (kubeward reads their metadata only unless --read-secret-values)"
        } else {
            "except secrets\n# (the scan reports them as not visible)"
        },
    );
}

fn cluster_role(out: &mut String, with_secret_metadata: bool, labels: &str) {
    let _ = write!(
        out,
        "\
---
# Read-only: `get` and `list` on the resources kubeward's collector lists, nothing else.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {CLUSTER_ROLE}
  labels:
{labels}rules:
"
    );
    for (group, plurals) in rbac_groups() {
        let _ = write!(
            out,
            "- apiGroups: {}\n  resources: {}\n  verbs: {}\n",
            flow(&[group]),
            flow(&plurals),
            flow(&["get", "list"]),
        );
    }
    if with_secret_metadata {
        out.push_str(
            "\
# Secrets: `list` only. RBAC cannot grant metadata-only access: whoever may list secrets may
# read their values. kubeward requests only the metadata (Table) form of the list unless
# `--read-secret-values` is given, but this role itself does not enforce that.
- apiGroups: [\"\"]
  resources: [\"secrets\"]
  verbs: [\"list\"]
",
        );
    }
    out.push_str(
        "\
# Discovery and version, which the scan reads first.
- nonResourceURLs: [\"/version\", \"/api\", \"/apis\"]
  verbs: [\"get\"]
",
    );
}

fn cluster_role_binding(out: &mut String, ns: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {CLUSTER_ROLE}
  labels:
{labels}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {CLUSTER_ROLE}
subjects:
- kind: ServiceAccount
  name: {NAME}
  namespace: {ns}
"
    );
}

fn network_policy(out: &mut String, ns: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
# No ingress at all; egress only to DNS and the API server. The API server is usually outside
# the pod network (or on the nodes), so it cannot be selected by pod or namespace: egress is
# allowed to any address on its usual ports (443, 6443; adjust if yours listens elsewhere).
# Narrow `to:` to its address if your CNI supports it.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  podSelector: {{}}
  policyTypes: [\"Ingress\", \"Egress\"]
  egress:
{EGRESS_DNS}{EGRESS_API_SERVER}"
    );
}

fn cron_job(out: &mut String, opts: &InstallOptions, ns: &str, labels: &str) {
    let args = flow(&[
        "scan",
        "--cluster",
        "--format",
        &opts.format,
        "--fail-on",
        "never",
    ]);
    let image = q(&opts.image);
    let schedule = q(&opts.schedule);
    let _ = write!(
        out,
        "\
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  schedule: {schedule}
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 600
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 1
      activeDeadlineSeconds: 3600
      template:
        metadata:
          labels:
{pod_labels}        spec:
          serviceAccountName: {NAME}
          # No automatic token: the projected volume below mounts a one-hour token, the CA and
          # the namespace where client libraries (kube-rs's in-cluster config) read them.
          automountServiceAccountToken: false
          enableServiceLinks: false
          restartPolicy: Never
{pod_security_context}          containers:
          - name: kubeward
            image: {image}
            imagePullPolicy: IfNotPresent
            args: {args}
{container_security_context}            # Raise the memory limit for clusters with many thousands of objects.
{resources}            terminationMessagePolicy: FallbackToLogsOnError
            volumeMounts:
{kube_api_access_mount}            - name: tmp
              mountPath: /tmp
          volumes:
{kube_api_access_volume}          - name: tmp
            emptyDir:
              sizeLimit: 64Mi
",
        pod_labels = pod_labels(12, COMPONENT),
        pod_security_context = pod_security_context(10, None, false),
        container_security_context = container_security_context(12),
        resources = container_resources(12, ("256Mi", "1Gi")),
        kube_api_access_mount = kube_api_access_mount(12),
        kube_api_access_volume = kube_api_access_volume(10),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::{Node, Object};
    use kubeward_load::{Loaded, Options};
    use kubeward_rules::exceptions::{Date, Exceptions};
    use kubeward_rules::scan::{Scan, ScanResult};
    use kubeward_rules::{Engine, registry};
    use std::collections::{BTreeSet, HashMap};

    const DIGEST: &str = "ghcr.io/kubeward/kubeward@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn load(yaml: &str) -> Vec<Object> {
        let mut loaded = Loaded::default();
        kubeward_load::load_bytes(
            "install.yaml".into(),
            yaml.as_bytes(),
            false,
            &Options::default(),
            &mut loaded,
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert!(loaded.notes.is_empty(), "{:?}", loaded.notes);
        loaded.objects
    }

    /// The same path as `kubeward scan`: every registered rule, object and snapshot rules.
    fn scan_all(yaml: &str) -> ScanResult {
        let rules: Vec<_> = registry().to_vec();
        let engine = Engine::new(
            &rules,
            &HashMap::new(),
            Exceptions::new(vec![], Date::today()),
        );
        let mut scan = Scan::new(engine);
        let mut loaded = Loaded::default();
        kubeward_load::load_bytes(
            "install.yaml".into(),
            yaml.as_bytes(),
            false,
            &Options::default(),
            &mut loaded,
        );
        scan.add_loaded(loaded);
        scan.finish()
    }

    fn pinned() -> InstallOptions {
        InstallOptions {
            image: DIGEST.to_string(),
            ..InstallOptions::default()
        }
    }

    fn find<'a>(objects: &'a [Object], kind: &str) -> &'a Object {
        objects
            .iter()
            .find(|o| o.kind == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    fn strings(node: Option<&Node>) -> Vec<String> {
        node.map(|n| {
            n.items()
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    }

    fn pod_spec(objects: &[Object]) -> &Node {
        find(objects, "CronJob")
            .root
            .path(&["spec", "jobTemplate", "spec", "template", "spec"])
            .expect("pod spec")
    }

    #[test]
    fn pinned_install_passes_every_rule() {
        let yaml = install_manifests(&pinned());
        let result = scan_all(&yaml);
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        assert_eq!(result.objects, 6);
        let findings: Vec<String> = result
            .findings
            .iter()
            .map(|f| format!("{} {} {}", f.rule.code, f.path, f.message))
            .collect();
        assert!(findings.is_empty(), "findings:\n{}", findings.join("\n"));
        // Every rule ran, and the rules that matter here did evaluate the objects.
        assert_eq!(result.rules.len(), registry().len());
        for code in ["KW101", "KW115", "KW129", "KW305", "KW502", "KW803"] {
            let (_, stats) = result
                .rules
                .iter()
                .find(|(a, _)| a.rule.meta.code == code)
                .unwrap_or_else(|| panic!("{code} is registered"));
            assert!(stats.evaluated > 0, "{code} evaluated nothing");
        }
    }

    #[test]
    fn default_image_is_flagged_by_kw502_only() {
        let opts = InstallOptions::default();
        assert!(opts.image.starts_with("ghcr.io/kubeward/kubeward:"));
        assert!(opts.image.ends_with(env!("CARGO_PKG_VERSION")));
        let result = scan_all(&install_manifests(&opts));
        let codes: Vec<&str> = result.findings.iter().map(|f| f.rule.code).collect();
        assert_eq!(codes, ["KW502"], "{:#?}", result.findings);
        let f = &result.findings[0];
        assert_eq!(f.object.kind.as_str(), "CronJob");
        assert_eq!(
            &*f.path,
            "/spec/jobTemplate/spec/template/spec/containers/0/image"
        );
    }

    #[test]
    fn objects_in_apply_order() {
        let objects = load(&install_manifests(&pinned()));
        let kinds: Vec<&str> = objects.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "NetworkPolicy",
                "CronJob"
            ]
        );
        let ns = find(&objects, "Namespace");
        assert_eq!(ns.name.as_str(), DEFAULT_NAMESPACE);
        assert_eq!(
            ns.label("pod-security.kubernetes.io/enforce"),
            Some("restricted")
        );
        let sa = find(&objects, "ServiceAccount");
        assert_eq!(
            sa.root
                .get("automountServiceAccountToken")
                .and_then(Node::as_bool),
            Some(false)
        );
    }

    /// `(apiGroups, resources, verbs, nonResourceURLs)` of each ClusterRole rule.
    type RbacRule = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

    fn rbac_rules(objects: &[Object]) -> Vec<RbacRule> {
        find(objects, "ClusterRole")
            .root
            .get("rules")
            .expect("rules")
            .items()
            .iter()
            .map(|r| {
                (
                    strings(r.get("apiGroups")),
                    strings(r.get("resources")),
                    strings(r.get("verbs")),
                    strings(r.get("nonResourceURLs")),
                )
            })
            .collect()
    }

    #[test]
    fn cluster_role_is_read_only_and_matches_the_collector() {
        let objects = load(&install_manifests(&pinned()));
        let rules = rbac_rules(&objects);
        let mut granted = BTreeSet::new();
        for (groups, resources, verbs, urls) in &rules {
            for v in verbs {
                assert!(v == "get" || v == "list", "write or wildcard verb {v}");
            }
            assert!(!resources.iter().any(|r| r == "secrets" || r == "*"));
            assert!(!groups.iter().any(|g| g == "*"));
            for g in groups {
                for r in resources {
                    granted.insert((g.clone(), r.clone()));
                }
            }
            if !urls.is_empty() {
                assert_eq!(urls, &["/version", "/api", "/apis"]);
                assert_eq!(verbs, &["get"]);
            }
        }
        let listed: BTreeSet<(String, String)> = RESOURCES
            .iter()
            .filter(|r| !is_secrets(r))
            .map(|r| (r.group.to_string(), r.plural.to_string()))
            .collect();
        assert_eq!(granted, listed, "exactly the collector's resources");
        assert!(granted.contains(&("".into(), "pods".into())));
        assert!(granted.contains(&("rbac.authorization.k8s.io".into(), "clusterroles".into())));
    }

    #[test]
    fn secret_metadata_adds_list_on_secrets_only() {
        let opts = InstallOptions {
            with_secret_metadata: true,
            ..pinned()
        };
        let yaml = install_manifests(&opts);
        assert!(yaml.contains("RBAC cannot grant metadata-only access"));
        let rules = rbac_rules(&load(&yaml));
        let secrets: Vec<&RbacRule> = rules
            .iter()
            .filter(|(_, r, _, _)| r.iter().any(|r| r == "secrets"))
            .collect();
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].0, [""]);
        assert_eq!(secrets[0].1, ["secrets"]);
        assert_eq!(secrets[0].2, ["list"]);
        // `list` returns the values whatever kubeward asks for: KW208 says so, once, on the
        // binding, and the attack paths it opens from kubeward's own pod (every token, so
        // cluster-admin and the nodes; kube-system's secrets) are reported on the CronJob. The
        // option is the user's informed choice; the findings are not hidden.
        let mut codes: Vec<&str> = scan_all(&yaml)
            .findings
            .iter()
            .map(|f| f.rule.code)
            .collect();
        codes.sort();
        assert_eq!(codes, ["KW208", "KW230", "KW231", "KW232"]);
    }

    #[test]
    fn pod_hardening() {
        let objects = load(&install_manifests(&pinned()));
        let spec = pod_spec(&objects);
        assert_eq!(
            spec.get("automountServiceAccountToken")
                .and_then(Node::as_bool),
            Some(false)
        );
        assert_eq!(
            spec.get("serviceAccountName").and_then(Node::as_str),
            Some(NAME)
        );
        let c = &spec.get("containers").unwrap().items()[0];
        assert_eq!(c.get("image").and_then(Node::as_str), Some(DIGEST));
        assert_eq!(
            strings(c.get("args")),
            [
                "scan",
                "--cluster",
                "--format",
                "json",
                "--fail-on",
                "never"
            ]
        );
        let sc = c.get("securityContext").unwrap();
        assert_eq!(
            sc.get("runAsUser").and_then(Node::as_i64),
            Some(i64::from(RUN_AS))
        );
        assert_eq!(
            sc.get("readOnlyRootFilesystem").and_then(Node::as_bool),
            Some(true)
        );
        let mounts = c.get("volumeMounts").unwrap().items();
        assert!(mounts.iter().any(|m| {
            m.get("mountPath").and_then(Node::as_str)
                == Some("/var/run/secrets/kubernetes.io/serviceaccount")
        }));
        let sources = spec.get("volumes").unwrap().items()[0]
            .path(&["projected", "sources"])
            .unwrap()
            .items();
        assert_eq!(
            sources[0]
                .path(&["serviceAccountToken", "expirationSeconds"])
                .and_then(Node::as_i64),
            Some(3600)
        );
        assert_eq!(
            sources[1]
                .path(&["configMap", "name"])
                .and_then(Node::as_str),
            Some("kube-root-ca.crt")
        );
        let yaml = install_manifests(&pinned());
        assert!(!yaml.contains("hostPath"));
        let cron = find(&objects, "CronJob");
        assert_eq!(
            cron.root
                .path(&["spec", "concurrencyPolicy"])
                .and_then(Node::as_str),
            Some("Forbid")
        );
    }

    #[test]
    fn options_are_applied() {
        let opts = InstallOptions {
            namespace: "security-scans".into(),
            schedule: "30 2 * * *".into(),
            format: "policyreport".into(),
            ..pinned()
        };
        assert_eq!(opts.validate(), Ok(()));
        let yaml = install_manifests(&opts);
        let objects = load(&yaml);
        for o in &objects {
            match o.kind.as_str() {
                "Namespace" => assert_eq!(o.name.as_str(), "security-scans"),
                "ClusterRole" | "ClusterRoleBinding" => assert!(o.namespace.is_none()),
                _ => assert_eq!(o.namespace.as_deref(), Some("security-scans"), "{}", o.kind),
            }
        }
        let binding = find(&objects, "ClusterRoleBinding");
        assert_eq!(
            binding.root.get("subjects").unwrap().items()[0]
                .get("namespace")
                .and_then(Node::as_str),
            Some("security-scans")
        );
        let cron = find(&objects, "CronJob");
        assert_eq!(
            cron.root.path(&["spec", "schedule"]).and_then(Node::as_str),
            Some("30 2 * * *")
        );
        let c = &pod_spec(&objects).get("containers").unwrap().items()[0];
        assert_eq!(strings(c.get("args"))[3], "policyreport");
        assert!(yaml.contains("kubectl -n security-scans create job"));
        assert!(scan_all(&yaml).findings.is_empty());
    }

    #[test]
    fn values_cannot_change_the_structure() {
        let evil = "x\"\n    hostPID: true\n---\nkind: Pod";
        let opts = InstallOptions {
            namespace: evil.into(),
            image: evil.into(),
            schedule: evil.into(),
            format: evil.into(),
            ..InstallOptions::default()
        };
        assert!(opts.validate().is_err());
        let objects = load(&install_manifests(&opts));
        assert_eq!(objects.len(), 6);
        let spec = pod_spec(&objects);
        assert!(spec.get("hostPID").is_none());
        let c = &spec.get("containers").unwrap().items()[0];
        assert_eq!(c.get("image").and_then(Node::as_str), Some(evil));
        assert_eq!(strings(c.get("args"))[3], evil);
        assert_eq!(find(&objects, "Namespace").name.as_str(), evil);
        assert!(objects.iter().all(|o| o.kind != "Pod"));
    }

    #[test]
    fn validation() {
        assert_eq!(InstallOptions::default().validate(), Ok(()));
        let with = |f: fn(&mut InstallOptions)| {
            let mut o = InstallOptions::default();
            f(&mut o);
            o.validate()
        };
        assert!(with(|o| o.namespace = "Kube_Ward".into()).is_err());
        assert!(with(|o| o.namespace = "-a".into()).is_err());
        assert!(with(|o| o.namespace = "a".repeat(64)).is_err());
        assert!(with(|o| o.schedule = "0 */6 * *".into()).is_err());
        assert!(with(|o| o.schedule = "@sometimes".into()).is_err());
        assert!(with(|o| o.schedule = "@daily".into()).is_ok());
        assert!(with(|o| o.format = "xml".into()).is_err());
        assert!(with(|o| o.image = "a b".into()).is_err());
        assert!(with(|o| o.image = String::new()).is_err());
    }
}
