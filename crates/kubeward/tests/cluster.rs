//! The `kubeward` binary against a live (fixture) cluster: `scan --cluster`, `snapshot`, the
//! PolicyReport format, partial access and the one-line errors.

use kubeward_fixture_api::{FixtureConfig, FixtureServer, Identity};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubeward-cluster/tests/fixtures/cluster")
}

fn kubeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad json: {e}\n{}", String::from_utf8_lossy(&o.stdout)))
}

/// The fixture cluster and a kubeconfig file for `identity`.
fn cluster(cfg: FixtureConfig, identity: Identity) -> (FixtureServer, tempfile::TempDir, String) {
    let server = FixtureServer::start_blocking(cfg.path(fixtures())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, server.kubeconfig(identity)).unwrap();
    let path = path.to_str().unwrap().to_string();
    (server, dir, path)
}

/// (code, kind, namespace, name, path) of every finding of a JSON report.
fn findings(report: &serde_json::Value) -> Vec<(String, String, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&f["code"]),
                s(&f["object"]["kind"]),
                s(&f["object"]["namespace"]),
                s(&f["object"]["name"]),
                s(&f["path"]),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn scan_cluster_then_snapshot_then_scan_the_snapshot_offline() {
    let (server, dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    let live = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
    ]);
    assert_eq!(live.status.code(), Some(1), "{}", stderr(&live));
    let live = json(&live);
    assert!(!findings(&live).is_empty());
    assert_eq!(live["clusters"][0]["version"], "v1.26.5");
    assert_eq!(live["notVisible"], serde_json::json!([]));
    let first = &live["findings"][0];
    assert_eq!(first["location"]["line"], 0);
    assert!(first["object"]["uid"].is_string(), "{first}");
    assert!(
        first["location"]["file"]
            .as_str()
            .unwrap()
            .starts_with("cluster/")
    );

    let snapshot = dir.path().join("prod.snapshot.json");
    let snapshot = snapshot.to_str().unwrap();
    let saved = kubeward(&[
        "snapshot",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "-o",
        snapshot,
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    assert!(stderr(&saved).contains("requests"), "{}", stderr(&saved));
    drop(server);

    let offline = kubeward(&["scan", snapshot, "--format", "json"]);
    assert_eq!(offline.status.code(), Some(1), "{}", stderr(&offline));
    let offline = json(&offline);
    assert_eq!(findings(&offline), findings(&live));
    assert!(offline["findings"][0]["location"]["line"].as_u64().unwrap() > 0);

    // The table names the cluster and, for live objects, the uid and the field instead of a line.
    let (_server, _dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    let table = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("of cluster "), "{text}");
    assert!(text.contains(" uid "), "{text}");
    assert!(
        text.contains("    at /spec/template/spec/containers/0/securityContext/privileged"),
        "{text}"
    );
}

#[test]
fn policy_reports_for_kubectl_apply() {
    let (_server, _dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    let out = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "policyreport",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = json(&out);
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["metadata"]["namespace"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(kinds.contains(&("PolicyReport", "dev")), "{kinds:?}");
    assert!(kinds.contains(&("PolicyReport", "prod")), "{kinds:?}");
    assert!(kinds.contains(&("ClusterPolicyReport", "")), "{kinds:?}");
    for item in items {
        assert_eq!(item["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        for r in item["results"].as_array().unwrap() {
            assert!(r["resources"][0]["uid"].is_string(), "{r}");
        }
    }
}

#[test]
fn partial_access_is_reported_not_fatal() {
    let (_server, _dir, kubeconfig) = cluster(
        FixtureConfig::new()
            .token("alice-token", "alice", &["dev-team"])
            .forbid_cluster(Some("alice"), "secrets")
            .forbid_in(Some("alice"), "secrets", "prod"),
        Identity::Token("alice-token".into()),
    );
    let out = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("kubeward: warning: not visible: secrets in namespace prod (403 Forbidden)"),
        "{}",
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(report["summary"]["notVisible"], 1);
    assert_eq!(report["notVisible"][0]["resource"], "secrets");
    assert_eq!(report["notVisible"][0]["namespace"], "prod");

    let table = kubeward(&["scan", "--cluster", "--kubeconfig", &kubeconfig]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("Not visible"), "{text}");
    assert!(
        text.contains("secrets in namespace prod — 403 Forbidden"),
        "{text}"
    );
}

#[test]
fn cluster_errors_are_one_line_and_exit_2() {
    let (server, _dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    let wrong = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--context",
        "nope",
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    let err = stderr(&wrong);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kubeward: error: context `nope` is not in the kubeconfig"),
        "{err}"
    );

    let (_s2, _d2, bad) = cluster(FixtureConfig::new(), Identity::Token("stale".into()));
    let denied = kubeward(&["scan", "--cluster", "--kubeconfig", &bad]);
    assert_eq!(denied.status.code(), Some(2));
    let err = stderr(&denied);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("401 Unauthorized"), "{err}");

    drop(server);
    let gone = kubeward(&["scan", "--cluster", "--kubeconfig", &kubeconfig]);
    assert_eq!(gone.status.code(), Some(2));
    let err = stderr(&gone);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kubeward: error: cannot reach the API server at https://127.0.0.1:"),
        "{err}"
    );

    // No kubeconfig and not in a cluster.
    let none = kubeward(&["scan", "--cluster"]);
    assert_eq!(none.status.code(), Some(2));
    assert_eq!(stderr(&none).lines().count(), 1, "{}", stderr(&none));

    // Paths and --cluster do not mix; snapshot needs --cluster.
    assert_eq!(
        kubeward(&["scan", "--cluster", "x.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(kubeward(&["snapshot"]).status.code(), Some(2));
}

#[test]
fn install_manifests_pass_every_rule_when_the_image_is_pinned() {
    let digest = format!(
        "ghcr.io/kubeward/kubeward@sha256:{}",
        "0123456789abcdef".repeat(4)
    );
    let out = kubeward(&["install-manifests", "--image", &digest]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("install.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    let scan = kubeward(&["scan", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scan.stdout)
    );
    assert_eq!(json(&scan)["summary"]["findings"], 0);
}

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_only() {
    let (_server, _dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    let command = format!(
        "{} scan --cluster --kubeconfig {kubeconfig} --format json -o /dev/null",
        env!("CARGO_BIN_EXE_kubeward")
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("COLUMNS", "100")
        .output()
        .expect("`script` (util-linux) runs");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(tty.contains("collecting"), "{tty}");
    assert!(tty.contains("/25 kinds"), "{tty}");
    // Without a terminal: no bar, only the summary line.
    let plain = kubeward(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
    ]);
    let err = stderr(&plain);
    assert!(!err.contains("collecting"), "{err}");
    assert!(err.starts_with("kubeward: collected "), "{err}");
}

/// `kubeward netpol` reads a live cluster too: the prod namespace's default-deny policy
/// isolates its workloads, dev's are open.
#[test]
fn netpol_reads_the_live_cluster() {
    let (_server, _dir, kubeconfig) = cluster(FixtureConfig::new(), Identity::admin());
    let o = kubeward(&[
        "netpol",
        "exposure",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json(&o);
    let mut seen: Vec<(String, bool, bool)> = report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["workload"]["name"].as_str().unwrap().to_string(),
                w["ingress"]["protected"].as_bool().unwrap(),
                w["egress"]["protected"].as_bool().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("dev/web[Deployment]".to_string(), false, false),
            ("prod/backup[CronJob]".to_string(), true, true),
            ("prod/node-shell[Pod]".to_string(), true, true),
        ]
    );
    // Without `--cluster` or paths it is a usage error, not an empty analysis.
    let o = kubeward(&["netpol", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
