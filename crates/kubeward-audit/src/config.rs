//! The audit config (`kubeward audit analyze --config audit.yaml`): allow-lists, thresholds,
//! severity overrides and the lists some detections need. Parsed with positions, so every
//! error names its line; every problem is reported, not only the first.
//!
//! ```yaml
//! activity: false                 # info-level activity alerts (KW723, KW740, ...)
//! disable: [KW748]                # codes or names
//! severity: {KW704: medium}
//! system-users: ["my-operator"]   # extra control-plane identities (globs)
//! system-namespaces: [kube-system, kube-public, kube-node-lease]
//! allow:                          # suppress alerts (each entry needs a reason)
//!   - rules: [KW701]              # codes or names; omitted = every detection
//!     users: ["oncall-*"]         # globs on the acting identity
//!     namespaces: [debug]
//!     reason: on-call engineers debug in this namespace
//! thresholds:
//!   forbidden-burst: {count: 10, window: 10m}
//! trusted-images: ["registry.example.com/*"]   # KW714
//! allowed-users: [...]  admin-users: [...]     # KW743
//! allowed-namespaces: [...]                    # KW742
//! trusted-networks: [203.0.113.0/24]           # KW749
//! ioc-networks: [198.51.100.7/32]              # KW750
//! trusted-impersonators: [oauth-proxy]         # KW734
//! rules:                                       # custom rules (crate::expr)
//!   - code: X-CI-EXEC
//!     name: ci-exec-in-prod
//!     severity: high
//!     when: 'subresource == "exec" && namespace == "prod" && user ~ "ci-*"'
//!     tactic: execution
//!     technique: Exec into container
//! ```

use crate::detect::catalog::{self, DETECTIONS};
use crate::expr::Expr;
use crate::ip::Cidr;
use crate::time::{self, Micros};
use kubeward_core::{Mitre, Node, Pos, Severity, Tactic, Value};
use kubeward_load::yaml;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A `*` wildcard pattern (any number of `*`, matching any run of characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    pub fn new(p: impl Into<String>) -> Glob {
        Glob(p.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, s: &str) -> bool {
        glob_match(&self.0, s)
    }
}

/// Does `s` match `pattern` (`*` matches any run, everything else literally)?
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = s.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A built-in detection's or a custom rule's code, by code or name.
fn lookup(s: &str, custom: &[CustomRule]) -> Option<&'static str> {
    catalog::find(s).map(|d| d.code).or_else(|| {
        custom
            .iter()
            .find(|r| r.code == s || r.name == s)
            .map(|r| r.code)
    })
}

pub(crate) fn any_match(globs: &[Glob], s: &str) -> bool {
    globs.iter().any(|g| g.matches(s))
}

/// One allow-list entry: an alert matching every given field is suppressed.
#[derive(Debug, Clone, Default)]
pub struct AllowRule {
    /// Detection codes; empty = every detection.
    pub rules: Vec<&'static str>,
    pub users: Vec<Glob>,
    pub groups: Vec<Glob>,
    pub namespaces: Vec<Glob>,
    pub names: Vec<Glob>,
    pub resources: Vec<Glob>,
    pub verbs: Vec<Glob>,
    /// Every image the alert is about must match one.
    pub images: Vec<Glob>,
    pub source_networks: Vec<Cidr>,
    pub user_agents: Vec<Glob>,
    pub reason: String,
    pub line: u32,
}

/// A custom rule: an expression over event fields (`crate::expr`) raising an alert with the
/// rule's own code.
#[derive(Debug, Clone)]
pub struct CustomRule {
    /// `X` + letters, digits, `-` or `_` (`KW` codes are reserved for built-in detections).
    /// Leaked once per config load: alerts refer to codes as `&'static str`.
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub when: Expr,
    /// Message template: `{user}`, `{verb}`, `{namespace}`... are replaced by the event's
    /// fields (the fields of the expression language).
    pub message: String,
    pub mitre: &'static [Mitre],
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub window: Micros,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub forbidden_burst: Window,
    /// `count` = secret reads; `namespaces` below.
    pub secret_enumeration: Window,
    pub secret_namespaces: u32,
    /// `count` = distinct sensitive resource types.
    pub discovery_burst: Window,
    /// `count` unused.
    pub rbac_then_workload: Window,
    pub delete_burst: Window,
    /// Alerts with the same dedup key within this window are merged into one.
    pub dedup_window: Micros,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            forbidden_burst: Window {
                count: 10,
                window: 10 * time::MINUTE,
            },
            secret_enumeration: Window {
                count: 15,
                window: 30 * time::MINUTE,
            },
            secret_namespaces: 3,
            discovery_burst: Window {
                count: 5,
                window: time::MINUTE,
            },
            rbac_then_workload: Window {
                count: 1,
                window: 5 * time::MINUTE,
            },
            delete_burst: Window {
                count: 10,
                window: 5 * time::MINUTE,
            },
            dedup_window: time::HOUR,
        }
    }
}

/// Built-in control-plane identities (besides every `system:` user and the service accounts
/// of the system namespaces).
pub const DEFAULT_SYSTEM_USERS: &[&str] = &[
    "eks:*",
    "aksService",
    "aks-support",
    "kube-apiserver-kubelet-client",
    // GKE's service agent (`service-<project>@container-engine-robot.iam.gserviceaccount.com`).
    "*container-engine-robot*.iam.gserviceaccount.com",
];
pub const DEFAULT_SYSTEM_NAMESPACES: &[&str] = &[
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gke-system",
    "gke-managed-system",
];
/// Images trusted in system namespaces (KW712), after Falco's `allowed_kube_namespace_image_list`
/// and the registries of the managed platforms.
pub const DEFAULT_SYSTEM_IMAGES: &[&str] = &[
    "registry.k8s.io/*",
    "k8s.gcr.io/*",
    "gcr.io/google-containers/*",
    "gcr.io/gke-release/*",
    "gke.gcr.io/*",
    "*.gcr.io/gke-*",
    "mcr.microsoft.com/*",
    "*.dkr.ecr.*.amazonaws.com/eks/*",
    "*.dkr.ecr.*.amazonaws.com/amazon-k8s-cni*",
    "public.ecr.aws/eks/*",
    "public.ecr.aws/eks-distro/*",
    "docker.io/calico/*",
    "calico/*",
    "quay.io/calico/*",
    "quay.io/cilium/*",
    "docker.io/coredns/coredns*",
    "coredns/coredns*",
    "gcr.io/projectcalico-org/*",
    "quay.io/coreos/*",
    "quay.io/tigera/*",
];

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Emit `info` activity alerts.
    pub activity: bool,
    /// Per detection index: enabled.
    pub enabled: Vec<bool>,
    pub severity: HashMap<&'static str, Severity>,
    pub system_users: Vec<Glob>,
    pub system_namespaces: Vec<String>,
    pub system_images: Vec<Glob>,
    pub allow: Vec<AllowRule>,
    pub thresholds: Thresholds,
    pub trusted_images: Vec<Glob>,
    pub allowed_users: Vec<Glob>,
    pub admin_users: Vec<Glob>,
    pub allowed_namespaces: Vec<Glob>,
    pub trusted_networks: Vec<Cidr>,
    pub ioc_networks: Vec<Cidr>,
    pub trusted_impersonators: Vec<Glob>,
    /// Custom rules (`rules:`).
    pub custom: Vec<CustomRule>,
    /// Where the receiver (`audit serve`) sends alerts besides its database (`sinks:`).
    pub sinks: Vec<SinkConfig>,
}

/// What a sink speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// A chat webhook: Slack's incoming-webhook payload (`text` and `blocks`), which
    /// Mattermost, Rocket.Chat and Microsoft Teams' Slack-compatible endpoints also take.
    Slack,
    /// A generic webhook: the alert's JSON, as `audit analyze --format json` prints it.
    Json,
    /// Prometheus Alertmanager's v2 API (`POST <url>/api/v2/alerts`).
    Alertmanager,
}

/// A sink of the receiver (`sinks:` in the audit config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Unique; names the sink in metrics and remembers how far it delivered.
    pub name: String,
    pub kind: SinkKind,
    pub url: String,
    /// Alerts below this severity are not sent.
    pub min_severity: Severity,
    /// Only these detections (codes); empty means all.
    pub rules: Vec<String>,
    /// Alerts sent per window, all identities together.
    pub rate: Window,
    /// Alerts sent per window for one identity: one noisy actor cannot flood the channel.
    pub per_identity: Window,
    /// Extra CA certificates (PEM) to trust for an `https` URL, besides the system's.
    pub ca_file: Option<String>,
    /// A file holding a bearer token sent as `Authorization: Bearer <token>`.
    pub token_file: Option<String>,
    /// Time allowed for one delivery (microseconds).
    pub timeout: Micros,
}

impl SinkConfig {
    pub const DEFAULT_RATE: Window = Window {
        count: 60,
        window: 60_000_000,
    };
    pub const DEFAULT_PER_IDENTITY: Window = Window {
        count: 10,
        window: 600_000_000,
    };
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            activity: false,
            enabled: vec![true; DETECTIONS.len()],
            severity: HashMap::new(),
            system_users: DEFAULT_SYSTEM_USERS.iter().map(|s| Glob::new(*s)).collect(),
            system_namespaces: DEFAULT_SYSTEM_NAMESPACES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            system_images: DEFAULT_SYSTEM_IMAGES
                .iter()
                .map(|s| Glob::new(*s))
                .collect(),
            allow: Vec::new(),
            thresholds: Thresholds::default(),
            trusted_images: Vec::new(),
            allowed_users: Vec::new(),
            admin_users: Vec::new(),
            allowed_namespaces: Vec::new(),
            trusted_networks: Vec::new(),
            ioc_networks: Vec::new(),
            trusted_impersonators: Vec::new(),
            custom: Vec::new(),
            sinks: Vec::new(),
        }
    }
}

impl AuditConfig {
    pub fn is_enabled(&self, code: &str) -> bool {
        catalog::index(code).is_some_and(|i| self.enabled.get(i).copied().unwrap_or(false))
    }

    pub fn is_system_namespace(&self, ns: &str) -> bool {
        self.system_namespaces.iter().any(|n| n == ns)
    }

    /// Parses a config file's text.
    pub fn parse(file: Arc<str>, text: &str) -> Result<AuditConfig, Vec<ConfigError>> {
        let mut p = Parser {
            file,
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

struct Parser {
    file: Arc<str>,
    errors: Vec<ConfigError>,
}

const KEYS: &[&str] = &[
    "rules",
    "activity",
    "disable",
    "enable",
    "severity",
    "system-users",
    "system-namespaces",
    "system-images",
    "allow",
    "thresholds",
    "trusted-images",
    "allowed-users",
    "admin-users",
    "allowed-namespaces",
    "trusted-networks",
    "ioc-networks",
    "trusted-impersonators",
    "sinks",
];

impl Parser {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.clone(),
            pos,
            message: message.into(),
        });
    }

    fn parse(&mut self, text: &str) -> AuditConfig {
        let mut c = AuditConfig::default();
        let root = match yaml::config_root(text) {
            Ok(Some(root)) => root,
            Ok(None) => return c,
            Err((pos, message)) => {
                self.err(pos, message);
                return c;
            }
        };
        // Custom rules first: the other sections may name their codes.
        if let Some(e) = root.entries().iter().find(|e| e.key.as_str() == "rules") {
            self.custom_rules(&e.value, &mut c);
        }
        for e in root.entries() {
            let v = &e.value;
            match e.key.as_str() {
                "rules" => {}
                "activity" => match v.as_bool() {
                    Some(b) => c.activity = b,
                    None => self.err(v.pos, "expected `activity` to be true or false"),
                },
                "disable" | "enable" => {
                    let on = e.key.as_str() == "enable";
                    for (s, pos) in self.strings(v, &e.key) {
                        if s == "all" {
                            c.enabled.iter_mut().for_each(|x| *x = on);
                            continue;
                        }
                        match catalog::find(&s).and_then(|d| catalog::index(d.code)) {
                            Some(i) => c.enabled[i] = on,
                            None => self.err(
                                pos,
                                format!("unknown detection `{s}` (see `kubeward audit rules`)"),
                            ),
                        }
                    }
                }
                "severity" => {
                    if !v.is_map() && !v.is_null() {
                        self.err(
                            v.pos,
                            "expected `severity` to be a mapping of detection code to severity",
                        );
                    }
                    for s in v.entries() {
                        let Some(d) = catalog::find(&s.key) else {
                            self.err(
                                s.key_pos,
                                format!(
                                    "unknown detection `{}` (see `kubeward audit rules`)",
                                    s.key
                                ),
                            );
                            continue;
                        };
                        match s.value.as_str().map(str::parse::<Severity>) {
                            Some(Ok(sev)) => {
                                c.severity.insert(d.code, sev);
                            }
                            Some(Err(msg)) => self.err(s.value.pos, msg),
                            None => self.err(
                                s.value.pos,
                                "expected a severity: critical, high, medium, low or info",
                            ),
                        }
                    }
                }
                "system-users" => c.system_users.extend(self.globs(v, &e.key)),
                "system-namespaces" => {
                    c.system_namespaces = self
                        .strings(v, &e.key)
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "system-images" => c.system_images.extend(self.globs(v, &e.key)),
                "trusted-images" => c.trusted_images = self.globs(v, &e.key),
                "allowed-users" => c.allowed_users = self.globs(v, &e.key),
                "admin-users" => c.admin_users = self.globs(v, &e.key),
                "allowed-namespaces" => c.allowed_namespaces = self.globs(v, &e.key),
                "trusted-networks" => c.trusted_networks = self.cidrs(v, &e.key),
                "ioc-networks" => c.ioc_networks = self.cidrs(v, &e.key),
                "trusted-impersonators" => c.trusted_impersonators = self.globs(v, &e.key),
                "allow" => {
                    if !v.is_null() && !matches!(v.value, Value::Seq(_)) {
                        self.err(v.pos, "expected `allow` to be a list of entries");
                    }
                    for item in v.items() {
                        if let Some(a) = self.allow(item, &c.custom) {
                            c.allow.push(a);
                        }
                    }
                }
                "thresholds" => self.thresholds(v, &mut c.thresholds),
                "sinks" => self.sinks(v, &mut c),
                other => self.err(
                    e.key_pos,
                    format!(
                        "unknown key `{other}` (expected one of: {})",
                        KEYS.join(", ")
                    ),
                ),
            }
        }
        c
    }

    fn strings(&mut self, v: &Node, key: &str) -> Vec<(String, Pos)> {
        if v.is_null() {
            return Vec::new();
        }
        if !matches!(v.value, Value::Seq(_)) {
            self.err(v.pos, format!("expected `{key}` to be a list of strings"));
            return Vec::new();
        }
        let mut out = Vec::new();
        for item in v.items() {
            match item.scalar_text() {
                Some(s) if !item.is_map() => out.push((s, item.pos)),
                _ => self.err(
                    item.pos,
                    format!("expected a string in `{key}`, found {}", item.type_name()),
                ),
            }
        }
        out
    }

    fn globs(&mut self, v: &Node, key: &str) -> Vec<Glob> {
        self.strings(v, key)
            .into_iter()
            .map(|(s, _)| Glob::new(s))
            .collect()
    }

    fn cidrs(&mut self, v: &Node, key: &str) -> Vec<Cidr> {
        let mut out = Vec::new();
        for (s, pos) in self.strings(v, key) {
            match Cidr::parse(&s) {
                Some(c) => out.push(c),
                None => self.err(
                    pos,
                    format!("expected an address or CIDR block (`10.0.0.0/8`), found `{s}`"),
                ),
            }
        }
        out
    }

    fn allow(&mut self, node: &Node, custom: &[CustomRule]) -> Option<AllowRule> {
        if !node.is_map() {
            self.err(
                node.pos,
                format!(
                    "expected an allow entry (a mapping), found {}",
                    node.type_name()
                ),
            );
            return None;
        }
        let before = self.errors.len();
        let mut a = AllowRule {
            line: node.pos.line,
            ..AllowRule::default()
        };
        for e in node.entries() {
            let v = &e.value;
            match e.key.as_str() {
                "rule" | "rules" => {
                    let list = if e.key.as_str() == "rule" {
                        match v.scalar_text() {
                            Some(s) => vec![(s, v.pos)],
                            None => {
                                self.err(v.pos, "expected `rule` to be a detection code or name");
                                Vec::new()
                            }
                        }
                    } else {
                        self.strings(v, "rules")
                    };
                    for (s, pos) in list {
                        match lookup(&s, custom) {
                            Some(code) => a.rules.push(code),
                            None => self.err(pos, format!("unknown detection `{s}` (see `kubeward audit rules`)")),
                        }
                    }
                }
                "users" => a.users = self.globs(v, "users"),
                "groups" => a.groups = self.globs(v, "groups"),
                "namespaces" => a.namespaces = self.globs(v, "namespaces"),
                "names" => a.names = self.globs(v, "names"),
                "resources" => a.resources = self.globs(v, "resources"),
                "verbs" => a.verbs = self.globs(v, "verbs"),
                "images" => a.images = self.globs(v, "images"),
                "source-networks" => a.source_networks = self.cidrs(v, "source-networks"),
                "user-agents" => a.user_agents = self.globs(v, "user-agents"),
                "reason" => match v.as_str() {
                    Some(s) if !s.trim().is_empty() => a.reason = s.to_string(),
                    _ => self.err(v.pos, "expected `reason` to be a non-empty string"),
                },
                other => self.err(
                    e.key_pos,
                    format!("unknown key `{other}` in an allow entry (expected rules, users, groups, namespaces, names, resources, verbs, images, source-networks, user-agents, reason)"),
                ),
            }
        }
        if node.get("reason").is_none() {
            self.err(node.pos, "an allow entry needs a `reason`");
        }
        (self.errors.len() == before).then_some(a)
    }

    fn custom_rules(&mut self, v: &Node, c: &mut AuditConfig) {
        if !v.is_null() && !matches!(v.value, Value::Seq(_)) {
            self.err(v.pos, "expected `rules` to be a list of custom rules");
            return;
        }
        for item in v.items() {
            if let Some(r) = self.custom_rule(item, &c.custom) {
                c.custom.push(r);
            }
        }
    }

    fn custom_rule(&mut self, node: &Node, seen: &[CustomRule]) -> Option<CustomRule> {
        if !node.is_map() {
            self.err(
                node.pos,
                format!(
                    "expected a custom rule (a mapping), found {}",
                    node.type_name()
                ),
            );
            return None;
        }
        let before = self.errors.len();
        for e in node.entries() {
            if ![
                "code",
                "name",
                "severity",
                "when",
                "message",
                "tactic",
                "technique",
                "id",
            ]
            .contains(&e.key.as_str())
            {
                self.err(e.key_pos, format!("unknown key `{}` in a custom rule (expected code, name, severity, when, message, tactic, technique, id)", e.key));
            }
        }
        let text = |p: &mut Parser, key: &str| -> Option<(String, Pos)> {
            match node.get(key) {
                Some(v) => match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some((s.to_string(), v.pos)),
                    _ => {
                        p.err(v.pos, format!("expected `{key}` to be a non-empty string"));
                        None
                    }
                },
                None => None,
            }
        };
        let code = text(self, "code");
        let name = text(self, "name");
        let severity = text(self, "severity");
        let when = text(self, "when");
        let message = text(self, "message");
        let tactic = text(self, "tactic");
        let technique = text(self, "technique");
        let id = text(self, "id");
        for (key, v) in [
            ("code", &code),
            ("name", &name),
            ("severity", &severity),
            ("when", &when),
            ("tactic", &tactic),
            ("technique", &technique),
        ] {
            if v.is_none() && node.get(key).is_none() {
                self.err(node.pos, format!("a custom rule needs `{key}`"));
            }
        }
        if let Some((c, pos)) = &code {
            let valid = c.len() <= 20
                && c.starts_with('X')
                && c.len() >= 2
                && c.bytes().all(|b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !valid {
                self.err(*pos, format!("custom rule code `{c}`: expected `X` then capital letters, digits, `-` or `_` (up to 20 characters; `KW` codes are built in)"));
            } else if seen.iter().any(|r| r.code == c) {
                self.err(*pos, format!("custom rule code `{c}` is used twice"));
            }
        }
        let sev = severity
            .as_ref()
            .and_then(|(s, pos)| match s.parse::<Severity>() {
                Ok(v) => Some(v),
                Err(m) => {
                    self.err(*pos, m);
                    None
                }
            });
        let expr = when.as_ref().and_then(|(w, pos)| match Expr::parse(w) {
            Ok(e) => Some(e),
            Err(e) => {
                self.err(*pos, format!("invalid `when`: {e}"));
                None
            }
        });
        let tac = tactic.as_ref().and_then(|(t, pos)| {
            let found = Tactic::ALL.into_iter().find(|x| {
                x.title().to_ascii_lowercase().replace(' ', "-") == t.to_ascii_lowercase().replace(' ', "-")
            });
            if found.is_none() {
                self.err(*pos, format!("unknown tactic `{t}` (expected initial-access, execution, persistence, privilege-escalation, defense-evasion, credential-access, discovery, lateral-movement, collection or impact)"));
            }
            found
        });
        if let Some((m, pos)) = &message {
            let mut rest = m.as_str();
            while let Some(i) = rest.find('{') {
                let Some(j) = rest[i..].find('}') else {
                    break;
                };
                let field = &rest[i + 1..i + j];
                if crate::expr::Expr::parse(field).is_err()
                    || field.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                {
                    self.err(*pos, format!("unknown field `{{{field}}}` in `message`"));
                }
                rest = &rest[i + j + 1..];
            }
        }
        if self.errors.len() != before {
            return None;
        }
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let (code, name) = (code?.0, name?.0);
        let mitre: &'static [Mitre] = Box::leak(Box::new([Mitre {
            tactic: tac?,
            technique: leak(technique?.0),
            id: id.map_or("", |(i, _)| leak(i)),
        }]));
        Some(CustomRule {
            message: message.map(|m| m.0).unwrap_or_else(|| {
                format!("{code} {name}: {{user}} {{verb}} {{resource}} {{namespace}}/{{name}}")
            }),
            code: leak(code),
            name: leak(name),
            severity: sev?,
            when: expr?,
            mitre,
            line: node.pos.line,
        })
    }

    fn sinks(&mut self, v: &Node, c: &mut AuditConfig) {
        if !v.is_null() && !matches!(v.value, Value::Seq(_)) {
            self.err(v.pos, "expected `sinks` to be a list of sinks");
            return;
        }
        for item in v.items() {
            if let Some(s) = self.sink(item, c) {
                if c.sinks.iter().any(|o| o.name == s.name) {
                    self.err(
                        item.pos,
                        format!("a sink named `{}` is already defined", s.name),
                    );
                    continue;
                }
                c.sinks.push(s);
            }
        }
    }

    fn sink(&mut self, v: &Node, c: &AuditConfig) -> Option<SinkConfig> {
        if !v.is_map() {
            self.err(v.pos, "expected a sink: a mapping with `type` and `url`");
            return None;
        }
        let before = self.errors.len();
        let mut s = SinkConfig {
            name: String::new(),
            kind: SinkKind::Slack,
            url: String::new(),
            min_severity: Severity::Low,
            rules: Vec::new(),
            rate: SinkConfig::DEFAULT_RATE,
            per_identity: SinkConfig::DEFAULT_PER_IDENTITY,
            ca_file: None,
            token_file: None,
            timeout: 5_000_000,
        };
        let mut kind = None;
        let mut format = None;
        for e in v.entries() {
            let fv = &e.value;
            let text = |p: &mut Parser| match fv.as_str() {
                Some(t) if !t.is_empty() => Some(t.to_string()),
                _ => {
                    p.err(
                        fv.pos,
                        format!("expected `{}` to be a non-empty string", e.key),
                    );
                    None
                }
            };
            match e.key.as_str() {
                "name" => s.name = text(self).unwrap_or_default(),
                "type" => match fv.as_str() {
                    Some("webhook") => kind = Some(SinkKind::Slack),
                    Some("alertmanager") => kind = Some(SinkKind::Alertmanager),
                    _ => self.err(fv.pos, "expected `type` to be webhook or alertmanager"),
                },
                "format" => match fv.as_str() {
                    Some("slack") => format = Some((SinkKind::Slack, fv.pos)),
                    Some("json") => format = Some((SinkKind::Json, fv.pos)),
                    _ => self.err(fv.pos, "expected `format` to be slack or json"),
                },
                "url" => {
                    if let Some(u) = text(self) {
                        let host = u
                            .strip_prefix("https://")
                            .or_else(|| u.strip_prefix("http://"))
                            .map(|rest| rest.split(['/', '?']).next().unwrap_or(""));
                        match host {
                            Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => {
                                s.url = u
                            }
                            _ => self.err(
                                fv.pos,
                                // Not echoed: a chat webhook's URL is its secret.
                                "expected `url` to be an http:// or https:// URL",
                            ),
                        }
                    }
                }
                "min-severity" => match fv.as_str().map(str::parse::<Severity>) {
                    Some(Ok(sev)) => s.min_severity = sev,
                    _ => self.err(fv.pos, "expected a severity: critical, high, medium, low or info"),
                },
                "rules" => {
                    for (r, pos) in self.strings(fv, "rules") {
                        if let Some(d) = catalog::find(&r) {
                            s.rules.push(d.code.to_string());
                        } else if let Some(cr) = c.custom.iter().find(|cr| cr.code == r || cr.name == r) {
                            s.rules.push(cr.code.to_string());
                        } else {
                            self.err(pos, format!("unknown detection `{r}` (see `kubeward audit rules`)"));
                        }
                    }
                }
                "rate-limit" => {
                    if let Some(r) = self.rate(fv, &e.key) {
                        s.rate = r;
                    }
                }
                "per-identity" => {
                    if let Some(r) = self.rate(fv, &e.key) {
                        s.per_identity = r;
                    }
                }
                "ca-file" => s.ca_file = text(self),
                "token-file" => s.token_file = text(self),
                "timeout" => match fv.as_str().and_then(time::parse_duration).filter(|&d| d > 0) {
                    Some(d) => s.timeout = d,
                    None => self.err(fv.pos, "expected `timeout` to be a duration such as 5s"),
                },
                other => self.err(e.key_pos, format!("unknown key `{other}` in a sink (expected name, type, url, format, min-severity, rules, rate-limit, per-identity, ca-file, token-file, timeout)")),
            }
        }
        match kind {
            None => self.err(v.pos, "a sink needs a `type`: webhook or alertmanager"),
            Some(SinkKind::Alertmanager) => {
                s.kind = SinkKind::Alertmanager;
                if let Some((_, pos)) = format {
                    self.err(pos, "`format` applies to webhook sinks only");
                }
            }
            Some(_) => s.kind = format.map_or(SinkKind::Slack, |(k, _)| k),
        }
        if s.url.is_empty() && v.get("url").is_none() {
            self.err(v.pos, "a sink needs a `url`");
        }
        if s.name.is_empty() && v.get("name").is_none() {
            s.name = match s.kind {
                SinkKind::Alertmanager => "alertmanager".into(),
                _ => "webhook".into(),
            };
        }
        (self.errors.len() == before).then_some(s)
    }

    fn rate(&mut self, v: &Node, key: &str) -> Option<Window> {
        let count = v
            .get("count")
            .and_then(Node::as_i64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n > 0);
        let window = v
            .get("window")
            .and_then(Node::as_str)
            .and_then(time::parse_duration)
            .filter(|&w| w > 0);
        let known = v
            .entries()
            .iter()
            .all(|e| matches!(e.key.as_str(), "count" | "window"));
        match (count, window) {
            (Some(count), Some(window)) if known => Some(Window { count, window }),
            _ => {
                self.err(v.pos, format!("expected `{key}: {{count: 30, window: 1m}}` (a positive count and a duration)"));
                None
            }
        }
    }

    fn thresholds(&mut self, v: &Node, t: &mut Thresholds) {
        if !v.is_map() && !v.is_null() {
            self.err(v.pos, "expected `thresholds` to be a mapping");
            return;
        }
        for e in v.entries() {
            let target = match e.key.as_str() {
                "forbidden-burst" => &mut t.forbidden_burst,
                "secret-enumeration" => &mut t.secret_enumeration,
                "discovery-burst" => &mut t.discovery_burst,
                "rbac-then-workload" => &mut t.rbac_then_workload,
                "delete-burst" => &mut t.delete_burst,
                "dedup" => {
                    match e
                        .value
                        .get("window")
                        .and_then(Node::as_str)
                        .and_then(time::parse_duration)
                    {
                        Some(w) => t.dedup_window = w,
                        None => self.err(e.value.pos, "expected `dedup: {window: 1h}`"),
                    }
                    continue;
                }
                other => {
                    self.err(e.key_pos, format!("unknown threshold `{other}` (expected forbidden-burst, secret-enumeration, discovery-burst, rbac-then-workload, delete-burst, dedup)"));
                    continue;
                }
            };
            let is_secret = e.key.as_str() == "secret-enumeration";
            let is_discovery = e.key.as_str() == "discovery-burst";
            let mut namespaces = None;
            for f in e.value.entries() {
                let fv = &f.value;
                match f.key.as_str() {
                    "count" | "requests" | "types" => match fv
                        .as_i64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|&n| n > 0)
                    {
                        Some(n) => target.count = n,
                        None => self.err(
                            fv.pos,
                            format!("expected `{}` to be a positive integer", f.key),
                        ),
                    },
                    "namespaces" if is_secret => match fv
                        .as_i64()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|&n| n > 0)
                    {
                        Some(n) => namespaces = Some(n),
                        None => self.err(fv.pos, "expected `namespaces` to be a positive integer"),
                    },
                    "window" => match fv
                        .as_str()
                        .and_then(time::parse_duration)
                        .filter(|&w| w > 0)
                    {
                        Some(w) => target.window = w,
                        None => self.err(
                            fv.pos,
                            "expected `window` to be a duration like `30s`, `10m`, `1h`",
                        ),
                    },
                    other => {
                        let _ = is_discovery;
                        self.err(
                            f.key_pos,
                            format!(
                                "unknown key `{other}` in `{}` (expected count, window{})",
                                e.key,
                                if is_secret { ", namespaces" } else { "" }
                            ),
                        );
                    }
                }
            }
            if let Some(n) = namespaces {
                t.secret_namespaces = n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "system:serviceaccount:kube-system:*",
            "system:serviceaccount:kube-system:x"
        ));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("nginx", "nginx"));
        assert!(!glob_match("nginx", "nginx2"));
        assert!(glob_match("*.gcr.io/gke-*", "us.gcr.io/gke-metrics"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn parses_sinks() {
        let text = "sinks:\n  - name: secops\n    type: webhook\n    url: https://hooks.slack.com/services/T0/B0/xyz\n    min-severity: high\n    rules: [KW701, secret-read]\n    rate-limit: {count: 5, window: 1m}\n    per-identity: {count: 2, window: 10m}\n  - type: alertmanager\n    url: http://127.0.0.1:9093\n    timeout: 2s\n  - name: siem\n    type: webhook\n    format: json\n    url: http://siem.example:8080/ingest\n    token-file: /run/secrets/siem\n";
        let c = AuditConfig::parse("c.yaml".into(), text).unwrap();
        assert_eq!(c.sinks.len(), 3);
        let s = &c.sinks[0];
        assert_eq!(
            (s.name.as_str(), s.kind, s.min_severity),
            ("secops", SinkKind::Slack, Severity::High)
        );
        assert_eq!(
            s.rules,
            ["KW701", catalog::find("secret-read").unwrap().code]
        );
        assert_eq!(
            (s.rate, s.per_identity),
            (
                Window {
                    count: 5,
                    window: 60_000_000
                },
                Window {
                    count: 2,
                    window: 600_000_000
                }
            )
        );
        let am = &c.sinks[1];
        assert_eq!(
            (am.name.as_str(), am.kind, am.timeout),
            ("alertmanager", SinkKind::Alertmanager, 2_000_000)
        );
        assert_eq!(am.rate, SinkConfig::DEFAULT_RATE);
        assert_eq!(am.min_severity, Severity::Low);
        assert_eq!(c.sinks[2].kind, SinkKind::Json);
        assert_eq!(c.sinks[2].token_file.as_deref(), Some("/run/secrets/siem"));
    }

    #[test]
    fn reports_every_bad_sink_at_its_line() {
        let text = "sinks:\n  - type: pager\n    url: https://x\n  - type: webhook\n    url: ftp://secret-token@x\n  - type: alertmanager\n    url: http://am\n    format: slack\n  - type: webhook\n    url: http://a\n    rate-limit: {count: 0, window: 1m}\n    colour: red\n  - type: webhook\n  - {type: webhook, url: 'http://b', name: dup}\n  - {type: webhook, url: 'http://c', name: dup}\n";
        let errs = AuditConfig::parse("c.yaml".into(), text).unwrap_err();
        let lines: Vec<(u32, &str)> = errs
            .iter()
            .map(|e| (e.pos.line, e.message.as_str()))
            .collect();
        assert!(
            lines.contains(&(2, "expected `type` to be webhook or alertmanager")),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(5, "expected `url` to be an http:// or https:// URL")),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(8, "`format` applies to webhook sinks only")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|(l, m)| *l == 11 && m.contains("rate-limit")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|(l, m)| *l == 12 && m.contains("unknown key `colour`")),
            "{lines:?}"
        );
        assert!(lines.contains(&(13, "a sink needs a `url`")), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|(l, m)| *l == 15 && m.contains("`dup` is already defined")),
            "{lines:?}"
        );
        // The URL (a chat webhook's secret) is never echoed.
        assert!(errs.iter().all(|e| !e.message.contains("secret-token")));
    }

    #[test]
    fn parses_a_full_config() {
        let text = "activity: true\ndisable: [KW748, port-forward]\nseverity: {KW701: low}\nallow:\n  - rules: [KW701]\n    users: [\"oncall-*\"]\n    reason: on call\nthresholds:\n  forbidden-burst: {count: 5, window: 1m}\n  secret-enumeration: {requests: 20, namespaces: 4, window: 1h}\ntrusted-networks: [203.0.113.0/24]\n";
        let c = AuditConfig::parse("c.yaml".into(), text).unwrap();
        assert!(c.activity);
        assert!(!c.is_enabled("KW748") && !c.is_enabled("KW704") && c.is_enabled("KW701"));
        assert_eq!(c.severity.get("KW701"), Some(&Severity::Low));
        assert_eq!(c.allow.len(), 1);
        assert!(c.allow[0].users[0].matches("oncall-bob"));
        assert_eq!(
            c.thresholds.forbidden_burst,
            Window {
                count: 5,
                window: time::MINUTE
            }
        );
        assert_eq!(c.thresholds.secret_enumeration.count, 20);
        assert_eq!(c.thresholds.secret_namespaces, 4);
        assert_eq!(c.trusted_networks.len(), 1);
    }

    #[test]
    fn every_error_has_its_line() {
        let text = "activity: maybe\ndisable: [KW799]\nallow:\n  - users: [x]\nthresholds:\n  forbidden-burst: {count: -1, window: soon}\nbogus: 1\ntrusted-networks: [not-a-net]\n";
        let errs = AuditConfig::parse("c.yaml".into(), text).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        let expect = [
            "c.yaml:1:11: expected `activity` to be true or false",
            "c.yaml:2:11: unknown detection `KW799`",
            "c.yaml:4:5: an allow entry needs a `reason`",
            "c.yaml:6:28: expected `count` to be a positive integer",
            "c.yaml:6:40: expected `window` to be a duration",
            "c.yaml:7:1: unknown key `bogus`",
            "c.yaml:8:20: expected an address or CIDR block",
        ];
        assert_eq!(msgs.len(), expect.len(), "{msgs:#?}");
        for (m, e) in msgs.iter().zip(expect) {
            assert!(m.starts_with(e), "{m} vs {e}");
        }
    }
}
