//! The RBAC rules (KW2xx) build one RBAC analysis per scan and share it: this checks that the
//! sharing never serves one snapshot's analysis for another, and that all the rules together
//! stay fast on a large cluster's RBAC (1,000 roles, 5,000 bindings).

use kubeward_core::{Finding, Node, Object, Snapshot, Value};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::{Engine, Rule, rules::rbac::RULES};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn load(yaml: &str) -> Vec<Object> {
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "t.yaml".into(),
        yaml.as_bytes(),
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

fn run(rules: &[&'static Rule], snapshot: &Snapshot) -> Vec<Finding> {
    let mut engine = Engine::new(
        rules,
        &HashMap::new(),
        Exceptions::new(vec![], Date::today()),
    );
    let mut out = Vec::new();
    engine.check_snapshot(snapshot, &mut out);
    out
}

fn secrets_rule() -> &'static Rule {
    kubeward_rules::find("KW208").expect("KW208")
}

const READER: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: User, name: alice}]
"#;

/// Replaces the verb of the first rule of the first object, in place (same positions).
fn set_verb(objects: &mut [Object], verb: &str) {
    let Value::Map(entries) = &mut objects[0].root.value else {
        panic!("not a map")
    };
    let rules = entries
        .iter_mut()
        .find(|e| e.key == "rules")
        .expect("rules");
    let Value::Seq(list) = &mut rules.value.value else {
        panic!("rules")
    };
    let Value::Map(rule) = &mut list[0].value else {
        panic!("rule")
    };
    let verbs = rule.iter_mut().find(|e| e.key == "verbs").expect("verbs");
    let pos = verbs.value.pos;
    verbs.value = Node::new(
        pos,
        Value::Seq(vec![Node::new(pos, Value::Str(verb.into()))]),
    );
}

#[test]
fn the_shared_analysis_never_outlives_its_snapshot() {
    let objects = load(READER);
    // The same objects, scanned twice: the second run reuses the analysis.
    let a = Snapshot {
        objects: objects.clone(),
        ..Snapshot::default()
    };
    assert_eq!(run(&[secrets_rule()], &a).len(), 1);
    assert_eq!(run(&[secrets_rule()], &a).len(), 1);
    drop(a);
    // A clone changed in place (same file, names and positions, different verb), in a snapshot
    // that may well sit where the last one did: judged afresh.
    let mut changed = objects.clone();
    set_verb(&mut changed, "patch");
    let b = Snapshot {
        objects: changed,
        ..Snapshot::default()
    };
    assert!(run(&[secrets_rule()], &b).is_empty());
    // And back.
    let c = Snapshot {
        objects,
        ..Snapshot::default()
    };
    assert_eq!(run(&[secrets_rule()], &c).len(), 1);
    // A snapshot without RBAC after one with it.
    assert!(run(&[secrets_rule()], &Snapshot::default()).is_empty());
}

/// A cluster's worth of RBAC: 1,000 roles (half ClusterRoles) and 5,000 bindings over 50
/// namespaces, one binding in ten risky, a few to Kubernetes' `edit` and `view`.
fn large() -> String {
    let mut y = String::new();
    for i in 0..1000 {
        let ns = i % 50;
        if i % 2 == 0 {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
                 metadata: {{name: cr{i}, labels: {{app: a{i}}}}}\nrules:\n\
                 - {{apiGroups: [\"\"], resources: [pods, services, configmaps, endpoints], verbs: [get, list, watch]}}\n\
                 - {{apiGroups: [apps], resources: [deployments, statefulsets], verbs: [get, list, watch]}}\n\
                 - {{apiGroups: [\"\"], resources: [secrets], resourceNames: [s{i}], verbs: [get]}}\n\
                 - {{apiGroups: [example.com], resources: [\"*\"], verbs: [\"*\"]}}\n\
                 - {{apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}}\n"
            ));
        } else if i % 10 == 1 {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n\
                 metadata: {{name: r{i}, namespace: ns{ns}}}\nrules:\n\
                 - {{apiGroups: [\"\"], resources: [secrets, pods/exec], verbs: [get, list, create]}}\n\
                 - {{apiGroups: [batch], resources: [jobs], verbs: [create]}}\n"
            ));
        } else {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n\
                 metadata: {{name: r{i}, namespace: ns{ns}}}\nrules:\n\
                 - {{apiGroups: [\"\"], resources: [pods, pods/log, configmaps], verbs: [get, list, watch]}}\n\
                 - {{apiGroups: [\"\"], resources: [configmaps], resourceNames: [c{i}], verbs: [update]}}\n"
            ));
        }
    }
    for i in 0..5000 {
        let r = i % 1000;
        let (kind, role, ns) = if r % 2 == 0 {
            if i % 97 == 0 {
                ("ClusterRole", "edit".to_string(), i % 50)
            } else if i % 89 == 0 {
                ("ClusterRole", "view".to_string(), i % 50)
            } else {
                ("ClusterRole", format!("cr{r}"), i % 50)
            }
        } else {
            ("Role", format!("r{r}"), r % 50)
        };
        if i % 10 == 0 && kind == "ClusterRole" {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
                 metadata: {{name: crb{i}}}\n\
                 roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\n\
                 subjects: [{{kind: ServiceAccount, name: sa{i}, namespace: ns{ns}}}]\n"
            ));
        } else {
            y.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
                 metadata: {{name: rb{i}, namespace: ns{ns}}}\n\
                 roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\n\
                 subjects: [{{kind: ServiceAccount, name: sa{i}}}, {{kind: User, name: u{i}}}]\n"
            ));
        }
    }
    for ns in 0..50 {
        let level = if ns % 2 == 0 {
            "restricted"
        } else {
            "privileged"
        };
        y.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{ns}\n  labels: \
             {{pod-security.kubernetes.io/enforce: {level}}}\n"
        ));
    }
    y
}

#[test]
fn all_rbac_rules_on_a_large_cluster() {
    let snapshot = Snapshot {
        objects: load(&large()),
        ..Snapshot::default()
    };
    // Warm Kubernetes' defaults (parsed once per process).
    run(&[secrets_rule()], &Snapshot::default());
    let start = Instant::now();
    let findings = run(RULES, &snapshot);
    let cold = start.elapsed();
    let start = Instant::now();
    let again = run(RULES, &snapshot);
    let warm = start.elapsed();
    println!(
        "{} RBAC rules, 1,000 roles and 5,000 bindings: {} findings in {cold:?} (analysis \
         built), {warm:?} (analysis reused)",
        RULES.len(),
        findings.len()
    );
    assert_eq!(findings.len(), again.len());
    assert!(findings.len() > 500, "{}", findings.len());
    // Optimised builds only (a debug build is an order of magnitude slower). The rules share
    // one analysis per snapshot; each still hashes the snapshot's RBAC objects to make sure
    // the shared analysis is the snapshot's (about 3 ms here, memory-bound), which a memo slot
    // on `Snapshot` would make unnecessary.
    if !cfg!(debug_assertions) {
        assert!(cold < Duration::from_millis(250), "{cold:?}");
    }
}
