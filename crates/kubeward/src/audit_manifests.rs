//! `kubeward audit manifests`: everything that runs the audit receiver (`kubeward audit serve`)
//! in a cluster and connects the API server's audit webhook backend to it, from one run (the
//! three parts share the certificates generated for them).
//!
//! 1. `receiver.yaml`, for `kubectl apply`: the Namespace (Pod Security `restricted`), a
//!    ServiceAccount without a token, the certificates (a `kubernetes.io/tls` Secret with the
//!    serving pair and the CA the API server's client certificate is checked against), the
//!    receiver's configuration (a ConfigMap holding a starter `audit.yaml`), the queue's
//!    PersistentVolumeClaim, the Service on a fixed ClusterIP, NetworkPolicies (default deny;
//!    the receiver's port from private addresses; DNS and HTTPS out for alert sinks) and the
//!    Deployment (one replica, `Recreate`, hardened pod).
//! 2. `audit-webhook.kubeconfig`, for every control-plane node: the server (the ClusterIP, or
//!    `--server`), the CA that signed the receiver's serving certificate, and the API server's
//!    client certificate and key; with the kube-apiserver flags to add, as comments.
//! 3. `audit-policy.yaml`: an `audit.k8s.io/v1` Policy logging what the KW7xx detections read
//!    (request bodies of the writes they judge, exec commands in the request URI) and no
//!    credentials (Secrets, ConfigMaps and TokenReviews at Metadata).
//!
//! Standard output holds the three parts, each after a `# ==> FILE` line; `--out DIR` writes
//! them as files (those holding a private key with mode 0600). The YAML is written from
//! templates, as `kubeward admission manifests` does: every value from the options is quoted
//! (JSON string syntax, valid YAML) or checked first, so no option can add keys or documents.

use anyhow::{Context, Result, bail};
use clap::Args;
use kubeward_admission::manifests::{
    self, DEFAULT_NAMESPACE, EGRESS_DNS, KUBERNETES_NAMESPACES, check_dns_label, check_image,
    container_resources, container_security_context, default_image, flow, https_port, https_probe,
    ingress_from_private_ranges, pod_security_context, q, tls_and_config_mounts,
    tls_and_config_volumes, write_config_map, write_default_deny, write_https_service,
    write_namespace, write_service_account, write_tls_secret,
};
use kubeward_admission::pki::{self, Pki};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Default name of the Deployment, Service, ServiceAccount, Secret, ConfigMap and claim.
pub const DEFAULT_NAME: &str = "kubeward-audit";
/// The Service's default fixed ClusterIP, 10.96.0.250: in kubeadm's default service range
/// (10.96.0.0/12), high enough that the allocator rarely hands it out first.
const DEFAULT_IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 96, 0, 250));
/// The container port (unprivileged); the Service listens on 443.
pub const PORT: u16 = 8443;
/// Where the queue volume is mounted.
pub const QUEUE_DIR: &str = "/var/lib/kubeward-audit";
/// The Common Name of the API server's client certificate.
pub const CLIENT_CN: &str = "kube-apiserver-audit";
/// How long the serving and client certificates are valid.
pub const CERT_YEARS: i32 = 2;
/// The flags' paths on the control-plane nodes: one directory, mounted into the API server's
/// static pod as one volume.
pub const HOST_DIR: &str = "/etc/kubernetes/audit";
pub const KUBECONFIG_FILE: &str = "audit-webhook.kubeconfig";
pub const POLICY_FILE: &str = "audit-policy.yaml";
pub const RECEIVER_FILE: &str = "receiver.yaml";
/// The smallest queue volume accepted: half of it is the queue's limit, and the queue works in
/// 64 MiB segments.
const MIN_STORAGE: u128 = 256 << 20;

#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Namespace to run the receiver in (created by the output).
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = DEFAULT_NAMESPACE)]
    namespace: String,

    /// Name of the Deployment, Service, ServiceAccount, Secret (NAME-tls), ConfigMap and
    /// PersistentVolumeClaim (NAME-queue).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_NAME)]
    name: String,

    /// kubeward image; pin it by digest (`REPO@sha256:...`), KW502 flags a tag
    /// (default: this version's image, by tag).
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,

    /// Fixed ClusterIP of the receiver's Service, which the API server's kubeconfig names: the
    /// API server runs on the host network and usually cannot resolve cluster DNS names. It
    /// must lie in the cluster's service range (--service-cluster-ip-range) and be free
    /// [default: 10.96.0.250, in kubeadm's default range; with --server, one Kubernetes
    /// allocates].
    #[arg(long, value_name = "IP")]
    cluster_ip: Option<IpAddr>,

    /// URL the API server sends the events to, instead of https://CLUSTER-IP:443: for a
    /// NodePort, a load balancer or a DNS name the control plane resolves
    /// (`https://HOST[:PORT][/PATH]`). Its host is added to the serving certificate.
    #[arg(long, value_name = "URL")]
    server: Option<String>,

    /// Size of the queue's PersistentVolumeClaim (Kubernetes quantity, at least 256Mi); the
    /// receiver answers 429 when half of it is waiting.
    #[arg(long, value_name = "SIZE", default_value = "10Gi")]
    storage: String,

    /// StorageClass of the queue's claim (default: the cluster's default class).
    #[arg(long, value_name = "CLASS")]
    storage_class: Option<String>,

    /// Write receiver.yaml, audit-webhook.kubeconfig and audit-policy.yaml into DIR (created
    /// if missing; existing files are not overwritten) instead of all three to standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// What to generate, checked.
#[derive(Debug, Clone)]
struct Options {
    namespace: String,
    name: String,
    image: String,
    /// The Service's fixed ClusterIP, if any.
    cluster_ip: Option<IpAddr>,
    /// The URL in the kubeconfig.
    server: String,
    /// The host of `server` when it is not the ClusterIP (added to the certificate).
    server_host: Option<String>,
    storage: String,
    storage_bytes: u128,
    storage_class: Option<String>,
}

/// The three parts.
#[derive(Debug)]
struct Parts {
    receiver: String,
    kubeconfig: String,
    policy: String,
}

pub fn run(args: ManifestsArgs) -> Result<u8> {
    let opts = options(&args)?;
    let parts = generate(&opts)?;
    match &args.out {
        None => {
            let mut text = String::with_capacity(
                parts.receiver.len() + parts.kubeconfig.len() + parts.policy.len() + 2048,
            );
            stdout_header(&mut text, &opts);
            let _ = writeln!(text, "# ==> {RECEIVER_FILE}");
            text.push_str(&parts.receiver);
            let _ = writeln!(text, "# ==> {KUBECONFIG_FILE}");
            text.push_str("---\n");
            text.push_str(&parts.kubeconfig);
            let _ = writeln!(text, "# ==> {POLICY_FILE}");
            text.push_str("---\n");
            text.push_str(&parts.policy);
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(dir) => {
            write_files(dir, &parts)?;
            eprint!("{}", instructions(dir, &opts));
        }
    }
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// Options

fn options(args: &ManifestsArgs) -> Result<Options> {
    dns_label("namespace", &args.namespace)?;
    if KUBERNETES_NAMESPACES.contains(&args.namespace.as_str()) {
        bail!(
            "namespace `{}` is Kubernetes' own: run the receiver in a namespace of its own",
            args.namespace
        );
    }
    dns_label("name", &args.name)?;
    if !args.name.starts_with(|c: char| c.is_ascii_lowercase()) {
        bail!(
            "invalid name `{}`: it names a Service, so it starts with a letter",
            args.name
        );
    }
    let image = args.image.clone().unwrap_or_else(default_image);
    check_image(&image).map_err(anyhow::Error::msg)?;
    let storage_bytes = quantity(&args.storage).ok_or_else(|| {
        anyhow::anyhow!(
            "invalid --storage `{}`: a Kubernetes quantity such as 10Gi or 500Mi",
            args.storage
        )
    })?;
    if storage_bytes < MIN_STORAGE {
        bail!(
            "--storage {} is too small: at least 256Mi (half of it holds the queue)",
            args.storage
        );
    }
    if let Some(class) = &args.storage_class {
        let ok = !class.is_empty()
            && class.len() <= 253
            && class
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && class.starts_with(|c: char| c.is_ascii_alphanumeric())
            && class.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            bail!("invalid --storage-class `{class}`: a lowercase DNS name (a-z, 0-9, `-`, `.`)");
        }
    }
    let (cluster_ip, server, server_host) = match &args.server {
        None => {
            let ip = args.cluster_ip.unwrap_or(DEFAULT_IP);
            let url = match ip {
                IpAddr::V4(v4) => format!("https://{v4}:443"),
                IpAddr::V6(v6) => format!("https://[{v6}]:443"),
            };
            (Some(ip), url, None)
        }
        Some(url) => {
            let host = server_url_host(url)?;
            (args.cluster_ip, url.clone(), Some(host))
        }
    };
    if let Some(ip) = cluster_ip
        && (ip.is_unspecified() || ip.is_loopback() || ip.is_multicast())
    {
        bail!("invalid --cluster-ip {ip}: an address of the cluster's service range");
    }
    Ok(Options {
        namespace: args.namespace.clone(),
        name: args.name.clone(),
        image,
        cluster_ip,
        server,
        server_host,
        storage: args.storage.clone(),
        storage_bytes,
        storage_class: args.storage_class.clone(),
    })
}

/// A lowercase RFC 1123 label.
fn dns_label(what: &str, s: &str) -> Result<()> {
    check_dns_label(what, s).map_err(anyhow::Error::msg)
}

/// The host of an `https://HOST[:PORT][/PATH]` URL (an IPv6 address without its brackets).
fn server_url_host(url: &str) -> Result<String> {
    let bad = |why: &str| anyhow::anyhow!("invalid --server `{url}`: {why}");
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(bad(
            "expected https://HOST[:PORT][/PATH] (the receiver only speaks HTTPS)",
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if rest[authority.len()..].contains(['?', '#']) {
        return Err(bad("a query or fragment is not allowed"));
    }
    if authority.contains('@') {
        return Err(bad("credentials in the URL are not allowed"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else {
            return Err(bad("unclosed `[`"));
        };
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("not an IPv6 address between `[` and `]`"));
        }
        match after {
            "" => (h, None),
            p => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(bad("expected `:PORT` after `]`")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|n| n > 0)
    {
        return Err(bad("the port is not a number from 1 to 65535"));
    }
    let host = host.to_ascii_lowercase();
    let dns_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if host.parse::<IpAddr>().is_err() && !dns_ok {
        return Err(bad("the host is neither an IP address nor a DNS name"));
    }
    Ok(host)
}

/// A Kubernetes quantity in bytes: `10Gi`, `500Mi`, `1G`, `1.5Ti`, `1073741824`.
fn quantity(s: &str) -> Option<u128> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult: u128 = match unit {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() || int.len() > 18 || frac.len() > 6 || frac.contains('.') {
        return None;
    }
    let int: u128 = int.parse().ok()?;
    let scale = 10u128.pow(frac.len() as u32);
    let frac: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    Some((int * scale + frac) * mult / scale)
}

// ---------------------------------------------------------------------------------------------
// Generation

fn generate(opts: &Options) -> Result<Parts> {
    let mut names = pki::service_names(&opts.name, &opts.namespace);
    if let Some(ip) = opts.cluster_ip {
        names.push(ip.to_string());
    }
    if let Some(host) = &opts.server_host
        && !names.contains(host)
    {
        names.push(host.clone());
    }
    // The serving certificate's Common Name is the first name: the Service's `.svc` name.
    let svc = format!("{}.{}.svc", opts.name, opts.namespace);
    names.retain(|n| *n != svc);
    names.insert(0, svc);
    let serving = pki::issue(&format!("{} CA", opts.name), &names, CERT_YEARS)
        .context("cannot generate the serving certificate")?;
    let client = pki::issue_client(&format!("{} client CA", opts.name), CLIENT_CN, CERT_YEARS)
        .context("cannot generate the API server's client certificate")?;
    Ok(Parts {
        receiver: receiver(opts, &serving, &client),
        kubeconfig: kubeconfig(opts, &serving, &client),
        policy: policy(),
    })
}

/// Standard base64 with padding.
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// FNV-1a, for an annotation that changes when the client CA does.
fn fnv(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// kubeward's labels with this receiver's instance, at `indent` spaces.
fn labels(opts: &Options, indent: usize) -> String {
    manifests::labels(indent, Some("audit"), Some(&q(&opts.name)))
}

/// The labels the Deployment, Service and NetworkPolicy select on, at `indent` spaces.
fn selector(opts: &Options, indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}app.kubernetes.io/component: audit\n{pad}app.kubernetes.io/instance: {}\n",
        q(&opts.name)
    )
}

/// When the certificates stop being valid (as `pki` computes it).
fn valid_until() -> String {
    let today = kubeward_rules::exceptions::Date::today();
    format!(
        "{:04}-{:02}-{:02}",
        today.year + CERT_YEARS,
        today.month,
        today.day.min(28)
    )
}

fn stdout_header(out: &mut String, opts: &Options) {
    let version = env!("CARGO_PKG_VERSION");
    let ns = &opts.namespace;
    let _ = write!(
        out,
        "\
# kubeward {version}: the audit receiver and the API server's audit webhook
# (`kubeward audit manifests`). Three parts, from one run: they share its certificates.
#
#   {RECEIVER_FILE:<25} the receiver, in namespace {ns}: kubectl apply -f {RECEIVER_FILE}
#   {KUBECONFIG_FILE:<25} for the API server: copy to {HOST_DIR}/ on every
#   {:<25} control-plane node, mode 0600 (it holds the API server's private key)
#   {POLICY_FILE:<25} what the API server audits: copy next to it
#
# Each part starts after a line `# ==> FILE`; only the first is Kubernetes objects, so do
# not pipe all of this to kubectl. `--out DIR` writes the three files (and says what to do).
",
        ""
    );
}

// ---------------------------------------------------------------------------------------------
// Part 1: the receiver

fn receiver(opts: &Options, serving: &Pki, client: &Pki) -> String {
    let ns = q(&opts.namespace);
    let mut out = String::with_capacity(24 * 1024);
    receiver_header(&mut out, opts);
    // The namespace may hold more than the receiver: no component or instance.
    write_namespace(&mut out, &ns, &manifests::labels(4, None, None));
    write_service_account(
        &mut out,
        &ns,
        &q(&opts.name),
        &labels(opts, 4),
        "The receiver never calls the API server: no token is mounted at all (see the Deployment).",
    );
    tls_secret(&mut out, opts, &ns, serving, client);
    config_map(&mut out, opts, &ns);
    claim(&mut out, opts, &ns);
    service(&mut out, opts, &ns);
    network_policies(&mut out, opts, &ns);
    deployment(&mut out, opts, &ns, client);
    out
}

fn receiver_header(out: &mut String, opts: &Options) {
    let version = env!("CARGO_PKG_VERSION");
    let (ns, name) = (&opts.namespace, &opts.name);
    let until = valid_until();
    let address = match opts.cluster_ip {
        Some(ip) if opts.server_host.is_none() => format!(
            "Address: the Service's fixed ClusterIP {ip}, port 443, which the API server's\n# kubeconfig names: the API server runs on the host network and usually cannot resolve\n# cluster DNS names; kube-proxy (or your CNI's replacement) on the control-plane nodes\n# routes the address to the pod. It must lie in the cluster's service range and be free:\n# choose it with --cluster-ip, or give --server"
        ),
        _ => format!(
            "Address: the API server calls {} (--server); route it to the Service {name}\n# (port 443) or to the pods' port {PORT}",
            opts.server
        ),
    };
    let _ = write!(
        out,
        "\
# kubeward {version}: audit receiver, `kubeward audit serve` (`kubeward audit manifests`).
#
# Apply:   kubectl apply -f {RECEIVER_FILE}
# Check:   kubectl -n {ns} rollout status deployment/{name}
#          kubectl -n {ns} logs deployment/{name}      (alerts, one JSON line each)
#          kubectl -n {ns} exec deployment/{name} -- kubeward audit alerts \\
#              --queue-dir {QUEUE_DIR} --since 24h      (the alert database)
# Remove:  first drop --audit-webhook-config-file from every API server, then
#          kubectl delete -f {RECEIVER_FILE}   (the namespace too, with anything else in it)
#
# {address}.
# Certificates: two CAs generated for this output and not kept: one signed the receiver's
# serving certificate (it is the kubeconfig's certificate-authority-data), the other the API
# server's client certificate (CN {CLIENT_CN}, the receiver's --client-ca). Valid until
# {until}: renew by running `kubeward audit manifests` again and replacing all three parts.
# Image: pin it by digest (ghcr.io/kubeward/kubeward@sha256:<digest>); KW502 reports a tag.
"
    );
}

fn tls_secret(out: &mut String, opts: &Options, ns: &str, serving: &Pki, client: &Pki) {
    write_tls_secret(
        out,
        "\
# The receiver's serving certificate and key, and the CA of the API server's client
# certificate (--client-ca). Neither CA's private key exists any more.
",
        ns,
        &q(&format!("{}-tls", opts.name)),
        &labels(opts, 4),
        &[
            ("tls.crt", &serving.cert_pem),
            ("tls.key", &serving.key_pem),
            ("client-ca.crt", &client.ca_pem),
        ],
    );
}

/// The `audit.yaml` the receiver starts with: nothing changed from the defaults, the common
/// settings written out as comments.
pub const STARTER_CONFIG: &str = "\
# kubeward audit configuration (see docs/audit.md): allow-lists, thresholds, severity
# overrides, alert sinks. The receiver reads it when it starts: after editing, restart it
# (kubectl -n NAMESPACE rollout restart deployment/NAME; the API server retries meanwhile).
activity: false                      # report info-level activity alerts
# disable: [KW748]                   # codes or names
# severity: {KW704: medium}
# system-users: [\"my-operator\"]      # more control-plane identities (globs)
# allow:                             # suppress matching alerts; `reason` is required
#   - rules: [KW701, KW703]
#     users: [\"oncall-*\"]
#     namespaces: [debug]
#     reason: on-call engineers debug in this namespace
# thresholds:
#   forbidden-burst: {count: 10, window: 10m}
# trusted-images: [\"registry.example.com/*\"]   # KW714
# trusted-networks: [203.0.113.0/24]           # KW749: your nodes' and NAT gateways' ranges
# sinks:                             # deliver alerts (the NetworkPolicy lets HTTPS out, and
#   - name: secops                   # TCP 9093 to an Alertmanager in the cluster)
#     type: webhook                  # webhook | alertmanager
#     url: https://chat.example.com/hooks/kubeward-alerts
#     min-severity: medium
";

fn config_map(out: &mut String, opts: &Options, ns: &str) {
    write_config_map(
        out,
        ns,
        &q(&opts.name),
        &labels(opts, 4),
        "audit.yaml",
        STARTER_CONFIG,
    );
}

fn claim(out: &mut String, opts: &Options, ns: &str) {
    let class = match &opts.storage_class {
        Some(c) => format!("  storageClassName: {}\n", q(c)),
        None => String::new(),
    };
    let _ = write!(
        out,
        "\
---
# The queue: every batch is written here (append + fsync) before the API server is answered
# 200, so what it considers delivered survives a restart or a crash; the checkpoint and the
# alert store live here too. ReadWriteOnce: one node mounts it (one receiver, see the
# Deployment); ReadWriteOncePod is stricter where your storage driver supports it.
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {}
  namespace: {ns}
  labels:
{}spec:
  accessModes: [\"ReadWriteOnce\"]
{class}  resources:
    requests:
      storage: {}
",
        q(&format!("{}-queue", opts.name)),
        labels(opts, 4),
        q(&opts.storage),
    );
}

fn service(out: &mut String, opts: &Options, ns: &str) {
    let cluster_ip = match opts.cluster_ip {
        Some(ip) => format!(
            "  # Fixed: the API server's kubeconfig names this address (it usually cannot resolve\n  # cluster DNS names). It must be in the service range (--service-cluster-ip-range).\n  clusterIP: {}\n",
            q(&ip.to_string())
        ),
        None => String::new(),
    };
    write_https_service(
        out,
        ns,
        &q(&opts.name),
        &labels(opts, 4),
        &cluster_ip,
        &selector(opts, 4),
    );
}

fn network_policies(out: &mut String, opts: &Options, ns: &str) {
    write_default_deny(
        out,
        ns,
        &q(&format!("{}-default-deny", opts.name)),
        &labels(opts, 4),
    );
    let _ = write!(
        out,
        "\
---
# Ingress: the receiver's port, from private addresses only. The API server calls it from
# the control-plane nodes' addresses (host network), which cannot be selected by pod or
# namespace. If your API server reaches pods from other addresses, add them here: blocked
# batches are retried, then dropped by the API server when its buffer is full
# (kubeward_audit_events_received_total stops growing). Narrow the ranges to your control
# plane's if you can. Anything without the API server's client certificate is refused anyway.
# Egress: DNS, and what the alert sinks of audit.yaml (`sinks:`) may call, whose addresses are
# chosen there and cannot be known here: HTTPS (TCP 443) to any address but link-local ones
# (cloud metadata) for webhooks and chat, and TCP 9093 to pods in the cluster for an
# Alertmanager. Narrow these rules to your sinks' addresses, or delete them if you use none:
# the receiver needs nothing else (it never calls the API server).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {}
  namespace: {ns}
  labels:
{}spec:
  podSelector:
    matchLabels:
{}  policyTypes: [\"Ingress\", \"Egress\"]
{}  egress:
{EGRESS_DNS}  - to:
    - ipBlock: {{cidr: \"0.0.0.0/0\", except: [\"169.254.0.0/16\"]}}
    - ipBlock: {{cidr: \"::/0\", except: [\"fe80::/10\"]}}
    ports:
    - protocol: TCP
      port: 443
  - to:
    - namespaceSelector: {{}}
    ports:
    - protocol: TCP
      port: 9093
",
        q(&opts.name),
        labels(opts, 4),
        selector(opts, 6),
        ingress_from_private_ranges(PORT),
    );
}

fn deployment(out: &mut String, opts: &Options, ns: &str, client: &Pki) {
    // Half the volume: the rest holds the segment being processed, the checkpoint and the
    // alert store, with room to spare.
    let max_queue = (opts.storage_bytes / 2).to_string();
    let args = flow(&[
        "audit",
        "serve",
        "--listen",
        &format!("0.0.0.0:{PORT}"),
        "--cert",
        "/etc/kubeward/tls/tls.crt",
        "--key",
        "/etc/kubeward/tls/tls.key",
        "--client-ca",
        "/etc/kubeward/tls/client-ca.crt",
        "--queue-dir",
        QUEUE_DIR,
        "--max-queue-bytes",
        &max_queue,
        "--config",
        "/etc/kubeward/config/audit.yaml",
    ]);
    let image = q(&opts.image);
    let name = q(&opts.name);
    let _ = write!(
        out,
        "\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
{labels}spec:
  # One receiver: the queue has one writer and one reader, on a ReadWriteOnce volume.
  replicas: 1
  revisionHistoryLimit: 3
  # Recreate, not RollingUpdate: the old pod stops (processing what it queued and writing its
  # checkpoint) before the new one opens the queue. Two receivers on one queue would both
  # append to the same segment files and corrupt it (and the new pod could not mount the
  # volume on another node anyway). Meanwhile the API server buffers events and retries.
  strategy:
    type: Recreate
  selector:
    matchLabels:
{sel6}  template:
    metadata:
      labels:
{labels8}      annotations:
        # The receiver reads --client-ca when it starts: new certificates (this output printed
        # again) change this value and restart it.
        kubeward.io/client-ca: {hash}
    spec:
      serviceAccountName: {name}
      # The receiver never calls the API server: no service account token at all.
      automountServiceAccountToken: false
      enableServiceLinks: false
      # Stopping processes what was queued and writes the checkpoint; anything left stays on
      # the volume and is processed after the restart.
      terminationGracePeriodSeconds: 60
{pod_security_context}      containers:
      - name: kubeward
        image: {image}
        imagePullPolicy: IfNotPresent
        # Alerts go to standard output (kubectl logs, your log collector; the kubelet rotates
        # it) rather than to an --output file, which would grow on the queue's volume.
        args: {args}
{ports}{container_security_context}        # A batch is read whole (at most 64 MiB, --max-body); the detections keep per-identity
        # windows. Raise the memory limit for very busy clusters.
{resources}        # /healthz needs no client certificate; the kubelet does not verify the certificate.
{readiness}{liveness}        terminationMessagePolicy: FallbackToLogsOnError
        volumeMounts:
{tls_and_config_mounts}        - name: queue
          mountPath: {QUEUE_DIR}
        # The root filesystem is read-only: temporary files (the alert store's large sorts).
        - name: tmp
          mountPath: /tmp
      volumes:
{tls_and_config_volumes}      - name: queue
        persistentVolumeClaim:
          claimName: {claim}
      - name: tmp
        emptyDir:
          sizeLimit: 64Mi
",
        labels = labels(opts, 4),
        labels8 = labels(opts, 8),
        sel6 = selector(opts, 6),
        hash = q(&fnv(&client.ca_pem)),
        claim = q(&format!("{}-queue", opts.name)),
        pod_security_context = pod_security_context(
            6,
            Some("The queue volume and the certificate files belong to the pod's group."),
            true,
        ),
        ports = https_port(8, PORT),
        container_security_context = container_security_context(8),
        resources = container_resources(8, ("128Mi", "512Mi")),
        readiness = https_probe(8, "readinessProbe", "/healthz", 10, 2),
        liveness = https_probe(8, "livenessProbe", "/healthz", 20, 3),
        tls_and_config_mounts = tls_and_config_mounts(8),
        tls_and_config_volumes =
            tls_and_config_volumes(6, &q(&format!("{}-tls", opts.name)), &name),
    );
}

// ---------------------------------------------------------------------------------------------
// Part 2: the API server's kubeconfig

fn kubeconfig(opts: &Options, serving: &Pki, client: &Pki) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let name = q(&opts.name);
    format!(
        "\
# kubeward {version}: the API server's audit webhook backend (`kubeward audit manifests`).
# It holds the API server's private key for the receiver: keep it mode 0600, owned by root.
#
# On every control-plane node:
#   install -d -m 0700 {HOST_DIR}
#   install -m 0600 {KUBECONFIG_FILE} {HOST_DIR}/{KUBECONFIG_FILE}
#   install -m 0600 {POLICY_FILE} {HOST_DIR}/{POLICY_FILE}
# then add to kube-apiserver's flags (kubeadm: /etc/kubernetes/manifests/kube-apiserver.yaml;
# the kubelet restarts it when the file changes):
#   - --audit-policy-file={HOST_DIR}/{POLICY_FILE}
#   - --audit-webhook-config-file={HOST_DIR}/{KUBECONFIG_FILE}
#   - --audit-webhook-mode=batch            # never blocks a request on the receiver
#   - --audit-webhook-batch-max-size=400    # events per POST
#   - --audit-webhook-batch-max-wait=5s     # alerts within seconds (default 30s)
# and, for a static pod, mount the directory (it sees only what it mounts):
#   volumeMounts:
#   - {{name: kubeward-audit, mountPath: {HOST_DIR}, readOnly: true}}
#   volumes:
#   - {{name: kubeward-audit, hostPath: {{path: {HOST_DIR}, type: Directory}}}}
# One --audit-policy-file serves every backend: if the API server already has one (for
# --audit-log-path), merge the two rather than keeping both. In batch mode a receiver that
# does not answer delays nothing: the API server buffers events (10000), retries, and drops
# what no longer fits (apiserver_audit_error_total).
#
# Server: {server}. The receiver checks the client certificate (CN {CLIENT_CN});
# the API server checks the receiver's against certificate-authority-data.
apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server_q}
    certificate-authority-data: {ca}
users:
- name: {user}
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {user}
current-context: {name}
",
        server = opts.server,
        server_q = q(&opts.server),
        ca = b64(serving.ca_pem.as_bytes()),
        user = q(CLIENT_CN),
        cert = b64(client.cert_pem.as_bytes()),
        key = b64(client.key_pem.as_bytes()),
    )
}

// ---------------------------------------------------------------------------------------------
// Part 3: the audit policy

/// The recommended audit Policy.
pub fn policy() -> String {
    let version = env!("CARGO_PKG_VERSION");
    format!(
        "\
# kubeward {version}: an audit policy for kubeward's KW7xx detections (`kubeward audit manifests`).
# The first rule that matches a request sets its level; a request no rule matches is not
# audited. Levels: Metadata (who, what, which object, when, the outcome), Request (+ the
# request body), RequestResponse (+ the response body). It also meets CIS 3.2.2, which
# `kubeward node` checks: Secrets, ConfigMaps and TokenReviews at Metadata; exec,
# port-forward and proxies audited; changes to Pods and Deployments audited.
apiVersion: audit.k8s.io/v1
kind: Policy
# RequestReceived repeats what the ResponseStarted/ResponseComplete events of the same
# request hold, without its outcome.
omitStages: [\"RequestReceived\"]
# managedFields in request bodies are bookkeeping, and often most of their size.
omitManagedFields: true
rules:
# Health and version probes: frequent, anonymous by design, nothing to detect (KW719 skips
# them anyway).
- level: None
  nonResourceURLs: [\"/healthz*\", \"/livez*\", \"/readyz*\", \"/version\", \"/version/\"]
# Events: written by every controller and kubelet all the time, nothing to detect in them.
# Deleting them (covering tracks, KW741) is audited below.
- level: None
  verbs: [\"create\", \"update\", \"patch\", \"get\", \"list\", \"watch\"]
  resources:
  - group: \"\"
    resources: [\"events\"]
  - group: events.k8s.io
    resources: [\"events\"]
# Leases: node heartbeats and leader election, every few seconds per node and controller.
- level: None
  verbs: [\"get\", \"update\", \"patch\", \"watch\"]
  resources:
  - group: coordination.k8s.io
    resources: [\"leases\"]
# kube-proxy watching Services and endpoints, and kubelets reading and updating their Node
# (as Kubernetes' own cluster policies do). Registering a Node (create, KW744) stays audited.
- level: None
  users: [\"system:kube-proxy\"]
  verbs: [\"watch\"]
  resources:
  - group: \"\"
    resources: [\"endpoints\", \"services\", \"services/status\"]
  - group: discovery.k8s.io
    resources: [\"endpointslices\"]
- level: None
  userGroups: [\"system:nodes\"]
  verbs: [\"get\", \"patch\", \"update\"]
  resources:
  - group: \"\"
    resources: [\"nodes\", \"nodes/status\"]
# Secrets, ConfigMaps and TokenReviews at Metadata only: who read or changed which one
# (KW718, KW721-KW723), never their content: a Secret's values, a TokenReview's token, the
# credentials people put in ConfigMaps. The audit log is no place for credentials. KW717
# (credentials in a ConfigMap) reads ConfigMap bodies and cannot judge them at this level:
# move configmaps to the Request rule below if you want that detection more.
- level: Metadata
  resources:
  - group: \"\"
    resources: [\"secrets\", \"configmaps\"]
  - group: authentication.k8s.io
    resources: [\"tokenreviews\"]
# Exec, attach and port-forward (KW701-KW704): the command is in the request URI
# (`?command=`); the level keeps whatever bodies the requests have.
- level: RequestResponse
  resources:
  - group: \"\"
    resources: [\"pods/exec\", \"pods/attach\", \"pods/portforward\"]
# Proxies to pods, services and nodes (KW745): who, to what. The proxied traffic itself is
# never logged.
- level: Metadata
  resources:
  - group: \"\"
    resources: [\"pods/proxy\", \"services/proxy\", \"nodes/proxy\"]
# Changes to RBAC (KW726-KW733): the rules and subjects as sent, and the object as stored.
- level: RequestResponse
  verbs: [\"create\", \"update\", \"patch\", \"delete\", \"deletecollection\"]
  resources:
  - group: rbac.authorization.k8s.io
    resources: [\"roles\", \"clusterroles\", \"rolebindings\", \"clusterrolebindings\"]
# Writes whose body the detections read, at Request (the object as sent; the response would
# double the size and add nothing they read): pods and workloads (KW705-KW713, KW737-KW739),
# Services (KW715), Ingresses (KW716), service accounts and their tokens (KW724, KW725: a
# TokenRequest's body holds only audiences and a lifetime, the token is in the response),
# namespaces and nodes (KW742, KW744), CSRs (KW735), admission webhooks (KW736) and
# permission reviews (KW746).
- level: Request
  verbs: [\"create\", \"update\", \"patch\"]
  resources:
  - group: \"\"
    resources: [\"pods\", \"pods/ephemeralcontainers\", \"replicationcontrollers\", \"services\",
                \"serviceaccounts\", \"serviceaccounts/token\", \"namespaces\", \"nodes\"]
  - group: apps
    resources: [\"deployments\", \"daemonsets\", \"statefulsets\", \"replicasets\"]
  - group: batch
    resources: [\"jobs\", \"cronjobs\"]
  - group: networking.k8s.io
    resources: [\"ingresses\", \"networkpolicies\"]
  - group: certificates.k8s.io
    resources: [\"certificatesigningrequests\", \"certificatesigningrequests/approval\"]
  - group: admissionregistration.k8s.io
    resources: [\"mutatingwebhookconfigurations\", \"validatingwebhookconfigurations\"]
  - group: authorization.k8s.io
    resources: [\"selfsubjectrulesreviews\", \"selfsubjectaccessreviews\"]
# Everything else at Metadata: reads, deletions, refusals, anonymous and unusual access
# (KW719-KW723, KW741, KW747-KW751). Custom resources stay here: their bodies may hold
# credentials kubeward cannot recognise.
- level: Metadata
"
    )
}

// ---------------------------------------------------------------------------------------------
// --out DIR

fn write_files(dir: &Path, parts: &Parts) -> Result<()> {
    let files = [
        (RECEIVER_FILE, &parts.receiver, true),
        (KUBECONFIG_FILE, &parts.kubeconfig, true),
        (POLICY_FILE, &parts.policy, false),
    ];
    let existing: Vec<String> = files
        .iter()
        .map(|(f, _, _)| dir.join(f))
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "not overwriting {}: the three files belong together; remove them or choose another directory",
            existing.join(", ")
        );
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, text, secret) in files {
        let path = dir.join(file);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, if secret { 0o600 } else { 0o644 });
        #[cfg(not(unix))]
        let _ = secret;
        let mut f = o
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// What to do with the files, for standard error.
fn instructions(dir: &Path, opts: &Options) -> String {
    let d = dir.display();
    let (ns, name) = (&opts.namespace, &opts.name);
    format!(
        "\
kubeward: wrote {d}/{RECEIVER_FILE} and {d}/{KUBECONFIG_FILE} (mode 0600: they hold private keys), {d}/{POLICY_FILE}
 1. Run the receiver:
      kubectl apply -f {d}/{RECEIVER_FILE}
      kubectl -n {ns} rollout status deployment/{name}
 2. On every control-plane node, copy the kubeconfig and the policy:
      install -d -m 0700 {HOST_DIR}
      install -m 0600 {KUBECONFIG_FILE} {HOST_DIR}/{KUBECONFIG_FILE}
      install -m 0600 {POLICY_FILE} {HOST_DIR}/{POLICY_FILE}
 3. Add to kube-apiserver (kubeadm: /etc/kubernetes/manifests/kube-apiserver.yaml), and mount
    {HOST_DIR} into its pod read-only (see the comments in {KUBECONFIG_FILE}):
      --audit-policy-file={HOST_DIR}/{POLICY_FILE}
      --audit-webhook-config-file={HOST_DIR}/{KUBECONFIG_FILE}
      --audit-webhook-mode=batch
      --audit-webhook-batch-max-size=400
      --audit-webhook-batch-max-wait=5s
 4. Check that events arrive (kubeward_audit_events_received_total grows):
      kubectl -n {ns} port-forward deployment/{name} {PORT}:{PORT} &
      curl -sk https://127.0.0.1:{PORT}/metrics | grep kubeward_audit_events
    Alerts: kubectl -n {ns} logs deployment/{name}
 Then delete {d}/{KUBECONFIG_FILE}, or keep it as safely as the nodes' copies.
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(b64(b""), "");
        assert_eq!(b64(b"f"), "Zg==");
        assert_eq!(b64(b"fo"), "Zm8=");
        assert_eq!(b64(b"foo"), "Zm9v");
        assert_eq!(b64(b"foob"), "Zm9vYg==");
        assert_eq!(b64(b"\xff\xfe\xfd"), "//79");
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("10Gi"), Some(10 << 30));
        assert_eq!(quantity("500Mi"), Some(500 << 20));
        assert_eq!(quantity("1G"), Some(1_000_000_000));
        assert_eq!(quantity("1.5Gi"), Some(3 << 29));
        assert_eq!(quantity("1073741824"), Some(1 << 30));
        for bad in ["", "Gi", "10GB", "1..5Gi", "-1Gi", "10 Gi", "1e9"] {
            assert_eq!(quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn server_hosts() {
        assert_eq!(
            server_url_host("https://10.0.0.5:30443").unwrap(),
            "10.0.0.5"
        );
        assert_eq!(
            server_url_host("https://Audit.Example.com/x").unwrap(),
            "audit.example.com"
        );
        assert_eq!(server_url_host("https://[fd00::5]:443").unwrap(), "fd00::5");
        for bad in [
            "http://10.0.0.5",
            "https://",
            "https://a b",
            "https://u:p@host",
            "https://host:0",
            "https://host:99999",
            "https://host/?q=1",
            "https://[fd00::5",
            "https://bad_host",
            "https://host\n- injected: x",
        ] {
            assert!(server_url_host(bad).is_err(), "{bad}");
        }
    }
}
