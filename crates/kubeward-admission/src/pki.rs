//! A self-signed CA and a serving certificate signed by it (rcgen), for the webhook's Service.
//!
//! The API server verifies the webhook's certificate against the configuration's `caBundle`
//! and requires the Service's DNS name as a subject alternative name (`<svc>.<ns>.svc`; a
//! Common Name alone has been refused since Kubernetes 1.19). The CA's private key is
//! dropped once the serving certificate is signed: nothing else can be issued under it.

use kubeward_rules::exceptions::Date;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// A CA certificate and a serving certificate with its key, all PEM.
#[derive(Debug, Clone)]
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Why certificates could not be made.
#[derive(Debug, thiserror::Error)]
#[error("generating certificates: {0}")]
pub struct PkiError(String);

fn err(e: rcgen::Error) -> PkiError {
    PkiError(e.to_string())
}

/// The DNS names of a Service, most specific last: `svc`, `svc.ns`, `svc.ns.svc`,
/// `svc.ns.svc.cluster.local`.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Valid from yesterday (clock skew) for `years`.
fn validity(params: &mut CertificateParams, years: i32) {
    let today = Date::today();
    let from = Date::from_days(days(today) - 1);
    params.not_before = rcgen::date_time_ymd(from.year, from.month as u8, from.day as u8);
    // February 29th has no twin in most years.
    params.not_after = rcgen::date_time_ymd(
        today.year + years,
        today.month as u8,
        today.day.min(28) as u8,
    );
}

/// Days since 1970-01-01 of a date (the inverse of `Date::from_days`).
fn days(d: Date) -> i64 {
    let (y, m) = if d.month <= 2 {
        (i64::from(d.year) - 1, i64::from(d.month) + 9)
    } else {
        (i64::from(d.year), i64::from(d.month) - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * m + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A new CA (valid 10 years) and a serving certificate for `names` (DNS names or IP
/// addresses; the first is also the Common Name), valid `years`.
pub fn issue(ca_name: &str, names: &[String], years: i32) -> Result<Pki, PkiError> {
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::default();
    validity(&mut ca, 10);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, ca_name);
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().map_err(err)?;
    let mut leaf = CertificateParams::new(names.to_vec()).map_err(err)?;
    validity(&mut leaf, years);
    let mut dn = DistinguishedName::new();
    if let Some(first) = names.first() {
        dn.push(DnType::CommonName, first.as_str());
    }
    leaf.distinguished_name = dn;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer).map_err(err)?;
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A new CA (valid 10 years) and a client certificate signed by it for `common_name`
/// (extended key usage ClientAuth only, no subject alternative names), valid `years`; the
/// `cert_pem` and `key_pem` of the result are the client's. As in [`issue`], the CA's key is
/// dropped once the certificate is signed: a server trusting `ca_pem` accepts this one client.
pub fn issue_client(ca_name: &str, common_name: &str, years: i32) -> Result<Pki, PkiError> {
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::default();
    validity(&mut ca, 10);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, ca_name);
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().map_err(err)?;
    let mut leaf = CertificateParams::default();
    validity(&mut leaf, years);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    leaf.distinguished_name = dn;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).map_err(err)?;
    Ok(Pki {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_inverts_from_days() {
        for n in [0, 1, 59, 60, 365, 10_000, 20_780, 40_000] {
            assert_eq!(days(Date::from_days(n)), n);
        }
    }

    #[test]
    fn service_names_include_the_svc_name() {
        let names = service_names("kubeward-admission", "kubeward-system");
        assert!(names.contains(&"kubeward-admission.kubeward-system.svc".to_string()));
        assert!(
            names.contains(&"kubeward-admission.kubeward-system.svc.cluster.local".to_string())
        );
    }

    #[test]
    fn issues_a_client_certificate() {
        let pki = issue_client("client-ca", "kube-apiserver-audit", 1).unwrap();
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.key_pem.contains("PRIVATE KEY"));
        assert_ne!(pki.ca_pem, pki.cert_pem);
    }

    #[test]
    fn issues_a_pair_rustls_accepts() {
        let pki = issue("test-ca", &["localhost".into(), "127.0.0.1".into()], 1).unwrap();
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&c, &pki.cert_pem).unwrap();
        std::fs::write(&k, &pki.key_pem).unwrap();
        crate::tls::Certs::load(&c, &k).unwrap();
    }
}
