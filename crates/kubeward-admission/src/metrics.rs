//! The server's metrics, in the Prometheus text exposition format (`GET /metrics`).
//!
//! Every label set is fixed when the server starts (operations, outcomes, error reasons, the
//! registry's rules and the actions), so counting is an atomic add and the memory is bounded.

use crate::config::Action;
use crate::judge::{Decision, Outcome};
use crate::review::Operation;
use kubeward_rules::registry;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Why a request to `/validate` got no AdmissionReview answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    /// 400: not an AdmissionReview kubeward can read.
    BadRequest,
    /// 413: over `--max-body-size`.
    BodyTooLarge,
    /// 408: the body did not arrive in time.
    BodyTimeout,
    /// 504: no answer within `--deadline`.
    Deadline,
    /// 503: over `--max-in-flight`, or shutting down.
    Overloaded,
    /// 415: not JSON.
    UnsupportedMediaType,
    /// The evaluation task failed (a bug; answered 500).
    Internal,
    /// A namespace could not be read (the default level was used).
    NamespaceLookup,
    /// The role a binding names could not be read (the binding was judged without it).
    RoleLookup,
    /// Listing namespaces failed (the last list is kept).
    NamespaceList,
    /// New certificate files could not be loaded (the old certificate is kept).
    CertReload,
}

impl ErrorReason {
    pub const ALL: [ErrorReason; 11] = [
        ErrorReason::BadRequest,
        ErrorReason::BodyTooLarge,
        ErrorReason::BodyTimeout,
        ErrorReason::Deadline,
        ErrorReason::Overloaded,
        ErrorReason::UnsupportedMediaType,
        ErrorReason::Internal,
        ErrorReason::NamespaceLookup,
        ErrorReason::RoleLookup,
        ErrorReason::NamespaceList,
        ErrorReason::CertReload,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::BadRequest => "bad_request",
            ErrorReason::BodyTooLarge => "body_too_large",
            ErrorReason::BodyTimeout => "body_timeout",
            ErrorReason::Deadline => "deadline_exceeded",
            ErrorReason::Overloaded => "overloaded",
            ErrorReason::UnsupportedMediaType => "unsupported_media_type",
            ErrorReason::Internal => "internal",
            ErrorReason::NamespaceLookup => "namespace_lookup",
            ErrorReason::RoleLookup => "role_lookup",
            ErrorReason::NamespaceList => "namespace_list",
            ErrorReason::CertReload => "cert_reload",
        }
    }
}

const OPS: usize = Operation::ALL.len();
const OUTCOMES: usize = Outcome::ALL.len();
const ACTIONS: usize = Action::ALL.len();

/// Counters and the latency histogram.
#[derive(Debug)]
pub struct Metrics {
    /// [operation][outcome][dry_run]
    requests: Vec<AtomicU64>,
    /// [rule][action]
    decisions: Vec<AtomicU64>,
    errors: [AtomicU64; ErrorReason::ALL.len()],
    /// Cumulative bucket counts are computed when rendering; these are per bucket (+Inf last).
    latency: [AtomicU64; BUCKETS.len() + 1],
    latency_sum_ns: AtomicU64,
    latency_count: AtomicU64,
    in_flight: AtomicI64,
    cert_reloads: AtomicU64,
    namespaces: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn zeros(n: usize) -> Vec<AtomicU64> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            requests: zeros(OPS * OUTCOMES * 2),
            decisions: zeros(registry().len() * ACTIONS),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_sum_ns: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
            in_flight: AtomicI64::new(0),
            cert_reloads: AtomicU64::new(0),
            namespaces: AtomicU64::new(0),
        }
    }

    /// Counts an answered review and, unless it was a dry run, its violations.
    pub fn decision(&self, d: &Decision) {
        let op = Operation::ALL
            .iter()
            .position(|o| *o == d.operation)
            .unwrap_or(0);
        let outcome = Outcome::ALL
            .iter()
            .position(|o| *o == d.outcome)
            .unwrap_or(0);
        let i = (op * OUTCOMES + outcome) * 2 + usize::from(d.dry_run);
        if let Some(c) = self.requests.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if d.dry_run {
            return;
        }
        for v in &d.violations {
            let Some(rule) = registry().iter().position(|r| r.meta.code == v.rule.code) else {
                continue;
            };
            let action = Action::ALL.iter().position(|a| *a == v.action).unwrap_or(0);
            if let Some(c) = self.decisions.get(rule * ACTIONS + action) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn error(&self, reason: ErrorReason) {
        if let Some(i) = ErrorReason::ALL.iter().position(|r| *r == reason) {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ns.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    pub fn cert_reloaded(&self) {
        self.cert_reloads.fetch_add(1, Ordering::Relaxed);
    }

    pub fn namespaces_known(&self, n: usize) {
        self.namespaces.store(n as u64, Ordering::Relaxed);
    }

    /// Total answered reviews (all operations and outcomes).
    pub fn reviews(&self) -> u64 {
        self.requests
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The count of one error reason.
    pub fn errors(&self, reason: ErrorReason) -> u64 {
        ErrorReason::ALL
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.errors[i].load(Ordering::Relaxed))
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);

        out.push_str("# HELP kubeward_admission_requests_total AdmissionReviews answered, by operation, outcome (skipped, allowed, warned, denied) and dry run.\n");
        out.push_str("# TYPE kubeward_admission_requests_total counter\n");
        for (o, op) in Operation::ALL.iter().enumerate() {
            for (k, outcome) in Outcome::ALL.iter().enumerate() {
                for dry in [false, true] {
                    let n = load(&self.requests[(o * OUTCOMES + k) * 2 + usize::from(dry)]);
                    let _ = writeln!(
                        out,
                        "kubeward_admission_requests_total{{operation=\"{}\",outcome=\"{}\",dry_run=\"{dry}\"}} {n}",
                        op.as_str(),
                        outcome.as_str()
                    );
                }
            }
        }

        out.push_str("# HELP kubeward_admission_decisions_total Violations found in admitted or denied requests (dry runs excluded), by rule and action.\n");
        out.push_str("# TYPE kubeward_admission_decisions_total counter\n");
        for (r, rule) in registry().iter().enumerate() {
            for (a, action) in Action::ALL.iter().enumerate() {
                let n = load(&self.decisions[r * ACTIONS + a]);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "kubeward_admission_decisions_total{{rule=\"{}\",name=\"{}\",action=\"{}\"}} {n}",
                        rule.meta.code,
                        rule.meta.name,
                        action.as_str()
                    );
                }
            }
        }

        out.push_str("# HELP kubeward_admission_errors_total Requests not answered with an AdmissionReview, and failures of background work, by reason.\n");
        out.push_str("# TYPE kubeward_admission_errors_total counter\n");
        for (i, reason) in ErrorReason::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "kubeward_admission_errors_total{{reason=\"{}\"}} {}",
                reason.as_str(),
                load(&self.errors[i])
            );
        }

        out.push_str("# HELP kubeward_admission_request_duration_seconds Time from receiving a /validate request to its answer.\n");
        out.push_str("# TYPE kubeward_admission_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += load(&self.latency[i]);
            let _ = writeln!(
                out,
                "kubeward_admission_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += load(&self.latency[BUCKETS.len()]);
        let _ = writeln!(
            out,
            "kubeward_admission_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "kubeward_admission_request_duration_seconds_sum {}",
            load(&self.latency_sum_ns) as f64 / 1e9
        );
        let _ = writeln!(
            out,
            "kubeward_admission_request_duration_seconds_count {}",
            load(&self.latency_count)
        );

        out.push_str("# HELP kubeward_admission_in_flight Requests to /validate being handled.\n");
        out.push_str("# TYPE kubeward_admission_in_flight gauge\n");
        let _ = writeln!(
            out,
            "kubeward_admission_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str("# HELP kubeward_admission_certificate_reloads_total Serving certificates loaded after a change of the files.\n");
        out.push_str("# TYPE kubeward_admission_certificate_reloads_total counter\n");
        let _ = writeln!(
            out,
            "kubeward_admission_certificate_reloads_total {}",
            load(&self.cert_reloads)
        );
        out.push_str("# HELP kubeward_admission_namespaces Namespaces whose labels are known.\n");
        out.push_str("# TYPE kubeward_admission_namespaces gauge\n");
        let _ = writeln!(
            out,
            "kubeward_admission_namespaces {}",
            load(&self.namespaces)
        );
        out
    }
}
