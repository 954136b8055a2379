//! `kubeward audit serve`: the real binary, over real TLS (certificates made with rcgen),
//! bound on 127.0.0.1:0.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
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

struct Receiver {
    child: Child,
    addr: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(pki: &Pki, queue: &Path, output: &Path, extra: &[&str]) -> Receiver {
    let d = pki.dir.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(["audit", "serve", "--listen", "127.0.0.1:0"])
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
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(rest) = l.split("listening on https://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_string);
            break;
        }
        eprintln!("receiver: {l}");
    }
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            eprintln!("receiver: {l}");
        }
    });
    Receiver {
        child,
        addr: addr.expect("the receiver did not start"),
    }
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
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match cred {
        Cred::Cert(c, k) => b
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(c.as_bytes())
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_slice(k.as_bytes()).unwrap(),
            )
            .unwrap(),
        _ => b.with_no_client_auth(),
    };
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let auth = match cred {
        Cred::Token(t) => format!("Authorization: Bearer {t}\r\n"),
        _ => String::new(),
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(body)?;
    tls.flush()?;
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => resp.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !resp.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    let text = String::from_utf8_lossy(&resp).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {text:?}")))?;
    Ok((code, text))
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
}
