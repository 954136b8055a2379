//! The audit report: what happened, by whom, and what looked like an attack.
//!
//! Built as the events stream by (one entry per judged request, like the detections): counts
//! per resource type, per identity and per kind of identity (control plane, nodes, service
//! accounts, people, anonymous); the important operations (exec/attach/port-forward and kubelet
//! proxy, secret reads, deletions, RBAC changes) outside the control plane's own traffic;
//! refused and anonymous requests; a per-minute timeline; and the alerts. Lists are capped and
//! the timeline is per minute, so memory depends on the number of identities and resource
//! types and on the period covered, not on the number of events. No request or response body is
//! ever copied into the report.

use crate::config::AuditConfig;
use crate::detect::{Alert, EngineStats, Principal};
use crate::event::Event;
use crate::source::ReadStats;
use crate::time::{self, Micros, SECOND};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// The most entries a list of operations keeps (the counts stay exact).
pub const MAX_LIST: usize = 5000;

/// One request in a list of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Op {
    pub time: String,
    pub user: String,
    pub kind: Principal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_by: Option<String>,
    pub verb: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source_ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_agent: String,
    /// The exec command, for exec and attach.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    #[serde(rename = "auditID")]
    pub audit_id: String,
}

/// A capped list with its true length.
#[derive(Debug, Default, Clone, Serialize)]
pub struct OpList {
    pub total: u64,
    pub items: Vec<Op>,
}

impl OpList {
    fn push(&mut self, op: impl FnOnce() -> Op) {
        self.total += 1;
        if self.items.len() < MAX_LIST {
            self.items.push(op());
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceCount {
    pub resource: String,
    pub requests: u64,
    pub denied: u64,
    pub verbs: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCount {
    pub user: String,
    pub kind: Principal,
    pub requests: u64,
    pub writes: u64,
    pub denied: u64,
    pub alerts: u64,
    pub first_seen: String,
    pub last_seen: String,
    #[serde(skip)]
    first: Micros,
    #[serde(skip)]
    last: Micros,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentCount {
    pub kind: Principal,
    pub identities: u64,
    pub requests: u64,
    pub writes: u64,
    pub denied: u64,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Bucket {
    #[serde(skip)]
    pub start: Micros,
    pub requests: u64,
    pub writes: u64,
    pub denied: u64,
    pub alerts: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineBucket {
    pub start: String,
    pub requests: u64,
    pub writes: u64,
    pub denied: u64,
    pub alerts: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub bucket_seconds: i64,
    pub buckets: Vec<TimelineBucket>,
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Important {
    /// exec, attach, port-forward, container logs, kubelet proxy.
    pub exec: OpList,
    /// Secret reads (get/list/watch) outside the control plane.
    pub secret_reads: OpList,
    pub deletions: OpList,
    pub rbac_changes: OpList,
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub events: u64,
    pub requests: u64,
    pub writes: u64,
    pub denied: u64,
    pub anonymous: u64,
    pub impersonated: u64,
    pub identities: u64,
    pub alerts: u64,
    pub bad_records: u64,
    /// Writes whose content detections need but that came without a body (Metadata level).
    pub writes_without_body: u64,
}

/// The audit report.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub first_seen: String,
    pub last_seen: String,
    pub totals: Totals,
    /// Requests per audit level (`Metadata`, `Request`, ...), telling what detections could see.
    pub levels: BTreeMap<String, u64>,
    pub resources: Vec<ResourceCount>,
    pub components: Vec<ComponentCount>,
    pub users: Vec<UserCount>,
    pub important: Important,
    pub forbidden: OpList,
    pub anonymous: OpList,
    pub timeline: Timeline,
    pub alerts: Vec<Alert>,
    #[serde(skip)]
    res: FxHashMap<String, ResourceCount>,
    #[serde(skip)]
    usr: FxHashMap<String, UserCount>,
    /// Counts per `resolution` seconds (1 s at first, coarser as the period grows, so the map
    /// stays under [`MAX_SLOTS`] entries).
    #[serde(skip)]
    slots: BTreeMap<i64, Bucket>,
    #[serde(skip)]
    resolution: i64,
    #[serde(skip)]
    first: Option<Micros>,
    #[serde(skip)]
    last: Option<Micros>,
    #[serde(skip)]
    alert_times: Vec<Micros>,
}

fn is_write(verb: &str) -> bool {
    matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    )
}

/// The most timeline slots kept before they are merged into coarser ones.
const MAX_SLOTS: usize = 20_000;
/// Slot widths in seconds, finest first.
const WIDTHS: &[i64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400, 604_800,
];

impl Report {
    pub fn new() -> Report {
        Report {
            schema_version: 1,
            resolution: 1,
            ..Report::default()
        }
    }

    fn slot(&mut self, at: Micros) -> &mut Bucket {
        if self.slots.len() >= MAX_SLOTS {
            let next = WIDTHS
                .iter()
                .copied()
                .find(|w| *w > self.resolution && *w % self.resolution == 0)
                .unwrap_or(self.resolution * 2);
            let old = std::mem::take(&mut self.slots);
            for (k, b) in old {
                let nk = (k * self.resolution).div_euclid(next);
                let t = self.slots.entry(nk).or_default();
                t.requests += b.requests;
                t.writes += b.writes;
                t.denied += b.denied;
                t.alerts += b.alerts;
            }
            self.resolution = next;
        }
        let key = at.div_euclid(SECOND).div_euclid(self.resolution);
        self.slots.entry(key).or_default()
    }

    /// Adds one judged request.
    pub fn add(&mut self, ev: &Event<'_>, cfg: &AuditConfig) {
        let t = ev.time();
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        let at = t.or(self.last).unwrap_or(0);
        let verb = ev.verb();
        let write = is_write(verb);
        let denied = ev.denied();
        let tot = &mut self.totals;
        tot.requests += 1;
        tot.writes += u64::from(write);
        tot.denied += u64::from(denied);
        *self
            .levels
            .entry(ev.level.as_deref().unwrap_or("(none)").to_string())
            .or_default() += 1;

        // Per resource type.
        let rkey = if ev.is_resource_request() {
            let g = ev.api_group();
            let sub = ev.subresource();
            let mut k = ev.resource().to_string();
            if !sub.is_empty() {
                k.push('/');
                k.push_str(sub);
            }
            if !g.is_empty() {
                k.push('.');
                k.push_str(g);
            }
            k
        } else {
            "(non-resource)".to_string()
        };
        let r = match self.res.get_mut(&rkey) {
            Some(r) => r,
            None => self
                .res
                .entry(rkey.clone())
                .or_insert_with(|| ResourceCount {
                    resource: rkey,
                    ..ResourceCount::default()
                }),
        };
        r.requests += 1;
        r.denied += u64::from(denied);
        match r.verbs.get_mut(verb) {
            Some(n) => *n += 1,
            None => {
                r.verbs.insert(verb.to_string(), 1);
            }
        }

        // Per identity.
        let user = ev.effective_username();
        let ukey = if user.is_empty() { "(unknown)" } else { user };
        let kind = match self.usr.get(ukey) {
            Some(u) => u.kind,
            None => Principal::classify(
                user,
                ev.effective_user().map_or(&[][..], |u| &u.groups[..]),
                cfg,
            ),
        };
        let u = match self.usr.get_mut(ukey) {
            Some(u) => u,
            None => self
                .usr
                .entry(ukey.to_string())
                .or_insert_with(|| UserCount {
                    user: ukey.to_string(),
                    kind,
                    requests: 0,
                    writes: 0,
                    denied: 0,
                    alerts: 0,
                    first_seen: String::new(),
                    last_seen: String::new(),
                    first: at,
                    last: at,
                }),
        };
        u.requests += 1;
        u.writes += u64::from(write);
        u.denied += u64::from(denied);
        u.first = u.first.min(at);
        u.last = u.last.max(at);

        // Timeline.
        let b = self.slot(at);
        b.requests += 1;
        b.writes += u64::from(write);
        b.denied += u64::from(denied);

        let impersonated = ev.impersonated().is_some();
        self.totals.impersonated += u64::from(impersonated);
        let control = matches!(kind, Principal::ControlPlane | Principal::Node) && !impersonated;
        let op = || op_of(ev, at, kind);
        let res = ev.resource();
        let sub = ev.subresource();
        if matches!(
            (res, sub),
            ("pods", "exec" | "attach" | "portforward" | "log") | ("nodes", "proxy")
        ) {
            self.important.exec.push(op);
        }
        if !control {
            if res == "secrets" && matches!(verb, "get" | "list" | "watch") {
                self.important.secret_reads.push(op);
            }
            if matches!(verb, "delete" | "deletecollection") {
                self.important.deletions.push(op);
            }
            if matches!(
                res,
                "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
            ) && write
            {
                self.important.rbac_changes.push(op);
            }
        }
        if denied {
            self.forbidden.push(op);
        }
        if kind == Principal::Anonymous {
            self.totals.anonymous += 1;
            self.anonymous.push(op);
        }
    }

    /// Counts a raw (unmerged) alert in the timeline.
    pub fn alert_raised(&mut self, a: &Alert) {
        self.alert_times.push(a.last_time());
    }

    /// Sorts and finalises everything once the input is read.
    pub fn finish(&mut self, alerts: &[Alert], read: &ReadStats, engine: &EngineStats) {
        for t in std::mem::take(&mut self.alert_times) {
            self.slot(t).alerts += 1;
        }
        self.totals.events = read.events;
        self.totals.bad_records = read.bad_records;
        self.totals.alerts = alerts.len() as u64;
        self.totals.writes_without_body = engine.writes_without_body;
        self.totals.identities = self.usr.len() as u64;
        for a in alerts {
            if let Some(u) = self.usr.get_mut(&a.identity.user) {
                u.alerts += 1;
            }
        }
        self.first_seen = self.first.map(time::format).unwrap_or_default();
        self.last_seen = self.last.map(time::format).unwrap_or_default();
        let mut res: Vec<ResourceCount> = self.res.drain().map(|(_, v)| v).collect();
        res.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(a.resource.cmp(&b.resource))
        });
        self.resources = res;
        let mut comps: BTreeMap<Principal, ComponentCount> = BTreeMap::new();
        let mut users: Vec<UserCount> = self.usr.drain().map(|(_, v)| v).collect();
        for u in &mut users {
            u.first_seen = time::format(u.first);
            u.last_seen = time::format(u.last);
            let c = comps.entry(u.kind).or_insert(ComponentCount {
                kind: u.kind,
                identities: 0,
                requests: 0,
                writes: 0,
                denied: 0,
            });
            c.identities += 1;
            c.requests += u.requests;
            c.writes += u.writes;
            c.denied += u.denied;
        }
        users.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.user.cmp(&b.user)));
        self.users = users;
        self.components = comps.into_values().collect();
        self.timeline = timeline(&self.slots, self.resolution.max(1));
        self.alerts = alerts.to_vec();
    }
}

fn op_of(ev: &Event<'_>, at: Micros, kind: Principal) -> Op {
    let target = if ev.is_resource_request() {
        crate::detect::object_of(ev).describe()
    } else {
        ev.path().to_string()
    };
    let detail = if matches!(ev.subresource(), "exec" | "attach") {
        ev.exec_command().join(" ")
    } else {
        String::new()
    };
    Op {
        time: time::format(at),
        user: ev.effective_username().to_string(),
        kind,
        impersonated_by: ev.impersonated().map(|_| ev.username().to_string()),
        verb: ev.verb().to_string(),
        target,
        code: ev.code(),
        source_ip: ev
            .source_ips
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        user_agent: ev.user_agent().to_string(),
        detail,
        audit_id: ev.audit_id().to_string(),
    }
}

/// At most this many bars.
const MAX_BUCKETS: i64 = 120;

/// Merges the slots (of `res` seconds) into at most [`MAX_BUCKETS`] buckets of a round width.
fn timeline(slots: &BTreeMap<i64, Bucket>, res: i64) -> Timeline {
    let (Some((&lo, _)), Some((&hi, _))) = (slots.first_key_value(), slots.last_key_value()) else {
        return Timeline {
            bucket_seconds: res,
            buckets: Vec::new(),
        };
    };
    let (lo, hi) = (lo * res, hi * res + res - 1);
    let span = hi - lo + 1;
    let width = WIDTHS
        .iter()
        .copied()
        .filter(|w| *w >= res && *w % res == 0)
        .find(|w| (span + w - 1) / w <= MAX_BUCKETS)
        .unwrap_or(((span + MAX_BUCKETS - 1) / MAX_BUCKETS).max(res));
    let start = lo - lo.rem_euclid(width);
    let n = ((hi - start) / width + 1) as usize;
    let mut buckets: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: (start + i as i64 * width) * SECOND,
            ..Bucket::default()
        })
        .collect();
    for (&k, b) in slots {
        let i = ((k * res - start) / width) as usize;
        if let Some(t) = buckets.get_mut(i) {
            t.requests += b.requests;
            t.writes += b.writes;
            t.denied += b.denied;
            t.alerts += b.alerts;
        }
    }
    Timeline {
        bucket_seconds: width,
        buckets: buckets
            .into_iter()
            .map(|b| TimelineBucket {
                start: time::format(b.start),
                requests: b.requests,
                writes: b.writes,
                denied: b.denied,
                alerts: b.alerts,
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Text rendering

/// Text from the log made safe for a terminal: control characters (escape sequences a
/// hostile client could put in a user agent or a path) are shown as `\u{..}`.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    format!("\\u{{{:x}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(c.chars().count()).min(60);
            }
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let c = printable(c);
            let width = w.get(i).copied().unwrap_or(0);
            let c: String = if c.chars().count() > 60 {
                c.chars().take(59).chain(['…']).collect()
            } else {
                c.into_owned()
            };
            if i + 1 == cells.len() {
                s.push_str(&c);
            } else {
                s.push_str(&format!("{c:<width$}  "));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(out, &head.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        line(out, r);
    }
}

fn op_rows(list: &OpList, limit: usize) -> Vec<Vec<String>> {
    list.items
        .iter()
        .take(limit)
        .map(|o| {
            let user = match &o.impersonated_by {
                Some(by) => format!("{} (as, by {by})", o.user),
                None => o.user.clone(),
            };
            let target = if o.detail.is_empty() {
                o.target.clone()
            } else {
                format!("{} `{}`", o.target, o.detail)
            };
            vec![
                o.time.get(..23).unwrap_or(&o.time).replace('T', " "),
                user,
                o.verb.clone(),
                target,
                o.code.map_or(String::new(), |c| c.to_string()),
            ]
        })
        .collect()
}

/// One alert as text (the `analyze` table and the report's alert section).
pub fn alert_text(a: &Alert, out: &mut String) {
    let ids: Vec<&str> = a
        .events
        .iter()
        .map(|e| e.audit_id.as_str())
        .filter(|s| !s.is_empty())
        .take(3)
        .collect();
    let more = if a.count as usize > ids.len() && !ids.is_empty() {
        format!(" (+{} more)", a.count as usize - ids.len())
    } else {
        String::new()
    };
    let who = match &a.identity.impersonated_by {
        Some(by) => format!("{} (impersonated by {by})", a.identity.user),
        None => a.identity.user.clone(),
    };
    let when = if a.count > 1 && a.first_seen != a.last_seen {
        format!("{} .. {}", a.first_seen, a.last_seen)
    } else {
        a.first_seen.clone()
    };
    let m = a.mitre.first();
    let who = printable(&who);
    out.push_str(&format!(
        "{:<8} {} {}  [{}{}]\n  {}\n  who: {who} ({})   when: {when}   requests: {}\n",
        a.severity.as_str().to_uppercase(),
        a.code,
        a.name,
        m.map_or("", |m| m.technique),
        m.map_or(String::new(), |m| if m.id.is_empty() {
            String::new()
        } else {
            format!(", {}", m.id)
        }),
        printable(&a.message),
        a.identity.kind.as_str(),
        a.count,
    ));
    if !ids.is_empty() {
        out.push_str(&format!("  auditID: {}{more}\n", ids.join(", ")));
    }
    out.push('\n');
}

#[derive(Serialize)]
struct ReportOut<'a> {
    inputs: &'a [String],
    #[serde(flatten)]
    report: &'a Report,
}

impl Report {
    /// The JSON of `kubeward audit report --format json`, with the inputs, written straight
    /// to `w`.
    pub fn write_json(&self, inputs: &[String], w: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(
            w,
            &ReportOut {
                inputs,
                report: self,
            },
        )
        .map_err(std::io::Error::other)
    }

    /// The report as text.
    pub fn to_text(&self, inputs: &[String]) -> String {
        let mut o = String::new();
        let t = &self.totals;
        o.push_str("Kubernetes audit report\n=======================\n\n");
        o.push_str(&format!("inputs: {}\n", inputs.join(", ")));
        o.push_str(&format!(
            "period: {} .. {}\n",
            self.first_seen, self.last_seen
        ));
        o.push_str(&format!(
            "{} events, {} requests ({} writes, {} refused, {} anonymous, {} impersonated) by {} identities; {} alerts\n",
            t.events, t.requests, t.writes, t.denied, t.anonymous, t.impersonated, t.identities, t.alerts
        ));
        let levels: Vec<String> = self
            .levels
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        o.push_str(&format!("audit levels: {}\n", levels.join(", ")));
        if t.writes_without_body > 0 {
            o.push_str(&format!(
                "note: {} writes came without a request body (Metadata-level policy): detections that read objects could not judge them\n",
                t.writes_without_body
            ));
        }
        if t.bad_records > 0 {
            o.push_str(&format!(
                "note: {} records could not be parsed\n",
                t.bad_records
            ));
        }

        o.push_str(&format!("\nAlerts ({})\n----------\n", self.alerts.len()));
        if self.alerts.is_empty() {
            o.push_str("  none\n");
        }
        for a in &self.alerts {
            alert_text(a, &mut o);
        }

        o.push_str("\nRequests by kind of identity\n----------------------------\n");
        let rows: Vec<Vec<String>> = self
            .components
            .iter()
            .map(|c| {
                vec![
                    c.kind.as_str().into(),
                    c.identities.to_string(),
                    c.requests.to_string(),
                    c.writes.to_string(),
                    c.denied.to_string(),
                ]
            })
            .collect();
        table(
            &mut o,
            &["KIND", "IDENTITIES", "REQUESTS", "WRITES", "REFUSED"],
            &rows,
        );

        o.push_str("\nRequests by identity (top 25)\n-----------------------------\n");
        let rows: Vec<Vec<String>> = self
            .users
            .iter()
            .take(25)
            .map(|u| {
                vec![
                    u.user.clone(),
                    u.kind.as_str().into(),
                    u.requests.to_string(),
                    u.writes.to_string(),
                    u.denied.to_string(),
                    u.alerts.to_string(),
                ]
            })
            .collect();
        table(
            &mut o,
            &[
                "IDENTITY", "KIND", "REQUESTS", "WRITES", "REFUSED", "ALERTS",
            ],
            &rows,
        );

        o.push_str("\nRequests by resource type (top 25)\n----------------------------------\n");
        let rows: Vec<Vec<String>> = self
            .resources
            .iter()
            .take(25)
            .map(|r| {
                let verbs: Vec<String> = r.verbs.iter().map(|(k, v)| format!("{k} {v}")).collect();
                vec![
                    r.resource.clone(),
                    r.requests.to_string(),
                    r.denied.to_string(),
                    verbs.join(", "),
                ]
            })
            .collect();
        table(&mut o, &["RESOURCE", "REQUESTS", "REFUSED", "VERBS"], &rows);

        let sections: [(&str, &OpList); 6] = [
            (
                "Exec, attach, port-forward, logs, kubelet proxy",
                &self.important.exec,
            ),
            (
                "Secret reads (outside the control plane)",
                &self.important.secret_reads,
            ),
            (
                "Deletions (outside the control plane)",
                &self.important.deletions,
            ),
            (
                "RBAC changes (outside the control plane)",
                &self.important.rbac_changes,
            ),
            ("Refused requests (401/403)", &self.forbidden),
            ("Anonymous requests", &self.anonymous),
        ];
        for (title, list) in sections {
            o.push_str(&format!(
                "\n{title}: {}\n{}\n",
                list.total,
                "-".repeat(title.len() + 2 + list.total.to_string().len())
            ));
            if list.total == 0 {
                o.push_str("  none\n");
                continue;
            }
            table(
                &mut o,
                &["TIME", "IDENTITY", "VERB", "TARGET", "CODE"],
                &op_rows(list, 50),
            );
            if list.total > 50 {
                o.push_str(&format!(
                    "  ... {} more (--format json lists up to {MAX_LIST})\n",
                    list.total - 50
                ));
            }
        }

        o.push_str(&format!(
            "\nTimeline ({} per line)\n------------------------\n",
            time::format_duration(self.timeline.bucket_seconds * SECOND)
        ));
        let max = self
            .timeline
            .buckets
            .iter()
            .map(|b| b.requests)
            .max()
            .unwrap_or(0)
            .max(1);
        for b in &self.timeline.buckets {
            let bar = "#".repeat(((b.requests * 40).div_ceil(max)) as usize);
            let extra = match (b.denied, b.alerts) {
                (0, 0) => String::new(),
                (d, 0) => format!("  {d} refused"),
                (0, a) => format!("  {a} alerts"),
                (d, a) => format!("  {d} refused, {a} alerts"),
            };
            o.push_str(&format!(
                "  {}  {:>7}  {bar}{extra}\n",
                b.start.get(..19).unwrap_or(&b.start).replace('T', " "),
                b.requests
            ));
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_buckets_are_round_and_few() {
        let mut r = Report::new();
        // One request a second for 10 hours: the slots coarsen, the buckets stay <= 120.
        for s in 0..36_000i64 {
            r.slot(s * SECOND).requests += 1;
        }
        assert!(r.slots.len() <= MAX_SLOTS);
        let t = timeline(&r.slots, r.resolution);
        assert!(t.buckets.len() as i64 <= MAX_BUCKETS);
        assert_eq!(t.bucket_seconds, 300);
        assert_eq!(t.buckets.iter().map(|b| b.requests).sum::<u64>(), 36_000);
        // 73 seconds: one bar per second.
        let mut r = Report::new();
        for s in 0..73i64 {
            r.slot(s * SECOND + 5).requests += 1;
        }
        let t = timeline(&r.slots, r.resolution);
        assert_eq!((t.bucket_seconds, t.buckets.len()), (1, 73));
    }

    #[test]
    fn terminal_output_shows_control_characters() {
        assert_eq!(printable("kubectl\u{1b}[2J"), "kubectl\\u{1b}[2J");
        assert_eq!(printable("plain"), "plain");
    }
}
