//! Input shapes: the events of the real scenario log, re-wrapped the ways managed clouds and
//! the webhook backend deliver them, must give exactly the alerts of the plain JSON-lines log.
//! Plus the GKE LogEntry mapping, legacy shapes and broken input.

mod common;

use common::{data, run};
use flate2::Compression;
use flate2::write::GzEncoder;
use kubeward_audit::config::AuditConfig;
use kubeward_audit::source;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

fn scenario_lines() -> Vec<String> {
    std::fs::read_to_string(data().join("audit/real-apiserver/scenario-a.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// (code, severity, message, count) of every alert.
fn summary(paths: &[PathBuf]) -> Vec<(String, String, String, u64)> {
    let a = run(paths, AuditConfig::default());
    assert_eq!(a.read.bad_records, 0, "{:?}", a.errors);
    a.alerts
        .iter()
        .map(|x| {
            (
                x.code.to_string(),
                x.severity.to_string(),
                x.message.clone(),
                x.count,
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_wrapper_gives_the_same_alerts() {
    let lines = scenario_lines();
    let tmp = tempfile::tempdir().unwrap();
    let plain = write(
        tmp.path(),
        "plain.log",
        (lines.join("\n") + "\n").as_bytes(),
    );
    let want = summary(&[plain]);
    assert!(want.len() > 40, "{}", want.len());
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    let mut variants: Vec<(&str, Vec<u8>)> = Vec::new();
    // EKS: CloudWatch Logs, one log event per line, the audit event as the `message` string.
    let cw: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| json!({"timestamp": 1_700_000_000_000i64 + i as i64, "message": l, "logStreamName": "kube-apiserver-audit-0", "ingestionTime": 1_700_000_000_500i64}).to_string())
        .collect();
    variants.push(("cloudwatch.jsonl", (cw.join("\n") + "\n").into_bytes()));
    // `aws logs filter-log-events` output, pretty-printed (one JSON object over many lines).
    let export = json!({"events": lines.iter().map(|l| json!({"logStreamName": "kube-apiserver-audit-0", "timestamp": 1, "message": l, "eventId": "x"})).collect::<Vec<_>>(), "searchedLogStreams": []});
    variants.push((
        "filter-log-events.json",
        serde_json::to_vec_pretty(&export).unwrap(),
    ));
    // A CloudWatch subscription payload (Kinesis/Lambda), gzip-compressed.
    let sub = json!({"messageType": "DATA_MESSAGE", "owner": "123", "logGroup": "/aws/eks/c/cluster", "logStream": "kube-apiserver-audit-0", "subscriptionFilters": ["f"], "logEvents": lines.iter().map(|l| json!({"id": "1", "timestamp": 1, "message": l})).collect::<Vec<_>>()});
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(sub.to_string().as_bytes()).unwrap();
    variants.push(("subscription.json.gz", gz.finish().unwrap()));
    // AKS diagnostic records, `properties.log` as a string and as an object, one per line.
    let aks: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let log = if i % 2 == 0 { Value::String(e.to_string()) } else { e.clone() };
            json!({"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read", "properties": {"log": log, "pod": "kube-apiserver-0", "stream": "stdout"}, "resourceId": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c", "time": "2026-11-23T18:30:00Z"}).to_string()
        })
        .collect();
    variants.push(("aks.jsonl", (aks.join("\n") + "\n").into_bytes()));
    // Azure storage export: `{"records": [...]}`.
    let records = json!({"records": aks.iter().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>()});
    variants.push(("records.json", records.to_string().into_bytes()));
    // The webhook backend: EventList batches of up to 400 events, one batch per line.
    let batches: Vec<String> = events.chunks(400).map(|c| json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": c}).to_string()).collect();
    variants.push(("eventlists.jsonl", (batches.join("\n") + "\n").into_bytes()));
    // One pretty-printed EventList, and a pretty-printed JSON array.
    let one = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": events});
    variants.push(("eventlist.json", serde_json::to_vec_pretty(&one).unwrap()));
    variants.push((
        "array.json",
        serde_json::to_vec_pretty(&Value::Array(events.clone())).unwrap(),
    ));
    // gzip of the plain log, as `--audit-log-compress` rotates it.
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    variants.push(("audit-2026-11-23T18-31-20.000.log.gz", gz.finish().unwrap()));

    for (name, bytes) in variants {
        let p = write(tmp.path(), name, &bytes);
        let got = summary(std::slice::from_ref(&p));
        assert_eq!(got, want, "{name} gives other alerts");
    }
}

#[test]
fn a_log_split_in_rotated_files_gives_the_same_alerts() {
    // The windows (forbidden burst, enumeration) span files: one engine reads all inputs.
    let lines = scenario_lines();
    let tmp = tempfile::tempdir().unwrap();
    let whole = write(
        tmp.path(),
        "whole.log",
        (lines.join("\n") + "\n").as_bytes(),
    );
    let (a, b) = lines.split_at(1000);
    let p1 = write(tmp.path(), "audit-1.log", (a.join("\n") + "\n").as_bytes());
    let p2 = write(tmp.path(), "audit.log", (b.join("\n") + "\n").as_bytes());
    assert_eq!(summary(&[p1, p2]), summary(&[whole]));
}

#[test]
fn gke_log_entries_map_to_events() {
    let entry = json!({
        "insertId": "abc",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": "mallory@example.com"},
            "authorizationInfo": [{"granted": true, "permission": "io.k8s.core.v1.pods.exec.create", "resource": "core/v1/namespaces/prod/pods/db-0/exec"}],
            "methodName": "io.k8s.core.v1.pods.exec.create",
            "requestMetadata": {"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "kubectl/v1.29.0"},
            "resourceName": "core/v1/namespaces/prod/pods/db-0/exec",
            "serviceName": "k8s.io",
            "request": {"command": ["sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/token"], "container": "db"}
        },
        "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "c", "location": "us-west1", "project_id": "p"}},
        "timestamp": "2024-02-16T11:48:22.742154Z"
    });
    let denied = json!({
        "protoPayload": {
            "authenticationInfo": {"principalEmail": "mallory@example.com"},
            "methodName": "io.k8s.rbac.v1.clusterrolebindings.create",
            "resourceName": "rbac.authorization.k8s.io/v1/clusterrolebindings/x",
            "serviceName": "k8s.io",
            "status": {"code": 7, "message": "PERMISSION_DENIED"}
        },
        "timestamp": "2024-02-16T11:48:23Z"
    });
    let other_service = json!({"protoPayload": {"methodName": "compute.instances.list", "serviceName": "compute.googleapis.com"}});
    let text = format!("{entry}\n{denied}\n{other_service}\n");
    let mut got = Vec::new();
    let (stats, errors) = source::read_stream("gke".into(), text.as_bytes(), &mut |ev, _| {
        got.push((
            ev.audit_id().to_string(),
            ev.stage().as_str().to_string(),
            ev.verb().to_string(),
            format!(
                "{}/{} {}/{}",
                ev.resource(),
                ev.subresource(),
                ev.namespace(),
                ev.name()
            ),
            ev.api_group().to_string(),
            ev.code(),
            ev.username().to_string(),
            ev.source_ips.first().map(|s| s.to_string()),
            ev.exec_command().join(" "),
        ));
    });
    assert_eq!(errors.total, 0);
    assert_eq!((stats.events, stats.skipped), (2, 1));
    assert_eq!(
        got[0],
        (
            "abc".into(),
            "ResponseStarted".into(),
            "create".into(),
            "pods/exec prod/db-0".into(),
            "".into(),
            Some(101),
            "mallory@example.com".into(),
            Some("203.0.113.9".into()),
            "sh -c cat /var/run/secrets/kubernetes.io/serviceaccount/token".into()
        )
    );
    assert_eq!(got[1].2, "create");
    assert_eq!(got[1].3, "clusterrolebindings/ /x");
    assert_eq!(got[1].4, "rbac.authorization.k8s.io");
    assert_eq!(got[1].5, Some(403));
}

#[test]
fn broken_input_is_reported_and_the_rest_still_read() {
    let lines = scenario_lines();
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (i, l) in lines.iter().enumerate() {
        match i {
            5 => text.push_str("{\"kind\":\"Event\",\"auditID\":\"cut\",\"verb\":\"ge\n"),
            9 => text.push_str("\u{0}\u{1}binary junk\n"),
            13 => text.push_str("{\"kind\": 0}\n"),
            _ => {}
        }
        text.push_str(l);
        text.push('\n');
    }
    text.push_str("{\"kind\":\"Event\",\"auditID\":\"last\",\"verb\":"); // cut at the end
    let p = write(tmp.path(), "broken.log", text.as_bytes());
    let a = run(std::slice::from_ref(&p), AuditConfig::default());
    assert_eq!(a.read.events, 2316, "every good line is still read");
    assert_eq!(a.read.bad_records, 4);
    let msgs: Vec<String> = a.errors.iter().map(|e| e.to_string()).collect();
    let file = p.display().to_string();
    assert!(
        msgs[0].starts_with(&format!(
            "{file}:6: not a valid audit record: EOF while parsing"
        )),
        "{msgs:#?}"
    );
    assert!(
        msgs[1].starts_with(&format!("{file}:11: not a valid audit record")),
        "{msgs:#?}"
    );
    assert!(
        msgs[2].starts_with(&format!(
            "{file}:16: not a valid audit record: invalid type"
        )),
        "{msgs:#?}"
    );
    assert!(
        msgs[3].starts_with(&format!(
            "{file}:2320: not a valid audit record: EOF while parsing"
        )),
        "{msgs:#?}"
    );
    // And the alerts are those of the clean log.
    let clean = write(
        tmp.path(),
        "clean.log",
        (lines.join("\n") + "\n").as_bytes(),
    );
    assert_eq!(
        a.alerts.len(),
        run(&[clean], AuditConfig::default()).alerts.len()
    );
}

#[test]
fn an_unreadable_input_is_an_error_not_a_crash() {
    let a = run(
        &[PathBuf::from("/nonexistent/audit.log")],
        AuditConfig::default(),
    );
    assert_eq!(a.read.bad_inputs, 1);
    assert!(
        a.errors[0]
            .to_string()
            .starts_with("/nonexistent/audit.log: cannot open:"),
        "{}",
        a.errors[0]
    );
}

#[test]
fn mutated_input_never_panics() {
    // Every line of the real log cut at several places, fields turned into other JSON types or
    // null, wrappers nested in odd ways, and random bytes: the run finishes and counts every
    // record as an event or a bad record.
    let lines = scenario_lines();
    let mut out = String::new();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let swaps: &[(&str, &str)] = &[
        ("\"verb\":\"", "\"verb\":7,\"v\":\""),
        ("\"objectRef\":{", "\"objectRef\":null,\"o\":{"),
        ("\"user\":{", "\"user\":[],\"u\":{"),
        ("\"sourceIPs\":[", "\"sourceIPs\":null,\"s\":["),
        ("\"requestObject\":{", "\"requestObject\":\"x\",\"r\":{"),
        ("\"code\":", "\"code\":-99999999999,\"c\":"),
        ("\"stageTimestamp\":\"", "\"stageTimestamp\":\"9999-99-99T"),
        ("\"groups\":[", "\"groups\":[null,1,{}],\"g\":["),
        ("\"spec\":{", "\"spec\":[1,2,3],\"z\":{"),
        ("\"rules\":[", "\"rules\":{\"a\":1},\"q\":["),
        (
            "\"containers\":[",
            "\"containers\":[7,null,\"x\",{\"securityContext\":\"yes\"}],\"k\":[",
        ),
    ];
    for (i, l) in lines.iter().enumerate().step_by(3) {
        let cut = (rnd() as usize) % l.len().max(1);
        out.push_str(&l[..l.floor_char_boundary(cut)]);
        out.push('\n');
        for (from, to) in swaps {
            if l.contains(from) && i % 2 == 0 {
                out.push_str(&l.replacen(from, to, 1));
                out.push('\n');
            }
        }
        if i % 50 == 0 {
            out.push_str(&format!(
                "{{\"message\":{}}}\n",
                serde_json::to_string(l).unwrap()
            ));
            out.push_str(&format!(
                "{{\"properties\":{{\"log\":{{\"properties\":{{\"log\":{l}}}}}}}}}\n"
            ));
            out.push_str(&format!("{{\"items\":[{l},1,null,\"x\"]}}\n"));
            out.push_str(&format!("{{\"protoPayload\":{{\"methodName\":\"io.k8s.core.v1.pods.create\",\"request\":{l}}}}}\n"));
            let junk: String = (0..64)
                .map(|_| char::from(b' ' + (rnd() % 95) as u8))
                .collect();
            out.push_str(&junk);
            out.push('\n');
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "mutated.log", out.as_bytes());
    let a = kubeward_audit::analyze::analyze(
        std::slice::from_ref(&p),
        std::sync::Arc::new(AuditConfig::default()),
        true,
    );
    assert!(a.read.records > 1500, "{:?}", a.read);
    assert!(a.read.bad_records > 500, "{:?}", a.read);
    assert!(a.read.events > 700, "{:?}", a.read);
    let html = kubeward_audit::html::render(a.report.as_ref().unwrap(), &a.inputs);
    assert!(html.ends_with("</html>\n"));
}
