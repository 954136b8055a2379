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
