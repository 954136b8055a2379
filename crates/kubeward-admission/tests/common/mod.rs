//! What the server tests share: certificates made for the test, a real TLS client (hyper
//! over tokio-rustls, verifying the server against the test's CA), and AdmissionReviews.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use kubeward_admission::config::Settings;
use kubeward_admission::judge::Judge;
use kubeward_admission::namespaces::Namespaces;
use kubeward_admission::pki;
use kubeward_admission::server::{ServeOptions, Server};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A serving certificate for `127.0.0.1` and `localhost` under a new CA, written to `dir`.
pub struct TestCerts {
    pub ca_pem: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn certs(dir: &Path) -> TestCerts {
    let pki = pki::issue(
        "kubeward test CA",
        &["localhost".to_string(), "127.0.0.1".to_string()],
        1,
    )
    .unwrap();
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    TestCerts {
        ca_pem: pki.ca_pem,
        cert,
        key,
    }
}

/// A TLS client that trusts one CA.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    connector: tokio_rustls::TlsConnector,
}

impl Client {
    pub fn new(addr: SocketAddr, ca_pem: &str) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Client {
            addr,
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        }
    }

    /// A new TLS connection (a new handshake) speaking HTTP/1.1.
    pub async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("localhost").unwrap();
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// A raw TLS stream to the server (for requests written by hand).
    pub async fn raw(&self) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        self.connector.connect(name, tcp).await.unwrap()
    }

    /// One request on a new connection.
    pub async fn request(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, String) {
        let mut s = self.connect().await.unwrap();
        send(&mut s, method, path, body).await
    }

    pub async fn post(&self, body: &Value) -> (u16, String) {
        self.request("POST", "/validate", serde_json::to_vec(body).unwrap())
            .await
    }

    /// Posts a review and returns its `response`, asserting a 200 and the same uid.
    pub async fn review(&self, body: &Value) -> Value {
        let (status, text) = self.post(body).await;
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(v["response"]["uid"], body["request"]["uid"]);
        v["response"].clone()
    }

    pub async fn metrics(&self) -> String {
        let (status, text) = self.request("GET", "/metrics", Vec::new()).await;
        assert_eq!(status, 200);
        text
    }
}

pub async fn send(
    s: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, String) {
    s.ready().await.unwrap();
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = s.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A running server with its certificates and a client that trusts them.
pub struct Running {
    pub server: Server,
    pub client: Client,
    pub certs: TestCerts,
    pub dir: tempfile::TempDir,
}

pub fn options(certs: &TestCerts) -> ServeOptions {
    ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        cert: certs.cert.clone(),
        key: certs.key.clone(),
        log_denials: false,
        ..ServeOptions::default()
    }
}

pub fn settings(yaml: &str) -> Settings {
    Settings::parse("kubeward.yaml".into(), yaml).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Starts a server with `config` (kubeward.yaml text) and no API server.
pub async fn start(config: &str) -> Running {
    start_with(config, |_| {}, Arc::new(Namespaces::offline())).await
}

pub async fn start_with(
    config: &str,
    tweak: impl FnOnce(&mut ServeOptions),
    namespaces: Arc<Namespaces>,
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let mut opts = options(&certs);
    tweak(&mut opts);
    let judge = Arc::new(Judge::new(settings(config)));
    let server = Server::start(opts, judge, namespaces).await.unwrap();
    let client = Client::new(server.addr(), &certs.ca_pem);
    Running {
        server,
        client,
        certs,
        dir,
    }
}

/// An AdmissionReview request.
pub fn review(uid: &str, operation: &str, namespace: &str, object: Value) -> Value {
    let kind = object["kind"].as_str().unwrap_or_default().to_string();
    let api_version = object["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (group, version) = match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.clone()),
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "name": object["metadata"]["name"].as_str().unwrap_or_default(),
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["dev", "system:authenticated"]},
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

/// A pod with one container and the given container securityContext.
pub fn pod(name: &str, security_context: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0", "securityContext": security_context}]}
    })
}

/// A pod that passes every rule.
pub fn clean_pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "serviceAccountName": "app",
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app",
                "image": "registry.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}
            }]
        }
    })
}

/// The codes in a response's `violations` audit annotation.
pub fn violations(response: &Value) -> Vec<(String, String, String)> {
    let Some(text) = response["auditAnnotations"]["violations"].as_str() else {
        return Vec::new();
    };
    let list: Value = serde_json::from_str(text).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap().to_string(),
                v["action"].as_str().unwrap().to_string(),
                v["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The value of a metric line (`name{labels} value`).
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Polls `f` until it is true (or panics after `timeout`).
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within {timeout:?}");
}

/// Reads an HTTP/1.1 response written by hand-made requests: status and body (the connection
/// must close after it, or carry a Content-Length).
pub async fn read_response<R: tokio::io::AsyncRead + Unpin>(stream: &mut R) -> (u16, String) {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let len = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            });
            if let Some(len) = len
                && buf.len() >= end + 4 + len
            {
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                return (status, text[end + 4..end + 4 + len].to_string());
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                let text = String::from_utf8_lossy(&buf).into_owned();
                let status = text
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let body = text
                    .split_once("\r\n\r\n")
                    .map(|(_, b)| b.to_string())
                    .unwrap_or_default();
                return (status, body);
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
