//! Human-readable output: findings grouped by object, problems, then a summary.

use crate::{RenderOptions, by_severity, by_tactic, compliance};
use kubeward_core::{Finding, Severity};
use kubeward_rules::scan::ScanResult;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const BOLD_RED: &str = "\x1b[1;31m";

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;35m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[34m",
        Severity::Info => "\x1b[2m",
    }
}

/// Text from the scanned input, made safe for a terminal: control characters (which could
/// carry escape sequences that rewrite the screen) are shown escaped.
fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Same object: findings are sorted by file, document, item, so an object's findings are
/// adjacent.
fn same_object(a: &Finding, b: &Finding) -> bool {
    a.object.file == b.object.file
        && a.object.doc == b.object.doc
        && a.object.item == b.object.item
        && a.object.kind == b.object.kind
        && a.object.name == b.object.name
        && a.object.namespace == b.object.namespace
}

pub(crate) fn render(
    result: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Painter { color: opts.color };
    let findings = &result.findings;

    let mut start = 0;
    while start < findings.len() {
        let mut end = start + 1;
        while end < findings.len() && same_object(&findings[start], &findings[end]) {
            end += 1;
        }
        let o = &findings[start].object;
        let name = match &o.namespace {
            Some(ns) => format!("{ns}/{}", o.name),
            None => o.name.to_string(),
        };
        let place = match (&o.uid, o.pos.line) {
            (_, line) if line > 0 => format!("{}:{}", o.file, line),
            (Some(uid), _) => format!("{} uid {uid}", o.file),
            (None, _) => o.file.to_string(),
        };
        let header = format!("{} {}", clean(&o.kind), clean(&name));
        writeln!(out, "{}  {}", p.paint(BOLD, &header), clean(&place))?;
        for f in &findings[start..end] {
            let sev = format!("{:<8}", f.severity.as_str().to_ascii_uppercase());
            // Live objects have no lines: the field's path says where.
            let at = if f.location.line > 0 {
                format!("{}:{}", f.location.line, f.location.column)
            } else {
                "-".to_string()
            };
            writeln!(
                out,
                "  {:<7}  {}  {} {}  {}",
                at,
                p.paint(severity_color(f.severity), &sev),
                f.rule.code,
                f.rule.name,
                clean(&f.message)
            )?;
            if let Some(e) = &f.evidence {
                writeln!(out, "    → {}", clean(e))?;
            }
            if f.location.line == 0 && !f.path.is_empty() {
                writeln!(out, "    at {}", clean(&f.path))?;
            }
        }
        writeln!(out)?;
        start = end;
    }
    if findings.is_empty() {
        writeln!(out, "No findings.")?;
        writeln!(out)?;
    }

    // Load errors and exception problems go to standard error (the CLI prints them), so they
    // are seen even when the table is redirected; the summary counts them.
    let mut problems = false;
    if !result.notes.is_empty() {
        writeln!(
            out,
            "note: {} skipped (not Kubernetes objects)",
            plural(result.notes.len() as u64, "document", "documents")
        )?;
        problems = true;
    }
    for skipped in &result.skipped {
        writeln!(out, "note: {skipped}")?;
        problems = true;
    }
    if problems {
        writeln!(out)?;
    }
    if !result.not_visible.is_empty() {
        writeln!(
            out,
            "{}",
            p.paint(
                BOLD_RED,
                "Not visible (the API server refused these lists; nothing is claimed about them):"
            )
        )?;
        for nv in &result.not_visible {
            let why = if nv.message.is_empty() {
                String::new()
            } else {
                format!(": {}", clean(&nv.message))
            };
            writeln!(
                out,
                "  {} — {} {}{why}",
                clean(&nv.what()),
                nv.status,
                clean(&nv.reason)
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "{}", p.paint(BOLD, "Summary"))?;
    let counts: Vec<String> = by_severity(findings)
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    writeln!(
        out,
        "  {} ({})",
        plural(findings.len() as u64, "finding", "findings"),
        counts.join(", ")
    )?;
    let tactics: Vec<_> = by_tactic(findings)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    if !tactics.is_empty() {
        writeln!(out, "  By MITRE tactic:")?;
        let width = tactics
            .iter()
            .map(|(t, _)| t.title().len())
            .max()
            .unwrap_or(0);
        for (t, n) in tactics {
            writeln!(out, "    {:<width$}  {n}", t.title())?;
        }
    }
    let compliance = compliance(result);
    if !compliance.is_empty() {
        writeln!(out, "  Compliance:")?;
        for (framework, percent, evaluated, failed) in compliance {
            writeln!(
                out,
                "    {framework:<14}  {percent:>5.1}%  ({} of {} passed)",
                evaluated - failed,
                plural(evaluated, "check", "checks")
            )?;
        }
    }
    if result.clusters.is_empty() {
        write!(
            out,
            "  {} in {} scanned",
            plural(result.objects, "object", "objects"),
            plural(result.files, "file", "files")
        )?;
    } else {
        let clusters: Vec<String> = result
            .clusters
            .iter()
            .map(|c| match &c.version {
                Some(v) => format!("{} ({})", clean(&c.name), clean(v)),
                None => clean(&c.name),
            })
            .collect();
        write!(
            out,
            "  {} of cluster {} scanned",
            plural(result.objects, "object", "objects"),
            clusters.join(", ")
        )?;
    }
    if result.repeated > 0 {
        write!(
            out,
            "; {} on pods and ReplicaSets repeating their controller's not shown",
            plural(result.repeated, "finding", "findings")
        )?;
    }
    if result.suppressed > 0 {
        write!(
            out,
            "; {} suppressed by exceptions",
            plural(result.suppressed, "finding", "findings")
        )?;
    }
    writeln!(out)?;
    if !result.errors.is_empty() {
        writeln!(
            out,
            "  {}",
            p.paint(
                BOLD_RED,
                &format!(
                    "{} (listed on standard error)",
                    plural(result.errors.len() as u64, "error", "errors")
                )
            )
        )?;
    }
    Ok(())
}
