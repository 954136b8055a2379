//! `kubeward netpol list | reach | matrix | exposure` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {tier: front}}
---
apiVersion: v1
kind: Namespace
metadata: {name: db}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: web}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
      - name: app
        image: registry.example/frontend@sha256:1
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: web}
spec:
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: app, image: registry.example/legacy@sha256:2}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: db}
spec:
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
      - name: pg
        image: registry.example/postgres@sha256:3
        ports: [{name: pg, containerPort: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-frontend, namespace: db}
spec:
  podSelector: {matchLabels: {app: postgres}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {tier: front}}
      podSelector: {matchLabels: {app: frontend}}
    ports: [{port: pg}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend, namespace: web}
spec:
  podSelector: {matchLabels: {app: frontend}}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
    ports: [{port: http}]
  egress:
  - to:
    - namespaceSelector: {}
      podSelector: {matchLabels: {app: postgres}}
    ports: [{port: 5432}]
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
    ports: [{port: 443}, {port: 80}]
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn fixture(text: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cluster.yaml");
    std::fs::write(&path, text).expect("write");
    Fixture { _dir: dir, path }
}

fn kubeward(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .arg("netpol")
        .args(args)
        .arg(path)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    stdout(o)
}

#[test]
fn list_shows_every_allowed_connection() {
    let f = fixture(CLUSTER);
    let t = ok(&kubeward(&["list"], &f.path));
    let lines: Vec<Vec<&str>> = t
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .collect();
    let has = |s: &str, d: &str, c: &str| lines.iter().any(|l| l.as_slice() == [s, d, c]);
    assert!(
        has(
            "web/frontend[Deployment]",
            "db/postgres[StatefulSet]",
            "TCP 5432"
        ),
        "{t}"
    );
    assert!(
        has(
            "0.0.0.0-9.255.255.255[External]",
            "web/frontend[Deployment]",
            "TCP 8080"
        ),
        "{t}"
    );
    assert!(
        has(
            "11.0.0.0-255.255.255.255[External]",
            "web/frontend[Deployment]",
            "TCP 8080"
        ),
        "{t}"
    );
    assert!(
        has(
            "web/frontend[Deployment]",
            "0.0.0.0-255.255.255.255[External]",
            "TCP 80,443"
        ),
        "{t}"
    );
    // legacy is unprotected both ways, but frontend only accepts addresses, and only sends to
    // postgres and to addresses: nothing between the two.
    let pair = |s: &str, d: &str| {
        lines
            .iter()
            .any(|l| l.first() == Some(&s) && l.get(1) == Some(&d))
    };
    assert!(
        !pair("web/legacy[Deployment]", "web/frontend[Deployment]"),
        "{t}"
    );
    assert!(
        !pair("web/frontend[Deployment]", "web/legacy[Deployment]"),
        "{t}"
    );
    // postgres accepts only frontend, though legacy may send anywhere.
    assert!(
        !pair("web/legacy[Deployment]", "db/postgres[StatefulSet]"),
        "{t}"
    );
    assert!(
        has(
            "0.0.0.0-9.255.255.255[External]",
            "web/legacy[Deployment]",
            "All Connections"
        ),
        "{t}"
    );
    // postgres may send nothing (default deny egress) and receives only from frontend.
    assert!(!t.lines().any(|l| l.starts_with("db/postgres")), "{t}");
    assert!(
        !t.contains("10.0.0.0-10.255.255.255[External]  web/frontend"),
        "{t}"
    );
    assert!(t.contains("allowed connections between 3 workloads"), "{t}");

    let j: serde_json::Value =
        serde_json::from_str(&ok(&kubeward(&["list", "-f", "json"], &f.path))).unwrap();
    assert_eq!(j["schemaVersion"], 1);
    let conns = j["connections"].as_array().unwrap();
    let pg = conns
        .iter()
        .find(|c| {
            c["src"]["name"] == "web/frontend[Deployment]"
                && c["dst"]["name"] == "db/postgres[StatefulSet]"
        })
        .expect("frontend -> postgres");
    assert_eq!(pg["conn"], "TCP 5432");
    assert_eq!(pg["ports"]["TCP"], serde_json::json!([[5432, 5432]]));
    assert_eq!(pg["dst"]["namespace"], "db");
    let ext = conns.iter().find(|c| c["src"]["external"] == true).unwrap();
    assert!(ext["src"]["first"].is_string());

    let csv = ok(&kubeward(&["list", "-f", "csv"], &f.path));
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("src,dst,conn"));
    assert!(
        csv.lines()
            .any(|l| l
                == "web/frontend[Deployment],0.0.0.0-255.255.255.255[External],\"TCP 80,443\""),
        "{csv}"
    );
    assert_eq!(csv.lines().count() - 1, conns.len());
}

#[test]
fn reach_answers_yes_or_no_and_names_the_policies() {
    let f = fixture(CLUSTER);
    let out = kubeward(
        &[
            "reach",
            "--from",
            "web/frontend",
            "--to",
            "db/postgres",
            "--port",
            "5432/TCP",
        ],
        &f.path,
    );
    let t = ok(&out);
    assert!(
        t.starts_with("yes: web/frontend[Deployment] -> db/postgres[StatefulSet] on 5432/TCP"),
        "{t}"
    );
    assert!(
        t.contains("web/frontend egress rule #1 allows TCP 5432"),
        "{t}"
    );
    assert!(
        t.contains("selected by db/default-deny, db/allow-frontend"),
        "{t}"
    );
    assert!(
        t.contains("db/allow-frontend ingress rule #1 allows TCP 5432"),
        "{t}"
    );

    // Another port: denied on both sides, and the policies that isolate are named.
    let out = kubeward(
        &[
            "reach",
            "--from",
            "web/frontend",
            "--to",
            "db/StatefulSet/postgres",
            "--port",
            "22",
        ],
        &f.path,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let t = stdout(&out);
    assert!(
        t.starts_with("no: web/frontend[Deployment] -> db/postgres[StatefulSet] on 22/TCP"),
        "{t}"
    );
    assert!(
        t.contains("egress from web/frontend[Deployment]: denied"),
        "{t}"
    );
    assert!(
        t.contains("ingress to db/postgres[StatefulSet]: denied"),
        "{t}"
    );
    assert!(
        t.contains("selected by db/default-deny, db/allow-frontend"),
        "{t}"
    );
    assert!(
        t.contains("no rule of these policies allows 22/TCP from web/frontend[Deployment]"),
        "{t}"
    );

    // An unprotected source and a selected destination.
    let out = kubeward(
        &["reach", "--from", "web/legacy", "--to", "db/postgres"],
        &f.path,
    );
    assert_eq!(out.status.code(), Some(1));
    let t = stdout(&out);
    assert!(
        t.contains("no NetworkPolicy selects it for Egress: not isolated"),
        "{t}"
    );

    // From an address: the ipBlock except applies.
    let t = ok(&kubeward(
        &[
            "reach",
            "--from",
            "203.0.113.9",
            "--to",
            "web/frontend",
            "--port",
            "8080",
        ],
        &f.path,
    ));
    assert!(
        t.contains("the source is an external address: no policy applies"),
        "{t}"
    );
    let out = kubeward(
        &[
            "reach",
            "--from",
            "10.1.2.3",
            "--to",
            "web/frontend",
            "--port",
            "8080",
        ],
        &f.path,
    );
    assert_eq!(out.status.code(), Some(1));

    let j: serde_json::Value = serde_json::from_str(&ok(&kubeward(
        &[
            "reach",
            "--from",
            "web/frontend",
            "--to",
            "db/postgres",
            "--port",
            "5432/tcp",
            "-f",
            "json",
        ],
        &f.path,
    )))
    .unwrap();
    assert_eq!(j["allowed"], true);
    assert_eq!(
        j["ingress"]["selectedBy"],
        serde_json::json!(["db/default-deny", "db/allow-frontend"])
    );
    assert_eq!(j["ingress"]["rules"][0]["pointer"], "/spec/ingress/0");
    assert_eq!(j["egress"]["rules"][0]["policy"], "web/frontend");

    // Bad questions are errors (exit 2) that say what was expected.
    let out = kubeward(
        &["reach", "--from", "web/nope", "--to", "db/postgres"],
        &f.path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no workload `web/nope`"),
        "{}",
        stderr(&out)
    );
    let out = kubeward(
        &[
            "reach",
            "--from",
            "web/frontend",
            "--to",
            "db/postgres",
            "--port",
            "http/TCP",
        ],
        &f.path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected a port number"),
        "{}",
        stderr(&out)
    );
}

/// A small XML well-formedness check: every tag closed in order, attributes quoted.
fn assert_well_formed(html: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("tag closed with >");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> without an opening tag"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if name == "style" {
            let close = rest.find("</style>").expect("</style>");
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[test]
fn matrix_in_every_format() {
    let f = fixture(CLUSTER);
    let t = ok(&kubeward(&["matrix"], &f.path));
    let row = |name: &str| {
        t.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}: {t}"))
            .to_string()
    };
    // Columns: 1 postgres, 2 frontend, 3 legacy, 4 0.0.0.0/0 (destination).
    assert!(t.contains("\n  1  db/postgres[StatefulSet]\n"), "{t}");
    assert_eq!(
        row("db/postgres[StatefulSet]")
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>(),
        ["-", ".", ".", "."]
    );
    assert_eq!(
        row("web/frontend[Deployment]")
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>(),
        ["P", "-", ".", "P"]
    );
    assert_eq!(
        row("web/legacy[Deployment]")
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>(),
        [".", ".", "-", "A"]
    );

    let j: serde_json::Value =
        serde_json::from_str(&ok(&kubeward(&["matrix", "-f", "json"], &f.path))).unwrap();
    assert_eq!(j["schemaVersion"], 1);
    let rows = j["sources"].as_array().unwrap().len();
    let cols = j["destinations"].as_array().unwrap().len();
    assert_eq!(
        (rows, cols),
        (6, 4),
        "3 source ranges + 3 workloads; 3 workloads + 1 destination range"
    );
    let cells = j["cells"].as_array().unwrap();
    assert!(cells.iter().all(|r| r.as_array().unwrap().len() == cols));
    let src = |name: &str| {
        j["sources"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["name"] == name)
            .unwrap()
    };
    let dst = |name: &str| {
        j["destinations"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["name"] == name)
            .unwrap()
    };
    assert_eq!(
        cells[src("web/frontend[Deployment]")][dst("db/postgres[StatefulSet]")],
        "TCP 5432"
    );
    assert_eq!(
        cells[src("web/frontend[Deployment]")][dst("web/frontend[Deployment]")],
        serde_json::Value::Null
    );

    let csv = ok(&kubeward(&["matrix", "-f", "csv"], &f.path));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[0], "source\\destination");
    assert_eq!(header.len(), cols + 1);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("web/frontend[Deployment],TCP 5432,,,\"TCP 80,443\"")),
        "{csv}"
    );

    let html = ok(&kubeward(&["matrix", "-f", "html"], &f.path));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_well_formed(&html);
    // Self-contained: no scripts, stylesheets or images from elsewhere.
    for bad in ["http://", "https://", "<script", "<link", "<img", "@import"] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
    // One colored cell per pair, with the exact connections in its tooltip, and a legend.
    assert_eq!(html.matches("<td class=").count(), rows * cols);
    assert!(html.contains("<td class=\"some\" title=\"web/frontend[Deployment] \u{2192} db/postgres[StatefulSet]: TCP 5432\">P</td>"), "{html}");
    assert!(html.contains("<td class=\"all\" title=\"web/legacy[Deployment] \u{2192} 0.0.0.0-255.255.255.255[External]: All Connections\">A</td>"));
    assert!(html.contains("<td class=\"none\""));
    for legend in [
        "all connections allowed",
        "some ports allowed",
        "nothing allowed",
    ] {
        assert!(html.contains(legend), "{legend}");
    }
    assert!(html.contains("td.all, .sw.all { background: #2e9e5b"));
}

#[test]
fn exposure_flags_unprotected_workloads() {
    let f = fixture(CLUSTER);
    let t = ok(&kubeward(&["exposure"], &f.path));
    let block = |name: &str| -> String {
        let start = t
            .find(&format!("{name}\n"))
            .unwrap_or_else(|| panic!("{name}: {t}"));
        let rest = &t[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    let legacy = block("web/legacy[Deployment]");
    assert!(legacy.contains("ingress: UNPROTECTED"), "{legacy}");
    assert!(legacy.contains("egress: UNPROTECTED"), "{legacy}");
    let pg = block("db/postgres[StatefulSet]");
    assert!(
        pg.contains("ingress: protected by db/default-deny, db/allow-frontend"),
        "{pg}"
    );
    assert!(
        pg.contains("from web/frontend[Deployment]: TCP 5432"),
        "{pg}"
    );
    assert!(
        pg.contains("egress: protected by db/default-deny\n    nothing allowed"),
        "{pg}"
    );
    assert!(
        pg.contains("pods app=frontend in namespaces tier=front, TCP pg"),
        "{pg}"
    );
    let fe = block("web/frontend[Deployment]");
    assert!(
        fe.contains("! addresses outside the cluster may connect to it"),
        "{fe}"
    );
    assert!(
        fe.contains("! it may reach the cloud metadata address 169.254.169.254"),
        "{fe}"
    );
    assert!(
        t.contains("3 workloads: 1 without ingress protection, 1 without egress protection."),
        "{t}"
    );

    let j: serde_json::Value =
        serde_json::from_str(&ok(&kubeward(&["exposure", "-f", "json"], &f.path))).unwrap();
    assert_eq!(j["schemaVersion"], 1);
    let w = j["workloads"].as_array().unwrap();
    let by = |n: &str| w.iter().find(|x| x["workload"]["name"] == n).unwrap();
    assert_eq!(
        by("web/legacy[Deployment]")["flags"],
        serde_json::json!([
            "unprotected-ingress",
            "unprotected-egress",
            "ingress-from-external",
            "egress-to-metadata"
        ])
    );
    assert_eq!(
        by("db/postgres[StatefulSet]")["flags"],
        serde_json::json!([])
    );
    assert_eq!(
        by("db/postgres[StatefulSet]")["ingress"]["peers"][0]["conn"],
        "TCP 5432"
    );
}

#[test]
fn invalid_input_is_an_error_with_its_position() {
    let bad = format!(
        "{CLUSTER}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: bad, namespace: db}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - ipBlock: {{cidr: 10.0.0.0/40}}\n"
    );
    let f = fixture(&bad);
    for cmd in ["list", "matrix", "exposure"] {
        let out = kubeward(&[cmd], &f.path);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let e = stderr(&out);
        let line = CLUSTER.lines().count() + 9;
        assert!(e.contains(&format!("cluster.yaml:{line}:")), "{cmd}: {e}");
        assert!(e.contains("NetworkPolicy db/bad (/spec/ingress/0/from/0/ipBlock/cidr): `10.0.0.0/40` is not a CIDR"), "{e}");
        assert!(stdout(&out).is_empty());
    }
    // Broken YAML, and a path that does not exist.
    let f = fixture("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
    let out = kubeward(&["list"], &f.path);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cluster.yaml:"), "{}", stderr(&out));
    let out = kubeward(&["list"], Path::new("/nonexistent/kubeward-netpol"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/kubeward-netpol"),
        "{}",
        stderr(&out)
    );
    // A container port the API server would reject is left out, with a warning.
    let warn = CLUSTER.replace(
        "ports: [{name: http, containerPort: 8080}]",
        "ports: [{name: http, containerport: 8080}]",
    );
    let f = fixture(&warn);
    let out = kubeward(&["list"], &f.path);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("kubeward: warning: "),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("expected `containerPort`"),
        "{}",
        stderr(&out)
    );
}

/// The HTML matrix in a real browser (Debian's `chromium`, installed by `.ci/run`): it renders
/// without console errors, the browser's DOM has every cell with its tooltip, and a screenshot
/// is drawn. Fails when chromium is missing.
#[test]
fn html_matrix_renders_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's `chromium` package (.ci/run does)"
    );
    let f = fixture(CLUSTER);
    let html = ok(&kubeward(&["matrix", "-f", "html"], &f.path));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("matrix.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());
    let run = |extra: &[&str]| {
        let profile = tempfile::tempdir().unwrap();
        let o = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1200,800",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(o.status.success(), "chromium failed: {}", stderr(&o));
        // Console messages are logged as `CONSOLE(...)`: the page must log none.
        let log = stderr(&o);
        assert!(!log.contains("CONSOLE"), "console output: {log}");
        o
    };
    let dom = stdout(&run(&["--dump-dom"]));
    assert_eq!(
        dom.matches("<td class=").count(),
        html.matches("<td class=").count(),
        "{dom}"
    );
    assert!(dom.contains(
        "title=\"web/frontend[Deployment] \u{2192} db/postgres[StatefulSet]: TCP 5432\""
    ));
    assert!(dom.contains("NetworkPolicy connectivity matrix"));
    let png = dir.path().join("matrix.png");
    run(&[&format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
        "{} bytes",
        bytes.len()
    );
}
