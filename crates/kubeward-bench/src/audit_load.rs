//! `kubeward-bench audit-load`: a load generator for `kubeward audit serve` that behaves like
//! the API server's audit webhook batch backend, and `audit-certs`, the certificates for it.
//!
//! ```text
//! kubeward-bench audit-load --url https://127.0.0.1:PORT/ --ca CA.pem
//!     [--cert C.pem --key K.pem | --token T | --token-file F]
//!     [--rate 20000] [--seconds 60] [--batch 400] [--connections 4] [--http2]
//!     [--events FILE] [--seed S]
//! kubeward-bench audit-certs --dir DIR
//! ```
//!
//! Batches are `audit.k8s.io/v1` `EventList`s POSTed with `Content-Type: application/json`
//! over HTTPS keep-alive connections (HTTP/1.1, or one multiplexed HTTP/2 connection with
//! `--http2`). The pacing is open loop: batch `i` is due at `start + i * batch / rate` whatever
//! the answers of earlier batches, and its latency is measured from when it was due to its
//! 200 (so a slow receiver shows as latency, not as a lower offered rate). `--connections` is
//! how many batches may be in flight at once. A batch answered 429 or 5xx, or whose connection
//! failed, is sent again after a backoff (as the API server does), until it is acknowledged
//! or [`GIVE_UP`] passes; other answers are errors.
//!
//! The events are Metadata-level reads and writes by nodes, controllers, service accounts and
//! people, with some Request-level writes (bodies included) and a small share that raise
//! alerts (exec into pods, people reading secrets, privileged pods). Every event has a unique
//! `auditID` and the current time. `--events FILE` (JSON lines, a JSON array or an EventList)
//! replaces the built-in mix: its events are sent in turn with fresh auditIDs and times.
//!
//! The summary is printed as `key=value` lines.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kubeward_bench::Rng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, mpsc};

/// A batch still not acknowledged this long after it was due is counted as an error.
const GIVE_UP: Duration = Duration::from_secs(120);
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
const ID: &str = "@@AUDIT-ID@@";
const TS: &str = "@@TIMESTAMP@@";

#[derive(Debug)]
struct Options {
    url: http::Uri,
    ca: PathBuf,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    token: Option<String>,
    rate: u64,
    seconds: u64,
    batch: u64,
    connections: usize,
    events: Option<PathBuf>,
    http2: bool,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut url = None;
    let mut o = Options {
        url: http::Uri::from_static("https://127.0.0.1/"),
        ca: PathBuf::new(),
        cert: None,
        key: None,
        token: None,
        rate: 20_000,
        seconds: 60,
        batch: 400,
        connections: 4,
        events: None,
        http2: false,
        seed: 42,
    };
    let mut ca = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        let num = |s: String| {
            s.parse::<u64>()
                .map_err(|_| format!("{arg}: not a number: {s}"))
        };
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--ca" => ca = Some(PathBuf::from(value()?)),
            "--cert" => o.cert = Some(value()?.into()),
            "--key" => o.key = Some(value()?.into()),
            "--token" => o.token = Some(value()?),
            "--token-file" => {
                let p = value()?;
                let t = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
                o.token = Some(t.trim().to_string());
            }
            "--rate" => o.rate = num(value()?)?,
            "--seconds" => o.seconds = num(value()?)?,
            "--batch" => o.batch = num(value()?)?,
            "--connections" => o.connections = num(value()?)? as usize,
            "--events" => o.events = Some(value()?.into()),
            "--seed" => o.seed = num(value()?)?,
            "--http2" => o.http2 = true,
            other => return Err(format!("audit-load: unknown argument {other}")),
        }
    }
    let url = url.ok_or("audit-load needs --url https://HOST:PORT/")?;
    o.url = url
        .parse::<http::Uri>()
        .map_err(|e| format!("--url {url}: {e}"))?;
    if o.url.scheme_str() != Some("https") || o.url.host().is_none() {
        return Err(format!(
            "--url {url}: an https:// URL with a host is needed"
        ));
    }
    o.ca = ca.ok_or("audit-load needs --ca CA.pem")?;
    if o.cert.is_some() != o.key.is_some() {
        return Err("--cert and --key go together".into());
    }
    if o.rate == 0 || o.seconds == 0 || o.batch == 0 || o.connections == 0 {
        return Err("--rate, --seconds, --batch and --connections must be positive".into());
    }
    Ok(o)
}

/// An event with holes for its auditID and timestamps.
#[derive(Debug, Clone)]
struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(Vec<u8>),
    Id,
    Time,
}

impl Template {
    fn new(mut event: Value) -> Template {
        if let Some(m) = event.as_object_mut() {
            m.insert("auditID".into(), Value::from(ID));
            m.insert("requestReceivedTimestamp".into(), Value::from(TS));
            m.insert("stageTimestamp".into(), Value::from(TS));
        }
        let text = event.to_string();
        let mut pieces = Vec::new();
        let mut rest = text.as_str();
        loop {
            let next = [
                (rest.find(ID), ID.len(), Piece::Id),
                (rest.find(TS), TS.len(), Piece::Time),
            ]
            .into_iter()
            .filter_map(|(at, len, p)| at.map(|a| (a, len, p)))
            .min_by_key(|(a, _, _)| *a);
            let Some((at, len, piece)) = next else {
                pieces.push(Piece::Text(rest.as_bytes().to_vec()));
                break;
            };
            pieces.push(Piece::Text(rest.as_bytes()[..at].to_vec()));
            pieces.push(piece);
            rest = &rest[at + len..];
        }
        Template { pieces }
    }

    fn render(&self, out: &mut Vec<u8>, id: &[u8], time: &[u8]) {
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Id => out.extend_from_slice(id),
                Piece::Time => out.extend_from_slice(time),
            }
        }
    }
}

/// RFC 3339 with microseconds, UTC (as the API server writes it).
fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

const NAMESPACES: &[&str] = &[
    "prod",
    "staging",
    "payments",
    "web",
    "checkout",
    "search",
    "monitoring",
    "logging",
    "team-a",
    "team-b",
    "team-c",
    "default",
];
const PEOPLE: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin@example.com",
];
const APPS: &[&str] = &[
    "api", "frontend", "worker", "cart", "billing", "search", "indexer", "auth", "gateway",
];
const CONTROLLERS: &[&str] = &[
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "job-controller",
    "statefulset-controller",
    "namespace-controller",
    "garbage-collector",
];
const AGENTS: &[&str] = &[
    "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
    "kubectl/v1.32.4 (darwin/arm64) kubernetes/59526cd",
    "Mozilla/5.0 (X11; Linux x86_64) Lens/2025.4",
    "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
];

#[allow(clippy::too_many_arguments)]
fn event(
    level: &str,
    stage: &str,
    verb: &str,
    uri: String,
    user: Value,
    agent: &str,
    object: Value,
    code: u16,
) -> Value {
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level,
        "auditID": ID, "stage": stage, "requestURI": uri, "verb": verb, "user": user,
        "sourceIPs": ["10.0.12.7"], "userAgent": agent, "objectRef": object,
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": TS, "stageTimestamp": TS,
        "annotations": {"authorization.k8s.io/decision": if code == 403 { "forbid" } else { "allow" },
                        "authorization.k8s.io/reason": ""}
    })
}

fn agent(rng: &mut Rng) -> &'static str {
    let a: &&'static str = rng.pick(AGENTS);
    a
}

fn person(rng: &mut Rng) -> Value {
    json!({"username": rng.pick(PEOPLE), "groups": ["developers", "system:authenticated"]})
}

fn service_account(ns: &str, name: &str) -> Value {
    json!({"username": format!("system:serviceaccount:{ns}:{name}"),
           "uid": "5b0c7e1a-4f0e-4a63-9d0a-3c1f2b9e8d77",
           "groups": ["system:serviceaccounts", format!("system:serviceaccounts:{ns}"), "system:authenticated"]})
}

fn node(n: usize) -> Value {
    json!({"username": format!("system:node:node-{n}"), "groups": ["system:nodes", "system:authenticated"]})
}

fn oref(resource: &str, ns: Option<&str>, name: Option<&str>, group: &str) -> Value {
    let mut o = json!({"resource": resource, "apiVersion": "v1"});
    if !group.is_empty() {
        o["apiGroup"] = json!(group);
    }
    if let Some(ns) = ns {
        o["namespace"] = json!(ns);
    }
    if let Some(n) = name {
        o["name"] = json!(n);
    }
    o
}

fn path(group: &str, resource: &str, ns: Option<&str>, name: Option<&str>) -> String {
    let mut p = if group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group}/v1")
    };
    if let Some(ns) = ns {
        p.push_str(&format!("/namespaces/{ns}"));
    }
    p.push('/');
    p.push_str(resource);
    if let Some(n) = name {
        p.push('/');
        p.push_str(n);
    }
    p
}

/// One event of the built-in mix (per mille weights in the comments).
fn mixed_event(rng: &mut Rng) -> Value {
    let ns = *rng.pick(NAMESPACES);
    let app = *rng.pick(APPS);
    let pod = format!("{app}-7c9d{:x}b-{:05x}", rng.below(16), rng.below(1 << 20));
    let r = rng.below(1000);
    match r {
        // Kubelets renewing their leases: 250.
        0..250 => {
            let n = rng.below(40);
            let name = format!("node-{n}");
            event(
                "Metadata",
                "ResponseComplete",
                "update",
                path(
                    "coordination.k8s.io",
                    "leases",
                    Some("kube-node-lease"),
                    Some(&name),
                ),
                node(n),
                "kubelet/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
                oref(
                    "leases",
                    Some("kube-node-lease"),
                    Some(&name),
                    "coordination.k8s.io",
                ),
                200,
            )
        }
        // Kubelets reading their pods' config maps, secrets and status: 150.
        250..400 => {
            let n = rng.below(40);
            let (verb, res) = *rng.pick(&[
                ("get", "configmaps"),
                ("get", "secrets"),
                ("patch", "pods"),
                ("get", "pods"),
            ]);
            let name = if res == "pods" {
                pod.clone()
            } else {
                format!("{app}-config")
            };
            let mut obj = oref(res, Some(ns), Some(&name), "");
            let mut uri = path("", res, Some(ns), Some(&name));
            if verb == "patch" {
                obj["subresource"] = json!("status");
                uri.push_str("/status");
            }
            event(
                "Metadata",
                "ResponseComplete",
                verb,
                uri,
                node(n),
                "kubelet/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
                obj,
                200,
            )
        }
        // Controllers watching and writing: 200.
        400..600 => {
            let c = *rng.pick(CONTROLLERS);
            let (verb, res, group) = *rng.pick(&[
                ("watch", "pods", ""),
                ("list", "replicasets", "apps"),
                ("update", "endpointslices", "discovery.k8s.io"),
                ("patch", "pods", ""),
                ("get", "deployments", "apps"),
                ("update", "replicasets", "apps"),
            ]);
            let named = !matches!(verb, "watch" | "list");
            let name = named.then(|| format!("{app}-7c9d"));
            let mut uri = path(group, res, Some(ns), name.as_deref());
            if verb == "watch" {
                uri.push_str(
                    "?allowWatchBookmarks=true&resourceVersion=918273&timeout=7m12s&watch=true",
                );
            }
            event(
                "Metadata",
                if verb == "watch" {
                    "ResponseStarted"
                } else {
                    "ResponseComplete"
                },
                verb,
                uri,
                service_account("kube-system", c),
                "kube-controller-manager/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
                oref(res, Some(ns), name.as_deref(), group),
                200,
            )
        }
        // Applications reading their config and endpoints: 150.
        600..750 => {
            let (verb, res, group) = *rng.pick(&[
                ("get", "configmaps", ""),
                ("list", "endpointslices", "discovery.k8s.io"),
                ("get", "leases", "coordination.k8s.io"),
                ("update", "leases", "coordination.k8s.io"),
            ]);
            let name = (verb != "list").then(|| format!("{app}-leader"));
            event(
                "Metadata",
                "ResponseComplete",
                verb,
                path(group, res, Some(ns), name.as_deref()),
                service_account(ns, app),
                "Go-http-client/2.0",
                oref(res, Some(ns), name.as_deref(), group),
                200,
            )
        }
        // People looking around: 150.
        750..900 => {
            let (verb, res, group) = *rng.pick(&[
                ("list", "pods", ""),
                ("get", "pods", ""),
                ("list", "deployments", "apps"),
                ("get", "services", ""),
                ("list", "events", ""),
                ("get", "configmaps", ""),
            ]);
            let name = (verb == "get").then(|| format!("{app}-svc"));
            let code = if rng.below(100) == 0 { 403 } else { 200 };
            event(
                "Metadata",
                "ResponseComplete",
                verb,
                path(group, res, Some(ns), name.as_deref()),
                person(rng),
                agent(rng),
                oref(res, Some(ns), name.as_deref(), group),
                code,
            )
        }
        // CI rolling out images (Request level: the patch is included): 50.
        900..950 => {
            let mut e = event(
                "Request",
                "ResponseComplete",
                "patch",
                path("apps", "deployments", Some(ns), Some(app)),
                service_account("ci", "deployer"),
                "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
                oref("deployments", Some(ns), Some(app), "apps"),
                200,
            );
            e["requestObject"] = json!({"spec": {"template": {"spec": {"containers": [
                {"name": app, "image": format!("registry.example.com/{ns}/{app}:1.{}.{}", rng.below(40), rng.below(10))}
            ]}}}});
            e
        }
        // People writing config maps (Request level): 30.
        950..980 => {
            let name = format!("{app}-settings");
            let mut e = event(
                "Request",
                "ResponseComplete",
                "create",
                path("", "configmaps", Some(ns), None),
                person(rng),
                agent(rng),
                oref("configmaps", Some(ns), Some(&name), ""),
                201,
            );
            e["requestObject"] = json!({"kind": "ConfigMap", "apiVersion": "v1",
                "metadata": {"name": name, "namespace": ns},
                "data": {"LOG_LEVEL": "info", "FEATURE_FLAGS": "checkout-v2,search-v3"}});
            e
        }
        // Alerts: exec into a pod (KW701): 8.
        980..988 => event(
            "Metadata",
            "ResponseStarted",
            "create",
            format!(
                "{}/exec?command=sh&container={app}&stdin=true&tty=true",
                path("", "pods", Some(ns), Some(&pod))
            ),
            person(rng),
            AGENTS[0],
            {
                let mut o = oref("pods", Some(ns), Some(&pod), "");
                o["subresource"] = json!("exec");
                o
            },
            101,
        ),
        // Alerts: a person reads a secret (KW721): 8.
        988..996 => {
            let name = format!("{app}-db-credentials");
            event(
                "Metadata",
                "ResponseComplete",
                "get",
                path("", "secrets", Some(ns), Some(&name)),
                person(rng),
                AGENTS[0],
                oref("secrets", Some(ns), Some(&name), ""),
                200,
            )
        }
        // Alerts: a privileged pod (KW706), Request level: 4.
        _ => {
            let mut e = event(
                "Request",
                "ResponseComplete",
                "create",
                path("", "pods", Some(ns), None),
                person(rng),
                AGENTS[0],
                oref("pods", Some(ns), Some(&pod), ""),
                201,
            );
            e["requestObject"] = json!({"kind": "Pod", "apiVersion": "v1",
                "metadata": {"name": pod, "namespace": ns},
                "spec": {"containers": [{"name": "debug", "image": "busybox:1.36",
                    "command": ["sleep", "3600"],
                    "securityContext": {"privileged": true}}]}});
            e
        }
    }
}

/// The events of `--events FILE`: JSON lines, a JSON array, or an EventList.
fn read_events(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let events = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(a)) => a,
        Ok(mut v) if v.get("items").is_some_and(Value::is_array) => match v["items"].take() {
            Value::Array(a) => a,
            _ => Vec::new(),
        },
        Ok(v) => vec![v],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str::<Value>(l).map_err(|e| format!("{}: {e}", path.display()))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let events: Vec<Value> = events.into_iter().filter(Value::is_object).collect();
    if events.is_empty() {
        return Err(format!("{}: no events", path.display()));
    }
    Ok(events)
}

/// Renders batches: templates, a run-unique id prefix and a counter.
#[derive(Debug)]
struct Events {
    templates: Vec<Template>,
    /// Built-in mix: random picks; `--events`: in turn.
    random: bool,
    prefix: String,
    seed: u64,
}

impl Events {
    fn new(o: &Options) -> Result<Events, String> {
        let (templates, random) = match &o.events {
            Some(p) => (
                read_events(p)?.into_iter().map(Template::new).collect(),
                false,
            ),
            None => {
                let mut rng = Rng::new(o.seed);
                (
                    (0..4096)
                        .map(|_| Template::new(mixed_event(&mut rng)))
                        .collect(),
                    true,
                )
            }
        };
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        let mut r = Rng::new(nonce ^ o.seed);
        Ok(Events {
            templates,
            random,
            prefix: format!(
                "{:08x}-{:04x}-4{:03x}",
                r.next_u64() as u32,
                r.next_u64() as u16,
                r.next_u64() & 0xfff
            ),
            seed: o.seed,
        })
    }

    /// The EventList of batch `seq`, holding events `first..first + n`.
    fn batch(&self, seq: u64, first: u64, n: u64) -> Bytes {
        let time = timestamp(SystemTime::now());
        let mut rng = Rng::new(self.seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = Vec::with_capacity(n as usize * 1100 + 128);
        out.extend_from_slice(
            br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["#,
        );
        let mut id = Vec::with_capacity(40);
        for i in first..first + n {
            if i > first {
                out.push(b',');
            }
            let t = if self.random {
                &self.templates[rng.below(self.templates.len())]
            } else {
                &self.templates[(i % self.templates.len() as u64) as usize]
            };
            id.clear();
            use std::io::Write;
            let _ = write!(
                id,
                "{}-8{:03x}-{:012x}",
                self.prefix,
                (i >> 48) & 0xfff,
                i & 0xffff_ffff_ffff
            );
            t.render(&mut out, &id, time.as_bytes());
        }
        out.extend_from_slice(b"]}");
        Bytes::from(out)
    }
}

/// A batch to send.
#[derive(Debug)]
struct Job {
    seq: u64,
    first: u64,
    n: u64,
    due: Instant,
}

#[derive(Debug, Default)]
struct Counters {
    batches_acked: AtomicU64,
    events_acked: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    conn_errors: AtomicU64,
    connects: AtomicU64,
    errors: AtomicU64,
    events_failed: AtomicU64,
    bytes_acked: AtomicU64,
}

#[derive(Debug, Default)]
struct Latencies {
    /// Due to 200, microseconds.
    total: Vec<u64>,
    /// Last request to 200, microseconds.
    service: Vec<u64>,
    last_ack: Option<Instant>,
}

struct Shared {
    opts: Options,
    events: Events,
    tls: tokio_rustls::TlsConnector,
    server_name: ServerName<'static>,
    addr: String,
    counters: Counters,
    latencies: std::sync::Mutex<Latencies>,
    /// The HTTP/2 connection shared by all workers.
    h2: Mutex<Option<hyper::client::conn::http2::SendRequest<Full<Bytes>>>>,
}

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

fn tls_config(o: &Options) -> Result<rustls::ClientConfig, String> {
    let pem = std::fs::read(&o.ca).map_err(|e| format!("{}: {e}", o.ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&pem) {
        let c = c.map_err(|e| format!("{}: {e}", o.ca.display()))?;
        roots
            .add(c)
            .map_err(|e| format!("{}: {e}", o.ca.display()))?;
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots);
    let mut config = match (&o.cert, &o.key) {
        (Some(c), Some(k)) => {
            let chain = CertificateDer::pem_file_iter(c)
                .map_err(|e| format!("{}: {e}", c.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", c.display()))?;
            let key =
                PrivateKeyDer::from_pem_file(k).map_err(|e| format!("{}: {e}", k.display()))?;
            b.with_client_auth_cert(chain, key)
                .map_err(|e| format!("client certificate: {e}"))?
        }
        _ => b.with_no_client_auth(),
    };
    config.alpn_protocols = vec![if o.http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    Ok(config)
}

impl Shared {
    async fn connect_tls(
        &self,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
        self.counters.connects.fetch_add(1, Ordering::Relaxed);
        let tcp = tokio::net::TcpStream::connect(&self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        let _ = tcp.set_nodelay(true);
        self.tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))
    }

    async fn connect(&self) -> Result<Sender, String> {
        if self.opts.http2 {
            let mut h2 = self.h2.lock().await;
            if let Some(s) = h2.as_ref()
                && !s.is_closed()
            {
                return Ok(Sender::H2(s.clone()));
            }
            let tls = self.connect_tls().await?;
            let (send, conn) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                    .await
                    .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
            tokio::spawn(conn);
            *h2 = Some(send.clone());
            return Ok(Sender::H2(send));
        }
        let tls = self.connect_tls().await?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP/1.1 handshake: {e}"))?;
        tokio::spawn(conn);
        Ok(Sender::H1(send))
    }

    fn request(&self, body: Bytes) -> http::Request<Full<Bytes>> {
        let mut b = if self.opts.http2 {
            http::Request::post(self.opts.url.clone())
        } else {
            // HTTP/1.1 wants the origin form and a Host header.
            let pq = self.opts.url.path_and_query().map_or("/", |p| p.as_str());
            http::Request::post(pq).header(http::header::HOST, self.addr.as_str())
        }
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json, */*")
        .header(
            http::header::USER_AGENT,
            "kube-apiserver/audit-webhook (kubeward-bench)",
        );
        if let Some(t) = &self.opts.token {
            b = b.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Full::new(body)).unwrap_or_default()
    }

    /// One attempt: the status, or why the connection failed.
    async fn send(&self, sender: &mut Sender, body: Bytes) -> Result<u16, String> {
        let req = self.request(body);
        let resp = match sender {
            Sender::H1(s) => {
                s.ready().await.map_err(|e| e.to_string())?;
                s.send_request(req).await
            }
            Sender::H2(s) => {
                s.ready().await.map_err(|e| e.to_string())?;
                s.send_request(req).await
            }
        }
        .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        // Read the answer to the end so the connection can be reused.
        resp.into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(status)
    }
}

async fn worker(shared: Arc<Shared>, jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    let c = &shared.counters;
    let mut sender: Option<Sender> = None;
    loop {
        let Some(job) = jobs.lock().await.recv().await else {
            return;
        };
        let body = shared.events.batch(job.seq, job.first, job.n);
        let mut backoff = BACKOFF_FIRST;
        loop {
            let s = match sender.take() {
                Some(s) => Some(s),
                None => match shared.connect().await {
                    Ok(s) => Some(s),
                    Err(e) => {
                        if c.conn_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("audit-load: {e}");
                        }
                        None
                    }
                },
            };
            let mut retry = true;
            if let Some(mut s) = s {
                let t = Instant::now();
                match shared.send(&mut s, body.clone()).await {
                    Ok(200) => {
                        let now = Instant::now();
                        c.batches_acked.fetch_add(1, Ordering::Relaxed);
                        c.events_acked.fetch_add(job.n, Ordering::Relaxed);
                        c.bytes_acked
                            .fetch_add(body.len() as u64, Ordering::Relaxed);
                        let mut l = shared.latencies.lock().unwrap_or_else(|e| e.into_inner());
                        l.total.push((now - job.due).as_micros() as u64);
                        l.service.push((now - t).as_micros() as u64);
                        l.last_ack = Some(l.last_ack.map_or(now, |a| a.max(now)));
                        drop(l);
                        sender = Some(s);
                        break;
                    }
                    Ok(code) => {
                        sender = Some(s);
                        if code == 429 {
                            c.throttled.fetch_add(1, Ordering::Relaxed);
                        } else if code >= 500 {
                            c.server_errors.fetch_add(1, Ordering::Relaxed);
                        } else {
                            if c.errors.load(Ordering::Relaxed) < 5 {
                                eprintln!("audit-load: batch {} answered {code}", job.seq);
                            }
                            retry = false;
                        }
                    }
                    Err(e) => {
                        if c.conn_errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("audit-load: batch {}: {e}", job.seq);
                        }
                    }
                }
            }
            if !retry || job.due.elapsed() > GIVE_UP {
                c.errors.fetch_add(1, Ordering::Relaxed);
                c.events_failed.fetch_add(job.n, Ordering::Relaxed);
                break;
            }
            c.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

/// `kubeward-bench audit-load ...`
pub fn load_main(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let events = Events::new(&opts)?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(tls_config(&opts)?));
    let host = opts
        .url
        .host()
        .unwrap_or("127.0.0.1")
        .trim_matches(['[', ']']);
    let server_name =
        ServerName::try_from(host.to_string()).map_err(|e| format!("--url host {host}: {e}"))?;
    let port = opts.url.port_u16().unwrap_or(443);
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let total_events = opts.rate * opts.seconds;
    let batches = total_events.div_ceil(opts.batch);
    let interval = Duration::from_secs_f64(opts.batch as f64 / opts.rate as f64);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    eprintln!(
        "audit-load: {} events/s for {} s in batches of {} ({} batches, one every {:.1} ms) over {} {} to {}",
        opts.rate,
        opts.seconds,
        opts.batch,
        batches,
        interval.as_secs_f64() * 1000.0,
        opts.connections,
        if opts.http2 {
            "HTTP/2 streams"
        } else {
            "HTTP/1.1 connections"
        },
        opts.url
    );
    let connections = opts.connections;
    let batch = opts.batch;
    let shared = Arc::new(Shared {
        opts,
        events,
        tls,
        server_name,
        addr,
        counters: Counters::default(),
        latencies: std::sync::Mutex::new(Latencies::default()),
        h2: Mutex::new(None),
    });
    let (start, end) = runtime.block_on(async {
        // Connect first so the handshakes are not part of the measurement.
        let (tx, rx) = mpsc::unbounded_channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut workers = Vec::new();
        for _ in 0..connections {
            workers.push(tokio::spawn(worker(shared.clone(), rx.clone())));
        }
        let start = Instant::now() + Duration::from_millis(200);
        let mut late = Duration::ZERO;
        let mut first = 0u64;
        for seq in 0..batches {
            let due = start + interval.mul_f64(seq as f64);
            tokio::time::sleep_until(due.into()).await;
            late = late.max(due.elapsed());
            let n = batch.min(total_events - first);
            if tx.send(Job { seq, first, n, due }).is_err() {
                break;
            }
            first += n;
        }
        let end_of_load = Instant::now();
        drop(tx);
        for w in workers {
            let _ = w.await;
        }
        if late > Duration::from_millis(5) {
            eprintln!(
                "audit-load: the pacer ran up to {:.1} ms late",
                late.as_secs_f64() * 1000.0
            );
        }
        (start, end_of_load)
    });
    let c = &shared.counters;
    let mut l = shared.latencies.lock().unwrap_or_else(|e| e.into_inner());
    l.total.sort_unstable();
    l.service.sort_unstable();
    let last = l.last_ack.unwrap_or(end).max(end);
    let elapsed = (last - start).as_secs_f64().max(1e-9);
    let acked = c.events_acked.load(Ordering::Relaxed);
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!("target_events_per_sec={}", shared.opts.rate);
    println!("seconds={}", shared.opts.seconds);
    println!("batch={}", batch);
    println!("connections={connections}");
    println!(
        "protocol={}",
        if shared.opts.http2 { "h2" } else { "http/1.1" }
    );
    println!("batches_sent={batches}");
    println!("events_sent={total_events}");
    println!("batches_acknowledged={}", get(&c.batches_acked));
    println!("events_acknowledged={acked}");
    println!("bytes_acknowledged={}", get(&c.bytes_acked));
    println!("retries={}", get(&c.retries));
    println!("throttled_429={}", get(&c.throttled));
    println!("server_errors_5xx={}", get(&c.server_errors));
    println!("connection_errors={}", get(&c.conn_errors));
    println!("connections_opened={}", get(&c.connects));
    println!("errors={}", get(&c.errors));
    println!("events_failed={}", get(&c.events_failed));
    println!("elapsed_seconds={elapsed:.3}");
    println!("events_per_sec={:.0}", acked as f64 / elapsed);
    println!(
        "mb_per_sec={:.1}",
        get(&c.bytes_acked) as f64 / elapsed / 1e6
    );
    for (name, v) in [("latency", &l.total), ("service", &l.service)] {
        println!("{name}_ms_p50={:.2}", percentile(v, 0.50));
        println!("{name}_ms_p90={:.2}", percentile(v, 0.90));
        println!("{name}_ms_p99={:.2}", percentile(v, 0.99));
        println!(
            "{name}_ms_max={:.2}",
            v.last().copied().unwrap_or(0) as f64 / 1000.0
        );
    }
    if get(&c.errors) > 0 {
        return Err(format!(
            "{} batches ({} events) were not acknowledged",
            get(&c.errors),
            get(&c.events_failed)
        ));
    }
    Ok(())
}

/// `kubeward-bench audit-certs --dir DIR`: a CA, a serving certificate for localhost and
/// 127.0.0.1, a client certificate for the API server and a token.
pub fn certs_main(args: &[String]) -> Result<(), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, Issuer, KeyPair,
    };
    let dir = match args {
        [flag, d] if flag == "--dir" => PathBuf::from(d),
        _ => return Err("audit-certs needs --dir DIR".into()),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kubeward-bench-ca");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::new(p, ca_key);
    let leaf = |names: &[&str], client: bool| -> Result<(String, String), String> {
        let key = KeyPair::generate().map_err(e)?;
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .map_err(e)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names[0]);
        p.distinguished_name = dn;
        p.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = p.signed_by(&key, &issuer).map_err(e)?;
        Ok((cert.pem(), key.serialize_pem()))
    };
    let (srv_cert, srv_key) = leaf(&["localhost", "127.0.0.1"], false)?;
    let (cl_cert, cl_key) = leaf(&["kube-apiserver"], true)?;
    let mut token = Rng::new(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64,
    );
    let token = format!("{:016x}{:016x}\n", token.next_u64(), token.next_u64());
    for (name, text) in [
        ("ca.pem", ca.pem()),
        ("tls.crt", srv_cert),
        ("tls.key", srv_key),
        ("client.crt", cl_cert),
        ("client.key", cl_key),
        ("token", token),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    println!(
        "wrote ca.pem, tls.crt, tls.key, client.crt, client.key, token to {}",
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = UNIX_EPOCH + Duration::from_micros(1_767_261_600_123_456);
        assert_eq!(timestamp(t), "2026-01-01T10:00:00.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn batches_are_event_lists_with_unique_ids() {
        let o = parse(&[
            "--url".into(),
            "https://127.0.0.1:1/".into(),
            "--ca".into(),
            "x".into(),
        ])
        .unwrap();
        let ev = Events::new(&o).unwrap();
        let mut ids = std::collections::HashSet::new();
        for seq in 0..3 {
            let b = ev.batch(seq, seq * 400, 400);
            let v: Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(v["kind"], "EventList");
            let items = v["items"].as_array().unwrap();
            assert_eq!(items.len(), 400);
            for e in items {
                assert!(ids.insert(e["auditID"].as_str().unwrap().to_string()));
                assert!(e["stageTimestamp"].as_str().unwrap().ends_with('Z'));
                assert!(e["verb"].is_string() && e["user"]["username"].is_string());
            }
        }
        assert_eq!(ids.len(), 1200);
    }
}
