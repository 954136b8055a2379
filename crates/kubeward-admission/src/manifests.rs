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
//! syntax, valid YAML), so no option can add keys or documents.

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
        let label_ok = !ns.is_empty()
            && ns.len() <= 63
            && ns
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !ns.starts_with('-')
            && !ns.ends_with('-');
        if !label_ok {
            return Err(format!(
                "invalid namespace `{ns}`: a lowercase DNS label (a-z, 0-9, `-`, at most 63 characters)"
            ));
        }
        if ["kube-system", "kube-node-lease", "kube-public", "default"].contains(&ns.as_str()) {
            return Err(format!(
                "namespace `{ns}` is Kubernetes' own: run the webhook in a namespace of its own"
            ));
        }
        if self.image.trim().is_empty()
            || self
                .image
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!("invalid image `{}`", self.image));
        }
        Ok(())
    }
}

/// A YAML double-quoted scalar (JSON string syntax).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// `["a", "b"]`.
fn flow<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| q(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

const LABELS: &str = "    app.kubernetes.io/name: kubeward\n    app.kubernetes.io/component: admission\n    app.kubernetes.io/managed-by: kubeward\n";

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
    let (judged, _) = kinds::judged_kinds(kubeward_rules::registry());
    let mut out = String::with_capacity(32 * 1024);
    header(&mut out, opts);
    write_namespace(&mut out, &ns, LABELS);
    write_service_account(
        &mut out,
        &ns,
        NAME,
        LABELS,
        "The token is mounted explicitly, and only into the webhook's pods (see the Deployment).",
    );
    cluster_role(&mut out, &ns);
    config_map(&mut out, &ns);
    let ca_bundle = if opts.cert_manager {
        cert_manager(&mut out, opts);
        None
    } else {
        let names = pki::service_names(NAME, &opts.namespace);
        let pki = pki::issue(&format!("{NAME} CA"), &names, 2)?;
        tls_secret(&mut out, &ns, &pki);
        Some(pki.ca_pem)
    };
    service(&mut out, &ns);
    network_policy(&mut out, &ns);
    deployment(&mut out, opts, &ns);
    disruption_budget(&mut out, &ns);
    webhook(&mut out, opts, ca_bundle.as_deref(), &judged);
    Ok(out)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

fn header(out: &mut String, opts: &ManifestOptions) {
    let version = env!("CARGO_PKG_VERSION");
    let ns: String = opts
        .namespace
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
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

/// A Namespace at the Pod Security `restricted` level, with kubeward's `labels` (indented
/// lines). Shared with `kubeward install-manifests`.
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
/// is mounted instead). Shared with `kubeward install-manifests`.
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

fn cluster_role(out: &mut String, ns: &str) {
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
{LABELS}rules:
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
{LABELS}roleRef:
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

fn config_map(out: &mut String, ns: &str) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{LABELS}data:
  kubeward.yaml: |
"
    );
    for line in DEFAULT_CONFIG.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "    {line}");
        }
    }
}

fn tls_secret(out: &mut String, ns: &str, pki: &pki::Pki) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: Secret
metadata:
  name: {NAME}-tls
  namespace: {ns}
  labels:
{LABELS}type: kubernetes.io/tls
data:
  tls.crt: {}
  tls.key: {}
  ca.crt: {}
",
        b64(&pki.cert_pem),
        b64(&pki.key_pem),
        b64(&pki.ca_pem),
    );
}

fn cert_manager(out: &mut String, opts: &ManifestOptions) {
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
{LABELS}spec:
  selfSigned: {{}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {NAME}-ca
  namespace: {ns}
  labels:
{LABELS}spec:
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
{LABELS}spec:
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
{LABELS}spec:
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

fn service(out: &mut String, ns: &str) {
    let _ = write!(
        out,
        "\
---
apiVersion: v1
kind: Service
metadata:
  name: {NAME}
  namespace: {ns}
  labels:
{LABELS}spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: kubeward
    app.kubernetes.io/component: admission
  ports:
  - name: https
    protocol: TCP
    port: 443
    targetPort: https
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

fn network_policy(out: &mut String, ns: &str) {
    let _ = write!(
        out,
        "\
---
# Nothing in or out of the namespace but what the next policy allows.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {ns}
  labels:
{LABELS}spec:
  podSelector: {{}}
  policyTypes: [\"Ingress\", \"Egress\"]
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
{LABELS}spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: kubeward
      app.kubernetes.io/component: admission
  policyTypes: [\"Ingress\", \"Egress\"]
  ingress:
  - from:
"
    );
    for cidr in PRIVATE_RANGES {
        let _ = writeln!(out, "    - ipBlock: {{cidr: {}}}", q(cidr));
    }
    let _ = write!(
        out,
        "    ports:
    - protocol: TCP
      port: {PORT}
  egress:
  - ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
  - ports:
    - protocol: TCP
      port: 443
    - protocol: TCP
      port: 6443
"
    );
}

fn deployment(out: &mut String, opts: &ManifestOptions, ns: &str) {
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
{LABELS}spec:
  replicas: 2
  revisionHistoryLimit: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: kubeward
      app.kubernetes.io/component: admission
  template:
    metadata:
      labels:
        app.kubernetes.io/name: kubeward
        app.kubernetes.io/component: admission
    spec:
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
                  app.kubernetes.io/name: kubeward
                  app.kubernetes.io/component: admission
      # --shutdown-delay (5s) plus the time to finish requests in flight.
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: {RUN_AS}
        runAsGroup: {RUN_AS}
        fsGroup: {RUN_AS}
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: kubeward
        image: {image}
        imagePullPolicy: IfNotPresent
        args: {args}
        ports:
        - name: https
          containerPort: {PORT}
          protocol: TCP
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
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
          limits:
            cpu: \"1\"
            memory: 128Mi
        readinessProbe:
          httpGet:
            scheme: HTTPS
            path: /readyz
            port: https
          periodSeconds: 5
          failureThreshold: 2
        livenessProbe:
          httpGet:
            scheme: HTTPS
            path: /healthz
            port: https
          periodSeconds: 10
          failureThreshold: 3
        terminationMessagePolicy: FallbackToLogsOnError
        volumeMounts:
        - name: tls
          mountPath: /etc/kubeward/tls
          readOnly: true
        - name: config
          mountPath: /etc/kubeward/config
          readOnly: true
        - name: kube-api-access
          mountPath: /var/run/secrets/kubernetes.io/serviceaccount
          readOnly: true
      volumes:
      - name: tls
        secret:
          secretName: {NAME}-tls
          defaultMode: 288  # 0440: readable by the pod's group (fsGroup) only
      - name: config
        configMap:
          name: {NAME}
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
"
    );
}

fn disruption_budget(out: &mut String, ns: &str) {
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
{LABELS}spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: kubeward
      app.kubernetes.io/component: admission
"
    );
}

fn webhook(
    out: &mut String,
    opts: &ManifestOptions,
    ca: Option<&str>,
    judged: &[&'static Resource],
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
{LABELS}{annotations}webhooks:
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
