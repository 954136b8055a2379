//! Builds scan results the real way: load YAML, run the engine, finish the scan.

#![allow(dead_code)]

use kubeward_core::Location;
use kubeward_load::{Loaded, Options};
use kubeward_report::{Format, RenderOptions, render};
use kubeward_rules::exceptions::{Date, Exception, Exceptions};
use kubeward_rules::scan::{Scan, ScanResult};
use kubeward_rules::{Engine, Rule, find, registry};
use std::collections::HashMap;

pub const VERSION: &str = "0.0.0-test";

/// A deployment with a privileged container (KW101), a NodePort service (KW301) and a clean
/// service. The deployment carries values that must never appear in any output.
pub const MANIFEST: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    team: label-value-not-shown
  annotations:
    note: annotation-value-not-shown
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example/image-not-shown:1.0
        env:
        - name: PASSWORD
          value: hunter2-secret-not-shown
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: internal
  labels:
    tier: service-label-not-shown
spec:
  type: ClusterIP
"#;

/// The two rules exact assertions use.
pub fn core_rules() -> Vec<&'static Rule> {
    vec![
        find("KW101").expect("KW101 exists"),
        find("KW301").expect("KW301 exists"),
    ]
}

pub fn all_rules() -> Vec<&'static Rule> {
    registry().to_vec()
}

/// Scans `files` (name, YAML) with `rules` and config exceptions.
pub fn scan_with(
    rules: &[&'static Rule],
    files: &[(&str, &str)],
    exceptions: Vec<Exception>,
) -> ScanResult {
    let engine = Engine::new(
        rules,
        &HashMap::new(),
        Exceptions::new(exceptions, Date::parse("2026-06-01").expect("date")),
    );
    let mut scan = Scan::new(engine);
    for (name, text) in files {
        let mut loaded = Loaded::default();
        kubeward_load::load_bytes(
            (*name).into(),
            text.as_bytes(),
            false,
            &Options::default(),
            &mut loaded,
        );
        scan.add_loaded(loaded);
    }
    scan.finish()
}

pub fn scan(files: &[(&str, &str)]) -> ScanResult {
    scan_with(&core_rules(), files, vec![])
}

pub fn exception(rules: &[&str], line: u32, expires: Option<&str>) -> Exception {
    Exception {
        rules: rules.iter().map(|s| s.to_string()).collect(),
        namespace: None,
        kind: None,
        name: None,
        reason: "accepted for the test".into(),
        expires: expires.and_then(Date::parse),
        location: Location {
            file: "kubeward.yaml".into(),
            line,
            column: 3,
        },
    }
}

pub fn output(format: Format, result: &ScanResult, color: bool) -> String {
    let mut buf = Vec::new();
    render(
        format,
        result,
        &RenderOptions {
            color,
            version: VERSION,
        },
        &mut buf,
    )
    .expect("render");
    String::from_utf8(buf).expect("UTF-8 output")
}

pub fn json(format: Format, result: &ScanResult) -> serde_json::Value {
    serde_json::from_str(&output(format, result, false)).expect("valid JSON")
}
