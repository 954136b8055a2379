//! Every rule has fixtures in `tests/fixtures/<CODE>/`: `fail*.yaml` files the rule must flag
//! and `pass*.yaml` files it must not. The findings on the failing fixtures are snapshotted
//! (`tests/snapshots/`), so a reviewer sees exactly what a user will see.

mod common;

use kubeward_core::Finding;
use kubeward_rules::{Rule, registry};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs one rule on one file, returning its findings and any load errors.
fn run(rule: &'static Rule, path: &Path) -> (Vec<Finding>, Vec<String>) {
    let result = common::scan_file(&[rule], path);
    let errors = result.errors.iter().map(ToString::to_string).collect();
    (result.findings, errors)
}

fn render(findings: &[Finding], root: &Path) -> String {
    let mut out = String::new();
    for f in findings {
        let file = Path::new(&*f.location.file);
        let file = file.strip_prefix(root).unwrap_or(file).display();
        writeln!(
            out,
            "{}:{}:{} {} [{}] {} {}\n  path: {}\n  message: {}\n  evidence: {}",
            file,
            f.location.line,
            f.location.column,
            f.rule.code,
            f.severity,
            f.object.kind,
            f.object.name,
            f.path,
            f.message,
            // Attack-path evidence cites files: relative to the fixtures, like locations.
            f.evidence
                .as_deref()
                .unwrap_or("-")
                .replace(&format!("{}/", root.display()), ""),
        )
        .unwrap();
    }
    out
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            n.starts_with(prefix) && (n.ends_with(".yaml") || n.ends_with(".json"))
        })
    });
    v.sort();
    v
}

#[test]
fn every_rule_has_failing_and_passing_fixtures() {
    let root = fixtures_dir();
    let mut problems = Vec::new();
    // KUBEWARD_FIXTURES=KW1 checks only the rules whose code starts with the prefix.
    let only = std::env::var("KUBEWARD_FIXTURES").unwrap_or_default();
    for rule in registry() {
        let code = rule.meta.code;
        if !code.starts_with(only.as_str()) {
            continue;
        }
        let dir = root.join(code);
        let fails = files(&dir, "fail");
        let passes = files(&dir, "pass");
        if fails.is_empty() || passes.is_empty() {
            problems.push(format!(
                "{code}: needs fail*.yaml and pass*.yaml in {}",
                dir.display()
            ));
            continue;
        }
        let mut snapshot = String::new();
        for f in &fails {
            let (findings, errors) = run(rule, f);
            if !errors.is_empty() {
                problems.push(format!(
                    "{code}: {} has load errors: {errors:?}",
                    f.display()
                ));
            }
            if findings.is_empty() {
                problems.push(format!("{code}: {} produced no finding", f.display()));
            }
            for finding in &findings {
                if finding.location.line == 0 {
                    problems.push(format!("{code}: a finding in {} has no line", f.display()));
                }
            }
            snapshot.push_str(&render(&findings, &root));
        }
        for p in &passes {
            let (findings, errors) = run(rule, p);
            if !errors.is_empty() {
                problems.push(format!(
                    "{code}: {} has load errors: {errors:?}",
                    p.display()
                ));
            }
            if !findings.is_empty() {
                problems.push(format!(
                    "{code}: {} should pass but got:\n{}",
                    p.display(),
                    render(&findings, &root)
                ));
            }
        }
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(code, snapshot);
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_fixture_directory_without_a_rule() {
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            registry().iter().any(|r| r.meta.code == name),
            "fixtures for unknown rule {name}"
        );
    }
}
