//! The subject of a CertificateSigningRequest: `spec.request` is a base64-encoded PEM PKCS#10
//! request; the common name is the user and the organisations are the groups the client
//! certificate will carry. A small DER reader, bounded and panic-free.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Subject {
    pub common_name: Option<String>,
    pub organizations: Vec<String>,
}

impl Subject {
    /// `CN=eve, O=system:masters`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(cn) = &self.common_name {
            parts.push(format!("CN={cn}"));
        }
        for o in &self.organizations {
            parts.push(format!("O={o}"));
        }
        parts.join(", ")
    }
}

/// Decodes `spec.request` (base64 of the PEM text). `None` when it is not a readable CSR.
pub fn subject_of_request(request_b64: &str) -> Option<Subject> {
    let pem = STANDARD.decode(request_b64.trim()).ok()?;
    let pem = String::from_utf8(pem).ok()?;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let der = STANDARD.decode(body.trim()).ok()?;
    subject_of_der(&der)
}

fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((tag, b.get(hdr..end)?, b.get(end..)?))
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

fn subject_of_der(der: &[u8]) -> Option<Subject> {
    let (t, csr, _) = read_tlv(der)?;
    if t != 0x30 {
        return None;
    }
    let (t, info, _) = read_tlv(csr)?;
    if t != 0x30 {
        return None;
    }
    let (t, _version, rest) = read_tlv(info)?;
    if t != 0x02 {
        return None;
    }
    let (t, mut name, _) = read_tlv(rest)?;
    if t != 0x30 {
        return None;
    }
    let mut s = Subject::default();
    while !name.is_empty() {
        let (t, mut rdn, rest) = read_tlv(name)?;
        name = rest;
        if t != 0x31 {
            continue;
        }
        while !rdn.is_empty() {
            let (t, atv, rest) = read_tlv(rdn)?;
            rdn = rest;
            if t != 0x30 {
                continue;
            }
            let (t, oid, rest) = read_tlv(atv)?;
            if t != 0x06 {
                continue;
            }
            let (_, value, _) = read_tlv(rest)?;
            let value = String::from_utf8_lossy(value).into_owned();
            if oid == OID_CN {
                s.common_name = Some(value);
            } else if oid == OID_O {
                s.organizations.push(value);
            }
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real CSR: `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
    /// -subj "/O=system:masters/CN=eve"`.
    const EVE_MASTERS: &str = "-----BEGIN CERTIFICATE REQUEST-----\nMIHiMIGJAgEAMCcxFzAVBgNVBAoMDnN5c3RlbTptYXN0ZXJzMQwwCgYDVQQDDANl\ndmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQKyQUmZkKTwuMYsPFokOAxI7Q3\nuj2E7UW818wrPDy4+Ugl+Yq4b7J1tMniURRHXmXD3vBg9vetyQCepXKZhF88oAAw\nCgYIKoZIzj0EAwIDSAAwRQIhAKfBBMJmq9lRa7aF4xWeGK7ESq2fLh2dtGSrFiOH\neIo2AiBsIEQbdQs3TxEGCXjDvhbcLsBuUjIMShyXK5cO3+Uo6Q==\n-----END CERTIFICATE REQUEST-----\n";

    #[test]
    fn decodes_subject() {
        let b64 = STANDARD.encode(EVE_MASTERS);
        let s = subject_of_request(&b64).unwrap();
        assert_eq!(s.common_name.as_deref(), Some("eve"));
        assert_eq!(s.organizations, vec!["system:masters"]);
        assert_eq!(s.describe(), "CN=eve, O=system:masters");
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        assert_eq!(subject_of_request("not base64!"), None);
        // Panther's fixture: base64 of the PEM header only.
        assert_eq!(
            subject_of_request("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0="),
            None
        );
        for cut in 0..40 {
            let der = [
                0x30u8, 0x82, 0xff, 0xff, 0x30, 0x05, 0x02, 0x01, 0x00, 0x30, 0x00,
            ];
            let _ = subject_of_der(&der[..cut.min(der.len())]);
        }
    }
}
