//! Renders a [`ScanResult`] for people and machines.
//!
//! - [`Format::Table`]: findings grouped by object, then errors and a summary (terminal).
//! - [`Format::Json`]: a stable, versioned document (`docs/json-output.md`).
//! - [`Format::Sarif`]: SARIF 2.1.0 for GitHub code scanning and other viewers (`docs/sarif.md`).
//! - [`Format::Junit`]: JUnit XML, one test suite per rule, for CI test reports.
//!
//! Rendering never adds anything from the scanned objects beyond what findings carry (kind,
//! namespace, name, file, position, message and the rules' already redacted evidence).

mod json;
mod junit;
pub mod policyreport;
mod sarif;
mod table;

use kubeward_core::meta::FRAMEWORKS;
use kubeward_core::{Finding, Severity, Tactic};
use kubeward_rules::scan::ScanResult;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Human-readable text for a terminal.
    #[default]
    Table,
    /// The JSON document described in `docs/json-output.md`.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// A `v1` `List` of `wgpolicyk8s.io/v1alpha2` PolicyReports and a ClusterPolicyReport
    /// (`docs/policyreport.md`).
    PolicyReport,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::PolicyReport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::PolicyReport => "policyreport",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown output format `{s}` (expected table, json, sarif, junit or policyreport)")
            })
    }
}

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// Use ANSI colours (table only).
    pub color: bool,
    /// kubeward's version, written into JSON, SARIF and JUnit output.
    pub version: &'static str,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Writes `result` to `out` in `format`.
pub fn render(
    format: Format,
    result: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::render(result, opts, out),
        Format::Json => json::render(result, opts, out),
        Format::Sarif => sarif::render(result, opts, out),
        Format::Junit => junit::render(result, opts, out),
        Format::PolicyReport => policyreport::render(result, opts, out),
    }
}

/// Per-framework compliance: `(framework, percent passing 0..=100, evaluated, failed)`, for
/// each framework of [`FRAMEWORKS`] that at least one evaluation counted toward. A rule's
/// `evaluated` is the number of objects (or items) it checked, `failed` how many of them it
/// flagged after exceptions.
pub fn compliance(result: &ScanResult) -> Vec<(&'static str, f64, u64, u64)> {
    FRAMEWORKS
        .iter()
        .filter_map(|&framework| {
            let (evaluated, failed) = result
                .rules
                .iter()
                .filter(|(a, _)| a.rule.meta.in_framework(framework) == Some(true))
                .fold((0u64, 0u64), |(e, f), (_, s)| {
                    // A snapshot rule never reports more failures than evaluations, but be safe.
                    let ev = s.evaluated.max(s.failed);
                    (e + ev, f + s.failed)
                });
            (evaluated > 0).then(|| {
                let percent = 100.0 * (evaluated - failed) as f64 / evaluated as f64;
                (framework, percent, evaluated, failed)
            })
        })
        .collect()
}

/// Findings per severity, most severe first (every severity, zero counts included).
pub(crate) fn by_severity(findings: &[Finding]) -> [(Severity, u64); 5] {
    Severity::ALL.map(|s| {
        (
            s,
            findings.iter().filter(|f| f.severity == s).count() as u64,
        )
    })
}

/// Findings per MITRE tactic in matrix order (every tactic, zero counts included). A finding
/// whose rule maps to a tactic more than once counts once for it.
pub(crate) fn by_tactic(findings: &[Finding]) -> [(Tactic, u64); 10] {
    Tactic::ALL.map(|t| {
        let n = findings
            .iter()
            .filter(|f| f.rule.mitre.iter().any(|m| m.tactic == t))
            .count();
        (t, n as u64)
    })
}

/// The kebab-case id of a serde-serialized unit enum value (`privilege-escalation`).
/// An object's identity as both machine-readable reports write it (`namespace` is `null` for
/// cluster-scoped objects rather than absent).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectOut<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
}

impl<'a> ObjectOut<'a> {
    pub(crate) fn of(o: &'a kubeward_core::ObjectRef) -> Self {
        ObjectOut {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: &o.name,
            uid: o.uid.as_deref(),
        }
    }
}

pub(crate) fn id_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// 64-bit FNV-1a: small, dependency-free, and stable across Rust versions and platforms
/// (unlike `DefaultHasher`), so fingerprints do not change between kubeward builds.
pub(crate) fn fnv1a64(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // A separator that cannot occur in the parts keeps ("ab","c") != ("a","bc").
            hash ^= 0xff;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        for b in part.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        assert!("xml".parse::<Format>().unwrap_err().contains("junit"));
    }

    #[test]
    fn fnv_is_stable() {
        // Reference value of FNV-1a 64 for "a".
        assert_eq!(fnv1a64(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
    }
}
