//! What the webhook reads from a Kubernetes API server (the fixture API server, through
//! kube-rs), as in a cluster: namespaces' levels (the list at start and on every refresh, a
//! namespace created since read on demand, a failing API server survived) and the role a
//! binding names.

mod common;

use common::*;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams};
use kubeward_admission::namespaces::{KubeOptions, Lookup, Namespaces};
use kubeward_fixture_api::{FixtureConfig, FixtureServer, ForbidRule, Identity, Scope};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const NAMESPACES: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels: {kubeward.io/enforce: privileged}
---
apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels: {kubeward.io/enforce: baseline, pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: Namespace
metadata:
  name: plain
";

async fn kube_options(api: &FixtureServer, dir: &std::path::Path) -> KubeOptions {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, api.kubeconfig(Identity::admin())).unwrap();
    KubeOptions {
        kubeconfig: Some(path),
        context: None,
    }
}

async fn kube_client(opts: &KubeOptions) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(opts.kubeconfig.as_ref().unwrap()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_follow_the_namespaces_labels() {
    let api = FixtureServer::start(FixtureConfig::new().yaml(NAMESPACES))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = kube_options(&api, dir.path()).await;
    let namespaces = Arc::new(Namespaces::connect(&opts).await.unwrap());
    let r = start_with(
        "",
        |o| o.namespace_refresh = Duration::from_millis(100),
        namespaces.clone(),
    )
    .await;
    let c = &r.client;
    eventually(
        Duration::from_secs(10),
        "ready once namespaces are read",
        || {
            let c = c.clone();
            async move { c.request("GET", "/readyz", Vec::new()).await.0 == 200 }
        },
    )
    .await;
    assert_eq!(
        namespaces.get("team"),
        Lookup::Known(kubeward_admission::NamespaceLabels {
            enforce: Some("baseline".into()),
            pss_enforce: Some("baseline".into()),
        })
    );
    let m = c.metrics().await;
    // Ours, and the four the fixture server always has.
    assert_eq!(
        metric(&m, "kubeward_admission_namespaces"),
        Some(7.0),
        "{m}"
    );

    let privileged = || pod("priv", json!({"privileged": true}));
    let mut n = 0;
    let mut allowed = |ns: &'static str| {
        n += 1;
        let body = review(&format!("r{n}"), "CREATE", ns, privileged());
        let c = c.clone();
        async move { c.review(&body).await["allowed"].as_bool().unwrap() }
    };
    assert!(allowed("legacy").await);
    assert!(!allowed("team").await);
    assert!(!allowed("plain").await);

    // A namespace created after the last list is read when a request needs it.
    let client = kube_client(&opts).await;
    let nss: Api<Namespace> = Api::all(client);
    nss.patch(
        "fresh",
        &PatchParams::apply("kubeward-test"),
        &Patch::Apply(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "fresh", "labels": {"kubeward.io/enforce": "privileged"}}
        })),
    )
    .await
    .unwrap();
    api.clear_requests();
    assert!(allowed("fresh").await);
    let asked: Vec<String> = api.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        asked.iter().any(|p| p == "/api/v1/namespaces/fresh"),
        "the namespace was read on demand: {asked:?}"
    );

    // A label changed: the next refresh applies it.
    nss.patch(
        "team",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"kubeward.io/enforce": "privileged"}}})),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(10), "team becomes privileged", || {
        let body = review("later", "CREATE", "team", privileged());
        let c = c.clone();
        async move { c.review(&body).await["allowed"] == true }
    })
    .await;
    assert!(namespaces.refreshes() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_that_refuses_leaves_the_default_level() {
    let api = FixtureServer::start(FixtureConfig::new().yaml(NAMESPACES).forbid(ForbidRule {
        subject: None,
        resource: "namespaces".into(),
        scope: Scope::Any,
        verbs: Vec::new(),
    }))
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = kube_options(&api, dir.path()).await;
    let namespaces = Arc::new(Namespaces::connect(&opts).await.unwrap());
    let r = start_with(
        "admission:\n  defaultLevel: baseline\n",
        |o| o.namespace_refresh = Duration::from_millis(100),
        namespaces,
    )
    .await;
    let c = &r.client;
    // Ready anyway: judging with the default level beats not judging at all.
    eventually(
        Duration::from_secs(10),
        "ready after the first attempt",
        || {
            let c = c.clone();
            async move { c.request("GET", "/readyz", Vec::new()).await.0 == 200 }
        },
    )
    .await;
    // `legacy` is privileged, but that cannot be read: the default level (baseline) applies.
    let resp = c
        .review(&review(
            "f1",
            "CREATE",
            "legacy",
            pod("p", json!({"privileged": true})),
        ))
        .await;
    assert_eq!(resp["allowed"], false, "{resp}");
    assert_eq!(resp["auditAnnotations"]["level"], "baseline");
    let m = c.metrics().await;
    assert!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"namespace_list\"}"
        )
        .unwrap()
            >= 1.0,
        "{m}"
    );
    assert!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"namespace_lookup\"}"
        )
        .unwrap()
            >= 1.0,
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_kubeconfig_is_a_clear_error() {
    let err = Namespaces::connect(&KubeOptions {
        kubeconfig: Some("/nonexistent/kubeconfig".into()),
        context: None,
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cannot read kubeconfig /nonexistent/kubeconfig"),
        "{err}"
    );
}

const ROLES: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: debugger, namespace: shop}
rules:
- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: harmless}
rules:
- {apiGroups: [\"\"], resources: [configmaps], verbs: [get]}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_are_judged_with_the_role_they_name() {
    let api = FixtureServer::start(FixtureConfig::new().yaml(ROLES))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = kube_options(&api, dir.path()).await;
    let namespaces = Arc::new(Namespaces::connect(&opts).await.unwrap());
    let r = start_with("", |_| {}, namespaces).await;
    let c = &r.client;
    let binding = |kind: &str, ns: &str, role_kind: &str, role: &str| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": "b", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [{"kind": "User", "name": "mallory"}]
        })
    };
    let codes = |resp: &serde_json::Value| {
        violations(resp)
            .into_iter()
            .map(|(c, _, p)| format!("{c} {p}"))
            .collect::<Vec<_>>()
    };
    // Cluster-wide secret reading through a custom ClusterRole: KW208 (high, enforced).
    let resp = c
        .review(&review(
            "b1",
            "CREATE",
            "",
            binding("ClusterRoleBinding", "", "ClusterRole", "secret-reader"),
        ))
        .await;
    assert_eq!(resp["allowed"], false, "{resp}");
    assert!(
        codes(&resp).contains(&"KW208 /roleRef/name".to_string()),
        "{resp}"
    );
    // A namespaced Role: exec into pods (KW213).
    let resp = c
        .review(&review(
            "b2",
            "CREATE",
            "shop",
            binding("RoleBinding", "shop", "Role", "debugger"),
        ))
        .await;
    assert!(
        codes(&resp).contains(&"KW213 /roleRef/name".to_string()),
        "{resp}"
    );
    // A Role of another namespace is not the one a RoleBinding names: nothing granted.
    let resp = c
        .review(&review(
            "b3",
            "CREATE",
            "dev",
            binding("RoleBinding", "dev", "Role", "debugger"),
        ))
        .await;
    assert_eq!(resp["allowed"], true, "{resp}");
    // Harmless or missing roles: allowed.
    for (uid, role) in [("b4", "harmless"), ("b5", "does-not-exist")] {
        let resp = c
            .review(&review(
                uid,
                "CREATE",
                "",
                binding("ClusterRoleBinding", "", "ClusterRole", role),
            ))
            .await;
        assert_eq!(resp["allowed"], true, "{role}: {resp}");
    }
    let asked: Vec<String> = api.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        asked
            .iter()
            .any(|p| p == "/apis/rbac.authorization.k8s.io/v1/clusterroles/secret-reader"),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|p| p == "/apis/rbac.authorization.k8s.io/v1/namespaces/shop/roles/debugger"),
        "{asked:?}"
    );
    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"role_lookup\"}"
        ),
        Some(0.0),
        "{m}"
    );
}
