//! `kubeward audit serve`: the real binary, over real TLS (certificates made with rcgen),
//! bound on 127.0.0.1:0.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair,
};
mod common;

use common::{Receiver, Tls, https_request, spawn_receiver};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client_cert: String,
    client_key: String,
    other_cert: String,
    other_key: String,
}

fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = p.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(p, key))
}

fn leaf(issuer: &Issuer<'static, KeyPair>, names: &[&str], client: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names[0]);
    p.distinguished_name = dn;
    p.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, issuer) = ca("test-ca");
    let (srv_cert, srv_key) = leaf(&issuer, &["localhost", "127.0.0.1"], false);
    let (client_cert, client_key) = leaf(&issuer, &["kube-apiserver"], true);
    let (_, other) = ca("other-ca");
    let (other_cert, other_key) = leaf(&other, &["intruder"], true);
    std::fs::write(dir.path().join("ca.pem"), &ca_pem).unwrap();
    std::fs::write(dir.path().join("tls.crt"), srv_cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), srv_key).unwrap();
    std::fs::write(dir.path().join("token"), "s3cret-token\n").unwrap();
    Pki {
        dir,
        ca_pem,
        client_cert,
        client_key,
        other_cert,
        other_key,
    }
}

fn start(pki: &Pki, queue: &Path, output: &Path, extra: &[&str]) -> Receiver {
    let d = pki.dir.path();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    cmd.args(["audit", "serve", "--listen", "127.0.0.1:0"])
        .arg("--cert")
        .arg(d.join("tls.crt"))
        .arg("--key")
        .arg(d.join("tls.key"))
        .arg("--client-ca")
        .arg(d.join("ca.pem"))
        .arg("--token-file")
        .arg(d.join("token"))
        .arg("--queue-dir")
        .arg(queue)
        .arg("--output")
        .arg(output)
        .args(extra);
    spawn_receiver(cmd)
}

enum Cred<'a> {
    None,
    Token(&'a str),
    Cert(&'a str, &'a str),
}

/// One HTTP/1.1 request over TLS; the status code, or an error (handshake refused, closed).
fn request(
    pki: &Pki,
    addr: &str,
    method: &str,
    path: &str,
    cred: Cred<'_>,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let (client, auth) = match cred {
        Cred::Cert(c, k) => (Some((c, k)), String::new()),
        Cred::Token(t) => (None, format!("Authorization: Bearer {t}\r\n")),
        Cred::None => (None, String::new()),
    };
    let tls = Tls {
        ca_pem: &pki.ca_pem,
        server_name: "127.0.0.1",
        client,
    };
    https_request(addr, &tls, method, path, &auth, body)
}

/// An EventList of exec requests (each raises KW701), one per id.
fn batch(ids: &[String]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| {
            serde_json::json!({
                "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                "auditID": id, "stage": "ResponseStarted",
                "requestURI": format!("/api/v1/namespaces/prod/pods/p-{id}/exec?command=sh&container=c"),
                "verb": "create",
                "user": {"username": "bob", "groups": ["system:authenticated"]},
                "sourceIPs": ["10.0.0.7"],
                "objectRef": {"resource": "pods", "namespace": "prod", "name": format!("p-{id}"),
                              "apiVersion": "v1", "subresource": "exec"},
                "responseStatus": {"metadata": {}, "code": 101},
                "requestReceivedTimestamp": "2026-01-01T10:00:00.000000Z",
                "stageTimestamp": "2026-01-01T10:00:00.100000Z"
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items
    }))
    .unwrap()
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:05}")).collect()
}

/// KW701 alerts in the output: auditID -> how many alerts name it.
fn exec_alerts(output: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let text = std::fs::read_to_string(output).unwrap_or_default();
    for l in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            panic!("bad alert line {l:?}");
        };
        if v["code"] != "KW701" {
            continue;
        }
        for e in v["events"].as_array().unwrap() {
            *out.entry(e["auditID"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

fn wait_for(output: &Path, want: &HashSet<String>, timeout: Duration) -> HashMap<String, usize> {
    let t0 = Instant::now();
    loop {
        let got = exec_alerts(output);
        if want.iter().all(|id| got.contains_key(id)) || t0.elapsed() > timeout {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn authenticates_the_api_server_and_alerts_on_an_acknowledged_batch() {
    let pki = pki();
    let work = tempfile::tempdir().unwrap();
    let (queue, output) = (work.path().join("q"), work.path().join("alerts.jsonl"));
    let r = start(&pki, &queue, &output, &[]);
    let body = batch(&ids("a", 3));
    let post = |cred| request(&pki, &r.addr, "POST", "/", cred, &body);

    assert_eq!(post(Cred::None).unwrap().0, 401, "no certificate, no token");
    assert_eq!(post(Cred::Token("wrong")).unwrap().0, 401, "wrong token");
    // A certificate from another CA fails the handshake (or is refused).
    if let Ok((code, _)) = post(Cred::Cert(&pki.other_cert, &pki.other_key)) {
        assert_eq!(code, 401);
    }
    assert_eq!(
        request(
            &pki,
            &r.addr,
            "POST",
            "/",
            Cred::Token("s3cret-token"),
            b"{\"nope\":1}"
        )
        .unwrap()
        .0,
        400
    );
    assert_eq!(
        post(Cred::Cert(&pki.client_cert, &pki.client_key))
            .unwrap()
            .0,
        200
    );
    let body2 = batch(&ids("b", 2));
    assert_eq!(
        request(
            &pki,
            &r.addr,
            "POST",
            "/",
            Cred::Token("s3cret-token"),
            &body2
        )
        .unwrap()
        .0,
        200
    );
    let want: HashSet<String> = ids("a", 3).into_iter().chain(ids("b", 2)).collect();
    let got = wait_for(&output, &want, Duration::from_secs(20));
    for id in &want {
        assert_eq!(got.get(id), Some(&1), "alert for {id}: {got:?}");
    }

    let (code, health) = request(&pki, &r.addr, "GET", "/healthz", Cred::None, b"").unwrap();
    assert_eq!(code, 200, "{health}");
    let (code, metrics) = request(&pki, &r.addr, "GET", "/metrics", Cred::None, b"").unwrap();
    assert_eq!(code, 200);
    assert!(
        metrics.contains("kubeward_audit_events_received_total 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeward_audit_events_parsed_total 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeward_audit_alerts_total{rule=\"KW701\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeward_audit_queue_depth_bytes"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kubeward_audit_alerts_stored_total 5"),
        "{metrics}"
    );

    // The database holds them: `audit alerts` reads it while the receiver runs.
    let (code, json) = alerts_cmd(&queue, &["--since", "2025-12-31T00:00:00Z", "-f", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["count"], 5, "{json}");
    let mut stored: Vec<&str> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["code"], "KW701");
            assert_eq!(a["identity"]["user"], "bob");
            a["events"][0]["auditID"].as_str().unwrap()
        })
        .collect();
    stored.sort_unstable();
    assert_eq!(
        stored,
        ["a-00000", "a-00001", "a-00002", "b-00000", "b-00001"]
    );
    // The events are from 2026-01-01: none in the last day.
    let (code, table) = alerts_cmd(&queue, &["--since", "24h"]);
    assert_eq!((code, table.as_str()), (0, "0 alerts since 24h\n"));
    let (code, table) = alerts_cmd(&queue, &[]);
    assert_eq!(code, 0);
    assert!(table.starts_with("LAST SEEN "), "{table}");
    assert_eq!(table.matches(" KW701 ").count(), 5, "{table}");
    assert!(table.ends_with("5 alerts (5 medium)\n"), "{table}");
    let (code, err) = alerts_cmd(&queue, &["--since", "yesterday"]);
    assert_eq!(code, 2);
    assert!(err.contains("--since: expected an age"), "{err}");
}

/// `kubeward audit alerts --queue-dir Q ARGS`: exit code and standard output (or error).
fn alerts_cmd(queue: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(["audit", "alerts", "--queue-dir"])
        .arg(queue)
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = if code == 0 { out.stdout } else { out.stderr };
    (code, String::from_utf8(text).unwrap())
}

/// auditID -> how many stored KW701 alerts name it.
fn stored_exec_alerts(queue: &Path) -> HashMap<String, usize> {
    let (code, json) = alerts_cmd(queue, &["-f", "json"]);
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut out = HashMap::new();
    for a in v["alerts"].as_array().unwrap() {
        if a["code"] != "KW701" {
            continue;
        }
        for e in a["events"].as_array().unwrap() {
            *out.entry(e["auditID"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn answers_429_when_the_queue_is_full_and_keeps_what_it_acknowledged() {
    let pki = pki();
    let work = tempfile::tempdir().unwrap();
    let (queue, output) = (work.path().join("q"), work.path().join("alerts.jsonl"));
    let mut acked = HashSet::new();
    {
        let r = start(
            &pki,
            &queue,
            &output,
            &["--hold", "--max-queue-bytes", "20000"],
        );
        let mut throttled = false;
        for i in 0..100 {
            let b = ids(&format!("f{i}"), 5);
            let (code, _) = request(
                &pki,
                &r.addr,
                "POST",
                "/",
                Cred::Token("s3cret-token"),
                &batch(&b),
            )
            .unwrap();
            match code {
                200 => acked.extend(b),
                429 => {
                    throttled = true;
                    break;
                }
                c => panic!("unexpected {c}"),
            }
        }
        assert!(throttled, "never answered 429");
        assert!(!acked.is_empty());
    }
    // Restarted with processing on: everything acknowledged is processed.
    let _r = start(&pki, &queue, &output, &[]);
    let got = wait_for(&output, &acked, Duration::from_secs(20));
    for id in &acked {
        assert_eq!(got.get(id), Some(&1), "alert for {id}");
    }
}

#[test]
fn sigkill_mid_stream_then_restart_processes_every_acknowledged_event_once() {
    let pki = pki();
    let work = tempfile::tempdir().unwrap();
    let (queue, output): (PathBuf, PathBuf) =
        (work.path().join("q"), work.path().join("alerts.jsonl"));
    let mut acked = HashSet::new();
    let mut sent = HashSet::new();
    for round in 0..2 {
        let mut r = start(&pki, &queue, &output, &[]);
        let addr = r.addr.clone();
        let t0 = Instant::now();
        let mut i = 0;
        // Stream batches; kill -9 while batches are in flight.
        let killer = std::thread::spawn({
            let pid = r.child.id();
            move || {
                std::thread::sleep(Duration::from_millis(700));
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        });
        loop {
            let b = ids(&format!("k{round}-{i}"), 50);
            i += 1;
            sent.extend(b.iter().cloned());
            match request(
                &pki,
                &addr,
                "POST",
                "/",
                Cred::Token("s3cret-token"),
                &batch(&b),
            ) {
                Ok((200, _)) => acked.extend(b),
                Ok((c, t)) => panic!("unexpected {c}: {t}"),
                Err(_) => break,
            }
            assert!(t0.elapsed() < Duration::from_secs(30));
        }
        killer.join().unwrap();
        let _ = r.child.wait();
    }
    assert!(
        acked.len() >= 100,
        "too few batches acknowledged: {}",
        acked.len()
    );
    let _r = start(&pki, &queue, &output, &[]);
    let got = wait_for(&output, &acked, Duration::from_secs(30));
    let missing: Vec<&String> = acked.iter().filter(|id| !got.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let dup: Vec<(&String, &usize)> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        dup.is_empty(),
        "processed more than once: {:?}",
        &dup[..dup.len().min(5)]
    );
    // Nothing appears that was never sent.
    assert!(got.keys().all(|id| sent.contains(id)));
    // The database agrees: every acknowledged event's alert stored exactly once, although
    // batches after the last checkpoint were processed twice.
    let t0 = Instant::now();
    let db = loop {
        let db = stored_exec_alerts(&queue);
        if acked.iter().all(|id| db.contains_key(id)) || t0.elapsed() > Duration::from_secs(20) {
            break db;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let missing = acked.iter().filter(|id| !db.contains_key(*id)).count();
    assert_eq!(missing, 0, "acknowledged events with no stored alert");
    assert!(db.values().all(|&n| n == 1), "an alert stored twice");
    assert!(db.keys().all(|id| sent.contains(id)));
}

/// A plain-HTTP endpoint on 127.0.0.1 that records every POST (path, body); the first
/// `fail_first` requests are answered 503.
struct Capture {
    addr: String,
    got: Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>,
}

fn capture(fail_first: usize) -> Capture {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        let mut n = 0;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut start = String::new();
            if r.read_line(&mut start).is_err() {
                continue;
            }
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            n += 1;
            let reply = if n <= fail_first {
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else {
                let path = start.split_whitespace().nth(1).unwrap_or("").to_string();
                let v = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                g.lock().unwrap().push((path, v));
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            };
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    Capture { addr, got }
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

#[test]
fn chat_webhook_sink_is_rate_limited_per_identity_and_sums_up_what_it_held() {
    let pki = pki();
    let work = tempfile::tempdir().unwrap();
    let (queue, output) = (work.path().join("q"), work.path().join("alerts.jsonl"));
    let chat = capture(1);
    let siem = capture(0);
    let config = work.path().join("audit.yaml");
    std::fs::write(
        &config,
        format!(
            "sinks:\n  - name: chat\n    type: webhook\n    url: http://{}/services/T0/B0/hook-secret\n    per-identity: {{count: 2, window: 2s}}\n  - name: siem\n    type: webhook\n    format: json\n    url: http://{}/ingest\n    rules: [KW701]\n    min-severity: medium\n  - name: pager\n    type: webhook\n    url: http://{}/page\n    min-severity: critical\n",
            chat.addr, siem.addr, siem.addr
        ),
    )
    .unwrap();
    let mut r = start(
        &pki,
        &queue,
        &output,
        &["--config", config.to_str().unwrap()],
    );
    let (code, _) = request(
        &pki,
        &r.addr,
        "POST",
        "/",
        Cred::Token("s3cret-token"),
        &batch(&ids("s", 5)),
    )
    .unwrap();
    assert_eq!(code, 200);

    // Chat: bob's first two alerts (the first delivery retried after a 503), then, once the
    // 2-second window has room, one message for the three held back.
    assert!(
        wait_until(Duration::from_secs(20), || chat.got.lock().unwrap().len()
            >= 3),
        "chat got {:?}",
        chat.got.lock().unwrap()
    );
    std::thread::sleep(Duration::from_millis(500));
    let got = chat.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:?}");
    for (path, v) in &got[..2] {
        assert_eq!(path, "/services/T0/B0/hook-secret");
        let text = v["text"].as_str().unwrap();
        assert!(text.starts_with("[MEDIUM] KW701 exec-into-pod: "), "{text}");
        assert_eq!(v["blocks"][0]["type"], "section");
        let ctx = v["blocks"][1]["elements"][0]["text"].as_str().unwrap();
        assert!(
            ctx.contains("identity: bob") && ctx.contains("auditID: s-0000"),
            "{ctx}"
        );
    }
    let summary = got[2].1["text"].as_str().unwrap();
    assert!(
        summary.starts_with("kubeward held back 3 more alerts for bob (KW701) under this channel's per-identity limit"),
        "{summary}"
    );
    // The JSON sink gets each alert as `audit analyze` prints it (its limit of 10 per
    // identity is not reached); the critical-only sink gets nothing.
    assert!(wait_until(Duration::from_secs(10), || siem
        .got
        .lock()
        .unwrap()
        .len()
        >= 5));
    std::thread::sleep(Duration::from_millis(500));
    let got = siem.got.lock().unwrap().clone();
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(
        got.iter()
            .all(|(p, v)| p == "/ingest" && v["code"] == "KW701" && v["severity"] == "medium")
    );

    let (code, metrics) = request(&pki, &r.addr, "GET", "/metrics", Cred::None, b"").unwrap();
    assert_eq!(code, 200);
    for want in [
        "kubeward_audit_sink_sent_total{sink=\"chat\"} 2",
        "kubeward_audit_sink_held_total{sink=\"chat\"} 3",
        "kubeward_audit_sink_retries_total{sink=\"chat\"} 1",
        "kubeward_audit_sink_sent_total{sink=\"siem\"} 5",
    ] {
        assert!(metrics.contains(want), "{want} in {metrics}");
    }
    assert!(!metrics.contains("sink=\"pager\"} 1"), "{metrics}");

    // A restart does not send again what was delivered.
    let _ = Command::new("kill")
        .args(["-TERM", &r.child.id().to_string()])
        .status();
    let status = r.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _r = start(
        &pki,
        &queue,
        &output,
        &["--config", config.to_str().unwrap()],
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(chat.got.lock().unwrap().len(), 3);
    assert_eq!(siem.got.lock().unwrap().len(), 5);
}

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
    Some((code, body))
}

/// Kills a child process when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The alerts reach a real Prometheus Alertmanager (Debian's `prometheus-alertmanager`,
/// installed by .ci/run) through its v2 API, with their labels.
#[test]
fn alertmanager_sink_delivers_to_a_real_alertmanager() {
    let bin = "/usr/bin/prometheus-alertmanager";
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: install Debian's prometheus-alertmanager (.ci/run does)"
    );
    let work = tempfile::tempdir().unwrap();
    let am_cfg = work.path().join("am.yml");
    std::fs::write(
        &am_cfg,
        "route:\n  receiver: none\nreceivers:\n  - name: none\n",
    )
    .unwrap();
    let port = free_port();
    let am_addr = format!("127.0.0.1:{port}");
    let am = Killed(
        Command::new(bin)
            .arg(format!("--config.file={}", am_cfg.display()))
            .arg(format!(
                "--storage.path={}",
                work.path().join("am").display()
            ))
            .arg(format!("--web.listen-address={am_addr}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(
        wait_until(Duration::from_secs(20), || http_get(&am_addr, "/-/ready")
            .is_some_and(|(c, _)| c == 200)),
        "alertmanager did not become ready"
    );

    let pki = pki();
    let (queue, output) = (work.path().join("q"), work.path().join("alerts.jsonl"));
    let config = work.path().join("audit.yaml");
    std::fs::write(
        &config,
        format!("sinks:\n  - type: alertmanager\n    url: http://{am_addr}\n"),
    )
    .unwrap();
    let r = start(
        &pki,
        &queue,
        &output,
        &["--config", config.to_str().unwrap()],
    );
    let (code, _) = request(
        &pki,
        &r.addr,
        "POST",
        "/",
        Cred::Token("s3cret-token"),
        &batch(&ids("m", 3)),
    )
    .unwrap();
    assert_eq!(code, 200);
    let mut alerts = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            alerts = http_get(
                &am_addr,
                "/api/v2/alerts?filter=source%3D%22kubeward-audit%22",
            )
            .and_then(|(_, b)| serde_json::from_str::<Vec<serde_json::Value>>(&b).ok())
            .unwrap_or_default();
            alerts.len() >= 3
        }),
        "alertmanager has {alerts:?}"
    );
    assert_eq!(alerts.len(), 3);
    let mut names: Vec<&str> = alerts
        .iter()
        .map(|a| {
            let l = &a["labels"];
            assert_eq!(l["alertname"], "exec-into-pod");
            assert_eq!(l["code"], "KW701");
            assert_eq!(l["severity"], "medium");
            assert_eq!(l["identity"], "bob");
            assert_eq!(l["namespace"], "prod");
            assert_eq!(a["status"]["state"], "active");
            assert!(
                a["startsAt"]
                    .as_str()
                    .unwrap()
                    .starts_with("2026-01-01T10:00:00"),
                "{a}"
            );
            assert!(
                a["annotations"]["summary"]
                    .as_str()
                    .unwrap()
                    .contains("bob")
            );
            l["name"].as_str().unwrap()
        })
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["p-m-00000", "p-m-00001", "p-m-00002"]);
    drop(r);
    drop(am);
}
