//! `kubeward admission`: the binary end to end. `serve` as a real process behind real TLS,
//! `review` on standard input and files, and `manifests` checked by `kubeward scan` itself.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

const DIGEST: &str = "ghcr.io/kubeward/kubeward@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn kubeward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    c.env_remove("NO_COLOR");
    c
}

fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = kubeward()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs kubeward in `dir`; asserts it exits 2 and says `want` on standard error.
fn refused(dir: &Path, args: &[&str], stdin: &[u8], want: &str) {
    let out = run_in(dir, args, stdin);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(want), "`{want}` not in: {err}");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn review_json(uid: &str, namespace: &str, container_sc: serde_json::Value) -> String {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "web",
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": container_sc}]}
            },
            "dryRun": false
        }
    })
    .to_string()
}

#[test]
fn manifests_pass_kubewards_own_scan() {
    let dir = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--fail-closed"][..], &["--cert-manager"][..]] {
        let mut args = vec![
            "admission",
            "manifests",
            "--namespace",
            "kubeward-system",
            "--image",
            DIGEST,
        ];
        args.extend_from_slice(extra);
        let out = run_in(dir.path(), &args, b"");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // The real scan, default --fail-on (info): any finding would exit 1.
        let scan = run_in(dir.path(), &["scan", "-", "--no-config"], &out.stdout);
        assert_eq!(
            scan.status.code(),
            Some(0),
            "{extra:?}:\n{}{}",
            text(&scan.stdout),
            text(&scan.stderr)
        );
        assert!(text(&scan.stdout).contains("No findings."));
    }
    // The default image is a tag: KW502 says so, and nothing else does.
    let out = run_in(dir.path(), &["admission", "manifests"], b"");
    let scan = run_in(
        dir.path(),
        &["scan", "-", "--no-config", "--format", "json"],
        &out.stdout,
    );
    assert_eq!(scan.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KW502"]);
}

#[test]
fn manifests_refuse_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    refused(
        dir.path(),
        &["admission", "manifests", "-n", "Not_A_Name"],
        b"",
        "invalid namespace `Not_A_Name`",
    );
    let out = run_in(
        dir.path(),
        &["admission", "manifests", "-n", "kube-system"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn review_answers_offline_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = review_json("u-bad", "shop", serde_json::json!({"privileged": true}));
    let out = run_in(
        dir.path(),
        &["admission", "review", "--no-config"],
        bad.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["response"]["uid"], "u-bad");
    assert_eq!(v["response"]["allowed"], false);
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("KW101 privileged-container")
    );

    // The namespace's label, as the server would read it: privileged allows it.
    let out = run_in(
        dir.path(),
        &[
            "admission",
            "review",
            "--no-config",
            "--namespace-label",
            "kubeward.io/enforce=privileged",
        ],
        bad.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // From a file, with a config whose admission section only warns.
    std::fs::write(dir.path().join("review.json"), &bad).unwrap();
    std::fs::write(
        dir.path().join("kubeward.yaml"),
        "admission:\n  actions: {critical: warn, high: warn}\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["admission", "review", "review.json"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["response"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("KW101 "))
    );

    // Errors: exit 2 with a clear message, never a panic.
    refused(
        dir.path(),
        &["admission", "review", "--no-config"],
        b"{\"apiVersion\": 1",
        "not a valid AdmissionReview",
    );
    refused(
        dir.path(),
        &["admission", "review", "--no-config", "missing.json"],
        b"",
        "cannot read missing.json",
    );
    std::fs::write(
        dir.path().join("kubeward.yaml"),
        "admission:\n  defaultLevel: strict\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["admission", "review"], bad.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("kubeward.yaml:2:17: expected a level"),
        "{}",
        text(&out.stderr)
    );
    let out = run_in(
        dir.path(),
        &[
            "admission",
            "review",
            "--no-config",
            "--namespace-label",
            "oops",
        ],
        bad.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A TLS client trusting `ca_pem`, for one request.
async fn post(addr: std::net::SocketAddr, ca_pem: &str, path: &str, body: String) -> (u16, String) {
    use http_body_util::BodyExt;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let method = if body.is_empty() { "GET" } else { "POST" };
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(body)))
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, text(&body))
}

#[test]
fn serve_answers_over_tls_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let pki =
        kubeward_admission::pki::issue("test CA", &["localhost".into(), "127.0.0.1".into()], 1)
            .unwrap();
    std::fs::write(dir.path().join("tls.crt"), &pki.cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &pki.key_pem).unwrap();
    let mut child = kubeward()
        .args([
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            "tls.crt",
            "--key",
            "tls.key",
            "--offline",
            "--no-config",
            "--workers",
            "2",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the server exited before serving");
        }
        if let Some(rest) = line.split("serving https://").nth(1) {
            addr = rest
                .split('/')
                .next()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok());
        }
    }
    let addr = addr.unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (status, body) = post(
            addr,
            &pki.ca_pem,
            "/validate",
            review_json("cli-1", "shop", serde_json::json!({"privileged": true})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["response"]["uid"], "cli-1");
        assert_eq!(v["response"]["allowed"], false);
        let (status, body) = post(addr, &pki.ca_pem, "/healthz", String::new()).await;
        assert_eq!((status, body.as_str()), (200, "ok\n"));
    });
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut rest = String::new();
    for l in stderr.lines() {
        rest.push_str(&l.unwrap());
        rest.push('\n');
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(
        rest.contains("denied CREATE Pod shop/web (user alice): KW101 uid=cli-1"),
        "{rest}"
    );
    assert!(
        rest.contains("shutting down") && rest.contains("stopped"),
        "{rest}"
    );
}

#[test]
fn serve_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    refused(
        dir.path(),
        &[
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            "nope.crt",
            "--key",
            "nope.key",
            "--offline",
            "--no-config",
        ],
        b"",
        "serving certificate: cannot read nope.crt",
    );
    std::fs::write(dir.path().join("tls.crt"), "garbage").unwrap();
    std::fs::write(dir.path().join("tls.key"), "garbage").unwrap();
    refused(
        dir.path(),
        &[
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            "tls.crt",
            "--key",
            "tls.key",
            "--offline",
            "--no-config",
        ],
        b"",
        "tls.crt holds no PEM certificate",
    );
    // A kubeconfig named but unreadable: an error before serving, not a silent downgrade.
    let pki = kubeward_admission::pki::issue("test CA", &["localhost".into()], 1).unwrap();
    std::fs::write(dir.path().join("tls.crt"), &pki.cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &pki.key_pem).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "admission",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            "tls.crt",
            "--key",
            "tls.key",
            "--kubeconfig",
            "/nonexistent/kc",
            "--no-config",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot read kubeconfig /nonexistent/kc"),
        "{err}"
    );
    refused(
        dir.path(),
        &[
            "admission",
            "serve",
            "--cert",
            "a",
            "--key",
            "b",
            "--deadline",
            "soon",
        ],
        b"",
        "expected a duration like 2s or 500ms",
    );
}
