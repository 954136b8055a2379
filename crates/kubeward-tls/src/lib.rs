//! The serving certificate, reloaded when its files change.
//!
//! The certificate chain and key are PEM files (a Kubernetes `tls` Secret mounted as a
//! volume, or cert-manager's). Every handshake asks the resolver for the current pair, so a
//! new pair is used by the next handshake after it is loaded; connections already open keep
//! theirs. The files are compared with what was loaded at every check (contents, not times: a
//! Secret volume swaps a symlink), and a pair that does not load (a key written before its
//! certificate, a key that does not match) is refused: the old pair stays until a good one
//! arrives.
//!
//! Shared by the admission webhook (no client certificates) and the audit receiver (the API
//! server may authenticate with a certificate signed by `--client-ca`).

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Why a certificate pair cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} holds no PEM certificate")]
    NoCertificate(String),
    #[error("{path} holds no PEM private key: {reason}")]
    NoKey { path: String, reason: String },
    #[error("the key {key} does not go with the certificate {cert}: {reason}")]
    Mismatch {
        cert: String,
        key: String,
        reason: String,
    },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// The current certificate pair and where it comes from.
#[derive(Debug)]
pub struct Certs {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// A digest of the files' contents when last loaded (or last refused).
    seen: Mutex<u64>,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn digest(cert: &[u8], key: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    cert.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

impl Certs {
    /// Loads the pair, or says why it cannot be used.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Arc<Certs>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = read(cert_path)?;
        let key = read(key_path)?;
        let pair = certified_key(&provider, cert_path, &cert, key_path, &key)?;
        Ok(Arc::new(Certs {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            provider,
            current: RwLock::new(Arc::new(pair)),
            seen: Mutex::new(digest(&cert, &key)),
        }))
    }

    /// Loads the files again if their contents changed. `Ok(true)`: a new pair is in use;
    /// `Ok(false)`: nothing changed; `Err`: the new contents were refused (reported once per
    /// change) and the old pair stays.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let cert = read(&self.cert_path)?;
        let key = read(&self.key_path)?;
        let d = digest(&cert, &key);
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == d {
                return Ok(false);
            }
            *seen = d;
        }
        let pair = certified_key(&self.provider, &self.cert_path, &cert, &self.key_path, &key)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(pair);
        Ok(true)
    }

    /// The pair new handshakes use.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A rustls server configuration that always serves the current pair (TLS 1.2 and 1.3,
    /// HTTP/2 and HTTP/1.1 by ALPN). With `client_ca`, client certificates signed by that CA
    /// are verified during the handshake; a client without one still connects (the health
    /// and metrics endpoints need no certificate) and the receiver refuses its POSTs.
    pub fn server_config(
        self: &Arc<Self>,
        client_ca: Option<&Path>,
    ) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let builder = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let pem = read(ca)?;
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok) {
                    roots
                        .add(c)
                        .map_err(|e| TlsError::Config(format!("{}: {e}", ca.display())))?;
                }
                if roots.is_empty() {
                    return Err(TlsError::NoCertificate(ca.display().to_string()));
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    self.provider.clone(),
                )
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(Arc::new(Resolver(self.clone())));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn certified_key(
    provider: &CryptoProvider,
    cert_path: &Path,
    cert: &[u8],
    key_path: &Path,
    key: &[u8],
) -> Result<CertifiedKey, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert_path.display().to_string()));
    }
    let der = PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsError::NoKey {
        path: key_path.display().to_string(),
        reason: e.to_string(),
    })?;
    CertifiedKey::from_der(chain, der, provider).map_err(|e| TlsError::Mismatch {
        cert: cert_path.display().to_string(),
        key: key_path.display().to_string(),
        reason: e.to_string(),
    })
}

#[derive(Debug)]
struct Resolver(Arc<Certs>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current())
    }
}
