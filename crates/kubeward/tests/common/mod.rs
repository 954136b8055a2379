//! What the tests of `kubeward audit serve` share: starting the real receiver and talking to it
//! over real TLS.
#![allow(dead_code)]

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A running receiver, killed when dropped.
pub struct Receiver {
    pub child: Child,
    pub addr: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` (a `kubeward audit serve --listen 127.0.0.1:0 ...` command) and waits for the
/// address it prints; its other stderr lines are forwarded to the test's output.
pub fn spawn_receiver(mut cmd: Command) -> Receiver {
    let mut child = cmd
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

/// How a request reaches the receiver: the CA to verify it with, the name to verify, and the
/// client certificate and key to present (PEM), if any.
pub struct Tls<'a> {
    pub ca_pem: &'a str,
    pub server_name: &'a str,
    pub client: Option<(&'a str, &'a str)>,
}

/// One HTTP/1.1 request over TLS (`extra` is more header lines, each ending in CRLF): the
/// status code and the whole answer, or an error (handshake refused, connection closed).
pub fn https_request(
    addr: &str,
    tls: &Tls<'_>,
    method: &str,
    path: &str,
    extra: &str,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(tls.ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match tls.client {
        Some((c, k)) => b
            .with_client_auth_cert(
                CertificateDer::pem_slice_iter(c.as_bytes())
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_slice(k.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => b.with_no_client_auth(),
    };
    let name = ServerName::try_from(tls.server_name.to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        tls.server_name,
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
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
