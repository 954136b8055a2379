//! Table, JSON and JUnit output of real scans, plus what must never be printed.

mod common;

use common::*;
use kubeward_report::{Format, compliance};
use quick_xml::Reader;
use quick_xml::events::Event;
use std::collections::HashMap;

#[test]
fn table_groups_findings_by_object() {
    let result = scan(&[("deploy/app.yaml", MANIFEST)]);
    let text = output(Format::Table, &result, false);
    assert!(!text.contains('\x1b'), "no colour when color is false");
    insta::assert_snapshot!("table", text);
    assert!(text.contains("Deployment shop/web  deploy/app.yaml:1\n"));
    assert!(text.contains(
        "  20:11    CRITICAL  KW101 privileged-container  container `app` runs privileged\n    → privileged: true\n"
    ));
    assert!(text.contains("Service shop/web  deploy/app.yaml:22\n"));
    assert!(text.contains("3 objects in 1 file scanned"));
}

#[test]
fn table_colours_severity_only_when_asked() {
    let result = scan(&[("app.yaml", MANIFEST)]);
    let text = output(Format::Table, &result, true);
    assert!(text.contains("\x1b[1;35mCRITICAL\x1b[0m"), "{text}");
    assert!(text.contains("\x1b[33mMEDIUM  \x1b[0m"), "{text}");
}

#[test]
fn table_says_no_findings_and_reports_problems() {
    let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n";
    let result = scan_with(
        &core_rules(),
        &[
            (
                "clean.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  type: ClusterIP\n",
            ),
            ("notes.yaml", "just: a map\n"),
            ("bad.yaml", bad),
        ],
        vec![
            exception(&["KW999"], 4, None),
            exception(&["KW101"], 9, Some("2026-01-01")),
        ],
    );
    let text = output(Format::Table, &result, false);
    insta::assert_snapshot!("table_no_findings", text);
    assert!(text.starts_with("No findings.\n"), "{text}");
    // Errors and exception problems are printed on stderr by the CLI; the table counts them.
    assert!(
        text.contains("1 error (listed on standard error)"),
        "{text}"
    );
    assert!(!text.contains("bad.yaml"), "{text}");
    assert!(text.contains("note: 1 document skipped"), "{text}");
}

#[test]
fn table_escapes_terminal_control_characters() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"evil\\e[2J\"\nspec:\n  type: NodePort\n";
    let result = scan(&[("evil.yaml", yaml)]);
    assert_eq!(result.findings.len(), 1);
    let text = output(Format::Table, &result, false);
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(text.contains("evil\\u{1b}[2J"), "{text}");
}

#[test]
fn compliance_counts_rules_per_framework() {
    let result = scan(&[("app.yaml", MANIFEST)]);
    let c: HashMap<&str, (f64, u64, u64)> = compliance(&result)
        .into_iter()
        .map(|(f, p, e, x)| (f, (p, e, x)))
        .collect();
    // KW101 (pss baseline, nsa, cis, mitre) evaluated the deployment and failed it; KW301
    // (nsa, mitre) evaluated two services and failed one.
    assert_eq!(c["pss-baseline"], (0.0, 1, 1));
    assert_eq!(c["pss-restricted"], (0.0, 1, 1));
    assert_eq!(c["cis"], (0.0, 1, 1));
    let (p, e, x) = c["nsa"];
    assert_eq!((e, x), (3, 2));
    assert!((p - 100.0 / 3.0).abs() < 1e-9);
    assert_eq!(c["mitre"].1, 3);
    // Nothing evaluated: no entry.
    let empty = scan(&[]);
    assert!(compliance(&empty).is_empty());
}

#[test]
fn json_is_the_documented_contract() {
    let result = scan(&[("deploy/app.yaml", MANIFEST)]);
    let text = output(Format::Json, &result, false);
    assert_eq!(text.lines().count(), 1, "compact: one line");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_snapshot!("json", serde_json::to_string_pretty(&v).unwrap() + "\n");
    assert_eq!(v["schemaVersion"], "1");
    assert_eq!(v["tool"]["name"], "kubeward");
    assert_eq!(v["tool"]["version"], VERSION);
    let s = &v["summary"];
    assert_eq!(
        (s["objects"].as_u64(), s["files"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(s["findings"], 2);
    assert_eq!(s["bySeverity"]["critical"], 1);
    assert_eq!(s["bySeverity"]["medium"], 1);
    assert_eq!(s["bySeverity"]["info"], 0);
    assert_eq!(s["byTactic"]["privilege-escalation"], 1);
    assert_eq!(s["byTactic"]["initial-access"], 1);
    assert_eq!(s["suppressed"], 0);
    assert_eq!(s["errors"], 0);
    // Keys keep their documented order in the text.
    let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap();
    assert!(at("critical") < at("high") && at("high") < at("medium"));
    assert!(at("medium") < at("low") && at("low") < at("info"));
    assert!(at("initial-access") < at("privilege-escalation"));

    let f = &v["findings"][0];
    assert_eq!(f["code"], "KW101");
    assert_eq!(f["name"], "privileged-container");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["category"], "pod-security");
    assert_eq!(f["message"], "container `app` runs privileged");
    assert_eq!(f["evidence"], "privileged: true");
    assert_eq!(
        f["object"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"})
    );
    assert_eq!(
        f["location"],
        serde_json::json!({"file": "deploy/app.yaml", "line": 20, "column": 11})
    );
    assert_eq!(
        f["path"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains("privileged: false")
    );
    assert_eq!(
        f["frameworks"]["mitre"][0],
        serde_json::json!({"tactic": "privilege-escalation", "technique": "Privileged container", "id": "T1611"})
    );
    assert_eq!(f["frameworks"]["cis"][0], "5.2.2");
    assert_eq!(
        f["frameworks"]["pss"],
        serde_json::json!({"level": "baseline", "control": "privileged"})
    );
    let g = &v["findings"][1];
    assert_eq!(g["code"], "KW301");
    assert_eq!(g["frameworks"]["pss"], serde_json::Value::Null);
    assert_eq!(g["location"]["line"], 28);
    assert!(v["errors"].as_array().unwrap().is_empty());
    assert!(v["exceptions"].as_array().unwrap().is_empty());
}

#[test]
fn json_reports_errors_notes_and_exception_problems() {
    let result = scan_with(
        &core_rules(),
        &[
            ("app.yaml", MANIFEST),
            ("notes.yaml", "just: a map\n"),
            ("bad.yaml", "a: [\n"),
        ],
        vec![
            exception(&["KW999"], 4, None),
            exception(&["KW301"], 9, Some("2026-01-01")),
            exception(&["KW101"], 14, Some("2027-01-01")),
        ],
    );
    let v = json(Format::Json, &result);
    assert_eq!(
        v["summary"]["findings"], 1,
        "KW101 suppressed, KW301 expired"
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["errors"][0]["file"], "bad.yaml");
    assert!(v["errors"][0]["line"].as_u64().unwrap() >= 1);
    assert!(v["errors"][0]["message"].is_string());
    assert_eq!(v["notes"][0]["file"], "notes.yaml");
    let ex = v["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 2);
    assert_eq!(
        ex[0],
        serde_json::json!({"problem": "unused", "file": "kubeward.yaml", "line": 4, "rules": ["KW999"],
            "reason": "accepted for the test", "expires": null, "matched": null})
    );
    assert_eq!(ex[1]["problem"], "expired");
    assert_eq!(ex[1]["expires"], "2026-01-01");
    assert_eq!(ex[1]["matched"], 1);
}

#[test]
fn json_namespace_and_evidence_are_null_when_absent() {
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: open\nspec:\n  type: NodePort\n";
    let mut result = scan(&[("svc.yaml", yaml)]);
    result.findings[0].evidence = None;
    let v = json(Format::Json, &result);
    let f = &v["findings"][0];
    assert_eq!(f["object"]["namespace"], serde_json::Value::Null);
    assert_eq!(f["evidence"], serde_json::Value::Null);
}

/// Nothing from a scanned object reaches any output except its identity (apiVersion, kind,
/// namespace, name), its position, and what the rule chose to report (message, evidence).
#[test]
fn outputs_show_evidence_verbatim_and_nothing_else_from_the_object() {
    let result = scan(&[("app.yaml", MANIFEST)]);
    for format in Format::ALL {
        let text = output(format, &result, false);
        assert!(
            text.contains("privileged: true"),
            "{format}: evidence missing"
        );
        for leaked in [
            "hunter2",
            "secret-not-shown",
            "PASSWORD",
            "label-value-not-shown",
            "annotation-value-not-shown",
            "image-not-shown",
            "registry.example",
            "service-label-not-shown",
        ] {
            assert!(!text.contains(leaked), "{format} output leaks `{leaked}`");
        }
    }
}

/// Attributes of the current element, unescaped.
fn attrs(e: &quick_xml::events::BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                a.unescape_value().expect("valid escapes").into_owned(),
            )
        })
        .collect()
}

type Attrs = HashMap<String, String>;
/// A test case's attributes, and its `<failure>`/`<error>` element (name, attributes) if any.
type Case = (Attrs, Option<(String, Attrs)>);

#[derive(Debug, Default)]
struct Suite {
    attrs: HashMap<String, String>,
    cases: Vec<Case>,
}

/// Parses JUnit XML into its suites, checking that it is well-formed.
fn parse_junit(xml: &str) -> (HashMap<String, String>, Vec<Suite>) {
    let mut reader = Reader::from_str(xml);
    let mut root = HashMap::new();
    let mut suites: Vec<Suite> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                match name.as_str() {
                    "testsuites" => root = attrs(&e),
                    "testsuite" => suites.push(Suite {
                        attrs: attrs(&e),
                        ..Suite::default()
                    }),
                    "testcase" => suites
                        .last_mut()
                        .expect("testcase inside testsuite")
                        .cases
                        .push((attrs(&e), None)),
                    "failure" | "error" => {
                        let case = suites
                            .last_mut()
                            .and_then(|s| s.cases.last_mut())
                            .expect("failure inside testcase");
                        case.1 = Some((name.clone(), attrs(&e)));
                    }
                    other => panic!("unexpected element {other}"),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (root, suites)
}

#[test]
fn junit_has_a_suite_per_rule_and_a_case_per_finding() {
    let result = scan_with(
        &core_rules(),
        &[("app.yaml", MANIFEST), ("bad.yaml", "a: [\n")],
        vec![],
    );
    let xml = output(Format::Junit, &result, false);
    let (root, suites) = parse_junit(&xml);
    assert_eq!(root["failures"], "2");
    assert_eq!(root["errors"], "1");
    assert_eq!(suites.len(), 3, "{xml}");

    let kw101 = &suites[0];
    assert_eq!(kw101.attrs["name"], "KW101 privileged-container");
    assert_eq!(kw101.attrs["tests"], "1");
    assert_eq!(kw101.attrs["failures"], "1");
    assert_eq!(kw101.cases.len(), 1);
    let (case, failure) = &kw101.cases[0];
    assert_eq!(case["classname"], "Deployment/shop/web");
    assert_eq!(case["name"], "KW101 privileged-container");
    assert_eq!(case["file"], "app.yaml");
    assert_eq!(case["line"], "20");
    let (kind, f) = failure.as_ref().expect("failure");
    assert_eq!(kind, "failure");
    assert_eq!(f["message"], "container `app` runs privileged");
    assert_eq!(f["type"], "critical");

    let kw301 = &suites[1];
    assert_eq!(kw301.attrs["name"], "KW301 nodeport-service");
    assert_eq!(kw301.attrs["tests"], "2");
    assert_eq!(kw301.attrs["failures"], "1");
    assert_eq!(kw301.cases.len(), 2);
    assert_eq!(kw301.cases[0].0["classname"], "Service/shop/web");
    assert_eq!(
        kw301.cases[1].0["name"],
        "KW301 nodeport-service (1 object passed)"
    );
    assert!(kw301.cases[1].1.is_none());

    let load = &suites[2];
    assert_eq!(load.attrs["name"], "kubeward.load");
    assert_eq!(load.attrs["errors"], "1");
    let (case, error) = &load.cases[0];
    assert!(case["name"].starts_with("bad.yaml:"));
    assert_eq!(error.as_ref().unwrap().0, "error");
}

#[test]
fn junit_escapes_markup_and_control_characters() {
    let nasty = "x<&>\"'\u{1}\u{1b}y";
    let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"x<&>\\\"'\\x01\\ey\"\n  namespace: ns\nspec:\n  type: NodePort\n";
    let mut result = scan_with(&core_rules(), &[("we<ird>&.yaml", yaml)], vec![]);
    assert_eq!(result.findings.len(), 1);
    assert_eq!(result.findings[0].object.name, nasty);
    result.findings[0].message = format!("message {nasty}").into();
    result.findings[0].evidence = Some(format!("evidence {nasty}\nline two").into());
    result.errors.push(kubeward_load::LoadError {
        file: "e&<.yaml".into(),
        line: 2,
        column: 1,
        message: format!("bad {nasty}"),
    });
    let xml = output(Format::Junit, &result, false);
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{1b}'));
    let (_, suites) = parse_junit(&xml);
    let (case, failure) = &suites[1].cases[0];
    let clean = "x<&>\"'\u{fffd}\u{fffd}y";
    assert_eq!(case["classname"], format!("Service/ns/{clean}"));
    assert_eq!(case["file"], "we<ird>&.yaml");
    assert_eq!(
        failure.as_ref().unwrap().1["message"],
        format!("message {clean}")
    );
    let (case, error) = &suites[2].cases[0];
    assert_eq!(case["file"], "e&<.yaml");
    assert_eq!(error.as_ref().unwrap().1["message"], format!("bad {clean}"));
}

#[test]
fn every_format_renders_the_whole_registry() {
    // Rules are added by others over time: every format must render whatever ran.
    let result = scan_with(&all_rules(), &[("app.yaml", MANIFEST)], vec![]);
    for format in Format::ALL {
        let text = output(format, &result, true);
        assert!(text.contains("KW101"), "{format}");
    }
    let v = json(Format::Json, &result);
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        result.findings.len()
    );
    let (_, suites) = parse_junit(&output(Format::Junit, &result, false));
    assert_eq!(suites.len(), result.rules.len());
}
