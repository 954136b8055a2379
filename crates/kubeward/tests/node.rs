//! `kubeward node`, `kubeward node manifests` and `kubeward etcd` end to end: the fixture root
//! filesystems of kubeward-node and a real etcd (Debian's `etcd-server`; these tests fail when
//! it is missing).

#[path = "../../kubeward-node/tests/common/etcd_server.rs"]
mod etcd_server;
#[path = "../../kubeward-node/tests/common/fixture.rs"]
mod fixture;

use etcd_server::{Etcd, values};
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn kubeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(args)
        .output()
        .expect("run kubeward")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn node_exit_statuses_follow_the_results() {
    let hardened = fixture::materialize("control-plane");
    let root = hardened.path().to_str().unwrap();
    let o = kubeward(&["node", "--root", root]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("kubeward node: control-plane, etcd, worker · Kubernetes 1.32.1"),
        "{out}"
    );
    assert!(out.contains("[PASS] 1.2.6 "), "{out}");
    assert!(
        out.contains("97 checks: 90 pass, 0 fail, 4 warn, 3 info (cis-1.12)"),
        "{out}"
    );
    // Manual checks warn: --fail-on-warn counts them.
    let o = kubeward(&["node", "--root", root, "--fail-on-warn"]);
    assert_eq!(o.status.code(), Some(1));

    let bad = fixture::materialize("cp-always-allow");
    let o = kubeward(&["node", "--root", bad.path().to_str().unwrap(), "-f", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["schemaVersion"], "1");
    assert_eq!(j["summary"]["fail"], 4);
    let c = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "1.2.6")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert_eq!(
        c["observed"][0]["source"],
        "/etc/kubernetes/manifests/kube-apiserver.yaml:21"
    );

    let broken = fixture::materialize("cp-broken-manifest");
    let o = kubeward(&["node", "--root", broken.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("kubeward: error: /etc/kubernetes/manifests/kube-apiserver.yaml:"),
        "{}",
        stderr(&o)
    );

    let o = kubeward(&["node", "--root", "/nonexistent-kubeward"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--root /nonexistent-kubeward:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn node_benchmark_version_and_formats() {
    let worker = fixture::materialize("worker-read-only-port");
    let root = worker.path().to_str().unwrap();
    let o = kubeward(&[
        "node",
        "--root",
        root,
        "--benchmark",
        "cis-1.9",
        "-f",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["benchmark"], "cis-1.9");
    let ro = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "4.2.4")
        .unwrap();
    assert_eq!(
        ro["title"],
        "Verify that the --read-only-port argument is set to 0 (Manual)"
    );
    assert_eq!(ro["status"], "warn");
    assert_eq!(ro["severity"], "high");

    let o = kubeward(&[
        "node",
        "--root",
        root,
        "--k8s-version",
        "1.28",
        "-f",
        "sarif",
    ]);
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(s["runs"][0]["properties"]["benchmark"], "cis-1.10");
    let ids: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    // The read-only port, and (cis-1.10 wants 600 for CA files) the kubelet's client CA.
    assert_eq!(ids, ["KW610", "KW621"]);

    let o = kubeward(&["node", "--root", root, "--benchmark", "cis-1.7"]);
    assert_eq!(o.status.code(), Some(2));

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("report.json");
    let o = kubeward(&[
        "node",
        "--root",
        root,
        "-f",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).is_empty());
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(j["roles"], serde_json::json!(["worker"]));
}

#[test]
fn node_every_repeats_the_check() {
    let worker = fixture::materialize("worker");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args([
            "node",
            "--root",
            worker.path().to_str().unwrap(),
            "-f",
            "json",
            "--every",
            "1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        let line = lines.next().unwrap().unwrap();
        let j: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(j["summary"]["total"], 25);
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn node_manifests_pass_kubeward_itself() {
    let image = format!("ghcr.io/kubeward/kubeward@sha256:{}", "a".repeat(64));
    let o = kubeward(&["node", "manifests", "--image", &image]);
    assert_eq!(o.status.code(), Some(0));
    let yaml = stdout(&o);
    assert!(yaml.contains("hostPID: true"));
    assert!(yaml.contains("automountServiceAccountToken: false"));
    assert!(yaml.contains("node-role.kubernetes.io/control-plane"));
    assert!(yaml.contains(r#"args: ["node", "--root", "/host", "--proc", "/proc", "--format", "json", "--every", "6h"]"#));
    // Every host path is mounted read-only and explained.
    let mounts = yaml.matches("mountPath: \"/host").count();
    assert_eq!(mounts, 10);
    assert_eq!(yaml.matches("readOnly: true").count(), mounts);
    assert!(
        !yaml.contains("/var/lib/etcd"),
        "the etcd data dir is opt-in"
    );
    assert!(
        !yaml.contains("path: \"/var/lib/kubelet\""),
        "never all of /var/lib/kubelet"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let o = kubeward(&["scan", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("No findings."));

    let o = kubeward(&[
        "node",
        "manifests",
        "--job",
        "cp-1",
        "--etcd-data-dir",
        "/var/lib/etcd",
        "--extra-host-path",
        "/etc/sysconfig",
    ]);
    let yaml = stdout(&o);
    assert!(yaml.contains("kind: Job") && !yaml.contains("kind: DaemonSet"));
    assert!(yaml.contains("nodeName: \"cp-1\""));
    assert!(yaml.contains("exposes the etcd database"));
    assert!(yaml.contains("mountPath: \"/host/etc/sysconfig\""));
    assert!(!yaml.contains("--every"));

    let o = kubeward(&["node", "manifests", "--namespace", "Not_Valid"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid namespace"), "{}", stderr(&o));
}

const MARKER: &str = "CLI-SECRET-VALUE-MUST-NOT-LEAK";

#[test]
fn etcd_with_tls_and_client_certificates() {
    let etcd = Etcd::start_tls();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = etcd.client().await;
        c.put(
            "/registry/secrets/default/db-password",
            values::protobuf(MARKER),
            None,
        )
        .await
        .unwrap();
        c.put(
            "/registry/secrets/default/api",
            values::encrypted("kms:v2", "vault", MARKER, 200),
            None,
        )
        .await
        .unwrap();
        c.put(
            "/registry/secrets/kube-system/old",
            values::encrypted("aescbc:v1", "key1", MARKER, 200),
            None,
        )
        .await
        .unwrap();
    });
    let pki = etcd.pki.as_ref().unwrap();
    let (ca, cert, key) = (
        pki.ca.to_str().unwrap(),
        pki.client_cert.to_str().unwrap(),
        pki.client_key.to_str().unwrap(),
    );
    let o = kubeward(&[
        "etcd",
        "--endpoints",
        &etcd.url,
        "--cacert",
        ca,
        "--cert",
        cert,
        "--key",
        key,
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("no-client-certificate    refused"), "{out}");
    assert!(out.contains("foreign-ca-certificate   refused"), "{out}");
    assert!(
        out.contains("plain text       1 (1 protobuf, 0 JSON)"),
        "{out}"
    );
    assert!(out.contains("default/db-password"), "{out}");
    assert!(out.contains("KW633"), "{out}");
    assert!(out.contains("KW634"), "{out}");
    assert!(!out.contains(MARKER));

    let o = kubeward(&[
        "etcd",
        "--endpoints",
        &etcd.url,
        "--cacert",
        ca,
        "--cert",
        cert,
        "--key",
        key,
        "-f",
        "json",
    ]);
    let out = stdout(&o);
    assert!(!out.contains(MARKER));
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["secrets"]["total"], 3);
    assert_eq!(j["secrets"]["encrypted"]["kms v2"], 1);
    assert_eq!(
        j["secrets"]["plaintextNames"],
        serde_json::json!(["default/db-password"])
    );
    assert!(j["version"].as_str().unwrap().starts_with("3.4"));

    // A client certificate from another CA: refused, exit 2.
    let o = kubeward(&[
        "etcd",
        "--endpoints",
        &etcd.url,
        "--cacert",
        ca,
        "--cert",
        pki.other_cert.to_str().unwrap(),
        "--key",
        pki.other_key.to_str().unwrap(),
        "--skip-probes",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("kubeward: error:"), "{}", stderr(&o));
}

#[test]
fn etcd_over_plain_http_is_critical() {
    let etcd = Etcd::start_plain();
    let o = kubeward(&["etcd", "--endpoints", &etcd.url, "-f", "sarif"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "KW631");
    assert_eq!(results[0]["level"], "error");
}

#[test]
fn etcd_bad_flags() {
    let o = kubeward(&["etcd", "--endpoints", "https://127.0.0.1:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs --cacert"), "{}", stderr(&o));
    let o = kubeward(&["etcd", "--endpoints", "https://a:1,https://b:1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give one endpoint"), "{}", stderr(&o));
    let o = kubeward(&[
        "etcd",
        "--endpoints",
        "http://127.0.0.1:1",
        "--timeout",
        "soon",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
