//! Counters of the receiver, in the Prometheus text format (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the receiver and the processor counted since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Batches acknowledged (queued durably).
    pub batches_accepted: AtomicU64,
    /// Batches refused with 429 (queue full).
    pub batches_throttled: AtomicU64,
    /// Batches refused as not an EventList (400), too large (413) or unauthenticated (401).
    pub batches_rejected: AtomicU64,
    /// Events in acknowledged batches.
    pub events_received: AtomicU64,
    /// Events parsed by the processor.
    pub events_parsed: AtomicU64,
    /// Events in refused batches plus records the processor could not parse.
    pub events_dropped: AtomicU64,
    /// Queue write failures (answered 500).
    pub queue_errors: AtomicU64,
    pub alerts: Mutex<BTreeMap<&'static str, u64>>,
    /// Alerts newly stored in the database.
    pub alerts_stored: AtomicU64,
    /// Per sink.
    pub sinks: Mutex<BTreeMap<String, SinkCounts>>,
}

/// What one sink did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SinkCounts {
    /// Alerts delivered.
    pub sent: u64,
    /// Alerts its rate limits held back (summed up in one message per identity).
    pub held: u64,
    /// Alerts the endpoint refused for good.
    pub failed: u64,
    /// Deliveries retried.
    pub retries: u64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    pub fn inc(c: &AtomicU64, n: u64) {
        add(c, n);
    }

    pub fn alert(&self, code: &'static str) {
        *self
            .alerts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(code)
            .or_default() += 1;
    }

    /// Updates a sink's counts.
    pub fn sink(&self, name: &str, f: impl FnOnce(&mut SinkCounts)) {
        let mut m = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        match m.get_mut(name) {
            Some(c) => f(c),
            None => f(m.entry(name.to_string()).or_default()),
        }
    }

    /// The Prometheus text exposition; `depth` and `limit` are the queue's.
    pub fn render(&self, depth: u64, limit: u64) -> String {
        let mut s = String::new();
        let mut counter = |name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(s, "{name} {}", v.load(Ordering::Relaxed));
        };
        counter(
            "kubeward_audit_batches_accepted_total",
            "EventList batches durably queued and acknowledged.",
            &self.batches_accepted,
        );
        counter(
            "kubeward_audit_batches_throttled_total",
            "Batches answered 429 because the queue was full.",
            &self.batches_throttled,
        );
        counter(
            "kubeward_audit_batches_rejected_total",
            "Batches refused (unauthenticated, not an EventList, too large).",
            &self.batches_rejected,
        );
        counter(
            "kubeward_audit_events_received_total",
            "Audit events in acknowledged batches.",
            &self.events_received,
        );
        counter(
            "kubeward_audit_events_parsed_total",
            "Audit events parsed by the detections.",
            &self.events_parsed,
        );
        counter(
            "kubeward_audit_events_dropped_total",
            "Audit events refused (batches not queued) or that could not be parsed.",
            &self.events_dropped,
        );
        counter(
            "kubeward_audit_queue_errors_total",
            "Queue write failures (answered 500).",
            &self.queue_errors,
        );
        counter(
            "kubeward_audit_alerts_stored_total",
            "Alerts newly stored in the alert database.",
            &self.alerts_stored,
        );
        let _ = writeln!(
            s,
            "# HELP kubeward_audit_alerts_total Alerts emitted, by detection.\n# TYPE kubeward_audit_alerts_total counter"
        );
        for (code, n) in self.alerts.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(s, "kubeward_audit_alerts_total{{rule=\"{code}\"}} {n}");
        }
        let sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        type Pick = fn(&SinkCounts) -> u64;
        let series: [(&str, &str, Pick); 4] = [
            ("sent", "Alerts a sink delivered.", |c| c.sent),
            ("held", "Alerts a sink's rate limits held back.", |c| c.held),
            (
                "failed",
                "Alerts a sink's endpoint refused for good.",
                |c| c.failed,
            ),
            ("retries", "Deliveries a sink retried.", |c| c.retries),
        ];
        for (what, help, pick) in series {
            let _ = writeln!(
                s,
                "# HELP kubeward_audit_sink_{what}_total {help}\n# TYPE kubeward_audit_sink_{what}_total counter"
            );
            for (name, c) in sinks.iter() {
                let name = name.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(
                    s,
                    "kubeward_audit_sink_{what}_total{{sink=\"{name}\"}} {}",
                    pick(c)
                );
            }
        }
        drop(sinks);
        let _ = writeln!(
            s,
            "# HELP kubeward_audit_queue_depth_bytes Bytes queued and not yet processed.\n# TYPE kubeward_audit_queue_depth_bytes gauge\nkubeward_audit_queue_depth_bytes {depth}"
        );
        let _ = writeln!(
            s,
            "# HELP kubeward_audit_queue_limit_bytes Queue size above which batches get 429.\n# TYPE kubeward_audit_queue_limit_bytes gauge\nkubeward_audit_queue_limit_bytes {limit}"
        );
        s
    }
}
