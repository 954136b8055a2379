//! The webhook server end to end: a real TLS client (hyper over rustls, verifying the
//! server's certificate against a CA made by the test) against the server on 127.0.0.1.

mod common;

use common::*;
use kubeward_admission::judge::{MAX_WARNING_CHARS, NamespaceLabels};
use kubeward_admission::namespaces::Namespaces;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_never_a_crash() {
    let r = start("").await;
    let c = &r.client;

    let (status, text) = c
        .request("POST", "/validate", b"{\"apiVersion\": ".to_vec())
        .await;
    assert_eq!(status, 400);
    assert!(
        text.starts_with("the body is not a valid AdmissionReview: EOF while parsing"),
        "{text}"
    );

    let mut v1beta1 = review("u1", "CREATE", "shop", clean_pod("a"));
    v1beta1["apiVersion"] = "admission.k8s.io/v1beta1".into();
    let (status, text) = c.post(&v1beta1).await;
    assert_eq!(status, 400);
    assert!(
        text.contains(
            "apiVersion is `admission.k8s.io/v1beta1`; kubeward answers admission.k8s.io/v1 only"
        ),
        "{text}"
    );

    let mut no_uid = review("u1", "CREATE", "shop", clean_pod("a"));
    no_uid["request"].as_object_mut().unwrap().remove("uid");
    let (status, text) = c.post(&no_uid).await;
    assert_eq!(status, 400);
    assert!(text.contains("request.uid is missing"), "{text}");

    let (status, text) = c.request("POST", "/validate", b"[1, 2, 3]".to_vec()).await;
    assert_eq!(status, 400, "{text}");
    let (status, _) = c.request("POST", "/validate", vec![0xff, 0xfe, 0x00]).await;
    assert_eq!(status, 400);
    let mut s = c.connect().await.unwrap();
    s.ready().await.unwrap();
    let req = hyper::Request::post("/validate")
        .header("host", "localhost")
        .header("content-type", "application/yaml")
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            b"a: 1",
        )))
        .unwrap();
    assert_eq!(s.send_request(req).await.unwrap().status().as_u16(), 415);

    // Other paths and methods.
    assert_eq!(c.request("GET", "/validate", Vec::new()).await.0, 405);
    assert_eq!(c.request("GET", "/nope", Vec::new()).await.0, 404);
    assert_eq!(
        c.request("GET", "/healthz", Vec::new()).await,
        (200, "ok\n".to_string())
    );
    assert_eq!(
        c.request("GET", "/readyz", Vec::new()).await,
        (200, "ready\n".to_string())
    );

    // The server still answers real requests, and counted the bad ones.
    let resp = c
        .review(&review("u2", "CREATE", "shop", clean_pod("a")))
        .await;
    assert_eq!(resp["allowed"], true, "{resp}");
    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"bad_request\"}"
        ),
        Some(5.0),
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"unsupported_media_type\"}"
        ),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_body_is_refused_with_413() {
    let r = start("").await;
    let c = &r.client;
    let twenty = 20usize << 20;

    // With a Content-Length: refused before the body is read.
    let mut s = c.raw().await;
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {twenty}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![b' '; 64 << 10]).await.unwrap();
    let (status, text) = read_response(&mut s).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(
        text.trim(),
        format!(
            "the request body is {twenty} bytes; the limit is {} bytes (--max-body-size)",
            8 << 20
        )
    );

    // Without one (chunked): refused once the limit is passed.
    let mut s = c.raw().await;
    s.write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..20 {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&frame).await.is_err() {
            break; // the server answered and closed: the rest is not read
        }
    }
    let (status, text) = read_response(&mut s).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("the limit is 8388608 bytes"), "{text}");

    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"body_too_large\"}"
        ),
        Some(2.0),
        "{m}"
    );
    // And the server is still fine.
    let resp = c
        .review(&review("ok", "CREATE", "shop", clean_pod("a")))
        .await;
    assert_eq!(resp["allowed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_and_deletes_are_allowed() {
    let r = start("").await;
    let c = &r.client;
    let widget = json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w"}, "spec": {"privileged": true}
    });
    let resp = c.review(&review("w1", "CREATE", "shop", widget)).await;
    assert_eq!(resp["allowed"], true);
    assert!(resp.get("warnings").is_none() && resp.get("status").is_none());
    // A CRD named like a built-in is not judged as one.
    let knative = json!({
        "apiVersion": "serving.knative.dev/v1", "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "x", "securityContext": {"privileged": true}}]}
    });
    assert_eq!(
        c.review(&review("k1", "CREATE", "shop", knative)).await["allowed"],
        true
    );
    // A Secret: no rule judges it.
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "aHVudGVyMg=="}});
    assert_eq!(
        c.review(&review("s1", "CREATE", "shop", secret)).await["allowed"],
        true
    );
    // DELETE of a privileged pod: allowed, not judged.
    let mut delete = review("d1", "DELETE", "shop", json!(null));
    delete["request"]["oldObject"] = pod("bad", json!({"privileged": true}));
    assert_eq!(c.review(&delete).await["allowed"], true);
    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_requests_total{operation=\"CREATE\",outcome=\"skipped\",dry_run=\"false\"}"
        ),
        Some(3.0),
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_requests_total{operation=\"DELETE\",outcome=\"skipped\",dry_run=\"false\"}"
        ),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_load_keeps_every_uid_and_answer() {
    let r = start("").await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let c = r.client.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = c.connect().await.unwrap();
            for i in 0..200 {
                let uid = format!("task{t}-req{i}");
                // Odd requests are privileged pods (denied), even ones clean (allowed).
                let object = if i % 2 == 1 {
                    pod(&format!("p{t}-{i}"), json!({"privileged": true}))
                } else {
                    clean_pod(&format!("p{t}-{i}"))
                };
                let body = serde_json::to_vec(&review(&uid, "CREATE", "shop", object)).unwrap();
                let (status, text) = send(&mut s, "POST", "/validate", body).await;
                assert_eq!(status, 200, "{text}");
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["response"]["uid"], uid.as_str());
                assert_eq!(v["response"]["allowed"], i % 2 == 0, "{uid}: {text}");
                if i % 2 == 1 {
                    let msg = v["response"]["status"]["message"].as_str().unwrap();
                    assert!(msg.contains(&format!("Pod shop/p{t}-{i}")), "{msg}");
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let m = r.client.metrics().await;
    let denied = "kubeward_admission_requests_total{operation=\"CREATE\",outcome=\"denied\",dry_run=\"false\"}";
    let allowed = "kubeward_admission_requests_total{operation=\"CREATE\",outcome=\"allowed\",dry_run=\"false\"}";
    assert_eq!(metric(&m, denied), Some(800.0), "{m}");
    assert_eq!(metric(&m, allowed), Some(800.0), "{m}");
    assert_eq!(
        metric(&m, "kubeward_admission_request_duration_seconds_count"),
        Some(1600.0)
    );
    for reason in ["bad_request", "deadline_exceeded", "overloaded", "internal"] {
        assert_eq!(
            metric(
                &m,
                &format!("kubeward_admission_errors_total{{reason=\"{reason}\"}}")
            ),
            Some(0.0),
            "{reason}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_shapes_the_response() {
    let config = "\
admission:
  actions:
    KW101: enforce
    KW102: enforce
    KW121: warn
    KW501: audit
    KW1: off
    KW5: off
    KW4: off
    KW8: off
";
    let r = start(config).await;
    let c = &r.client;
    let mut p = pod("web", json!({"privileged": true}));
    p["spec"]["hostPID"] = true.into();
    p["spec"]["containers"][0]["image"] = "nginx:latest".into();
    p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "1"}});
    let resp = c.review(&review("a1", "CREATE", "shop", p.clone())).await;
    assert_eq!(resp["allowed"], false);
    assert_eq!(resp["status"]["code"], 403);
    assert_eq!(resp["status"]["reason"], "Forbidden");
    let msg = resp["status"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "kubeward denied Pod shop/web: 2 violations of enforced rules (level restricted)"
        ),
        "{msg}"
    );
    assert!(
        msg.contains(
            "\n- KW101 privileged-container at spec.containers[0].securityContext.privileged: "
        ),
        "{msg}"
    );
    assert!(
        msg.contains("\n- KW102 host-namespace-sharing at spec.hostPID: "),
        "{msg}"
    );
    let fix = kubeward_rules::find("KW101").unwrap().meta.remediation;
    assert!(msg.contains(&format!("Fix: {fix}")), "{msg}");
    // warn: one warning per violation, each short.
    let warnings: Vec<&str> = resp["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("KW121 spec.containers[0].resources"),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .all(|w| w.chars().count() <= MAX_WARNING_CHARS)
    );
    // audit (and everything else) is recorded.
    let v = violations(&resp);
    assert!(
        v.contains(&(
            "KW501".into(),
            "audit".into(),
            "/spec/containers/0/image".into()
        )),
        "{v:?}"
    );
    assert!(
        v.contains(&(
            "KW101".into(),
            "enforce".into(),
            "/spec/containers/0/securityContext/privileged".into()
        )),
        "{v:?}"
    );
    assert!(v.iter().any(|(c, a, _)| c == "KW121" && a == "warn"));
    assert_eq!(resp["auditAnnotations"]["level"], "restricted");

    // Fix the enforced ones: allowed, with the warning.
    let mut fixed = p.clone();
    fixed["spec"]["containers"][0]["securityContext"] = json!({});
    fixed["spec"].as_object_mut().unwrap().remove("hostPID");
    let resp = c.review(&review("a2", "CREATE", "shop", fixed)).await;
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(resp["warnings"].as_array().unwrap().len(), 1);
    assert!(resp.get("status").is_none());

    // Many warned containers: one warning each, each at most 120 characters.
    let mut many = clean_pod("many");
    let containers: Vec<Value> = (0..10)
        .map(|i| json!({"name": format!("a-container-with-a-rather-long-name-number-{i}-to-make-the-warning-long"), "image": "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "resources": {}}))
        .collect();
    many["spec"]["containers"] = containers.into();
    let resp = c.review(&review("a3", "CREATE", "shop", many)).await;
    let warnings = resp["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 10, "{resp}");
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().unwrap().chars().count() <= MAX_WARNING_CHARS)
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().ends_with("..."))
    );

    let m = c.metrics().await;
    let line = |code: &str, name: &str, action: &str| {
        format!(
            "kubeward_admission_decisions_total{{rule=\"{code}\",name=\"{name}\",action=\"{action}\"}}"
        )
    };
    assert_eq!(
        metric(&m, &line("KW101", "privileged-container", "enforce")),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, &line("KW121", "missing-cpu-limit", "warn")),
        Some(12.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, &line("KW501", "image-latest-tag", "audit")),
        Some(2.0),
        "{m}"
    );
    assert!(!m.contains("rule=\"KW103\""), "nothing else is counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_are_judged_alike_without_counting_decisions() {
    let r = start("").await;
    let c = &r.client;
    let mut req = review(
        "dry",
        "CREATE",
        "shop",
        pod("p", json!({"privileged": true})),
    );
    req["request"]["dryRun"] = true.into();
    let resp = c.review(&req).await;
    assert_eq!(resp["allowed"], false, "{resp}");
    assert!(
        resp["status"]["message"]
            .as_str()
            .unwrap()
            .contains("KW101")
    );
    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_requests_total{operation=\"CREATE\",outcome=\"denied\",dry_run=\"true\"}"
        ),
        Some(1.0),
        "{m}"
    );
    assert!(!m.contains("kubeward_admission_decisions_total{"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_from_the_scan_config_apply() {
    let config = "\
exceptions:
  - rule: KW101
    namespace: monitoring
    name: node-*
    reason: node agent
  - rule: KW102
    reason: expired long ago
    expires: 2020-01-01
";
    let r = start(config).await;
    let c = &r.client;
    let agent = || pod("node-agent", json!({"privileged": true}));
    let resp = c
        .review(&review("e1", "CREATE", "monitoring", agent()))
        .await;
    assert!(
        !violations(&resp).iter().any(|(c, _, _)| c == "KW101"),
        "{resp}"
    );
    assert_eq!(resp["allowed"], true, "{resp}");
    // Elsewhere, or under another name: denied.
    let resp = c.review(&review("e2", "CREATE", "shop", agent())).await;
    assert_eq!(resp["allowed"], false);
    let resp = c
        .review(&review(
            "e3",
            "CREATE",
            "monitoring",
            pod("web", json!({"privileged": true})),
        ))
        .await;
    assert_eq!(resp["allowed"], false);
    // An expired exception no longer applies.
    let mut host = clean_pod("host");
    host["spec"]["hostNetwork"] = true.into();
    let resp = c.review(&review("e4", "CREATE", "monitoring", host)).await;
    assert_eq!(resp["allowed"], false, "{resp}");
    assert!(
        resp["status"]["message"]
            .as_str()
            .unwrap()
            .contains("KW102")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ignore_annotation_is_not_a_self_service_exemption() {
    let annotated = || {
        let mut p = pod("p", json!({"privileged": true}));
        p["metadata"]["annotations"] =
            json!({"kubeward.io/ignore": "KW101", "kubeward.io/ignore-reason": "trust me"});
        p
    };
    let r = start("").await;
    let resp = r
        .client
        .review(&review("i1", "CREATE", "shop", annotated()))
        .await;
    assert_eq!(resp["allowed"], false, "{resp}");
    let warnings = resp["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("kubeward.io/ignore annotation is not honoured")),
        "{resp}"
    );
    let r = start("admission:\n  honorIgnoreAnnotation: true\n").await;
    let resp = r
        .client
        .review(&review("i2", "CREATE", "shop", annotated()))
        .await;
    assert!(
        !violations(&resp).iter().any(|(c, _, _)| c == "KW101"),
        "{resp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exempt_namespaces_users_and_groups() {
    let config = "\
admission:
  exempt:
    namespaces: [sandbox-*]
    users: [\"system:serviceaccount:ci:*\"]
    groups: [platform-admins]
";
    let r = start(config).await;
    let c = &r.client;
    let bad = || pod("p", json!({"privileged": true}));
    let resp = c.review(&review("x1", "CREATE", "sandbox-1", bad())).await;
    assert_eq!(resp["allowed"], true);
    assert_eq!(resp["auditAnnotations"]["skipped"], "exempt-namespace");
    let mut by_ci = review("x2", "CREATE", "shop", bad());
    by_ci["request"]["userInfo"] =
        json!({"username": "system:serviceaccount:ci:deployer", "groups": []});
    let resp = c.review(&by_ci).await;
    assert_eq!(resp["auditAnnotations"]["skipped"], "exempt-user");
    let mut by_admin = review("x3", "CREATE", "shop", bad());
    by_admin["request"]["userInfo"] = json!({"username": "carol", "groups": ["platform-admins"]});
    let resp = c.review(&by_admin).await;
    assert_eq!(resp["auditAnnotations"]["skipped"], "exempt-group");
    assert_eq!(resp["allowed"], true);
    assert_eq!(
        c.review(&review("x4", "CREATE", "shop", bad())).await["allowed"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_made_by_controllers_from_judged_templates_are_not_judged_again() {
    let r = start("").await;
    let c = &r.client;
    let owned = || {
        let mut p = pod("web-7d9f-abcde", json!({"privileged": true}));
        p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f", "uid": "1", "controller": true}]);
        p
    };
    let mut by_controller = review("c1", "CREATE", "shop", owned());
    by_controller["request"]["userInfo"] = json!({"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts"]});
    let resp = c.review(&by_controller).await;
    assert_eq!(resp["allowed"], true, "{resp}");
    assert_eq!(resp["auditAnnotations"]["skipped"], "controller");
    // Anyone else writing the same ownerReference is judged.
    assert_eq!(
        c.review(&review("c2", "CREATE", "shop", owned())).await["allowed"],
        false
    );
    // And the controller without a controller reference is judged too.
    let mut unowned = by_controller.clone();
    unowned["request"]["object"] = pod("p", json!({"privileged": true}));
    assert_eq!(c.review(&unowned).await["allowed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_that_change_nothing_judged_are_not_judged_again() {
    let r = start("").await;
    let c = &r.client;
    let legacy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "legacy", "namespace": "shop", "resourceVersion": "10", "generation": 3},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "legacy"}},
                 "template": {"metadata": {"labels": {"app": "legacy"}},
                              "spec": {"containers": [{"name": "app", "image": "legacy:1", "securityContext": {"privileged": true}}]}}},
        "status": {"replicas": 1}
    });
    // Scaling it (and the bookkeeping that comes with it): allowed, not judged.
    let mut scaled = legacy.clone();
    scaled["spec"]["replicas"] = 5.into();
    scaled["metadata"]["resourceVersion"] = "11".into();
    scaled["metadata"]["generation"] = 4.into();
    scaled["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
    scaled["status"]["replicas"] = 5.into();
    let mut update = review("u1", "UPDATE", "shop", scaled.clone());
    update["request"]["oldObject"] = legacy.clone();
    let resp = c.review(&update).await;
    assert_eq!(resp["allowed"], true, "{resp}");
    assert!(resp.get("auditAnnotations").is_none(), "{resp}");
    // Changing the image is judged, and the legacy privilege is enforced.
    let mut new_image = scaled.clone();
    new_image["spec"]["template"]["spec"]["containers"][0]["image"] = "legacy:2".into();
    let mut update = review("u2", "UPDATE", "shop", new_image);
    update["request"]["oldObject"] = legacy.clone();
    assert_eq!(c.review(&update).await["allowed"], false);
    // An UPDATE without the old object is judged.
    let update = review("u3", "UPDATE", "shop", scaled);
    assert_eq!(c.review(&update).await["allowed"], false);
    let m = c.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_requests_total{operation=\"UPDATE\",outcome=\"skipped\",dry_run=\"false\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_requests_total{operation=\"UPDATE\",outcome=\"denied\",dry_run=\"false\"}"
        ),
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_levels_from_labels_and_config() {
    let namespaces = Arc::new(Namespaces::offline());
    let label = |v: &str| NamespaceLabels {
        enforce: Some(v.to_string()),
        pss_enforce: None,
    };
    namespaces.insert("legacy", label("privileged"));
    namespaces.insert("team", label("baseline"));
    namespaces.insert("strict", label("restricted"));
    namespaces.insert("typo", label("strict"));
    namespaces.insert("pinned", label("privileged"));
    let config = "\
admission:
  defaultLevel: baseline
  actions: {medium: enforce, low: audit}
  namespaces:
    pinned: restricted
";
    let r = start_with(config, |_| {}, namespaces).await;
    let c = &r.client;
    // Allowed at baseline, not at restricted: runs as root (KW115, restricted profile).
    let root = || {
        let mut p = clean_pod("root");
        p["spec"]["securityContext"] = json!({"seccompProfile": {"type": "RuntimeDefault"}});
        p
    };
    // Denied at baseline, allowed at privileged.
    let privileged = || pod("priv", json!({"privileged": true}));
    let allowed = |resp: &Value| resp["allowed"].as_bool().unwrap();
    let mut n = 0;
    let mut ask = |ns: &str, object: Value| {
        n += 1;
        let body = review(&format!("n{n}"), "CREATE", ns, object);
        async move { c.review(&body).await }
    };
    assert!(allowed(&ask("team", root()).await));
    assert!(!allowed(&ask("strict", root()).await));
    assert!(!allowed(&ask("team", privileged()).await));
    assert!(allowed(&ask("legacy", privileged()).await));
    // No label: the configured default (baseline).
    assert!(allowed(&ask("unlabelled", root()).await));
    // An invalid label is judged as restricted, with a warning saying so.
    let resp = ask("typo", root()).await;
    assert!(!allowed(&resp));
    assert!(
        resp["warnings"][0]
            .as_str()
            .unwrap()
            .contains("kubeward.io/enforce is `strict`"),
        "{resp}"
    );
    // The configuration wins over the label.
    let resp = ask("pinned", root()).await;
    assert!(!allowed(&resp));
    assert_eq!(resp["auditAnnotations"]["level"], "restricted");
    // Other rules apply at every level: a LoadBalancer Service (KW302, medium) in `legacy`.
    let lb = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}});
    assert!(!allowed(&ask("legacy", lb).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_objects_are_judged_one_at_a_time() {
    let namespaces = Arc::new(Namespaces::offline());
    namespaces.insert(
        "enforced",
        NamespaceLabels {
            enforce: None,
            pss_enforce: Some("restricted".into()),
        },
    );
    let r = start_with("", |_| {}, namespaces).await;
    let c = &r.client;
    let binding = |ns: &str, role: &str| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "User", "name": "bob"}]
        })
    };
    // A binding to Kubernetes' cluster-admin: KW201, critical, enforced.
    let resp = c
        .review(&review(
            "r1",
            "CREATE",
            "shop",
            binding("shop", "cluster-admin"),
        ))
        .await;
    assert_eq!(resp["allowed"], false);
    let v = violations(&resp);
    assert!(
        v.iter()
            .any(|(c, _, p)| c == "KW201" && p == "/roleRef/name"),
        "{v:?}"
    );
    // KW211 (deploying pods) depends on the namespace's Pod Security label, as in a scan of
    // the binding with its Namespace.
    let codes = |resp: &Value| {
        violations(resp)
            .into_iter()
            .map(|(c, _, _)| c)
            .collect::<Vec<_>>()
    };
    let open = c
        .review(&review("r2", "CREATE", "open", binding("open", "edit")))
        .await;
    let enforced = c
        .review(&review(
            "r3",
            "CREATE",
            "enforced",
            binding("enforced", "edit"),
        ))
        .await;
    assert!(codes(&open).contains(&"KW211".to_string()), "{open}");
    assert!(
        !codes(&enforced).contains(&"KW211".to_string()),
        "{enforced}"
    );
    // A ClusterRole alone is judged by its own rules.
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "impersonator"},
        "rules": [{"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}]
    });
    let resp = c.review(&review("r4", "CREATE", "", role.clone())).await;
    assert!(codes(&resp).contains(&"KW205".to_string()), "{resp}");
    // ... and, bound to nobody yet, it is warned about, not denied (unboundRoleAction).
    assert_eq!(resp["allowed"], true, "{resp}");
    assert!(
        resp["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("KW205 rules[0]: ")),
        "{resp}"
    );
    let strict = start("admission:\n  unboundRoleAction: enforce\n").await;
    let resp = strict
        .client
        .review(&review("r4b", "CREATE", "", role))
        .await;
    assert_eq!(resp["allowed"], false, "{resp}");
    // A binding to a role kubeward cannot see (a custom one) is allowed: it was judged when
    // the role itself was written.
    let resp = c
        .review(&review(
            "r5",
            "CREATE",
            "shop",
            binding("shop", "custom-thing"),
        ))
        .await;
    assert_eq!(resp["allowed"], true, "{resp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_answers_504_and_leaves_the_decision_to_failure_policy() {
    let r = start_with(
        "",
        |o| o.deadline = Duration::from_millis(1),
        Arc::new(Namespaces::offline()),
    )
    .await;
    // A valid 4 MB review: decoding alone takes longer than a millisecond.
    let mut cm =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {}});
    for i in 0..4000 {
        cm["data"][format!("key{i}")] = "v".repeat(1000).into();
    }
    let body = review("slow", "CREATE", "shop", cm);
    let (status, text) = r.client.post(&body).await;
    assert_eq!(status, 504, "{text}");
    assert!(text.contains("could not answer within its deadline of 1ms (--deadline); the webhook's failurePolicy decides"), "{text}");
    let m = r.client.metrics().await;
    assert_eq!(
        metric(
            &m,
            "kubeward_admission_errors_total{reason=\"deadline_exceeded\"}"
        ),
        Some(1.0)
    );
    // The server keeps serving.
    assert_eq!(r.client.request("GET", "/healthz", Vec::new()).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text() {
    let r = start("").await;
    let c = &r.client;
    c.review(&review(
        "m1",
        "CREATE",
        "shop",
        pod("p", json!({"privileged": true})),
    ))
    .await;
    c.review(&review("m2", "CREATE", "shop", clean_pod("q")))
        .await;
    let (status, text) = c.request("GET", "/metrics", Vec::new()).await;
    assert_eq!(status, 200);
    for family in [
        "kubeward_admission_requests_total counter",
        "kubeward_admission_decisions_total counter",
        "kubeward_admission_errors_total counter",
        "kubeward_admission_request_duration_seconds histogram",
        "kubeward_admission_in_flight gauge",
        "kubeward_admission_certificate_reloads_total counter",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}\n")),
            "{family}\n{text}"
        );
    }
    assert_eq!(
        metric(
            &text,
            "kubeward_admission_decisions_total{rule=\"KW101\",name=\"privileged-container\",action=\"enforce\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "kubeward_admission_request_duration_seconds_count"),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &text,
            "kubeward_admission_request_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        Some(2.0)
    );
    // Buckets are cumulative.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("kubeward_admission_request_duration_seconds_bucket"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert!(metric(&text, "kubeward_admission_request_duration_seconds_sum").unwrap() > 0.0);
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("kubeward_admission_"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_are_reloaded_when_the_files_change() {
    let r = start_with(
        "",
        |o| o.cert_reload = Duration::from_millis(50),
        Arc::new(Namespaces::offline()),
    )
    .await;
    let old = r.client.clone();
    // A connection opened before the change keeps working.
    let mut kept = old.connect().await.unwrap();
    assert_eq!(send(&mut kept, "GET", "/healthz", Vec::new()).await.0, 200);

    // New files under a new CA.
    let next = tempfile::tempdir().unwrap();
    let fresh = certs(next.path());
    std::fs::write(&r.certs.cert, std::fs::read(&fresh.cert).unwrap()).unwrap();
    std::fs::write(&r.certs.key, std::fs::read(&fresh.key).unwrap()).unwrap();
    let new = Client::new(r.server.addr(), &fresh.ca_pem);
    eventually(
        Duration::from_secs(10),
        "a handshake with the new certificate",
        || {
            let new = new.clone();
            async move { new.connect().await.is_ok() }
        },
    )
    .await;
    // New handshakes present the new certificate: a client trusting only the old CA fails
    // (a new client: the old one would resume its TLS session, which skips the certificate).
    let old = Client::new(r.server.addr(), &r.certs.ca_pem);
    let err = old
        .connect()
        .await
        .expect_err("the old CA no longer verifies");
    assert!(
        err.contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    assert_eq!(send(&mut kept, "GET", "/healthz", Vec::new()).await.0, 200);
    assert_eq!(
        new.review(&review("t1", "CREATE", "shop", clean_pod("a")))
            .await["allowed"],
        true
    );

    // Broken files are refused and the current certificate stays.
    std::fs::write(&r.certs.cert, "not a certificate").unwrap();
    eventually(
        Duration::from_secs(10),
        "the refused reload is counted",
        || {
            let new = new.clone();
            async move {
                metric(
                    &new.metrics().await,
                    "kubeward_admission_errors_total{reason=\"cert_reload\"}",
                )
                .unwrap_or(0.0)
                    >= 1.0
            }
        },
    )
    .await;
    assert!(new.connect().await.is_ok());
    let m = new.metrics().await;
    assert_eq!(
        metric(&m, "kubeward_admission_certificate_reloads_total"),
        Some(1.0),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_concurrency_answers_503_beyond_the_limit() {
    let r = start_with("", |o| o.max_in_flight = 1, Arc::new(Namespaces::offline())).await;
    let body = serde_json::to_vec(&review("slow", "CREATE", "shop", clean_pod("a"))).unwrap();
    // A request whose body is still arriving holds the only slot.
    let mut slow = r.client.raw().await;
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body[..10]).await.unwrap();
    slow.flush().await.unwrap();
    let c = r.client.clone();
    eventually(
        Duration::from_secs(10),
        "the second request is refused",
        || {
            let c = c.clone();
            async move {
                let (status, text) = c.post(&review("x", "CREATE", "shop", clean_pod("b"))).await;
                status == 503 && text.contains("--max-in-flight")
            }
        },
    )
    .await;
    slow.write_all(&body[10..]).await.unwrap();
    let (status, text) = read_response(&mut slow).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"uid\":\"slow\""));
    let m = r.client.metrics().await;
    assert!(metric(&m, "kubeward_admission_errors_total{reason=\"overloaded\"}").unwrap() >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight() {
    let r = start("").await;
    let Running {
        server,
        client,
        dir: _dir,
        ..
    } = r;
    let body = serde_json::to_vec(&review(
        "last",
        "CREATE",
        "shop",
        pod("p", json!({"privileged": true})),
    ))
    .unwrap();
    let mut inflight = client.raw().await;
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    inflight.write_all(head.as_bytes()).await.unwrap();
    inflight.write_all(&body[..20]).await.unwrap();
    inflight.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.shutdown());
    // The listener closes: new connections are refused.
    eventually(Duration::from_secs(10), "the listener is closed", || {
        let addr = client.addr;
        async move { tokio::net::TcpStream::connect(addr).await.is_err() }
    })
    .await;
    assert!(
        !stopping.is_finished(),
        "the request in flight is still being served"
    );
    // The request in flight completes, with its answer.
    inflight.write_all(&body[20..]).await.unwrap();
    let (status, text) = read_response(&mut inflight).await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["response"]["uid"], "last");
    assert_eq!(v["response"]["allowed"], false);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_as_soon_as_a_shutdown_begins() {
    let r = start_with(
        "",
        |o| o.shutdown_delay = Duration::from_millis(800),
        Arc::new(Namespaces::offline()),
    )
    .await;
    let Running {
        server,
        client,
        dir: _dir,
        ..
    } = r;
    assert_eq!(client.request("GET", "/readyz", Vec::new()).await.0, 200);
    let stopping = tokio::spawn(server.shutdown());
    // During the delay the server still answers, but is not ready.
    eventually(Duration::from_secs(5), "readyz fails", || {
        let c = client.clone();
        async move {
            c.request("GET", "/readyz", Vec::new()).await == (503, "shutting down\n".to_string())
        }
    })
    .await;
    assert_eq!(
        client
            .review(&review("d", "CREATE", "shop", clean_pod("a")))
            .await["allowed"],
        true
    );
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_on_one_connection_keep_their_uids() {
    use http_body_util::BodyExt;
    use rustls::pki_types::pem::PemObject;
    let r = start("").await;
    // The API server may speak HTTP/2 (ALPN h2): many reviews on one connection at once.
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(r.certs.ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(r.server.addr())
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let mut streams = Vec::new();
    for i in 0..100 {
        let mut sender = sender.clone();
        streams.push(tokio::spawn(async move {
            let object = if i % 3 == 0 {
                pod("p", json!({"privileged": true}))
            } else {
                clean_pod("p")
            };
            let body =
                serde_json::to_vec(&review(&format!("h2-{i}"), "CREATE", "shop", object)).unwrap();
            let req = hyper::Request::post("https://localhost/validate")
                .header("content-type", "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                .unwrap();
            sender.ready().await.unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["response"]["uid"], format!("h2-{i}"));
            assert_eq!(v["response"]["allowed"], i % 3 != 0);
        }));
    }
    for s in streams {
        s.await.unwrap();
    }
}
