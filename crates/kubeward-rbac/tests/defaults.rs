//! Checks `data/defaults.yaml`: Kubernetes' default ClusterRoles and ClusterRoleBindings (the
//! bootstrap policy kube-apiserver reconciles at startup) that kubeward ships for offline scans.
//! See `data/README.md` for where the data comes from.

use kubeward_core::{Node, Object};
use std::collections::{BTreeMap, BTreeSet};

const DEFAULTS: &[u8] = include_bytes!("../data/defaults.yaml");
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn load() -> Vec<Object> {
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "data/defaults.yaml".into(),
        DEFAULTS,
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    assert!(
        loaded.errors.is_empty(),
        "load errors: {:#?}",
        loaded.errors
    );
    assert!(
        loaded.notes.is_empty(),
        "skipped documents: {:#?}",
        loaded.notes
    );
    loaded.objects
}

fn of_kind<'a>(objects: &'a [Object], kind: &str) -> BTreeMap<String, &'a Object> {
    objects
        .iter()
        .filter(|o| o.kind.as_str() == kind)
        .map(|o| (o.name.to_string(), o))
        .collect()
}

/// The strings of a list field; panics on anything that is not a string.
fn strs(node: Option<&Node>) -> Vec<&str> {
    node.map(|n| {
        n.items()
            .iter()
            .map(|i| i.as_str().expect("list item is a string"))
            .collect()
    })
    .unwrap_or_default()
}

fn rules(o: &Object) -> &[Node] {
    o.root.get("rules").map(Node::items).unwrap_or_default()
}

fn labels(o: &Object) -> BTreeMap<&str, &str> {
    o.root
        .path(&["metadata", "labels"])
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e.key.as_str(),
                e.value.as_str().expect("label value is a string"),
            )
        })
        .collect()
}

/// The `matchLabels` of each `aggregationRule.clusterRoleSelectors` entry.
fn selectors(o: &Object) -> Vec<BTreeMap<&str, &str>> {
    o.root
        .path(&["aggregationRule", "clusterRoleSelectors"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            s.get("matchLabels")
                .map(Node::entries)
                .unwrap_or_default()
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str().expect("label value")))
                .collect()
        })
        .collect()
}

/// The rules of a ClusterRole as the aggregation controller computes them: its own rules plus
/// the aggregated rules of every ClusterRole whose labels match one of its selectors.
fn aggregated<'a>(roles: &BTreeMap<String, &'a Object>, name: &str) -> Vec<&'a Node> {
    fn walk<'a>(
        roles: &BTreeMap<String, &'a Object>,
        name: &str,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<&'a Node>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let role = roles[name];
        out.extend(rules(role));
        for sel in selectors(role) {
            for (other, o) in roles {
                let l = labels(o);
                if sel.iter().all(|(k, v)| l.get(k) == Some(v)) {
                    walk(roles, other, seen, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(roles, name, &mut BTreeSet::new(), &mut out);
    out
}

/// Does one of `rules` allow `verb` on `group`/`resource` (no resourceNames restriction)?
fn allows(rules: &[&Node], verb: &str, group: &str, resource: &str) -> bool {
    rules.iter().any(|r| {
        let has =
            |field: &str, want: &str| strs(r.get(field)).iter().any(|v| *v == want || *v == "*");
        has("verbs", verb)
            && has("apiGroups", group)
            && has("resources", resource)
            && r.get("resourceNames").is_none()
    })
}

/// `(kind, name, namespace)` of each subject of a binding.
fn subjects(o: &Object) -> Vec<(String, String, String)> {
    o.root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let f = |k: &str| {
                s.get(k)
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (f("kind"), f("name"), f("namespace"))
        })
        .collect()
}

fn group(name: &str) -> (String, String, String) {
    ("Group".into(), name.into(), String::new())
}

fn user(name: &str) -> (String, String, String) {
    ("User".into(), name.into(), String::new())
}

fn sa(namespace: &str, name: &str) -> (String, String, String) {
    ("ServiceAccount".into(), name.into(), namespace.into())
}

#[test]
fn every_object_is_a_bootstrap_rbac_object() {
    let objects = load();
    assert!(objects.len() > 100, "only {} objects", objects.len());
    for o in &objects {
        assert_eq!(
            o.api_version.as_str(),
            "rbac.authorization.k8s.io/v1",
            "{}",
            o.name
        );
        assert!(
            matches!(o.kind.as_str(), "ClusterRole" | "ClusterRoleBinding"),
            "{}: kind {}",
            o.name,
            o.kind
        );
        assert!(o.builtin, "{}", o.name);
        assert!(o.namespace.is_none(), "{} has a namespace", o.name);
        assert!(!o.name.is_empty());
        assert_eq!(
            o.label("kubernetes.io/bootstrapping"),
            Some("rbac-defaults"),
            "{}",
            o.name
        );
        assert_eq!(
            o.annotation("rbac.authorization.kubernetes.io/autoupdate"),
            Some("true"),
            "{}",
            o.name
        );
    }
}

#[test]
fn names_are_unique_per_kind() {
    let objects = load();
    for kind in ["ClusterRole", "ClusterRoleBinding"] {
        let mut seen = BTreeSet::new();
        for o in objects.iter().filter(|o| o.kind.as_str() == kind) {
            assert!(seen.insert(o.name.as_str()), "duplicate {kind} {}", o.name);
        }
    }
}

#[test]
fn every_binding_refers_to_a_cluster_role_in_the_file() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let bindings = of_kind(&objects, "ClusterRoleBinding");
    for (name, b) in &bindings {
        let r = b.root.get("roleRef").expect("roleRef");
        let field = |k: &str| r.get(k).and_then(Node::as_str);
        assert_eq!(field("apiGroup"), Some(RBAC_GROUP), "{name}");
        assert_eq!(field("kind"), Some("ClusterRole"), "{name}");
        let target = field("name").expect("roleRef.name");
        assert!(
            roles.contains_key(target),
            "{name} refers to missing {target}"
        );
        // Every default binding binds the role of the same name.
        assert_eq!(target, name);
        for (kind, sname, ns) in subjects(b) {
            match kind.as_str() {
                "ServiceAccount" => assert!(!ns.is_empty(), "{name}: {sname} has no namespace"),
                "User" | "Group" => assert!(ns.is_empty(), "{name}: {sname}"),
                _ => panic!("{name}: subject kind {kind}"),
            }
        }
    }
}

#[test]
fn rules_are_well_formed() {
    let objects = load();
    for o in objects.iter().filter(|o| o.kind.as_str() == "ClusterRole") {
        for (i, r) in rules(o).iter().enumerate() {
            let at = format!("{} rule {i}", o.name);
            assert!(!strs(r.get("verbs")).is_empty(), "{at}: no verbs");
            let urls = strs(r.get("nonResourceURLs"));
            if urls.is_empty() {
                assert!(!strs(r.get("apiGroups")).is_empty(), "{at}: no apiGroups");
                assert!(!strs(r.get("resources")).is_empty(), "{at}: no resources");
            } else {
                assert!(r.get("apiGroups").is_none(), "{at}: apiGroups with URLs");
                assert!(r.get("resources").is_none(), "{at}: resources with URLs");
                assert!(r.get("resourceNames").is_none(), "{at}: names with URLs");
            }
            for e in r.entries() {
                assert!(
                    matches!(
                        e.key.as_str(),
                        "apiGroups" | "resources" | "resourceNames" | "nonResourceURLs" | "verbs"
                    ),
                    "{at}: unexpected field {}",
                    e.key
                );
            }
        }
    }
}

#[test]
fn cluster_admin_can_do_everything() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let r = rules(roles["cluster-admin"]);
    assert_eq!(r.len(), 2);
    assert_eq!(strs(r[0].get("apiGroups")), ["*"]);
    assert_eq!(strs(r[0].get("resources")), ["*"]);
    assert_eq!(strs(r[0].get("verbs")), ["*"]);
    assert_eq!(strs(r[1].get("nonResourceURLs")), ["*"]);
    assert_eq!(strs(r[1].get("verbs")), ["*"]);
}

#[test]
fn admin_edit_view_are_aggregated_and_empty() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    for (name, parent) in [
        ("admin", None),
        ("edit", Some("admin")),
        ("view", Some("edit")),
    ] {
        let role = roles[name];
        assert!(rules(role).is_empty(), "{name} has rules of its own");
        let key = format!("{RBAC_GROUP}/aggregate-to-{name}");
        let want = BTreeMap::from([(key.as_str(), "true")]);
        assert_eq!(selectors(role), [want], "{name}");
        // edit aggregates into admin and view into edit.
        let l = labels(role);
        let up: Vec<_> = l.keys().filter(|k| k.contains("/aggregate-to-")).collect();
        match parent {
            None => assert!(up.is_empty(), "{name}: {up:?}"),
            Some(p) => {
                assert_eq!(up.len(), 1, "{name}: {up:?}");
                assert_eq!(l[format!("{RBAC_GROUP}/aggregate-to-{p}").as_str()], "true");
            }
        }
        // The system:aggregate-to-<name> role carries the rules, labelled to be aggregated.
        let holder = roles[format!("system:aggregate-to-{name}").as_str()];
        assert!(!rules(holder).is_empty());
        assert_eq!(labels(holder)[key.as_str()], "true");
    }
}

#[test]
fn edit_can_exec_and_act_as_service_accounts() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let edit = aggregated(&roles, "edit");
    for sub in ["pods/exec", "pods/attach", "pods/portforward", "pods/proxy"] {
        assert!(allows(&edit, "create", "", sub), "edit cannot create {sub}");
    }
    assert!(allows(&edit, "create", "", "pods"));
    assert!(allows(&edit, "create", "", "pods/eviction"));
    assert!(allows(&edit, "create", "", "serviceaccounts/token"));
    assert!(allows(&edit, "impersonate", "", "serviceaccounts"));
    assert!(allows(&edit, "get", "", "secrets"));
    assert!(allows(&edit, "list", "", "secrets"));
    assert!(allows(&edit, "update", "apps", "deployments"));
    // ... but no RBAC and no endpoint writes (CVE-2021-25740).
    assert!(!allows(&edit, "create", RBAC_GROUP, "rolebindings"));
    assert!(!allows(&edit, "create", "", "endpoints"));
    // edit includes everything view has.
    assert!(allows(&edit, "get", "", "pods/log"));
    // admin adds roles and rolebindings on top of edit.
    let admin = aggregated(&roles, "admin");
    assert!(allows(&admin, "create", "", "pods/exec"));
    assert!(allows(&admin, "create", RBAC_GROUP, "rolebindings"));
    assert!(!allows(&admin, "escalate", RBAC_GROUP, "roles"));
    assert!(!allows(&admin, "bind", RBAC_GROUP, "clusterroles"));
}

#[test]
fn view_does_not_read_secrets_or_exec() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let view = aggregated(&roles, "view");
    assert!(!view.is_empty());
    for r in &view {
        assert!(
            !strs(r.get("resources")).contains(&"secrets"),
            "view aggregates secrets: {r:?}"
        );
        for v in strs(r.get("verbs")) {
            assert!(matches!(v, "get" | "list" | "watch"), "view grants {v}");
        }
        assert!(!strs(r.get("resources")).contains(&"*"));
    }
    assert!(!allows(&view, "get", "", "secrets"));
    assert!(!allows(&view, "get", "", "pods/exec"));
    assert!(allows(&view, "list", "", "pods"));
    assert!(allows(&view, "get", "", "configmaps"));
}

#[test]
fn system_bindings_have_their_default_subjects() {
    let objects = load();
    let bindings = of_kind(&objects, "ClusterRoleBinding");
    let expected = [
        ("cluster-admin", vec![group("system:masters")]),
        ("system:basic-user", vec![group("system:authenticated")]),
        ("system:discovery", vec![group("system:authenticated")]),
        (
            "system:public-info-viewer",
            vec![
                group("system:authenticated"),
                group("system:unauthenticated"),
            ],
        ),
        ("system:monitoring", vec![group("system:monitoring")]),
        (
            "system:service-account-issuer-discovery",
            vec![group("system:serviceaccounts")],
        ),
        ("system:node-proxier", vec![user("system:kube-proxy")]),
        ("system:kube-scheduler", vec![user("system:kube-scheduler")]),
        (
            "system:volume-scheduler",
            vec![user("system:kube-scheduler")],
        ),
        (
            "system:kube-controller-manager",
            vec![user("system:kube-controller-manager")],
        ),
        ("system:kube-dns", vec![sa("kube-system", "kube-dns")]),
        // Kept since Kubernetes 1.8 without subjects: the Node authorizer replaced it.
        ("system:node", vec![]),
    ];
    for (name, subs) in &expected {
        let b = bindings
            .get(*name)
            .unwrap_or_else(|| panic!("no binding {name}"));
        assert_eq!(&subjects(b), subs, "{name}");
    }
    let others: Vec<_> = bindings
        .keys()
        .filter(|n| !n.starts_with("system:controller:"))
        .filter(|n| !expected.iter().any(|(e, _)| e == n))
        .collect();
    assert!(others.is_empty(), "unexpected bindings {others:?}");
    // Anonymous requests get only the public-info-viewer role.
    let anonymous: Vec<_> = bindings
        .iter()
        .filter(|(_, b)| subjects(b).iter().any(|s| s.1 == "system:unauthenticated"))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(anonymous, ["system:public-info-viewer"]);
}

#[test]
fn public_info_viewer_only_reads_health_and_version() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let r = rules(roles["system:public-info-viewer"]);
    assert_eq!(r.len(), 1);
    assert_eq!(
        strs(r[0].get("nonResourceURLs")),
        ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    );
    assert_eq!(strs(r[0].get("verbs")), ["get"]);
}

#[test]
fn default_cluster_roles_are_present() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    for name in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:aggregate-to-admin",
        "system:aggregate-to-edit",
        "system:aggregate-to-view",
        "system:auth-delegator",
        "system:basic-user",
        "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        "system:certificates.k8s.io:kube-apiserver-client-approver",
        "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
        "system:certificates.k8s.io:kubelet-serving-approver",
        "system:certificates.k8s.io:legacy-unknown-approver",
        "system:discovery",
        "system:heapster",
        "system:kube-aggregator",
        "system:kube-controller-manager",
        "system:kube-dns",
        "system:kube-scheduler",
        "system:kubelet-api-admin",
        "system:monitoring",
        "system:node",
        "system:node-bootstrapper",
        "system:node-problem-detector",
        "system:node-proxier",
        "system:persistent-volume-provisioner",
        "system:public-info-viewer",
        "system:service-account-issuer-discovery",
        "system:volume-scheduler",
    ] {
        assert!(roles.contains_key(name), "missing ClusterRole {name}");
    }
    // Powers that matter for attack paths, as the API server grants them.
    let node = rules(roles["system:node"]).iter().collect::<Vec<_>>();
    assert!(allows(&node, "get", "", "secrets"));
    assert!(allows(&node, "create", "", "serviceaccounts/token"));
    let kcm = rules(roles["system:kube-controller-manager"])
        .iter()
        .collect::<Vec<_>>();
    assert!(allows(&kcm, "list", "", "secrets"));
    assert!(allows(&kcm, "create", "", "serviceaccounts/token"));
    let kubelet_admin = rules(roles["system:kubelet-api-admin"])
        .iter()
        .collect::<Vec<_>>();
    assert!(allows(&kubelet_admin, "create", "", "nodes/proxy"));
}

#[test]
fn controller_roles_are_bound_to_their_service_accounts() {
    let objects = load();
    let roles = of_kind(&objects, "ClusterRole");
    let bindings = of_kind(&objects, "ClusterRoleBinding");
    const PREFIX: &str = "system:controller:";
    let controllers: Vec<&str> = roles
        .keys()
        .filter_map(|n| n.strip_prefix(PREFIX))
        .collect();
    // v1.36 has 38 with its default feature gates (feature-gated ones such as
    // kube-apiserver-serving-clustertrustbundle-publisher are off by default).
    assert!(
        controllers.len() >= 35,
        "only {} controller roles",
        controllers.len()
    );
    for c in [
        "attachdetach-controller",
        "certificate-controller",
        "clusterrole-aggregation-controller",
        "cronjob-controller",
        "daemon-set-controller",
        "deployment-controller",
        "disruption-controller",
        "endpoint-controller",
        "endpointslice-controller",
        "endpointslicemirroring-controller",
        "ephemeral-volume-controller",
        "expand-controller",
        "generic-garbage-collector",
        "horizontal-pod-autoscaler",
        "job-controller",
        "legacy-service-account-token-cleaner",
        "namespace-controller",
        "node-controller",
        "persistent-volume-binder",
        "pod-garbage-collector",
        "pv-protection-controller",
        "pvc-protection-controller",
        "replicaset-controller",
        "replication-controller",
        "resourcequota-controller",
        "root-ca-cert-publisher",
        "route-controller",
        "service-account-controller",
        "service-controller",
        "statefulset-controller",
        "ttl-after-finished-controller",
        "ttl-controller",
        "validatingadmissionpolicy-status-controller",
    ] {
        assert!(controllers.contains(&c), "missing {PREFIX}{c}");
    }
    for c in &controllers {
        let name = format!("{PREFIX}{c}");
        let b = bindings
            .get(&name)
            .unwrap_or_else(|| panic!("no binding {name}"));
        assert_eq!(subjects(b), [sa("kube-system", c)], "{name}");
    }
    let bound = bindings.keys().filter(|n| n.starts_with(PREFIX)).count();
    assert_eq!(bound, controllers.len());
    // The clusterrole-aggregation controller must be able to escalate: it writes the rules of
    // admin/edit/view.
    let agg = rules(roles["system:controller:clusterrole-aggregation-controller"])
        .iter()
        .collect::<Vec<_>>();
    assert!(allows(&agg, "escalate", RBAC_GROUP, "clusterroles"));
}
