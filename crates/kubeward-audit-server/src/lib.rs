//! kubeward's real-time audit receiver (`kubeward audit serve`).
//!
//! The API server's audit webhook backend POSTs `EventList` batches over HTTPS; each batch is
//! written durably to an on-disk [`queue`] before it is acknowledged; a [`process`] thread
//! reads the queue, runs kubeward-audit's detection engine, writes alerts as JSON lines and
//! stores them in an SQLite [`store`]; [`sinks`] deliver them from there to chat webhooks and
//! Alertmanager.

#![forbid(unsafe_code)]

pub mod metrics;
pub mod process;
pub mod queue;
pub mod server;
pub mod sinks;
pub mod store;
pub use kubeward_tls as tls;

pub use metrics::Metrics;
pub use process::Output;
pub use queue::Queue;
pub use server::{Auth, ServeError, Server, ServerOptions};

use kubeward_audit::config::AuditConfig;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything `kubeward audit serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub server: ServerOptions,
    pub queue_dir: PathBuf,
    /// Bytes waiting in the queue above which batches are answered 429.
    pub queue_limit: u64,
    pub output: Output,
    /// The alert database (SQLite).
    pub db: PathBuf,
    /// Alerts stored longer ago than this are deleted (microseconds); `None` keeps all.
    pub retention: Option<i64>,
    /// Receive and queue only, do not process (operations and tests: fills the queue).
    pub hold: bool,
}

/// Runs the receiver and the processor until SIGTERM or Ctrl-C; then stops accepting,
/// processes what is queued and checkpoints.
pub fn run_until_signal(cfg: ServeConfig, audit: Arc<AuditConfig>) -> Result<(), String> {
    let queue = Arc::new(
        Queue::open(&cfg.queue_dir, cfg.queue_limit)
            .map_err(|e| format!("cannot open the queue {}: {e}", cfg.queue_dir.display()))?,
    );
    let metrics = Arc::new(Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    let db = process::Db {
        store: store::Store::open(&cfg.db).map_err(|e| e.to_string())?,
        retention: cfg.retention,
    };
    let mut workers = Vec::new();
    for s in &audit.sinks {
        let w =
            sinks::Worker::new(s.clone(), &cfg.db, metrics.clone()).map_err(|e| e.to_string())?;
        workers.push(w);
    }
    let sinks_stop = Arc::new(AtomicBool::new(false));
    let mut sink_threads = Vec::new();
    for w in workers {
        let s = sinks_stop.clone();
        let name = w.cfg.name.clone();
        let h = std::thread::Builder::new()
            .name(format!("kubeward-sink-{name}"))
            .spawn(move || w.run(s))
            .map_err(|e| format!("cannot start sink `{name}`: {e}"))?;
        sink_threads.push((name, h));
    }
    let processor = (!cfg.hold).then(|| {
        let (q, m, s, o, a) = (
            queue.clone(),
            metrics.clone(),
            stop.clone(),
            cfg.output.clone(),
            audit.clone(),
        );
        std::thread::Builder::new()
            .name("kubeward-audit-process".into())
            .spawn(move || process::run(q, a, o, db, m, s))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("kubeward-audit")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(async {
        let server = Server::start(cfg.server.clone(), queue.clone(), metrics.clone())
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "kubeward audit: listening on https://{} (queue {}, limit {} bytes)",
            server.addr(),
            cfg.queue_dir.display(),
            cfg.queue_limit
        );
        wait_for_signal().await;
        eprintln!("kubeward audit: shutting down");
        server.shutdown().await;
        Ok::<(), String>(())
    });
    stop.store(true, Ordering::Release);
    queue.wake();
    let processed = match processor {
        Some(Ok(h)) => match h.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("processing stopped: {e}")),
            Err(_) => Err("processing thread panicked".into()),
        },
        Some(Err(e)) => Err(format!("cannot start the processing thread: {e}")),
        None => Ok(()),
    };
    // The sinks deliver what the last checkpoint stored, then stop.
    sinks_stop.store(true, Ordering::Release);
    for (name, h) in sink_threads {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("kubeward audit: sink `{name}` stopped: {e}"),
            Err(_) => eprintln!("kubeward audit: sink `{name}` panicked"),
        }
    }
    processed?;
    served
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
