//! Oracle (d): audit2rbac's demo log (`audit/audit2rbac/demo.log`): 37 real events of an older
//! shape (no stageTimestamp, `timestamp` + `metadata.creationTimestamp`), every one made by
//! `system:admin` impersonating bob (29), alice (3) or the service account ns1:sa1 (5), 11 of
//! them refused. It must parse fully.

mod common;

use common::{data, events, run};
use kubeward_audit::config::AuditConfig;

#[test]
fn demo_log_parses_fully() {
    let log = data().join("audit/audit2rbac/demo.log");
    let evs = events(&log);
    assert_eq!(evs.len(), 37);
    assert!(evs.iter().all(|e| e.user == "system:admin"
        && matches!(
            e.impersonated.as_str(),
            "bob" | "alice" | "system:serviceaccount:ns1:sa1"
        )));
    let refused = evs
        .iter()
        .filter(|e| matches!(e.code, Some(401 | 403)))
        .count();
    assert_eq!(refused, 11);

    let a = run(std::slice::from_ref(&log), AuditConfig::default());
    assert_eq!(
        (a.read.records, a.read.events, a.read.bad_records),
        (37, 37, 0)
    );
    // Every event is a request of its own (ResponseComplete), judged once, with a time taken
    // from the legacy `timestamp` field.
    assert_eq!(a.engine.requests, 37);
    assert!(
        a.alerts
            .iter()
            .all(|al| al.first_seen.starts_with("2017-09-11T")),
        "{:?}",
        a.alerts.iter().map(|x| &x.first_seen).collect::<Vec<_>>()
    );
    // Impersonation of ordinary users (not privileged) is reported at low severity, once per
    // target.
    let imp: Vec<_> = a.alerts.iter().filter(|al| al.code == "KW734").collect();
    assert_eq!(imp.len(), 3, "{imp:#?}");
    assert!(
        imp.iter()
            .all(|al| al.severity == kubeward_core::Severity::Low
                && al.identity.impersonated_by.as_deref() == Some("system:admin"))
    );
    assert_eq!(imp.iter().map(|al| al.count).sum::<u64>(), 37);
    // The only other alert: alice (impersonated) tried to list secrets. No identity reaches the
    // burst threshold (10 refusals): bob 4, sa1 4, alice 3.
    let others: Vec<(&str, String)> = a
        .alerts
        .iter()
        .filter(|al| al.code != "KW734")
        .map(|al| (al.code, al.message.clone()))
        .collect();
    assert_eq!(
        others,
        vec![(
            "KW721",
            "alice tried to list the secrets of namespace ns1 (refused: 403)".to_string()
        )]
    );
    let bob_refused = evs
        .iter()
        .filter(|e| e.impersonated == "bob" && e.code == Some(403))
        .count();
    assert_eq!(bob_refused, 4);
}
