//! Shared helpers of the oracle tests.

#![allow(dead_code)]

use kubeward_audit::analyze::{Analysis, analyze};
use kubeward_audit::config::AuditConfig;
use kubeward_audit::source;
use std::path::PathBuf;
use std::sync::Arc;

/// `/work/shared/data` (the oracles). The tests fail, not skip, when it is missing.
pub fn data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(
        p.join("audit").is_dir(),
        "the shared oracle data is missing: expected {}/audit",
        p.display()
    );
    p
}

/// A summary of one event of a log, owned.
#[derive(Debug, Clone)]
pub struct Ev {
    pub audit_id: String,
    pub stage: String,
    pub user: String,
    pub impersonated: String,
    pub verb: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub path: String,
    pub code: Option<u16>,
    pub line: u64,
}

/// Every event of a file, as our parser sees it.
pub fn events(path: &std::path::Path) -> Vec<Ev> {
    let mut out = Vec::new();
    let (_, errors) = source::read_path(path, &mut |ev, rec| {
        out.push(Ev {
            audit_id: ev.audit_id().to_string(),
            stage: ev.stage().as_str().to_string(),
            user: ev.username().to_string(),
            impersonated: ev
                .impersonated()
                .map(|u| u.name().to_string())
                .unwrap_or_default(),
            verb: ev.verb().to_string(),
            resource: ev.resource().to_string(),
            subresource: ev.subresource().to_string(),
            namespace: ev.namespace().to_string(),
            name: ev.name().to_string(),
            path: ev.path().to_string(),
            code: ev.code(),
            line: rec.line,
        });
    });
    assert_eq!(errors.total, 0, "{:?}", errors.kept);
    out
}

pub fn run(paths: &[PathBuf], cfg: AuditConfig) -> Analysis {
    analyze(paths, Arc::new(cfg), false)
}
