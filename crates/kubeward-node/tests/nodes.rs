//! `kubeward_node::check_node` on the fixture root filesystems (`tests/fixtures/nodes/`): the
//! expected result of every check on the hardened control plane and worker, and for each
//! misconfigured variant exactly which results change (everything else must stay as on its
//! base), with the sources the results name.

mod common;

use common::fixture::{materialize, variants};
use kubeward_core::Severity;
use kubeward_node::checks::CheckResult;
use kubeward_node::{Benchmark, NodeOptions, Report, Status, check_node};
use std::collections::BTreeMap;

fn run_with(name: &str, benchmark: Option<Benchmark>) -> Report {
    let root = materialize(name);
    check_node(&NodeOptions {
        root: root.path().to_path_buf(),
        benchmark,
        ..NodeOptions::default()
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(name: &str) -> Report {
    run_with(name, None)
}

fn statuses(r: &Report) -> BTreeMap<String, Status> {
    r.checks.iter().map(|c| (c.id.clone(), c.status)).collect()
}

fn check<'a>(r: &'a Report, id: &str) -> &'a CheckResult {
    r.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no result {id}"))
}

/// The first observed value's source, as text.
fn source(r: &Report, id: &str) -> String {
    check(r, id)
        .observed
        .first()
        .and_then(|o| o.source.as_ref())
        .map(ToString::to_string)
        .unwrap_or_default()
}

use Status::{Fail, Info, Pass, Warn};

/// The hardened control plane: everything passes but the checks that only a person can judge
/// (warn) and kube-proxy, which kubeadm runs from a ConfigMap (info).
fn control_plane_expected() -> BTreeMap<String, Status> {
    let mut m = BTreeMap::new();
    for item in kubeward_node::bench::items(Benchmark::Cis112) {
        m.insert(item.id, Pass);
    }
    for id in ["1.2.20", "3.1.1", "3.1.2", "3.1.3"] {
        m.insert(id.into(), Warn);
    }
    for id in ["4.1.3", "4.1.4", "4.3.1"] {
        m.insert(id.into(), Info);
    }
    m
}

fn worker_expected() -> BTreeMap<String, Status> {
    control_plane_expected()
        .into_iter()
        .filter(|(id, _)| id.starts_with('4'))
        .collect()
}

/// Asserts `r` is `base` with exactly these changes.
fn assert_delta(
    name: &str,
    r: &Report,
    base: &BTreeMap<String, Status>,
    changes: &[(&str, Status)],
) {
    let mut want = base.clone();
    for (id, st) in changes {
        assert!(
            want.contains_key(*id),
            "{name}: {id} is not a result of the base"
        );
        want.insert(id.to_string(), *st);
    }
    let got = statuses(r);
    let diff: Vec<String> = want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|id| want.get(*id) != got.get(*id))
        .map(|id| format!("{id}: want {:?}, got {:?}", want.get(id), got.get(id)))
        .collect();
    assert!(
        diff.is_empty(),
        "{name}:\n{}\n\n{}",
        diff.join("\n"),
        r.to_table()
    );
}

#[test]
fn hardened_control_plane() {
    let r = run("control-plane");
    assert_delta("control-plane", &r, &control_plane_expected(), &[]);
    assert_eq!(r.benchmark, Benchmark::Cis112);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.exit_code(false), 0);
    assert_eq!(r.exit_code(true), 1, "manual checks warn");
    let roles: Vec<&str> = r.roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["control-plane", "etcd", "worker"]);
    let v = r.kubernetes_version.as_ref().unwrap();
    assert_eq!(v.value, "1.32.1");
    assert_eq!(
        v.source.to_string(),
        "/etc/kubernetes/manifests/kube-apiserver.yaml:54"
    );
    // Sources: manifest lines, the kubelet's config file, etcd's environment.
    assert_eq!(
        source(&r, "1.2.1"),
        "/etc/kubernetes/manifests/kube-apiserver.yaml:15"
    );
    assert_eq!(
        source(&r, "1.3.7"),
        "/etc/kubernetes/manifests/kube-controller-manager.yaml:16"
    );
    assert_eq!(source(&r, "2.3"), "/etc/kubernetes/manifests/etcd.yaml:37");
    assert_eq!(source(&r, "4.2.1"), "/var/lib/kubelet/config.yaml:5");
    assert_eq!(source(&r, "4.2.2"), "/var/lib/kubelet/config.yaml:12");
    assert_eq!(
        source(&r, "1.1.11"),
        "/etc/kubernetes/manifests/etcd.yaml:16"
    );
    // File checks list what they looked at.
    let pki = check(&r, "1.1.21");
    assert_eq!(pki.reason, "11 PKI keys: all 600 or more restrictive");
    let units: Vec<&str> = check(&r, "4.1.1")
        .observed
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(
        units,
        [
            "/lib/systemd/system/kubelet.service",
            "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
        ]
    );
    // The encryption analysis and the audit policy.
    let enc = r.encryption.as_ref().unwrap();
    assert_eq!(enc.secrets.write_provider.as_deref(), Some("kms v2"));
    assert!(enc.configmaps.encrypted);
    let audit = r.audit_policy.as_ref().unwrap();
    assert!(audit.iter().all(|c| c.ok), "{audit:#?}");
    assert_eq!(audit.len(), 9);
}

#[test]
fn hardened_worker() {
    let r = run("worker");
    assert_delta("worker", &r, &worker_expected(), &[]);
    let roles: Vec<&str> = r.roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["worker"]);
    assert!(r.kubernetes_version.is_none());
    assert!(
        r.benchmark_reason.contains("not visible"),
        "{}",
        r.benchmark_reason
    );
    assert_eq!(r.exit_code(false), 0);
    let kubelet = r.components.iter().find(|c| c.name == "kubelet").unwrap();
    assert_eq!(kubelet.command_source, Some("unit"));
    assert_eq!(kubelet.config_files, ["/var/lib/kubelet/config.yaml"]);
    let cfg = kubelet.flags.iter().find(|f| f.name == "--config").unwrap();
    assert_eq!(
        cfg.source.to_string(),
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf:4"
    );
}

/// A variant, whether its base is the control plane (else the worker), and the results it
/// changes.
type Expectation = (&'static str, bool, Vec<(&'static str, Status)>);

/// Every variant, its base and the results it changes.
fn expectations() -> Vec<Expectation> {
    vec![
        (
            "cp-always-allow",
            true,
            vec![
                ("1.2.6", Fail),
                ("1.2.7", Fail),
                ("1.2.8", Fail),
                ("4.2.2", Fail),
            ],
        ),
        (
            "cp-anonymous-auth",
            true,
            vec![("1.2.1", Warn), ("4.2.1", Fail)],
        ),
        (
            "cp-broken-manifest",
            true,
            // The API server's manifest does not parse: its checks do not apply (an error
            // says why), etcd's CA can no longer be compared with the cluster's.
            std::iter::once(("1.1.1", Info))
                .chain(std::iter::once(("1.1.2", Info)))
                .chain(
                    kubeward_node::bench::items(Benchmark::Cis112)
                        .into_iter()
                        .filter(|i| i.id.starts_with("1.2.") || i.id.starts_with("3.2."))
                        .map(|i| (&*Box::leak(i.id.into_boxed_str()), Info)),
                )
                .collect(),
        ),
        (
            "cp-defaults",
            true,
            vec![
                ("1.2.15", Fail),
                ("1.2.29", Warn),
                ("1.3.2", Fail),
                ("1.3.3", Fail),
                ("1.3.7", Fail),
                ("1.4.2", Fail),
            ],
        ),
        ("cp-encryption-aescbc", true, vec![("1.2.28", Warn)]),
        ("cp-encryption-identity-first", true, vec![("1.2.28", Warn)]),
        (
            "cp-etcd-insecure",
            true,
            vec![
                ("1.1.11", Fail),
                ("1.1.12", Fail),
                ("2.2", Fail),
                ("2.3", Fail),
                ("2.7", Warn),
            ],
        ),
        (
            "cp-no-audit-log",
            true,
            vec![
                ("1.2.16", Fail),
                ("1.2.17", Fail),
                ("1.2.18", Fail),
                ("1.2.19", Fail),
                ("3.2.1", Warn),
                ("3.2.2", Warn),
            ],
        ),
        (
            "cp-no-encryption",
            true,
            vec![("1.2.27", Warn), ("1.2.28", Warn)],
        ),
        ("cp-structured-authz", true, vec![("1.2.6", Fail)]),
        (
            "cp-world-readable-pki",
            true,
            vec![
                ("1.1.13", Fail),
                ("1.1.19", Fail),
                ("1.1.20", Warn),
                ("1.1.21", Warn),
            ],
        ),
        (
            "worker-dropin-override",
            false,
            vec![
                ("4.2.1", Fail),
                ("4.2.2", Fail),
                ("4.2.4", Warn),
                ("4.2.10", Fail),
            ],
        ),
        (
            "worker-extra-args",
            false,
            vec![("4.2.4", Warn), ("4.2.6", Fail), ("4.2.7", Warn)],
        ),
        (
            "worker-no-config-file",
            false,
            vec![
                ("4.1.7", Info),
                ("4.1.8", Info),
                ("4.1.9", Info),
                ("4.1.10", Info),
                ("4.2.1", Fail),
                ("4.2.2", Fail),
                ("4.2.3", Fail),
                ("4.2.4", Warn),
                ("4.2.9", Warn),
                ("4.2.10", Fail),
                ("4.2.12", Warn),
                ("4.2.13", Warn),
                ("4.2.14", Warn),
            ],
        ),
        ("worker-read-only-port", false, vec![("4.2.4", Warn)]),
        ("worker-running-differs", false, vec![("4.2.1", Fail)]),
        ("worker-running-matches", false, vec![]),
    ]
}

#[test]
fn every_variant_has_its_expected_results() {
    let exp = expectations();
    let listed: Vec<&str> = exp.iter().map(|e| e.0).collect();
    let mut on_disk = variants();
    on_disk.retain(|v| v != "cp-kubernetes-1.26"); // its own test: another benchmark
    assert_eq!(
        listed, on_disk,
        "every fixture variant needs its expectations here"
    );
    for (name, control_plane, changes) in exp {
        let r = run(name);
        let base = if control_plane {
            control_plane_expected()
        } else {
            worker_expected()
        };
        assert_delta(name, &r, &base, &changes);
    }
}

#[test]
fn misconfigurations_name_their_source_and_severity() {
    let r = run("cp-anonymous-auth");
    assert_eq!(
        source(&r, "1.2.1"),
        "/etc/kubernetes/manifests/kube-apiserver.yaml:15"
    );
    assert_eq!(check(&r, "4.2.1").severity, Some(Severity::Critical));
    assert_eq!(check(&r, "4.2.1").code, "KW620");
    assert_eq!(r.exit_code(false), 1);

    let r = run("cp-structured-authz");
    assert_eq!(source(&r, "1.2.6"), "/etc/kubernetes/authz/config.yaml:4");
    assert_eq!(
        check(&r, "1.2.6").observed[0].value.as_deref(),
        Some("AlwaysAllow,Node,RBAC")
    );

    let r = run("cp-etcd-insecure");
    // --client-cert-auth removed: etcd's default (false), from no file.
    assert_eq!(source(&r, "2.2"), "default: etcd default");
    // --auto-tls comes from the container's environment (ETCD_AUTO_TLS).
    assert_eq!(source(&r, "2.3"), "/etc/kubernetes/manifests/etcd.yaml:36");
    assert!(check(&r, "1.1.12").details.is_empty());

    let r = run("cp-world-readable-pki");
    let keys = check(&r, "1.1.21");
    assert_eq!(keys.severity, Some(Severity::Critical));
    assert_eq!(keys.details.len(), 11);
    assert!(
        check(&r, "1.1.19").details[0]
            .contains("/etc/kubernetes/pki/etcd: owned by nobody:nogroup")
    );

    let r = run("cp-encryption-aescbc");
    let enc = check(&r, "1.2.28");
    // Weak provider (medium) and key material readable by others (high): the higher wins.
    assert_eq!(enc.severity, Some(Severity::High));
    assert!(
        enc.details.iter().any(|d| d.contains("rates weak")),
        "{:?}",
        enc.details
    );
    assert!(
        enc.details
            .iter()
            .any(|d| d.contains("permissions are 644")),
        "{:?}",
        enc.details
    );

    let r = run("cp-encryption-identity-first");
    let enc = check(&r, "1.2.28");
    assert_eq!(enc.severity, Some(Severity::High));
    assert_eq!(enc.reason, "new Secrets are stored in plain text");
    assert_eq!(
        source(&r, "1.2.28"),
        "/etc/kubernetes/enc/encryption-config.yaml:6"
    );

    let r = run("cp-defaults");
    // kube-bench passes an absent --bind-address; its default is 0.0.0.0.
    assert_eq!(source(&r, "1.3.7"), "default: component default");
    assert_eq!(
        check(&r, "1.3.7").observed[0].value.as_deref(),
        Some("0.0.0.0")
    );
    // An absent --service-account-lookup is true by default: pass.
    assert_eq!(check(&r, "1.2.21").status, Pass);

    let r = run("worker-read-only-port");
    assert_eq!(check(&r, "4.2.4").severity, Some(Severity::High));
    assert_eq!(source(&r, "4.2.4"), "/var/lib/kubelet/config.yaml:23");
    // A manual recommendation: warn, so the exit status stays 0 unless warnings count.
    assert_eq!(r.exit_code(false), 0);
    assert_eq!(r.exit_code(true), 1);
}

#[test]
fn the_config_file_the_kubelet_actually_uses_is_read() {
    // A later drop-in points --config elsewhere: that file is judged, not the (hardened)
    // /var/lib/kubelet/config.yaml a first-match tool would read.
    let r = run("worker-dropin-override");
    assert_eq!(
        source(&r, "4.2.1"),
        "/etc/kubernetes/kubelet/custom-config.yaml:5"
    );
    assert_eq!(
        source(&r, "4.2.2"),
        "/etc/kubernetes/kubelet/custom-config.yaml:9"
    );
    let kubelet = r.components.iter().find(|c| c.name == "kubelet").unwrap();
    assert_eq!(
        kubelet.config_files,
        ["/etc/kubernetes/kubelet/custom-config.yaml"]
    );
    let cfg = kubelet.flags.iter().find(|f| f.name == "--config").unwrap();
    assert_eq!(
        cfg.source.to_string(),
        "/etc/systemd/system/kubelet.service.d/20-override.conf:2"
    );
    let units: Vec<&str> = check(&r, "4.1.1")
        .observed
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(units.len(), 3);
    assert_eq!(
        units[2],
        "/etc/systemd/system/kubelet.service.d/20-override.conf"
    );
    let files: Vec<&str> = check(&r, "4.1.9")
        .observed
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(files, ["/etc/kubernetes/kubelet/custom-config.yaml"]);

    // KUBELET_EXTRA_ARGS override the config file; the result says so.
    let r = run("worker-extra-args");
    let ro = check(&r, "4.2.4");
    assert_eq!(source(&r, "4.2.4"), "/etc/default/kubelet:1");
    assert_eq!(
        ro.details,
        [
            "--read-only-port=10255 (/etc/default/kubelet:1) overrides readOnlyPort: 0 (/var/lib/kubelet/config.yaml:23)"
        ]
    );

    // Without --config the legacy flag defaults apply.
    let r = run("worker-no-config-file");
    assert_eq!(
        source(&r, "4.2.1"),
        "default: kubelet flag default (no --config file)"
    );
    assert_eq!(
        check(&r, "4.2.2").observed[0].value.as_deref(),
        Some("AlwaysAllow")
    );
}

#[test]
fn running_processes_are_the_truth() {
    let r = run("worker-running-matches");
    let kubelet = r.components.iter().find(|c| c.name == "kubelet").unwrap();
    assert_eq!(kubelet.command_source, Some("unit+process"));
    assert_eq!(kubelet.pid, Some(812));
    // Same command line: the sources stay the unit's lines.
    assert_eq!(source(&r, "4.2.1"), "/var/lib/kubelet/config.yaml:5");
    assert!(r.notes.is_empty(), "{:?}", r.notes);

    let r = run("worker-running-differs");
    assert_eq!(source(&r, "4.2.1"), "/proc/812/cmdline (argument 6)");
    assert!(
        r.notes.iter().any(|n| n.contains("pid 812")),
        "{:?}",
        r.notes
    );
    let kubelet = r.components.iter().find(|c| c.name == "kubelet").unwrap();
    assert_eq!(kubelet.command_source, Some("process"));
}

#[test]
fn a_broken_manifest_is_an_error_with_its_position() {
    let r = run("cp-broken-manifest");
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let e = &r.errors[0];
    assert_eq!(e.file, "/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert!(e.line >= 54, "{e}");
    assert!(e.message.starts_with("invalid YAML"), "{e}");
    assert_eq!(r.exit_code(false), 2);
    // The version still comes from another control-plane image.
    assert_eq!(
        r.kubernetes_version.as_ref().unwrap().source.to_string(),
        "/etc/kubernetes/manifests/kube-controller-manager.yaml:31"
    );
}

#[test]
fn the_benchmark_follows_the_kubernetes_version() {
    let r = run("cp-kubernetes-1.26");
    assert_eq!(r.benchmark, Benchmark::Cis18);
    assert!(
        r.benchmark_reason.contains("Kubernetes 1.26"),
        "{}",
        r.benchmark_reason
    );
    let ids: Vec<&str> = r.checks.iter().map(|c| c.id.as_str()).collect();
    let want: Vec<String> = kubeward_node::bench::items(Benchmark::Cis18)
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, want);
    // cis-1.8 numbers SecurityContextDeny 1.2.12, and the later API server checks one higher.
    assert_eq!(
        check(&r, "1.2.12").title,
        "Ensure that the admission control plugin SecurityContextDeny is set if PodSecurityPolicy is not used (Manual)"
    );
    assert_eq!(check(&r, "1.2.12").status, Warn);
    assert_eq!(
        check(&r, "1.2.13").title,
        "Ensure that the admission control plugin ServiceAccount is set (Automated)"
    );
    assert_eq!(
        check(&r, "1.2.30").title,
        "Ensure that the API Server only makes use of Strong Cryptographic Ciphers (Manual)"
    );
    // Certificates: 600 in cis-1.8 (644 from cis-1.11).
    assert_eq!(check(&r, "1.1.20").status, Warn);
    assert_eq!(check(&r, "4.1.7").status, Warn);
    assert!(!ids.contains(&"4.3.1") && !ids.contains(&"4.2.14"));

    // --benchmark wins over the version.
    let r = run_with("control-plane", Some(Benchmark::Cis111));
    assert_eq!(r.benchmark, Benchmark::Cis111);
    assert_eq!(r.benchmark_reason, "chosen with --benchmark");
    assert_eq!(check(&r, "4.2.15").status, Warn);
}

#[test]
fn outputs_never_hold_key_material_or_credentials() {
    for name in [
        "cp-encryption-identity-first",
        "cp-encryption-aescbc",
        "control-plane",
    ] {
        let r = run(name);
        for out in [
            r.to_json().to_string(),
            r.to_table(),
            r.to_sarif().to_string(),
        ] {
            for secret in [
                "S0VZLU1BVEVSSUFM",
                "KEY-MATERIAL",
                "FIXTURE-TOKEN-VALUE",
                "FIXTURE-NOT-A-REAL-KEY",
                "not a real key",
            ] {
                assert!(!out.contains(secret), "{name}: `{secret}` in an output");
            }
        }
    }
    // The etcd token flag is listed, redacted.
    let r = run("control-plane");
    let etcd = r.components.iter().find(|c| c.name == "etcd").unwrap();
    let tok = etcd
        .flags
        .iter()
        .find(|f| f.name == "--initial-cluster-token")
        .unwrap();
    assert_eq!(tok.value, "<redacted>");
}

#[test]
fn json_output_has_its_documented_shape() {
    let r = run("cp-always-allow");
    let j = r.to_json();
    assert_eq!(j["schemaVersion"], "1");
    assert_eq!(j["tool"]["name"], "kubeward");
    assert_eq!(j["benchmark"], "cis-1.12");
    assert_eq!(
        j["roles"],
        serde_json::json!(["control-plane", "etcd", "worker"])
    );
    assert_eq!(j["summary"]["fail"], 4);
    assert_eq!(j["summary"]["total"], 97);
    let c = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "1.2.6")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert_eq!(c["code"], "KW612");
    assert_eq!(c["rule"], "api-server-authorization-weak");
    assert_eq!(c["severity"], "critical");
    assert_eq!(c["automated"], true);
    assert_eq!(c["group"], "API Server");
    assert_eq!(c["observed"][0]["name"], "--authorization-mode");
    assert_eq!(c["observed"][0]["value"], "AlwaysAllow");
    assert_eq!(
        c["observed"][0]["source"],
        "/etc/kubernetes/manifests/kube-apiserver.yaml:21"
    );
    let pass = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "1.2.2")
        .unwrap();
    assert_eq!(pass["severity"], serde_json::Value::Null);
    assert!(j["encryption"]["secrets"]["encrypted"].as_bool().unwrap());
    assert!(j["errors"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let schema_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kubeward-report/tests/data/sarif-schema-2.1.0.json"
    ))
    .expect("the SARIF 2.1.0 schema (kubeward-report's test data)");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for name in ["cp-always-allow", "worker-no-config-file", "control-plane"] {
        let sarif = run(name).to_sarif();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    let sarif = run("cp-always-allow").to_sarif();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["properties"]["cisId"] == "1.2.6")
        .unwrap();
    assert_eq!(r["ruleId"], "KW612");
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///etc/kubernetes/manifests/kube-apiserver.yaml"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        21
    );
}

#[test]
fn bad_roots_are_errors() {
    let e = check_node(&NodeOptions {
        root: "/nonexistent/kubeward-root".into(),
        ..NodeOptions::default()
    })
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("--root /nonexistent/kubeward-root:"),
        "{e}"
    );
    let empty = tempfile::tempdir().unwrap();
    let e = check_node(&NodeOptions {
        root: empty.path().to_path_buf(),
        ..NodeOptions::default()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("nothing to check under"), "{e}");
}

#[test]
fn the_kubernetes_version_flag_chooses_the_benchmark_on_workers() {
    let root = materialize("worker");
    let r = check_node(&NodeOptions {
        root: root.path().to_path_buf(),
        kubernetes_version: Some("v1.29.4".into()),
        ..NodeOptions::default()
    })
    .unwrap();
    assert_eq!(r.benchmark, Benchmark::Cis111);
    let e = check_node(&NodeOptions {
        root: root.path().to_path_buf(),
        kubernetes_version: Some("one.thirty".into()),
        ..NodeOptions::default()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid Kubernetes version `one.thirty` (from --kubernetes-version): expected MAJOR.MINOR[.PATCH], e.g. 1.30"
    );
}

/// Garbage in every configuration file the check reads: errors (with the file), never a panic.
#[test]
fn mangled_configuration_never_panics() {
    let files = [
        "etc/kubernetes/manifests/kube-apiserver.yaml",
        "etc/kubernetes/manifests/etcd.yaml",
        "var/lib/kubelet/config.yaml",
        "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "var/lib/kubelet/kubeadm-flags.env",
        "etc/kubernetes/enc/encryption-config.yaml",
        "etc/kubernetes/audit/policy.yaml",
        "etc/passwd",
    ];
    let root = materialize("control-plane");
    let originals: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(root.path().join(f)).unwrap())
        .collect();
    let mut seed: u32 = 12345;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for (f, orig) in files.iter().zip(&originals) {
        let mut mutations: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\xff\xfe\x00binary".to_vec(),
            b"[[[[".to_vec(),
            b"kind: [1, 2]\n".to_vec(),
            b"apiVersion: v1\nkind: Pod\nspec:\n  containers: 7\n".to_vec(),
            b"- a\n- b\n".to_vec(),
        ];
        for _ in 0..12 {
            let cut = (next() as usize) % (orig.len() + 1);
            mutations.push(orig[..cut].to_vec());
            let mut flipped = orig.clone();
            if !flipped.is_empty() {
                let at = (next() as usize) % flipped.len();
                let specials = b"\"'[{:-\n\t#&*!|>%@`";
                flipped[at] = specials[(next() as usize) % specials.len()];
            }
            mutations.push(flipped);
        }
        for m in mutations {
            std::fs::write(root.path().join(f), &m).unwrap();
            let result = std::panic::catch_unwind(|| {
                check_node(&NodeOptions {
                    root: root.path().to_path_buf(),
                    ..NodeOptions::default()
                })
            });
            let result = result.unwrap_or_else(|_| {
                panic!("panic with mangled {f}: {:?}", String::from_utf8_lossy(&m))
            });
            if let Ok(r) = result {
                for e in &r.errors {
                    assert!(e.file.starts_with('/'), "{e}");
                }
                let _ = (r.to_table(), r.to_json(), r.to_sarif());
            }
        }
        std::fs::write(root.path().join(f), orig).unwrap();
    }
}
