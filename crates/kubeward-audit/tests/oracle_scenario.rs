//! Oracle (a): the log of a real Kubernetes 1.26 API server during a scripted attack
//! (`audit/real-apiserver/scenario-a.log`, described step by step in `scenario-a.md`). Every
//! security-relevant step must raise the matching alert, on the very request (auditID) that
//! did it; the control plane's traffic and the benign steps must stay quiet. Run with the
//! default configuration (what a user gets without tuning).

mod common;

use common::{Ev, data, events, run};
use kubeward_audit::Alert;
use kubeward_audit::config::AuditConfig;
use kubeward_audit::detect::Principal;
use std::collections::BTreeSet;

/// A request of the scenario: (user or "as:<impersonated>", verb, resource[/sub], ns, name).
struct Req {
    user: &'static str,
    verb: &'static str,
    target: &'static str,
    ns: &'static str,
    name: &'static str,
}

const fn req(
    user: &'static str,
    verb: &'static str,
    target: &'static str,
    ns: &'static str,
    name: &'static str,
) -> Req {
    Req {
        user,
        verb,
        target,
        ns,
        name,
    }
}

struct Step {
    id: &'static str,
    what: &'static str,
    requests: &'static [Req],
    /// Codes that must be raised on each of these requests (empty = none may be, except
    /// KW733, the RBAC-then-workload correlation, which may include benign workload writes).
    expect: &'static [&'static str],
}

fn matches(e: &Ev, r: &Req) -> bool {
    let (res, sub) = if r.target.starts_with('/') {
        ("", "")
    } else {
        r.target.split_once('/').unwrap_or((r.target, ""))
    };
    let who = match r.user.strip_prefix("as:") {
        Some(imp) => e.impersonated == imp,
        None => e.user == r.user && e.impersonated.is_empty(),
    };
    who && e.verb == r.verb
        && (if r.target.starts_with('/') {
            e.resource.is_empty() && e.path == r.target
        } else {
            e.resource == res
        })
        && e.subresource == sub
        && e.namespace == r.ns
        && (r.name.is_empty() || e.name == r.name)
        && e.stage != "RequestReceived"
}

const STEPS: &[Step] = &[
    Step {
        id: "A1",
        what: "create namespaces",
        requests: &[req("kapi-admin", "create", "namespaces", "", "")],
        expect: &[],
    },
    Step {
        id: "A2",
        what: "RoleBinding alice-edit",
        requests: &[req("kapi-admin", "create", "rolebindings", "dev", "")],
        expect: &["KW727"],
    },
    Step {
        id: "A3",
        what: "kubectl auth can-i --list",
        requests: &[req("alice", "create", "selfsubjectrulesreviews", "", "")],
        expect: &["KW746"],
    },
    Step {
        id: "A4",
        what: "list secrets -n prod refused",
        requests: &[req("alice", "list", "secrets", "prod", "")],
        expect: &["KW721", "KW722", "KW720"],
    },
    Step {
        id: "A5",
        what: "secrets in kube-system refused",
        requests: &[
            req(
                "alice",
                "get",
                "secrets",
                "kube-system",
                "admin-credentials",
            ),
            req("alice", "list", "secrets", "kube-system", ""),
        ],
        expect: &["KW721", "KW722", "KW720"],
    },
    Step {
        id: "A6",
        what: "burst of 14 refused requests (curl)",
        requests: &[
            req("alice", "list", "secrets", "", ""),
            req("alice", "list", "nodes", "", ""),
            req("alice", "list", "clusterroles", "", ""),
            req("alice", "list", "namespaces", "", ""),
        ],
        expect: &["KW720", "KW747", "KW748"],
    },
    Step {
        id: "A6",
        what: "attempted RBAC escalation",
        requests: &[
            req("alice", "create", "clusterrolebindings", "", ""),
            req("alice", "create", "rolebindings", "dev", ""),
        ],
        expect: &["KW726", "KW720"],
    },
    Step {
        id: "A6",
        what: "attempted namespace deletion",
        requests: &[req("alice", "delete", "namespaces", "prod", "prod")],
        expect: &["KW720"],
    },
    Step {
        id: "A7",
        what: "anonymous requests refused",
        requests: &[
            req("system:anonymous", "get", "/api", "", ""),
            req("system:anonymous", "list", "namespaces", "", ""),
        ],
        expect: &["KW719"],
    },
    Step {
        id: "A7",
        what: "anonymous /version (a probe from loopback)",
        requests: &[req("system:anonymous", "get", "/version", "", "")],
        expect: &[],
    },
    Step {
        id: "A8",
        what: "privileged node-shell pod",
        requests: &[req("kapi-admin", "create", "pods", "prod", "")],
        expect: &["KW706", "KW708", "KW709", "KW710"],
    },
    Step {
        id: "A8",
        what: "deployment web (benign)",
        requests: &[req("kapi-admin", "create", "deployments", "prod", "")],
        expect: &[],
    },
    Step {
        id: "A8",
        what: "NodePort service",
        requests: &[req("kapi-admin", "create", "services", "prod", "")],
        expect: &["KW715"],
    },
    Step {
        id: "A8",
        what: "ConfigMap with AWS keys",
        requests: &[req("kapi-admin", "create", "configmaps", "prod", "")],
        expect: &["KW717"],
    },
    Step {
        id: "A8",
        what: "secret created (benign)",
        requests: &[req("kapi-admin", "create", "secrets", "prod", "")],
        expect: &[],
    },
    Step {
        id: "A8",
        what: "cluster-wide secret list",
        requests: &[req("kapi-admin", "list", "secrets", "", "")],
        expect: &["KW722"],
    },
    Step {
        id: "A8",
        what: "secret read by a person",
        requests: &[req(
            "kapi-admin",
            "get",
            "secrets",
            "prod",
            "db-credentials",
        )],
        expect: &["KW721"],
    },
    Step {
        id: "A9",
        what: "exec cat /host/etc/shadow",
        requests: &[req(
            "kapi-admin",
            "create",
            "pods/exec",
            "prod",
            "node-shell",
        )],
        expect: &["KW701", "KW703"],
    },
    Step {
        id: "A9",
        what: "port-forward (curl)",
        requests: &[req(
            "kapi-admin",
            "create",
            "pods/portforward",
            "prod",
            "node-shell",
        )],
        expect: &["KW704", "KW748"],
    },
    Step {
        id: "A9",
        what: "kubectl logs (reported, no alert)",
        requests: &[req("kapi-admin", "get", "pods/log", "prod", "node-shell")],
        expect: &[],
    },
    Step {
        id: "A10",
        what: "service account backdoor (activity only)",
        requests: &[req("kapi-admin", "create", "serviceaccounts", "prod", "")],
        expect: &[],
    },
    Step {
        id: "A10",
        what: "cluster-admin bound to a service account",
        requests: &[req("kapi-admin", "create", "clusterrolebindings", "", "")],
        expect: &["KW726"],
    },
    Step {
        id: "A10",
        what: "wildcard ClusterRole",
        requests: &[req("kapi-admin", "create", "clusterroles", "", "")],
        expect: &["KW728", "KW731"],
    },
    Step {
        id: "A10",
        what: "Role with pods/exec",
        requests: &[req("kapi-admin", "create", "roles", "dev", "")],
        expect: &["KW730"],
    },
    Step {
        id: "A11",
        what: "token for the cluster-admin SA",
        requests: &[req(
            "kapi-admin",
            "create",
            "serviceaccounts/token",
            "prod",
            "backdoor",
        )],
        expect: &["KW724"],
    },
    Step {
        id: "A11",
        what: "CronJob piping a download to sh",
        requests: &[req("kapi-admin", "create", "cronjobs", "prod", "")],
        expect: &["KW737"],
    },
    Step {
        id: "A11",
        what: "DaemonSet with host access",
        requests: &[req("kapi-admin", "create", "daemonsets", "prod", "")],
        expect: &["KW738", "KW708", "KW709"],
    },
    Step {
        id: "A11",
        what: "fail-open validating webhook",
        requests: &[req(
            "kapi-admin",
            "create",
            "validatingwebhookconfigurations",
            "",
            "",
        )],
        expect: &["KW736"],
    },
    Step {
        id: "A11",
        what: "events deleted",
        requests: &[req("kapi-admin", "delete", "events", "prod", "")],
        expect: &["KW741"],
    },
    Step {
        id: "A11",
        what: "impersonation of the cluster-admin SA and of system:masters",
        requests: &[
            req(
                "as:system:serviceaccount:prod:backdoor",
                "list",
                "secrets",
                "prod",
                "",
            ),
            req("as:alice", "list", "secrets", "prod", ""),
        ],
        expect: &["KW734"],
    },
    Step {
        id: "A12",
        what: "CSRs (system:masters refused, eve-client) and the manual approval",
        requests: &[
            req("kapi-admin", "create", "certificatesigningrequests", "", ""),
            req(
                "kapi-admin",
                "update",
                "certificatesigningrequests/approval",
                "",
                "eve-client",
            ),
        ],
        expect: &["KW735"],
    },
];

fn alerts_on(alerts: &[Alert], audit_id: &str) -> BTreeSet<&'static str> {
    alerts
        .iter()
        .filter(|a| a.events.iter().any(|e| e.audit_id == audit_id))
        .map(|a| a.code)
        .collect()
}

#[test]
fn scenario_a_every_step_raises_its_alert_and_the_rest_stays_quiet() {
    let log = data().join("audit/real-apiserver/scenario-a.log");
    let evs = events(&log);
    assert_eq!(evs.len(), 2316, "scenario-a.md: 2316 events");
    let a = run(std::slice::from_ref(&log), AuditConfig::default());
    assert_eq!(a.read.bad_records, 0);
    // One judgement per request: RequestReceived, and the ResponseComplete of requests judged at
    // ResponseStarted (77 of them), are not judged again.
    assert_eq!(a.engine.requests, 1132, "{:?}", a.engine);

    let mut failures = Vec::new();
    for step in STEPS {
        for r in step.requests {
            let found: Vec<&Ev> = evs.iter().filter(|e| matches(e, r)).collect();
            assert!(
                !found.is_empty(),
                "{} {}: no request {}/{}/{}/{}/{} in the log",
                step.id,
                step.what,
                r.user,
                r.verb,
                r.target,
                r.ns,
                r.name
            );
            for e in found {
                let got = alerts_on(&a.alerts, &e.audit_id);
                for code in step.expect {
                    if !got.contains(code) {
                        failures.push(format!(
                            "{} {}: {code} not raised on {} (line {})",
                            step.id, step.what, e.audit_id, e.line
                        ));
                    }
                }
                if step.expect.is_empty() {
                    let extra: Vec<_> = got.iter().filter(|c| **c != "KW733").collect();
                    if !extra.is_empty() {
                        failures.push(format!(
                            "{} {}: expected quiet, got {extra:?} on line {}",
                            step.id, step.what, e.line
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // The control plane (A0, A13 and the controllers' reactions to the scenario) stays quiet.
    for al in &a.alerts {
        assert!(
            !matches!(al.identity.kind, Principal::ControlPlane | Principal::Node),
            "alert on control-plane traffic: {} {}",
            al.code,
            al.message
        );
    }

    // The whole set of (code, identity) pairs: nothing else fires.
    let got: BTreeSet<(String, String)> = a
        .alerts
        .iter()
        .map(|al| (al.code.to_string(), al.identity.user.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("KW701", "kapi-admin"),
        ("KW703", "kapi-admin"),
        ("KW704", "kapi-admin"),
        ("KW706", "kapi-admin"),
        ("KW708", "kapi-admin"),
        ("KW709", "kapi-admin"),
        ("KW710", "kapi-admin"),
        ("KW715", "kapi-admin"),
        ("KW717", "kapi-admin"),
        ("KW719", "system:anonymous"),
        ("KW720", "alice"),
        ("KW721", "alice"),
        ("KW721", "kapi-admin"),
        ("KW722", "alice"),
        ("KW722", "kapi-admin"),
        ("KW724", "kapi-admin"),
        ("KW726", "alice"),
        ("KW726", "kapi-admin"),
        ("KW727", "kapi-admin"),
        ("KW728", "kapi-admin"),
        ("KW730", "kapi-admin"),
        ("KW731", "kapi-admin"),
        ("KW733", "kapi-admin"),
        ("KW734", "system:serviceaccount:prod:backdoor"),
        ("KW734", "alice"),
        ("KW735", "kapi-admin"),
        ("KW736", "kapi-admin"),
        ("KW737", "kapi-admin"),
        ("KW738", "kapi-admin"),
        ("KW741", "kapi-admin"),
        ("KW746", "alice"),
        ("KW747", "alice"),
        ("KW748", "alice"),
        ("KW748", "kapi-admin"),
        ("KW748", "system:anonymous"),
    ]
    .into_iter()
    .map(|(c, u)| (c.to_string(), u.to_string()))
    .collect();
    assert_eq!(
        got,
        want,
        "unexpected: {:?}\nmissing: {:?}",
        got.difference(&want).collect::<Vec<_>>(),
        want.difference(&got).collect::<Vec<_>>()
    );
}

#[test]
fn scenario_a_severities_and_details() {
    let log = data().join("audit/real-apiserver/scenario-a.log");
    let a = run(std::slice::from_ref(&log), AuditConfig::default());
    let find = |code: &str, needle: &str| -> &Alert {
        a.alerts
            .iter()
            .find(|al| al.code == code && al.message.contains(needle))
            .unwrap_or_else(|| panic!("no {code} alert containing {needle:?}"))
    };
    use kubeward_core::Severity::*;
    // 17 refusals of alice within 3.5 s make one burst alert.
    let burst = find("KW720", "alice");
    assert_eq!(burst.count, 17);
    assert_eq!(burst.severity, Medium);
    // The decoded exec command, and the sensitive file it reads.
    let ex = find("KW703", "cat /host/etc/shadow");
    assert_eq!(ex.severity, High);
    assert_eq!(ex.mitre[0].id, "T1552.001");
    // cluster-admin to a service account is critical; the token minted for it afterwards is high.
    assert_eq!(find("KW726", "backdoor-cluster-admin").severity, Critical);
    assert_eq!(find("KW724", "prod/backdoor").severity, High);
    // Impersonating that service account is privileged because of the binding seen earlier.
    let imp = find("KW734", "system:serviceaccount:prod:backdoor");
    assert_eq!(imp.severity, High);
    assert_eq!(imp.identity.impersonated_by.as_deref(), Some("kapi-admin"));
    assert_eq!(find("KW734", "system:masters").severity, High);
    // The CSR asking for system:masters is decoded from the PEM request, and reported although
    // the API server refused it.
    assert_eq!(find("KW735", "O=system:masters").severity, Critical);
    // The three event deletions are one alert.
    assert_eq!(find("KW741", "prod").count, 3);
    // The credentials in the ConfigMap are named by key, never shown.
    let cm = find("KW717", "app-config");
    assert!(!cm.message.contains("AKIAIOSFODNN7EXAMPLE") && !cm.message.contains("wJalrXUtnFEMI"));
    let json = serde_json::to_string(&a.alerts).unwrap();
    assert!(
        !json.contains("AKIAIOSFODNN7EXAMPLE") && !json.contains("wJalrXUtnFEMI"),
        "a credential leaked into the alerts"
    );
    // Every alert says where its events are.
    for al in &a.alerts {
        assert!(
            !al.events.is_empty()
                && al
                    .events
                    .iter()
                    .all(|e| !e.audit_id.is_empty() && e.line.is_some()),
            "{}",
            al.code
        );
    }
}
