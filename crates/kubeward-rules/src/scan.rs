//! A whole manifest scan: load inputs one at a time, run object rules on each object as soon as
//! its document is parsed, keep only what snapshot rules need, then run those. Memory stays
//! bounded by the largest file plus one document's tree, the kept objects and the findings.

use crate::engine::{Active, Engine, RuleStats};
use crate::exceptions::ExceptionProblem;
use kubeward_core::view::is_workload_kind;
use kubeward_core::{Finding, Object, Snapshot};
use kubeward_load::{Input, LoadError, Loaded, Note, Options, Sink};
use std::sync::Arc;

/// Everything a report needs.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by file, then position, then rule code.
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    pub notes: Vec<Note>,
    /// The rules that ran, with their counts.
    pub rules: Vec<(Active, RuleStats)>,
    pub exception_problems: Vec<ExceptionProblem>,
    /// Findings suppressed by exceptions (annotations and config entries).
    pub suppressed: u64,
    pub files: u64,
    pub objects: u64,
}

/// Collects objects into an engine run, whatever their source (files, a cluster, a request).
#[derive(Debug)]
pub struct Scan {
    engine: Engine,
    /// Keep workload references for snapshot rules (only when some are selected).
    wants_workloads: bool,
    snapshot: Snapshot,
    result: ScanResult,
}

impl Scan {
    pub fn new(engine: Engine) -> Scan {
        Scan {
            wants_workloads: engine.has_snapshot_rules(),
            engine,
            snapshot: Snapshot::default(),
            result: ScanResult::default(),
        }
    }

    /// Checks one object and keeps what snapshot rules need of it.
    pub fn add_object(&mut self, object: Object) {
        self.result.objects += 1;
        let oref = self.engine.check_object(&object, &mut self.result.findings);
        if self.wants_workloads && object.builtin && is_workload_kind(&object.kind) {
            let oref = oref.unwrap_or_else(|| Arc::new(object.to_ref()));
            self.snapshot.workloads.push(oref);
        }
        if self.engine.retains(&object) {
            self.snapshot.objects.push(object);
        }
    }

    /// Loads one input and checks its objects as they are parsed.
    pub fn add_input(&mut self, input: &Input, opts: &Options) {
        self.result.files += 1;
        kubeward_load::load_input(input, opts, self);
    }

    /// Checks the objects of an already loaded input.
    pub fn add_loaded(&mut self, loaded: Loaded) {
        self.result.files += 1;
        self.result.errors.extend(loaded.errors);
        self.result.notes.extend(loaded.notes);
        for object in loaded.objects {
            self.add_object(object);
        }
    }

    /// Records an error that happened outside loading (e.g. a path that does not exist).
    pub fn add_error(&mut self, error: LoadError) {
        self.result.errors.push(error);
    }

    /// Runs the snapshot rules and returns the sorted result.
    pub fn finish(mut self) -> ScanResult {
        self.engine
            .check_snapshot(&self.snapshot, &mut self.result.findings);
        let mut result = self.result;
        result.findings.sort_unstable_by(order);
        result.rules = self
            .engine
            .rules()
            .iter()
            .copied()
            .zip(self.engine.stats().iter().copied())
            .collect();
        result.suppressed = result.rules.iter().map(|(_, s)| s.suppressed).sum();
        result.exception_problems = self.engine.exceptions().problems();
        result
    }
}

impl Sink for Scan {
    fn object(&mut self, object: Object) {
        self.add_object(object);
    }
    fn error(&mut self, error: LoadError) {
        self.result.errors.push(error);
    }
    fn note(&mut self, note: Note) {
        self.result.notes.push(note);
    }
}

/// Report order: file, document, list item, line, column, rule, message. Findings arrive
/// nearly in this order already, and file names are compared only across files.
fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let file = if Arc::ptr_eq(&a.location.file, &b.location.file) {
        std::cmp::Ordering::Equal
    } else {
        a.location.file.cmp(&b.location.file)
    };
    file.then_with(|| {
        (
            a.object.doc,
            a.object.item,
            a.location.line,
            a.location.column,
            a.rule.code,
        )
            .cmp(&(
                b.object.doc,
                b.object.item,
                b.location.line,
                b.location.column,
                b.rule.code,
            ))
    })
    .then_with(|| a.message.cmp(&b.message))
}
