//! The engine's state: the stage filter (auditIDs judged at ResponseStarted), per-identity
//! windows, and what the log taught about the cluster (service accounts bound to privileged
//! roles, workloads already alerted on). Everything is pruned as event time advances.

use super::{AlertEvent, MAX_ALERT_EVENTS};
use crate::config::AuditConfig;
use crate::event::{Event, Stage};
use crate::time::{HOUR, Micros};
use rustc_hash::{FxHashMap, FxHasher};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

/// A sliding window of one identity's qualifying requests: their times (for the count), how
/// many were flagged (refused), the latest [`MAX_ALERT_EVENTS`] of them (the alert's evidence),
/// the latest time of each distinct key (resource type, namespace), and whether the current
/// burst was alerted. Everything is updated incrementally: a push costs O(1) amortised, plus
/// the pruning of keys (a handful per identity).
#[derive(Debug, Default)]
pub(crate) struct Window {
    times: VecDeque<(Micros, bool)>,
    flagged: usize,
    recent: VecDeque<AlertEvent>,
    keys: FxHashMap<Box<str>, Micros>,
    pub alerted: bool,
}

impl Window {
    /// Adds a request at `at` (flagged: refused), with its key, dropping what is older than
    /// `window`. A window that emptied before this request starts a new burst.
    pub fn push(
        &mut self,
        at: Micros,
        window: Micros,
        flagged: bool,
        ev: AlertEvent,
        key: Option<&str>,
    ) {
        self.expire(at, window);
        if self.times.is_empty() {
            self.alerted = false;
        }
        self.times.push_back((at, flagged));
        self.flagged += usize::from(flagged);
        self.recent.push_back(ev);
        if self.recent.len() > MAX_ALERT_EVENTS {
            self.recent.pop_front();
        }
        if let Some(k) = key {
            match self.keys.get_mut(k) {
                Some(t) => *t = (*t).max(at),
                None => {
                    self.keys.insert(k.into(), at);
                }
            }
        }
    }

    pub fn expire(&mut self, now: Micros, window: Micros) {
        while let Some(&(t, f)) = self.times.front() {
            if now - t <= window {
                break;
            }
            self.times.pop_front();
            self.flagged -= usize::from(f);
        }
        while self.recent.front().is_some_and(|e| now - e.at > window) {
            self.recent.pop_front();
        }
        if self.keys.len() > 8 || self.times.is_empty() {
            self.keys.retain(|_, t| now - *t <= window);
        }
    }

    /// Requests in the window.
    pub fn count(&self) -> usize {
        self.times.len()
    }

    /// Refused requests in the window.
    pub fn flagged(&self) -> usize {
        self.flagged
    }

    /// Distinct keys seen within `window` of `now`, sorted.
    pub fn keys(&mut self, now: Micros, window: Micros) -> Vec<String> {
        self.keys.retain(|_, t| now - *t <= window);
        let mut k: Vec<String> = self.keys.keys().map(|k| k.to_string()).collect();
        k.sort();
        k
    }

    /// The latest requests, oldest first.
    pub fn events(&self) -> Vec<AlertEvent> {
        self.recent.iter().cloned().collect()
    }
}

#[derive(Debug, Default)]
pub(crate) struct IdState {
    pub last: Micros,
    /// Refused requests (KW720).
    pub denied: Window,
    /// Secret reads, keyed by namespace (KW722).
    pub secrets: Window,
    /// Lists of sensitive types, keyed by resource type (KW747).
    pub discovery: Window,
    /// The last successful RBAC change: (event, description) (KW733).
    pub rbac: Option<(AlertEvent, String)>,
    /// Deletions (KW751).
    pub deletes: Window,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// Requests judged at ResponseStarted, by auditID, with the time.
    started: FxHashMap<u128, Micros>,
    pub ids: FxHashMap<Box<str>, IdState>,
    /// Subjects bound to a privileged role in this log: `system:serviceaccount:ns:name` or a
    /// user name, to the binding that did it.
    pub privileged_subjects: FxHashMap<String, String>,
    /// (detection index, namespace, workload name) alerted on a workload template, with time.
    pub workload_alerts: FxHashMap<(usize, String, String), Micros>,
    /// User agents already classified (they repeat: a few hundred distinct in a cluster).
    ua: FxHashMap<Box<str>, Option<kubeward_core::Severity>>,
}

/// A compact key for an auditID (a UUID is 128 bits; anything else is hashed).
fn audit_key(id: &str) -> Option<u128> {
    if id.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    let mut digits = 0;
    let mut ok = true;
    for b in id.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b'-' => continue,
            _ => {
                ok = false;
                break;
            }
        };
        digits += 1;
        if digits > 32 {
            ok = false;
            break;
        }
        v = (v << 4) | u128::from(d);
    }
    if ok && digits == 32 {
        return Some(v);
    }
    let mut h = FxHasher::default();
    id.hash(&mut h);
    Some((1u128 << 127) | u128::from(h.finish()))
}

impl State {
    /// The stage filter: is this event the one its request is judged on?
    pub fn accept(&mut self, ev: &Event<'_>, at: Micros) -> bool {
        match ev.stage() {
            Stage::RequestReceived => false,
            Stage::ResponseStarted => {
                if let Some(k) = audit_key(ev.audit_id()) {
                    // A second ResponseStarted of the same request (duplicated log) is skipped.
                    return self.started.insert(k, at).is_none();
                }
                true
            }
            Stage::ResponseComplete | Stage::Panic => match audit_key(ev.audit_id()) {
                Some(k) => self.started.remove(&k).is_none(),
                None => true,
            },
            Stage::Unknown => true,
        }
    }

    /// The class of a user agent, computed once per distinct agent (bounded: past 10,000
    /// distinct agents the cache is cleared).
    pub fn ua_class(
        &mut self,
        ua: &str,
        f: fn(&str) -> Option<kubeward_core::Severity>,
    ) -> Option<kubeward_core::Severity> {
        if let Some(c) = self.ua.get(ua) {
            return *c;
        }
        if self.ua.len() > 10_000 {
            self.ua.clear();
        }
        let c = f(ua);
        self.ua.insert(ua.into(), c);
        c
    }

    pub fn id(&mut self, user: &str, at: Micros) -> &mut IdState {
        if !self.ids.contains_key(user) {
            self.ids.insert(user.into(), IdState::default());
        }
        let s = self.ids.get_mut(user).expect("inserted above");
        s.last = s.last.max(at);
        s
    }

    /// Drops what no window can use any more.
    pub fn sweep(&mut self, now: Micros, cfg: &AuditConfig) {
        let t = &cfg.thresholds;
        let longest = [
            t.forbidden_burst.window,
            t.secret_enumeration.window,
            t.discovery_burst.window,
            t.rbac_then_workload.window,
            t.delete_burst.window,
        ]
        .into_iter()
        .max()
        .unwrap_or(HOUR);
        // Long-running requests (watches) end within an hour; a ResponseComplete after that
        // would be judged again, which only costs a duplicate that the deduper merges.
        self.started.retain(|_, t0| now - *t0 <= 2 * HOUR);
        self.ids.retain(|_, s| now - s.last <= longest);
        for s in self.ids.values_mut() {
            s.denied.expire(now, t.forbidden_burst.window);
            s.secrets.expire(now, t.secret_enumeration.window);
            s.discovery.expire(now, t.discovery_burst.window);
            s.deletes.expire(now, t.delete_burst.window);
            if s.rbac
                .as_ref()
                .is_some_and(|(e, _)| now - e.at > t.rbac_then_workload.window)
            {
                s.rbac = None;
            }
        }
        self.workload_alerts
            .retain(|_, t0| now - *t0 <= t.dedup_window);
    }
}
