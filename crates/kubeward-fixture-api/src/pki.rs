//! The server's PKI: a CA, a serving certificate for `127.0.0.1` and `localhost`, and client
//! certificates (CN = user, O = groups) signed by the same CA, as kubeadm sets a cluster up.
//! The TLS server accepts but does not require client certificates, and maps a verified client
//! certificate's subject to a user exactly like the apiserver's x509 authenticator.

use crate::config::User;
use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::sync::Arc;

/// A client certificate and its key, PEM-encoded.
#[derive(Debug, Clone)]
pub(crate) struct ClientCert {
    pub user: User,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Everything TLS needs.
#[derive(Debug)]
pub(crate) struct Pki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
    pub client_certs: Vec<ClientCert>,
    /// The users of the certificates this CA issued, by DER.
    pub issued: Arc<HashMap<Vec<u8>, User>>,
}

impl Pki {
    /// The user a verified client certificate authenticates as.
    pub(crate) fn user_of(issued: &HashMap<Vec<u8>, User>, der: &[u8]) -> Option<User> {
        issued
            .get(der)
            .cloned()
            .or_else(|| user_of_certificate(der))
    }
}

fn validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
}

/// Generates the CA, the serving certificate and one client certificate per user.
pub(crate) fn generate(client_users: &[User]) -> Result<Pki> {
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::default();
    validity(&mut ca_params);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kubernetes");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("self-signing the CA")?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().context("generating the server key")?;
    let mut server_params = CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        "kubernetes".to_string(),
        "kubernetes.default.svc".to_string(),
    ])
    .context("server certificate names")?;
    validity(&mut server_params);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kube-apiserver");
    server_params.distinguished_name = dn;
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .context("signing the server certificate")?;

    let mut client_certs = Vec::new();
    let mut issued = HashMap::new();
    for user in client_users {
        let key = KeyPair::generate().context("generating a client key")?;
        let mut params = CertificateParams::default();
        validity(&mut params);
        let mut dn = DistinguishedName::new();
        // rcgen keeps one value per attribute type: the subject carries the first group as O;
        // the others are known from `issued` (see `Pki::user_of`).
        if let Some(group) = user.groups.first() {
            dn.push(DnType::OrganizationName, group.as_str());
        }
        dn.push(DnType::CommonName, user.name.as_str());
        params.distinguished_name = dn;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &issuer)
            .with_context(|| format!("signing the client certificate of {}", user.name))?;
        issued.insert(cert.der().to_vec(), user.clone());
        client_certs.push(ClientCert {
            user: user.clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        });
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca_cert.der().clone())
        .context("adding the CA to the client-cert roots")?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .context("building the client certificate verifier")?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain: Vec<CertificateDer<'static>> =
        vec![server_cert.der().clone(), ca_cert.der().clone()];
    let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key_der)
        .context("installing the server certificate")?;
    server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    Ok(Pki {
        ca_pem,
        server_config: Arc::new(server_config),
        client_certs,
        issued: Arc::new(issued),
    })
}

/// The user of a verified client certificate: CN is the name, each O a group (the x509
/// authenticator's `CommonNameUserConversion`).
pub(crate) fn user_of_certificate(der: &[u8]) -> Option<User> {
    let subject = subject_of(der)?;
    let mut name = None;
    let mut groups = Vec::new();
    for (oid, value) in subject {
        match oid.as_slice() {
            // 2.5.4.3 commonName
            [0x55, 0x04, 0x03] => name = Some(value),
            // 2.5.4.10 organizationName
            [0x55, 0x04, 0x0a] => groups.push(value),
            _ => {}
        }
    }
    Some(User {
        name: name?,
        groups,
    })
}

/// One DER TLV: (tag, content, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The subject attributes (OID bytes, string value) of an X.509 certificate.
fn subject_of(der: &[u8]) -> Option<Vec<(Vec<u8>, String)>> {
    let (_, cert, _) = tlv(der)?; // Certificate
    let (_, tbs, _) = tlv(cert)?; // TBSCertificate
    let mut rest = tbs;
    let (tag, _, r) = tlv(rest)?;
    if tag == 0xa0 {
        rest = r; // explicit [0] version
    }
    let (_, _, rest) = tlv(rest)?; // serialNumber
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, _, rest) = tlv(rest)?; // issuer
    let (_, _, rest) = tlv(rest)?; // validity
    let (_, mut subject, _) = tlv(rest)?;
    let mut out = Vec::new();
    while !subject.is_empty() {
        let (_, mut set, r) = tlv(subject)?;
        subject = r;
        while !set.is_empty() {
            let (_, attr, r) = tlv(set)?;
            set = r;
            let (_, oid, after) = tlv(attr)?;
            let (_, value, _) = tlv(after)?;
            out.push((oid.to_vec(), String::from_utf8_lossy(value).into_owned()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;

    #[test]
    fn client_certificates_carry_user_and_groups() {
        let pki = generate(&[User::new("alice", &["dev-team", "qa"])]).unwrap();
        let pem = &pki.client_certs[0].cert_pem;
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        let user = user_of_certificate(&der).unwrap();
        assert_eq!(user.name, "alice");
        assert_eq!(user.groups, vec!["dev-team"]);
        let user = Pki::user_of(&pki.issued, &der).unwrap();
        assert_eq!(user.groups, vec!["dev-team", "qa"]);
    }
}
