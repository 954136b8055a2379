//! Decisions: which requests are judged, by which rules, and what the response says.
//!
//! A request is judged when it CREATEs or UPDATEs an object of a kind some rule judges, and
//! none of these let it through first: an exempt namespace, user or group; a controller
//! writing an object for the controller object it was made from (`trustControllers`); an
//! UPDATE that changes no field the rules could read (status, bookkeeping metadata, replicas:
//! a bad legacy object can still be scaled). The namespace's level (`kubeward.io/enforce`, or
//! the configuration) picks the pod-security rules; each violation then gets its rule's
//! action: `enforce` denies with every violation's code, field and fix in the message, `warn`
//! adds a warning (at most 120 characters), `audit` only records it in `auditAnnotations`
//! (where every violation is recorded).
//!
//! Every request is judged by a fresh [`Engine`]: an engine interns finding strings for the
//! life of a scan, which a server must not keep forever, and building one costs about a
//! microsecond (BENCHMARKS.md).

use crate::config::{Action, AdmissionConfig, Level, PSS_ENFORCE_LABEL, Settings};
use crate::kinds;
use crate::review::{Operation, Response, Review, Status};
use kubeward_core::{
    Category, Entry, Finding, Node, Object, Pos, PssLevel, RuleMeta, Severity, Snapshot, Source,
    Str, Value,
};
use kubeward_rules::exceptions::{Date, Exception, Exceptions, glob};
use kubeward_rules::{Check, Engine, Rule, registry};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Warnings longer than this are cut (the API's advice: "limit warnings to 120 characters").
pub const MAX_WARNING_CHARS: usize = 120;
/// At most this many warnings (the API server may truncate large numbers of them).
pub const MAX_WARNINGS: usize = 50;
/// At most this many violations listed in a denial's message.
pub const MAX_LISTED: usize = 20;
/// At most this many violations recorded in the `violations` audit annotation.
pub const MAX_RECORDED: usize = 100;

/// The labels of a namespace that matter to kubeward.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceLabels {
    /// `kubeward.io/enforce`.
    pub enforce: Option<String>,
    /// `pod-security.kubernetes.io/enforce` (KW211 judges deployers by it).
    pub pss_enforce: Option<String>,
}

/// What the decision needs to know of the cluster beyond the request.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The labels of the request's namespace (`None`: unknown).
    pub labels: Option<NamespaceLabels>,
    /// For a binding: the role it names, as the API server has it (`None`: not read; then
    /// only Kubernetes' default roles are known).
    pub role: Option<Node>,
}

/// The role a binding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef {
    /// A ClusterRole (else a Role of `namespace`).
    pub cluster: bool,
    pub namespace: String,
    pub name: String,
}

/// Why a request was allowed without being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skip {
    /// DELETE and CONNECT are always allowed.
    Operation,
    ExemptNamespace,
    ExemptUser,
    ExemptGroup,
    /// A controller writing an object for its controller object (which was judged).
    Controller,
    /// An UPDATE that changes no field the rules read.
    Unchanged,
    /// No rule judges this kind (or this subresource).
    NotJudged,
}

impl Skip {
    pub const ALL: [Skip; 7] = [
        Skip::Operation,
        Skip::ExemptNamespace,
        Skip::ExemptUser,
        Skip::ExemptGroup,
        Skip::Controller,
        Skip::Unchanged,
        Skip::NotJudged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Operation => "operation",
            Skip::ExemptNamespace => "exempt-namespace",
            Skip::ExemptUser => "exempt-user",
            Skip::ExemptGroup => "exempt-group",
            Skip::Controller => "controller",
            Skip::Unchanged => "unchanged",
            Skip::NotJudged => "not-judged",
        }
    }
}

/// One violation of the judged object.
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: &'static RuleMeta,
    /// The rule's severity, or its override.
    pub severity: Severity,
    pub action: Action,
    /// JSON pointer of the field.
    pub path: Arc<str>,
    pub message: Arc<str>,
}

impl Violation {
    /// The field as `spec.containers[0].image`.
    pub fn field(&self) -> String {
        field(&self.path)
    }
}

/// How a request was answered, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Skipped,
    Allowed,
    Warned,
    Denied,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Skipped,
        Outcome::Allowed,
        Outcome::Warned,
        Outcome::Denied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Skipped => "skipped",
            Outcome::Allowed => "allowed",
            Outcome::Warned => "warned",
            Outcome::Denied => "denied",
        }
    }
}

/// A decision and the response that carries it.
#[derive(Debug, Clone)]
pub struct Decision {
    /// What the request is about: `Deployment shop/web`.
    pub subject: String,
    /// Who made it.
    pub user: String,
    pub operation: Operation,
    pub dry_run: bool,
    pub skipped: Option<Skip>,
    /// The level the object was judged at.
    pub level: Option<Level>,
    pub violations: Vec<Violation>,
    pub outcome: Outcome,
    pub response: Response,
}

/// Decides requests. Built once from the configuration; shared by every request.
#[derive(Debug)]
pub struct Judge {
    admission: AdmissionConfig,
    severity: HashMap<String, Severity>,
    exceptions: Vec<Exception>,
    /// Per level, the rules judged (those whose action is not `off`).
    levels: [Vec<&'static Rule>; 3],
    /// Per level, whether a snapshot rule is among them.
    snapshot_rules: [bool; 3],
    /// Action per rule code (with the severity override applied).
    actions: FxHashMap<&'static str, Action>,
    /// Kinds some judged rule looks at.
    judged_kinds: Vec<&'static str>,
    file: Arc<str>,
}

/// Does `rule` apply at `level`? The level picks among the pod-security rules (KW1xx) only,
/// as Pod Security Admission's levels do: none at `privileged`, those of the PSS baseline
/// profile at `baseline`, all at `restricted`. Other rules apply at every level.
pub fn in_level(rule: &Rule, level: Level) -> bool {
    if rule.meta.category != Category::PodSecurity {
        return true;
    }
    match level {
        Level::Privileged => false,
        Level::Baseline => matches!(rule.meta.pss, Some(p) if p.level == PssLevel::Baseline),
        Level::Restricted => true,
    }
}

impl Judge {
    pub fn new(settings: Settings) -> Judge {
        let Settings { scan, admission } = settings;
        let mut actions = FxHashMap::default();
        let mut levels: [Vec<&'static Rule>; 3] = Default::default();
        let mut snapshot_rules = [false; 3];
        for &rule in registry() {
            if !kinds::runs_at_admission(rule) {
                continue;
            }
            let severity = scan
                .severity
                .get(rule.meta.code)
                .copied()
                .unwrap_or(rule.meta.severity);
            let action = admission.action(&rule.meta, severity);
            actions.insert(rule.meta.code, action);
            if action == Action::Off {
                continue;
            }
            for level in Level::ALL {
                if in_level(rule, level) {
                    levels[level.index()].push(rule);
                    if matches!(rule.check, Check::Snapshot { .. }) {
                        snapshot_rules[level.index()] = true;
                    }
                }
            }
        }
        let (judged, _) = kinds::judged_kinds(&levels[Level::Restricted.index()]);
        Judge {
            admission,
            severity: scan.severity,
            exceptions: scan.exceptions,
            levels,
            snapshot_rules,
            actions,
            judged_kinds: judged.iter().map(|r| r.kind).collect(),
            file: Arc::from("admission"),
        }
    }

    pub fn config(&self) -> &AdmissionConfig {
        &self.admission
    }

    /// The rules judged at `level`.
    pub fn rules(&self, level: Level) -> &[&'static Rule] {
        &self.levels[level.index()]
    }

    /// The action a rule's violations get (`off` for rules not judged at admission).
    pub fn action(&self, code: &str) -> Action {
        self.actions.get(code).copied().unwrap_or(Action::Off)
    }

    /// The action a finding gets: its rule's, at most `unboundRoleAction` for a finding on
    /// a Role or ClusterRole itself (a role nothing binds yet).
    fn action_on(&self, f: &Finding) -> Action {
        let action = self.action(f.rule.code);
        if matches!(f.object.kind.as_str(), "Role" | "ClusterRole") {
            action.min(self.admission.unbound_role_action)
        } else {
            action
        }
    }

    /// The kinds some judged rule looks at (what the webhook should be sent).
    pub fn judged_kinds(&self) -> &[&'static str] {
        &self.judged_kinds
    }

    /// Exception entries of the configuration that have expired (they no longer apply).
    pub fn expired_exceptions(&self) -> Vec<&Exception> {
        let today = Date::today();
        self.exceptions
            .iter()
            .filter(|e| e.expires.is_some_and(|d| d < today))
            .collect()
    }

    /// Whether the request is let through without being judged, and why.
    pub fn precheck(&self, review: &Review) -> Option<Skip> {
        if matches!(review.operation, Operation::Delete | Operation::Connect) {
            return Some(Skip::Operation);
        }
        let a = &self.admission;
        if !review.namespace.is_empty()
            && a.exempt_namespaces
                .iter()
                .any(|g| glob(g, &review.namespace))
        {
            return Some(Skip::ExemptNamespace);
        }
        if a.exempt_users.iter().any(|g| glob(g, &review.username)) {
            return Some(Skip::ExemptUser);
        }
        if review
            .groups
            .iter()
            .any(|group| a.exempt_groups.iter().any(|g| glob(g, group)))
        {
            return Some(Skip::ExemptGroup);
        }
        let judged_sub = review.sub_resource.is_empty()
            || kinds::resource(&review.kind.kind)
                .is_some_and(|r| r.subresources.contains(&review.sub_resource.as_str()));
        let object = review.object.as_ref()?;
        let kind = object
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or(&review.kind.kind);
        let group = match object.get("apiVersion").and_then(Node::as_str) {
            Some(v) => v.rsplit_once('/').map_or("", |(g, _)| g),
            None => &review.kind.group,
        };
        // A custom resource named like a built-in kind (Knative's `Service`) is not one.
        if !judged_sub
            || !self.judged_kinds.contains(&kind)
            || !kubeward_core::kinds::is_builtin(group, kind)
        {
            return Some(Skip::NotJudged);
        }
        if a.trust_controllers && a.is_controller(&review.username) && has_controller(object) {
            return Some(Skip::Controller);
        }
        if review.operation == Operation::Update
            && let Some(old) = &review.old_object
        {
            let mut path = Vec::new();
            if same(object, old, &mut path) {
                return Some(Skip::Unchanged);
            }
        }
        None
    }

    /// The namespace whose labels the decision needs, if any (the caller looks it up).
    pub fn namespace_needed<'r>(&self, review: &'r Review) -> Option<&'r str> {
        if review.namespace.is_empty() || self.precheck(review).is_some() {
            return None;
        }
        let rbac = review
            .object
            .as_ref()
            .and_then(|o| o.get("kind"))
            .and_then(Node::as_str)
            .is_some_and(kinds::is_rbac_kind);
        (rbac || self.admission.namespace_level(&review.namespace).is_none())
            .then_some(review.namespace.as_str())
    }

    /// For a RoleBinding or ClusterRoleBinding to be judged: the role it names, which the
    /// caller reads from the API server (so the binding is judged with the rules it grants).
    pub fn role_needed(&self, review: &Review) -> Option<RoleRef> {
        let object = review.object.as_ref()?;
        let kind = object.get("kind").and_then(Node::as_str)?;
        if !matches!(kind, "RoleBinding" | "ClusterRoleBinding") || self.precheck(review).is_some()
        {
            return None;
        }
        let role_ref = object.get("roleRef")?;
        let name = role_ref
            .get("name")
            .and_then(Node::as_str)
            .filter(|n| !n.is_empty())?;
        let cluster = match role_ref.get("kind").and_then(Node::as_str) {
            Some("ClusterRole") => true,
            Some("Role") if kind == "RoleBinding" && !review.namespace.is_empty() => false,
            _ => return None,
        };
        Some(RoleRef {
            cluster,
            namespace: if cluster {
                String::new()
            } else {
                review.namespace.clone()
            },
            name: name.to_string(),
        })
    }

    /// The level of the request's namespace, and a note when its label is invalid.
    pub fn level(
        &self,
        review: &Review,
        labels: Option<&NamespaceLabels>,
    ) -> (Level, Option<String>) {
        let ns = review.namespace.as_str();
        if ns.is_empty() {
            return (self.admission.default_level, None);
        }
        if let Some(level) = self.admission.namespace_level(ns) {
            return (level, None);
        }
        match labels.and_then(|l| l.enforce.as_deref()) {
            None => (self.admission.default_level, None),
            Some(value) => match Level::parse(value) {
                Some(level) => (level, None),
                None => (
                    Level::Restricted,
                    Some(format!(
                        "namespace {ns}: {} is `{value}`, not restricted, baseline or privileged; judged as restricted",
                        crate::config::ENFORCE_LABEL
                    )),
                ),
            },
        }
    }

    /// Decides a request, with what is known of the cluster.
    pub fn decide(&self, review: Review, facts: &Facts) -> Decision {
        let subject = describe(&review.kind.kind, &review.namespace, &review.name);
        let user = review.username.clone();
        let mut d = self.judge(review, facts);
        d.subject = subject;
        d.user = user;
        d
    }

    fn judge(&self, review: Review, facts: &Facts) -> Decision {
        if let Some(skip) = self.precheck(&review) {
            return self.skipped(&review, skip);
        }
        let labels = facts.labels.as_ref();
        let (level, level_note) = self.level(&review, labels);
        let Review {
            uid,
            kind,
            name,
            namespace,
            operation,
            dry_run,
            object,
            ..
        } = review;
        let Some(mut root) = object else {
            // precheck lets no CREATE or UPDATE without an object through; decode refuses one.
            return Decision {
                subject: String::new(),
                user: String::new(),
                operation,
                dry_run,
                skipped: Some(Skip::NotJudged),
                level: None,
                violations: Vec::new(),
                outcome: Outcome::Skipped,
                response: Response {
                    uid,
                    allowed: true,
                    ..Response::default()
                },
            };
        };
        let ignore_dropped = self.prepare(&mut root, &namespace, &kind);
        let object = Object::new(
            root,
            Source {
                file: self.file.clone(),
                doc: 0,
                item: None,
            },
        );
        let findings = self.evaluate(object, level, facts);
        let violations: Vec<Violation> = findings
            .into_iter()
            .map(|f| Violation {
                action: self.action_on(&f),
                rule: f.rule,
                severity: f.severity,
                path: f.path,
                message: f.message,
            })
            .collect();
        let mut notes: Vec<String> = level_note.into_iter().collect();
        if ignore_dropped && !violations.is_empty() {
            notes.push(
                "the kubeward.io/ignore annotation is not honoured at admission; exceptions belong in the webhook's configuration"
                    .to_string(),
            );
        }
        let what = describe(&kind.kind, &namespace, &name);
        self.respond(uid, operation, dry_run, level, violations, notes, &what)
    }

    /// Adds the request's namespace to an object that does not name one (the API server
    /// places it there), and drops the `kubeward.io/ignore` annotation unless it is honoured.
    /// Returns whether an annotation was dropped.
    fn prepare(
        &self,
        root: &mut Node,
        namespace: &str,
        kind: &crate::review::GroupVersionKind,
    ) -> bool {
        if root.get("kind").is_none() && !kind.kind.is_empty() {
            let api_version = if kind.group.is_empty() {
                kind.version.clone()
            } else {
                format!("{}/{}", kind.group, kind.version)
            };
            set(root, &["apiVersion"], Value::Str(api_version.into()));
            set(root, &["kind"], Value::Str(kind.kind.as_str().into()));
        }
        let kind_name = root.get("kind").and_then(Node::as_str).unwrap_or_default();
        let namespaced = kinds::resource(kind_name).is_none_or(|r| r.namespaced);
        if namespaced
            && !namespace.is_empty()
            && root
                .path(&["metadata", "namespace"])
                .and_then(Node::as_str)
                .is_none_or(str::is_empty)
        {
            set(
                root,
                &["metadata", "namespace"],
                Value::Str(namespace.into()),
            );
        }
        if self.admission.honor_ignore_annotation {
            return false;
        }
        let Some(annotations) = root
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
        else {
            return false;
        };
        let Value::Map(entries) = &mut annotations.value else {
            return false;
        };
        let before = entries.len();
        entries.retain(|e| e.key != kubeward_core::object::IGNORE_ANNOTATION);
        entries.len() != before
    }

    /// Runs the level's rules on the object: object and pod rules, and for RBAC objects the
    /// one-object snapshot rules (with the namespace's Pod Security label, when known).
    fn evaluate(&self, object: Object, level: Level, facts: &Facts) -> Vec<Finding> {
        let rules = &self.levels[level.index()];
        let mut engine = Engine::new(
            rules,
            &self.severity,
            Exceptions::new(self.exceptions.clone(), Date::today()),
        );
        let mut findings = Vec::new();
        engine.check_object(&object, &mut findings);
        if self.snapshot_rules[level.index()] && object.builtin && kinds::is_rbac_kind(&object.kind)
        {
            let me = object.to_ref();
            let mut snapshot = Snapshot::default();
            if let (Some(ns), Some(labels)) = (&object.namespace, &facts.labels) {
                snapshot
                    .objects
                    .push(namespace_object(ns, labels, self.file.clone()));
            }
            if let Some(role) = &facts.role {
                snapshot.objects.push(Object::new(
                    role.clone(),
                    Source {
                        file: self.file.clone(),
                        doc: 0,
                        item: None,
                    },
                ));
            }
            snapshot.objects.push(object);
            engine.check_snapshot(&snapshot, &mut findings);
            findings.retain(|f| {
                f.object.kind == me.kind
                    && f.object.name == me.name
                    && f.object.namespace == me.namespace
            });
        }
        findings
    }

    fn skipped(&self, review: &Review, skip: Skip) -> Decision {
        Decision {
            subject: String::new(),
            user: String::new(),
            operation: review.operation,
            dry_run: review.dry_run,
            skipped: Some(skip),
            level: None,
            violations: Vec::new(),
            outcome: Outcome::Skipped,
            response: Response {
                uid: review.uid.clone(),
                allowed: true,
                audit_annotations: match skip {
                    // Worth a line in the audit log: someone was let through unjudged.
                    Skip::ExemptNamespace
                    | Skip::ExemptUser
                    | Skip::ExemptGroup
                    | Skip::Controller => {
                        vec![("skipped".to_string(), skip.as_str().to_string())]
                    }
                    _ => Vec::new(),
                },
                ..Response::default()
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn respond(
        &self,
        uid: String,
        operation: Operation,
        dry_run: bool,
        level: Level,
        violations: Vec<Violation>,
        notes: Vec<String>,
        what: &str,
    ) -> Decision {
        let enforced: Vec<&Violation> = violations
            .iter()
            .filter(|v| v.action == Action::Enforce)
            .collect();
        let allowed = enforced.is_empty();
        let status = (!allowed).then(|| Status {
            code: 403,
            reason: "Forbidden",
            message: denial(what, level, &enforced),
        });
        let mut warnings: Vec<String> = notes.iter().map(|n| cut(n)).collect();
        let warned: Vec<&Violation> = violations
            .iter()
            .filter(|v| v.action == Action::Warn)
            .collect();
        for v in &warned {
            if warnings.len() + 1 >= MAX_WARNINGS && warned.len() + notes.len() > MAX_WARNINGS {
                warnings.push(format!(
                    "... and {} more kubeward warnings",
                    warned.len() + notes.len() - warnings.len()
                ));
                break;
            }
            warnings.push(cut(&format!(
                "{} {}: {}",
                v.rule.code,
                v.field(),
                v.message
            )));
        }
        let mut audit = vec![("level".to_string(), level.as_str().to_string())];
        if !violations.is_empty() {
            audit.push(("violations".to_string(), record(&violations)));
        }
        let outcome = if !allowed {
            Outcome::Denied
        } else if !warned.is_empty() {
            Outcome::Warned
        } else {
            Outcome::Allowed
        };
        Decision {
            subject: String::new(),
            user: String::new(),
            operation,
            dry_run,
            skipped: None,
            level: Some(level),
            outcome,
            response: Response {
                uid,
                allowed,
                status,
                warnings,
                audit_annotations: audit,
            },
            violations,
        }
    }
}

/// `Deployment shop/web`, `ClusterRole admin`, `Pod in namespace shop` (generated name).
fn describe(kind: &str, namespace: &str, name: &str) -> String {
    match (namespace.is_empty(), name.is_empty()) {
        (true, true) => kind.to_string(),
        (true, false) => format!("{kind} {name}"),
        (false, true) => format!("{kind} in namespace {namespace}"),
        (false, false) => format!("{kind} {namespace}/{name}"),
    }
}

/// The message of a denial: every enforced violation with its code, field and fix.
fn denial(what: &str, level: Level, enforced: &[&Violation]) -> String {
    let n = enforced.len();
    let mut out = format!(
        "kubeward denied {what}: {n} violation{} of enforced rules (level {level})",
        if n == 1 { "" } else { "s" },
    );
    for v in enforced.iter().take(MAX_LISTED) {
        let _ = write!(
            out,
            "\n- {} {} at {}: {}. Fix: {}",
            v.rule.code,
            v.rule.name,
            v.field(),
            v.message,
            v.rule.remediation
        );
    }
    if n > MAX_LISTED {
        let _ = write!(out, "\n- ... and {} more", n - MAX_LISTED);
    }
    out
}

/// The `violations` audit annotation: a JSON list.
fn record(violations: &[Violation]) -> String {
    let list: Vec<serde_json::Value> = violations
        .iter()
        .take(MAX_RECORDED)
        .map(|v| {
            serde_json::json!({
                "rule": v.rule.code,
                "name": v.rule.name,
                "severity": v.severity.as_str(),
                "action": v.action.as_str(),
                "path": &*v.path,
                "message": &*v.message,
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}

/// `s` cut to [`MAX_WARNING_CHARS`] characters.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_WARNING_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_WARNING_CHARS - 3).collect();
    out.push_str("...");
    out
}

/// A JSON pointer as a field path: `/spec/containers/0/image` → `spec.containers[0].image`;
/// keys that are not plain identifiers are quoted (`metadata.annotations["a.b/c"]`).
pub fn field(ptr: &str) -> String {
    if ptr.is_empty() {
        return "(the object)".to_string();
    }
    let mut out = String::with_capacity(ptr.len() + 8);
    for raw in ptr.trim_start_matches('/').split('/') {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else if !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        } else {
            let _ = write!(out, "[{}]", serde_json::Value::from(seg));
        }
    }
    out
}

/// A Namespace carrying the Pod Security label, for snapshot rules that read it.
fn namespace_object(name: &str, labels: &NamespaceLabels, file: Arc<str>) -> Object {
    let mut label_map = serde_json::Map::new();
    if let Some(pss) = &labels.pss_enforce {
        label_map.insert(PSS_ENFORCE_LABEL.to_string(), pss.clone().into());
    }
    let json = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": label_map},
    });
    Object::new(
        Node::from_json(&json),
        Source {
            file,
            doc: 0,
            item: None,
        },
    )
}

/// Does the object name a controller in `ownerReferences`?
fn has_controller(object: &Node) -> bool {
    object
        .path(&["metadata", "ownerReferences"])
        .is_some_and(|refs| {
            refs.items()
                .iter()
                .any(|r| r.get("controller").is_some_and(Node::is_true))
        })
}

/// Sets the value at a path of mapping keys, creating (or replacing null) mappings on the way.
fn set(root: &mut Node, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for key in parents {
        let Value::Map(entries) = &mut node.value else {
            return;
        };
        let i = match entries.iter().position(|e| e.key == *key) {
            Some(i) => i,
            None => {
                entries.push(Entry {
                    key: Str::from(*key),
                    key_pos: Pos::UNKNOWN,
                    value: Node::new(Pos::UNKNOWN, Value::Map(Vec::new())),
                });
                entries.len() - 1
            }
        };
        node = &mut entries[i].value;
        if node.is_null() {
            node.value = Value::Map(Vec::new());
        }
    }
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    match entries.iter_mut().find(|e| e.key == *last) {
        Some(e) => e.value = Node::new(Pos::UNKNOWN, value),
        None => entries.push(Entry {
            key: Str::from(*last),
            key_pos: Pos::UNKNOWN,
            value: Node::new(Pos::UNKNOWN, value),
        }),
    }
}

/// Annotations that change without changing what the object does.
const NOISE_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
];

/// Fields whose changes no rule can see: status, bookkeeping metadata, replicas, and the
/// restart stamp `kubectl rollout restart` writes.
fn is_noise(path: &[&str]) -> bool {
    match path {
        ["status"] => true,
        ["metadata", key] => matches!(
            *key,
            "managedFields"
                | "resourceVersion"
                | "generation"
                | "uid"
                | "creationTimestamp"
                | "selfLink"
                | "deletionTimestamp"
                | "deletionGracePeriodSeconds"
                | "finalizers"
                | "ownerReferences"
        ),
        ["metadata", "annotations", key] => NOISE_ANNOTATIONS.contains(key),
        ["spec", "replicas"] => true,
        [
            "spec",
            "template",
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/restartedAt",
        ] => true,
        _ => false,
    }
}

/// Are two objects the same but for noise? A null field is the same as an absent one.
fn same<'a>(a: &'a Node, b: &Node, path: &mut Vec<&'a str>) -> bool {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            let deep = path.len() >= 5;
            let mut live_a = 0;
            for e in x {
                if e.value.is_null() {
                    continue;
                }
                path.push(&e.key);
                let noise = !deep && is_noise(path);
                let equal = noise
                    || match b.get(&e.key) {
                        Some(other) => same(&e.value, other, path),
                        None => false,
                    };
                path.pop();
                if !equal {
                    return false;
                }
                if !noise {
                    live_a += 1;
                }
            }
            let live_b = y
                .iter()
                .filter(|e| !e.value.is_null())
                .filter(|e| {
                    if deep {
                        return true;
                    }
                    let mut p: Vec<&str> = path.clone();
                    p.push(&e.key);
                    !is_noise(&p)
                })
                .count();
            live_a == live_b
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && {
                path.push("*");
                let all = x.iter().zip(y).all(|(p, q)| same(p, q, path));
                path.pop();
                all
            }
        }
        (Value::Int(i), Value::Float(f)) | (Value::Float(f), Value::Int(i)) => *i as f64 == *f,
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(v: serde_json::Value) -> Node {
        Node::from_json(&v)
    }

    #[test]
    fn fields() {
        assert_eq!(
            field("/spec/containers/0/image"),
            "spec.containers[0].image"
        );
        assert_eq!(
            field("/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"),
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"]"
        );
        assert_eq!(field(""), "(the object)");
        assert_eq!(field("/rules/0"), "rules[0]");
    }

    #[test]
    fn warnings_are_cut_at_120_characters() {
        let long = "é".repeat(300);
        let c = cut(&long);
        assert_eq!(c.chars().count(), 120);
        assert!(c.ends_with("..."));
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn noise_does_not_make_an_update() {
        let old = node(serde_json::json!({
            "metadata": {"name": "web", "resourceVersion": "1", "generation": 1,
                          "annotations": {"a": "1", "deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": 1, "template": {"metadata": {"annotations": {}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}},
            "status": {"replicas": 1}
        }));
        let scaled = node(serde_json::json!({
            "metadata": {"name": "web", "resourceVersion": "2", "generation": 2, "managedFields": [{}],
                          "annotations": {"a": "1", "deployment.kubernetes.io/revision": "2"}},
            "spec": {"replicas": 5, "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}},
            "status": {"replicas": 5, "ready": 3}
        }));
        assert!(same(&scaled, &old, &mut Vec::new()));
        assert!(same(&old, &scaled, &mut Vec::new()));
        let mut changed = scaled.to_json();
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = "y".into();
        assert!(!same(&node(changed.clone()), &old, &mut Vec::new()));
        let mut relabelled = scaled.to_json();
        relabelled["metadata"]["annotations"]["a"] = "2".into();
        assert!(!same(&node(relabelled), &old, &mut Vec::new()));
        let mut added = scaled.to_json();
        added["spec"]["template"]["spec"]["hostPID"] = true.into();
        assert!(!same(&node(added.clone()), &old, &mut Vec::new()));
        assert!(!same(&old, &node(added), &mut Vec::new()));
        // null is absent
        let mut nulled = scaled.to_json();
        nulled["spec"]["template"]["spec"]["securityContext"] = serde_json::Value::Null;
        assert!(same(&node(nulled), &old, &mut Vec::new()));
    }

    #[test]
    fn set_creates_the_path() {
        let mut n = node(serde_json::json!({"metadata": null}));
        set(
            &mut n,
            &["metadata", "namespace"],
            Value::Str("shop".into()),
        );
        assert_eq!(
            n.to_json(),
            serde_json::json!({"metadata": {"namespace": "shop"}})
        );
    }

    #[test]
    fn levels_pick_pod_security_rules() {
        let r = |c| kubeward_rules::find(c).unwrap();
        assert!(in_level(r("KW101"), Level::Baseline));
        assert!(!in_level(r("KW101"), Level::Privileged));
        assert!(!in_level(r("KW114"), Level::Baseline));
        assert!(in_level(r("KW114"), Level::Restricted));
        assert!(!in_level(r("KW121"), Level::Baseline));
        assert!(in_level(r("KW301"), Level::Privileged));
        assert!(in_level(r("KW501"), Level::Privileged));
    }
}
