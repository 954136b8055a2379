//! Arbitrary text as an audit config (allow-lists, thresholds, custom rules and their
//! expression language, sinks). Any panic is a bug; every error must have a line and column.
#![no_main]

use kubeward_audit::config::AuditConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = AuditConfig::parse("fuzz.yaml".into(), text) {
        assert!(!errors.is_empty());
        for e in &errors {
            assert!(e.pos.line > 0 && e.pos.col > 0, "config error without a position: {e}");
        }
    }
});
