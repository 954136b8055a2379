//! SARIF output: valid against the official SARIF 2.1.0 schema (vendored, see
//! `tests/data/README.md`) and shaped the way GitHub code scanning reads it.

mod common;

use common::*;
use kubeward_report::Format;
use serde_json::{Value, json};

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the vendored SARIF schema {path} is missing: {e}"));
    serde_json::from_str(&text).expect("schema is JSON")
}

fn assert_valid(log: &Value) {
    let schema = schema();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is invalid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_rejects_invalid_sarif() {
    // Guards against a validator that accepts anything.
    let schema = schema();
    let validator = jsonschema::options().build(&schema).unwrap();
    assert!(!validator.is_valid(&json!({"version": "2.1.0"})));
    assert!(!validator.is_valid(&json!({"version": "2.1.0", "runs": [{"tool": {}}]})));
    assert!(!validator.is_valid(
        &json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]})
    ));
}

#[test]
fn sarif_is_valid_and_complete() {
    let result = scan_with(
        &core_rules(),
        &[
            ("./deploy/app.yaml", MANIFEST),
            (
                "-",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n",
            ),
            ("bad.yaml", "a: [\n"),
            ("notes.yaml", "just: a map\n"),
        ],
        vec![exception(&["KW999"], 4, None)],
    );
    let log = json(Format::Sarif, &result);
    assert_valid(&log);

    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif"));
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "kubeward");
    assert_eq!(driver["semanticVersion"], VERSION);
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );

    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    let r = &rules[0];
    assert_eq!(r["id"], "KW101");
    assert_eq!(r["name"], "PrivilegedContainer");
    assert_eq!(r["shortDescription"]["text"], "Container runs privileged");
    assert!(
        r["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("privileged: true")
    );
    assert!(
        r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix")
    );
    assert!(r["help"]["text"].as_str().unwrap().len() > 10);
    assert_eq!(r["defaultConfiguration"]["level"], "error");
    assert_eq!(r["properties"]["security-severity"], "9.5");
    assert_eq!(
        r["properties"]["tags"],
        json!(["security", "pod-security", "privilege-escalation"])
    );
    assert_eq!(rules[1]["id"], "KW301");
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
    assert_eq!(rules[1]["properties"]["security-severity"], "5.5");

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    // In input order: the file's two findings (by line), then stdin's.
    let stdin = &results[2];
    assert_eq!(stdin["ruleId"], "KW301");
    assert_eq!(
        stdin["locations"][0]["physicalLocation"]["artifactLocation"],
        json!({"uri": "stdin"})
    );
    let r = &results[0];
    assert_eq!(r["ruleId"], "KW101");
    assert_eq!(r["ruleIndex"], 0);
    assert_eq!(r["level"], "error");
    assert_eq!(r["message"]["text"], "container `app` runs privileged");
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 20, "startColumn": 11}
        })
    );
    assert_eq!(
        loc["logicalLocations"][0],
        json!({"name": "Deployment/shop/web", "kind": "resource",
               "fullyQualifiedName": "apps/v1/Deployment/shop/web"})
    );
    assert_eq!(r["properties"]["evidence"], "privileged: true");
    assert_eq!(
        r["properties"]["path"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(r["properties"]["object"]["kind"], "Deployment");
    assert!(r["partialFingerprints"]["kubeward/v1"].is_string());
    assert_eq!(results[1]["ruleIndex"], 1);
    assert_eq!(results[1]["level"], "warning");

    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "bad.yaml"
    );
    assert!(notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());
    assert!(notes.iter().any(
        |n| n["level"] == "warning" && n["message"]["text"].as_str().unwrap().contains("KW999")
    ));
    assert!(notes.iter().any(|n| n["level"] == "note"));
}

#[test]
fn sarif_without_findings_or_errors_is_valid() {
    let log = json(Format::Sarif, &scan(&[]));
    assert_valid(&log);
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    assert_eq!(log["runs"][0]["results"], json!([]));
}

#[test]
fn sarif_of_the_whole_registry_is_valid() {
    let result = scan_with(&all_rules(), &[("app.yaml", MANIFEST)], vec![]);
    assert_valid(&json(Format::Sarif, &result));
}

#[test]
fn region_is_omitted_for_objects_without_a_line() {
    let mut result = scan(&[("app.yaml", MANIFEST)]);
    for f in &mut result.findings {
        f.location.file = "cluster".into();
        f.location.line = 0;
        f.location.column = 0;
    }
    let log = json(Format::Sarif, &result);
    assert_valid(&log);
    let loc = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(loc.get("region").is_none(), "{loc}");
}

fn fingerprints(yaml: &str) -> Vec<String> {
    json(Format::Sarif, &scan(&[("app.yaml", yaml)]))["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["kubeward/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn fingerprints_survive_line_shifts_but_not_identity_changes() {
    let base = fingerprints(MANIFEST);
    assert_eq!(base.len(), 2);
    assert_ne!(base[0], base[1]);
    let shifted = format!("# a comment\n# another\n{MANIFEST}");
    assert_eq!(fingerprints(&shifted), base);
    let renamed = MANIFEST.replacen("name: web", "name: shop-web", 1);
    let changed = fingerprints(&renamed);
    assert_ne!(
        changed[0], base[0],
        "different object, different fingerprint"
    );
    assert_eq!(changed[1], base[1]);
}
