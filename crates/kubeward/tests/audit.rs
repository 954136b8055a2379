//! `kubeward audit ...` end to end: exit codes, formats, errors with file and line, the config,
//! and the HTML report rendered by a real headless Chromium (Debian's `chromium` package; the
//! test fails when it is missing).

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn kubeward() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
}

fn data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(
        p.join("audit").is_dir(),
        "the shared oracle data is missing: {}",
        p.display()
    );
    p
}

fn scenario() -> PathBuf {
    data().join("audit/real-apiserver/scenario-a.log")
}

fn run(args: &[&str]) -> Output {
    kubeward().args(args).output().expect("run kubeward")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn analyze_json_lists_the_alerts_and_exits_1() {
    let s = scenario();
    let o = run(&["audit", "analyze", "--format", "json", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schemaVersion"], 1);
    assert_eq!(v["stats"]["events"], 2316);
    assert_eq!(v["stats"]["requests"], 1132);
    let alerts = v["alerts"].as_array().unwrap();
    assert!(alerts.len() >= 40, "{}", alerts.len());
    // Every alert carries what an investigator needs.
    for a in alerts {
        for k in [
            "code",
            "name",
            "severity",
            "mitre",
            "identity",
            "object",
            "message",
            "firstSeen",
            "events",
            "count",
        ] {
            assert!(!a[k].is_null(), "alert without {k}: {a}");
        }
        assert!(a["mitre"][0]["technique"].is_string() && a["mitre"][0]["tactic"].is_string());
        let ev = &a["events"][0];
        assert!(
            ev["auditID"].is_string() && ev["time"].is_string() && ev["line"].is_u64(),
            "{ev}"
        );
    }
    let codes: Vec<&str> = alerts.iter().map(|a| a["code"].as_str().unwrap()).collect();
    for c in [
        "KW701", "KW703", "KW706", "KW720", "KW722", "KW726", "KW734", "KW735", "KW736",
    ] {
        assert!(codes.contains(&c), "{c} missing");
    }
}

#[test]
fn fail_on_thresholds() {
    let demo = data().join("audit/audit2rbac/demo.log");
    // audit2rbac's log: only low/medium alerts.
    let o = run(&[
        "audit",
        "analyze",
        "--fail-on",
        "high",
        demo.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(&[
        "audit",
        "analyze",
        "--fail-on",
        "low",
        demo.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let s = scenario();
    let o = run(&[
        "audit",
        "analyze",
        "--fail-on",
        "critical",
        s.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&[
        "audit",
        "analyze",
        "--fail-on",
        "never",
        s.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    // The table ends with a summary line.
    assert!(stdout(&o).contains("alerts (2 critical"), "{}", stdout(&o));
}

#[test]
fn bad_records_are_reported_with_file_and_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("audit.log");
    let lines = std::fs::read_to_string(scenario()).unwrap();
    let mut text = String::from("{\"kind\":\"Event\",\"verb\":\n");
    text.push_str(&lines);
    std::fs::write(&p, text).unwrap();
    let o = run(&["audit", "analyze", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "an error wins over alerts");
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:1: not a valid audit record", p.display())),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stats"]["badRecords"], 1);
    assert_eq!(v["stats"]["events"], 2316, "the rest was read");
    let o = run(&["audit", "analyze", "/nonexistent/audit.log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/audit.log: cannot open"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn standard_input_and_gzip() {
    let mut child = kubeward()
        .args(["audit", "analyze", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A rotated, gzip-compressed log piped in (gzip from the system, as logrotate makes it).
    let gz = Command::new("gzip")
        .arg("-c")
        .arg(scenario())
        .output()
        .expect("gzip");
    assert!(gz.status.success());
    child.stdin.take().unwrap().write_all(&gz.stdout).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stats"]["events"], 2316);
}

#[test]
fn config_allow_list_and_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("audit.yaml");
    std::fs::write(&cfg, "allow:\n  - rules: [KW701, KW703]\n    users: [kapi-admin]\n    namespaces: [prod]\n    reason: break-glass debugging of prod by the admin\nseverity:\n  KW704: high\n").unwrap();
    let s = scenario();
    let o = run(&[
        "audit",
        "analyze",
        "--format",
        "json",
        "--config",
        cfg.to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    assert!(
        !alerts
            .iter()
            .any(|a| a["code"] == "KW701" || a["code"] == "KW703")
    );
    assert!(
        alerts
            .iter()
            .any(|a| a["code"] == "KW704" && a["severity"] == "high")
    );
    std::fs::write(&cfg, "allow:\n  - rules: [KW799]\n    reason: x\nthresholds:\n  forbidden-burst: {count: zero}\n").unwrap();
    let o = run(&[
        "audit",
        "analyze",
        "--config",
        cfg.to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{}:2:13: unknown detection `KW799`",
            cfg.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:5:28: expected `count` to be a positive integer",
            cfg.display()
        )),
        "{err}"
    );
}

#[test]
fn report_table_and_json() {
    let s = scenario();
    let o = run(&["audit", "report", s.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "report exits 0 unless --fail-on is given"
    );
    let t = stdout(&o);
    for section in [
        "Alerts (",
        "Requests by kind of identity",
        "Requests by identity",
        "Requests by resource type",
        "Exec, attach, port-forward, logs, kubelet proxy: 3",
        "Secret reads (outside the control plane): 9",
        "Deletions (outside the control plane): 4",
        "RBAC changes (outside the control plane): 6",
        "Refused requests (401/403): 20",
        "Anonymous requests: 3",
        "Timeline (",
    ] {
        assert!(t.contains(section), "missing {section:?}");
    }
    let o = run(&["audit", "report", "--format", "json", s.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["totals"]["requests"], 1132);
    assert_eq!(v["totals"]["denied"], 20);
    assert_eq!(v["forbidden"]["total"], 20);
    assert_eq!(
        v["important"]["exec"]["items"][0]["detail"],
        "cat /host/etc/shadow"
    );
    let kinds: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["control-plane", "service-account", "anonymous", "person"]
    );
    // The ConfigMap's and Secret's values never reach the report.
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE") && !text.contains("wJalrXUtnFEMI"));
    let sum: u64 = v["timeline"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 1132);
}

#[test]
fn rules_and_explain() {
    let o = run(&["audit", "rules", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 51);
    // docs/audit.md lists every detection with its code, name and catalogue entry.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/audit.md"))
        .unwrap();
    for d in list {
        let row = format!(
            "| {} | `{}` | {} |",
            d["code"].as_str().unwrap(),
            d["name"].as_str().unwrap(),
            d["catalogue"].as_str().unwrap()
        );
        assert!(doc.contains(&row), "docs/audit.md lacks {row}");
    }
    let o = run(&["audit", "explain", "KW703"]);
    assert!(stdout(&o).contains("## How to respond"));
    let o = run(&["audit", "explain", "KW799"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// The HTML report in a real browser.

fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(c);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "headless Chromium is required for this test: install Debian's `chromium` package (apt-get install -y chromium)"
    );
}

/// Loads `page` in headless Chromium: the DOM after scripts ran, and every console message.
fn render(page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let console = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), console)
}

#[test]
fn the_console_check_catches_a_broken_page() {
    // The checker itself must be able to fail.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.html");
    std::fs::write(
        &p,
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let (_, console) = render(&p);
    assert!(
        console.iter().any(|l| l.contains("undefinedFunction")),
        "{console:?}"
    );
}

#[test]
fn html_report_renders_in_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let s = scenario();
    let o = run(&[
        "audit",
        "report",
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing to load from elsewhere, and a policy that forbids it anyway.
    for needle in ["<link", "<img", " src=", "@import", "url("] {
        assert!(
            !page.contains(needle),
            "external reference {needle:?} in the page"
        );
    }
    assert!(page.contains("default-src 'none'"));
    let (dom, console) = render(&html);
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The script ran: it marks the page ready and counted the visible alerts.
    assert!(
        dom.contains("data-report-ready=\"true\""),
        "the page's script did not run"
    );
    let alerts = run(&["audit", "analyze", "--format", "json", s.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&alerts.stdout).unwrap();
    let n = v["alerts"].as_array().unwrap().len();
    assert!(
        dom.contains(&format!("id=\"alerts-shown\">{n}</span>")),
        "alert count not rendered"
    );
    // The alert list shows every alert, with its code and message.
    assert_eq!(dom.matches("<tr class=\"alert\"").count(), n);
    for a in v["alerts"].as_array().unwrap() {
        let code = a["code"].as_str().unwrap();
        assert!(
            dom.contains(&format!("data-code=\"{code}\"")),
            "{code} not in the page"
        );
    }
    assert!(dom.contains("kapi-admin ran `cat /host/etc/shadow` in pod prod/node-shell"));
    // Charts are inline SVG.
    assert!(dom.matches("<svg role=\"img\"").count() >= 4);
}
