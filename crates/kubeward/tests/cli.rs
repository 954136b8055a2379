//! End-to-end tests of the `kubeward` binary: flags, exit codes, stdin, reports, errors.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn kubeward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeward"));
    c.env_remove("NO_COLOR");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    kubeward()
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = kubeward()
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad json: {e}\n{}", stdout(o)))
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: app\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n";

#[test]
fn insecure_example_fails_and_hardened_example_is_clean() {
    let o = run(&["scan", "--format", "json", "examples/insecure"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = json(&o);
    let found = codes(&report);
    for code in ["KW101", "KW301"] {
        assert!(
            found.iter().any(|c| c == code),
            "{code} missing from {found:?}"
        );
    }
    let o = run(&["scan", "--format", "json", "examples/hardened"]);
    let report = json(&o);
    assert_eq!(
        codes(&report),
        Vec::<String>::new(),
        "the hardened example must be clean: {}",
        serde_json::to_string_pretty(&report["findings"]).unwrap()
    );
    assert_eq!(o.status.code(), Some(0));
}

/// Attack paths are findings of `scan`; past `--paths-limit` they are skipped, and the reports
/// and standard error say so.
#[test]
fn attack_paths_in_scan_and_their_limit() {
    let o = run(&["scan", "--format", "json", "examples/insecure"]);
    let report = json(&o);
    let found = codes(&report);
    for code in ["KW230", "KW231"] {
        assert!(found.iter().any(|c| c == code), "{code} missing");
    }
    assert_eq!(report["skipped"], serde_json::json!([]));
    let o = run(&[
        "scan",
        "--format",
        "json",
        "--paths-limit",
        "3",
        "examples/insecure",
    ]);
    let report = json(&o);
    assert!(!codes(&report).iter().any(|c| c.starts_with("KW23")));
    let skipped = report["skipped"][0].as_str().unwrap();
    assert!(skipped.contains("more than 3 workloads"), "{skipped}");
    assert!(stderr(&o).contains("warning: attack paths (KW230-KW232) not computed"));
    let o = run(&["scan", "--paths-limit", "0", "examples/insecure"]);
    assert!(stdout(&o).contains("note: attack paths (KW230-KW232) not computed: turned off"));
}

#[test]
fn stdin_is_scanned_and_findings_point_at_lines() {
    let o = run_stdin(
        &["scan", "--format", "json", "--select", "KW101", "-"],
        PRIVILEGED,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = json(&o);
    let f = &report["findings"][0];
    assert_eq!(f["code"], "KW101");
    assert_eq!(f["location"]["file"], "-");
    assert_eq!(f["location"]["line"], 11);
    assert_eq!(f["path"], "/spec/containers/0/securityContext/privileged");
    assert_eq!(f["object"]["kind"], "Pod");
}

#[test]
fn fail_on_threshold_sets_the_exit_code() {
    // KW301 (NodePort) is medium.
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort}\n";
    let o = run_stdin(
        &["scan", "--select", "KW301", "--fail-on", "high", "-"],
        svc,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_stdin(
        &["scan", "--select", "KW301", "--fail-on", "medium", "-"],
        svc,
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_stdin(
        &["scan", "--select", "KW301", "--fail-on", "never", "-"],
        svc,
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn unknown_rule_codes_are_errors_not_empty_scans() {
    let o = run(&["scan", "--select", "KW999", "examples/insecure"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown rule code or name `KW999` in --select"),
        "{}",
        stderr(&o)
    );
    let o = run(&["scan", "--ignore", "KW1O1", "examples/insecure"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["explain", "KW999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn select_and_ignore_narrow_the_rules() {
    let o = run(&[
        "scan",
        "-f",
        "json",
        "--select",
        "KW1",
        "--ignore",
        "KW101",
        "examples/insecure",
    ]);
    let found = codes(&json(&o));
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|c| c.starts_with("KW1") && c != "KW101"),
        "{found:?}"
    );
}

#[test]
fn framework_restricts_rules() {
    let o = run(&[
        "scan",
        "-f",
        "json",
        "--framework",
        "pss-baseline",
        "examples/insecure",
    ]);
    let report = json(&o);
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["frameworks"]["pss"]["level"], "baseline", "{f}");
    }
    let o = run(&["scan", "--framework", "pci", "examples/insecure"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_bad_file_is_reported_and_the_others_are_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: [\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-binary.yaml"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .unwrap();
    std::fs::write(dir.path().join("c-good.yaml"), PRIVILEGED).unwrap();
    std::fs::write(dir.path().join("d-kind.yaml"), "apiVersion: v1\nkind: 0\n").unwrap();
    let o = run(&[
        "scan",
        "-f",
        "json",
        "--select",
        "KW101",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "errors make the exit status 2");
    let report = json(&o);
    assert_eq!(codes(&report), ["KW101"]);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let err = stderr(&o);
    assert!(err.contains("a-broken.yaml:4:"), "{err}");
    assert!(err.contains("b-binary.yaml:"), "{err}");
    assert!(
        err.contains("d-kind.yaml:2:7: expected `kind` to be a string"),
        "{err}"
    );
}

#[test]
fn missing_path_is_an_error() {
    let o = run(&["scan", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/dir"));
}

#[test]
fn output_file_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "sarif", "junit", "table"] {
        let out = dir.path().join(format!("report.{format}"));
        let o = run(&[
            "scan",
            "-f",
            format,
            "-o",
            out.to_str().unwrap(),
            "examples/insecure",
        ]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{format}: the report goes to the file");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("KW101"), "{format}");
    }
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn table_is_coloured_only_when_asked() {
    let o = run(&["scan", "--color", "always", "examples/insecure"]);
    assert!(stdout(&o).contains("\x1b["));
    let o = run(&["scan", "examples/insecure"]);
    assert!(!stdout(&o).contains("\x1b["), "not a terminal: no colour");
    assert!(stdout(&o).contains("KW101"));
}

#[test]
fn config_exceptions_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kubeward.yaml");
    std::fs::write(
        &cfg,
        "severity:\n  KW101: low\nexceptions:\n  - rule: KW101\n    namespace: app\n    name: p*\n    reason: test pod\n  - rule: KW101\n    namespace: other\n    reason: unused entry\n  - rule: KW101\n    namespace: app\n    reason: expired entry\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let o = run_stdin(
        &[
            "scan",
            "-f",
            "json",
            "--select",
            "KW101",
            "--config",
            cfg.to_str().unwrap(),
            "-",
        ],
        PRIVILEGED,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(codes(&json(&o)), Vec::<String>::new());
    let err = stderr(&o);
    assert!(err.contains("matched no finding"), "{err}");
    assert!(err.contains("expired on 2020-01-01"), "{err}");

    // One file configures the scan and the admission webhook: the scan ignores `admission:`.
    std::fs::write(
        &cfg,
        "admission:\n  defaultLevel: baseline\nseverity:\n  KW101: low\n",
    )
    .unwrap();
    let o = run_stdin(
        &[
            "scan",
            "-f",
            "json",
            "--select",
            "KW101",
            "--config",
            cfg.to_str().unwrap(),
            "-",
        ],
        PRIVILEGED,
    );
    assert_eq!(json(&o)["findings"][0]["severity"], "low");

    std::fs::write(&cfg, "exceptions:\n  - rule: KW101\n    reason: x\n    expires: tomorrow\n  - rules: [KW998]\n    reason: why\nsevrity: {}\n").unwrap();
    let o = run(&[
        "scan",
        "--config",
        cfg.to_str().unwrap(),
        "examples/insecure",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("kubeward.yaml:4:14: expected `expires` as YYYY-MM-DD"),
        "{err}"
    );
    assert!(
        err.contains("kubeward.yaml:5:13: unknown rule code or name `KW998`"),
        "{err}"
    );
    assert!(
        err.contains("kubeward.yaml:7:1: unknown key `sevrity`"),
        "{err}"
    );
}

#[test]
fn annotation_exceptions() {
    let annotated = PRIVILEGED.replace(
        "  namespace: app\n",
        "  namespace: app\n  annotations:\n    kubeward.io/ignore: KW101\n    kubeward.io/ignore-reason: break-glass debug pod\n",
    );
    let o = run_stdin(
        &["scan", "-f", "json", "--select", "KW101", "-"],
        &annotated,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["summary"]["suppressed"], 1);
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.contains("KW101") && text.contains("privileged-container"));
    let o = run(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rules.as_array().unwrap().len() >= 45, "at least 45 rules");
    let o = run(&["explain", "privileged-container"]);
    let text = stdout(&o);
    assert!(text.starts_with("KW101 privileged-container"));
    assert!(text.contains("## What it finds"));
}

#[test]
fn no_secret_value_is_ever_printed() {
    for format in ["table", "json", "sarif", "junit"] {
        let o = run(&["scan", "-f", format, "examples/insecure"]);
        let out = stdout(&o) + &stderr(&o);
        for secret in [
            "wJalrXUtnFEMI",
            "acme-db-pw-7731",
            "Sup3rS3cret",
            "s3ss10n-s3cr3t",
            "sk_live_EXAMPLE",
        ] {
            assert!(!out.contains(secret), "{format} output leaks {secret}");
        }
    }
}

/// `kubeward rules` lists the scan's rules and the node and etcd checks, each code once;
/// `explain` finds either kind.
#[test]
fn rules_list_includes_node_checks_once() {
    let o = run(&["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let list = json(&o);
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(codes, unique, "sorted, no code twice");
    for code in ["KW101", "KW230", "KW308", "KW610", "KW620", "KW630"] {
        assert!(codes.contains(&code), "{code} missing");
    }
    let o = run(&["explain", "KW620"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("KW620 kubelet-api-unauthenticated"));
    let o = run(&["explain", "KW699"]);
    assert_eq!(o.status.code(), Some(2));
}
