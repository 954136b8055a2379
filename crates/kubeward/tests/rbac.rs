//! `kubeward rbac who-can` and `kubeward rbac can` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rbac.yaml")
}

fn kubeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn who_can_lists_subjects_with_the_binding_that_grants() {
    let file = data();
    let out = kubeward(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "prod",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = text(&out);
    assert!(
        t.starts_with("who can create pods/exec in namespace prod:"),
        "{t}"
    );
    assert!(t.contains("Group oncall"), "{t}");
    assert!(t.contains("ServiceAccount ci/deployer"), "{t}");
    assert!(
        t.contains("RoleBinding/prod/oncall-debug -> ClusterRole/debugger rules[1]"),
        "{t}"
    );
    // The RoleBinding grants nothing in another namespace.
    let other = kubeward(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "dev",
        file.to_str().unwrap(),
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    let subjects: Vec<String> = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["subject"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!subjects.contains(&"oncall".to_string()), "{subjects:?}");
    assert!(!subjects.contains(&"deployer".to_string()), "{subjects:?}");
}

#[test]
fn can_answers_yes_or_no_with_the_exit_status() {
    let file = data();
    let f = file.to_str().unwrap();
    let yes = kubeward(&[
        "rbac",
        "can",
        "system:serviceaccount:ci:deployer",
        "create",
        "pods/attach",
        "-n",
        "prod",
        f,
    ]);
    assert_eq!(yes.status.code(), Some(0));
    assert!(text(&yes).starts_with("yes: "), "{}", text(&yes));
    let no = kubeward(&[
        "rbac",
        "can",
        "system:serviceaccount:ci:deployer",
        "delete",
        "pods",
        "-n",
        "prod",
        f,
    ]);
    assert_eq!(no.status.code(), Some(1));
    assert!(text(&no).starts_with("no: "), "{}", text(&no));
    // Groups given on the command line.
    let oncall = kubeward(&[
        "rbac", "can", "dana", "--group", "oncall", "get", "pods", "-n", "prod", f,
    ]);
    assert_eq!(oncall.status.code(), Some(0), "{}", text(&oncall));
    // resourceNames: only the named secret.
    let sa = "system:serviceaccount:prod:web";
    let named = kubeward(&[
        "rbac", "can", sa, "get", "secrets", "--name", "web-tls", "-n", "prod", f,
    ]);
    assert_eq!(named.status.code(), Some(0));
    let other = kubeward(&[
        "rbac", "can", sa, "get", "secrets", "--name", "db", "-n", "prod", f,
    ]);
    assert_eq!(other.status.code(), Some(1));
    let list = kubeward(&["rbac", "can", sa, "list", "secrets", "-n", "prod", f]);
    assert_eq!(list.status.code(), Some(1));
}

#[test]
fn unknown_resources_and_missing_inputs_are_errors() {
    let file = data();
    let out = kubeward(&["rbac", "who-can", "get", "widgets", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("widgets.example.com"));
    let out = kubeward(&["rbac", "who-can", "get", "pods", "does-not-exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn paths_on_the_examples() {
    let insecure = repo().join("examples/insecure");
    let out = kubeward(&["paths", insecure.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "paths found");
    let t = text(&out);
    assert!(t.starts_with("[critical] internet: "), "{t}");
    assert!(t.contains("ENDPOINT_EXPLOIT"), "{t}");
    assert!(t.contains("=> cluster-admin"), "{t}");

    let hardened = repo().join("examples/hardened");
    let out = kubeward(&["paths", hardened.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let json = kubeward(&[
        "paths",
        "--from",
        "pod:shop/frontend",
        "--format",
        "json",
        insecure.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let paths = v["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    assert!(
        paths.iter().all(|p| p["entry"]["id"]
            .as_str()
            .unwrap()
            .contains("shop/Deployment/frontend")),
        "{v}"
    );
    let dot = kubeward(&["paths", "-f", "dot", insecure.to_str().unwrap()]);
    assert!(text(&dot).starts_with("digraph"), "{}", text(&dot));
    let bad = kubeward(&["paths", "--from", "nowhere", insecure.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
}
