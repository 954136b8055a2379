//! Runs selected rules over objects and snapshots, applies exceptions, counts compliance.

use crate::exceptions::Exceptions;
use crate::{Check, Keep, Rule};
use kubeward_core::{Finding, Object, ObjectRef, PodView, RuleMeta, Severity, Snapshot};
use rustc_hash::FxHashSet;
use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::sync::Arc;

/// Interned finding strings. Paths, messages and evidence repeat across thousands of objects
/// (`/spec/template/spec/containers/0/resources`, "container `app` has no CPU limit"); a large
/// scan keeps one copy of each.
#[derive(Debug, Default)]
pub struct Strings(FxHashSet<Arc<str>>);

impl Strings {
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

/// Reusable text buffers, so that reporting a finding allocates only for strings not yet seen.
#[derive(Debug, Default)]
pub struct Buffers {
    ptr: String,
    text: String,
}

/// Formats `value` into `buf` (cleared first) and returns it.
fn fill(buf: &mut String, value: impl Display) -> &str {
    buf.clear();
    let _ = write!(buf, "{value}");
    buf
}

/// A finding just reported, to add evidence to.
#[derive(Debug)]
pub struct Reported<'c> {
    finding: &'c mut Finding,
    strings: &'c mut Strings,
    buf: &'c mut String,
    /// The user set this rule's severity: findings keep it.
    fixed: bool,
}

impl Reported<'_> {
    /// Sets this finding's severity, for rules whose findings differ in gravity (an attack
    /// path's depends on its length and entry). A severity the user set for the rule wins.
    pub fn severity(self, severity: Severity) -> Self {
        if !self.fixed {
            self.finding.severity = severity;
        }
        self
    }

    /// Sets the evidence shown with the finding: the offending value, secrets redacted.
    pub fn evidence(self, evidence: impl Display) {
        let text = fill(self.buf, evidence);
        self.finding.evidence = Some(self.strings.intern(text));
    }
}

/// What a rule writes findings through.
#[derive(Debug)]
pub struct Cx<'a> {
    rule: &'static RuleMeta,
    severity: Severity,
    fixed: bool,
    object: Option<&'a Object>,
    oref: &'a mut Option<Arc<ObjectRef>>,
    out: &'a mut Vec<Finding>,
    strings: &'a mut Strings,
    bufs: &'a mut Buffers,
    evaluated: u64,
}

impl<'a> Cx<'a> {
    /// The object being checked (object and pod rules).
    pub fn object(&self) -> Option<&'a Object> {
        self.object
    }

    /// Reports a finding on the object being checked, at the field `ptr` (a JSON pointer; the
    /// finding points at the nearest existing ancestor when the field is absent).
    pub fn report(&mut self, ptr: impl Display, message: impl Display) -> Reported<'_> {
        let object = self
            .object
            .expect("Cx::report is for object and pod rules; snapshot rules use report_at");
        let oref = self
            .oref
            .get_or_insert_with(|| Arc::new(object.to_ref()))
            .clone();
        self.push_at(object, oref, ptr, message)
    }

    /// Reports a finding on another object (snapshot rules).
    pub fn report_at(
        &mut self,
        object: &Object,
        ptr: impl Display,
        message: impl Display,
    ) -> Reported<'_> {
        self.push_at(object, Arc::new(object.to_ref()), ptr, message)
    }

    /// Reports a finding on an object of which only the reference was kept: it points at the
    /// object itself.
    pub fn report_ref(&mut self, oref: &Arc<ObjectRef>, message: impl Display) -> Reported<'_> {
        let location = kubeward_core::Location {
            file: oref.file.clone(),
            line: oref.pos.line,
            column: oref.pos.col,
        };
        self.bufs.ptr.clear();
        self.push(oref.clone(), location, message)
    }

    /// Reports a finding at a known position of an object kept without its tree (`ptr` is the
    /// field's JSON pointer, `pos` where it is written).
    pub fn report_located(
        &mut self,
        oref: &Arc<ObjectRef>,
        pos: kubeward_core::Pos,
        ptr: impl Display,
        message: impl Display,
    ) -> Reported<'_> {
        let pos = if pos.is_known() { pos } else { oref.pos };
        let location = kubeward_core::Location {
            file: oref.file.clone(),
            line: pos.line,
            column: pos.col,
        };
        fill(&mut self.bufs.ptr, ptr);
        self.push(oref.clone(), location, message)
    }

    /// Counts `n` checked items toward compliance (snapshot rules; object rules count objects).
    pub fn evaluated(&mut self, n: u64) {
        self.evaluated += n;
    }

    fn push_at(
        &mut self,
        object: &Object,
        oref: Arc<ObjectRef>,
        ptr: impl Display,
        message: impl Display,
    ) -> Reported<'_> {
        let location = object.locate(fill(&mut self.bufs.ptr, ptr));
        self.push(oref, location, message)
    }

    /// Pushes a finding whose pointer is in `bufs.ptr`.
    fn push(
        &mut self,
        oref: Arc<ObjectRef>,
        location: kubeward_core::Location,
        message: impl Display,
    ) -> Reported<'_> {
        let path = self.strings.intern(&self.bufs.ptr);
        let message = self.strings.intern(fill(&mut self.bufs.text, message));
        self.out.push(Finding {
            rule: self.rule,
            severity: self.severity,
            object: oref,
            path,
            location,
            message,
            evidence: None,
        });
        Reported {
            finding: self.out.last_mut().expect("just pushed"),
            strings: self.strings,
            buf: &mut self.bufs.text,
            fixed: self.fixed,
        }
    }
}

/// A selected rule and the severity it reports at.
#[derive(Debug, Clone, Copy)]
pub struct Active {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// The severity comes from the user's config (findings may not change it).
    pub overridden: bool,
}

/// Per-rule counts for compliance: how many objects (or items) a rule checked and how many of
/// them failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleStats {
    pub evaluated: u64,
    pub failed: u64,
    pub findings: u64,
    pub suppressed: u64,
}

/// The rule engine. Feed it objects one at a time ([`Engine::check_object`]), then the snapshot.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Active>,
    stats: Vec<RuleStats>,
    exceptions: Exceptions,
    retain: Vec<(&'static str, Keep)>,
    /// The same without what the attack graph asked for (`Keep::Graph`): what a scan keeps
    /// once it has given up on the paths.
    retain_base: Vec<(&'static str, Keep)>,
    strings: Strings,
    bufs: Buffers,
}

impl Engine {
    /// An engine for `rules`, with per-code severity overrides and exceptions.
    pub fn new(
        rules: &[&'static Rule],
        overrides: &HashMap<String, Severity>,
        exceptions: Exceptions,
    ) -> Engine {
        let rules: Vec<Active> = rules
            .iter()
            .map(|&rule| Active {
                rule,
                severity: overrides
                    .get(rule.meta.code)
                    .copied()
                    .unwrap_or(rule.meta.severity),
                overridden: overrides.contains_key(rule.meta.code),
            })
            .collect();
        // Per kind, the most any selected snapshot rule needs (with and without the graph's).
        let mut retain: Vec<(&'static str, Keep)> = Vec::new();
        let mut retain_base: Vec<(&'static str, Keep)> = Vec::new();
        for a in &rules {
            if let Check::Snapshot { retain: wants, .. } = a.rule.check {
                for &(kind, keep) in wants {
                    let levels = if keep == Keep::Graph {
                        vec![&mut retain]
                    } else {
                        vec![&mut retain, &mut retain_base]
                    };
                    for list in levels {
                        match list.iter_mut().find(|(k, _)| *k == kind) {
                            Some(entry) => entry.1 = entry.1.max(keep),
                            None => list.push((kind, keep)),
                        }
                    }
                }
            }
        }
        Engine {
            stats: vec![RuleStats::default(); rules.len()],
            rules,
            exceptions,
            retain,
            retain_base,
            strings: Strings::default(),
            bufs: Buffers::default(),
        }
    }

    pub fn rules(&self) -> &[Active] {
        &self.rules
    }

    /// Per-rule counts, parallel to [`Engine::rules`].
    pub fn stats(&self) -> &[RuleStats] {
        &self.stats
    }

    pub fn exceptions(&self) -> &Exceptions {
        &self.exceptions
    }

    /// Does any selected rule look at the whole snapshot?
    pub fn has_snapshot_rules(&self) -> bool {
        self.rules
            .iter()
            .any(|a| matches!(a.rule.check, Check::Snapshot { .. }))
    }

    /// How much of this object snapshot rules need kept, if anything.
    pub fn retains(&self, object: &Object) -> Option<Keep> {
        self.retain
            .iter()
            .find(|(kind, _)| *kind == object.kind.as_str())
            .map(|(_, keep)| *keep)
    }

    /// [`Engine::retains`] leaving out the attack graph's needs (a scan past its paths limit).
    pub fn retains_without_graph(&self, object: &Object) -> Option<Keep> {
        self.retain_base
            .iter()
            .find(|(kind, _)| *kind == object.kind.as_str())
            .map(|(_, keep)| *keep)
    }

    /// Runs every object and pod rule on one object, appending its findings to `out`. Returns
    /// the object's reference when a finding needed one, for the caller to reuse.
    pub fn check_object(
        &mut self,
        object: &Object,
        out: &mut Vec<Finding>,
    ) -> Option<Arc<ObjectRef>> {
        let pod = PodView::of(object);
        let mut oref = None;
        let first = out.len();
        for i in 0..self.rules.len() {
            let active = self.rules[i];
            let start = out.len();
            let mut cx = Cx {
                rule: &active.rule.meta,
                severity: active.severity,
                fixed: active.overridden,
                object: Some(object),
                oref: &mut oref,
                out,
                strings: &mut self.strings,
                bufs: &mut self.bufs,
                evaluated: 0,
            };
            match active.rule.check {
                Check::Pod(check) => match &pod {
                    Some(pod) => check(pod, &mut cx),
                    None => continue,
                },
                Check::Object { kinds, check } => {
                    if !object.builtin || !kinds.contains(&object.kind.as_str()) {
                        continue;
                    }
                    check(object, &mut cx)
                }
                Check::Snapshot { .. } => continue,
            }
            self.stats[i].evaluated += 1;
            let kept = self.filter(i, out, start);
            if kept > 0 {
                self.stats[i].failed += 1;
            }
        }
        // One object's findings in report order (by position, then rule): a scan's findings
        // are then in order as they arrive.
        out[first..].sort_unstable_by(|a, b| {
            (a.location.line, a.location.column, a.rule.code)
                .cmp(&(b.location.line, b.location.column, b.rule.code))
                .then_with(|| a.message.cmp(&b.message))
        });
        oref
    }

    /// Runs the snapshot rules.
    pub fn check_snapshot(&mut self, snapshot: &Snapshot, out: &mut Vec<Finding>) {
        for i in 0..self.rules.len() {
            let active = self.rules[i];
            let Check::Snapshot { check, .. } = active.rule.check else {
                continue;
            };
            let start = out.len();
            let mut oref = None;
            let mut cx = Cx {
                rule: &active.rule.meta,
                severity: active.severity,
                fixed: active.overridden,
                object: None,
                oref: &mut oref,
                out,
                strings: &mut self.strings,
                bufs: &mut self.bufs,
                evaluated: 0,
            };
            check(snapshot, &mut cx);
            let evaluated = cx.evaluated;
            let kept = self.filter(i, out, start);
            self.stats[i].evaluated += evaluated.max(kept);
            self.stats[i].failed += kept;
        }
    }

    /// Drops the findings from `start` on that an exception covers; returns how many remain.
    fn filter(&mut self, rule: usize, out: &mut Vec<Finding>, start: usize) -> u64 {
        let before = out.len() - start;
        if before == 0 {
            return 0;
        }
        let mut i = start;
        while i < out.len() {
            if self.exceptions.suppresses(&out[i]) {
                out.remove(i);
            } else {
                i += 1;
            }
        }
        let kept = (out.len() - start) as u64;
        self.stats[rule].findings += kept;
        self.stats[rule].suppressed += before as u64 - kept;
        kept
    }
}
