//! kubeward's node and etcd checks.
//!
//! ```text
//! --root DIR ──► Root ──► NodeConfig::discover ──► checks::run ──► Report (table, JSON, SARIF)
//!                 │        static pods, /proc,        CIS 1–4 on
//!                 │        systemd units, kubelet     effective values
//!                 │        config, files they name
//! etcd endpoint ──► etcd::check (etcd-client) ──► EtcdReport
//! ```
//!
//! Every value the checks judge carries its source (file:line, process argument, or the
//! component's default). Key material and Secret values are never read into a report.

pub mod auditpolicy;
pub mod bench;
pub mod checks;
pub mod config;
pub mod encryption;
pub mod error;
pub mod etcd;
pub mod flags;
pub mod fsroot;
pub mod kubelet;
pub mod manifests;
pub mod origin;
pub mod procs;
pub mod report;
pub mod rules;
pub mod staticpod;
pub mod systemd;
pub mod yamlfile;

pub use bench::Benchmark;
pub use checks::{CheckResult, Status};
pub use error::{Error, Problem};
pub use report::Report;

use std::path::PathBuf;

/// What `kubeward node` checks.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// The node's root filesystem (`/` on the node itself).
    pub root: PathBuf,
    /// Where the node's process table is mounted (default `ROOT/proc`).
    pub proc_dir: Option<PathBuf>,
    /// A benchmark chosen by the user.
    pub benchmark: Option<Benchmark>,
    /// The Kubernetes version, when the node does not show it (workers).
    pub kubernetes_version: Option<String>,
}

/// Reads the node under `opts.root` and runs the benchmark's checks.
pub fn check_node(opts: &NodeOptions) -> Result<Report, Error> {
    let root = fsroot::Root::new(&opts.root, opts.proc_dir.as_deref())?;
    let cfg = config::NodeConfig::discover(root)?;
    let mut notes = cfg.notes.clone();
    let (benchmark, reason) = choose_benchmark(opts, &cfg, &mut notes)?;
    let cx = checks::Context::new(&cfg, benchmark);
    let results = checks::run(&cx);
    let mut errors = cfg.problems.clone();
    errors.extend(cx.problems());
    let encryption = match &cx.encryption {
        Some(Ok(a)) => Some(a.clone()),
        _ => None,
    };
    let audit_policy = match &cx.policy {
        Some(Ok(p)) => Some(p.concerns()),
        _ => None,
    };
    Ok(Report::new(
        &cfg,
        benchmark,
        reason,
        results,
        report::Extras {
            encryption,
            audit_policy,
            errors,
            notes,
        },
    ))
}

fn choose_benchmark(
    opts: &NodeOptions,
    cfg: &config::NodeConfig,
    notes: &mut Vec<String>,
) -> Result<(Benchmark, String), Error> {
    if let Some(b) = opts.benchmark {
        return Ok((b, "chosen with --benchmark".into()));
    }
    let (version, from) = match (&opts.kubernetes_version, &cfg.version) {
        (Some(v), _) => (v.clone(), "--kubernetes-version".to_string()),
        (None, Some(s)) => (s.value.clone(), s.source.to_string()),
        (None, None) => {
            return Ok((
                Benchmark::NEWEST,
                format!(
                    "the Kubernetes version is not visible on this node (no control-plane image): \
                     the newest benchmark, {}; choose with --benchmark or --kubernetes-version",
                    Benchmark::NEWEST.name()
                ),
            ));
        }
    };
    let (major, minor, _) = staticpod::parse_version(&version).ok_or_else(|| {
        Error::Usage(format!(
            "invalid Kubernetes version `{version}` (from {from}): expected MAJOR.MINOR[.PATCH], e.g. 1.30"
        ))
    })?;
    let (b, note) = Benchmark::for_version(major, minor);
    if let Some(n) = note {
        notes.push(n);
    }
    Ok((
        b,
        format!(
            "Kubernetes {major}.{minor} (from {from}) maps to {}",
            b.name()
        ),
    ))
}
