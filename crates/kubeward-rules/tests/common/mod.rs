//! Shared by the rule test files: the oracle data directory and running rules on one file.
#![allow(dead_code)] // each test file uses a different part

use kubeward_load::{Input, Options};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::scan::{Scan, ScanResult};
use kubeward_rules::{Engine, Rule, find};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `../shared/data` beside the checkout; the tests fail (never skip) without it.
pub fn data() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(
        dir.join("manifests").is_dir(),
        "oracle data missing at {} (see the README: shared/data must sit beside the checkout)",
        dir.display()
    );
    dir.to_path_buf()
}

/// Runs `rules` on one file.
pub fn scan_file(rules: &[&'static Rule], path: &Path) -> ScanResult {
    let engine = Engine::new(
        rules,
        &HashMap::new(),
        Exceptions::new(vec![], Date::today()),
    );
    let mut scan = Scan::new(engine);
    assert!(path.is_file(), "missing file {}", path.display());
    scan.add_input(&Input::File(path.to_path_buf()), &Options::default());
    scan.finish()
}

/// The rule with this code.
pub fn rule(code: &str) -> &'static Rule {
    find(code).unwrap_or_else(|| panic!("no rule {code}"))
}

/// How many findings rule `code` reports on one file; load errors fail the test.
pub fn findings(code: &str, path: &Path) -> usize {
    let result = scan_file(&[rule(code)], path);
    let errors: Vec<String> = result.errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "{}: load errors {errors:?}",
        path.display()
    );
    result.findings.len()
}

/// One oracle file: the other tool's verdict, ours, and why they differ when they do.
pub struct Case {
    pub code: &'static str,
    pub file: &'static str,
    /// Does the other tool flag it?
    pub theirs: bool,
    /// Does kubeward flag it?
    pub ours: bool,
    /// Why we differ (required when `theirs != ours`).
    pub why: &'static str,
}

/// Runs each case's rule on its file under `data()/base` and fails listing every case whose
/// verdict is not ours.
pub fn check(base: &str, cases: &[Case]) {
    let root = data().join(base);
    let mut problems = Vec::new();
    for c in cases {
        assert!(
            c.theirs == c.ours || !c.why.is_empty(),
            "{}: a disagreement needs a reason",
            c.file
        );
        let n = findings(c.code, &root.join(c.file));
        if (n > 0) != c.ours {
            problems.push(format!(
                "{} on {}: expected {}, got {n} finding(s)",
                c.code,
                c.file,
                if c.ours { "a finding" } else { "none" }
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
