//! PolicyReport output: every report object valid against the real `wgpolicyk8s.io/v1alpha2`
//! CRD schemas (vendored, see `tests/data/policyreport/README.md`), findings placed in the
//! right namespace's report, and refused lists and load errors reported as `error` results.

mod common;

use common::*;
use kubeward_load::{Loaded, Options};
use kubeward_report::policyreport::render_at;
use kubeward_report::{Format, RenderOptions};
use kubeward_rules::find;
use kubeward_rules::scan::ScanResult;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECRET: &str = "hunter2-secret-not-shown";

/// Findings in two namespaces (`shop` and, by default, `default`), on a cluster-scoped
/// Namespace, two lists the API server refused (one namespaced, one cluster-wide) and objects
/// with uids as a live scan gives them.
const CLUSTER: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 6f1c2a52-0000-4000-8000-000000000001
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example/web:1.0
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
kind: Pod
metadata:
  name: debug
spec:
  containers:
  - name: debug
    image: busybox:1.36
    securityContext:
      privileged: true
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  uid: 6f1c2a52-0000-4000-8000-000000000002
---
apiVersion: kubeward.io/v1alpha1
kind: Cluster
metadata:
  name: prod
spec:
  server: https://10.0.0.1:6443
status:
  notVisible:
  - group: ""
    resource: secrets
    namespace: prod
    status: 403
    reason: Forbidden
    message: 'secrets is forbidden: User "system:serviceaccount:kubeward-system:kubeward" cannot list resource "secrets" in API group "" in the namespace "prod"'
  - group: networking.k8s.io
    resource: networkpolicies
    status: 403
    reason: Forbidden
    message: networkpolicies.networking.k8s.io is forbidden
"#;

fn at() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_767_225_600, 123_000_000)
}

fn rules() -> Vec<&'static kubeward_rules::Rule> {
    let mut rules = core_rules();
    rules.push(find("KW803").expect("KW803 exists"));
    rules
}

fn cluster_scan() -> ScanResult {
    scan_with(
        &rules(),
        &[("cluster.yaml", CLUSTER), ("bad.yaml", "a: [\n")],
        vec![],
    )
}

fn render(result: &ScanResult) -> (String, Value) {
    let mut buf = Vec::new();
    render_at(result, &RenderOptions::default(), at(), &mut buf).expect("render");
    let text = String::from_utf8(buf).expect("UTF-8");
    let value = serde_json::from_str(&text).expect("output is JSON");
    (text, value)
}

/// The `openAPIV3Schema` of the `v1alpha2` version of a vendored CRD.
fn crd_schema(path: &str) -> Value {
    let full = format!(
        "{}/tests/data/policyreport/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes =
        std::fs::read(&full).unwrap_or_else(|e| panic!("the vendored CRD {full} is missing: {e}"));
    let mut loaded = Loaded::default();
    kubeward_load::load_bytes(
        full.as_str().into(),
        &bytes,
        false,
        &Options::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.objects.len(), 1, "{full}: one CRD");
    let crd = loaded.objects[0].root.to_json();
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    assert_eq!(crd["spec"]["group"], "wgpolicyk8s.io");
    let version = crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == "v1alpha2")
        .unwrap_or_else(|| panic!("{full} serves v1alpha2"));
    let schema = version["schema"]["openAPIV3Schema"].clone();
    assert!(schema["properties"]["results"].is_object(), "{full}");
    schema
}

/// Schema violations of `report` as `(instance path, message)`.
fn violations(schema: &Value, report: &Value) -> Vec<(String, String)> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles");
    validator
        .iter_errors(report)
        .map(|e| (e.instance_path.to_string(), e.to_string()))
        .collect()
}

/// Validates every report of `list` against the CRD of its kind in `dir`; returns violations.
fn validate_list(dir: &str, list: &Value) -> Vec<(String, String)> {
    let policy = crd_schema(&format!("{dir}/wgpolicyk8s.io_policyreports.yaml"));
    let cluster = crd_schema(&format!("{dir}/wgpolicyk8s.io_clusterpolicyreports.yaml"));
    let mut out = Vec::new();
    for item in list["items"].as_array().expect("items") {
        let schema = match item["kind"].as_str() {
            Some("PolicyReport") => &policy,
            Some("ClusterPolicyReport") => &cluster,
            other => panic!("unexpected kind {other:?}"),
        };
        out.extend(violations(schema, item).into_iter().map(|(path, msg)| {
            (
                format!(
                    "{}{path}",
                    item["metadata"]["namespace"].as_str().unwrap_or("")
                ),
                msg,
            )
        }));
    }
    out
}

/// Kyverno's CRDs (what Kyverno's and policy-reporter's charts install): no violation at all.
fn assert_valid(list: &Value) {
    let errors = validate_list("kyverno", list);
    assert!(errors.is_empty(), "invalid PolicyReport:\n{errors:#?}");
}

fn report<'a>(list: &'a Value, kind: &str, namespace: Option<&str>) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == kind && r["metadata"]["namespace"].as_str() == namespace)
        .unwrap_or_else(|| panic!("no {kind} for {namespace:?} in {list:#}"))
}

fn results(report: &Value) -> &Vec<Value> {
    report["results"].as_array().expect("results")
}

#[test]
fn the_schemas_reject_invalid_reports() {
    // Guards against a validator (or schema extraction) that accepts anything.
    let schema = crd_schema("kyverno/wgpolicyk8s.io_policyreports.yaml");
    let bad = [
        json!({"results": [{"policy": "p", "result": "failed"}]}),
        json!({"results": [{"policy": "p", "severity": "urgent"}]}),
        json!({"results": [{"rule": "no policy"}]}),
        json!({"results": [{"policy": "p", "timestamp": {"seconds": 1}}]}),
        json!({"results": [{"policy": "p", "properties": {"line": 3}}]}),
        json!({"summary": {"fail": "1"}}),
    ];
    for report in bad {
        assert!(!violations(&schema, &report).is_empty(), "{report}");
    }
    assert!(violations(&schema, &json!({"results": [{"policy": "p"}]})).is_empty());
}

#[test]
fn reports_are_placed_counted_and_valid() {
    let result = cluster_scan();
    assert_eq!(result.not_visible.len(), 2);
    assert_eq!(result.errors.len(), 1);
    let (_, list) = render(&result);
    assert_valid(&list);

    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    let placement: Vec<(&str, Option<&str>)> = items
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["metadata"]["namespace"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        placement,
        [
            ("ClusterPolicyReport", None),
            ("PolicyReport", Some("default")),
            ("PolicyReport", Some("prod")),
            ("PolicyReport", Some("shop")),
        ]
    );
    for r in items {
        assert_eq!(r["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(r["metadata"]["name"], "kubeward");
        assert_eq!(
            r["metadata"]["labels"],
            json!({"app.kubernetes.io/managed-by": "kubeward"})
        );
        let s = &r["summary"];
        let count =
            |outcome: &str| results(r).iter().filter(|x| x["result"] == outcome).count() as u64;
        for outcome in ["pass", "fail", "warn", "error", "skip"] {
            assert_eq!(s[outcome], count(outcome), "{outcome} in {r:#}");
        }
        for x in results(r) {
            assert_eq!(x["source"], "kubeward");
            assert_eq!(
                x["timestamp"],
                json!({"seconds": 1_767_225_600, "nanos": 123_000_000})
            );
        }
    }

    // Namespace `shop`: the deployment (critical, with its uid) and the service (medium).
    let shop = report(&list, "PolicyReport", Some("shop"));
    assert_eq!(
        shop["summary"],
        json!({"pass": 0, "fail": 2, "warn": 0, "error": 0, "skip": 0})
    );
    let kw101 = &results(shop)[0];
    assert_eq!(kw101["policy"], "KW101");
    assert_eq!(kw101["rule"], "privileged-container");
    assert_eq!(kw101["category"], "Pod and container security");
    assert_eq!(kw101["severity"], "critical");
    assert_eq!(kw101["result"], "fail");
    assert_eq!(kw101["scored"], true);
    assert_eq!(kw101["message"], "container `app` runs privileged");
    assert_eq!(
        kw101["resources"],
        json!([{
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "namespace": "shop",
            "uid": "6f1c2a52-0000-4000-8000-000000000001"
        }])
    );
    let props = &kw101["properties"];
    assert_eq!(
        props["path"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(props["evidence"], "privileged: true");
    assert_eq!(props["file"], "cluster.yaml");
    assert_eq!(props["line"], "17");
    assert!(
        props["mitre"]
            .as_str()
            .unwrap()
            .split(',')
            .all(|id| id.starts_with('T')),
        "{props}"
    );
    let kw301 = &results(shop)[1];
    assert_eq!(kw301["policy"], "KW301");
    assert_eq!(kw301["severity"], "medium");
    assert!(
        kw301["resources"][0].get("uid").is_none(),
        "no uid, no field"
    );

    // A Pod without metadata.namespace lands in `default`.
    let default = report(&list, "PolicyReport", Some("default"));
    assert_eq!(results(default).len(), 1);
    assert_eq!(results(default)[0]["resources"][0]["name"], "debug");
    assert_eq!(results(default)[0]["resources"][0]["namespace"], "default");

    // Namespace `prod` has no findings, but kubeward could not list its secrets.
    let prod = report(&list, "PolicyReport", Some("prod"));
    assert_eq!(
        prod["summary"],
        json!({"pass": 0, "fail": 0, "warn": 0, "error": 1, "skip": 0})
    );
    let refused = &results(prod)[0];
    assert_eq!(refused["policy"], "kubeward-collection");
    assert_eq!(refused["result"], "error");
    assert_eq!(
        refused["message"],
        "could not list secrets in namespace prod: Forbidden (secrets is forbidden: User \"system:serviceaccount:kubeward-system:kubeward\" cannot list resource \"secrets\" in API group \"\" in the namespace \"prod\")"
    );
    assert!(refused.get("severity").is_none());
    assert_eq!(refused["properties"]["status"], "403");

    // Cluster-scoped: the Namespace finding, the cluster-wide refusal and the load error.
    let cluster = report(&list, "ClusterPolicyReport", None);
    assert!(cluster["metadata"].get("namespace").is_none());
    assert_eq!(
        cluster["summary"],
        json!({"pass": 0, "fail": 1, "warn": 0, "error": 2, "skip": 0})
    );
    let rs = results(cluster);
    assert_eq!(rs[0]["policy"], "KW803");
    assert_eq!(rs[0]["severity"], "medium");
    assert_eq!(
        rs[0]["resources"],
        json!([{
            "apiVersion": "v1",
            "kind": "Namespace",
            "name": "shop",
            "uid": "6f1c2a52-0000-4000-8000-000000000002"
        }])
    );
    assert_eq!(rs[1]["policy"], "kubeward-collection");
    assert_eq!(
        rs[1]["message"],
        "could not list networkpolicies.networking.k8s.io (cluster-wide): Forbidden (networkpolicies.networking.k8s.io is forbidden)"
    );
    assert_eq!(rs[2]["policy"], "kubeward-load");
    assert_eq!(rs[2]["result"], "error");
    assert_eq!(rs[2]["properties"]["file"], "bad.yaml");
    assert!(rs[2]["message"].as_str().unwrap().starts_with("bad.yaml:"));
}

#[test]
fn the_wg_policy_prototypes_revision_differs_only_in_severity() {
    // The v1alpha2 CRDs of kubernetes-sigs/wg-policy-prototypes in the vendored revision allow
    // only high, medium and low; kubeward writes its critical and info severities as they are.
    let result = scan_with(
        &all_rules(),
        &[("cluster.yaml", CLUSTER), ("bad.yaml", "a: [\n")],
        vec![],
    );
    let (_, list) = render(&result);
    assert_valid(&list);
    let errors = validate_list("wg-policy-prototypes", &list);
    assert!(!errors.is_empty(), "the scan has critical findings");
    for (path, message) in &errors {
        assert!(path.ends_with("/severity"), "{path}: {message}");
        assert!(
            message.contains("\"critical\"") || message.contains("\"info\""),
            "{path}: {message}"
        );
    }
}

#[test]
fn secrets_never_appear_and_every_rule_renders() {
    let result = scan_with(
        &all_rules(),
        &[("app.yaml", MANIFEST), ("cluster.yaml", CLUSTER)],
        vec![],
    );
    let (text, list) = render(&result);
    assert_valid(&list);
    for hidden in [
        SECRET,
        "label-value-not-shown",
        "annotation-value-not-shown",
        "service-label-not-shown",
    ] {
        assert!(!text.contains(hidden), "`{hidden}` leaked into the report");
    }
    let total: usize = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| results(r).iter().filter(|x| x["result"] == "fail").count())
        .sum();
    assert_eq!(total, result.findings.len());
}

#[test]
fn an_empty_scan_still_writes_the_cluster_report() {
    let (_, list) = render(&scan(&[]));
    assert_valid(&list);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "ClusterPolicyReport");
    assert_eq!(items[0]["results"], json!([]));
}

#[test]
fn the_format_renders_through_the_common_entry_point() {
    assert_eq!("policyreport".parse::<Format>(), Ok(Format::PolicyReport));
    let list = json(Format::PolicyReport, &cluster_scan());
    assert_valid(&list);
    let seconds = list["items"][0]["results"][0]["timestamp"]["seconds"]
        .as_i64()
        .unwrap();
    assert!(seconds > 1_700_000_000, "the current time");
}

#[test]
fn live_objects_have_no_file_or_line() {
    let mut result = cluster_scan();
    for f in &mut result.findings {
        f.location.file = "cluster".into();
        f.location.line = 0;
        f.location.column = 0;
    }
    let (_, list) = render(&result);
    assert_valid(&list);
    let props = &results(report(&list, "PolicyReport", Some("shop")))[0]["properties"];
    assert!(
        props.get("file").is_none() && props.get("line").is_none(),
        "{props}"
    );
    assert!(props["path"].is_string());
}
