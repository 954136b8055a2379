//! Oracle (b): Falco's k8saudit test cases (`audit/falco/expected.yaml`, 66 cases over 47
//! trace files). Each Falco rule maps to the kubeward detections that implement it; each case's
//! rule-override files become the equivalent kubeward config. For every case whose rules we
//! implement, our verdict must equal Falco's: `detect: True` cases must raise the mapped
//! detection the expected number of times (requests counted, after merging), `detect: False`
//! cases must raise none of the detections mapped from the rules the case loads.
//! Disagreements are listed in `DISAGREEMENTS` with the reason; for those we assert our own
//! verdict.

mod common;

use common::{data, run};
use kubeward_audit::config::{AllowRule, AuditConfig, Glob};
use kubeward_core::Node;
use kubeward_load::yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Falco rule -> the kubeward detections that implement it.
fn mapping() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("Disallowed K8s User", &["KW743"][..]),
        ("Create Disallowed Pod", &["KW714"][..]),
        ("Create Privileged Pod", &["KW706"][..]),
        ("Create Sensitive Mount Pod", &["KW708"][..]),
        ("Create HostNetwork Pod", &["KW709"][..]),
        ("Create HostPid Pod", &["KW710"][..]),
        ("Create HostIPC Pod", &["KW711"][..]),
        ("Create NodePort Service", &["KW715"][..]),
        (
            "Create/Modify Configmap With Private Credentials",
            &["KW717"][..],
        ),
        ("Anonymous Request Allowed", &["KW719"][..]),
        ("Attach/Exec Pod", &["KW701", "KW702"][..]),
        ("port-forward", &["KW704"][..]),
        ("EphemeralContainers Created", &["KW705"][..]),
        ("Create Disallowed Namespace", &["KW742"][..]),
        ("Pod Created in Kube Namespace", &["KW712"][..]),
        ("Service Account Created in Kube Namespace", &["KW725"][..]),
        ("System ClusterRole Modified/Deleted", &["KW732"][..]),
        ("Attach to cluster-admin Role", &["KW726"][..]),
        ("ClusterRole With Wildcard Created", &["KW728"][..]),
        ("ClusterRole With Write Privileges Created", &["KW729"][..]),
        ("ClusterRole With Pod Exec Created", &["KW730"][..]),
        ("K8s Deployment Created", &["KW740"][..]),
        ("K8s Deployment Deleted", &["KW740"][..]),
        ("K8s Namespace Created", &["KW742"][..]),
        ("K8s Namespace Deleted", &["KW742"][..]),
        ("K8s Serviceaccount Created", &["KW725"][..]),
        ("K8s Serviceaccount Deleted", &["KW725"][..]),
        // Role activity: KW729 (write or read-only, activity) unless a content detection
        // (KW728, KW730, KW731) describes the role better.
        (
            "K8s Role/Clusterrole Created",
            &["KW728", "KW729", "KW730", "KW731"][..],
        ),
        ("K8s Role/Clusterrole Deleted", &["KW729"][..]),
        (
            "K8s Role/Clusterrolebinding Created",
            &["KW726", "KW727"][..],
        ),
        ("K8s Role/Clusterrolebinding Deleted", &["KW727"][..]),
        // The same rules under the names of the k8saudit 0.18 rules file (expected.yaml still
        // uses the older names above).
        (
            "K8s Role Created",
            &["KW728", "KW729", "KW730", "KW731"][..],
        ),
        (
            "K8s ClusterRole Created",
            &["KW728", "KW729", "KW730", "KW731"][..],
        ),
        ("K8s Role Deleted", &["KW729"][..]),
        ("K8s ClusterRole Deleted", &["KW729"][..]),
        ("K8s RoleBinding Created", &["KW726", "KW727"][..]),
        ("K8s ClusterRoleBinding Created", &["KW726", "KW727"][..]),
        ("K8s RoleBinding Deleted", &["KW727"][..]),
        ("K8s ClusterRoleBinding Deleted", &["KW727"][..]),
        (
            "Ingress Object without TLS Certificate Created",
            &["KW716"][..],
        ),
        ("K8s Secret Created", &["KW723"][..]),
        ("K8s Secret Deleted", &["KW723"][..]),
        ("K8s Secret Get Successfully", &["KW721"][..]),
        ("K8s Secret Get Unsuccessfully Tried", &["KW721"][..]),
        ("Full K8s Administrative Access", &["KW743"][..]),
        (
            "Untrusted Node Successfully Joined the Cluster",
            &["KW744"][..],
        ),
        (
            "Untrusted Node Unsuccessfully Tried to Join the Cluster",
            &["KW744"][..],
        ),
        // The rule of the case's own rules file, translated into a kubeward custom rule
        // (`config_for`).
        ("json_pointer_example", &["XJSONPTR"][..]),
    ])
}

/// Falco rules with no kubeward detection, and why.
const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    (
        "K8s Service Created",
        "Service creation is routine activity with no catalogue entry; NodePorts are KW715 and every write is in the report",
    ),
    (
        "K8s Service Deleted",
        "same: in the report's deletions, no alert",
    ),
    (
        "K8s ConfigMap Created",
        "routine activity; credentials in ConfigMaps are KW717 and sensitive ConfigMaps KW718",
    ),
    (
        "K8s ConfigMap Deleted",
        "routine activity; in the report's deletions",
    ),
    ("All K8s Audit Events", "a debugging rule (off in Falco)"),
];

/// Cases where we disagree with Falco on purpose: (case, our verdict is detect?, reason).
const DISAGREEMENTS: &[(&str, bool, &str)] = &[];

fn rules_in(file: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("- rule: "))
        .map(|r| r.trim().to_string())
        .collect()
}

struct Case {
    name: String,
    detect: bool,
    counts: Vec<(String, u64)>,
    trace: String,
    rules_files: Vec<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("expected.yaml"))
        .unwrap()
        .replace("!mux", "");
    let docs = yaml::parse_single(&text, &yaml::Limits::default());
    let root = docs.into_iter().next().unwrap().root.unwrap();
    let files = root.get("trace_files").unwrap();
    files
        .entries()
        .iter()
        .map(|e| {
            let v = &e.value;
            let s = |n: &Node| n.scalar_text().unwrap_or_default();
            let opts = v.get("addl_cmdline_opts").map(s).unwrap_or_default();
            let trace = opts.rsplit('/').next().unwrap_or("").to_string();
            let counts = v
                .get("detect_counts")
                .map(|c| {
                    c.items()
                        .iter()
                        .flat_map(|i| {
                            i.entries()
                                .iter()
                                .map(|e| (e.key.to_string(), e.value.as_i64().unwrap_or(0) as u64))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Case {
                name: e.key.to_string(),
                detect: v.get("detect").and_then(Node::as_bool).unwrap(),
                counts,
                trace,
                rules_files: v
                    .get("rules_file")
                    .map(|r| {
                        r.items()
                            .iter()
                            .map(|i| s(i).rsplit('/').next().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The kubeward config equivalent to Falco's defaults plus a case's override files.
fn config_for(case: &Case) -> AuditConfig {
    let mut c = AuditConfig {
        activity: true, // consider_activity_events = always_true
        // allowed_k8s_users (with vertical_pod_autoscaler_users) and eks_allowed_k8s_users of
        // k8s_audit_rules.yaml.
        allowed_users: [
            "minikube",
            "minikube-user",
            "kubelet",
            "kops",
            "admin",
            "kube",
            "kube-proxy",
            "kube-apiserver-healthcheck",
            "kubernetes-admin",
            "vpa-recommender",
            "vpa-updater",
            "cluster-autoscaler",
            "system:addon-manager",
            "cloud-controller-manager",
            "system:kube-controller-manager",
            "eks:*",
        ]
        .into_iter()
        .map(Glob::new)
        .collect(),
        allowed_namespaces: ["kube-system", "kube-public", "default"]
            .into_iter()
            .map(Glob::new)
            .collect(),
        ..AuditConfig::default()
    };
    for f in &case.rules_files {
        match f.as_str() {
            "allow_namespace_foo.yaml" => c.allowed_namespaces.push(Glob::new("foo")),
            "allow_user_some-user.yaml" => c.allowed_users.push(Glob::new("some-user")),
            "disallow_kactivity.yaml" => c.activity = false,
            "allow_nginx_container.yaml" | "engine_v4_allow_nginx_container.yaml" => {
                c.trusted_images = vec![Glob::new("nginx")]
            }
            "allow_only_apache_container.yaml" | "engine_v4_allow_only_apache_container.yaml" => {
                c.trusted_images = vec![Glob::new("apache")]
            }
            // `jevt.value[/annotations/authorization.k8s.io~1decision] exists and not
            // (jevt.value[/a~1~0b] exists)`: an audit event has no top-level `a/~b` field, so
            // the second clause always holds; the first is our `decision` field.
            "single_rule_with_json_pointer.yaml" => {
                let rule = AuditConfig::parse(
                    "json_pointer.yaml".into(),
                    "rules:\n  - code: XJSONPTR\n    name: json-pointer-example\n    severity: medium\n    when: 'decision != \"\"'\n    tactic: discovery\n    technique: Access the Kubernetes API server\n",
                )
                .unwrap();
                c.custom.extend(rule.custom);
            }
            "trust_nginx_container.yaml" => c.allow.push(AllowRule {
                rules: vec!["KW706", "KW708", "KW709"],
                images: vec![Glob::new("nginx")],
                reason: "falco_{privileged,sensitive_mount,hostnetwork}_images: [nginx]".into(),
                ..AllowRule::default()
            }),
            _ => {}
        }
    }
    c
}

#[test]
fn falco_cases() {
    let dir = data().join("audit/falco");
    let map = mapping();
    let all = cases(&dir);
    assert_eq!(all.len(), 66, "expected.yaml has 66 cases");
    let mut checked = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for case in &all {
        // The Falco rules this case loads (its rule files, from the data directory).
        let mut in_play = BTreeSet::new();
        for f in &case.rules_files {
            let p = if f == "k8s_audit_rules.yaml" {
                dir.join(f)
            } else {
                dir.join("rule-overrides").join(f)
            };
            in_play.extend(rules_in(&p));
        }
        let tested: Vec<&str> = case.counts.iter().map(|(r, _)| r.as_str()).collect();
        if case.detect && tested.iter().any(|r| !map.contains_key(r)) {
            let why = tested
                .iter()
                .filter_map(|r| NOT_IMPLEMENTED.iter().find(|(n, _)| n == r))
                .map(|(n, w)| format!("{n}: {w}"))
                .collect::<Vec<_>>();
            assert!(
                !why.is_empty(),
                "{}: rule {tested:?} neither mapped nor listed as not implemented",
                case.name
            );
            skipped.push(format!("{}: {}", case.name, why.join("; ")));
            continue;
        }
        let trace: PathBuf = dir.join("traces").join(&case.trace);
        let a = run(std::slice::from_ref(&trace), config_for(case));
        let codes_in_play: BTreeSet<&str> = in_play
            .iter()
            .filter_map(|r| map.get(r.as_str()))
            .flat_map(|c| c.iter().copied())
            .collect();
        let fired: BTreeMap<&str, u64> = a
            .alerts
            .iter()
            .filter(|al| codes_in_play.contains(al.code))
            .fold(BTreeMap::new(), |mut m, al| {
                *m.entry(al.code).or_default() += al.count;
                m
            });
        let ours_detect = !fired.is_empty();
        let expected = DISAGREEMENTS
            .iter()
            .find(|(n, _, _)| *n == case.name)
            .map_or(case.detect, |(_, d, _)| *d);
        checked += 1;
        if ours_detect != expected {
            failures.push(format!(
                "{}: Falco detect={}, kubeward fired {fired:?} ({} alerts: {:?})",
                case.name,
                case.detect,
                a.alerts.len(),
                a.alerts
                    .iter()
                    .map(|x| (x.code, &x.message))
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for (rule, count) in &case.counts {
            let codes = map[rule.as_str()];
            let n: u64 = codes
                .iter()
                .map(|c| fired.get(c).copied().unwrap_or(0))
                .sum();
            if n != *count {
                failures.push(format!(
                    "{}: `{rule}` expected {count}, kubeward {codes:?} fired {n} ({fired:?})",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    eprintln!(
        "checked {checked} cases; skipped {}: {skipped:#?}",
        skipped.len()
    );
    assert_eq!(checked + skipped.len(), 66);
    // The rules we do not implement are exactly the ones listed.
    assert_eq!(skipped.len(), 4, "{skipped:#?}");
}

#[test]
fn the_malformed_trace_is_an_error_not_a_crash() {
    let dir = data().join("audit/falco/traces");
    let a = run(&[dir.join("fal_01_003.json")], AuditConfig::default());
    assert_eq!(a.read.bad_records, 1);
    assert_eq!(a.read.events, 0);
    assert!(a.alerts.is_empty());
    assert!(
        a.errors[0]
            .to_string()
            .contains("fal_01_003.json:1: not a valid audit record"),
        "{}",
        a.errors[0]
    );
}

#[test]
fn every_trace_parses() {
    let dir = data().join("audit/falco/traces");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|f| f == "fal_01_003.json") {
            continue;
        }
        let a = run(std::slice::from_ref(&p), AuditConfig::default());
        assert_eq!(a.read.bad_records, 0, "{}: {:?}", p.display(), a.errors);
        assert!(a.read.events >= 1, "{}", p.display());
        n += 1;
    }
    assert_eq!(n, 46);
}
