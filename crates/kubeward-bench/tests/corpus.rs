//! Loads every manifest of the shared test data (six upstream projects, ~1300 files) and runs
//! every rule on every object: no panic, every load error has a position, and the two sets of
//! real-world manifests load without a single error.

use kubeward_load::{LoadError, Loaded, Options, discover};
use kubeward_rules::scan::Scan;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

/// Files of the real-world sets that legitimately fail to load, with the reason. Each is a
/// mapping with a repeated key: invalid YAML (keys must be unique), and rejected by the API
/// server's strict field validation (`kubectl --validate=strict`, the default since 1.27:
/// "duplicate field"). Any other error in these sets fails the test.
const KNOWN_BAD: &[(&str, &str)] = &[
    (
        "kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml",
        "`spec.selector` written twice (lines 6 and 12)",
    ),
    (
        "kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
        "`spec.selector` written twice (lines 6 and 12)",
    ),
    (
        "kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml",
        "`spec.selector` written twice (lines 8 and 12)",
    ),
    (
        "kubernetes-examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
        "`type` written twice (lines 5 and 9)",
    ),
    (
        "kubernetes-examples/_archived/volumes/scaleio/sc-pvc.yaml",
        "`spec.storageClassName` written twice (lines 6 and 12)",
    ),
];

/// Sets that must load without a single error.
const MUST_LOAD: &[&str] = &["kubernetes-examples", "microservices-demo"];

#[derive(Debug, Default)]
struct SetSummary {
    files: usize,
    objects: u64,
    errors: Vec<LoadError>,
    whole_file_errors: usize,
    notes: usize,
    findings: usize,
    panics: Vec<String>,
}

fn scan_set(dir: &Path) -> SetSummary {
    let (inputs, walk_errors) = discover(&[dir.to_path_buf()]);
    assert!(walk_errors.is_empty(), "{walk_errors:?}");
    let opts = Options::default();
    let mut s = SetSummary {
        files: inputs.len(),
        ..SetSummary::default()
    };
    let mut scan = Scan::new(kubeward_bench::all_rules_engine());
    for input in &inputs {
        let name = input.name();
        let loaded = catch_unwind(|| {
            let mut loaded = Loaded::default();
            kubeward_load::load_input(input, &opts, &mut loaded);
            loaded
        });
        let loaded = match loaded {
            Ok(l) => l,
            Err(_) => {
                s.panics.push(format!("{name}: panic while loading"));
                continue;
            }
        };
        s.objects += loaded.objects.len() as u64;
        s.notes += loaded.notes.len();
        for e in &loaded.errors {
            if e.line == 0 && e.column == 0 {
                s.whole_file_errors += 1;
            }
            s.errors.push(e.clone());
        }
        let scanned = catch_unwind(AssertUnwindSafe(|| scan.add_loaded(loaded)));
        if scanned.is_err() {
            s.panics.push(format!("{name}: panic while running rules"));
        }
    }
    match catch_unwind(AssertUnwindSafe(|| scan.finish())) {
        Ok(result) => {
            s.findings = result.findings.len();
            for f in &result.findings {
                assert!(
                    f.location.line > 0,
                    "finding without a line: {} {}",
                    f.rule.code,
                    f.location.file
                );
            }
        }
        Err(_) => s
            .panics
            .push(format!("{}: panic in snapshot rules", dir.display())),
    }
    s
}

#[test]
fn every_shared_manifest_loads_and_scans_without_panic() {
    let manifests = PathBuf::from(DATA).join("manifests");
    assert!(
        manifests.is_dir(),
        "shared test data missing: {}",
        manifests.display()
    );
    let mut sets: Vec<PathBuf> = std::fs::read_dir(&manifests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    assert!(sets.len() >= 6, "{sets:?}");

    let mut total_files = 0;
    let mut failures = Vec::new();
    println!(
        "{:<24} {:>6} {:>8} {:>7} {:>6} {:>9}",
        "set", "files", "objects", "errors", "notes", "findings"
    );
    for set in &sets {
        let name = set.file_name().unwrap().to_string_lossy().to_string();
        let s = scan_set(set);
        total_files += s.files;
        println!(
            "{name:<24} {:>6} {:>8} {:>7} {:>6} {:>9}",
            s.files,
            s.objects,
            s.errors.len(),
            s.notes,
            s.findings
        );
        for e in &s.errors {
            println!("    {e}");
        }
        failures.extend(s.panics.iter().cloned());
        if s.whole_file_errors > 0 {
            failures.push(format!(
                "{name}: {} whole-file errors on readable files",
                s.whole_file_errors
            ));
        }
        for e in &s.errors {
            if e.line == 0 && e.column != 0 || e.line > 0 && e.column == 0 {
                failures.push(format!("half a position: {e}"));
            }
        }
        if MUST_LOAD.contains(&name.as_str()) {
            for e in &s.errors {
                let known = KNOWN_BAD
                    .iter()
                    .any(|(f, _)| e.file.ends_with(f) && e.message.contains("duplicate key"));
                if !known {
                    failures.push(format!("{name} must load cleanly: {e}"));
                }
            }
            assert!(s.objects > 0, "{name}: no objects");
            for (f, why) in KNOWN_BAD.iter().filter(|(f, _)| f.starts_with(&*name)) {
                if !s.errors.iter().any(|e| e.file.ends_with(f)) {
                    failures.push(format!("{f} now loads ({why}): remove it from KNOWN_BAD"));
                }
            }
        }
    }
    assert!(total_files >= 1300, "only {total_files} files");
    assert!(failures.is_empty(), "{failures:#?}");
}
