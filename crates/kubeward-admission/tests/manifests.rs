//! What `kubeward admission manifests` prints: the objects, their safety settings, the
//! certificate, and that kubeward's own scan finds nothing in them.

use base64::Engine as _;
use kubeward_admission::config::Settings;
use kubeward_admission::manifests::{self, ManifestOptions};
use kubeward_core::{Node, Object};
use kubeward_load::{Loaded, Options};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::scan::{Scan, ScanResult};
use kubeward_rules::{Engine, registry};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::collections::HashMap;

const DIGEST: &str = "ghcr.io/kubeward/kubeward@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn pinned() -> ManifestOptions {
    ManifestOptions {
        image: DIGEST.to_string(),
        ..ManifestOptions::default()
    }
}

fn load(yaml: &str) -> Vec<Object> {
    let mut loaded = Loaded::default();
    kubeward_load::load_bytes(
        "manifests.yaml".into(),
        yaml.as_bytes(),
        false,
        &Options::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

fn scan_all(yaml: &str) -> ScanResult {
    let engine = Engine::new(
        registry(),
        &HashMap::new(),
        Exceptions::new(vec![], Date::today()),
    );
    let mut scan = Scan::new(engine);
    let mut loaded = Loaded::default();
    kubeward_load::load_bytes(
        "manifests.yaml".into(),
        yaml.as_bytes(),
        false,
        &Options::default(),
        &mut loaded,
    );
    scan.add_loaded(loaded);
    scan.finish()
}

fn find<'a>(objects: &'a [Object], kind: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.kind == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect()
    })
    .unwrap_or_default()
}

fn findings(result: &ScanResult) -> Vec<String> {
    result
        .findings
        .iter()
        .map(|f| format!("{} {} {} {}", f.rule.code, f.object.kind, f.path, f.message))
        .collect()
}

#[test]
fn everything_printed_passes_every_rule() {
    for opts in [
        pinned(),
        ManifestOptions {
            fail_closed: true,
            ..pinned()
        },
        ManifestOptions {
            cert_manager: true,
            ..pinned()
        },
    ] {
        let yaml = manifests::manifests(&opts).unwrap();
        let result = scan_all(&yaml);
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        let f = findings(&result);
        assert!(f.is_empty(), "{opts:?}: findings:\n{}", f.join("\n"));
        for code in [
            "KW101", "KW115", "KW121", "KW129", "KW305", "KW502", "KW803", "KW805", "KW806",
            "KW211",
        ] {
            let (_, stats) = result
                .rules
                .iter()
                .find(|(a, _)| a.rule.meta.code == code)
                .unwrap();
            assert!(stats.evaluated > 0, "{code} evaluated nothing");
        }
    }
}

#[test]
fn the_default_image_is_flagged_by_kw502_only() {
    let result = scan_all(&manifests::manifests(&ManifestOptions::default()).unwrap());
    let codes: Vec<&str> = result.findings.iter().map(|f| f.rule.code).collect();
    assert_eq!(codes, ["KW502"], "{:#?}", findings(&result));
}

#[test]
fn objects_in_apply_order() {
    let objects = load(&manifests::manifests(&pinned()).unwrap());
    let kinds: Vec<&str> = objects.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "Secret",
            "Service",
            "NetworkPolicy",
            "NetworkPolicy",
            "Deployment",
            "PodDisruptionBudget",
            "ValidatingWebhookConfiguration"
        ]
    );
    let cm = load(
        &manifests::manifests(&ManifestOptions {
            cert_manager: true,
            ..pinned()
        })
        .unwrap(),
    );
    let kinds: Vec<&str> = cm.iter().map(|o| o.kind.as_str()).collect();
    assert!(!kinds.contains(&"Secret"));
    assert_eq!(kinds.iter().filter(|k| **k == "Certificate").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "Issuer").count(), 2);
}

#[test]
fn the_webhook_fails_safe() {
    let objects = load(&manifests::manifests(&pinned()).unwrap());
    let vwc = find(&objects, "ValidatingWebhookConfiguration");
    let hook = &vwc.root.get("webhooks").unwrap().items()[0];
    let s = |k: &str| {
        hook.get(k)
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(s("failurePolicy"), "Ignore");
    assert_eq!(s("matchPolicy"), "Equivalent");
    assert_eq!(s("sideEffects"), "None");
    assert_eq!(hook.get("timeoutSeconds").and_then(Node::as_i64), Some(3));
    assert_eq!(strings(hook.get("admissionReviewVersions")), ["v1"]);
    let expr = &hook
        .path(&["namespaceSelector", "matchExpressions"])
        .unwrap()
        .items()[0];
    assert_eq!(
        expr.get("key").and_then(Node::as_str),
        Some("kubernetes.io/metadata.name")
    );
    assert_eq!(expr.get("operator").and_then(Node::as_str), Some("NotIn"));
    assert_eq!(
        strings(expr.get("values")),
        ["kube-system", "kube-node-lease", "kubeward-system"]
    );
    let svc = hook.path(&["clientConfig", "service"]).unwrap();
    assert_eq!(svc.get("path").and_then(Node::as_str), Some("/validate"));
    // Rules: CREATE and UPDATE of the judged kinds only; never a wildcard.
    let mut resources = Vec::new();
    for rule in hook.get("rules").unwrap().items() {
        assert_eq!(strings(rule.get("operations")), ["CREATE", "UPDATE"]);
        resources.extend(strings(rule.get("resources")));
    }
    for r in [
        "pods",
        "pods/ephemeralcontainers",
        "deployments",
        "cronjobs",
        "services",
        "ingresses",
        "configmaps",
        "rolebindings",
        "clusterroles",
        "namespaces",
    ] {
        assert!(
            resources.contains(&r.to_string()),
            "{r} missing from {resources:?}"
        );
    }
    for r in [
        "*",
        "*/*",
        "secrets",
        "leases",
        "events",
        "validatingwebhookconfigurations",
        "pods/status",
    ] {
        assert!(
            !resources.contains(&r.to_string()),
            "{r} must not be sent: {resources:?}"
        );
    }
    let closed = load(
        &manifests::manifests(&ManifestOptions {
            fail_closed: true,
            ..pinned()
        })
        .unwrap(),
    );
    let hook = &find(&closed, "ValidatingWebhookConfiguration")
        .root
        .get("webhooks")
        .unwrap()
        .items()[0];
    assert_eq!(
        hook.get("failurePolicy").and_then(Node::as_str),
        Some("Fail")
    );
}

#[test]
fn the_deployment_is_replicated_and_hardened() {
    let objects = load(&manifests::manifests(&pinned()).unwrap());
    let d = find(&objects, "Deployment");
    assert_eq!(
        d.root.path(&["spec", "replicas"]).and_then(Node::as_i64),
        Some(2)
    );
    let pod = d.root.path(&["spec", "template", "spec"]).unwrap();
    let anti = pod
        .path(&[
            "affinity",
            "podAntiAffinity",
            "preferredDuringSchedulingIgnoredDuringExecution",
        ])
        .unwrap();
    assert_eq!(
        anti.items()[0]
            .path(&["podAffinityTerm", "topologyKey"])
            .and_then(Node::as_str),
        Some("kubernetes.io/hostname")
    );
    let c = &pod.get("containers").unwrap().items()[0];
    let sc = c.get("securityContext").unwrap();
    assert_eq!(
        sc.get("readOnlyRootFilesystem").and_then(Node::as_bool),
        Some(true)
    );
    assert_eq!(
        sc.get("allowPrivilegeEscalation").and_then(Node::as_bool),
        Some(false)
    );
    assert_eq!(strings(sc.path(&["capabilities", "drop"])), ["ALL"]);
    assert_eq!(
        sc.path(&["seccompProfile", "type"]).and_then(Node::as_str),
        Some("RuntimeDefault")
    );
    assert_eq!(
        pod.path(&["securityContext", "runAsNonRoot"])
            .and_then(Node::as_bool),
        Some(true)
    );
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            c.path(&[probe, "httpGet", "scheme"]).and_then(Node::as_str),
            Some("HTTPS")
        );
    }
    assert!(c.path(&["resources", "limits", "memory"]).is_some());
    // The args the container runs with are accepted by the server's config parser.
    let args = strings(c.get("args"));
    assert_eq!(&args[..2], ["admission", "serve"]);
    let pdb = find(&objects, "PodDisruptionBudget");
    assert_eq!(
        pdb.root
            .path(&["spec", "minAvailable"])
            .and_then(Node::as_i64),
        Some(1)
    );
    let cm = find(&objects, "ConfigMap");
    let config = cm
        .root
        .path(&["data", "kubeward.yaml"])
        .and_then(Node::as_str)
        .unwrap();
    let settings = Settings::parse("kubeward.yaml".into(), config).unwrap();
    assert_eq!(
        settings.admission,
        kubeward_admission::AdmissionConfig::default()
    );
}

#[test]
fn the_certificate_names_the_service_and_matches_the_ca_bundle() {
    let objects = load(&manifests::manifests(&pinned()).unwrap());
    let secret = find(&objects, "Secret");
    assert_eq!(
        secret.root.get("type").and_then(Node::as_str),
        Some("kubernetes.io/tls")
    );
    let b64 = |n: Option<&Node>| {
        base64::engine::general_purpose::STANDARD
            .decode(n.and_then(Node::as_str).unwrap())
            .unwrap()
    };
    let cert = b64(secret.root.path(&["data", "tls.crt"]));
    let key = b64(secret.root.path(&["data", "tls.key"]));
    let vwc = find(&objects, "ValidatingWebhookConfiguration");
    let hook = &vwc.root.get("webhooks").unwrap().items()[0];
    let ca = b64(hook.path(&["clientConfig", "caBundle"]));
    assert_eq!(ca, b64(secret.root.path(&["data", "ca.crt"])));

    // The serving certificate verifies against the caBundle for the Service's DNS name, as
    // the API server checks it.
    let ca_der = CertificateDer::from_pem_slice(&ca).unwrap();
    let leaf = CertificateDer::from_pem_slice(&cert).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        provider,
    )
    .build()
    .unwrap();
    use rustls::client::danger::ServerCertVerifier;
    let now = rustls::pki_types::UnixTime::now();
    for name in [
        "kubeward-admission.kubeward-system.svc",
        "kubeward-admission.kubeward-system.svc.cluster.local",
    ] {
        let sn = rustls::pki_types::ServerName::try_from(name).unwrap();
        verifier
            .verify_server_cert(&leaf, &[], &sn, &[], now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let other = rustls::pki_types::ServerName::try_from("evil.example.com").unwrap();
    assert!(
        verifier
            .verify_server_cert(&leaf, &[], &other, &[], now)
            .is_err()
    );
    // And the key goes with it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c"), &cert).unwrap();
    std::fs::write(dir.path().join("k"), &key).unwrap();
    kubeward_admission::tls::Certs::load(&dir.path().join("c"), &dir.path().join("k")).unwrap();
    // A new CA every time: no two outputs share a key.
    let again = load(&manifests::manifests(&pinned()).unwrap());
    assert_ne!(
        b64(find(&again, "Secret").root.path(&["data", "tls.key"])),
        key
    );
}

#[test]
fn options_are_checked_and_quoted() {
    let bad = ManifestOptions {
        namespace: "Bad_NS".into(),
        ..pinned()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .contains("invalid namespace `Bad_NS`")
    );
    let own = ManifestOptions {
        namespace: "kube-system".into(),
        ..pinned()
    };
    assert!(own.validate().unwrap_err().contains("Kubernetes' own"));
    let image = ManifestOptions {
        image: "a b".into(),
        ..pinned()
    };
    assert!(image.validate().is_err());
    // A hostile image string stays one scalar.
    let sneaky = ManifestOptions {
        image: "x\"\n  hostPID: true".into(),
        ..pinned()
    };
    let objects = load(&manifests::manifests(&sneaky).unwrap());
    let d = find(&objects, "Deployment");
    assert!(
        d.root
            .path(&["spec", "template", "spec", "hostPID"])
            .is_none()
    );
    let other_ns = ManifestOptions {
        namespace: "security".into(),
        ..pinned()
    };
    let objects = load(&manifests::manifests(&other_ns).unwrap());
    assert!(
        objects
            .iter()
            .filter(|o| o.kind != "ClusterRole"
                && o.kind != "ClusterRoleBinding"
                && o.kind != "ValidatingWebhookConfiguration"
                && o.kind != "Namespace")
            .all(|o| o.namespace.as_deref() == Some("security"))
    );
}
