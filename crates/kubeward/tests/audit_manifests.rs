//! `kubeward audit manifests`, the real binary: the receiver's objects pass `kubeward scan`;
//! the generated certificates and kubeconfig connect to a real `kubeward audit serve` over
//! mutual TLS; the audit Policy logs what the detections read; `--out DIR` writes the files.

mod common;

use common::{Receiver, Tls, https_request, spawn_receiver};
use kubeward_node::auditpolicy::{Level as L, Policy, Request};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DIGEST: &str = "ghcr.io/kubeward/kubeward@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn kubeward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = kubeward()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `audit manifests ARGS` on standard output, cut into its parts at the `# ==> FILE` lines.
fn parts(args: &[&str]) -> BTreeMap<String, String> {
    let mut all = vec!["audit", "manifests"];
    all.extend_from_slice(args);
    let out = run(&all, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut parts = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text(&out.stdout).lines() {
        if let Some(file) = line.strip_prefix("# ==> ") {
            current = Some(file.to_string());
            continue;
        }
        if let Some(f) = &current {
            let p: &mut String = parts.entry(f.clone()).or_default();
            p.push_str(line);
            p.push('\n');
        }
    }
    let names: Vec<&str> = parts.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "audit-policy.yaml",
            "audit-webhook.kubeconfig",
            "receiver.yaml"
        ]
    );
    parts
}

/// The documents of a YAML stream, as JSON.
fn docs(yaml: &str) -> Vec<Value> {
    kubeward_load::yaml::parse_stream(yaml, &kubeward_load::Limits::default())
        .into_iter()
        .map(|d| d.root.expect("valid YAML").to_json())
        .collect()
}

fn one(docs: &[Value], kind: &str) -> Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind}");
    found[0].clone()
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert_eq!(bytes.len() % 4, 0, "padded base64");
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().filter(|b| **b == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { val(c) })
            .fold(0u32, |acc, v| (acc << 6) | v);
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    out
}

fn b64text(v: &Value) -> String {
    String::from_utf8(b64decode(v.as_str().expect("a base64 string"))).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. The receiver's objects

#[test]
fn receiver_objects_pass_kubewards_own_scan() {
    for extra in [
        &[][..],
        &["--server", "https://audit.example.com:30443/events"][..],
        &[
            "-n",
            "audit",
            "--name",
            "recv",
            "--cluster-ip",
            "10.43.0.250",
            "--storage",
            "1Gi",
            "--storage-class",
            "fast-ssd",
        ][..],
    ] {
        let mut args = vec!["--image", DIGEST];
        args.extend_from_slice(extra);
        let p = parts(&args);
        // The real scan, default --fail-on (info): any finding would exit 1. The kubeconfig and
        // the Policy are not Kubernetes objects and draw nothing either.
        for input in [p["receiver.yaml"].clone(), p.values().cloned().collect()] {
            let scan = run(&["scan", "-", "--no-config"], input.as_bytes());
            assert_eq!(
                scan.status.code(),
                Some(0),
                "{extra:?}:\n{}{}",
                text(&scan.stdout),
                text(&scan.stderr)
            );
            assert!(text(&scan.stdout).contains("No findings."));
        }
        let kinds: Vec<String> = docs(&p["receiver.yaml"])
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ServiceAccount",
                "Secret",
                "ConfigMap",
                "PersistentVolumeClaim",
                "Service",
                "NetworkPolicy",
                "NetworkPolicy",
                "Deployment"
            ]
        );
    }
    // The default image is a tag: KW502 says so, and nothing else does.
    let p = parts(&[]);
    let scan = run(
        &["scan", "-", "--no-config", "--format", "json"],
        p["receiver.yaml"].as_bytes(),
    );
    assert_eq!(scan.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KW502"]);
}

#[test]
fn receiver_objects_are_wired_together() {
    let p = parts(&["--storage", "4Gi", "--storage-class", "fast-ssd"]);
    let d = docs(&p["receiver.yaml"]);
    let ns = one(&d, "Namespace");
    assert_eq!(ns["metadata"]["name"], "kubeward-system");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    assert_eq!(
        one(&d, "ServiceAccount")["automountServiceAccountToken"],
        false
    );

    let deploy = one(&d, "Deployment");
    let spec = &deploy["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["strategy"]["type"], "Recreate");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    let c = &pod["containers"][0];
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let flag = |f: &str| {
        let i = args.iter().position(|a| *a == f).unwrap_or_else(|| {
            panic!("{f} in {args:?}");
        });
        args[i + 1]
    };
    assert_eq!(args[..2], ["audit", "serve"]);
    assert_eq!(flag("--listen"), "0.0.0.0:8443");
    assert_eq!(flag("--client-ca"), "/etc/kubeward/tls/client-ca.crt");
    assert_eq!(flag("--queue-dir"), "/var/lib/kubeward-audit");
    assert_eq!(flag("--config"), "/etc/kubeward/config/audit.yaml");
    // Half of the 4Gi volume.
    assert_eq!(flag("--max-queue-bytes"), (2u64 << 30).to_string());
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(c[probe]["httpGet"]["path"], "/healthz");
        assert_eq!(c[probe]["httpGet"]["scheme"], "HTTPS");
    }
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert!(mounts.contains(&"/var/lib/kubeward-audit"), "{mounts:?}");
    let claim = one(&d, "PersistentVolumeClaim");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "4Gi");
    assert_eq!(claim["spec"]["storageClassName"], "fast-ssd");
    let volumes = pod["volumes"].as_array().unwrap();
    assert!(
        volumes
            .iter()
            .any(|v| v["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"])
    );
    let secret = one(&d, "Secret");
    assert!(
        volumes
            .iter()
            .any(|v| v["secret"]["secretName"] == secret["metadata"]["name"])
    );

    let svc = one(&d, "Service");
    assert_eq!(svc["spec"]["clusterIP"], "10.96.0.250");
    assert_eq!(svc["spec"]["ports"][0]["port"], 443);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "https");
    assert_eq!(svc["spec"]["selector"], spec["selector"]["matchLabels"]);

    // The starter config is valid for the receiver.
    let config = one(&d, "ConfigMap")["data"]["audit.yaml"]
        .as_str()
        .unwrap()
        .to_string();
    if let Err(e) = kubeward_audit::config::AuditConfig::parse("audit.yaml".into(), &config) {
        panic!("starter config: {e:?}");
    }
    // And so are its commented examples, uncommented (the prose before `activity:` aside).
    let examples: String = config
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| {
            let l = l.strip_prefix('#').unwrap_or(l);
            format!("{}\n", l.strip_prefix(' ').unwrap_or(l))
        })
        .collect();
    assert!(examples.contains("sinks:"), "{examples}");
    if let Err(e) = kubeward_audit::config::AuditConfig::parse("examples.yaml".into(), &examples) {
        panic!("starter config's examples: {e:?}\n{examples}");
    }

    let kc = docs(&p["audit-webhook.kubeconfig"]);
    assert_eq!(kc.len(), 1);
    assert_eq!(kc[0]["kind"], "Config");
    assert_eq!(
        kc[0]["clusters"][0]["cluster"]["server"],
        "https://10.96.0.250:443"
    );
    // The kubeconfig's key is the API server's, not the receiver's.
    assert_ne!(
        kc[0]["users"][0]["user"]["client-key-data"],
        secret["data"]["tls.key"]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. End to end: the kubeconfig's credentials against the real receiver

/// The files `kubeward audit serve` is started with, taken from the receiver's objects, and
/// the API server's side, taken from the kubeconfig.
struct Deployed {
    dir: tempfile::TempDir,
    server: String,
    ca_pem: String,
    client_cert: String,
    client_key: String,
}

fn deploy(args: &[&str]) -> Deployed {
    let p = parts(args);
    let dir = tempfile::tempdir().unwrap();
    let d = docs(&p["receiver.yaml"]);
    let secret = one(&d, "Secret");
    for (key, file) in [
        ("tls.crt", "tls.crt"),
        ("tls.key", "tls.key"),
        ("client-ca.crt", "client-ca.crt"),
    ] {
        std::fs::write(dir.path().join(file), b64decode_str(&secret["data"][key])).unwrap();
    }
    let config = one(&d, "ConfigMap");
    std::fs::write(
        dir.path().join("audit.yaml"),
        config["data"]["audit.yaml"].as_str().unwrap(),
    )
    .unwrap();
    let kc = docs(&p["audit-webhook.kubeconfig"]).remove(0);
    let cluster = &kc["clusters"][0]["cluster"];
    let user = &kc["users"][0]["user"];
    Deployed {
        dir,
        server: cluster["server"].as_str().unwrap().to_string(),
        ca_pem: b64text(&cluster["certificate-authority-data"]),
        client_cert: b64text(&user["client-certificate-data"]),
        client_key: b64text(&user["client-key-data"]),
    }
}

fn b64decode_str(v: &Value) -> Vec<u8> {
    b64decode(v.as_str().expect("a base64 string"))
}

/// `kubeward audit serve` on 127.0.0.1:0 with the deployed files, as the Deployment runs it.
fn start(d: &Deployed, output: &Path) -> Receiver {
    let f = d.dir.path();
    let mut cmd = kubeward();
    cmd.args(["audit", "serve", "--listen", "127.0.0.1:0"])
        .arg("--cert")
        .arg(f.join("tls.crt"))
        .arg("--key")
        .arg(f.join("tls.key"))
        .arg("--client-ca")
        .arg(f.join("client-ca.crt"))
        .arg("--queue-dir")
        .arg(f.join("queue"))
        .arg("--config")
        .arg(f.join("audit.yaml"))
        .arg("--output")
        .arg(output);
    spawn_receiver(cmd)
}

/// The host of the kubeconfig's `https://HOST:PORT/...` server.
fn host_of(server: &str) -> String {
    let rest = server.strip_prefix("https://").unwrap();
    let authority = rest.split('/').next().unwrap();
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap().to_string(),
        None => authority.split(':').next().unwrap().to_string(),
    }
}

/// One request to the receiver at `addr`, verifying its certificate for `server_name`
/// against `ca_pem`, optionally presenting a client certificate: the status code, or an error
/// (handshake refused, connection closed).
fn request(
    addr: &str,
    ca_pem: &str,
    server_name: &str,
    client: Option<(&str, &str)>,
    method: &str,
    body: &[u8],
) -> std::io::Result<u16> {
    let tls = Tls {
        ca_pem,
        server_name,
        client,
    };
    let path = if method == "GET" { "/healthz" } else { "/" };
    https_request(addr, &tls, method, path, "", body).map(|(code, _)| code)
}

/// An EventList holding one exec (KW701).
fn batch(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
        "items": [{
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
            "auditID": id, "stage": "ResponseStarted",
            "requestURI": "/api/v1/namespaces/prod/pods/web/exec?command=sh&container=app",
            "verb": "create",
            "user": {"username": "bob", "groups": ["system:authenticated"]},
            "sourceIPs": ["10.0.0.7"],
            "objectRef": {"resource": "pods", "namespace": "prod", "name": "web",
                          "apiVersion": "v1", "subresource": "exec"},
            "responseStatus": {"metadata": {}, "code": 101},
            "requestReceivedTimestamp": "2026-01-01T10:00:00.000000Z",
            "stageTimestamp": "2026-01-01T10:00:00.100000Z"
        }]
    }))
    .unwrap()
}

/// A client certificate from a CA the receiver does not trust.
fn intruder() -> (String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "other-ca");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kube-apiserver-audit");
    leaf.distinguished_name = dn;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn the_kubeconfig_reaches_the_receiver_over_mutual_tls() {
    // The default: the kubeconfig names the fixed ClusterIP. The receiver listens on
    // 127.0.0.1 here, and the client verifies the certificate for the ClusterIP, as the API
    // server does.
    let d = deploy(&[]);
    assert_eq!(d.server, "https://10.96.0.250:443");
    let name = host_of(&d.server);
    let work = tempfile::tempdir().unwrap();
    let output = work.path().join("alerts.jsonl");
    let r = start(&d, &output);
    let me = Some((d.client_cert.as_str(), d.client_key.as_str()));

    assert_eq!(
        request(&r.addr, &d.ca_pem, &name, me, "POST", &batch("e2e-1")).unwrap(),
        200
    );
    // The probes' endpoint needs no certificate; the Service's DNS name is in the certificate.
    for n in [
        "kubeward-audit.kubeward-system.svc",
        "kubeward-audit.kubeward-system.svc.cluster.local",
    ] {
        assert_eq!(
            request(&r.addr, &d.ca_pem, n, None, "GET", b"").unwrap(),
            200
        );
    }
    // A name the certificate does not hold fails verification: the checks above are real.
    assert!(request(&r.addr, &d.ca_pem, "other.example.com", None, "GET", b"").is_err());
    // No client certificate: refused.
    assert_eq!(
        request(&r.addr, &d.ca_pem, &name, None, "POST", &batch("e2e-2")).unwrap(),
        401
    );
    // A client certificate from another CA fails the handshake (or is refused).
    let (other_cert, other_key) = intruder();
    if let Ok(code) = request(
        &r.addr,
        &d.ca_pem,
        &name,
        Some((&other_cert, &other_key)),
        "POST",
        &batch("e2e-3"),
    ) {
        assert_eq!(code, 401);
    }

    // The accepted batch was processed: one KW701 alert, for it only.
    let t0 = Instant::now();
    let alerts = loop {
        let t = std::fs::read_to_string(&output).unwrap_or_default();
        if t.contains("KW701") || t0.elapsed() > Duration::from_secs(20) {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let ids: Vec<String> = alerts
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|a| a["code"] == "KW701")
        .flat_map(|a| {
            a["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["auditID"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, ["e2e-1"], "{alerts}");
}

#[test]
fn server_option_names_the_url_and_certifies_its_host() {
    let d = deploy(&["--server", "https://127.0.0.1:30443/audit"]);
    assert_eq!(d.server, "https://127.0.0.1:30443/audit");
    let work = tempfile::tempdir().unwrap();
    let r = start(&d, &work.path().join("alerts.jsonl"));
    let me = Some((d.client_cert.as_str(), d.client_key.as_str()));
    assert_eq!(
        request(
            &r.addr,
            &d.ca_pem,
            &host_of(&d.server),
            me,
            "POST",
            &batch("s-1")
        )
        .unwrap(),
        200
    );
    // Without --cluster-ip, --server leaves the ClusterIP to Kubernetes (not in the
    // certificate: verification for 10.96.0.250 fails).
    assert!(request(&r.addr, &d.ca_pem, "10.96.0.250", None, "GET", b"").is_err());
    let p = parts(&["--server", "https://lb.example.com"]);
    let svc = one(&docs(&p["receiver.yaml"]), "Service");
    assert!(svc["spec"].get("clusterIP").is_none(), "{svc}");
}

// ---------------------------------------------------------------------------------------------
// 3. The audit Policy

#[test]
fn the_policy_logs_what_the_detections_read_and_no_credentials() {
    let p = parts(&[]);
    let d = docs(&p["audit-policy.yaml"]);
    assert_eq!(d.len(), 1);
    let policy = &d[0];
    assert_eq!(policy["apiVersion"], "audit.k8s.io/v1");
    assert_eq!(policy["kind"], "Policy");
    assert_eq!(policy["omitStages"], serde_json::json!(["RequestReceived"]));
    let rules = policy["rules"].as_array().unwrap();
    // Structure: the first rule naming a resource decides its level (first match wins).
    let first_naming = |resource: &str| {
        rules
            .iter()
            .find(|r| {
                r["resources"].as_array().is_some_and(|gs| {
                    gs.iter().any(|g| {
                        g["resources"]
                            .as_array()
                            .is_some_and(|rs| rs.iter().any(|x| x == resource))
                    })
                })
            })
            .unwrap_or_else(|| panic!("no rule names {resource}"))
    };
    assert_eq!(first_naming("pods/exec")["level"], "RequestResponse");
    assert!(first_naming("pods/exec").get("verbs").is_none());
    assert_eq!(first_naming("secrets")["level"], "Metadata");
    assert!(first_naming("secrets").get("verbs").is_none());
    assert_eq!(first_naming("tokenreviews")["level"], "Metadata");
    assert_eq!(
        first_naming("clusterrolebindings")["level"],
        "RequestResponse"
    );
    assert_eq!(rules.last().unwrap()["level"], "Metadata");
    assert_eq!(rules.last().unwrap().as_object().unwrap().len(), 1);

    // Semantics, with the API server's matching (kubeward node's evaluator).
    let policy = Policy::parse("audit-policy.yaml", &p["audit-policy.yaml"]).unwrap();
    let level = |verb, group, resource, subresource| {
        policy
            .level(&Request {
                verb,
                group,
                resource,
                subresource,
                namespace: "prod",
            })
            .0
    };
    for (verb, group, res, sub, want) in [
        // Exec, attach, port-forward: the command is in the URI.
        ("create", "", "pods", "exec", L::RequestResponse),
        ("get", "", "pods", "exec", L::RequestResponse),
        ("create", "", "pods", "attach", L::RequestResponse),
        ("create", "", "pods", "portforward", L::RequestResponse),
        // Credentials never in the log.
        ("get", "", "secrets", "", L::Metadata),
        ("list", "", "secrets", "", L::Metadata),
        ("create", "", "secrets", "", L::Metadata),
        ("update", "", "configmaps", "", L::Metadata),
        (
            "create",
            "authentication.k8s.io",
            "tokenreviews",
            "",
            L::Metadata,
        ),
        ("create", "", "serviceaccounts", "token", L::Request),
        // Bodies of the writes the detections judge.
        ("create", "", "pods", "", L::Request),
        ("patch", "", "pods", "ephemeralcontainers", L::Request),
        ("create", "apps", "deployments", "", L::Request),
        ("patch", "apps", "deployments", "", L::Request),
        ("create", "apps", "daemonsets", "", L::Request),
        ("create", "batch", "cronjobs", "", L::Request),
        ("create", "", "services", "", L::Request),
        ("create", "networking.k8s.io", "ingresses", "", L::Request),
        (
            "create",
            "certificates.k8s.io",
            "certificatesigningrequests",
            "",
            L::Request,
        ),
        (
            "update",
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
            L::Request,
        ),
        (
            "create",
            "rbac.authorization.k8s.io",
            "clusterrolebindings",
            "",
            L::RequestResponse,
        ),
        (
            "patch",
            "rbac.authorization.k8s.io",
            "roles",
            "",
            L::RequestResponse,
        ),
        // Reads and deletions at Metadata; event deletions are audited, event noise is not.
        ("get", "", "pods", "", L::Metadata),
        ("delete", "apps", "deployments", "", L::Metadata),
        ("delete", "", "events", "", L::Metadata),
        (
            "deletecollection",
            "events.k8s.io",
            "events",
            "",
            L::Metadata,
        ),
        ("create", "", "events", "", L::None),
        ("update", "coordination.k8s.io", "leases", "", L::None),
        ("get", "", "nodes", "proxy", L::Metadata),
        ("create", "example.com", "widgets", "", L::Metadata),
    ] {
        assert_eq!(
            level(verb, group, res, sub),
            want,
            "{verb} {group}/{res}/{sub}"
        );
    }
    // CIS 3.2.2, as `kubeward node` judges it.
    let concerns = policy.concerns();
    assert!(concerns.iter().all(|c| c.ok), "{concerns:#?}");
}

// ---------------------------------------------------------------------------------------------
// 4. --out DIR

#[cfg(unix)]
#[test]
fn out_writes_the_three_files_with_private_modes() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("audit");
    let dir_s = dir.to_str().unwrap();
    let out = run(&["audit", "manifests", "--out", dir_s], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    for want in [
        "kubectl apply -f ",
        "receiver.yaml",
        "audit-webhook.kubeconfig",
        "audit-policy.yaml",
        "--audit-webhook-config-file=",
        "--audit-policy-file=",
        "/metrics",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
    let mode = |f: &str| std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("audit-webhook.kubeconfig"), 0o600);
    assert_eq!(mode("receiver.yaml"), 0o600, "it holds the serving key");
    assert_eq!(mode("audit-policy.yaml"), 0o644);
    let kc = std::fs::read_to_string(dir.join("audit-webhook.kubeconfig")).unwrap();
    assert_eq!(docs(&kc)[0]["kind"], "Config");
    let receiver = std::fs::read_to_string(dir.join("receiver.yaml")).unwrap();
    assert_eq!(docs(&receiver).len(), 9);
    let policy = std::fs::read_to_string(dir.join("audit-policy.yaml")).unwrap();
    assert_eq!(docs(&policy)[0]["kind"], "Policy");
    // The files belong together: a second run does not replace them.
    let again = run(&["audit", "manifests", "--out", dir_s], b"");
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("not overwriting"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("audit-webhook.kubeconfig")).unwrap(),
        kc
    );
}

// ---------------------------------------------------------------------------------------------
// Options

#[test]
fn bad_options_are_refused_and_every_option_is_documented() {
    for (args, want) in [
        (&["-n", "Not_A_Name"][..], "invalid namespace `Not_A_Name`"),
        (&["-n", "kube-system"][..], "Kubernetes' own"),
        (&["--name", "9lives"][..], "starts with a letter"),
        (&["--server", "http://10.0.0.5"][..], "invalid --server"),
        (
            &["--server", "https://a\n- injected: true"][..],
            "invalid --server",
        ),
        (&["--storage", "lots"][..], "invalid --storage"),
        (&["--storage", "100Mi"][..], "too small"),
        (
            &["--storage-class", "Fast SSD"][..],
            "invalid --storage-class",
        ),
        (&["--image", "a b"][..], "invalid image"),
    ] {
        let mut all = vec!["audit", "manifests"];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    let help = run(&["audit", "manifests", "--help"], b"");
    let h = text(&help.stdout);
    assert!(h.contains("kubeconfig"), "{h}");
    for opt in [
        "--namespace",
        "--name",
        "--image",
        "--cluster-ip",
        "--server",
        "--storage ",
        "--storage-class",
        "--out",
    ] {
        assert!(h.contains(opt), "{opt} in {h}");
    }
}
