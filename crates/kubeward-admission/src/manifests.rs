//! `kubeward admission manifests`: everything that runs the webhook in a cluster, fail-safe,
//! and passing kubeward's own scan.
//!
//! In apply order: the Namespace (Pod Security `restricted`), a ServiceAccount without an
//! automounted token, a ClusterRole that reads namespaces (their labels select levels) and
//! roles (a binding is judged with the role it names) and its binding, the configuration (a
//! ConfigMap holding `kubeward.yaml`), the serving certificate (a `kubernetes.io/tls` Secret
//! signed by a CA generated here, or cert-manager Issuers and Certificates), the Service, NetworkPolicies (default deny; the webhook's port from private
//! addresses; DNS and the API server out), the Deployment (2 replicas spread over nodes,
//! hardened pod), a PodDisruptionBudget, and last the ValidatingWebhookConfiguration:
//! `failurePolicy: Ignore` unless `--fail-closed`, `timeoutSeconds: 3`, `matchPolicy:
//! Equivalent`, `sideEffects: None`, kube-system, kube-node-lease and the webhook's own
//! namespace excluded, and `rules` for exactly the kinds kubeward judges.
//!
//! The YAML is written from templates: every value from the options is quoted (JSON string
//! syntax, valid YAML), so no option can add keys or documents. The pieces kubeward's other
//! printers (`kubeward install-manifests`, `kubeward audit manifests`) share with this one —
//! labels, the hardened pod and container, probes, volumes, NetworkPolicy rules, the
//! Namespace, ServiceAccount, ConfigMap, Secret and Service — are at the end of this module.

use crate::kinds::{self, Resource};
use crate::pki::{self, PkiError};
use base64::Engine as _;
use std::fmt::Write as _;

pub const DEFAULT_NAMESPACE: &str = "kubeward-system";
/// Name of the Deployment, Service, ServiceAccount, Secret, ConfigMap and cluster objects.
pub const NAME: &str = "kubeward-admission";
/// The webhook's name in the configuration (audit annotations are prefixed with it).
pub const WEBHOOK_NAME: &str = "validate.kubeward.io";
/// The UID and GID the server runs as (the `nonroot` user of distroless images).
pub const RUN_AS: u32 = 65532;
/// The container port (unprivileged); the Service listens on 443.
pub const PORT: u16 = 8443;
pub const TIMEOUT_SECONDS: u32 = 3;

/// The image of this kubeward version (a tag: pin it by digest, see KW502).
pub fn default_image() -> String {
    format!("ghcr.io/kubeward/kubeward:{}", env!("CARGO_PKG_VERSION"))
}

/// What to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestOptions {
    pub namespace: String,
    pub image: String,
    /// `failurePolicy: Fail` instead of Ignore.
    pub fail_closed: bool,
    /// Certificates from cert-manager instead of generated ones.
    pub cert_manager: bool,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            namespace: DEFAULT_NAMESPACE.to_string(),
            image: default_image(),
            fail_closed: false,
            cert_manager: false,
        }
    }
}

impl ManifestOptions {
    /// Checks the values the API server would refuse.
    pub fn validate(&self) -> Result<(), String> {
        let ns = &self.namespace;
        check_dns_label("namespace", ns)?;
        if KUBERNETES_NAMESPACES.contains(&ns.as_str()) {
            return Err(format!(
                "namespace `{ns}` is Kubernetes' own: run the webhook in a namespace of its own"
            ));
        }
        check_image(&self.image)
    }
}

/// The namespaces Kubernetes itself uses: no kubeward server is run in them.
pub const KUBERNETES_NAMESPACES: [&str; 4] =
    ["kube-system", "kube-node-lease", "kube-public", "default"];

/// Checks that `s` (`what`: what it names, for the message) is a lowercase RFC 1123 label, as
/// the API server does for a namespace or a Service's name.
pub fn check_dns_label(what: &str, s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} `{s}`: a lowercase DNS label (a-z, 0-9, `-`, at most 63 characters)"
        ))
    }
}

/// Checks that an image reference is not empty and has no spaces or control characters.
pub fn check_image(image: &str) -> Result<(), String> {
    if image.trim().is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("invalid image `{image}`"));
    }
    Ok(())
}

/// The `app.kubernetes.io/component` label of the webhook's objects.
const COMPONENT: &str = "admission";

/// The `kubeward.yaml` the server starts with: the defaults, written out to be edited.
pub const DEFAULT_CONFIG: &str = "\
# kubeward admission configuration (see docs/admission.md). Restart the Deployment after
# editing: kubectl -n NAMESPACE rollout restart deployment/kubeward-admission
admission:
  # Level of namespaces without a kubeward.io/enforce label: restricted, baseline or privileged.
  defaultLevel: restricted
  # What a violation does, per severity and per rule (code, prefix or name):
  # enforce (deny), warn, audit (allow and record) or off.
  actions:
    critical: enforce
    high: enforce
    medium: warn
    low: warn
    info: audit
  exempt:
    namespaces: []
    users: []
    groups: []
# Exceptions and severity overrides, as for `kubeward scan`:
# severity:
#   KW105: low
# exceptions:
#   - rule: KW103
#     namespace: monitoring
#     name: node-exporter*
#     reason: node-exporter reads the host's /proc and /sys
";

/// Multi-document YAML installing the webhook.
pub fn manifests(opts: &ManifestOptions) -> Result<String, PkiError> {
    let ns = q(&opts.namespace);
    let labels = labels(4, Some(COMPONENT), None);
    let (judged, _) = kinds::judged_kinds(kubeward_rules::registry());
    let mut out = String::with_capacity(32 * 1024);
    header(&mut out, opts);
    write_namespace(&mut out, &ns, &labels);
    write_service_account(
        &mut out,
        &ns,
        NAME,
        &labels,
        "The token is mounted explicitly, and only into the webhook's pods (see the Deployment).",
    );
    cluster_role(&mut out, &ns, &labels);
    write_config_map(
        &mut out,
        &ns,
        NAME,
        &labels,
        "kubeward.yaml",
        DEFAULT_CONFIG,
    );
    let ca_bundle = if opts.cert_manager {
        cert_manager(&mut out, opts, &labels);
        None
    } else {
        let names = pki::service_names(NAME, &opts.namespace);
        let pki = pki::issue(&format!("{NAME} CA"), &names, 2)?;
        let data = [
            ("tls.crt", pki.cert_pem.as_str()),
            ("tls.key", pki.key_pem.as_str()),
            ("ca.crt", pki.ca_pem.as_str()),
        ];
        write_tls_secret(&mut out, "", &ns, &format!("{NAME}-tls"), &labels, &data);
        Some(pki.ca_pem)
    };
    write_https_service(&mut out, &ns, NAME, &labels, "", &pod_labels(4, COMPONENT));
    network_policy(&mut out, &ns, &labels);
    deployment(&mut out, opts, &ns, &labels);
    disruption_budget(&mut out, &ns, &labels);
    webhook(&mut out, opts, ca_bundle.as_deref(), &judged, &labels);
    Ok(out)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn header(out: &mut String, opts: &ManifestOptions) {
    let version = env!("CARGO_PKG_VERSION");
    let ns = plain(&opts.namespace);
    let policy = if opts.fail_closed {
        "Fail: requests it should judge are refused while no replica answers. kube-system,\n# kube-node-lease and its own namespace are excluded, so the control plane and the webhook\n# itself can always start; delete the ValidatingWebhookConfiguration in an emergency"
    } else {
        "Ignore: while no replica answers (or one answers an error or too late), requests\n# are let through unjudged rather than blocked. --fail-closed changes this"
    };
    let certs = if opts.cert_manager {
        "cert-manager issues the serving certificate (a self-signed CA Issuer in the namespace)\n# and injects its CA into the webhook configuration (cert-manager.io/inject-ca-from)"
    } else {
        "a CA generated for this output signed the serving certificate (Secret\n# kubeward-admission-tls) and is the webhook's caBundle; its key was not kept. The\n# certificate is valid for 2 years: print and apply the manifests again to renew it (the\n# server loads the new Secret without a restart)"
    };
    let _ = write!(
        out,
        "\
# kubeward {version}: admission webhook (`kubeward admission manifests`).
#
# Apply:   kubeward admission manifests [options] | kubectl apply -f -
# Check:   kubectl -n {ns} rollout status deployment/{NAME}
#          kubectl run kw-test --image=busybox --privileged --dry-run=server   (denied)
# Remove:  kubectl delete validatingwebhookconfiguration {NAME}   (first: stops all calls)
#          kubeward admission manifests [options] | kubectl delete -f -
#
# failurePolicy {policy}.
# Certificates: {certs}.
# Levels: label a namespace kubeward.io/enforce=restricted|baseline|privileged; the server
# reads namespaces' labels, and the role a binding names (read-only; never secrets).
# Image: pin it by digest (ghcr.io/kubeward/kubeward@sha256:<digest>); KW502 reports a tag.
"
    );
}

fn cluster_role(out: &mut String, ns: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
# Read-only: namespaces' labels (they select each namespace's level), and the role a
# RoleBinding or ClusterRoleBinding names (the binding is judged with the rules it grants).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {NAME}
  labels:
{labels}rules:
- apiGroups: [\"\"]
  resources: [\"namespaces\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"rbac.authorization.k8s.io\"]
  resources: [\"roles\", \"clusterroles\"]
  verbs: [\"get\"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {NAME}
  labels:
{labels}roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {NAME}
subjects:
- kind: ServiceAccount
  name: {NAME}
  namespace: {ns}
"
    );
}

fn cert_manager(out: &mut String, opts: &ManifestOptions, labels: &str) {
    let ns = q(&opts.namespace);
    let names = flow(&pki::service_names(NAME, &opts.namespace));
    let cn = q(&format!("{NAME}.{}.svc", opts.namespace));
    let _ = write!(
        out,
        "\
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: {NAME}-selfsigned
  namespace: {ns}
  labels:
{labels}spec:
  selfSigned: {{}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {NAME}-ca
  namespace: {ns}
  labels:
{labels}spec:
  isCA: true
  commonName: {NAME} CA
  secretName: {NAME}-ca
  duration: 87600h
  privateKey:
    algorithm: ECDSA
    size: 256
  issuerRef:
    kind: Issuer
    name: {NAME}-selfsigned
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: {NAME}-ca
  namespace: {ns}
  labels:
{labels}spec:
  ca:
    secretName: {NAME}-ca
---
# Renewed by cert-manager before it expires; the server loads the new files without a restart.
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  secretName: {NAME}-tls
  commonName: {cn}
  dnsNames: {names}
  duration: 2160h
  renewBefore: 720h
  privateKey:
    algorithm: ECDSA
    size: 256
  usages: [\"server auth\", \"digital signature\", \"key encipherment\"]
  issuerRef:
    kind: Issuer
    name: {NAME}-ca
"
    );
}

/// The private address ranges the API server calls webhooks from in nearly every cluster:
/// RFC 1918, carrier-grade NAT (some managed control planes) and IPv6 unique local addresses.
pub const PRIVATE_RANGES: [&str; 5] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

fn network_policy(out: &mut String, ns: &str, labels: &str) {
    write_default_deny(out, ns, "default-deny", labels);
    let _ = write!(
        out,
        "\
---
# Ingress: the webhook's port, from private addresses only. The API server calls it from
# outside the pod network (the control plane's or the nodes' addresses), which cannot be
# selected by pod or namespace. If your API server reaches pods from other addresses, add
# them here: blocked calls fail open (failurePolicy Ignore) and nothing is judged
# (kubeward_admission_requests_total stays at 0). Narrow the ranges to your control plane's
# if you can. Egress: DNS, and the API server (to read namespaces and roles) on its usual
# ports (443, 6443).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  podSelector:
    matchLabels:
{selector}  policyTypes: [\"Ingress\", \"Egress\"]
{ingress}  egress:
{EGRESS_DNS}{EGRESS_API_SERVER}",
        selector = pod_labels(6, COMPONENT),
        ingress = ingress_from_private_ranges(PORT),
    );
}

fn deployment(out: &mut String, opts: &ManifestOptions, ns: &str, labels: &str) {
    let args = flow(&[
        "admission",
        "serve",
        "--listen",
        &format!("0.0.0.0:{PORT}"),
        "--cert",
        "/etc/kubeward/tls/tls.crt",
        "--key",
        "/etc/kubeward/tls/tls.key",
        "--config",
        "/etc/kubeward/config/kubeward.yaml",
        "--shutdown-delay",
        "5s",
    ]);
    let image = q(&opts.image);
    let _ = write!(
        out,
        "\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  replicas: 2
  revisionHistoryLimit: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
{pod_labels6}  template:
    metadata:
      labels:
{pod_labels8}    spec:
      serviceAccountName: {NAME}
      # No automatic token: the projected volume below mounts a one-hour token, the CA and
      # the namespace where kube-rs's in-cluster configuration reads them.
      automountServiceAccountToken: false
      enableServiceLinks: false
      # Replicas on different nodes, so that one node's loss leaves one answering.
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
{pod_labels18}      # --shutdown-delay (5s) plus the time to finish requests in flight.
      terminationGracePeriodSeconds: 30
{pod_security_context}      containers:
      - name: kubeward
        image: {image}
        imagePullPolicy: IfNotPresent
        args: {args}
{ports}{container_security_context}{resources}{readiness}{liveness}        terminationMessagePolicy: FallbackToLogsOnError
        volumeMounts:
{tls_and_config_mounts}{kube_api_access_mount}      volumes:
{tls_and_config_volumes}{kube_api_access_volume}",
        pod_labels6 = pod_labels(6, COMPONENT),
        pod_labels8 = pod_labels(8, COMPONENT),
        pod_labels18 = pod_labels(18, COMPONENT),
        pod_security_context = pod_security_context(6, None, false),
        ports = https_port(8, PORT),
        container_security_context = container_security_context(8),
        resources = container_resources(8, ("64Mi", "128Mi")),
        readiness = https_probe(8, "readinessProbe", "/readyz", 5, 2),
        liveness = https_probe(8, "livenessProbe", "/healthz", 10, 3),
        tls_and_config_mounts = tls_and_config_mounts(8),
        kube_api_access_mount = kube_api_access_mount(8),
        tls_and_config_volumes = tls_and_config_volumes(6, &format!("{NAME}-tls"), NAME),
        kube_api_access_volume = kube_api_access_volume(6),
    );
}

fn disruption_budget(out: &mut String, ns: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
# Voluntary disruptions (node drains) keep one replica answering.
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{labels}spec:
  minAvailable: 1
  selector:
    matchLabels:
{selector}",
        selector = pod_labels(6, COMPONENT),
    );
}

fn webhook(
    out: &mut String,
    opts: &ManifestOptions,
    ca: Option<&str>,
    judged: &[&'static Resource],
    labels: &str,
) {
    let ns = q(&opts.namespace);
    let annotations = if opts.cert_manager {
        format!(
            "  annotations:\n    cert-manager.io/inject-ca-from: {}\n",
            q(&format!("{}/{NAME}", opts.namespace))
        )
    } else {
        String::new()
    };
    let ca_bundle = match ca {
        Some(pem) => format!("    caBundle: {}\n", b64(pem)),
        None => String::new(),
    };
    let policy = if opts.fail_closed { "Fail" } else { "Ignore" };
    let excluded = flow(&["kube-system", "kube-node-lease", opts.namespace.as_str()]);
    let _ = write!(
        out,
        "\
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {NAME}
  labels:
{labels}{annotations}webhooks:
- name: {WEBHOOK_NAME}
  admissionReviewVersions: [\"v1\"]
  clientConfig:
    service:
      namespace: {ns}
      name: {NAME}
      path: /validate
      port: 443
{ca_bundle}  failurePolicy: {policy}
  matchPolicy: Equivalent
  sideEffects: None
  timeoutSeconds: {TIMEOUT_SECONDS}
  # The control plane's namespaces and the webhook's own are never sent: the cluster and the
  # webhook can always start, whatever the webhook's state.
  namespaceSelector:
    matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {excluded}
  # Only the kinds kubeward's rules judge, on CREATE and UPDATE (DELETE and CONNECT are
  # always allowed).
  rules:
"
    );
    for (group, resources) in kinds::webhook_rules(judged) {
        let _ = write!(
            out,
            "  - apiGroups: {}\n    apiVersions: [\"*\"]\n    operations: [\"CREATE\", \"UPDATE\"]\n    resources: {}\n    scope: \"*\"\n",
            flow(&[group]),
            flow(&resources)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pieces shared with `kubeward install-manifests` and `kubeward audit manifests`: what kubeward's
// objects and pods have in common, written once. Fragments are returned at `indent` spaces, for
// a `{placeholder}` at the start of a template line; `write_*` functions append whole
// documents. Values are written as they are given: quote any that come from options with [`q`].

/// A YAML double-quoted scalar (JSON string syntax, valid YAML): how every value that comes
/// from options is written, so that none can add keys or documents.
pub fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// `["a", "b"]`: a flow sequence of [`q`]-quoted strings.
pub fn flow<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// `s` for a comment line: control characters (a newline would end the comment) become spaces.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` with `indent` spaces before each of its lines (empty lines stay empty).
pub fn indented(indent: usize, text: &str) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + text.len() / 8 * indent);
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// kubeward's labels (`app.kubernetes.io/...`): `name: kubeward`, the `component` and
/// `instance` when given, `managed-by: kubeward`.
pub fn labels(indent: usize, component: Option<&str>, instance: Option<&str>) -> String {
    let mut text = String::from("app.kubernetes.io/name: kubeward\n");
    if let Some(component) = component {
        let _ = writeln!(text, "app.kubernetes.io/component: {component}");
    }
    if let Some(instance) = instance {
        let _ = writeln!(text, "app.kubernetes.io/instance: {instance}");
    }
    text.push_str("app.kubernetes.io/managed-by: kubeward\n");
    indented(indent, &text)
}

/// The labels a component's pods carry and are selected by: `app.kubernetes.io/name:
/// kubeward` and `app.kubernetes.io/component`.
pub fn pod_labels(indent: usize, component: &str) -> String {
    indented(
        indent,
        &format!("app.kubernetes.io/name: kubeward\napp.kubernetes.io/component: {component}\n"),
    )
}

/// A Namespace at the Pod Security `restricted` level, with kubeward's `labels` (indented
/// lines).
pub fn write_namespace(out: &mut String, ns: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels:
{labels}    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
"
    );
}

/// A ServiceAccount whose token is not automounted (`note`: one comment line saying where it
/// is mounted instead).
pub fn write_service_account(out: &mut String, ns: &str, name: &str, labels: &str, note: &str) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}# {note}
automountServiceAccountToken: false
"
    );
}

/// A ConfigMap holding one file, `file_name`, with `content` as a literal block.
pub fn write_config_map(
    out: &mut String,
    ns: &str,
    name: &str,
    labels: &str,
    file_name: &str,
    content: &str,
) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}data:
  {file_name}: |
"
    );
    out.push_str(&indented(4, content));
}

/// A `kubernetes.io/tls` Secret holding `data` (file name, PEM text; base64-encoded here),
/// below the comment lines `note` (may be empty).
pub fn write_tls_secret(
    out: &mut String,
    note: &str,
    ns: &str,
    name: &str,
    labels: &str,
    data: &[(&str, &str)],
) {
    let _ = write!(
        out,
        "\
---
{note}apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}type: kubernetes.io/tls
data:
"
    );
    for (file, pem) in data {
        let _ = writeln!(out, "  {file}: {}", b64(pem));
    }
}

/// A ClusterIP Service on port 443 to the pods' port named `https`. `fixed_ip`: lines written
/// after `type: ClusterIP` (a `clusterIP:`), or empty; `selector`: the pods' labels at 4
/// spaces.
pub fn write_https_service(
    out: &mut String,
    ns: &str,
    name: &str,
    labels: &str,
    fixed_ip: &str,
    selector: &str,
) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}spec:
  type: ClusterIP
{fixed_ip}  selector:
{selector}  ports:
  - name: https
    protocol: TCP
    port: 443
    targetPort: https
"
    );
}

/// A NetworkPolicy that selects every pod of the namespace and allows nothing, in or out.
pub fn write_default_deny(out: &mut String, ns: &str, name: &str, labels: &str) {
    let _ = write!(
        out,
        "\
---
# Nothing in or out of the namespace but what the next policy allows.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}spec:
  podSelector: {{}}
  policyTypes: [\"Ingress\", \"Egress\"]
"
    );
}

/// A NetworkPolicy's `ingress:` allowing TCP `port` from [`PRIVATE_RANGES`] only.
pub fn ingress_from_private_ranges(port: u16) -> String {
    let mut text = String::from("  ingress:\n  - from:\n");
    for cidr in PRIVATE_RANGES {
        let _ = writeln!(text, "    - ipBlock: {{cidr: {}}}", q(cidr));
    }
    let _ = write!(
        text,
        "    ports:\n    - protocol: TCP\n      port: {port}\n"
    );
    text
}

/// An `egress:` rule of a NetworkPolicy: DNS (UDP and TCP 53), to any address.
pub const EGRESS_DNS: &str = "  - ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
";

/// An `egress:` rule of a NetworkPolicy: the API server's usual ports (443, 6443), to any
/// address (it is usually outside the pod network, where no selector reaches).
pub const EGRESS_API_SERVER: &str = "  - ports:
    - protocol: TCP
      port: 443
    - protocol: TCP
      port: 6443
";

/// The pod `securityContext:` of every kubeward pod (Pod Security `restricted`): not root
/// but [`RUN_AS`] (user, group, and the group owning its volumes), the RuntimeDefault
/// seccomp profile. `fs_group_note`: a comment above `fsGroup`; `on_root_mismatch`: add
/// `fsGroupChangePolicy: OnRootMismatch`.
pub fn pod_security_context(
    indent: usize,
    fs_group_note: Option<&str>,
    on_root_mismatch: bool,
) -> String {
    let note = fs_group_note
        .map(|n| format!("  # {n}\n"))
        .unwrap_or_default();
    let policy = if on_root_mismatch {
        "  fsGroupChangePolicy: OnRootMismatch\n"
    } else {
        ""
    };
    indented(
        indent,
        &format!(
            "\
securityContext:
  runAsNonRoot: true
  runAsUser: {RUN_AS}
  runAsGroup: {RUN_AS}
{note}  fsGroup: {RUN_AS}
{policy}  seccompProfile:
    type: RuntimeDefault
"
        ),
    )
}

/// The container `securityContext:` of every kubeward container: no privilege escalation, a
/// read-only root filesystem, not root but [`RUN_AS`], no capabilities, RuntimeDefault seccomp.
pub fn container_security_context(indent: usize) -> String {
    indented(
        indent,
        &format!(
            "\
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  runAsUser: {RUN_AS}
  runAsGroup: {RUN_AS}
  capabilities:
    drop: [\"ALL\"]
  seccompProfile:
    type: RuntimeDefault
"
        ),
    )
}

/// A container's `resources:`: a tenth of a CPU requested and one at most, and `memory`
/// (requested, limit).
pub fn container_resources(indent: usize, memory: (&str, &str)) -> String {
    let (request, limit) = memory;
    indented(
        indent,
        &format!(
            "\
resources:
  requests:
    cpu: 100m
    memory: {request}
  limits:
    cpu: \"1\"
    memory: {limit}
"
        ),
    )
}

/// A container's `ports:`: `port`, named `https`.
pub fn https_port(indent: usize, port: u16) -> String {
    indented(
        indent,
        &format!("ports:\n- name: https\n  containerPort: {port}\n  protocol: TCP\n"),
    )
}

/// A probe (`readinessProbe` or `livenessProbe`): HTTPS GET `path` on the port named `https`
/// (the kubelet does not verify the certificate).
pub fn https_probe(
    indent: usize,
    probe: &str,
    path: &str,
    period_seconds: u32,
    failure_threshold: u32,
) -> String {
    indented(
        indent,
        &format!(
            "\
{probe}:
  httpGet:
    scheme: HTTPS
    path: {path}
    port: https
  periodSeconds: {period_seconds}
  failureThreshold: {failure_threshold}
"
        ),
    )
}

/// The `volumeMounts:` items of a server's certificates (Secret, `/etc/kubeward/tls`) and
/// configuration (ConfigMap, `/etc/kubeward/config`), read-only.
pub fn tls_and_config_mounts(indent: usize) -> String {
    indented(
        indent,
        "\
- name: tls
  mountPath: /etc/kubeward/tls
  readOnly: true
- name: config
  mountPath: /etc/kubeward/config
  readOnly: true
",
    )
}

/// The `volumes:` items for [`tls_and_config_mounts`]: the Secret `secret` (readable by the
/// pod's group only) and the ConfigMap `config_map`.
pub fn tls_and_config_volumes(indent: usize, secret: &str, config_map: &str) -> String {
    indented(
        indent,
        &format!(
            "\
- name: tls
  secret:
    secretName: {secret}
    defaultMode: 288  # 0440: readable by the pod's group (fsGroup) only
- name: config
  configMap:
    name: {config_map}
"
        ),
    )
}

/// The `volumeMounts:` item of [`kube_api_access_volume`], where Kubernetes' client libraries
/// look for the service account's token.
pub fn kube_api_access_mount(indent: usize) -> String {
    indented(
        indent,
        "\
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
",
    )
}

/// The `volumes:` item that mounts what an automounted token would, explicitly: a one-hour
/// service account token, the cluster's CA and the namespace.
pub fn kube_api_access_volume(indent: usize) -> String {
    indented(
        indent,
        "\
- name: kube-api-access
  projected:
    sources:
    - serviceAccountToken:
        path: token
        expirationSeconds: 3600
    - configMap:
        name: kube-root-ca.crt
        items:
        - key: ca.crt
          path: ca.crt
    - downwardAPI:
        items:
        - path: namespace
          fieldRef:
            apiVersion: v1
            fieldPath: metadata.namespace
",
    )
}
