//! The detection engine. It takes events one at a time (`Engine::push`), so the same engine
//! runs over a file and over a live stream (the audit webhook receiver):
//!
//! * **one alert per request**: `RequestReceived` is ignored; a request seen at
//!   `ResponseStarted` (long-running: exec, attach, port-forward, watch) is judged there and
//!   its `ResponseComplete` is skipped (by `auditID`); otherwise `ResponseComplete`, `Panic`, or
//!   the only event of records without a stage;
//! * **stateless detections** look at one request; **windowed detections** keep small
//!   per-identity windows (forbidden bursts, secret enumeration, discovery bursts, RBAC change
//!   then workload change, delete bursts) pruned as time advances, so memory depends on the
//!   number of active identities, not on the length of the stream;
//! * **alerts** carry code, severity, MITRE technique, identity, object, message and the
//!   auditIDs and timestamps of the events behind them; a [`Deduper`] merges alerts with the
//!   same dedup key within a window (one noisy actor makes one alert with a count).

pub mod catalog;
mod pod;
mod rules;
mod state;

pub use catalog::{DETECTIONS, Detection, Mode, find};

use crate::config::{AuditConfig, any_match};
use crate::event::Event;
use crate::source::Record;
use crate::time::{self, Micros};
use kubeward_core::{Mitre, Severity};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::sync::Arc;

/// How many events an alert lists (the count covers all of them).
pub const MAX_ALERT_EVENTS: usize = 50;

/// Who made a request, by kind of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Principal {
    /// The API server, controller manager, scheduler, `system:` users and the service
    /// accounts of the system namespaces (controllers and add-ons).
    ControlPlane,
    /// A kubelet (`system:node:<name>`).
    Node,
    /// A service account outside the system namespaces.
    ServiceAccount,
    Anonymous,
    /// Everyone else: people (and their CI credentials).
    Person,
    /// No user in the event.
    Unknown,
}

impl Principal {
    pub fn as_str(self) -> &'static str {
        match self {
            Principal::ControlPlane => "control-plane",
            Principal::Node => "node",
            Principal::ServiceAccount => "service-account",
            Principal::Anonymous => "anonymous",
            Principal::Person => "person",
            Principal::Unknown => "unknown",
        }
    }

    pub fn classify(username: &str, groups: &[impl AsRef<str>], cfg: &AuditConfig) -> Principal {
        if username.is_empty() && groups.is_empty() {
            return Principal::Unknown;
        }
        if username == "system:anonymous"
            || username == "system:unauthenticated"
            || groups
                .iter()
                .any(|g| g.as_ref() == "system:unauthenticated")
        {
            return Principal::Anonymous;
        }
        if username.starts_with("system:node:") {
            return Principal::Node;
        }
        if let Some(sa) = username.strip_prefix("system:serviceaccount:") {
            let ns = sa.split(':').next().unwrap_or("");
            return if cfg.is_system_namespace(ns) || any_match(&cfg.system_users, username) {
                Principal::ControlPlane
            } else {
                Principal::ServiceAccount
            };
        }
        if (username.starts_with("system:") && username != "system:admin")
            || any_match(&cfg.system_users, username)
        {
            return Principal::ControlPlane;
        }
        if username.is_empty() {
            return Principal::Unknown;
        }
        Principal::Person
    }
}

/// One event behind an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    #[serde(rename = "auditID")]
    pub audit_id: String,
    pub time: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub stage: &'static str,
    pub verb: String,
    /// `resource[/subresource]` or the request path for non-resource requests.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip)]
    pub(crate) at: Micros,
}

/// The object a request was about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDesc {
    pub verb: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The request path for non-resource requests.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

impl ObjectDesc {
    /// `pods/exec prod/node-shell`, `clusterroles super-user`, `/version`.
    pub fn describe(&self) -> String {
        if self.resource.is_empty() {
            return self.path.clone();
        }
        let mut s = self.resource.clone();
        if !self.subresource.is_empty() {
            s.push('/');
            s.push_str(&self.subresource);
        }
        let ns_of_itself = self.resource == "namespaces" && self.namespace == self.name;
        match (
            self.namespace.is_empty() || ns_of_itself,
            self.name.is_empty(),
        ) {
            (false, false) => format!("{s} {}/{}", self.namespace, self.name),
            (false, true) => format!("{s} -n {}", self.namespace),
            (true, false) => format!("{s} {}", self.name),
            (true, true) => s,
        }
    }
}

/// The identity behind an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The identity the requests acted as (the impersonated user when there is one).
    pub user: String,
    pub kind: Principal,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The authenticated user, when it impersonated `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_agent: String,
}

/// An alert: one detection fired on one or more requests.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub mitre: &'static [Mitre],
    pub identity: Identity,
    pub object: ObjectDesc,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// How many requests (or, for windowed detections, qualifying requests) are behind it.
    pub count: u64,
    /// The first [`MAX_ALERT_EVENTS`] of them.
    pub events: Vec<AlertEvent>,
    pub dedup_key: String,
    #[serde(skip)]
    pub(crate) first: Micros,
    #[serde(skip)]
    pub(crate) last: Micros,
}

impl Alert {
    pub fn first_time(&self) -> Micros {
        self.first
    }

    pub fn last_time(&self) -> Micros {
        self.last
    }
}

/// A detection's finding on the current event, before allow-lists and severity overrides.
#[derive(Debug, Default)]
pub(crate) struct Hit {
    pub det: usize,
    /// A custom rule's index in the config (then `det` is unused).
    pub custom: Option<usize>,
    pub severity: Option<Severity>,
    pub message: String,
    pub mitre: Option<&'static [Mitre]>,
    pub evidence: Vec<String>,
    /// Images the alert is about (allow-list `images`).
    pub images: Vec<String>,
    /// Activity alert: dropped unless `activity: true`.
    pub activity: bool,
    /// Extra dedup key part (default: the object).
    pub key: Option<String>,
    pub object: Option<ObjectDesc>,
    /// Events behind a windowed detection (default: the current one).
    pub events: Vec<AlertEvent>,
    /// How many requests the hit stands for (windowed detections).
    pub count: Option<u64>,
}

impl Hit {
    pub fn new(code: &str, message: impl Into<String>) -> Hit {
        Hit {
            det: catalog::index(code).unwrap_or(0),
            message: message.into(),
            ..Hit::default()
        }
    }

    pub fn sev(mut self, s: Severity) -> Hit {
        self.severity = Some(s);
        self
    }

    pub fn evidence(mut self, e: impl Into<String>) -> Hit {
        self.evidence.push(e.into());
        self
    }

    pub fn key(mut self, k: impl Into<String>) -> Hit {
        self.key = Some(k.into());
        self
    }

    pub fn object(mut self, o: ObjectDesc) -> Hit {
        self.object = Some(o);
        self
    }

    pub fn activity(mut self) -> Hit {
        self.activity = true;
        self
    }
}

/// The detection engine: push events, get alerts.
#[derive(Debug)]
pub struct Engine {
    cfg: Arc<AuditConfig>,
    state: state::State,
    /// Latest event time seen (events without a time use it).
    now: Micros,
    pushed: u64,
    stats: EngineStats,
    /// The last input file name, shared by the alert events that come from it.
    file: Option<Arc<str>>,
}

/// What the engine saw.
#[derive(Debug, Default, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineStats {
    /// Events offered.
    pub events: u64,
    /// Requests judged (one per request: see the module docs).
    pub requests: u64,
    /// Events skipped as another stage of a request already judged (or RequestReceived).
    pub other_stages: u64,
    /// Writes of pods, workloads, RBAC objects and other objects whose content the detections
    /// read, that came without a request body (Metadata-level policy): content detections
    /// could not judge them.
    pub writes_without_body: u64,
    pub alerts: u64,
}

impl Engine {
    pub fn new(cfg: Arc<AuditConfig>) -> Engine {
        Engine {
            cfg,
            state: state::State::default(),
            now: 0,
            pushed: 0,
            stats: EngineStats::default(),
            file: None,
        }
    }

    pub fn config(&self) -> &AuditConfig {
        &self.cfg
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Judges one event; alerts are appended to `out`. Returns whether the event was a
    /// request judged (false for other stages of a request already judged).
    pub fn push(
        &mut self,
        ev: &Event<'_>,
        origin: Option<Record<'_>>,
        out: &mut Vec<Alert>,
    ) -> bool {
        self.stats.events += 1;
        self.pushed += 1;
        if ev.stage() == crate::event::Stage::RequestReceived {
            self.stats.other_stages += 1;
            return false;
        }
        let t = ev.time();
        if let Some(t) = t {
            self.now = self.now.max(t);
        }
        let at = t.unwrap_or(self.now);
        if !self.state.accept(ev, at) {
            self.stats.other_stages += 1;
            return false;
        }
        self.stats.requests += 1;
        if self.pushed.is_multiple_of(4096) {
            self.state.sweep(self.now, &self.cfg);
        }
        let origin = origin.map(|o| {
            let f = match &self.file {
                Some(f) if &**f == o.file => f.clone(),
                _ => {
                    let f: Arc<str> = Arc::from(o.file);
                    self.file = Some(f.clone());
                    f
                }
            };
            (f, o.line)
        });
        let mut hits = Vec::new();
        if !self.cfg.custom.is_empty() {
            let groups = ev.effective_user().map_or(&[][..], |u| &u.groups[..]);
            let principal = Principal::classify(ev.effective_username(), groups, &self.cfg);
            let mut body = None;
            for (i, r) in self.cfg.custom.iter().enumerate() {
                if r.when.eval(ev, principal, &mut body) {
                    hits.push(Hit {
                        custom: Some(i),
                        message: render_template(&r.message, ev, principal),
                        ..Hit::default()
                    });
                }
            }
        }
        let body_missing = rules::run(
            ev,
            at,
            origin.as_ref(),
            &self.cfg,
            &mut self.state,
            &mut hits,
        );
        if body_missing {
            self.stats.writes_without_body += 1;
        }
        for hit in hits {
            if let Some(a) = self.alert(ev, origin.as_ref(), at, hit) {
                self.stats.alerts += 1;
                out.push(a);
            }
        }
        true
    }

    fn alert(
        &self,
        ev: &Event<'_>,
        origin: Option<&(Arc<str>, u64)>,
        at: Micros,
        hit: Hit,
    ) -> Option<Alert> {
        let det = match hit.custom {
            Some(i) => {
                let r = self.cfg.custom.get(i)?;
                Meta {
                    code: r.code,
                    name: r.name,
                    severity: r.severity,
                    mitre: r.mitre,
                }
            }
            None => {
                let d = &DETECTIONS[hit.det];
                if !self.cfg.enabled[hit.det] || (hit.activity && !self.cfg.activity) {
                    return None;
                }
                Meta {
                    code: d.code,
                    name: d.name,
                    severity: d.severity,
                    mitre: d.mitre,
                }
            }
        };
        let identity = identity_of(ev, &self.cfg);
        let object = hit.object.unwrap_or_else(|| object_of(ev));
        if self.allowed(det.code, ev, &identity, &object, &hit.images) {
            return None;
        }
        let severity = self
            .cfg
            .severity
            .get(det.code)
            .copied()
            .or(hit.severity)
            .unwrap_or(det.severity);
        let mut events = hit.events;
        if events.is_empty() {
            events.push(event_ref(ev, origin, at));
        }
        let first = events.iter().map(|e| e.at).min().unwrap_or(at);
        let last = events.iter().map(|e| e.at).max().unwrap_or(at);
        let count = hit.count.unwrap_or(events.len() as u64);
        events.truncate(MAX_ALERT_EVENTS);
        let dedup_key = format!(
            "{}|{}|{}|{}|{}",
            det.code,
            severity,
            identity.user,
            identity.impersonated_by.as_deref().unwrap_or(""),
            hit.key.unwrap_or_else(|| object.describe())
        );
        Some(Alert {
            code: det.code,
            name: det.name,
            severity,
            mitre: hit.mitre.unwrap_or(det.mitre),
            identity,
            object,
            message: hit.message,
            evidence: hit.evidence,
            first_seen: time::format(first),
            last_seen: time::format(last),
            count,
            events,
            dedup_key,
            first,
            last,
        })
    }

    fn allowed(
        &self,
        code: &str,
        ev: &Event<'_>,
        id: &Identity,
        obj: &ObjectDesc,
        images: &[String],
    ) -> bool {
        self.cfg.allow.iter().any(|a| {
            (a.rules.is_empty() || a.rules.contains(&code))
                && (a.users.is_empty() || any_match(&a.users, &id.user))
                && (a.groups.is_empty() || id.groups.iter().any(|g| any_match(&a.groups, g)))
                && (a.namespaces.is_empty() || any_match(&a.namespaces, &obj.namespace))
                && (a.names.is_empty() || any_match(&a.names, &obj.name))
                && (a.resources.is_empty() || any_match(&a.resources, &obj.resource))
                && (a.verbs.is_empty() || any_match(&a.verbs, &obj.verb))
                && (a.images.is_empty()
                    || (!images.is_empty()
                        && images.iter().all(|i| {
                            any_match(&a.images, i) || any_match(&a.images, pod::repository(i))
                        })))
                && (a.source_networks.is_empty()
                    || ev
                        .source_ips
                        .iter()
                        .filter_map(|s| crate::ip::parse(s))
                        .any(|ip| a.source_networks.iter().any(|n| n.contains(ip))))
                && (a.user_agents.is_empty() || any_match(&a.user_agents, ev.user_agent()))
        })
    }
}

/// What an alert takes from its detection or custom rule.
struct Meta {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    mitre: &'static [Mitre],
}

/// A custom rule's message: `{field}` replaced by the event's field.
fn render_template(t: &str, ev: &Event<'_>, principal: Principal) -> String {
    let mut out = String::with_capacity(t.len() + 32);
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                let name = &rest[i + 1..i + j];
                match crate::expr::field_text(name, ev, principal) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[i..=i + j]),
                }
                rest = &rest[i + j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn identity_of(ev: &Event<'_>, cfg: &AuditConfig) -> Identity {
    let eff = ev.effective_user();
    let user = ev.effective_username().to_string();
    let groups: Vec<String> = eff
        .map(|u| u.groups.iter().map(|g| g.to_string()).collect())
        .unwrap_or_default();
    Identity {
        kind: Principal::classify(&user, &groups, cfg),
        user,
        groups,
        impersonated_by: ev.impersonated().map(|_| ev.username().to_string()),
        source_ips: ev.source_ips.iter().map(|s| s.to_string()).collect(),
        user_agent: ev.user_agent().to_string(),
    }
}

pub(crate) fn object_of(ev: &Event<'_>) -> ObjectDesc {
    ObjectDesc {
        verb: ev.verb().to_string(),
        api_group: ev.api_group().to_string(),
        resource: ev.resource().to_string(),
        subresource: ev.subresource().to_string(),
        namespace: ev.namespace().to_string(),
        name: ev.name().to_string(),
        path: if ev.is_resource_request() {
            String::new()
        } else {
            ev.path().to_string()
        },
    }
}

pub(crate) fn event_ref(
    ev: &Event<'_>,
    origin: Option<&(Arc<str>, u64)>,
    at: Micros,
) -> AlertEvent {
    let target = if ev.is_resource_request() {
        if ev.subresource().is_empty() {
            ev.resource().to_string()
        } else {
            format!("{}/{}", ev.resource(), ev.subresource())
        }
    } else {
        ev.path().to_string()
    };
    AlertEvent {
        audit_id: ev.audit_id().to_string(),
        time: time::format(at),
        stage: ev.stage().as_str(),
        verb: ev.verb().to_string(),
        target,
        code: ev.code(),
        file: origin.map(|o| o.0.clone()),
        line: origin.map(|o| o.1),
        at,
    }
}

/// Merges alerts with the same dedup key within the dedup window. Batch use: `add` every
/// alert, then `finish`. Stream use: `add` returns whether the alert is new (to send) or
/// merged into one already sent.
#[derive(Debug, Default)]
pub struct Deduper {
    window: Micros,
    open: FxHashMap<String, usize>,
    alerts: Vec<Alert>,
}

impl Deduper {
    pub fn new(window: Micros) -> Deduper {
        Deduper {
            window,
            ..Deduper::default()
        }
    }

    /// Returns true when the alert starts a new one, false when merged into an earlier one.
    pub fn add(&mut self, a: Alert) -> bool {
        if let Some(&i) = self.open.get(&a.dedup_key) {
            let open = &mut self.alerts[i];
            if a.first - open.last <= self.window && a.first >= open.first - self.window {
                open.count += a.count;
                open.first = open.first.min(a.first);
                open.last = open.last.max(a.last);
                open.first_seen = time::format(open.first);
                open.last_seen = time::format(open.last);
                // The events of merged alerts are distinct requests (each request is judged
                // once, and windows only hand over new ones after their first alert).
                let room = MAX_ALERT_EVENTS.saturating_sub(open.events.len());
                open.events.extend(a.events.into_iter().take(room));
                return false;
            }
        }
        self.open.insert(a.dedup_key.clone(), self.alerts.len());
        self.alerts.push(a);
        true
    }

    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// The merged alerts in time order (then severity, code).
    pub fn finish(mut self) -> Vec<Alert> {
        self.alerts.sort_by(|a, b| {
            a.first
                .cmp(&b.first)
                .then(b.severity.cmp(&a.severity))
                .then(a.code.cmp(b.code))
        });
        self.alerts
    }
}
