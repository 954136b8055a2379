//! Behaviour of detections the oracles do not exercise: patches, stages, window boundaries,
//! the config-gated detections, and the rarer catalogue entries. Events are built here in
//! the real audit.k8s.io/v1 shape.

use kubeward_audit::Alert;
use kubeward_audit::analyze::analyze;
use kubeward_audit::config::{AuditConfig, Glob};
use kubeward_audit::ip::Cidr;
use serde_json::{Value, json};
use std::sync::Arc;

struct Ev {
    v: Value,
}

/// An event at second `t` of 2026-11-23T10:00:00Z.
fn ev(t: u32, user: &str, verb: &str, uri: &str, code: u16) -> Ev {
    let p = kubeward_audit::event::parse_api_path(uri.split('?').next().unwrap_or(""));
    let mut v = json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": format!("00000000-0000-4000-8000-{:012}", t as u64 * 1000 + (uri.len() as u64 % 1000)),
        "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"], "userAgent": "kubectl/v1.29.0 (linux/amd64) kubernetes/abc",
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": format!("2026-11-23T10:{:02}:{:02}.000000Z", t / 60, t % 60),
        "stageTimestamp": format!("2026-11-23T10:{:02}:{:02}.100000Z", t / 60, t % 60),
        "annotations": {"authorization.k8s.io/decision": if code == 403 { "forbid" } else { "allow" }}
    });
    if let Some(p) = p {
        let mut o = json!({"resource": p.resource, "apiVersion": p.version});
        for (k, val) in [
            ("namespace", &p.namespace),
            ("name", &p.name),
            ("apiGroup", &p.group),
            ("subresource", &p.subresource),
        ] {
            if !val.is_empty() {
                o[k] = json!(val);
            }
        }
        v["objectRef"] = o;
    }
    Ev { v }
}

impl Ev {
    fn body(mut self, b: Value) -> Ev {
        self.v["requestObject"] = b;
        self
    }
    fn set(mut self, key: &str, val: Value) -> Ev {
        self.v[key] = val;
        self
    }
    fn id(self, id: &str) -> Ev {
        self.set("auditID", json!(id))
    }
}

fn run_with(cfg: AuditConfig, evs: Vec<Ev>) -> Vec<Alert> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("audit.log");
    let text: String = evs.iter().map(|e| e.v.to_string() + "\n").collect();
    std::fs::write(&p, text).unwrap();
    let a = analyze(&[p], Arc::new(cfg), false);
    assert_eq!(a.read.bad_records, 0, "{:?}", a.errors);
    a.alerts
}

fn run(evs: Vec<Ev>) -> Vec<Alert> {
    run_with(AuditConfig::default(), evs)
}

fn codes(a: &[Alert]) -> Vec<&'static str> {
    let mut c: Vec<&str> = a.iter().map(|x| x.code).collect();
    c.sort();
    c.dedup();
    c
}

#[test]
fn patches_are_judged_by_what_they_set() {
    let a = run(vec![
        // JSON patch turning a Service into a NodePort.
        ev(1, "bob", "patch", "/api/v1/namespaces/web/services/front", 200)
            .body(json!([{"op": "replace", "path": "/spec/type", "value": "NodePort"}])),
        // Strategic-merge patch making a Deployment's container privileged.
        ev(2, "bob", "patch", "/apis/apps/v1/namespaces/web/deployments/front", 200)
            .body(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "securityContext": {"privileged": true}}]}}}})),
        // JSON patch adding a wildcard verb to a Role.
        ev(3, "bob", "patch", "/apis/rbac.authorization.k8s.io/v1/namespaces/web/roles/r", 200)
            .body(json!([{"op": "add", "path": "/rules/0/verbs/-", "value": "*"}])),
        // JSON patch adding a container (sidecar injection).
        ev(4, "bob", "patch", "/apis/apps/v1/namespaces/web/deployments/api", 200)
            .body(json!([{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "proxy", "image": "evil/proxy"}}])),
        // `kubectl set image`: a merge patch with only name and image: routine.
        ev(5, "bob", "patch", "/apis/apps/v1/namespaces/web/deployments/db", 200)
            .body(json!({"spec": {"template": {"spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}})),
    ]);
    let find = |code: &str| {
        a.iter()
            .find(|x| x.code == code)
            .unwrap_or_else(|| panic!("no {code}: {a:#?}"))
    };
    assert!(
        find("KW715")
            .message
            .contains("Service web/front of type NodePort")
    );
    assert!(
        find("KW706")
            .message
            .contains("Deployment web/front (pod template)")
    );
    assert!(find("KW728").message.contains("verbs: *"));
    // A JSON patch adding a container, and the merge patch redefining `app`'s security
    // context, are container changes; `kubectl set image` (name and image only) is not.
    let side: Vec<&str> = a
        .iter()
        .filter(|x| x.code == "KW739")
        .map(|x| x.message.as_str())
        .collect();
    assert_eq!(
        side,
        vec![
            "bob patched Deployment web/front to add or redefine container(s) app",
            "bob patched Deployment web/api to add or redefine container(s) proxy",
        ]
    );
}

#[test]
fn one_alert_per_request_across_stages() {
    let uri = "/api/v1/namespaces/prod/pods/p/exec?command=sh&container=c";
    let a = run(vec![
        ev(1, "bob", "create", uri, 101)
            .set("stage", json!("RequestReceived"))
            .id("a"),
        ev(1, "bob", "create", uri, 101)
            .set("stage", json!("ResponseStarted"))
            .id("a"),
        ev(9, "bob", "create", uri, 101)
            .set("stage", json!("ResponseComplete"))
            .id("a"),
        // A request that panicked is still judged once.
        ev(10, "carol", "create", uri, 500)
            .set("stage", json!("Panic"))
            .id("b"),
    ]);
    let exec: Vec<&Alert> = a.iter().filter(|x| x.code == "KW701").collect();
    assert_eq!(exec.len(), 2, "{exec:#?}");
    assert_eq!(exec[0].count, 1);
    assert_eq!(
        exec[0].events[0].stage, "ResponseStarted",
        "judged when the session started"
    );
    assert_eq!(exec[0].first_seen, "2026-11-23T10:00:01.100000Z");
    assert_eq!(exec[1].identity.user, "carol");
}

#[test]
fn forbidden_burst_threshold_and_window() {
    let mk = |n: u32, spacing: u32| -> Vec<Ev> {
        (0..n)
            .map(|i| {
                ev(
                    i * spacing,
                    "mallory",
                    "list",
                    &format!("/api/v1/namespaces/ns{i}/configmaps"),
                    403,
                )
            })
            .collect()
    };
    assert!(
        !codes(&run(mk(9, 1))).contains(&"KW720"),
        "9 refusals: under the threshold"
    );
    let a = run(mk(10, 1));
    let b: Vec<&Alert> = a.iter().filter(|x| x.code == "KW720").collect();
    assert_eq!((b.len(), b[0].count), (1, 10));
    // 10 refusals spread over 20 minutes never fill a 10-minute window.
    assert!(!codes(&run(mk(10, 130))).contains(&"KW720"));
    // The threshold is configurable.
    let mut cfg = AuditConfig::default();
    cfg.thresholds.forbidden_burst.count = 3;
    assert!(codes(&run_with(cfg, mk(3, 1))).contains(&"KW720"));
}

#[test]
fn rbac_change_then_workload_within_five_minutes() {
    let rb = |t| {
        ev(t, "eve", "create", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", 201)
        .body(json!({"metadata": {"name": "x"}, "roleRef": {"kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "User", "name": "eve"}]}))
    };
    let pod = |t| {
        ev(t, "eve", "create", "/api/v1/namespaces/dev/pods", 201).body(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "alpine"}]}}))
    };
    assert!(codes(&run(vec![rb(0), pod(299)])).contains(&"KW733"));
    assert!(
        !codes(&run(vec![rb(0), pod(301)])).contains(&"KW733"),
        "outside the window"
    );
    assert!(
        !codes(&run(vec![pod(0), rb(10)])).contains(&"KW733"),
        "workload first"
    );
}

#[test]
fn controller_pods_are_folded_into_their_workload_alert() {
    let tpl = json!({"spec": {"template": {"spec": {"hostPID": true, "containers": [{"name": "c", "image": "busybox"}]}}}, "metadata": {"name": "mon"}});
    let pod = |i: u32| {
        ev(10 + i, "system:serviceaccount:kube-system:replicaset-controller", "create", "/api/v1/namespaces/ops/pods", 201).body(json!({
            "metadata": {"generateName": "mon-7c9d8f6b5-", "ownerReferences": [{"kind": "ReplicaSet", "name": "mon-7c9d8f6b5", "controller": true}]},
            "spec": {"hostPID": true, "containers": [{"name": "c", "image": "busybox"}]}
        }))
    };
    // With the Deployment's creation in the log: one alert, on the person who wrote it.
    let a = run(vec![
        ev(
            1,
            "dave",
            "create",
            "/apis/apps/v1/namespaces/ops/deployments",
            201,
        )
        .body(tpl),
        pod(1),
        pod(2),
        pod(3),
    ]);
    let host: Vec<&Alert> = a.iter().filter(|x| x.code == "KW710").collect();
    assert_eq!(host.len(), 1, "{host:#?}");
    assert_eq!(host[0].identity.user, "dave");
    // Without it (the log starts later): one alert for the ReplicaSet's pods, counted.
    let a = run(vec![pod(1), pod(2), pod(3)]);
    let host: Vec<&Alert> = a.iter().filter(|x| x.code == "KW710").collect();
    assert_eq!((host.len(), host[0].count), (1, 3));
    // The platform's own pods in kube-system are not judged.
    let sys = ev(1, "system:serviceaccount:kube-system:daemon-set-controller", "create", "/api/v1/namespaces/kube-system/pods", 201)
        .body(json!({"spec": {"hostNetwork": true, "hostPID": true, "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.29.0", "securityContext": {"privileged": true}}]}}));
    assert!(run(vec![sys]).is_empty());
}

#[test]
fn rarer_catalogue_entries() {
    let a = run(vec![
        ev(1, "bob", "get", "/api/v1/nodes/n1/proxy/run/default/p/c?cmd=id", 200),
        ev(2, "prometheus-admin", "get", "/api/v1/nodes/n1/proxy/metrics", 200),
        ev(3, "bob", "create", "/api/v1/nodes", 201).body(json!({"metadata": {"name": "rogue"}})),
        ev(4, "system:node:n2", "create", "/api/v1/nodes", 201).body(json!({"metadata": {"name": "n2"}})),
        ev(5, "bob", "update", "/api/v1/namespaces/kube-system/configmaps/coredns", 200).body(json!({"data": {"Corefile": ". { forward . 6.6.6.6 }"}})),
        ev(6, "bob", "delete", "/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/deny-all", 200),
        ev(7, "bob", "deletecollection", "/api/v1/namespaces/prod/pods", 200),
        ev(8, "bob", "delete", "/api/v1/namespaces/staging", 200),
        ev(9, "bob", "create", "/api/v1/namespaces/kube-system/pods", 201)
            .body(json!({"metadata": {"name": "x"}, "spec": {"serviceAccountName": "clusterrole-aggregation-controller", "containers": [{"name": "c", "image": "alpine"}]}})),
        ev(10, "bob", "create", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", 201)
            .body(json!({"metadata": {"name": "inject"}, "webhooks": [{"name": "i.example.com", "failurePolicy": "Fail", "clientConfig": {"service": {"namespace": "x", "name": "y"}}, "rules": [{"resources": ["pods"]}]}]})),
        ev(11, "system:serviceaccount:web:app", "create", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", 201),
    ]);
    let c = codes(&a);
    for code in [
        "KW712", "KW713", "KW718", "KW736", "KW742", "KW744", "KW745", "KW746", "KW751",
    ] {
        assert!(c.contains(&code), "{code} missing from {c:?}");
    }
    // Metrics scraping through the proxy and a kubelet registering itself are quiet.
    assert_eq!(a.iter().filter(|x| x.code == "KW745").count(), 1);
    assert_eq!(a.iter().filter(|x| x.code == "KW744").count(), 1);
    assert!(
        a.iter()
            .any(|x| x.code == "KW746" && x.severity == kubeward_core::Severity::Medium),
        "a service account asking what it may do"
    );
    assert!(a.iter().any(|x| {
        x.code == "KW736"
            && x.message
                .contains("mutating webhook i.example.com sees pods")
    }));
}

#[test]
fn delete_burst() {
    let evs: Vec<Ev> = (0..10)
        .map(|i| {
            ev(
                i,
                "bob",
                "delete",
                &format!("/apis/apps/v1/namespaces/prod/deployments/d{i}"),
                200,
            )
        })
        .collect();
    let a = run(evs);
    let b: Vec<&Alert> = a.iter().filter(|x| x.code == "KW751").collect();
    assert_eq!(
        (b.len(), b[0].count, b[0].severity),
        (1, 10, kubeward_core::Severity::High)
    );
}

#[test]
fn configured_detections_are_silent_without_their_lists() {
    let evs = || {
        vec![
            ev(1, "stranger", "create", "/api/v1/namespaces/web/pods", 201)
                .body(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "docker.io/evil/miner:latest"}]}}))
                .set("sourceIPs", json!(["198.51.100.7"])),
        ]
    };
    let c = codes(&run(evs()));
    for code in ["KW714", "KW743", "KW750"] {
        assert!(!c.contains(&code), "{code} without config");
    }
    let cfg = AuditConfig {
        trusted_images: vec![Glob::new("registry.example.com/*")],
        allowed_users: vec![Glob::new("*@example.com")],
        ioc_networks: vec![Cidr::parse("198.51.100.0/24").unwrap()],
        ..AuditConfig::default()
    };
    let c = codes(&run_with(cfg, evs()));
    for code in ["KW714", "KW743", "KW750"] {
        assert!(c.contains(&code), "{code} with its list: {c:?}");
    }
}

#[test]
fn allow_list_entries_and_activity() {
    let evs = || {
        vec![
            ev(
                1,
                "oncall-amy",
                "create",
                "/api/v1/namespaces/debug/pods/p/exec?command=sh",
                101,
            )
            .set("stage", json!("ResponseStarted")),
            ev(2, "bob", "create", "/api/v1/namespaces/dev/secrets", 201)
                .body(json!({"metadata": {"name": "s"}})),
        ]
    };
    let c = codes(&run(evs()));
    assert_eq!(
        c,
        vec!["KW701"],
        "secret creation is activity, off by default"
    );
    let cfg = AuditConfig::parse(
        "c.yaml".into(),
        "activity: true\nallow:\n  - rules: [exec-into-pod]\n    users: [\"oncall-*\"]\n    namespaces: [debug]\n    reason: on call\n",
    )
    .unwrap();
    let a = run_with(cfg, evs());
    assert_eq!(codes(&a), vec!["KW723"]);
    assert_eq!(a[0].severity, kubeward_core::Severity::Info);
    // A secret's value never reaches an alert, even when the body carries it.
    let a = run_with(
        AuditConfig { activity: true, ..AuditConfig::default() },
        vec![ev(3, "bob", "create", "/api/v1/namespaces/dev/secrets", 201).body(json!({"metadata": {"name": "db"}, "data": {"password": "c3VwZXJzZWNyZXQ="}, "stringData": {"token": "supersecret"}}))],
    );
    let text = serde_json::to_string(&a).unwrap();
    assert!(
        !text.contains("c3VwZXJzZWNyZXQ=") && !text.contains("supersecret"),
        "{text}"
    );
}

#[test]
fn dedup_window_merges_then_splits() {
    let e = |t| ev(t, "bob", "get", "/api/v1/namespaces/prod/secrets/db", 200);
    // Same alert 10 minutes apart: merged; 2 hours later (outside the 1 h window): a new one.
    let a: Vec<Alert> = run(vec![e(0), e(600)])
        .into_iter()
        .filter(|x| x.code == "KW721")
        .collect();
    assert_eq!((a.len(), a[0].count), (1, 2));
    let late = ev(0, "bob", "get", "/api/v1/namespaces/prod/secrets/db", 200)
        .set("stageTimestamp", json!("2026-11-23T12:30:00.000000Z"))
        .set(
            "requestReceivedTimestamp",
            json!("2026-11-23T12:30:00.000000Z"),
        )
        .id("late");
    let a: Vec<Alert> = run(vec![e(0), late])
        .into_iter()
        .filter(|x| x.code == "KW721")
        .collect();
    assert_eq!(a.len(), 2);
}

#[test]
fn custom_rules() {
    let cfg = AuditConfig::parse(
        "audit.yaml".into(),
        r#"
rules:
  - code: X-SECRET-DUMP
    name: cluster-wide-secret-list
    severity: critical
    when: 'resource == "secrets" && verb in ["list", "watch"] && namespace == "" && kind == "person"'
    message: '{user} listed every secret ({code})'
    tactic: credential-access
    technique: List Kubernetes secrets
    id: T1552.007
  - code: XHOSTNET
    name: host-network-outside-system
    severity: medium
    when: 'resource == "pods" && verb == "create" && request("/spec/hostNetwork") == true && namespace != "kube-system"'
    tactic: privilege-escalation
    technique: Privileged container
allow:
  - rules: [X-SECRET-DUMP]
    users: [kapi-admin]
    reason: the admin's audits
"#,
    )
    .unwrap();
    let log = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/audit/real-apiserver/scenario-a.log"
    ));
    assert!(log.is_file(), "shared data missing");
    let a = analyze(&[log], Arc::new(cfg), false).alerts;
    let dump: Vec<&Alert> = a.iter().filter(|x| x.code == "X-SECRET-DUMP").collect();
    assert_eq!(
        dump.len(),
        1,
        "kapi-admin's list is allow-listed, alice's refused list is not"
    );
    assert_eq!(dump[0].message, "alice listed every secret (403)");
    assert_eq!(
        (dump[0].severity, dump[0].mitre[0].id),
        (kubeward_core::Severity::Critical, "T1552.007")
    );
    let hn: Vec<&Alert> = a.iter().filter(|x| x.code == "XHOSTNET").collect();
    assert_eq!(hn.len(), 1);
    assert_eq!(hn[0].object.namespace, "prod");
    assert_eq!(hn[0].name, "host-network-outside-system");

    let errs = AuditConfig::parse(
        "audit.yaml".into(),
        "rules:\n  - code: KW799\n    name: x\n    severity: high\n    when: 'verb == '\n    tactic: nowhere\n    technique: t\n    message: '{nope}'\n",
    )
    .unwrap_err();
    let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(
        msgs[0].starts_with("audit.yaml:2:11: custom rule code `KW799`"),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with(
            "audit.yaml:5:11: invalid `when`: column 9 of the expression: expected a value"
        )),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("audit.yaml:6:13: unknown tactic `nowhere`")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("audit.yaml:8:14: unknown field `{nope}`")),
        "{msgs:#?}"
    );
}
