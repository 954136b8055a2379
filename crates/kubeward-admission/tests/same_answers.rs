//! Same answers everywhere: every rule fixture (`crates/kubeward-rules/tests/fixtures/<CODE>/
//! {fail,pass}*.yaml`) of every rule that runs at admission gives the same violations (rule,
//! object, field) through the scan (the engine on the file) and through the webhook (each
//! object of the file in its own AdmissionReview, posted over TLS to a running server whose
//! cluster, a fixture API server, holds what the file puts there).
//!
//! The webhook sees each object when it is created, so it can report more than a scan of the
//! whole file, for two reasons only, both asserted finding by finding:
//! - a Role or ClusterRole is judged when it is created, before the bindings that come after
//!   it exist: exactly as a scan judges a role that nothing binds (checked by scanning that
//!   role alone). A scan of the whole file sees the binding instead, and may find it harmless
//!   (bound in one namespace) or report the risk on the binding, which the webhook reports
//!   too;
//! - an object without a namespace: a manifest scan cannot know where it lands, the webhook
//!   does (the test creates it in `default`, as `kubectl apply` without `-n` does), and KW801
//!   reports a workload in `default`.
//!
//! It never reports less.

mod common;

use common::*;
use kubeward_admission::kinds;
use kubeward_admission::namespaces::{KubeOptions, Namespaces};
use kubeward_core::Object;
use kubeward_fixture_api::{FixtureConfig, FixtureServer, Identity};
use kubeward_load::{Loaded, Options};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::scan::Scan;
use kubeward_rules::{Engine, Rule, registry};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything judged (audit: nothing is denied, everything is recorded), as the scan judges:
/// annotations honoured, controllers not trusted, every rule at the restricted level.
const CONFIG: &str = "\
admission:
  defaultLevel: restricted
  actions: {critical: audit, high: audit, medium: audit, low: audit, info: audit}
  honorIgnoreAnnotation: true
  trustControllers: false
";

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubeward-rules/tests/fixtures")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            (n.starts_with("fail") || n.starts_with("pass"))
                && (n.ends_with(".yaml") || n.ends_with(".json"))
        })
    });
    v.sort();
    v
}

fn load(path: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let bytes = std::fs::read(path).unwrap();
    let json = path.extension().is_some_and(|e| e == "json");
    kubeward_load::load_bytes(
        path.display().to_string().into(),
        &bytes,
        json,
        &Options::default(),
        &mut loaded,
    );
    loaded
}

/// (rule, kind, name, field) of a violation.
type Key = (String, String, String, String);

fn scan_findings(rule: &'static Rule, path: &Path) -> BTreeSet<Key> {
    let engine = Engine::new(
        &[rule],
        &HashMap::new(),
        Exceptions::new(vec![], Date::today()),
    );
    let mut scan = Scan::new(engine);
    scan.add_loaded(load(path));
    scan.finish()
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.code.to_string(),
                f.object.kind.to_string(),
                f.object.name.to_string(),
                f.path.to_string(),
            )
        })
        .collect()
}

/// The namespace an object is created in: its own, or `default` (as `kubectl apply` does);
/// none for cluster-scoped kinds.
fn request_namespace(o: &Object) -> String {
    let namespaced = kinds::resource(&o.kind).is_none_or(|r| r.namespaced);
    if !namespaced {
        return String::new();
    }
    o.namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("default")
        .to_string()
}

/// An object as the API server stores it: Go decodes a null label or annotation value as
/// `""` (some fixtures write `key:` without a value).
fn as_stored(mut v: serde_json::Value) -> serde_json::Value {
    for field in ["labels", "annotations"] {
        if let Some(map) = v["metadata"][field].as_object_mut() {
            for value in map.values_mut() {
                if value.is_null() {
                    *value = "".into();
                }
            }
        }
    }
    v
}

/// What a cluster holds once the file is applied, as far as the webhook reads it: the
/// file's Namespaces, Roles and ClusterRoles, and Kubernetes' default roles, with aggregated
/// ClusterRoles filled as the clusterrole-aggregation controller fills them.
fn cluster_objects(objects: &[Object]) -> Vec<serde_json::Value> {
    let mut defaults = Loaded::default();
    kubeward_load::load_bytes(
        "defaults.yaml".into(),
        kubeward_rbac::DEFAULTS_YAML.as_bytes(),
        false,
        &Options::default(),
        &mut defaults,
    );
    let mine: Vec<&Object> = objects
        .iter()
        .filter(|o| o.builtin && matches!(o.kind.as_str(), "Namespace" | "Role" | "ClusterRole"))
        .collect();
    let mut out: Vec<serde_json::Value> = defaults
        .objects
        .iter()
        .filter(|d| matches!(d.kind.as_str(), "Role" | "ClusterRole"))
        .filter(|d| {
            !mine
                .iter()
                .any(|o| o.kind == d.kind && o.name == d.name && o.namespace == d.namespace)
        })
        .map(|d| d.root.to_json())
        .collect();
    out.extend(mine.iter().map(|o| as_stored(o.root.to_json())));
    aggregate(&mut out);
    out
}

/// Fills each aggregated ClusterRole's rules with those of the ClusterRoles its
/// `matchLabels` selectors select, to a fixed point (`edit` feeds `admin`).
fn aggregate(objects: &mut [serde_json::Value]) {
    let selects = |selector: &serde_json::Value, role: &serde_json::Value| {
        selector["matchLabels"].as_object().is_some_and(|want| {
            want.iter()
                .all(|(k, v)| role["metadata"]["labels"][k.as_str()] == *v)
        })
    };
    for _ in 0..8 {
        let snapshot = objects.to_vec();
        for role in objects.iter_mut() {
            let Some(selectors) = role["aggregationRule"]["clusterRoleSelectors"]
                .as_array()
                .cloned()
            else {
                continue;
            };
            let mut rules: Vec<serde_json::Value> = Vec::new();
            for other in snapshot.iter().filter(|o| o["kind"] == "ClusterRole") {
                if other["metadata"]["name"] != role["metadata"]["name"]
                    && selectors.iter().any(|s| selects(s, other))
                {
                    for r in other["rules"].as_array().into_iter().flatten() {
                        if !rules.contains(r) {
                            rules.push(r.clone());
                        }
                    }
                }
            }
            role["rules"] = rules.into();
        }
    }
}

/// Every object of the file posted to a webhook whose cluster (a fixture API server) holds
/// the file's Namespaces, Roles and ClusterRoles: what a cluster where the file is applied
/// holds when each object arrives, as far as the webhook reads it.
async fn webhook_findings(
    path: &Path,
    certs: &TestCerts,
    seen: &mut BTreeMap<String, BTreeSet<Key>>,
) {
    let loaded = load(path);
    let mut cluster = FixtureConfig::new();
    for object in cluster_objects(&loaded.objects) {
        cluster = cluster.object(object);
    }
    let api = FixtureServer::start(cluster).await.unwrap();
    let kubeconfig = certs.cert.with_file_name("kubeconfig");
    std::fs::write(&kubeconfig, api.kubeconfig(Identity::admin())).unwrap();
    let namespaces = Namespaces::connect(&KubeOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
    })
    .await
    .unwrap();
    let mut opts = options(certs);
    opts.workers = 2;
    let judge = Arc::new(kubeward_admission::Judge::new(settings(CONFIG)));
    let server = kubeward_admission::server::Server::start(opts, judge, Arc::new(namespaces))
        .await
        .unwrap();
    let client = Client::new(server.addr(), &certs.ca_pem);
    let mut conn = client.connect().await.unwrap();
    for (i, o) in loaded.objects.iter().enumerate() {
        let body = review(
            &format!("obj-{i}"),
            "CREATE",
            &request_namespace(o),
            o.root.to_json(),
        );
        let (status, text) = send(
            &mut conn,
            "POST",
            "/validate",
            serde_json::to_vec(&body).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{}: {text}", path.display());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let response = &v["response"];
        assert_eq!(response["uid"], format!("obj-{i}"));
        assert_eq!(response["allowed"], true, "audit never denies");
        for (code, _action, field) in violations(response) {
            seen.entry(code.clone()).or_default().insert((
                code,
                o.kind.to_string(),
                o.name.to_string(),
                field,
            ));
        }
    }
    let m = client.metrics().await;
    for reason in ["namespace_lookup", "role_lookup", "namespace_list"] {
        assert_eq!(
            metric(
                &m,
                &format!("kubeward_admission_errors_total{{reason=\"{reason}\"}}")
            ),
            Some(0.0),
            "{}: {reason}",
            path.display()
        );
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_same_violations_from_the_scan_and_the_webhook() {
    let root = fixtures_root();
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let admission_rules: Vec<&'static Rule> = registry()
        .iter()
        .copied()
        .filter(|r| kinds::runs_at_admission(r))
        .collect();
    assert!(admission_rules.len() > 60, "{}", admission_rules.len());

    let mut compared = 0;
    let mut identical = 0;
    let mut problems = Vec::new();
    for rule in &admission_rules {
        let code = rule.meta.code;
        let fixtures = files(&root.join(code));
        assert!(
            !fixtures.is_empty(),
            "{code} has no fixtures in {}",
            root.display()
        );
        for path in fixtures {
            let scan = scan_findings(rule, &path);
            let mut seen = BTreeMap::new();
            webhook_findings(&path, &certs, &mut seen).await;
            let hook = seen.remove(code).unwrap_or_default();
            let id = format!("{code}/{}", path.file_name().unwrap().to_string_lossy());
            compared += 1;
            if hook == scan {
                identical += 1;
                continue;
            }
            eprintln!("differs as explained: {id}");
            for missing in scan.difference(&hook) {
                problems.push(format!("{id}: the webhook misses {missing:?}"));
            }
            let objects = load(&path).objects;
            for extra in hook.difference(&scan) {
                if let Err(why) = explained(rule, extra, &objects) {
                    problems.push(format!(
                        "{id}: the webhook also reports {extra:?}, unexplained: {why}"
                    ));
                }
            }
        }
    }
    assert!(compared > 150, "only {compared} fixture files compared");
    assert!(
        identical * 10 >= compared * 8,
        "only {identical} of {compared} identical"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "{compared} fixture files compared: {identical} identical, the others differ only as explained"
    );
}

/// Why the webhook may report `extra` when a scan of the whole file does not (see the top).
fn explained(rule: &'static Rule, extra: &Key, objects: &[Object]) -> Result<(), String> {
    let (_, kind, name, field) = extra;
    let object = objects
        .iter()
        .find(|o| o.kind == *kind && o.name == *name)
        .ok_or("no such object in the file")?;
    if matches!(kind.as_str(), "Role" | "ClusterRole") && field.starts_with("/rules") {
        // The role alone, scanned: the same finding.
        let engine = Engine::new(
            &[rule],
            &HashMap::new(),
            Exceptions::new(vec![], Date::today()),
        );
        let mut scan = Scan::new(engine);
        scan.add_object(object.clone());
        let alone = scan.finish();
        return if alone.findings.iter().any(|f| *f.path == **field) {
            Ok(())
        } else {
            Err("a scan of the role alone does not report it".to_string())
        };
    }
    if rule.meta.code == "KW801" && object.namespace.is_none() {
        return Ok(());
    }
    Err("neither a role judged alone nor an object without a namespace".to_string())
}
