//! `kubeward.yaml`: per-rule severity overrides and exceptions, parsed with positions so every
//! error points at its line.
//!
//! ```yaml
//! severity:
//!   KW105: low
//! exceptions:
//!   - rules: [KW103, hostpath-volume]   # or `rule: KW103`
//!     namespace: monitoring               # glob, optional
//!     kind: DaemonSet                     # optional
//!     name: node-exporter*                # glob, optional
//!     reason: collects node metrics from the host
//!     expires: 2027-03-31                 # optional
//! ```

use crate::exceptions::{Date, Exception};
use crate::select;
use kubeward_core::{Location, Node, Pos, Severity};
use kubeward_load::yaml;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The file name looked for in the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "kubeward.yaml";

#[derive(Debug, Default)]
pub struct Config {
    /// Severity overrides by rule code.
    pub severity: HashMap<String, Severity>,
    pub exceptions: Vec<Exception>,
}

/// An error in the config file, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Arc<str>,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.pos, self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses a config file's text. Every problem is reported, not only the first.
    pub fn parse(file: Arc<str>, text: &str) -> Result<Config, Vec<ConfigError>> {
        let mut p = ConfigParser {
            file: file.clone(),
            errors: Vec::new(),
        };
        let config = p.parse(text);
        if p.errors.is_empty() {
            Ok(config)
        } else {
            Err(p.errors)
        }
    }
}

struct ConfigParser {
    file: Arc<str>,
    errors: Vec<ConfigError>,
}

impl ConfigParser {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    fn parse(&mut self, text: &str) -> Config {
        let mut config = Config::default();
        let root = match yaml::config_root(text) {
            Ok(Some(root)) => root,
            Ok(None) => return config,
            Err((pos, message)) => {
                self.err(pos, message);
                return config;
            }
        };
        for entry in root.entries() {
            match entry.key.as_str() {
                "severity" => self.severity(&entry.value, &mut config),
                "exceptions" => {
                    if !entry.value.is_null()
                        && !matches!(entry.value.value, kubeward_core::Value::Seq(_))
                    {
                        self.err(entry.value.pos, "expected `exceptions` to be a list");
                    }
                    for item in entry.value.items() {
                        if let Some(e) = self.exception(item) {
                            config.exceptions.push(e);
                        }
                    }
                }
                // The admission webhook's section (`kubeward admission serve` reads it; see
                // docs/admission.md): the same file configures both.
                "admission" => {}
                other => self.err(
                    entry.key_pos,
                    format!(
                        "unknown key `{other}` (expected `severity`, `exceptions` or `admission`)"
                    ),
                ),
            }
        }
        config
    }

    fn severity(&mut self, node: &Node, config: &mut Config) {
        if !node.is_map() && !node.is_null() {
            self.err(
                node.pos,
                "expected `severity` to be a mapping of rule code to severity",
            );
            return;
        }
        for e in node.entries() {
            let Some(rule) = crate::find(&e.key) else {
                self.err(
                    e.key_pos,
                    format!("unknown rule `{}` (see `kubeward rules`)", e.key),
                );
                continue;
            };
            match e.value.as_str().map(str::parse::<Severity>) {
                Some(Ok(sev)) => {
                    config.severity.insert(rule.meta.code.to_string(), sev);
                }
                Some(Err(msg)) => self.err(e.value.pos, msg),
                None => self.err(
                    e.value.pos,
                    "expected a severity: critical, high, medium, low or info",
                ),
            }
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        let value = node.get(key)?;
        match value.scalar_text() {
            Some(s) if value.as_str().is_some() || key == "expires" => Some(s),
            _ => {
                self.err(
                    value.pos,
                    format!(
                        "expected `{key}` to be a string, found {}",
                        value.type_name()
                    ),
                );
                None
            }
        }
    }

    fn exception(&mut self, node: &Node) -> Option<Exception> {
        if !node.is_map() {
            self.err(
                node.pos,
                format!(
                    "expected an exception entry (a mapping), found {}",
                    node.type_name()
                ),
            );
            return None;
        }
        let before = self.errors.len();
        for e in node.entries() {
            if ![
                "rule",
                "rules",
                "namespace",
                "kind",
                "name",
                "reason",
                "expires",
            ]
            .contains(&e.key.as_str())
            {
                self.err(
                    e.key_pos,
                    format!("unknown key `{}` (expected rule(s), namespace, kind, name, reason, expires)", e.key),
                );
            }
        }
        let mut rules = Vec::new();
        if let Some(r) = self.string(node, "rule") {
            rules.push((r, node.entry("rule").map_or(node.pos, |e| e.value.pos)));
        }
        if let Some(list) = node.get("rules") {
            if list.items().is_empty() {
                self.err(
                    list.pos,
                    "expected `rules` to be a non-empty list of rule codes or names",
                );
            }
            for item in list.items() {
                match item.as_str() {
                    Some(s) => rules.push((s.to_string(), item.pos)),
                    None => self.err(item.pos, "expected a rule code or name"),
                }
            }
        }
        if rules.is_empty() && node.get("rules").is_none() {
            self.err(node.pos, "an exception needs `rule` or `rules`");
        }
        for (r, pos) in &rules {
            if let Err(msg) = select::check_selector(r, "exception") {
                self.err(*pos, msg);
            }
        }
        let reason = self.string(node, "reason").unwrap_or_default();
        if reason.trim().is_empty() {
            self.err(node.pos, "an exception needs a `reason`");
        }
        let expires = match self.string(node, "expires") {
            Some(s) => match Date::parse(&s) {
                Some(d) => Some(d),
                None => {
                    let pos = node.get("expires").map_or(node.pos, |n| n.pos);
                    self.err(
                        pos,
                        format!("expected `expires` as YYYY-MM-DD, found `{s}`"),
                    );
                    None
                }
            },
            None => None,
        };
        let namespace = self.string(node, "namespace");
        let kind = self.string(node, "kind");
        let name = self.string(node, "name");
        if self.errors.len() > before {
            return None;
        }
        Some(Exception {
            rules: rules.into_iter().map(|(r, _)| r).collect(),
            namespace,
            kind,
            name,
            reason,
            expires,
            location: Location {
                file: self.file.clone(),
                line: node.pos.line,
                column: node.pos.col,
            },
        })
    }
}
