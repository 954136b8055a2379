//! The evaluator against the API server's semantics, one pitfall of other tools at a time
//! (`../shared/reference/rbac-and-attack-paths.md` §2.9).

use kubeward_core::Str;
use kubeward_rbac::{Rbac, Request, Scope};

fn rbac(yaml: &str, defaults: bool) -> Rbac {
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "t.yaml".into(),
        yaml.as_bytes(),
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Rbac::build(&loaded.objects, defaults)
}

fn req(verb: &str, group: &str, resource: &str, sub: Option<&str>, ns: Option<&str>) -> Request {
    Request::Resource {
        verb: verb.into(),
        group: group.into(),
        resource: resource.into(),
        subresource: sub.map(Str::from),
        name: None,
        namespace: ns.map(Str::from),
    }
}

fn who(r: &Rbac, q: &Request) -> Vec<String> {
    let mut v: Vec<String> = r.who_can(q).iter().map(|g| g.subject.display()).collect();
    v.dedup();
    v
}

const SCOPING: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-readers, namespace: dev}
subjects:
- {kind: User, name: alice}
- {kind: ServiceAccount, name: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-readers}
subjects:
- {kind: Group, name: auditors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
"#;

#[test]
fn a_rolebinding_to_a_clusterrole_grants_only_in_its_namespace() {
    let r = rbac(SCOPING, false);
    assert_eq!(
        who(&r, &req("list", "", "secrets", None, Some("dev"))),
        // Users, then groups, then service accounts.
        ["User alice", "Group auditors", "ServiceAccount dev/ci"]
    );
    assert_eq!(
        who(&r, &req("list", "", "secrets", None, Some("prod"))),
        ["Group auditors"]
    );
    // Across all namespaces at once only the ClusterRoleBinding reaches.
    assert_eq!(
        who(&r, &req("list", "", "secrets", None, None)),
        ["Group auditors"]
    );
    let alice = r.can("alice", &[], &req("get", "", "secrets", None, Some("dev")));
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].scope, Scope::Namespace("dev".into()));
    assert!(
        alice[0]
            .evidence()
            .starts_with("RoleBinding/dev/dev-readers -> ClusterRole/secret-reader rules[0]"),
        "{}",
        alice[0].evidence()
    );
    assert!(
        r.can("alice", &[], &req("get", "", "secrets", None, Some("prod")))
            .is_empty()
    );
    // The service account subject without a namespace is the binding's namespace.
    assert_eq!(
        r.can(
            "system:serviceaccount:dev:ci",
            &[],
            &req("get", "", "secrets", None, Some("dev"))
        )
        .len(),
        1
    );
}

#[test]
fn groups_the_api_server_implies_are_honoured() {
    let r = rbac(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-lister}
rules:
- {apiGroups: [""], resources: [pods], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-sas}
subjects:
- {kind: Group, name: "system:serviceaccounts:ci"}
roleRef: {kind: ClusterRole, name: pod-lister, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone}
subjects:
- {kind: Group, name: "system:unauthenticated"}
roleRef: {kind: ClusterRole, name: pod-lister, apiGroup: rbac.authorization.k8s.io}
"#,
        false,
    );
    let q = req("list", "", "pods", None, None);
    assert_eq!(r.can("system:serviceaccount:ci:x", &[], &q).len(), 1);
    assert!(r.can("system:serviceaccount:prod:x", &[], &q).is_empty());
    assert_eq!(r.can("system:anonymous", &[], &q).len(), 1);
    assert!(r.can("alice", &[], &q).is_empty());
}

#[test]
fn a_rolebinding_cannot_use_a_role_of_another_namespace_nor_grant_cluster_resources() {
    let r = rbac(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: prod}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec, namespace: dev}
subjects: [{kind: User, name: bob}]
roleRef: {kind: Role, name: exec, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
- {nonResourceURLs: ["/metrics"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: nodes, namespace: dev}
subjects: [{kind: User, name: bob}]
roleRef: {kind: ClusterRole, name: node-reader, apiGroup: rbac.authorization.k8s.io}
"#,
        false,
    );
    // The RoleBinding in dev names Role `exec`, which exists only in prod: it grants nothing.
    assert!(
        r.can(
            "bob",
            &[],
            &req("create", "", "pods", Some("exec"), Some("dev"))
        )
        .is_empty()
    );
    assert!(
        r.can(
            "bob",
            &[],
            &req("create", "", "pods", Some("exec"), Some("prod"))
        )
        .is_empty()
    );
    // Nodes are cluster-scoped and /metrics is a non-resource URL: a RoleBinding grants neither.
    assert!(
        r.can("bob", &[], &req("get", "", "nodes", None, None))
            .is_empty()
    );
    let metrics = Request::NonResource {
        verb: "get".into(),
        path: "/metrics".into(),
    };
    assert!(r.can("bob", &[], &metrics).is_empty());
}

#[test]
fn aggregation_is_computed_from_label_selectors_to_a_fixed_point() {
    let r = rbac(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [services, endpoints, pods], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-extra
  labels: {tier: extra}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions: [{key: extra.example.com/feed, operator: Exists}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secrets-feed
  labels: {extra.example.com/feed: "yes", example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus}
subjects: [{kind: ServiceAccount, name: prometheus, namespace: monitoring}]
roleRef: {kind: ClusterRole, name: monitoring, apiGroup: rbac.authorization.k8s.io}
"#,
        false,
    );
    let sa = "system:serviceaccount:monitoring:prometheus";
    let pods = r.can(sa, &[], &req("list", "", "pods", None, Some("x")));
    assert_eq!(pods.len(), 1);
    assert!(
        pods[0]
            .evidence()
            .contains("of ClusterRole/monitoring-endpoints (aggregated)")
    );
    assert_eq!(
        r.can(sa, &[], &req("get", "", "secrets", None, Some("x")))
            .len(),
        1
    );
    assert!(
        r.can(sa, &[], &req("delete", "", "pods", None, Some("x")))
            .is_empty()
    );
    assert_eq!(r.cluster_role("monitoring-extra").unwrap().rules.len(), 1);
}

#[test]
fn resource_names_and_subresource_wildcards() {
    let r = rbac(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: narrow}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [app-tls], verbs: [get, list]}
- {apiGroups: ["*"], resources: ["*/scale"], verbs: [update]}
- {apiGroups: [""], resources: ["pods/*"], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: narrow}
subjects: [{kind: User, name: carol}]
roleRef: {kind: ClusterRole, name: narrow, apiGroup: rbac.authorization.k8s.io}
"#,
        false,
    );
    let named = |verb: &str, name: &str| Request::Resource {
        verb: verb.into(),
        group: "".into(),
        resource: "secrets".into(),
        subresource: None,
        name: Some(name.into()),
        namespace: Some("dev".into()),
    };
    assert_eq!(r.can("carol", &[], &named("get", "app-tls")).len(), 1);
    assert!(r.can("carol", &[], &named("get", "db-password")).is_empty());
    assert!(
        r.can("carol", &[], &req("list", "", "secrets", None, Some("dev")))
            .is_empty()
    );
    assert_eq!(
        r.can(
            "carol",
            &[],
            &req("update", "apps", "deployments", Some("scale"), Some("dev"))
        )
        .len(),
        1
    );
    assert!(
        r.can(
            "carol",
            &[],
            &req("update", "apps", "deployments", None, Some("dev"))
        )
        .is_empty()
    );
    // `pods/*` is not a wildcard for the API server (KubeHound treats it as one).
    assert!(
        r.can(
            "carol",
            &[],
            &req("create", "", "pods", Some("exec"), Some("dev"))
        )
        .is_empty()
    );
}
