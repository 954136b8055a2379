//! The webhook's configuration: the scan's `kubeward.yaml` (severity overrides and exceptions,
//! parsed by `kubeward_rules::config`) plus an `admission:` section parsed here, with
//! positions, so every error names its line.
//!
//! ```yaml
//! severity:
//!   KW105: low
//! exceptions:
//!   - rule: KW103
//!     namespace: monitoring
//!     reason: node-exporter reads the host
//! admission:
//!   defaultLevel: restricted        # restricted | baseline | privileged
//!   actions:                        # per severity, and per rule (code, prefix or name)
//!     critical: enforce             # enforce | warn | audit | off
//!     high: enforce
//!     medium: warn
//!     low: warn
//!     info: audit
//!     KW502: audit                  # a rule selector beats a severity
//!     KW801: off                    # not judged at admission
//!   namespaces:                     # levels set by the administrator (globs); win over labels
//!     legacy-*: baseline
//!   exempt:
//!     namespaces: [sandbox]
//!     users: ["system:serviceaccount:ci:*"]
//!     groups: [platform-admins]
//!   unboundRoleAction: warn         # the most a Role or ClusterRole alone gets
//!   trustControllers: true          # pods made by controllers from judged templates
//!   controllerUsers: [...]          # who counts as a controller (globs)
//!   honorIgnoreAnnotation: false    # object annotations `kubeward.io/ignore` at admission
//! ```

use kubeward_core::{Node, Pos, Severity, Value};
use kubeward_rules::config::{Config, ConfigError};
use kubeward_rules::exceptions::glob;
use kubeward_rules::select;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The namespace label that selects a level (like Pod Security Admission's
/// `pod-security.kubernetes.io/enforce`).
pub const ENFORCE_LABEL: &str = "kubeward.io/enforce";
/// Pod Security Admission's enforce label (read for KW211, which judges deployers by it).
pub const PSS_ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// Which pod-security rules a namespace gets, as Pod Security Admission's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// No pod-security rule (KW1xx): anything may run. Other rules still apply.
    Privileged,
    /// The pod-security rules mapped to the PSS baseline profile.
    Baseline,
    /// Every pod-security rule: PSS baseline and restricted, and kubeward's own hardening.
    Restricted,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a violation does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// The rule is not judged at admission.
    Off,
    /// Allowed; recorded in the audit log (`auditAnnotations`).
    Audit,
    /// Allowed with a warning to the client (and recorded like `audit`).
    Warn,
    /// Denied, with the violation in the message.
    Enforce,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Off, Action::Audit, Action::Warn, Action::Enforce];

    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "off" => Some(Action::Off),
            "audit" => Some(Action::Audit),
            "warn" => Some(Action::Warn),
            "enforce" => Some(Action::Enforce),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Off => "off",
            Action::Audit => "audit",
            Action::Warn => "warn",
            Action::Enforce => "enforce",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The users Kubernetes' controllers create and update objects as (kube-controller-manager
/// with and without `--use-service-account-credentials`).
pub const DEFAULT_CONTROLLER_USERS: &[&str] = &[
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:daemon-set-controller",
    "system:serviceaccount:kube-system:statefulset-controller",
    "system:serviceaccount:kube-system:job-controller",
    "system:serviceaccount:kube-system:cronjob-controller",
    "system:serviceaccount:kube-system:replication-controller",
];

/// The `admission:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// The level of a namespace without a (valid) label or configured level.
    pub default_level: Level,
    /// The action of each severity (the rule's, or its override in `severity:`), most severe
    /// first.
    pub severity_actions: [(Severity, Action); 5],
    /// Actions per rule selector (code, prefix or name); the most specific match wins over
    /// the severity's action.
    pub rule_actions: Vec<(String, Action)>,
    /// Levels of namespaces by glob, set by the administrator; they win over labels. First
    /// match wins.
    pub namespace_levels: Vec<(String, Level)>,
    /// The most a risky Role or ClusterRole gets on its own (when it is written, nothing
    /// binds it yet). A role grants nothing until it is bound, and its bindings are judged
    /// with its rules; `enforce` treats a risky role like a risky binding.
    pub unbound_role_action: Action,
    /// Namespaces (globs) whose requests are not judged.
    pub exempt_namespaces: Vec<String>,
    /// Users (globs) whose requests are not judged.
    pub exempt_users: Vec<String>,
    /// Groups (globs) whose members' requests are not judged.
    pub exempt_groups: Vec<String>,
    /// Objects that a controller (one of `controller_users`) creates or updates for its
    /// controller object (an `ownerReferences` entry with `controller: true`) are not judged
    /// again: the controller object, whose template they come from, was.
    pub trust_controllers: bool,
    pub controller_users: Vec<String>,
    /// Honour the `kubeward.io/ignore` annotation of the object itself. Off by default: at
    /// admission whoever creates the object writes its annotations, so the annotation would
    /// let anyone exempt themselves.
    pub honor_ignore_annotation: bool,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            default_level: Level::Restricted,
            severity_actions: [
                (Severity::Critical, Action::Enforce),
                (Severity::High, Action::Enforce),
                (Severity::Medium, Action::Warn),
                (Severity::Low, Action::Warn),
                (Severity::Info, Action::Audit),
            ],
            rule_actions: Vec::new(),
            unbound_role_action: Action::Warn,
            namespace_levels: Vec::new(),
            exempt_namespaces: Vec::new(),
            exempt_users: Vec::new(),
            exempt_groups: Vec::new(),
            trust_controllers: true,
            controller_users: DEFAULT_CONTROLLER_USERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            honor_ignore_annotation: false,
        }
    }
}

impl AdmissionConfig {
    /// The action for a rule reporting at `severity`: the most specific rule selector that
    /// names it (a name or full code, then the longest prefix), else the severity's action.
    pub fn action(&self, meta: &kubeward_core::RuleMeta, severity: Severity) -> Action {
        let specificity = |s: &str| {
            if s == meta.name || s.eq_ignore_ascii_case(meta.code) {
                usize::MAX
            } else {
                s.len()
            }
        };
        self.rule_actions
            .iter()
            .filter(|(s, _)| select::matches(s, meta))
            .max_by_key(|(s, _)| specificity(s))
            .map(|(_, a)| *a)
            .unwrap_or_else(|| {
                self.severity_actions
                    .iter()
                    .find(|(s, _)| *s == severity)
                    .map_or(Action::Enforce, |(_, a)| *a)
            })
    }

    /// The level the administrator set for a namespace, if any.
    pub fn namespace_level(&self, namespace: &str) -> Option<Level> {
        self.namespace_levels
            .iter()
            .find(|(g, _)| glob(g, namespace))
            .map(|(_, l)| *l)
    }

    pub fn is_controller(&self, user: &str) -> bool {
        self.controller_users.iter().any(|g| glob(g, user))
    }
}

/// Everything the webhook is configured with.
#[derive(Debug, Default)]
pub struct Settings {
    /// Severity overrides and exceptions, as for `kubeward scan`.
    pub scan: Config,
    pub admission: AdmissionConfig,
}

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config:\n  {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Invalid(Vec<ConfigError>),
}

impl Settings {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Settings, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Settings::parse(path.display().to_string().into(), &text).map_err(LoadError::Invalid)
    }

    /// Parses a config file's text: the scan's keys and the `admission:` section. Every problem
    /// is reported, not only the first.
    pub fn parse(file: Arc<str>, text: &str) -> Result<Settings, Vec<ConfigError>> {
        let mut docs =
            kubeward_load::yaml::parse_single(text, &kubeward_load::yaml::Limits::default());
        let root = match docs.pop().map(|d| d.root) {
            Some(Ok(root)) => root,
            // No document, or a syntax error: the scan's parser reports it.
            _ => {
                return Config::parse(file, text).map(|scan| Settings {
                    scan,
                    admission: AdmissionConfig::default(),
                });
            }
        };
        let mut errors = Vec::new();
        let mut p = Parser {
            file: file.clone(),
            errors: &mut errors,
        };
        // The scan's parser accepts (and ignores) the `admission:` section.
        let admission = match root.entries().iter().find(|e| e.key == "admission") {
            None => AdmissionConfig::default(),
            Some(entry) => p.admission(&entry.value),
        };
        let scan = match Config::parse(file, text) {
            Ok(scan) => Some(scan),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        match scan {
            Some(scan) if errors.is_empty() => Ok(Settings { scan, admission }),
            _ => {
                errors.sort_by_key(|e| e.pos);
                Err(errors)
            }
        }
    }
}

struct Parser<'e> {
    file: Arc<str>,
    errors: &'e mut Vec<ConfigError>,
}

impl Parser<'_> {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    fn admission(&mut self, node: &Node) -> AdmissionConfig {
        let mut c = AdmissionConfig::default();
        if node.is_null() {
            return c;
        }
        if !node.is_map() {
            self.err(
                node.pos,
                format!(
                    "expected `admission` to be a mapping, found {}",
                    node.type_name()
                ),
            );
            return c;
        }
        for e in node.entries() {
            let v = &e.value;
            match e.key.as_str() {
                "defaultLevel" => {
                    if let Some(l) = self.level(v) {
                        c.default_level = l;
                    }
                }
                "actions" => self.actions(v, &mut c),
                "namespaces" => {
                    for (pattern, value) in self.mapping(v, "namespaces") {
                        if let Some(l) = self.level(value) {
                            c.namespace_levels.push((pattern, l));
                        }
                    }
                }
                "exempt" => self.exempt(v, &mut c),
                "unboundRoleAction" => {
                    if let Some(a) = self.action(v) {
                        c.unbound_role_action = a;
                    }
                }
                "trustControllers" => {
                    if let Some(b) = self.bool(v, "trustControllers") {
                        c.trust_controllers = b;
                    }
                }
                "controllerUsers" => c.controller_users = self.strings(v, "controllerUsers"),
                "honorIgnoreAnnotation" => {
                    if let Some(b) = self.bool(v, "honorIgnoreAnnotation") {
                        c.honor_ignore_annotation = b;
                    }
                }
                other => self.err(
                    e.key_pos,
                    format!(
                        "unknown key `{other}` in `admission` (expected defaultLevel, actions, unboundRoleAction, namespaces, exempt, trustControllers, controllerUsers, honorIgnoreAnnotation)"
                    ),
                ),
            }
        }
        c
    }

    fn level(&mut self, node: &Node) -> Option<Level> {
        let found = node.as_str().and_then(Level::parse);
        if found.is_none() {
            self.err(
                node.pos,
                format!(
                    "expected a level: restricted, baseline or privileged, found {}",
                    describe(node)
                ),
            );
        }
        found
    }

    fn bool(&mut self, node: &Node, key: &str) -> Option<bool> {
        let b = node.as_bool();
        if b.is_none() {
            self.err(
                node.pos,
                format!(
                    "expected `{key}` to be true or false, found {}",
                    describe(node)
                ),
            );
        }
        b
    }

    /// The entries of a mapping whose keys are strings.
    fn mapping<'n>(&mut self, node: &'n Node, key: &str) -> Vec<(String, &'n Node)> {
        if node.is_null() {
            return Vec::new();
        }
        if !node.is_map() {
            self.err(
                node.pos,
                format!(
                    "expected `{key}` to be a mapping, found {}",
                    node.type_name()
                ),
            );
            return Vec::new();
        }
        node.entries()
            .iter()
            .map(|e| (e.key.to_string(), &e.value))
            .collect()
    }

    fn strings(&mut self, node: &Node, key: &str) -> Vec<String> {
        if node.is_null() {
            return Vec::new();
        }
        if !matches!(node.value, Value::Seq(_)) {
            self.err(
                node.pos,
                format!(
                    "expected `{key}` to be a list of strings, found {}",
                    node.type_name()
                ),
            );
            return Vec::new();
        }
        let mut out = Vec::new();
        for item in node.items() {
            match item.as_str() {
                Some(s) if !s.is_empty() => out.push(s.to_string()),
                _ => self.err(
                    item.pos,
                    format!(
                        "expected a non-empty string in `{key}`, found {}",
                        describe(item)
                    ),
                ),
            }
        }
        out
    }

    fn action(&mut self, node: &Node) -> Option<Action> {
        // `off` unquoted is YAML 1.1's `false` (as Kubernetes reads YAML): the same thing.
        let action = match &node.value {
            Value::Bool(false) => Some(Action::Off),
            _ => node.as_str().and_then(Action::parse),
        };
        if action.is_none() {
            self.err(
                node.pos,
                format!(
                    "expected an action: enforce, warn, audit or off, found {}",
                    describe(node)
                ),
            );
        }
        action
    }

    fn actions(&mut self, node: &Node, c: &mut AdmissionConfig) {
        for e in node.entries() {
            let Some(action) = self.action(&e.value) else {
                continue;
            };
            if let Ok(sev) = e.key.parse::<Severity>() {
                if let Some(slot) = c.severity_actions.iter_mut().find(|(s, _)| *s == sev) {
                    slot.1 = action;
                }
            } else if let Err(msg) = select::check_selector(&e.key, "`admission.actions`") {
                self.err(
                    e.key_pos,
                    format!(
                        "{msg}; keys are severities (critical, high, medium, low, info) or rules"
                    ),
                );
            } else {
                c.rule_actions.push((e.key.to_string(), action));
            }
        }
        if !node.is_map() && !node.is_null() {
            self.err(
                node.pos,
                format!(
                    "expected `actions` to be a mapping of severity or rule to action, found {}",
                    node.type_name()
                ),
            );
        }
    }

    fn exempt(&mut self, node: &Node, c: &mut AdmissionConfig) {
        for (key, value) in self.mapping(node, "exempt") {
            match key.as_str() {
                "namespaces" => c.exempt_namespaces = self.strings(value, "exempt.namespaces"),
                "users" => c.exempt_users = self.strings(value, "exempt.users"),
                "groups" => c.exempt_groups = self.strings(value, "exempt.groups"),
                other => {
                    let pos = node.entry(other).map_or(node.pos, |e| e.key_pos);
                    self.err(
                        pos,
                        format!(
                            "unknown key `{other}` in `exempt` (expected namespaces, users, groups)"
                        ),
                    );
                }
            }
        }
    }
}

/// `` `strict` `` for a string, the type name for anything else.
fn describe(node: &Node) -> String {
    match node.as_str() {
        Some(s) => format!("`{s}`"),
        None => node.type_name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, Vec<String>> {
        Settings::parse("k.yaml".into(), text)
            .map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn defaults_without_a_section() {
        let s = parse("severity:\n  KW105: low\n").unwrap();
        assert_eq!(s.admission, AdmissionConfig::default());
        assert_eq!(s.scan.severity.get("KW105"), Some(&Severity::Low));
    }

    #[test]
    fn a_full_section_next_to_the_scan_keys() {
        let text = "\
severity:
  KW105: low
admission:
  defaultLevel: baseline
  actions:
    high: warn
    KW801: off
    KW1: audit
    privileged-container: enforce
  namespaces:
    legacy-*: privileged
  exempt:
    namespaces: [sandbox]
    users: [\"system:serviceaccount:ci:*\"]
    groups: [admins]
  trustControllers: false
  honorIgnoreAnnotation: true
  unboundRoleAction: enforce
exceptions:
  - rule: KW103
    namespace: monitoring
    reason: node-exporter
";
        let s = parse(text).unwrap();
        let a = &s.admission;
        assert_eq!(a.default_level, Level::Baseline);
        assert_eq!(a.namespace_level("legacy-shop"), Some(Level::Privileged));
        assert_eq!(a.namespace_level("shop"), None);
        assert_eq!(a.exempt_namespaces, ["sandbox"]);
        assert_eq!(a.exempt_users, ["system:serviceaccount:ci:*"]);
        assert_eq!(a.exempt_groups, ["admins"]);
        assert!(!a.trust_controllers && a.honor_ignore_annotation);
        assert_eq!(a.unbound_role_action, Action::Enforce);
        assert_eq!(s.scan.exceptions.len(), 1);
        // The exception's line is still its line in the file.
        assert_eq!(s.scan.exceptions[0].location.line, 20);
        let rule = |c| kubeward_rules::find(c).unwrap();
        // A name beats a prefix, a prefix beats the severity.
        assert_eq!(
            a.action(&rule("KW101").meta, Severity::Critical),
            Action::Enforce
        );
        assert_eq!(a.action(&rule("KW102").meta, Severity::High), Action::Audit);
        assert_eq!(a.action(&rule("KW801").meta, Severity::Low), Action::Off);
        assert_eq!(a.action(&rule("KW301").meta, Severity::High), Action::Warn);
        assert_eq!(
            a.action(&rule("KW301").meta, Severity::Critical),
            Action::Enforce
        );
    }

    #[test]
    fn errors_name_their_line() {
        let text = "\
admission:
  defaultLevel: strict
  actions:
    KW999: enforce
    high: block
  exempt:
    people: [x]
  frobnicate: 1
severity:
  KW999: low
";
        let errors = parse(text).unwrap_err();
        let joined = errors.join("\n");
        assert!(
            joined.contains(
                "k.yaml:2:17: expected a level: restricted, baseline or privileged, found `strict`"
            ),
            "{joined}"
        );
        assert!(
            joined.contains("k.yaml:4:5: unknown rule code or name `KW999`"),
            "{joined}"
        );
        assert!(
            joined.contains(
                "k.yaml:5:11: expected an action: enforce, warn, audit or off, found `block`"
            ),
            "{joined}"
        );
        assert!(
            joined.contains("k.yaml:7:5: unknown key `people` in `exempt`"),
            "{joined}"
        );
        assert!(
            joined.contains("k.yaml:8:3: unknown key `frobnicate` in `admission`"),
            "{joined}"
        );
        // The scan's own errors keep their lines.
        assert!(
            joined.contains("k.yaml:10:3: unknown rule `KW999`"),
            "{joined}"
        );
        assert_eq!(errors.len(), 6, "{joined}");
    }

    #[test]
    fn flow_style_root_is_read_like_block_style() {
        let flow = parse("{admission: {defaultLevel: baseline}, severity: {}}\n").unwrap();
        let block = parse("admission:\n  defaultLevel: baseline\nseverity: {}\n").unwrap();
        assert_eq!(
            format!("{:?}", flow.admission),
            format!("{:?}", block.admission)
        );
        assert!(parse("{admission: {defaultLevel: sideways}}\n").is_err());
    }

    #[test]
    fn wrong_types() {
        let errors =
            parse("admission:\n  exempt: {users: admin}\n  trustControllers: yes-please\n")
                .unwrap_err();
        let joined = errors.join("\n");
        assert!(
            joined.contains("expected `exempt.users` to be a list of strings, found a string"),
            "{joined}"
        );
        assert!(
            joined.contains("expected `trustControllers` to be true or false, found `yes-please`"),
            "{joined}"
        );
        assert!(
            parse("admission: [1]\n").unwrap_err()[0]
                .contains("expected `admission` to be a mapping")
        );
        assert!(parse("admission:\n").is_ok());
    }
}
