//! `kubeward_node::etcd::check` against a real etcd 3.4 (Debian's `etcd-server`): once without
//! TLS, once with TLS and client-certificate authentication; keys written in the API server's
//! storage formats; a client certificate from another CA refused. Fails when etcd is missing.

mod common;

use common::etcd_server::{Etcd, values};
use etcd_client::{Client, PutOptions, Txn, TxnOp};
use kubeward_node::etcd::{EtcdOptions, Outcome, check, classify};
use std::time::Duration;

const MARKER: &str = "S3CR3T-VALUE-MUST-NOT-LEAK";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The fixture keys: what the API server would store for Secrets with and without encryption,
/// plus keys outside `/registry/secrets/` that must not be counted.
fn fixture() -> Vec<(String, Vec<u8>)> {
    let mut kv = vec![
        (
            "/registry/secrets/default/plain-proto".to_string(),
            values::protobuf(MARKER),
        ),
        (
            "/registry/secrets/default/plain-json".to_string(),
            values::json(MARKER),
        ),
        (
            "/registry/secrets/kube-system/bootstrap-token-abcdef".to_string(),
            values::protobuf(MARKER),
        ),
        (
            "/registry/secrets/team-a/db".to_string(),
            values::encrypted("aescbc:v1", "key1", MARKER, 300),
        ),
        (
            "/registry/secrets/team-a/api".to_string(),
            values::encrypted("aescbc:v1", "key2", MARKER, 300),
        ),
        (
            "/registry/secrets/team-a/tls".to_string(),
            values::encrypted("aesgcm:v1", "gcm1", MARKER, 300),
        ),
        (
            "/registry/secrets/team-b/x".to_string(),
            values::encrypted("secretbox:v1", "box", MARKER, 300),
        ),
        (
            "/registry/secrets/team-b/y".to_string(),
            values::encrypted("kms:v1", "old-kms", MARKER, 300),
        ),
        (
            "/registry/secrets/team-b/z".to_string(),
            values::encrypted("kms:v2", "vault", MARKER, 300),
        ),
        (
            "/registry/secrets/team-b/w".to_string(),
            values::encrypted("kms:v2", "vault", MARKER, 300),
        ),
        (
            "/registry/configmaps/default/cm".to_string(),
            values::protobuf(MARKER),
        ),
        (
            "/registry/secretsx/not-a-secret".to_string(),
            values::protobuf(MARKER),
        ),
    ];
    // Enough keys for several pages (page size 4 in the tests).
    for i in 0..9 {
        kv.push((
            format!("/registry/secrets/bulk/s{i:02}"),
            values::encrypted("kms:v2", "vault", MARKER, 100),
        ));
    }
    kv
}

async fn load(client: &mut Client, kv: &[(String, Vec<u8>)]) {
    for chunk in kv.chunks(100) {
        let ops: Vec<TxnOp> = chunk
            .iter()
            .map(|(k, v)| TxnOp::put(k.as_bytes().to_vec(), v.clone(), None::<PutOptions>))
            .collect();
        client.txn(Txn::new().and_then(ops)).await.unwrap();
    }
}

fn options(etcd: &Etcd) -> EtcdOptions {
    EtcdOptions {
        endpoint: etcd.url.clone(),
        page_size: 4,
        timeout: Duration::from_secs(10),
        ..EtcdOptions::default()
    }
}

/// Secrets are classified the same way whatever the transport.
fn assert_classification(report: &kubeward_node::etcd::EtcdReport) {
    let s = report.secrets.as_ref().expect("secrets classified");
    assert_eq!(s.total, 19, "{s:#?}");
    assert_eq!(
        (s.plaintext, s.plaintext_protobuf, s.plaintext_json),
        (3, 2, 1)
    );
    let enc: Vec<(&str, u64)> = s.encrypted.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        enc,
        [
            ("aescbc", 2),
            ("aesgcm", 1),
            ("kms v1", 1),
            ("kms v2", 11),
            ("secretbox", 1)
        ]
    );
    assert_eq!(s.by_key.get("aescbc/key1"), Some(&1));
    assert_eq!(s.by_key.get("kms v2/vault"), Some(&11));
    assert_eq!(
        s.plaintext_names,
        [
            "default/plain-json",
            "default/plain-proto",
            "kube-system/bootstrap-token-abcdef"
        ]
    );
    assert_eq!(s.by_namespace["bulk"].total, 9);
    assert_eq!(s.by_namespace["default"].plaintext, 2);
    // 19 keys in pages of 4, all at the first page's revision.
    assert_eq!(s.pages, 5);
    assert!(s.revision > 0);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"KW633"), "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == "KW634").count(),
        2,
        "{codes:?}"
    );
    // No value, not even the start of a ciphertext, reaches any output.
    for out in [
        report.to_json().to_string(),
        report.to_table(),
        report.to_sarif().to_string(),
    ] {
        assert!(!out.contains(MARKER), "a value leaked:\n{out}");
    }
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn plain_etcd_is_critical_and_secrets_are_classified() {
    let etcd = Etcd::start_plain();
    let rt = rt();
    rt.block_on(async {
        let mut c = etcd.client().await;
        load(&mut c, &fixture()).await;
    });
    let report = check(&options(&etcd)).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        report.version.as_deref().unwrap().starts_with("3.4"),
        "{:?}",
        report.version
    );
    let plain = report
        .probes
        .iter()
        .find(|p| p.name == "plain-http")
        .unwrap();
    assert_eq!(plain.outcome, Outcome::Accepted);
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "KW631")
        .expect("KW631");
    assert_eq!(f.severity, kubeward_core::Severity::Critical);
    assert_classification(&report);
}

#[test]
fn tls_etcd_with_client_certificates_refuses_the_probes() {
    let etcd = Etcd::start_tls();
    let rt = rt();
    rt.block_on(async {
        let mut c = etcd.client().await;
        load(&mut c, &fixture()).await;
    });
    let pki = etcd.pki.as_ref().unwrap();
    let opts = EtcdOptions {
        cacert: Some(pki.ca.clone()),
        cert: Some(pki.client_cert.clone()),
        key: Some(pki.client_key.clone()),
        ..options(&etcd)
    };
    let report = check(&opts).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let outcomes: Vec<(&str, Outcome)> =
        report.probes.iter().map(|p| (p.name, p.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("no-client-certificate", Outcome::Refused),
            ("plain-http", Outcome::Refused),
            ("foreign-ca-certificate", Outcome::Refused),
        ],
        "{:#?}",
        report.probes
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| ["KW630", "KW631", "KW632"].contains(&f.code)),
        "{:#?}",
        report.findings
    );
    assert_classification(&report);

    // Only strong encryption: nothing found, exit 0.
    rt.block_on(async {
        let mut c = etcd.client().await;
        c.delete(
            "/registry/secrets/",
            Some(etcd_client::DeleteOptions::new().with_prefix()),
        )
        .await
        .unwrap();
        load(
            &mut c,
            &[
                (
                    "/registry/secrets/a/b".into(),
                    values::encrypted("kms:v2", "vault", MARKER, 200),
                ),
                (
                    "/registry/secrets/a/c".into(),
                    values::encrypted("secretbox:v1", "k", MARKER, 200),
                ),
            ],
        )
        .await;
    });
    let report = check(&opts).unwrap();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.secrets.as_ref().unwrap().total, 2);
}

#[test]
fn tls_etcd_without_client_cert_auth_is_critical() {
    let etcd = Etcd::start_tls_without_client_auth();
    let pki = etcd.pki.as_ref().unwrap();
    let opts = EtcdOptions {
        cacert: Some(pki.ca.clone()),
        ..options(&etcd)
    };
    let report = check(&opts).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let outcomes: Vec<(&str, Outcome)> =
        report.probes.iter().map(|p| (p.name, p.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("no-client-certificate", Outcome::Accepted),
            ("plain-http", Outcome::Refused),
            ("foreign-ca-certificate", Outcome::Accepted),
        ]
    );
    // One critical finding: without client authentication the foreign certificate adds nothing.
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["KW630"], "{:#?}", report.findings);
    assert_eq!(
        report.findings[0].severity,
        kubeward_core::Severity::Critical
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn without_a_client_certificate_a_tls_etcd_cannot_be_read() {
    // etcd requires client certificates and the check is given none: the main read fails
    // (exit 2) with a clear error.
    let etcd = Etcd::start_tls();
    let pki = etcd.pki.as_ref().unwrap();
    let opts = EtcdOptions {
        cacert: Some(pki.ca.clone()),
        ..options(&etcd)
    };
    let report = check(&opts).unwrap();
    assert_eq!(report.exit_code(), 2, "{report:#?}");
    assert!(!report.errors.is_empty());
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let etcd = Etcd::start_tls();
    let pki = etcd.pki.as_ref().unwrap();
    let opts = EtcdOptions {
        cacert: Some(pki.ca.clone()),
        cert: Some(pki.other_cert.clone()),
        key: Some(pki.other_key.clone()),
        skip_probes: true,
        ..options(&etcd)
    };
    let report = check(&opts).unwrap();
    assert!(report.version.is_none());
    assert_eq!(report.exit_code(), 2);
    let err = report.errors.join("\n");
    assert!(err.contains("status") || err.contains("connect"), "{err}");
}

#[test]
fn bad_options_are_errors() {
    let e = check(&EtcdOptions {
        endpoint: "127.0.0.1:2379".into(),
        ..EtcdOptions::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("expected https://HOST:PORT"), "{e}");
    let e = check(&EtcdOptions {
        endpoint: "https://127.0.0.1:2379".into(),
        ..EtcdOptions::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("needs --cacert"), "{e}");
    let e = check(&EtcdOptions {
        endpoint: "https://127.0.0.1:2379".into(),
        cacert: Some("/nonexistent/ca.crt".into()),
        ..EtcdOptions::default()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read --cacert /nonexistent/ca.crt: no such file"
    );
}

#[test]
fn nothing_listening_is_an_error_not_a_hang() {
    let port = common::etcd_server::free_port();
    let report = check(&EtcdOptions {
        endpoint: format!("http://127.0.0.1:{port}"),
        timeout: Duration::from_secs(2),
        ..EtcdOptions::default()
    })
    .unwrap();
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn the_fixture_values_classify_as_written() {
    // The helper's formats are the API server's (guards the helper itself).
    assert_eq!(
        classify(&values::protobuf("x")),
        kubeward_node::etcd::Class::PlainProtobuf
    );
    assert_eq!(
        classify(&values::json("x")),
        kubeward_node::etcd::Class::PlainJson
    );
}

#[test]
fn pages_of_large_values_are_halved_to_fit_the_message_limit() {
    let etcd = Etcd::start_plain();
    let rt = rt();
    rt.block_on(async {
        let mut c = etcd.client().await;
        let kv: Vec<(String, Vec<u8>)> = (0..40)
            .map(|i| {
                (
                    format!("/registry/secrets/big/s{i:02}"),
                    values::encrypted("kms:v2", "vault", MARKER, 100_000),
                )
            })
            .collect();
        for chunk in kv.chunks(5) {
            load(&mut c, chunk).await;
        }
    });
    let report = check(&EtcdOptions {
        page_size: 1000,
        // 40 values of 100 kB do not fit in 1 MiB: 1000 → … → 7 keys a page.
        max_message_bytes: 1 << 20,
        ..options(&etcd)
    })
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let s = report.secrets.unwrap();
    assert_eq!(s.total, 40);
    assert_eq!(s.encrypted["kms v2"], 40);
    assert_eq!(s.page_size_used, 7);
    assert_eq!(s.pages, 6);
}
