//! `kubeward etcd`: a live etcd, through its v3 gRPC API (the `etcd-client` crate).
//!
//! Probes, each on a fresh connection: a TLS client *without* a certificate, plain HTTP to the
//! same host and port, and a client certificate from a CA generated on the spot (so no real
//! CA could have signed it). Then, with the credentials given, the server's version and every
//! key under `PREFIX/secrets/`, page by page at one pinned revision: only the first bytes of
//! each value are looked at, to tell the API server's plain-text encodings (`k8s\x00` protobuf,
//! `{` JSON) from its encryption envelopes (`k8s:enc:<provider>:v1:<key>:`). Values are never
//! printed, logged, or kept after their page is classified; only counts, provider and key
//! *names*, and the namespace/name of each plain-text Secret are.

use crate::error::Error;
use crate::rules;
use etcd_client::{Certificate, Client, ConnectOptions, GetOptions, Identity, TlsOptions};
use kubeward_core::{RuleMeta, Severity};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to check and how.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// `https://host:port` or `http://host:port`.
    pub endpoint: String,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The API server's `--etcd-prefix` (`/registry`; OpenShift uses `/kubernetes.io`).
    pub prefix: String,
    /// Keys per page.
    pub page_size: i64,
    /// Plain-text Secrets named at most (the rest are counted).
    pub list_limit: usize,
    /// Per request.
    pub timeout: Duration,
    /// Skip the three probes (only version and classification).
    pub skip_probes: bool,
    /// Largest response accepted; a page that would exceed it is halved and read again.
    pub max_message_bytes: usize,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        EtcdOptions {
            endpoint: String::new(),
            cacert: None,
            cert: None,
            key: None,
            prefix: "/registry".into(),
            page_size: 1000,
            list_limit: 1000,
            timeout: Duration::from_secs(10),
            skip_probes: false,
            max_message_bytes: 64 * 1024 * 1024,
        }
    }
}

/// How a stored value is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// `k8s\x00`: the API server's protobuf, not encrypted.
    PlainProtobuf,
    /// `{`: JSON, not encrypted.
    PlainJson,
    /// `k8s:enc:<provider>:<version>:<key or plugin name>:`.
    Encrypted { provider: String, key: String },
    /// Anything else (not written by an API server, or by an unknown one).
    Unknown,
}

/// The first bytes of a value → its encoding. Reads at most the envelope's prefix.
pub fn classify(value: &[u8]) -> Class {
    if value.starts_with(b"k8s\x00") {
        return Class::PlainProtobuf;
    }
    if value.first() == Some(&b'{') {
        return Class::PlainJson;
    }
    let Some(rest) = value.strip_prefix(b"k8s:enc:") else {
        return Class::Unknown;
    };
    let known: [(&[u8], &str); 5] = [
        (b"aescbc:v1:", "aescbc"),
        (b"aesgcm:v1:", "aesgcm"),
        (b"secretbox:v1:", "secretbox"),
        (b"kms:v1:", "kms v1"),
        (b"kms:v2:", "kms v2"),
    ];
    for (prefix, label) in known {
        if let Some(after) = rest.strip_prefix(prefix) {
            return Class::Encrypted {
                provider: label.to_string(),
                key: name_until_colon(after),
            };
        }
    }
    let provider = name_until_colon(rest);
    Class::Encrypted {
        provider: if provider.is_empty() {
            "unknown".into()
        } else {
            format!("unknown ({provider})")
        },
        key: String::new(),
    }
}

/// A key or provider name: up to the next `:`, at most 64 printable ASCII characters.
fn name_until_colon(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != b':')
        .take(64)
        .map(|&c| if c.is_ascii_graphic() { c as char } else { '?' })
        .collect()
}

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// etcd answered (a finding).
    Accepted,
    /// etcd refused (as it should).
    Refused,
    /// Not meaningful for this endpoint (e.g. no TLS at all).
    NotApplicable,
}

/// One probe.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// `no-client-certificate`, `plain-http`, `foreign-ca-certificate`.
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct EtcdFinding {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// Counts per namespace.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NamespaceCounts {
    pub total: u64,
    pub plaintext: u64,
}

/// The classification of every Secret.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretsSummary {
    /// The key prefix read (`/registry/secrets/`).
    pub prefix: String,
    /// Keys per page in the end (smaller than asked when pages of large values had to be
    /// halved to fit the message limit).
    pub page_size_used: i64,
    /// The revision all pages were read at.
    pub revision: i64,
    pub pages: u64,
    pub total: u64,
    pub plaintext: u64,
    pub plaintext_protobuf: u64,
    pub plaintext_json: u64,
    /// Encrypted values per provider (`aescbc`, `aesgcm`, `secretbox`, `kms v1`, `kms v2`).
    pub encrypted: BTreeMap<String, u64>,
    /// Encrypted values per `provider/key-name` (key rotation progress).
    pub by_key: BTreeMap<String, u64>,
    pub unknown: u64,
    /// `namespace/name` of plain-text Secrets, in key order, at most `--list-limit`.
    pub plaintext_names: Vec<String>,
    pub plaintext_names_truncated: bool,
    pub by_namespace: BTreeMap<String, NamespaceCounts>,
    pub seconds: f64,
}

/// The outcome of `kubeward etcd`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EtcdReport {
    pub endpoint: String,
    pub version: Option<String>,
    pub probes: Vec<Probe>,
    pub secrets: Option<SecretsSummary>,
    pub findings: Vec<EtcdFinding>,
    pub errors: Vec<String>,
}

fn finding(rule: &'static RuleMeta, severity: Severity, message: String) -> EtcdFinding {
    EtcdFinding {
        code: rule.code,
        rule: rule.name,
        severity,
        message,
    }
}

/// Credentials read from files.
#[derive(Clone)]
struct Creds {
    ca: Option<Vec<u8>>,
    identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for Creds {
    // Never shows key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Creds")
            .field("ca", &self.ca.is_some())
            .field("identity", &self.identity.is_some())
            .finish()
    }
}

fn read_file(what: &str, p: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(p).map_err(|e| {
        Error::Usage(format!(
            "cannot read {what} {}: {}",
            p.display(),
            crate::fsroot::io_text(&e)
        ))
    })
}

/// Splits `scheme://host:port`.
fn parse_endpoint(url: &str) -> Result<(bool, String), Error> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(Error::Usage(format!(
            "invalid endpoint `{url}`: expected https://HOST:PORT or http://HOST:PORT"
        )));
    };
    let hostport = rest.trim_end_matches('/');
    if hostport.is_empty() || hostport.contains('/') || !hostport.contains(':') {
        return Err(Error::Usage(format!(
            "invalid endpoint `{url}`: expected https://HOST:PORT (with a port, no path)"
        )));
    }
    Ok((tls, hostport.to_string()))
}

async fn connect(url: &str, creds: Option<&Creds>, timeout: Duration) -> Result<Client, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(timeout)
        .with_timeout(timeout);
    if let Some(c) = creds {
        let mut tls = TlsOptions::new();
        if let Some(ca) = &c.ca {
            tls = tls.ca_certificate(Certificate::from_pem(ca));
        }
        if let Some((cert, key)) = &c.identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        opts = opts.with_tls(tls);
    }
    Client::connect([url], Some(opts))
        .await
        .map_err(|e| error_chain(&e))
}

/// An etcd-client error and its causes, one line (`transport error: ...: invalid peer
/// certificate: UnknownIssuer`), repeated messages dropped.
fn error_chain(e: &etcd_client::Error) -> String {
    use std::error::Error as _;
    match e {
        etcd_client::Error::TransportError(t) => causes("transport error", t.source()),
        etcd_client::Error::GRpcStatus(s) => {
            let head = if s.message().is_empty() {
                s.code().description().to_string()
            } else {
                format!("{}: {}", s.code().description(), s.message())
            };
            causes(&head, s.source())
        }
        other => short_error(&other.to_string()),
    }
}

fn causes(head: &str, first: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut parts: Vec<String> = vec![head.to_string()];
    let mut cur = first;
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    short_error(&parts.join(": "))
}

/// One line, without anything that could be data.
fn short_error(e: &str) -> String {
    let one: String = e.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 300 {
        format!("{}…", one.chars().take(300).collect::<String>())
    } else {
        one
    }
}

/// Can this client read keys? `Ok(version)` when etcd answered a range request.
async fn try_read(client: &mut Client, prefix: &str, timeout: Duration) -> Result<(), String> {
    let opts = GetOptions::new()
        .with_prefix()
        .with_keys_only()
        .with_count_only()
        .with_limit(1);
    match tokio::time::timeout(timeout, client.get(prefix.as_bytes().to_vec(), Some(opts))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(error_chain(&e)),
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
    }
}

/// A CA nobody trusts and a client certificate it signed (PEM), generated now.
fn foreign_identity() -> Result<(Vec<u8>, Vec<u8>), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kubeward throw-away CA (etcd probe)");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().map_err(e)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    // The name the API server's etcd client certificate has: an etcd that authorizes by CN
    // (etcd RBAC) would map it to a privileged user.
    dn.push(DnType::CommonName, "kube-apiserver-etcd-client");
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).map_err(e)?;
    Ok((cert.pem().into_bytes(), key.serialize_pem().into_bytes()))
}

/// `/registry/secrets/` → `/registry/secrets0`: the end of the prefix's range.
fn range_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Runs the check.
pub fn check(opts: &EtcdOptions) -> Result<EtcdReport, Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Etcd(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(check_async(opts))
}

async fn check_async(opts: &EtcdOptions) -> Result<EtcdReport, Error> {
    let (tls, hostport) = parse_endpoint(&opts.endpoint)?;
    if opts.cert.is_some() != opts.key.is_some() {
        return Err(Error::Usage("--cert and --key go together".into()));
    }
    if tls && opts.cacert.is_none() {
        return Err(Error::Usage(
            "an https:// endpoint needs --cacert (the CA that signed etcd's serving certificate)"
                .into(),
        ));
    }
    if opts.page_size < 1 {
        return Err(Error::Usage("--page-size must be at least 1".into()));
    }
    let ca = opts
        .cacert
        .as_ref()
        .map(|p| read_file("--cacert", p))
        .transpose()?;
    let identity = match (&opts.cert, &opts.key) {
        (Some(c), Some(k)) => Some((read_file("--cert", c)?, read_file("--key", k)?)),
        _ => None,
    };
    let creds = Creds {
        ca: ca.clone(),
        identity,
    };
    let url = opts.endpoint.trim_end_matches('/').to_string();
    let timeout = opts.timeout;
    let mut report = EtcdReport {
        endpoint: url.clone(),
        version: None,
        probes: Vec::new(),
        secrets: None,
        findings: Vec::new(),
        errors: Vec::new(),
    };
    let prefix_root = format!("{}/", opts.prefix.trim_end_matches('/'));

    // Probes.
    if !opts.skip_probes {
        if tls {
            let anon = Creds {
                ca: ca.clone(),
                identity: None,
            };
            report.probes.push(
                probe(
                    "no-client-certificate",
                    &url,
                    Some(&anon),
                    &prefix_root,
                    timeout,
                )
                .await,
            );
            let plain = format!("http://{hostport}");
            report
                .probes
                .push(probe("plain-http", &plain, None, &prefix_root, timeout).await);
            match foreign_identity() {
                Ok(id) => {
                    let foreign = Creds {
                        ca: ca.clone(),
                        identity: Some(id),
                    };
                    report.probes.push(
                        probe(
                            "foreign-ca-certificate",
                            &url,
                            Some(&foreign),
                            &prefix_root,
                            timeout,
                        )
                        .await,
                    );
                }
                Err(e) => report
                    .errors
                    .push(format!("cannot generate the throw-away CA: {e}")),
            }
        } else {
            report.probes.push(Probe {
                name: "no-client-certificate",
                outcome: Outcome::NotApplicable,
                detail: "the endpoint is plain HTTP: there is no TLS to present a certificate in"
                    .into(),
            });
            report.probes.push(Probe {
                name: "foreign-ca-certificate",
                outcome: Outcome::NotApplicable,
                detail: "the endpoint is plain HTTP".into(),
            });
        }
    }

    // The given credentials.
    let main_creds = tls.then_some(&creds);
    let mut client = match connect(&url, main_creds, timeout).await {
        Ok(c) => c,
        Err(e) => {
            report
                .errors
                .push(format!("cannot connect with the given credentials: {e}"));
            judge(&mut report, tls);
            return Ok(report);
        }
    };
    match tokio::time::timeout(timeout, client.status()).await {
        Ok(Ok(s)) => report.version = Some(s.version().to_string()),
        Ok(Err(e)) => report.errors.push(format!(
            "cannot read etcd's status with the given credentials: {}",
            error_chain(&e)
        )),
        Err(_) => report
            .errors
            .push(format!("status: no answer within {} s", timeout.as_secs())),
    }
    if !tls && report.version.is_some() {
        report.probes.push(Probe {
            name: "plain-http",
            outcome: Outcome::Accepted,
            detail: "the endpoint itself is plain HTTP and answered".into(),
        });
    }
    if report.errors.is_empty() {
        match classify_secrets(&mut client, opts, &prefix_root).await {
            Ok(s) => report.secrets = Some(s),
            Err(e) => report.errors.push(e),
        }
    }
    judge(&mut report, tls);
    Ok(report)
}

async fn probe(
    name: &'static str,
    url: &str,
    creds: Option<&Creds>,
    prefix: &str,
    timeout: Duration,
) -> Probe {
    let result = match connect(url, creds, timeout).await {
        Ok(mut c) => try_read(&mut c, prefix, timeout).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Probe {
            name,
            outcome: Outcome::Accepted,
            detail: "etcd answered a range request".into(),
        },
        Err(e) => Probe {
            name,
            outcome: Outcome::Refused,
            detail: e,
        },
    }
}

fn judge(report: &mut EtcdReport, tls: bool) {
    let no_cert_needed = report
        .probes
        .iter()
        .any(|p| p.name == "no-client-certificate" && p.outcome == Outcome::Accepted);
    for p in &report.probes {
        if p.outcome != Outcome::Accepted {
            continue;
        }
        // Without client authentication any certificate "works": KW630 says it all.
        if p.name == "foreign-ca-certificate" && no_cert_needed {
            continue;
        }
        let f = match p.name {
            "no-client-certificate" => finding(
                &rules::ETCD_NO_CLIENT_CERT,
                Severity::Critical,
                format!(
                    "{} answers a TLS client that presents no certificate: anyone who reaches it reads every key",
                    report.endpoint
                ),
            ),
            "plain-http" => finding(
                &rules::ETCD_PLAIN_HTTP,
                Severity::Critical,
                if tls {
                    format!(
                        "{} also answers plain HTTP on the same port",
                        report.endpoint
                    )
                } else {
                    format!(
                        "{} answers plain HTTP: no encryption and no client authentication",
                        report.endpoint
                    )
                },
            ),
            _ => finding(
                &rules::ETCD_FOREIGN_CA,
                Severity::Critical,
                format!(
                    "{} accepts a client certificate signed by a CA generated by kubeward just now",
                    report.endpoint
                ),
            ),
        };
        report.findings.push(f);
    }
    if let Some(s) = &report.secrets {
        if s.plaintext > 0 {
            let names: Vec<&str> = s
                .plaintext_names
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            report.findings.push(finding(
                &rules::SECRETS_PLAINTEXT_IN_ETCD,
                Severity::High,
                format!(
                    "{} of {} Secrets are stored in plain text ({} protobuf, {} JSON), e.g. {}",
                    s.plaintext,
                    s.total,
                    s.plaintext_protobuf,
                    s.plaintext_json,
                    names.join(", ")
                ),
            ));
        }
        let weak: Vec<(String, u64)> = s
            .encrypted
            .iter()
            .filter(|(p, _)| p.as_str() == "aescbc" || p.as_str() == "kms v1")
            .map(|(p, n)| (p.clone(), *n))
            .collect();
        for (p, n) in weak {
            report.findings.push(finding(
                &rules::SECRETS_WEAKLY_ENCRYPTED,
                Severity::Medium,
                format!(
                    "{n} Secrets are encrypted with {p} ({})",
                    if p == "aescbc" {
                        "weak: CBC padding-oracle attacks"
                    } else {
                        "deprecated"
                    }
                ),
            ));
        }
    }
}

async fn classify_secrets(
    client: &mut Client,
    opts: &EtcdOptions,
    prefix_root: &str,
) -> Result<SecretsSummary, String> {
    let started = Instant::now();
    let prefix = format!("{prefix_root}secrets/");
    let end = range_end(prefix.as_bytes());
    let mut kv = client
        .kv_client()
        .max_decoding_message_size(opts.max_message_bytes);
    let mut s = SecretsSummary {
        prefix: prefix.clone(),
        page_size_used: opts.page_size,
        ..SecretsSummary::default()
    };
    let mut start = prefix.as_bytes().to_vec();
    let mut limit = opts.page_size;
    loop {
        let mut o = GetOptions::new().with_range(end.clone()).with_limit(limit);
        if s.revision > 0 {
            o = o.with_revision(s.revision);
        }
        let resp = match tokio::time::timeout(opts.timeout, kv.get(start.clone(), Some(o))).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                let msg = error_chain(&e);
                // A page of large values can exceed the message limit (tonic: OutOfRange,
                // "decoded message length too large"): halve the page and retry.
                // gRPC codes 8 (RESOURCE_EXHAUSTED) and 11 (OUT_OF_RANGE).
                let too_large = matches!(&e, etcd_client::Error::GRpcStatus(st)
                    if matches!(i32::from(st.code()), 8 | 11));
                if limit > 1 && too_large {
                    limit = (limit / 2).max(1);
                    s.page_size_used = limit;
                    continue;
                }
                return Err(format!("reading {prefix}: {}", short_error(&msg)));
            }
            Err(_) => {
                return Err(format!(
                    "reading {prefix}: no answer within {} s",
                    opts.timeout.as_secs()
                ));
            }
        };
        if s.revision == 0 {
            s.revision = resp.header().map_or(0, |h| h.revision());
        }
        s.pages += 1;
        let kvs = resp.kvs();
        for item in kvs {
            s.total += 1;
            let key = String::from_utf8_lossy(item.key());
            let rest = key.strip_prefix(&prefix).unwrap_or(&key);
            let (ns, name) = rest.split_once('/').unwrap_or(("", rest));
            let counts = s.by_namespace.entry(ns.to_string()).or_default();
            counts.total += 1;
            let class = classify(item.value());
            match class {
                Class::PlainProtobuf | Class::PlainJson => {
                    if class == Class::PlainProtobuf {
                        s.plaintext_protobuf += 1;
                    } else {
                        s.plaintext_json += 1;
                    }
                    s.plaintext += 1;
                    counts.plaintext += 1;
                    if s.plaintext_names.len() < opts.list_limit {
                        s.plaintext_names.push(format!("{ns}/{name}"));
                    } else {
                        s.plaintext_names_truncated = true;
                    }
                }
                Class::Encrypted { provider, key } => {
                    *s.encrypted.entry(provider.clone()).or_default() += 1;
                    if !key.is_empty() {
                        *s.by_key.entry(format!("{provider}/{key}")).or_default() += 1;
                    }
                }
                Class::Unknown => s.unknown += 1,
            }
        }
        let Some(last) = kvs.last() else { break };
        if !resp.more() {
            break;
        }
        start = last.key().to_vec();
        start.push(0);
    }
    s.seconds = started.elapsed().as_secs_f64();
    Ok(s)
}

impl EtcdReport {
    /// 2 when etcd could not be read with the given credentials, 1 when something was found,
    /// 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if !self.findings.is_empty() {
            1
        } else {
            0
        }
    }

    pub fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        out.insert("schemaVersion".into(), json!("1"));
        out.insert(
            "tool".into(),
            json!({"name": "kubeward", "version": env!("CARGO_PKG_VERSION")}),
        );
        if let Value::Object(m) = serde_json::to_value(self).unwrap_or(Value::Null) {
            out.extend(m);
        }
        Value::Object(out)
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "kubeward etcd: {} · etcd {}",
            self.endpoint,
            self.version.as_deref().unwrap_or("version unknown")
        );
        if !self.probes.is_empty() {
            let _ = writeln!(out, "\nprobes:");
            for p in &self.probes {
                let verdict = match (p.name, p.outcome) {
                    (_, Outcome::Accepted) => "ACCEPTED",
                    (_, Outcome::Refused) => "refused",
                    (_, Outcome::NotApplicable) => "n/a",
                };
                let _ = writeln!(out, "  {:<24} {:<9} {}", p.name, verdict, p.detail);
            }
        }
        if let Some(s) = &self.secrets {
            let _ = writeln!(
                out,
                "\nsecrets under {} (revision {}, {} pages, {:.2} s): {} total",
                s.prefix, s.revision, s.pages, s.seconds, s.total
            );
            let _ = writeln!(
                out,
                "  plain text       {} ({} protobuf, {} JSON)",
                s.plaintext, s.plaintext_protobuf, s.plaintext_json
            );
            for (p, n) in &s.encrypted {
                let _ = writeln!(out, "  {:<16} {n}", p);
            }
            for (k, n) in &s.by_key {
                let _ = writeln!(out, "    key {:<20} {n}", k);
            }
            if s.unknown > 0 {
                let _ = writeln!(out, "  unknown format   {}", s.unknown);
            }
            if !s.plaintext_names.is_empty() {
                let _ = writeln!(out, "\n  plain-text Secrets:");
                for n in s.plaintext_names.iter().take(50) {
                    let _ = writeln!(out, "    {n}");
                }
                let more = s.plaintext - (s.plaintext_names.len().min(50) as u64);
                if more > 0 {
                    let _ = writeln!(
                        out,
                        "    … {more} more (--format json lists up to --list-limit)"
                    );
                }
            }
            if s.total == 0 {
                let _ = writeln!(
                    out,
                    "  (no keys: is the API server's --etcd-prefix {}?)",
                    s.prefix.trim_end_matches("secrets/")
                );
            }
        }
        if !self.findings.is_empty() {
            let _ = writeln!(out, "\nfindings:");
            for f in &self.findings {
                let _ = writeln!(
                    out,
                    "  {} {:<8} {} ({})",
                    f.code, f.severity, f.message, f.rule
                );
            }
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out, "\nerrors:");
            for e in &self.errors {
                let _ = writeln!(out, "  {e}");
            }
        }
        out
    }

    pub fn to_sarif(&self) -> Value {
        let mut used: Vec<&'static RuleMeta> = Vec::new();
        let results: Vec<Value> = self
            .findings
            .iter()
            .filter_map(|f| {
                let meta = rules::ALL.iter().copied().find(|r| r.code == f.code)?;
                if !used.iter().any(|m| m.code == meta.code) {
                    used.push(meta);
                }
                Some(json!({
                    "ruleId": f.code,
                    "level": match f.severity { Severity::Critical | Severity::High => "error", Severity::Medium => "warning", _ => "note" },
                    "message": { "text": f.message },
                    "locations": [{ "logicalLocations": [{ "name": self.endpoint, "kind": "resource" }] }],
                    "properties": { "severity": f.severity.as_str() },
                }))
            })
            .collect();
        used.sort_by_key(|m| m.code);
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "kubeward",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/kubeward",
                    "rules": used.iter().map(|m| json!({
                        "id": m.code,
                        "name": m.name,
                        "shortDescription": { "text": m.summary },
                        "help": { "text": m.remediation },
                    })).collect::<Vec<_>>(),
                }},
                "results": results,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_api_servers_formats() {
        assert_eq!(classify(b"k8s\x00\x0a\x0c\x0a\x02v1"), Class::PlainProtobuf);
        assert_eq!(classify(b"{\"kind\":\"Secret\"}"), Class::PlainJson);
        assert_eq!(
            classify(b"k8s:enc:aescbc:v1:key1:\x8f\x00"),
            Class::Encrypted {
                provider: "aescbc".into(),
                key: "key1".into()
            }
        );
        assert_eq!(
            classify(b"k8s:enc:kms:v2:vault-plugin:\x0a\x01"),
            Class::Encrypted {
                provider: "kms v2".into(),
                key: "vault-plugin".into()
            }
        );
        assert_eq!(
            classify(b"k8s:enc:secretbox:v1:k:"),
            Class::Encrypted {
                provider: "secretbox".into(),
                key: "k".into()
            }
        );
        assert_eq!(
            classify(b"k8s:enc:rot13:v9:x"),
            Class::Encrypted {
                provider: "unknown (rot13)".into(),
                key: String::new()
            }
        );
        assert_eq!(classify(b""), Class::Unknown);
        assert_eq!(classify(b"\xff\xfe"), Class::Unknown);
        // Binary key names are shown safely and bounded.
        let long = [b"k8s:enc:aesgcm:v1:".as_slice(), &[0x01; 200]].concat();
        match classify(&long) {
            Class::Encrypted { key, .. } => assert_eq!(key, "?".repeat(64)),
            other => panic!("{other:?}"),
        }
    }

    fn probe_report(no_cert: Outcome, foreign: Outcome) -> EtcdReport {
        let p = |name, outcome| Probe {
            name,
            outcome,
            detail: String::new(),
        };
        EtcdReport {
            endpoint: "https://10.0.0.5:2379".into(),
            version: None,
            probes: vec![
                p("no-client-certificate", no_cert),
                p("plain-http", Outcome::Refused),
                p("foreign-ca-certificate", foreign),
            ],
            secrets: None,
            findings: Vec::new(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn a_foreign_certificate_is_a_finding_only_when_certificates_are_required() {
        // Client certificates required, yet one from an unrelated CA accepted (a proxy that
        // terminates TLS, a CA bundle that trusts too much): KW632.
        let mut r = probe_report(Outcome::Refused, Outcome::Accepted);
        judge(&mut r, true);
        let codes: Vec<&str> = r.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, ["KW632"]);
        // No certificate needed at all: KW630 says it; the foreign one adds nothing.
        let mut r = probe_report(Outcome::Accepted, Outcome::Accepted);
        judge(&mut r, true);
        let codes: Vec<&str> = r.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, ["KW630"]);
        let mut r = probe_report(Outcome::Refused, Outcome::Refused);
        judge(&mut r, true);
        assert!(r.findings.is_empty());
        assert_eq!(r.exit_code(), 0);
    }

    #[test]
    fn endpoints_and_ranges() {
        assert_eq!(
            parse_endpoint("https://10.0.0.5:2379").unwrap(),
            (true, "10.0.0.5:2379".into())
        );
        assert_eq!(
            parse_endpoint("http://[::1]:2379/").unwrap(),
            (false, "[::1]:2379".into())
        );
        assert!(parse_endpoint("10.0.0.5:2379").is_err());
        assert!(parse_endpoint("https://host").is_err());
        assert!(parse_endpoint("https://host:1/v3").is_err());
        assert_eq!(range_end(b"/registry/secrets/"), b"/registry/secrets0");
        assert_eq!(range_end(b"a\xff"), b"b");
    }
}
