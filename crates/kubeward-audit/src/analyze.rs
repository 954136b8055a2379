//! One-shot analysis of audit log files: read every input as a stream, run the detection
//! engine (and optionally the report aggregator) on each event as it is parsed, merge
//! duplicate alerts. What `kubeward audit analyze` and `kubeward audit report` run.

use crate::config::AuditConfig;
use crate::detect::{Alert, Deduper, Engine, EngineStats};
use crate::event::Event;
use crate::report::Report;
use crate::source::{self, ParseError, ReadStats, Record};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// The result of analysing some inputs.
#[derive(Debug)]
pub struct Analysis {
    pub inputs: Vec<String>,
    pub read: ReadStats,
    pub engine: EngineStats,
    /// Merged alerts, in time order.
    pub alerts: Vec<Alert>,
    /// The first parse errors of every input.
    pub errors: Vec<ParseError>,
    /// Parse errors in total (more than `errors` holds when an input had many).
    pub error_count: u64,
    pub report: Option<Report>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsOut {
    records: u64,
    events: u64,
    skipped_records: u64,
    bad_records: u64,
    bad_inputs: u64,
    requests: u64,
    other_stages: u64,
    writes_without_body: u64,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    file: &'a str,
    line: u64,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalysisOut<'a> {
    schema_version: u32,
    inputs: &'a [String],
    stats: StatsOut,
    alerts: &'a [Alert],
    errors: Vec<ErrorOut<'a>>,
    error_count: u64,
}

impl Analysis {
    /// The JSON output of `kubeward audit analyze --format json` (`schemaVersion` 1, documented
    /// in docs/audit.md), written straight from the analysis (no intermediate tree).
    pub fn write_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let out = AnalysisOut {
            schema_version: 1,
            inputs: &self.inputs,
            stats: StatsOut {
                records: self.read.records,
                events: self.read.events,
                skipped_records: self.read.skipped,
                bad_records: self.read.bad_records,
                bad_inputs: self.read.bad_inputs,
                requests: self.engine.requests,
                other_stages: self.engine.other_stages,
                writes_without_body: self.engine.writes_without_body,
            },
            alerts: &self.alerts,
            errors: self
                .errors
                .iter()
                .map(|e| ErrorOut {
                    file: &e.file,
                    line: e.line,
                    message: &e.message,
                })
                .collect(),
            error_count: self.error_count,
        };
        serde_json::to_writer_pretty(w, &out).map_err(std::io::Error::other)
    }
}

/// Reads `paths` (`-` = standard input) and runs the detections; with `report`, also builds
/// the audit report.
pub fn analyze(paths: &[PathBuf], cfg: Arc<AuditConfig>, report: bool) -> Analysis {
    let mut engine = Engine::new(cfg.clone());
    let mut dedup = Deduper::new(cfg.thresholds.dedup_window);
    let mut rep = report.then(Report::new);
    let mut read = ReadStats::default();
    let mut errors = Vec::new();
    let mut error_count = 0;
    let mut out = Vec::new();
    for p in paths {
        let (stats, errs) = source::read_path(p, &mut |ev: &Event<'_>, rec: Record<'_>| {
            if engine.push(ev, Some(rec), &mut out)
                && let Some(r) = rep.as_mut()
            {
                r.add(ev, engine.config());
            }
            for a in out.drain(..) {
                if let Some(r) = rep.as_mut() {
                    r.alert_raised(&a);
                }
                dedup.add(a);
            }
        });
        read.add(&stats);
        error_count += errs.total;
        errors.extend(errs.kept);
    }
    let alerts = dedup.finish();
    let engine_stats = engine.stats();
    if let Some(r) = rep.as_mut() {
        r.finish(&alerts, &read, &engine_stats);
    }
    Analysis {
        inputs: paths.iter().map(|p| p.display().to_string()).collect(),
        read,
        engine: engine_stats,
        alerts,
        errors,
        error_count,
        report: rep,
    }
}

/// Parses only (the benchmark's baseline): every event is parsed and counted, nothing else.
pub fn parse_only(paths: &[PathBuf]) -> (ReadStats, u64) {
    let mut read = ReadStats::default();
    let mut errors = 0;
    let mut sink_count = 0u64;
    for p in paths {
        let (stats, errs) = source::read_path(p, &mut |ev: &Event<'_>, _| {
            // Touch the event so the parse cannot be optimised away.
            sink_count += u64::from(!ev.audit_id().is_empty());
        });
        read.add(&stats);
        errors += errs.total;
    }
    std::hint::black_box(sink_count);
    (read, errors)
}
