//! The whole live path, through kube-rs, against the fixture API server (real wire format, TLS,
//! tokens and client certificates, paging, refusals, throttling, slowness).

use kubeward_cluster::{ClusterError, Collection, Options, collect_blocking, write_snapshot};
use kubeward_core::Finding;
use kubeward_fixture_api::{
    ADMIN_USER, FixtureConfig, FixtureServer, ForbidRule, Identity, KubeconfigContext, Scope,
};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::scan::{Scan, ScanResult};
use kubeward_rules::{Engine, registry};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster")
}

fn engine() -> Engine {
    let rules: Vec<_> = registry().to_vec();
    Engine::new(
        &rules,
        &HashMap::new(),
        Exceptions::new(vec![], Date::today()),
    )
}

fn server(cfg: FixtureConfig) -> FixtureServer {
    FixtureServer::start_blocking(cfg).expect("fixture server starts")
}

/// A kubeconfig file for `identity` and options that use it.
fn options_for(server: &FixtureServer, identity: Identity, dir: &Path) -> Options {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, server.kubeconfig(identity)).unwrap();
    Options {
        kubeconfig: Some(path),
        page_size: 2,
        ..Options::default()
    }
}

fn scan_collection(c: &Collection) -> ScanResult {
    let mut scan = Scan::new(engine());
    for object in c.objects() {
        scan.add_object(object);
    }
    scan.finish()
}

fn scan_path(path: &Path) -> ScanResult {
    let mut scan = Scan::new(engine());
    let (inputs, errors) = kubeward_load::discover(&[path.to_path_buf()]);
    assert!(errors.is_empty());
    for input in &inputs {
        scan.add_input(input, &kubeward_load::Options::default());
    }
    scan.finish()
}

type Key = (String, String, Option<String>, String, String, String);

fn key(f: &Finding) -> Key {
    (
        f.rule.code.to_string(),
        f.object.kind.to_string(),
        f.object.namespace.as_ref().map(|s| s.to_string()),
        f.object.name.to_string(),
        f.path.to_string(),
        f.message.to_string(),
    )
}

/// Findings on the cluster's objects (not on kubeward's own `Cluster` object).
fn object_findings(r: &ScanResult) -> BTreeSet<Key> {
    r.findings
        .iter()
        .filter(|f| f.object.kind != "Cluster")
        .map(key)
        .collect()
}

#[test]
fn live_scan_finds_what_scanning_the_yaml_finds() {
    let dir = tempfile::tempdir().unwrap();
    // Only the fixture's objects (a real server also has kube-system and friends).
    let server = server(FixtureConfig::new().path(fixtures()).auto_namespaces(false));
    let mut opts = options_for(&server, Identity::admin(), dir.path());
    opts.page_size = 1;
    let collection = collect_blocking(&opts).expect("collects");
    let live = scan_collection(&collection);
    let direct = scan_path(&fixtures());
    assert!(!direct.findings.is_empty());
    assert_eq!(object_findings(&live), object_findings(&direct));
    // Every live finding names the object by uid; there are no lines.
    for f in &live.findings {
        assert!(
            f.object.uid.is_some() || f.object.kind == "Cluster",
            "{f:?}"
        );
        assert_eq!(f.location.line, 0);
    }
    assert!(live.not_visible.is_empty(), "{:?}", live.not_visible);
    // RBAC rules judge live bindings too (kept in compact form), naming the object by uid.
    let kw208 = live
        .findings
        .iter()
        .find(|f| f.rule.code == "KW208")
        .expect("the ci-secret-reader binding grants secrets read");
    assert_eq!(kw208.object.name, "ci-secret-reader");
    assert_eq!(kw208.path.as_ref(), "/roleRef/name");
    assert!(kw208.object.uid.is_some());
    // The Deployment's problems are reported once, not again on its ReplicaSet and Pod; what
    // only the pod has (an injected sidecar) is reported on the pod.
    assert!(live.repeated > 10, "{}", live.repeated);
    assert!(!live.findings.iter().any(|f| f.object.kind == "ReplicaSet"));
    let pod: Vec<_> = live
        .findings
        .iter()
        .filter(|f| f.object.name == "web-7d4b9c-x2x9q")
        .collect();
    assert!(!pod.is_empty());
    assert!(pod.iter().all(|f| !f.message.contains("`web`")), "{pod:?}");
    assert!(pod.iter().any(|f| f.rule.code == "KW105"));
    // Pages of 1 were walked with continue tokens.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/api/v1/pods" && r.param("continue").is_some())
    );
    assert_eq!(collection.stats.requests as usize, requests.len());
    // The cluster itself: version and anonymous probes recorded and judged.
    assert_eq!(live.clusters.len(), 1);
    assert_eq!(live.clusters[0].version.as_deref(), Some("v1.26.5"));
    assert!(
        live.findings
            .iter()
            .any(|f| f.object.kind == "Cluster" && f.rule.code == "KW602"),
        "1.26 is out of support"
    );
}

#[test]
fn a_snapshot_scans_offline_to_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .anonymous(&["/version"]),
    );
    let collection =
        collect_blocking(&options_for(&server, Identity::admin(), dir.path())).unwrap();
    let live = scan_collection(&collection);
    let file = dir.path().join("prod.snapshot.json");
    let mut out = Vec::new();
    write_snapshot(&collection, &mut out).unwrap();
    std::fs::write(&file, &out).unwrap();
    drop(server); // offline from here on

    let offline = scan_path(&file);
    assert!(offline.errors.is_empty(), "{:?}", offline.errors);
    let all = |r: &ScanResult| r.findings.iter().map(key).collect::<BTreeSet<_>>();
    assert_eq!(all(&offline), all(&live));
    // Same objects, now with lines in the snapshot file, and the uids kept.
    for f in &offline.findings {
        assert!(f.location.line > 0, "{f:?}");
        assert!(f.object.uid.is_some(), "{f:?}");
    }
    let uids = |r: &ScanResult| {
        r.findings
            .iter()
            .map(|f| f.object.uid.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(uids(&offline), uids(&live));
    assert_eq!(offline.clusters, live.clusters);
    // Anonymous /version was allowed: judged the same offline.
    assert!(offline.findings.iter().any(|f| f.rule.code == "KW601"));
    // The snapshot is a versioned document.
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["apiVersion"], "kubeward.io/v1alpha1");
    assert_eq!(doc["kind"], "Snapshot");
    assert_eq!(doc["items"][0]["kind"], "Cluster");
    assert_eq!(
        doc["items"].as_array().unwrap().len(),
        collection.items.len() + 1
    );
}

/// The fixture's Secret values (base64 and plain) and the annotation that repeats them.
const SECRET_VALUES: &[&str] = &[
    "c3VwZXItc2VjcmV0LXZhbHVl",
    "super-secret-value",
    "plain-secret-token-value",
    "cGxhaW4tc2VjcmV0LXRva2VuLXZhbHVl",
];

#[test]
fn secret_values_are_never_requested_nor_saved() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(FixtureConfig::new().path(fixtures()));
    let collection =
        collect_blocking(&options_for(&server, Identity::admin(), dir.path())).unwrap();
    let secret_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/secrets"))
        .collect();
    assert!(!secret_requests.is_empty());
    for r in &secret_requests {
        assert!(r.wants_table(), "{r:?}");
        assert_eq!(r.param("includeObject").as_deref(), Some("Metadata"));
    }
    let mut snapshot = Vec::new();
    write_snapshot(&collection, &mut snapshot).unwrap();
    let text = String::from_utf8(snapshot).unwrap();
    for value in SECRET_VALUES {
        assert!(!text.contains(value), "{value} in the snapshot");
    }
    // Metadata and type are there.
    assert!(text.contains("\"db-credentials\""));
    assert!(text.contains("kubernetes.io/service-account-token"));
    assert!(!text.contains("last-applied-configuration\": \"{"));

    // Asked for: values are read for the rules, and still never saved.
    let dir2 = tempfile::tempdir().unwrap();
    let mut opts = options_for(&server, Identity::admin(), dir2.path());
    opts.read_secret_values = true;
    server.clear_requests();
    let collection = collect_blocking(&opts).unwrap();
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/secrets"))
            .all(|r| !r.wants_table())
    );
    let in_memory = collection
        .items
        .iter()
        .any(|i| String::from_utf8_lossy(i).contains("c3VwZXItc2VjcmV0LXZhbHVl"));
    assert!(in_memory, "values were requested");
    let mut snapshot = Vec::new();
    write_snapshot(&collection, &mut snapshot).unwrap();
    let text = String::from_utf8(snapshot).unwrap();
    for value in SECRET_VALUES {
        assert!(!text.contains(value), "{value} in the snapshot");
    }
}

#[test]
fn refused_lists_are_recorded_and_nothing_is_claimed_there() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .token("alice-token", "alice", &["dev-team"])
            .forbid_cluster(Some("alice"), "secrets")
            .forbid_in(Some("alice"), "secrets", "prod")
            .forbid_cluster(Some("alice"), "networkpolicies.networking.k8s.io")
            .forbid_in(Some("alice"), "networkpolicies.networking.k8s.io", "dev"),
    );
    let collection = collect_blocking(&options_for(
        &server,
        Identity::Token("alice-token".into()),
        dir.path(),
    ))
    .expect("partial access is not an error");
    let result = scan_collection(&collection);
    let seen: Vec<String> = result.not_visible.iter().map(|nv| nv.what()).collect();
    // Namespaces could be listed, so the cluster-wide refusals fell back to each namespace.
    assert_eq!(
        seen,
        [
            "secrets in namespace prod",
            "networkpolicies.networking.k8s.io in namespace dev",
        ]
    );
    for nv in &result.not_visible {
        assert_eq!(nv.status, 403);
        assert_eq!(nv.reason, "Forbidden");
        assert!(nv.message.contains("User \"alice\" cannot list"), "{nv:?}");
    }
    // dev's secrets were listed namespace by namespace.
    assert!(
        collection
            .items
            .iter()
            .any(|i| String::from_utf8_lossy(i).contains("\"api-token\""))
    );
    // Scanning the YAML says dev has no NetworkPolicy; the live scan could not see dev's
    // policies, so it does not say so.
    let kw305 = |r: &ScanResult| {
        r.findings
            .iter()
            .filter(|f| f.rule.code == "KW305")
            .map(|f| f.object.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(kw305(&scan_path(&fixtures())), ["dev"]);
    assert!(kw305(&result).is_empty());
}

#[test]
fn without_the_namespace_list_the_refusal_stays_cluster_wide() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .token("bob-token", "bob", &[])
            .forbid_cluster(Some("bob"), "namespaces")
            .forbid_cluster(Some("bob"), "pods"),
    );
    let path = dir.path().join("kubeconfig");
    let ctx = KubeconfigContext::new("bob@fixture", Identity::Token("bob-token".into()))
        .namespace("prod");
    std::fs::write(&path, server.kubeconfig_with(&[ctx], "bob@fixture")).unwrap();
    let opts = Options {
        kubeconfig: Some(path),
        ..Options::default()
    };
    let collection = collect_blocking(&opts).unwrap();
    let nv = collection.not_visible();
    let what: Vec<String> = nv.iter().map(|n| n.what()).collect();
    assert_eq!(what, ["namespaces (cluster-wide)", "pods (cluster-wide)"]);
    // The context's namespace was listed instead, and the report says so.
    assert!(
        nv[1].message.contains("listed namespace prod only"),
        "{nv:?}"
    );
    assert!(
        collection
            .items
            .iter()
            .any(|i| String::from_utf8_lossy(i).contains("\"node-shell\""))
    );
}

#[test]
fn throttled_and_failing_requests_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .throttle("/api/v1/pods", 2)
            .fail("/apis/apps/v1/deployments", 503, 2),
    );
    let mut opts = options_for(&server, Identity::admin(), dir.path());
    opts.page_size = 500;
    let collection = collect_blocking(&opts).unwrap();
    assert!(collection.not_visible().is_empty());
    assert!(collection.stats.retried >= 4, "{:?}", collection.stats);
    let statuses: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
    let kinds = |c: &Collection| {
        c.objects()
            .map(|o| o.kind.to_string())
            .collect::<BTreeSet<_>>()
    };
    assert!(kinds(&collection).contains("Pod"));
    assert!(kinds(&collection).contains("Deployment"));
}

#[test]
fn a_slow_list_times_out_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .slow("/api/v1/configmaps", Duration::from_secs(5)),
    );
    let mut opts = options_for(&server, Identity::admin(), dir.path());
    opts.timeout = Duration::from_millis(700);
    opts.retries = 1;
    let started = std::time::Instant::now();
    let collection = collect_blocking(&opts).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let nv = collection.not_visible();
    assert_eq!(nv.len(), 1, "{nv:?}");
    assert_eq!(nv[0].resource, "configmaps");
    assert_eq!(nv[0].reason, "Timeout");
    assert_eq!(nv[0].status, 0);
    assert!(collection.objects().any(|o| o.kind == "Deployment"));
}

#[test]
fn an_expired_continue_token_falls_back_to_one_full_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .expire_continue_tokens(true),
    );
    let collection =
        collect_blocking(&options_for(&server, Identity::admin(), dir.path())).unwrap();
    assert!(collection.not_visible().is_empty());
    // Six namespaces (the fixture's two and the four every cluster has) in pages of two.
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/namespaces" && r.user.as_deref() == Some(ADMIN_USER))
        .collect();
    // First page, the 410 on the continue token, then one list without a limit.
    assert_eq!(
        lists.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 410, 200]
    );
    assert_eq!(lists[0].param("limit").as_deref(), Some("2"));
    assert_eq!(lists[2].param("limit"), None);
    assert_eq!(
        collection
            .objects()
            .filter(|o| o.kind == "Namespace")
            .count(),
        6
    );
}

#[test]
fn client_certificates_and_a_namespace_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .client_cert("carol", &["system:masters"]),
    );
    let mut opts = options_for(&server, Identity::ClientCert("carol".into()), dir.path());
    opts.namespaces = vec!["dev".into()];
    let collection = collect_blocking(&opts).unwrap();
    let objects: Vec<_> = collection.objects().collect();
    for o in &objects {
        if let Some(ns) = &o.namespace {
            assert_eq!(ns, "dev", "{} {}", o.kind, o.name);
        }
    }
    assert!(objects.iter().any(|o| o.kind == "ClusterRole"));
    assert!(
        objects
            .iter()
            .any(|o| o.kind == "Namespace" && o.name == "dev")
    );
    assert!(
        !objects
            .iter()
            .any(|o| o.kind == "Namespace" && o.name == "prod")
    );
    let requests = server.requests();
    // Everything as carol, but the probes made without credentials on purpose.
    assert!(requests.iter().all(|r| {
        r.user.as_deref() == Some("carol")
            || r.user.as_deref() == Some("system:anonymous")
            || r.user.is_none()
    }));
    assert!(
        requests
            .iter()
            .filter(|r| r.user.as_deref() == Some("carol"))
            .count()
            > 20
    );
    assert!(requests.iter().all(|r| r.path != "/api/v1/pods"));
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/api/v1/namespaces/dev/pods")
    );
}

#[test]
fn anonymous_access_is_probed_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .anonymous(&["/version", "/api"]),
    );
    let collection =
        collect_blocking(&options_for(&server, Identity::admin(), dir.path())).unwrap();
    let cluster: serde_json::Value = serde_json::from_slice(&collection.cluster).unwrap();
    assert_eq!(
        cluster["status"]["anonymous"],
        serde_json::json!([
            {"path": "/version", "status": 200},
            {"path": "/api", "status": 200},
            {"path": "/api/v1/namespaces", "status": 403},
        ])
    );
    let anonymous: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.user.as_deref() == Some("system:anonymous"))
        .collect();
    assert_eq!(anonymous.len(), 3);
    let result = scan_collection(&collection);
    let on_cluster: BTreeSet<&str> = result
        .findings
        .iter()
        .filter(|f| f.object.kind == "Cluster")
        .map(|f| f.rule.code)
        .collect();
    assert!(on_cluster.contains("KW601"), "{on_cluster:?}");
    assert!(on_cluster.contains("KW603"), "{on_cluster:?}");
}

#[test]
fn unreachable_servers_rejected_credentials_and_unknown_contexts_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(FixtureConfig::new().path(fixtures()));

    let err = collect_blocking(&options_for(
        &server,
        Identity::Token("expired-token".into()),
        dir.path(),
    ))
    .unwrap_err();
    assert!(matches!(err, ClusterError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("401 Unauthorized"), "{err}");

    let mut opts = options_for(&server, Identity::admin(), dir.path());
    opts.context = Some("prod".into());
    let err = collect_blocking(&opts).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("context `prod` is not in the kubeconfig (contexts: "),
        "{err}"
    );

    let opts = options_for(&server, Identity::admin(), dir.path());
    let url = server.url();
    drop(server);
    let err = collect_blocking(&opts).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ClusterError::Unreachable { .. }), "{text}");
    assert!(
        text.starts_with(&format!("cannot reach the API server at {url}")),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn exec_credential_plugins_are_run_for_the_token() {
    // What `aws eks get-token` or `kubelogin` do: print an ExecCredential with a token.
    let dir = tempfile::tempdir().unwrap();
    let server = server(FixtureConfig::new().path(fixtures()));
    let ca = kube_ca_data(&server.kubeconfig(Identity::admin()));
    let plugin = dir.path().join("get-token.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\"}}}}'\n",
            kubeward_fixture_api::ADMIN_TOKEN
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kubeconfig = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: fixture
  cluster:
    server: {}
    certificate-authority-data: {ca}
users:
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: {}
      interactiveMode: Never
contexts:
- name: exec@fixture
  context: {{cluster: fixture, user: exec-user}}
current-context: exec@fixture
",
        server.url(),
        plugin.display()
    );
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig).unwrap();
    let collection = collect_blocking(&Options {
        kubeconfig: Some(path),
        ..Options::default()
    })
    .expect("the plugin's token is accepted");
    assert_eq!(collection.name, "exec@fixture");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.user.as_deref() == Some(ADMIN_USER))
    );
}

/// The `certificate-authority-data` of a kubeconfig.
fn kube_ca_data(kubeconfig: &str) -> String {
    kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data:"))
        .map(|v| v.trim().trim_matches('"').to_string())
        .expect("the fixture kubeconfig has a CA")
}

#[test]
fn a_namespace_scope_records_a_refused_namespace_object() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(
        FixtureConfig::new()
            .path(fixtures())
            .token("dave-token", "dave", &[])
            .forbid(ForbidRule {
                subject: Some("dave".into()),
                resource: "namespaces".into(),
                scope: Scope::Any,
                verbs: Vec::new(),
            }),
    );
    let mut opts = options_for(&server, Identity::Token("dave-token".into()), dir.path());
    opts.namespaces = vec!["dev".into()];
    let collection = collect_blocking(&opts).unwrap();
    let what: Vec<String> = collection.not_visible().iter().map(|n| n.what()).collect();
    assert_eq!(what, ["namespace dev (the Namespace object)"]);
    assert!(collection.objects().any(|o| o.kind == "Deployment"));
}
