//! The node report and its renderings: a table for people, JSON (`docs/node.md` documents every
//! field) and SARIF 2.1.0.

use crate::auditpolicy::Concern;
use crate::bench::Benchmark;
use crate::checks::{CheckResult, Status};
use crate::config::{Component, NodeConfig, Role};
use crate::encryption::Analysis;
use crate::error::Problem;
use crate::flags::CommandLine;
use crate::kubelet::CommandSource;
use crate::origin::{Origin, Setting};
use crate::rules;
use kubeward_core::{RuleMeta, Severity};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The JSON schema version of `kubeward node --format json`.
pub const SCHEMA_VERSION: &str = "1";

/// A flag as it takes effect.
#[derive(Debug, Clone, Serialize)]
pub struct FlagOut {
    pub name: String,
    pub value: String,
    pub source: Origin,
}

/// A component and where its configuration came from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentOut {
    pub name: &'static str,
    pub manifest: Option<String>,
    pub pid: Option<u32>,
    pub image: Option<Setting>,
    /// Kubelet: `unit`, `process` or `unit+process`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_source: Option<&'static str>,
    /// Kubelet: unit files and drop-ins; config file and config-dir drop-ins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unit_files: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config_files: Vec<String>,
    /// Every flag in effect (values of flags that may hold credentials are redacted).
    pub flags: Vec<FlagOut>,
}

/// Counts of statuses.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub info: usize,
    pub total: usize,
}

/// What a report carries besides the checks.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub encryption: Option<Analysis>,
    pub audit_policy: Option<Vec<Concern>>,
    pub errors: Vec<Problem>,
    pub notes: Vec<String>,
}

/// The outcome of `kubeward node`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The directory treated as `/`.
    pub root: String,
    pub roles: Vec<Role>,
    pub kubernetes_version: Option<Setting>,
    pub benchmark: Benchmark,
    /// Why this benchmark (flag, version mapping, default).
    pub benchmark_reason: String,
    pub summary: Summary,
    pub checks: Vec<CheckResult>,
    pub components: Vec<ComponentOut>,
    pub encryption: Option<Analysis>,
    pub audit_policy: Option<Vec<Concern>>,
    pub errors: Vec<Problem>,
    pub notes: Vec<String>,
}

impl Report {
    /// Puts a report together.
    pub fn new(
        cfg: &NodeConfig,
        benchmark: Benchmark,
        benchmark_reason: String,
        checks: Vec<CheckResult>,
        extra: Extras,
    ) -> Report {
        let Extras {
            encryption,
            audit_policy,
            errors,
            notes,
        } = extra;
        let mut summary = Summary::default();
        for c in &checks {
            match c.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Warn => summary.warn += 1,
                Status::Info => summary.info += 1,
            }
        }
        summary.total = checks.len();
        let mut components = Vec::new();
        for c in [
            &cfg.apiserver,
            &cfg.controller_manager,
            &cfg.scheduler,
            &cfg.etcd,
        ]
        .into_iter()
        .flatten()
        {
            components.push(component_out(c));
        }
        if let Some(k) = &cfg.kubelet {
            components.push(ComponentOut {
                name: "kubelet",
                manifest: None,
                pid: match k.source {
                    CommandSource::Process(p) | CommandSource::UnitMatchingProcess(p) => Some(p),
                    CommandSource::Unit => None,
                },
                image: None,
                command_source: Some(match k.source {
                    CommandSource::Unit => "unit",
                    CommandSource::Process(_) => "process",
                    CommandSource::UnitMatchingProcess(_) => "unit+process",
                }),
                unit_files: k.unit.as_ref().map(|u| u.files.clone()).unwrap_or_default(),
                config_files: k.layers.iter().map(|(p, _)| p.clone()).collect(),
                flags: flags_out(&k.cmd),
            });
        }
        if let Some(p) = &cfg.proxy {
            components.push(component_out(p));
        }
        Report {
            root: cfg.root.dir().display().to_string(),
            roles: cfg.roles(),
            kubernetes_version: cfg.version.clone(),
            benchmark,
            benchmark_reason,
            summary,
            checks,
            components,
            encryption,
            audit_policy,
            errors,
            notes,
        }
    }

    /// 2 when a file could not be read or parsed, 1 when a check failed (or, with
    /// `fail_on_warn`, warned), 0 otherwise.
    pub fn exit_code(&self, fail_on_warn: bool) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.summary.fail > 0 || (fail_on_warn && self.summary.warn > 0) {
            1
        } else {
            0
        }
    }

    /// The JSON document (`docs/node.md`).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            let mut out = serde_json::Map::new();
            out.insert("schemaVersion".into(), json!(SCHEMA_VERSION));
            out.insert(
                "tool".into(),
                json!({"name": "kubeward", "version": env!("CARGO_PKG_VERSION")}),
            );
            for (k, val) in std::mem::take(map) {
                out.insert(k, val);
            }
            return Value::Object(out);
        }
        v
    }

    /// The table for a terminal: every check (passes on one line), then a summary.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        let _ = writeln!(
            out,
            "kubeward node: {} · {} · {}",
            if roles.is_empty() {
                "no role".to_string()
            } else {
                roles.join(", ")
            },
            match &self.kubernetes_version {
                Some(v) => format!("Kubernetes {} ({})", v.value, v.source),
                None => "Kubernetes version unknown".into(),
            },
            self.benchmark.name()
        );
        let _ = writeln!(out, "benchmark: {}", self.benchmark_reason);
        let mut group = "";
        for c in &self.checks {
            if c.group != group {
                group = c.group;
                let prefix: String =
                    c.id.rsplit_once('.')
                        .map_or(c.id.clone(), |(p, _)| p.to_string());
                let prefix = if c.id.matches('.').count() == 1 && c.id.starts_with('2') {
                    "2".to_string()
                } else {
                    prefix
                };
                let _ = writeln!(out, "\n== {prefix} {group}");
            }
            let tag = match c.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Warn => "WARN",
                Status::Info => "INFO",
            };
            let sev = c.severity.map_or(String::new(), |s| format!(" {s}"));
            let _ = writeln!(out, "[{tag}] {:<7} {}{sev}", c.id, c.title);
            if c.status == Status::Pass {
                continue;
            }
            let _ = writeln!(out, "        {} ({})", c.reason, c.code);
            for o in &c.observed {
                let value = o.value.as_deref().unwrap_or("not set");
                match &o.source {
                    Some(s) => {
                        let _ = writeln!(out, "        {} = {value}  [{s}]", o.name);
                    }
                    None => {
                        let _ = writeln!(out, "        {} = {value}", o.name);
                    }
                }
            }
            for d in c.details.iter().take(20) {
                let _ = writeln!(out, "        - {d}");
            }
            if c.details.len() > 20 {
                let _ = writeln!(out, "        - … {} more", c.details.len() - 20);
            }
            if c.status != Status::Info {
                let _ = writeln!(out, "        fix: {}", c.remediation);
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nnotes:");
            for n in &self.notes {
                let _ = writeln!(out, "  - {n}");
            }
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out, "\nerrors:");
            for e in &self.errors {
                let _ = writeln!(out, "  - {e}");
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "\n{} checks: {} pass, {} fail, {} warn, {} info ({})",
            s.total,
            s.pass,
            s.fail,
            s.warn,
            s.info,
            self.benchmark.name()
        );
        out
    }

    /// SARIF 2.1.0: one result per failed or warned check, at the file and line of the value
    /// it judged when that is a file.
    pub fn to_sarif(&self) -> Value {
        let mut used: Vec<&'static RuleMeta> = Vec::new();
        let mut results = Vec::new();
        for c in &self.checks {
            if !matches!(c.status, Status::Fail | Status::Warn) {
                continue;
            }
            let Some(meta) = rules::ALL.iter().copied().find(|r| r.code == c.code) else {
                continue;
            };
            if !used.iter().any(|m| m.code == meta.code) {
                used.push(meta);
            }
            let sev = c.severity.unwrap_or(meta.severity);
            let level = match (c.status, sev) {
                (Status::Fail, Severity::Critical | Severity::High) => "error",
                (Status::Fail, _) => "warning",
                _ => "note",
            };
            let location = c.observed.iter().find_map(|o| match &o.source {
                Some(Origin::File { path, line }) => Some((path.clone(), *line)),
                _ => None,
            });
            let mut result = json!({
                "ruleId": c.code,
                "level": level,
                "message": { "text": format!("CIS {} ({}): {}: {}", c.id, c.status.as_str(), c.title, c.reason) },
                "properties": {
                    "cisId": c.id,
                    "benchmark": self.benchmark.name(),
                    "status": c.status.as_str(),
                    "severity": sev.as_str(),
                    "security-severity": security_severity(sev),
                },
                "partialFingerprints": { "kubewardNodeCheck/v1": format!("{}:{}", self.benchmark.name(), c.id) },
            });
            if let Some((path, line)) = location {
                let mut phys = json!({ "artifactLocation": { "uri": file_uri(&path) } });
                if line > 0 {
                    phys["region"] = json!({ "startLine": line });
                }
                result["locations"] = json!([{ "physicalLocation": phys }]);
            }
            results.push(result);
        }
        used.sort_by_key(|m| m.code);
        let rules: Vec<Value> = used
            .iter()
            .map(|m| {
                json!({
                    "id": m.code,
                    "name": m.name,
                    "shortDescription": { "text": m.summary },
                    "fullDescription": { "text": m.summary },
                    "help": { "text": m.remediation, "markdown": m.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n") },
                    "defaultConfiguration": { "level": match m.severity { Severity::Critical | Severity::High => "error", Severity::Medium => "warning", _ => "note" } },
                    "properties": {
                        "tags": ["security", "cis-kubernetes-benchmark"],
                        "security-severity": security_severity(m.severity),
                        "cis": m.cis,
                    },
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "kubeward",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/kubeward",
                    "rules": rules,
                }},
                "results": results,
                "properties": { "benchmark": self.benchmark.name(), "roles": self.roles },
            }],
        })
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// `file:///etc/kubernetes/...` with characters outside a URI path percent-encoded.
fn file_uri(path: &str) -> String {
    let mut out = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@:".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn component_out(c: &Component) -> ComponentOut {
    ComponentOut {
        name: c.name,
        manifest: c.manifest.clone(),
        pid: c.pid,
        image: c.image.clone(),
        command_source: None,
        unit_files: Vec::new(),
        config_files: Vec::new(),
        flags: flags_out(&c.cmd),
    }
}

/// Flags whose values may be credentials (never files or directories naming them).
pub fn is_sensitive_flag(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let path_like = ["-file", "-dir", "-path", "-config", "-url", "-urls"]
        .iter()
        .any(|s| n.ends_with(s));
    !path_like
        && ["password", "secret", "token", "credential", "passphrase"]
            .iter()
            .any(|w| n.contains(w))
}

fn flags_out(cmd: &CommandLine) -> Vec<FlagOut> {
    let mut names: Vec<&str> = Vec::new();
    for f in &cmd.flags {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    names
        .into_iter()
        .filter_map(|n| {
            let s = cmd.get(n)?;
            Some(FlagOut {
                name: format!("--{n}"),
                value: if is_sensitive_flag(n) {
                    "<redacted>".into()
                } else {
                    s.value
                },
                source: s.source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_flags() {
        assert!(is_sensitive_flag("initial-cluster-token"));
        assert!(is_sensitive_flag("oidc-client-secret"));
        assert!(!is_sensitive_flag("token-auth-file"));
        assert!(!is_sensitive_flag("encryption-provider-config"));
        assert!(!is_sensitive_flag("profiling"));
        assert_eq!(file_uri("/etc/a b"), "file:///etc/a%20b");
    }
}
