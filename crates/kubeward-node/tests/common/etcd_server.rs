//! A real etcd (Debian's `etcd-server`, `/usr/bin/etcd`, 3.4) for tests and benchmarks,
//! started on free loopback ports with a data directory in a temporary folder, without TLS or
//! with TLS and client-certificate authentication (certificates generated here with rcgen).
//! Shared by `tests/etcd.rs`, `examples/etcd_bench.rs` and the CLI tests
//! (`crates/kubeward/tests/node.rs`) through `#[path]`.
//!
//! A missing etcd is a failure, not a skip: CI installs `etcd-server`.

#![allow(dead_code)]

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where etcd is: `$KUBEWARD_ETCD`, `/usr/bin/etcd`, or `etcd` on the PATH.
pub fn etcd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBEWARD_ETCD") {
        return PathBuf::from(p);
    }
    let debian = PathBuf::from("/usr/bin/etcd");
    if debian.exists() {
        return debian;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("etcd");
            if p.exists() {
                return p;
            }
        }
    }
    panic!(
        "etcd not found (/usr/bin/etcd, PATH, $KUBEWARD_ETCD): these tests need a real etcd; \
         install Debian's etcd-server (`apt-get install -y etcd-server`)"
    );
}

/// A free TCP port on 127.0.0.1 (bound and released; etcd binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The certificates of a TLS etcd, as files.
#[derive(Debug)]
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A client certificate from another CA (etcd must refuse it).
    pub other_cert: PathBuf,
    pub other_key: PathBuf,
    pub other_ca: PathBuf,
}

fn ca(cn: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("CA key");
    let mut p = CertificateParams::default();
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = p.self_signed(&key).expect("self-signed CA");
    (cert.pem(), Issuer::new(p, key))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    cn: &str,
    sans: &[&str],
    server: bool,
) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut p = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("subject alt names");
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = if server {
        vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ]
    } else {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    };
    let cert = p.signed_by(&key, issuer).expect("signed leaf");
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    pub fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).expect("pki dir");
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).expect("write pki file");
            p
        };
        let (ca_pem, issuer) = ca("etcd-ca");
        let (server_pem, server_key) =
            leaf(&issuer, "etcd-server", &["127.0.0.1", "localhost"], true);
        let (client_pem, client_key) = leaf(&issuer, "kube-apiserver-etcd-client", &[], false);
        let (other_ca_pem, other_issuer) = ca("some-other-ca");
        let (other_pem, other_key) = leaf(&other_issuer, "kube-apiserver-etcd-client", &[], false);
        Pki {
            ca: write("ca.crt", &ca_pem),
            server_cert: write("server.crt", &server_pem),
            server_key: write("server.key", &server_key),
            client_cert: write("client.crt", &client_pem),
            client_key: write("client.key", &client_key),
            other_cert: write("other-client.crt", &other_pem),
            other_key: write("other-client.key", &other_key),
            other_ca: write("other-ca.crt", &other_ca_pem),
        }
    }
}

/// A running etcd. Killed (it is our child) and its data removed when dropped.
#[derive(Debug)]
pub struct Etcd {
    child: Child,
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub url: String,
    pub pki: Option<Pki>,
    pub dir: tempfile::TempDir,
}

impl Etcd {
    /// etcd without TLS.
    pub fn start_plain() -> Etcd {
        Etcd::start(false, false)
    }

    /// etcd with TLS and `--client-cert-auth`.
    pub fn start_tls() -> Etcd {
        Etcd::start(true, true)
    }

    /// etcd with TLS but no `--client-cert-auth` (and no `--trusted-ca-file`).
    pub fn start_tls_without_client_auth() -> Etcd {
        Etcd::start(true, false)
    }

    fn start(tls: bool, client_auth: bool) -> Etcd {
        let bin = etcd_binary();
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = tls.then(|| Pki::generate(&dir.path().join("pki")));
        let scheme = if tls { "https" } else { "http" };
        let (client, peer) = (free_port(), free_port());
        let url = format!("{scheme}://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut cmd = Command::new(&bin);
        cmd.arg("--name=kubeward-test")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg(format!("--listen-client-urls={url}"))
            .arg(format!("--advertise-client-urls={url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=kubeward-test={peer_url}"))
            .arg("--logger=zap")
            .arg("--log-outputs=stderr")
            .arg("--log-level=error")
            .arg("--quota-backend-bytes=4294967296");
        if let Some(p) = &pki {
            cmd.arg(format!("--cert-file={}", p.server_cert.display()))
                .arg(format!("--key-file={}", p.server_key.display()));
            if client_auth {
                cmd.arg(format!("--trusted-ca-file={}", p.ca.display()))
                    .arg("--client-cert-auth=true");
            }
        }
        // etcd's log goes to a file: an unread pipe would block it once full.
        let log_path = dir.path().join("etcd.log");
        let log = std::fs::File::create(&log_path).expect("etcd log file");
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        // Ready when the client port accepts connections (etcd serves once it has a leader;
        // requests before that wait for it).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let err = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("etcd exited at start ({status}): {err}");
            }
            if TcpStream::connect(("127.0.0.1", client)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "etcd did not listen on {url} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Etcd {
            child,
            url,
            pki,
            dir,
        }
    }

    /// Connection options for etcd-client with the good client certificate (TLS etcd).
    pub fn connect_options(&self) -> Option<etcd_client::ConnectOptions> {
        let p = self.pki.as_ref()?;
        let read = |p: &Path| std::fs::read(p).expect("read pki file");
        let tls = etcd_client::TlsOptions::new()
            .ca_certificate(etcd_client::Certificate::from_pem(read(&p.ca)))
            .identity(etcd_client::Identity::from_pem(
                read(&p.client_cert),
                read(&p.client_key),
            ));
        Some(etcd_client::ConnectOptions::new().with_tls(tls))
    }

    /// A connected client (waits until etcd answers).
    pub async fn client(&self) -> etcd_client::Client {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let opts = self
                .connect_options()
                .unwrap_or_default()
                .with_timeout(Duration::from_secs(5))
                .with_connect_timeout(Duration::from_secs(5));
            if let Ok(mut c) = etcd_client::Client::connect([self.url.as_str()], Some(opts)).await
                && c.status().await.is_ok()
            {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "etcd at {} did not answer within 30 s",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Values in the API server's storage formats. `marker` is embedded in every value so a test
/// can assert that no value ever reaches an output.
pub mod values {
    /// The protobuf envelope the API server writes without encryption (`k8s\0` + Unknown).
    pub fn protobuf(marker: &str) -> Vec<u8> {
        let mut v = b"k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret\x12".to_vec();
        v.extend_from_slice(format!("data:{marker}").as_bytes());
        v
    }

    /// JSON, as written for custom resources (and by old API servers).
    pub fn json(marker: &str) -> Vec<u8> {
        format!(
            "{{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"data\":{{\"password\":\"{marker}\"}}}}"
        )
        .into_bytes()
    }

    /// An encryption envelope: `k8s:enc:<provider>:<version>:<key>:` + ciphertext (here the
    /// marker and filler bytes, which the classification must never show).
    pub fn encrypted(provider_and_version: &str, key: &str, marker: &str, len: usize) -> Vec<u8> {
        let mut v = format!("k8s:enc:{provider_and_version}:{key}:").into_bytes();
        v.extend_from_slice(marker.as_bytes());
        let mut x: u32 = 0x9e37_79b9;
        while v.len() < len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            v.push(x as u8);
        }
        v
    }
}
