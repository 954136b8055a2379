//! A finding: one rule violated by one object at one field.

use crate::meta::RuleMeta;
use crate::object::ObjectRef;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => {
                return Err(format!(
                    "unknown severity `{s}` (expected critical, high, medium, low or info)"
                ));
            }
        })
    }
}

/// A place in a source file. `line == 0` when the object has no file (live objects).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

/// One violation. Never holds a Secret's value: rules put redacted evidence here.
///
/// The strings are shared (`Arc<str>`): a scan interns them, and the same path, message or
/// evidence recurs across thousands of objects.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The rule's severity, or the user's override of it.
    pub severity: Severity,
    pub object: Arc<ObjectRef>,
    /// JSON pointer of the offending field within the object.
    pub path: Arc<str>,
    pub location: Location,
    pub message: Arc<str>,
    /// The offending value as written (secrets redacted).
    pub evidence: Option<Arc<str>>,
}
