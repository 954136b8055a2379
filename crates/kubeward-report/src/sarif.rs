//! SARIF 2.1.0 output for GitHub code scanning and other SARIF viewers (`docs/sarif.md`).

use crate::{ObjectOut, RenderOptions, fnv1a64, id_of};
use kubeward_core::{Finding, RuleMeta, Severity};
use kubeward_rules::scan::ScanResult;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{self, Write};

pub(crate) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub's `security-severity`: critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// `privileged-container` → `PrivilegedContainer`.
fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The first paragraph under `## What it finds`, or the summary.
fn full_description(m: &RuleMeta) -> String {
    let doc = m.doc_text();
    let text = doc
        .split_once("## What it finds")
        .map(|(_, rest)| rest.trim_start())
        .and_then(|rest| rest.split("\n\n").next())
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.starts_with('#'));
    text.unwrap_or_else(|| m.summary.to_string())
}

/// Percent-encodes what may not appear in a URI path (and `:`, so a relative path's first
/// segment cannot read as a scheme).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An artifact location for a file name as the user gave it: relative to the checkout root
/// (`%SRCROOT%`, which GitHub resolves to the repository root) with forward slashes; absolute
/// paths under the working directory are made relative to it, other absolute paths become
/// `file://` URIs. Stdin (`-`) is `stdin`.
pub(crate) fn artifact_location(file: &str) -> Value {
    if file == "-" {
        return json!({ "uri": "stdin" });
    }
    let mut path = file.replace('\\', "/");
    let absolute = |p: &str| {
        p.starts_with('/') || (p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[2] == b'/')
    };
    if absolute(&path)
        && let Ok(cwd) = std::env::current_dir()
    {
        let mut cwd = cwd.display().to_string().replace('\\', "/");
        if !cwd.ends_with('/') {
            cwd.push('/');
        }
        if let Some(rest) = path.strip_prefix(&cwd) {
            path = rest.to_string();
        }
    }
    if absolute(&path) {
        let sep = if path.starts_with('/') { "" } else { "/" };
        let encoded = encode_path(&path).replacen("%3A", ":", 1);
        return json!({ "uri": format!("file://{sep}{encoded}") });
    }
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    json!({ "uri": encode_path(&path), "uriBaseId": "%SRCROOT%" })
}

fn physical_location(file: &str, line: u32, column: u32) -> Value {
    located(artifact_location(file), line, column)
}

/// A physical location from an already computed artifact location.
fn located(artifact: Value, line: u32, column: u32) -> Value {
    let mut loc = Map::new();
    loc.insert("artifactLocation".into(), artifact);
    if line > 0 {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(line));
        if column > 0 {
            region.insert("startColumn".into(), json!(column));
        }
        loc.insert("region".into(), Value::Object(region));
    }
    Value::Object(loc)
}

fn rule_descriptor(m: &RuleMeta, severity: Severity) -> Value {
    let mut tags = vec!["security".to_string(), id_of(&m.category)];
    for x in m.mitre {
        let t = id_of(&x.tactic);
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let doc = m.doc_text();
    json!({
        "id": m.code,
        "name": pascal_case(m.name),
        "shortDescription": { "text": m.summary },
        "fullDescription": { "text": full_description(m) },
        "help": {
            "text": doc,
            "markdown": doc,
        },
        "defaultConfiguration": { "level": level(severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(severity),
            "precision": "high",
            "kubewardName": m.name,
            "kubewardSeverity": severity.as_str(),
        },
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    rule_id: &'static str,
    level: &'static str,
    message: Text<'a>,
    locations: [LocationOut<'a>; 1],
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(serde::Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationOut<'a> {
    physical_location: PhysicalOut<'a>,
    logical_locations: [LogicalOut; 1],
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalOut<'a> {
    artifact_location: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalOut {
    name: String,
    kind: &'static str,
    fully_qualified_name: String,
}

/// kubeward's partial fingerprint; bump the key's suffix if its recipe ever changes.
#[derive(serde::Serialize)]
struct Fingerprints {
    #[serde(rename = "kubeward/v1")]
    v1: String,
}

#[derive(serde::Serialize)]
struct ResultProperties<'a> {
    path: &'a str,
    evidence: Option<&'a str>,
    object: ObjectOut<'a>,
    severity: &'static str,
}

fn result<'a>(
    f: &'a Finding,
    rule_index: Option<usize>,
    fingerprint: String,
    artifact: &'a Value,
) -> ResultOut<'a> {
    let o = &f.object;
    let name = o.display_name();
    ResultOut {
        rule_id: f.rule.code,
        level: level(f.severity),
        message: Text { text: &f.message },
        locations: [LocationOut {
            physical_location: PhysicalOut {
                artifact_location: artifact,
                region: (f.location.line > 0).then_some(Region {
                    start_line: f.location.line,
                    start_column: (f.location.column > 0).then_some(f.location.column),
                }),
            },
            logical_locations: [LogicalOut {
                fully_qualified_name: format!("{}/{name}", o.api_version),
                name,
                kind: "resource",
            }],
        }],
        partial_fingerprints: Fingerprints { v1: fingerprint },
        properties: ResultProperties {
            path: &f.path,
            evidence: f.evidence.as_deref(),
            object: ObjectOut::of(o),
            severity: f.severity.as_str(),
        },
        rule_index,
    }
}

/// A stable fingerprint: rule code, object identity (API version's group, kind, namespace,
/// name) and the field's JSON pointer; not the file or line, so it survives edits elsewhere in
/// the file and moves between files.
pub(crate) fn fingerprint(f: &Finding) -> u64 {
    let o = &f.object;
    let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    fnv1a64(&[
        f.rule.code,
        group,
        &o.kind,
        o.namespace.as_deref().unwrap_or(""),
        &o.name,
        &f.path,
    ])
}

fn notification(level: &str, text: String, file: &str, line: u32, column: u32) -> Value {
    json!({
        "level": level,
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical_location(file, line, column) }],
    })
}

pub(crate) fn render(
    scan: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let rules: Vec<Value> = scan
        .rules
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            index.entry(a.rule.meta.code).or_insert(i);
            rule_descriptor(&a.rule.meta, a.severity)
        })
        .collect();

    let mut notifications: Vec<Value> = scan
        .errors
        .iter()
        .map(|e| notification("error", e.message.clone(), &e.file, e.line, e.column))
        .collect();
    notifications.extend(scan.exception_problems.iter().map(|p| {
        let e = match p {
            kubeward_rules::exceptions::ExceptionProblem::Expired { exception, .. }
            | kubeward_rules::exceptions::ExceptionProblem::Unused { exception } => exception,
        };
        notification(
            "warning",
            p.to_string(),
            &e.location.file,
            e.location.line,
            e.location.column,
        )
    }));
    notifications.extend(
        scan.notes
            .iter()
            .map(|n| notification("note", n.message.clone(), &n.file, n.line, 0)),
    );
    // Analyses that did not run (attack paths past the scan's limit).
    notifications.extend(scan.skipped.iter().map(|text| {
        json!({
            "level": "warning",
            "message": { "text": text },
        })
    }));
    // What a cluster scan could not list: no result is claimed there.
    notifications.extend(scan.not_visible.iter().map(|nv| {
        json!({
            "level": "warning",
            "message": { "text": format!(
                "not visible: {} ({} {}): {}",
                nv.what(), nv.status, nv.reason, nv.message
            ) },
            "properties": { "notVisible": nv },
        })
    }));

    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: json!({
                "driver": {
                    "name": "kubeward",
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "semanticVersion": opts.version,
                    "version": opts.version,
                    "rules": rules,
                }
            }),
            invocations: json!([{
                "executionSuccessful": scan.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }]),
            column_kind: "unicodeCodePoints",
            results: Results {
                findings: &scan.findings,
                index: &index,
            },
            properties: json!({
                "objects": scan.objects,
                "files": scan.files,
                "suppressed": scan.suppressed,
            }),
        }],
    };
    serde_json::to_writer(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

#[derive(serde::Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    invocations: Value,
    column_kind: &'static str,
    results: Results<'a>,
    properties: Value,
}

/// The results array, written one result at a time: a large scan's log is never built in
/// memory.
struct Results<'a> {
    findings: &'a [Finding],
    index: &'a HashMap<&'a str, usize>,
}

impl serde::Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seen: HashMap<u64, u32> = HashMap::new();
        // Findings come sorted by file: the artifact location is worked out once per file.
        let mut artifact: Option<(&str, Value)> = None;
        let mut seq = s.serialize_seq(Some(self.findings.len()))?;
        for f in self.findings {
            let hash = fingerprint(f);
            let n = seen.entry(hash).or_insert(0);
            *n += 1;
            let file: &str = &f.location.file;
            if artifact.as_ref().is_none_or(|(name, _)| *name != file) {
                artifact = Some((file, artifact_location(file)));
            }
            let art = artifact.as_ref().map(|(_, v)| v).expect("set above");
            let fp = format!("{hash:016x}:{n}");
            seq.serialize_element(&result(f, self.index.get(f.rule.code).copied(), fp, art))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal_case("privileged-container"), "PrivilegedContainer");
        assert_eq!(pascal_case("host-pid"), "HostPid");
        assert_eq!(
            artifact_location("./deploy/app.yaml"),
            json!({"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact_location("deploy\\my app:v1.yaml"),
            json!({"uri": "deploy/my%20app%3Av1.yaml", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(artifact_location("-"), json!({"uri": "stdin"}));
        assert_eq!(
            artifact_location("/nonexistent-root/x.yaml"),
            json!({"uri": "file:///nonexistent-root/x.yaml"})
        );
        assert_eq!(
            artifact_location("C:\\src\\x.yaml"),
            json!({"uri": "file:///C:/src/x.yaml"})
        );
    }
}
