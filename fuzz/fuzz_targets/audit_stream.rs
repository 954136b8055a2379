//! Arbitrary bytes as an audit log (every shape the reader detects: JSON lines, arrays,
//! EventLists, cloud wrappers, gzip) through the detections, the dedup, the report (table, JSON
//! and HTML) and the alert JSON. Any panic is a bug; so is a parse error without a line.
#![no_main]

use kubeward_audit::config::AuditConfig;
use kubeward_audit::detect::{Deduper, Engine};
use kubeward_audit::report::Report;
use kubeward_audit::source;
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let mut cfg = AuditConfig::default();
    cfg.activity = true;
    let cfg = Arc::new(cfg);
    let mut engine = Engine::new(cfg.clone());
    let mut dedup = Deduper::new(cfg.thresholds.dedup_window);
    let mut report = Report::new();
    let mut out = Vec::new();
    let (stats, errors) = source::read_stream("fuzz.log".into(), data, &mut |ev, rec| {
        if engine.push(ev, Some(rec), &mut out) {
            report.add(ev, &cfg);
        }
        for a in out.drain(..) {
            report.alert_raised(&a);
            serde_json::to_string(&a).expect("an alert serialises");
            dedup.add(a);
        }
    });
    for e in &errors.kept {
        assert!(
            e.line > 0 || e.message.starts_with("read error"),
            "parse error without a line: {e:?}"
        );
    }
    let alerts = dedup.finish();
    report.finish(&alerts, &stats, &engine.stats());
    let inputs = vec!["fuzz.log".to_string()];
    let _ = report.to_text(&inputs);
    let mut json = Vec::new();
    report.write_json(&inputs, &mut json).expect("report JSON");
    serde_json::from_slice::<serde_json::Value>(&json).expect("the report is valid JSON");
    let _ = kubeward_audit::html::render(&report, &inputs);
});
