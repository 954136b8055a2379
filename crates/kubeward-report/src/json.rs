//! The JSON output: a stable, versioned contract documented in `docs/json-output.md`.
//!
//! Every field here is part of the contract. Additive changes (new fields) keep
//! `schemaVersion` at "1"; renaming, removing or changing the type or meaning of a field bumps it.

use crate::{ObjectOut, RenderOptions, by_severity, by_tactic, compliance, id_of};
use kubeward_core::cluster::{ClusterInfo, NotVisible};
use kubeward_core::{Category, Finding, PssLevel, Tactic};
use kubeward_rules::exceptions::ExceptionProblem;
use kubeward_rules::scan::ScanResult;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::io::{self, Write};

pub(crate) const SCHEMA_VERSION: &str = "1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    schema_version: &'static str,
    tool: Tool,
    summary: Summary,
    compliance: Vec<Compliance>,
    rules: Vec<RuleOut>,
    findings: Lazy<'a, Finding, FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    notes: Vec<NoteOut<'a>>,
    exceptions: Vec<ExceptionOut<'a>>,
    clusters: &'a [ClusterInfo],
    not_visible: &'a [NotVisible],
    skipped: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    objects: u64,
    files: u64,
    findings: u64,
    by_severity: Counts,
    by_tactic: Counts,
    suppressed: u64,
    repeated: u64,
    errors: u64,
    notes: u64,
    not_visible: u64,
}

/// A JSON object of counts that keeps its keys in the given order.
struct Counts(Vec<(String, u64)>);

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Compliance {
    framework: &'static str,
    percent: f64,
    evaluated: u64,
    failed: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    category: String,
    summary: &'static str,
    evaluated: u64,
    failed: u64,
    findings: u64,
    suppressed: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingOut<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    category: Category,
    message: &'a str,
    evidence: Option<&'a str>,
    object: ObjectOut<'a>,
    location: LocationOut<'a>,
    path: &'a str,
    remediation: &'static str,
    frameworks: Frameworks,
}

#[derive(Serialize)]
struct LocationOut<'a> {
    file: &'a str,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct Frameworks {
    mitre: Vec<MitreOut>,
    nsa: &'static [&'static str],
    cis: &'static [&'static str],
    pss: Option<PssOut>,
}

#[derive(Serialize)]
struct MitreOut {
    tactic: Tactic,
    technique: &'static str,
    id: Option<&'static str>,
}

#[derive(Serialize)]
struct PssOut {
    level: PssLevel,
    control: &'static str,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct NoteOut<'a> {
    file: &'a str,
    line: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct ExceptionOut<'a> {
    problem: &'static str,
    file: &'a str,
    line: u32,
    rules: &'a [String],
    reason: &'a str,
    expires: Option<String>,
    matched: Option<u64>,
}

/// A list serialized item by item as it is written, never built in memory: a large scan's
/// findings are converted one at a time.
struct Lazy<'a, T, O>(&'a [T], fn(&'a T) -> O);

impl<'a, T, O: Serialize> Serialize for Lazy<'a, T, O> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(self.1))
    }
}

fn finding(f: &Finding) -> FindingOut<'_> {
    let m = f.rule;
    FindingOut {
        code: m.code,
        name: m.name,
        severity: f.severity.as_str(),
        category: m.category,
        message: &f.message,
        evidence: f.evidence.as_deref(),
        object: ObjectOut::of(&f.object),
        location: LocationOut {
            file: &f.location.file,
            line: f.location.line,
            column: f.location.column,
        },
        path: &f.path,
        remediation: m.remediation,
        frameworks: Frameworks {
            mitre: m
                .mitre
                .iter()
                .map(|x| MitreOut {
                    tactic: x.tactic,
                    technique: x.technique,
                    id: (!x.id.is_empty()).then_some(x.id),
                })
                .collect(),
            nsa: m.nsa,
            cis: m.cis,
            pss: m.pss.map(|p| PssOut {
                level: p.level,
                control: p.control,
            }),
        },
    }
}

fn exception(p: &ExceptionProblem) -> ExceptionOut<'_> {
    let (problem, e, matched) = match p {
        ExceptionProblem::Expired { exception, matched } => ("expired", exception, Some(*matched)),
        ExceptionProblem::Unused { exception } => ("unused", exception, None),
    };
    ExceptionOut {
        problem,
        file: &e.location.file,
        line: e.location.line,
        rules: &e.rules,
        reason: &e.reason,
        expires: e.expires.map(|d| d.to_string()),
        matched,
    }
}

/// Rounds to two decimals so `66.66666666666667` reads `66.67`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn render(
    result: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "kubeward",
            version: opts.version,
        },
        summary: Summary {
            objects: result.objects,
            files: result.files,
            findings: result.findings.len() as u64,
            by_severity: Counts(
                by_severity(&result.findings)
                    .iter()
                    .map(|(s, n)| (s.as_str().to_string(), *n))
                    .collect(),
            ),
            by_tactic: Counts(
                by_tactic(&result.findings)
                    .iter()
                    .map(|(t, n)| (id_of(t), *n))
                    .collect(),
            ),
            suppressed: result.suppressed,
            repeated: result.repeated,
            errors: result.errors.len() as u64,
            notes: result.notes.len() as u64,
            not_visible: result.not_visible.len() as u64,
        },
        compliance: compliance(result)
            .into_iter()
            .map(|(framework, percent, evaluated, failed)| Compliance {
                framework,
                percent: round2(percent),
                evaluated,
                failed,
            })
            .collect(),
        rules: result
            .rules
            .iter()
            .map(|(a, s)| RuleOut {
                code: a.rule.meta.code,
                name: a.rule.meta.name,
                severity: a.severity.as_str(),
                category: id_of(&a.rule.meta.category),
                summary: a.rule.meta.summary,
                evaluated: s.evaluated.max(s.failed),
                failed: s.failed,
                findings: s.findings,
                suppressed: s.suppressed,
            })
            .collect(),
        findings: Lazy(&result.findings, finding),
        errors: result
            .errors
            .iter()
            .map(|e| ErrorOut {
                file: &e.file,
                line: e.line,
                column: e.column,
                message: &e.message,
            })
            .collect(),
        notes: result
            .notes
            .iter()
            .map(|n| NoteOut {
                file: &n.file,
                line: n.line,
                message: &n.message,
            })
            .collect(),
        exceptions: result.exception_problems.iter().map(exception).collect(),
        clusters: &result.clusters,
        not_visible: &result.not_visible,
        skipped: &result.skipped,
    };
    serde_json::to_writer(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}
