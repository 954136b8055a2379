//! Sinks: where the receiver sends alerts besides its database and its output file — a chat
//! webhook (Slack's payload), a generic JSON webhook, Prometheus Alertmanager's v2 API.
//!
//! Each sink is a thread that reads the alert database in insertion order from its own cursor
//! and delivers, so a slow or dead endpoint never holds up the detections, and a restart
//! resumes where the sink stopped (the delivery in flight may be repeated: at least once).
//! Before sending, the sink's filters apply (minimum severity, detections), then its rate
//! limits: at most `rate-limit` alerts per window in all, and `per-identity` alerts per window
//! for one identity, so one noisy actor cannot flood the channel. What the limits hold back is
//! counted and, once the window has room again, summed up in one message per identity
//! ("12 more alerts for alice were held back"); the alerts themselves stay in the database
//! (`kubeward audit alerts`). Failed deliveries are retried with backoff while the endpoint
//! answers 429 or 5xx or cannot be reached; any other answer is a permanent failure, counted.
//! A URL is never logged whole: for chat webhooks it is the secret.

use crate::metrics::Metrics;
use crate::store::{Store, Stored};
use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use kubeward_audit::config::{SinkConfig, SinkKind, Window};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Alerts read from the database per round.
const READ: u32 = 64;
/// Alerts per Alertmanager request.
const AM_BATCH: usize = 32;
/// How long a stopping sink keeps delivering what is stored.
const DRAIN: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// A sink's endpoint, ready to post to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    uri: Uri,
    /// `scheme://host:port`, what logs and errors show.
    shown: String,
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
    token: Option<String>,
    timeout: Duration,
}

/// Why a sink could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("sink `{0}`: the URL is not a valid http:// or https:// URL")]
    Url(String),
    #[error("sink `{0}`: cannot read {1}: {2}")]
    Read(String, PathBuf, std::io::Error),
    #[error("sink `{0}`: no certificate in {1}")]
    NoCert(String, PathBuf),
    #[error("sink `{0}`: the token file {1} is empty")]
    EmptyToken(String, PathBuf),
    #[error("sink `{0}`: {1}")]
    Tls(String, rustls::Error),
}

/// The outcome of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Ok,
    /// Worth retrying: cannot connect, timeout, 429, 5xx.
    Retry(String),
    /// Not worth retrying (another 4xx, for instance).
    Failed(String),
}

impl Endpoint {
    /// Builds the endpoint of a sink; for Alertmanager the API path is added to the URL.
    pub fn new(cfg: &SinkConfig) -> Result<Endpoint, SinkError> {
        let mut url = cfg.url.clone();
        if cfg.kind == SinkKind::Alertmanager {
            url = format!("{}/api/v2/alerts", url.trim_end_matches('/'));
        }
        let bad = || SinkError::Url(cfg.name.clone());
        let uri: Uri = url.parse().map_err(|_| bad())?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad()),
        };
        let host = uri.host().ok_or_else(bad)?.to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tls = if https {
            Some(Arc::new(client_tls(cfg)?))
        } else {
            None
        };
        let token = match &cfg.token_file {
            Some(p) => {
                let t = std::fs::read_to_string(p)
                    .map_err(|e| SinkError::Read(cfg.name.clone(), p.into(), e))?;
                let t = t.trim().to_string();
                if t.is_empty() {
                    return Err(SinkError::EmptyToken(cfg.name.clone(), p.into()));
                }
                Some(t)
            }
            None => None,
        };
        Ok(Endpoint {
            shown: format!("{}://{host}:{port}", if https { "https" } else { "http" }),
            uri,
            host,
            port,
            tls,
            token,
            timeout: Duration::from_micros(u64::try_from(cfg.timeout).unwrap_or(5_000_000)),
        })
    }

    /// `scheme://host:port` (never the path or query, which may hold a secret).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// POSTs a JSON body.
    pub async fn post(&self, body: Vec<u8>) -> Sent {
        match tokio::time::timeout(self.timeout, self.post_inner(body)).await {
            Ok(s) => s,
            Err(_) => Sent::Retry(format!("no answer within {:?}", self.timeout)),
        }
    }

    async fn post_inner(&self, body: Vec<u8>) -> Sent {
        let tcp = match tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(t) => t,
            Err(e) => return Sent::Retry(format!("cannot connect: {e}")),
        };
        let _ = tcp.set_nodelay(true);
        let path = self
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let authority = match self.uri.port_u16() {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        };
        let mut req = Request::post(path)
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "kubeward-audit");
        if let Some(t) = &self.token {
            req = req.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match req.body(Full::new(Bytes::from(body))) {
            Ok(r) => r,
            Err(e) => return Sent::Failed(format!("cannot build the request: {e}")),
        };
        match &self.tls {
            Some(cfg) => {
                let name = match ServerName::try_from(self.host.clone()) {
                    Ok(n) => n,
                    Err(e) => return Sent::Failed(format!("bad server name: {e}")),
                };
                let tls = match tokio_rustls::TlsConnector::from(cfg.clone())
                    .connect(name, tcp)
                    .await
                {
                    Ok(s) => s,
                    Err(e) => return Sent::Retry(format!("TLS: {e}")),
                };
                exchange(hyper_util::rt::TokioIo::new(tls), req).await
            }
            None => exchange(hyper_util::rt::TokioIo::new(tcp), req).await,
        }
    }
}

async fn exchange<T>(io: T, req: Request<Full<Bytes>>) -> Sent
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut send, conn) = match hyper::client::conn::http1::handshake(io).await {
        Ok(x) => x,
        Err(e) => return Sent::Retry(format!("HTTP: {e}")),
    };
    let conn = tokio::spawn(conn);
    let resp = send.send_request(req).await;
    let out = match resp {
        Ok(r) => {
            let status = r.status();
            // Read (and drop) the body so the connection closes cleanly.
            let _ = r.into_body().collect().await;
            classify(status)
        }
        Err(e) => Sent::Retry(format!("HTTP: {e}")),
    };
    conn.abort();
    out
}

fn classify(status: StatusCode) -> Sent {
    if status.is_success() {
        Sent::Ok
    } else if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        Sent::Retry(format!("answered {status}"))
    } else {
        Sent::Failed(format!("answered {status}"))
    }
}

fn client_tls(cfg: &SinkConfig) -> Result<rustls::ClientConfig, SinkError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for c in native.certs {
        let _ = roots.add(c);
    }
    if let Some(p) = &cfg.ca_file {
        let pem = std::fs::read(p).map_err(|e| SinkError::Read(cfg.name.clone(), p.into(), e))?;
        let mut n = 0;
        for c in CertificateDer::pem_slice_iter(&pem).flatten() {
            if roots.add(c).is_ok() {
                n += 1;
            }
        }
        if n == 0 {
            return Err(SinkError::NoCert(cfg.name.clone(), p.into()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SinkError::Tls(cfg.name.clone(), e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Sliding-window limits: all alerts, and alerts per identity.
#[derive(Debug)]
pub struct Limiter {
    all: Window,
    one: Window,
    sent: VecDeque<Instant>,
    by_identity: HashMap<String, VecDeque<Instant>>,
    /// Held back, by identity: how many, which codes, since when.
    held: HashMap<String, Held>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub count: u64,
    pub codes: Vec<String>,
    /// True when the shared limit (not the identity's) held some back.
    pub by_total: bool,
}

fn window(w: Window) -> Duration {
    Duration::from_micros(u64::try_from(w.window).unwrap_or(u64::MAX))
}

fn expire(q: &mut VecDeque<Instant>, w: Duration, now: Instant) {
    while q.front().is_some_and(|&t| now.duration_since(t) >= w) {
        q.pop_front();
    }
}

impl Limiter {
    pub fn new(all: Window, one: Window) -> Limiter {
        Limiter {
            all,
            one,
            sent: VecDeque::new(),
            by_identity: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// Whether an alert of `identity` may be sent now; if so it is counted as sent.
    pub fn admit(&mut self, identity: &str, code: &str, now: Instant) -> bool {
        expire(&mut self.sent, window(self.all), now);
        let q = self.by_identity.entry(identity.to_string()).or_default();
        expire(q, window(self.one), now);
        let total_full = self.sent.len() >= self.all.count as usize;
        if total_full || q.len() >= self.one.count as usize {
            let h = self.held.entry(identity.to_string()).or_default();
            h.count += 1;
            h.by_total |= total_full;
            if !h.codes.iter().any(|c| c == code) {
                h.codes.push(code.to_string());
            }
            return false;
        }
        q.push_back(now);
        self.sent.push_back(now);
        if self.by_identity.len() > 10_000 {
            self.by_identity.retain(|_, q| !q.is_empty());
        }
        true
    }

    /// Identities whose held-back alerts can now be summed up (their window has room again),
    /// with what was held; they are forgotten. Summaries are not limited.
    pub fn due(&mut self, now: Instant) -> Vec<(String, Held)> {
        expire(&mut self.sent, window(self.all), now);
        let mut out = Vec::new();
        let ids: Vec<String> = self.held.keys().cloned().collect();
        for id in ids {
            let room_one = match self.by_identity.get_mut(&id) {
                Some(q) => {
                    expire(q, window(self.one), now);
                    q.len() < self.one.count as usize
                }
                None => true,
            };
            let room_all = self.sent.len() < self.all.count as usize;
            if room_one
                && room_all
                && let Some(h) = self.held.remove(&id)
            {
                out.push((id, h));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Everything still held (at shutdown).
    pub fn take_all(&mut self) -> Vec<(String, Held)> {
        let mut out: Vec<_> = self.held.drain().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn mrkdwn_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the payloads show of an alert beyond its columns, read from its stored JSON once.
struct Details {
    json: Value,
    /// `technique (id)` for each MITRE mapping.
    mitre: Vec<String>,
    audit_ids: Vec<String>,
    first: String,
    last: String,
}

impl Details {
    fn of(a: &Stored) -> Details {
        let json: Value = serde_json::from_str(&a.json).unwrap_or(Value::Null);
        let list = |key: &str| json[key].as_array().map(Vec::as_slice).unwrap_or_default();
        let mitre = list("mitre")
            .iter()
            .filter_map(|t| {
                Some(format!(
                    "{} ({})",
                    t["technique"].as_str()?,
                    t["id"].as_str()?
                ))
            })
            .collect();
        let audit_ids = list("events")
            .iter()
            .filter_map(|e| e["auditID"].as_str().map(str::to_string))
            .collect();
        let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
        let (first, last) = (text("firstSeen"), text("lastSeen"));
        Details {
            json,
            mitre,
            audit_ids,
            first,
            last,
        }
    }
}

/// Slack's incoming-webhook payload for an alert.
pub fn slack_payload(a: &Stored) -> Value {
    let Details {
        mitre,
        audit_ids: ids,
        first,
        last,
        ..
    } = Details::of(a);
    let head = format!("[{}] {} {}", a.severity.to_uppercase(), a.code, a.name);
    let mut ctx = format!(
        "identity: {} · object: {} · seen {}",
        a.identity,
        a.object,
        if first == last || last.is_empty() {
            first.clone()
        } else {
            format!("{first} to {last}")
        }
    );
    if !mitre.is_empty() {
        ctx.push_str(&format!(" · MITRE: {}", mitre.join(", ")));
    }
    if !ids.is_empty() {
        ctx.push_str(&format!(" · auditID: {}", ids.join(", ")));
    }
    json!({
        "text": format!("{head}: {}", a.message),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn",
                "text": format!("*{}*\n{}", mrkdwn_escape(&head), mrkdwn_escape(&a.message))}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_escape(&ctx)}]}
        ]
    })
}

/// The summary of alerts a sink's limits held back.
pub fn held_text(identity: &str, h: &Held) -> String {
    format!(
        "kubeward held back {} more alert{} for {} ({}) under this channel's {} limit; `kubeward audit alerts` lists them",
        h.count,
        if h.count == 1 { "" } else { "s" },
        if identity.is_empty() {
            "(no identity)"
        } else {
            identity
        },
        h.codes.join(", "),
        if h.by_total { "rate" } else { "per-identity" }
    )
}

/// Alertmanager's v2 `postableAlert` for an alert.
pub fn alertmanager_alert(a: &Stored) -> Value {
    let Details {
        json: v,
        mitre,
        audit_ids: ids,
        first,
        ..
    } = Details::of(a);
    let mut labels = serde_json::Map::new();
    labels.insert("alertname".into(), json!(a.name));
    labels.insert("code".into(), json!(a.code));
    labels.insert("severity".into(), json!(a.severity));
    labels.insert("source".into(), json!("kubeward-audit"));
    labels.insert("identity".into(), json!(a.identity));
    for (label, field) in [
        ("namespace", "namespace"),
        ("resource", "resource"),
        ("name", "name"),
    ] {
        if let Some(s) = v["object"][field].as_str().filter(|s| !s.is_empty()) {
            labels.insert(label.into(), json!(s));
        }
    }
    let mut out = json!({
        "labels": labels,
        "annotations": {
            "summary": a.message,
            "object": a.object,
            "mitre": mitre.join(", "),
            "auditIDs": ids.join(", "),
        },
    });
    if !first.is_empty() {
        out["startsAt"] = json!(first);
    }
    out
}

fn held_alertmanager(identity: &str, h: &Held) -> Value {
    json!({
        "labels": {"alertname": "kubeward-alerts-held-back", "severity": "info",
                   "source": "kubeward-audit", "identity": identity},
        "annotations": {"summary": held_text(identity, h)},
    })
}

/// One sink's delivery loop.
#[derive(Debug)]
pub struct Worker {
    pub cfg: SinkConfig,
    endpoint: Endpoint,
    db: PathBuf,
    metrics: Arc<Metrics>,
    limiter: Limiter,
}

impl Worker {
    pub fn new(cfg: SinkConfig, db: &Path, metrics: Arc<Metrics>) -> Result<Worker, SinkError> {
        let endpoint = Endpoint::new(&cfg)?;
        Ok(Worker {
            limiter: Limiter::new(cfg.rate, cfg.per_identity),
            cfg,
            endpoint,
            db: db.to_path_buf(),
            metrics,
        })
    }

    fn wanted(&self, a: &Stored) -> bool {
        a.rank >= self.cfg.min_severity as i64
            && (self.cfg.rules.is_empty() || self.cfg.rules.contains(&a.code))
    }

    fn body(&self, alerts: &[&Stored]) -> Vec<Vec<u8>> {
        match self.cfg.kind {
            SinkKind::Slack => alerts
                .iter()
                .map(|a| slack_payload(a).to_string().into_bytes())
                .collect(),
            SinkKind::Json => alerts.iter().map(|a| a.json.clone().into_bytes()).collect(),
            SinkKind::Alertmanager => alerts
                .chunks(AM_BATCH)
                .map(|c| {
                    Value::from(c.iter().map(|a| alertmanager_alert(a)).collect::<Vec<_>>())
                        .to_string()
                        .into_bytes()
                })
                .collect(),
        }
    }

    fn held_body(&self, identity: &str, h: &Held) -> Vec<u8> {
        match self.cfg.kind {
            SinkKind::Alertmanager => Value::from(vec![held_alertmanager(identity, h)]),
            SinkKind::Slack => json!({"text": held_text(identity, h)}),
            SinkKind::Json => json!({"kind": "held-back", "identity": identity,
                "count": h.count, "codes": h.codes, "message": held_text(identity, h)}),
        }
        .to_string()
        .into_bytes()
    }

    /// Delivers one body, retrying transient failures with backoff until `give_up`.
    async fn deliver(&self, body: Vec<u8>, n: u64, give_up: &dyn Fn() -> bool) -> bool {
        let mut backoff = Duration::from_millis(500);
        loop {
            match self.endpoint.post(body.clone()).await {
                Sent::Ok => {
                    self.metrics.sink(&self.cfg.name, |c| c.sent += n);
                    return true;
                }
                Sent::Failed(why) => {
                    eprintln!(
                        "kubeward audit: sink `{}` ({}): {why}; {n} alert(s) not delivered",
                        self.cfg.name,
                        self.endpoint.shown()
                    );
                    self.metrics.sink(&self.cfg.name, |c| c.failed += n);
                    return false;
                }
                Sent::Retry(why) => {
                    self.metrics.sink(&self.cfg.name, |c| c.retries += 1);
                    if give_up() {
                        eprintln!(
                            "kubeward audit: sink `{}` ({}): {why}; stopping with {n} alert(s) undelivered (sent after the restart)",
                            self.cfg.name,
                            self.endpoint.shown()
                        );
                        return false;
                    }
                    if backoff >= Duration::from_secs(4) {
                        eprintln!(
                            "kubeward audit: sink `{}` ({}): {why}; retrying in {backoff:?}",
                            self.cfg.name,
                            self.endpoint.shown()
                        );
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    /// Runs until `stop` is set, then delivers what is stored for at most a few seconds.
    pub fn run(mut self, stop: Arc<AtomicBool>) -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("sink `{}`: cannot start: {e}", self.cfg.name))?;
        let store = Store::open_read(&self.db).map_err(|e| e.to_string())?;
        let mut cursor = store.cursor(&self.cfg.name).map_err(|e| e.to_string())?;
        let mut stopping_since: Option<Instant> = None;
        loop {
            if stopping_since.is_none() && stop.load(Ordering::Acquire) {
                stopping_since = Some(Instant::now());
            }
            let give_up = || {
                stop.load(Ordering::Acquire) && stopping_since.is_none_or(|t| t.elapsed() >= DRAIN)
            };
            let rows = store.after(cursor, READ).map_err(|e| e.to_string())?;
            let now = Instant::now();
            let mut send: Vec<&Stored> = Vec::new();
            for a in &rows {
                if !self.wanted(a) {
                    continue;
                }
                if self.limiter.admit(&a.identity, &a.code, now) {
                    send.push(a);
                } else {
                    self.metrics.sink(&self.cfg.name, |c| c.held += 1);
                }
            }
            let per_body = if self.cfg.kind == SinkKind::Alertmanager {
                AM_BATCH
            } else {
                1
            };
            let bodies = self.body(&send);
            let mut delivered_all = true;
            for (i, body) in bodies.into_iter().enumerate() {
                let n = send.len().saturating_sub(i * per_body).min(per_body) as u64;
                if !rt.block_on(self.deliver(body, n, &give_up)) && give_up() {
                    delivered_all = false;
                    break;
                }
            }
            let finishing = stop.load(Ordering::Acquire);
            let due = if finishing && (rows.is_empty() || give_up()) {
                self.limiter.take_all()
            } else {
                self.limiter.due(Instant::now())
            };
            for (id, h) in due {
                let body = self.held_body(&id, &h);
                rt.block_on(self.deliver(body, 0, &give_up));
            }
            if !delivered_all {
                // Stopped mid-way: the cursor stays before this round, sent again next start.
                return Ok(());
            }
            if let Some(last) = rows.last() {
                cursor = last.id;
                store
                    .set_cursor(&self.cfg.name, cursor)
                    .map_err(|e| e.to_string())?;
            }
            if finishing && (rows.is_empty() || give_up()) {
                return Ok(());
            }
            if rows.len() < READ as usize {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(code: &str, identity: &str) -> Stored {
        Stored {
            id: 1,
            code: code.into(),
            name: "exec-into-pod".into(),
            severity: "high".into(),
            rank: 3,
            identity: identity.into(),
            object: "pods/exec prod/web".into(),
            message: "alice ran `sh -c <x> & y` in prod/web".into(),
            first_time: 0,
            last_time: 0,
            stored_at: 0,
            json: json!({"code": code, "mitre": [{"tactic": "execution", "technique": "Exec into container", "id": "T1609"}],
                         "object": {"verb": "create", "resource": "pods", "subresource": "exec", "namespace": "prod", "name": "web"},
                         "events": [{"auditID": "a-1"}, {"auditID": "a-2"}],
                         "firstSeen": "2026-11-24T01:00:00Z", "lastSeen": "2026-11-24T01:00:05Z"})
            .to_string(),
        }
    }

    #[test]
    fn limits_per_identity_and_in_all_then_sums_up() {
        let w = |count, secs: i64| Window {
            count,
            window: secs * 1_000_000,
        };
        let mut l = Limiter::new(w(3, 60), w(2, 10));
        let t0 = Instant::now();
        assert!(l.admit("alice", "KW701", t0));
        assert!(l.admit("alice", "KW701", t0));
        assert!(!l.admit("alice", "KW702", t0), "alice's third in 10 s");
        assert!(!l.admit("alice", "KW701", t0));
        assert!(l.admit("bob", "KW701", t0));
        assert!(!l.admit("carol", "KW701", t0), "three in all per minute");
        // Alice's window has room again after 10 s, the shared one not yet.
        assert!(l.due(t0 + Duration::from_secs(5)).is_empty());
        assert!(
            l.due(t0 + Duration::from_secs(11)).is_empty(),
            "all still full"
        );
        let due = l.due(t0 + Duration::from_secs(61));
        assert_eq!(
            due,
            vec![
                (
                    "alice".to_string(),
                    Held {
                        count: 2,
                        codes: vec!["KW702".into(), "KW701".into()],
                        by_total: false
                    }
                ),
                (
                    "carol".to_string(),
                    Held {
                        count: 1,
                        codes: vec!["KW701".into()],
                        by_total: true
                    }
                )
            ]
        );
        assert!(
            l.due(t0 + Duration::from_secs(62)).is_empty(),
            "summed up once"
        );
    }

    #[test]
    fn slack_payload_escapes_and_carries_the_evidence() {
        let p = slack_payload(&stored("KW701", "alice"));
        assert_eq!(
            p["text"],
            "[HIGH] KW701 exec-into-pod: alice ran `sh -c <x> & y` in prod/web"
        );
        let section = p["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(section.contains("sh -c &lt;x&gt; &amp; y"), "{section}");
        let ctx = p["blocks"][1]["elements"][0]["text"].as_str().unwrap();
        for want in [
            "identity: alice",
            "pods/exec prod/web",
            "Exec into container (T1609)",
            "auditID: a-1, a-2",
            "2026-11-24T01:00:00Z to 2026-11-24T01:00:05Z",
        ] {
            assert!(ctx.contains(want), "{want} in {ctx}");
        }
    }

    #[test]
    fn alertmanager_alert_has_labels_and_start() {
        let a = alertmanager_alert(&stored("KW701", "alice"));
        assert_eq!(a["labels"]["alertname"], "exec-into-pod");
        assert_eq!(a["labels"]["code"], "KW701");
        assert_eq!(a["labels"]["severity"], "high");
        assert_eq!(a["labels"]["namespace"], "prod");
        assert_eq!(a["labels"]["name"], "web");
        assert_eq!(a["startsAt"], "2026-11-24T01:00:00Z");
        assert_eq!(a["annotations"]["auditIDs"], "a-1, a-2");
    }

    #[test]
    fn classifies_answers() {
        assert_eq!(classify(StatusCode::OK), Sent::Ok);
        assert_eq!(classify(StatusCode::NO_CONTENT), Sent::Ok);
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS),
            Sent::Retry(_)
        ));
        assert!(matches!(classify(StatusCode::BAD_GATEWAY), Sent::Retry(_)));
        assert!(matches!(classify(StatusCode::NOT_FOUND), Sent::Failed(_)));
    }

    #[test]
    fn endpoint_never_shows_the_path() {
        let cfg = SinkConfig {
            name: "slack".into(),
            kind: SinkKind::Slack,
            url: "https://hooks.slack.com/services/T0/B0/very-secret".into(),
            min_severity: kubeward_core::Severity::Low,
            rules: vec![],
            rate: SinkConfig::DEFAULT_RATE,
            per_identity: SinkConfig::DEFAULT_PER_IDENTITY,
            ca_file: None,
            token_file: None,
            timeout: 1_000_000,
        };
        let e = Endpoint::new(&cfg).unwrap();
        assert_eq!(e.shown(), "https://hooks.slack.com:443");
        let am = Endpoint::new(&SinkConfig {
            kind: SinkKind::Alertmanager,
            url: "http://127.0.0.1:9093/".into(),
            ..cfg
        })
        .unwrap();
        assert_eq!(am.uri.path(), "/api/v2/alerts");
        assert_eq!(am.shown(), "http://127.0.0.1:9093");
    }
}
