//! The processing loop: reads the queue in order, runs the detections on every event, writes
//! each new alert as one JSON line, stores it in the alert database, and checkpoints.
//!
//! At a checkpoint the alerts since the last one are inserted into the database in one
//! transaction (a replayed alert is ignored there: see [`crate::store`]), then the output is
//! synced, then the queue position is recorded.
//!
//! Exactly once with a file output: a checkpoint records the queue offset together with the
//! output file's length; the output is `fsync`ed before the checkpoint is written, and at
//! startup the output is cut back to the checkpoint's length, so alerts of batches processed
//! after the last checkpoint are written again once, not twice. With standard output the
//! delivery is at least once. The detection windows (bursts, enumerations) live in memory and
//! start empty after a restart.

use crate::metrics::Metrics;
use crate::queue::{Checkpoint, Queue};
use crate::store::{NewAlert, Store, now_micros};
use kubeward_audit::config::AuditConfig;
use kubeward_audit::detect::{Alert, Engine};
use kubeward_audit::source;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Where alerts go.
#[derive(Debug, Clone)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

enum Out {
    Stdout(io::Stdout),
    File { file: io::BufWriter<File>, len: u64 },
}

impl Out {
    fn open(o: &Output, ckpt: Checkpoint) -> io::Result<Out> {
        match o {
            Output::Stdout => Ok(Out::Stdout(io::stdout())),
            Output::File(p) => {
                let file = OpenOptions::new()
                    .create(true)
                    .read(true)
                    .write(true)
                    .truncate(false)
                    .open(p)?;
                let mut len = file.metadata()?.len();
                if len > ckpt.output {
                    // Alerts written after the last checkpoint: they will be written again.
                    file.set_len(ckpt.output)?;
                    file.sync_all()?;
                    len = ckpt.output;
                }
                let mut file = file;
                io::Seek::seek(&mut file, io::SeekFrom::Start(len))?;
                Ok(Out::File {
                    file: io::BufWriter::with_capacity(256 << 10, file),
                    len,
                })
            }
        }
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Out::Stdout(s) => {
                let mut l = s.lock();
                l.write_all(line)?;
                l.write_all(b"\n")
            }
            Out::File { file, len } => {
                file.write_all(line)?;
                file.write_all(b"\n")?;
                *len += line.len() as u64 + 1;
                Ok(())
            }
        }
    }

    /// Makes what was written durable; returns the length to checkpoint.
    fn sync(&mut self) -> io::Result<u64> {
        match self {
            Out::Stdout(s) => {
                s.lock().flush()?;
                Ok(0)
            }
            Out::File { file, len } => {
                file.flush()?;
                file.get_ref().sync_data()?;
                Ok(*len)
            }
        }
    }
}

/// Streaming dedup: an alert is sent unless one with the same key was sent within the window.
#[derive(Debug)]
struct Dedup {
    window: i64,
    last: HashMap<String, i64>,
    newest: i64,
}

impl Dedup {
    fn fresh(&mut self, a: &Alert) -> bool {
        let t = a.first_time();
        self.newest = self.newest.max(a.last_time());
        if self.last.len() > 100_000 {
            let (w, n) = (self.window, self.newest);
            self.last.retain(|_, &mut l| n - l <= w);
        }
        match self.last.get_mut(&a.dedup_key) {
            Some(l) if t - *l <= self.window && t >= *l - self.window => {
                *l = (*l).max(a.last_time());
                false
            }
            _ => {
                self.last.insert(a.dedup_key.clone(), a.last_time());
                true
            }
        }
    }
}

/// Checkpoint after this many batches even while busy.
const CHECKPOINT_BATCHES: u32 = 256;
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// How often old alerts are deleted from the database.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The alert database and how long it keeps alerts.
#[derive(Debug)]
pub struct Db {
    pub store: Store,
    /// Alerts stored longer ago than this are deleted (microseconds); `None` keeps all.
    pub retention: Option<i64>,
}

impl Db {
    fn prune(&self) -> io::Result<()> {
        if let Some(r) = self.retention {
            self.store
                .prune(now_micros().saturating_sub(r))
                .map_err(io::Error::other)?;
        }
        Ok(())
    }
}

/// Stores the alerts since the last checkpoint, syncs the output, records the position.
fn commit(
    db: &mut Db,
    fresh: &mut Vec<NewAlert>,
    out: &mut Out,
    queue: &Queue,
    pos: u64,
    metrics: &Metrics,
) -> io::Result<()> {
    let added = db.store.insert(fresh).map_err(io::Error::other)?;
    fresh.clear();
    Metrics::inc(&metrics.alerts_stored, added as u64);
    let len = out.sync()?;
    queue.save_checkpoint(Checkpoint {
        queue: pos,
        output: len,
    })
}

/// Runs until `stop` is set and everything committed is processed. Errors are I/O errors of
/// the queue, the checkpoint, the output or the database.
pub fn run(
    queue: Arc<Queue>,
    cfg: Arc<AuditConfig>,
    output: Output,
    mut db: Db,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    db.prune()?;
    let mut last_prune = Instant::now();
    let mut fresh: Vec<NewAlert> = Vec::new();
    let ckpt = queue.checkpoint()?;
    let mut out = Out::open(&output, ckpt)?;
    let mut reader = queue.reader(ckpt.queue);
    let mut engine = Engine::new(cfg.clone());
    let mut dedup = Dedup {
        window: cfg.thresholds.dedup_window,
        last: HashMap::new(),
        newest: i64::MIN,
    };
    let name: Arc<str> = "webhook".into();
    let mut alerts = Vec::new();
    let mut pending = 0u32;
    let mut last_ckpt = Instant::now();
    let mut line = Vec::with_capacity(4096);
    loop {
        let committed = queue.committed();
        let Some(batch) = reader.next(committed)? else {
            if pending > 0 {
                commit(
                    &mut db,
                    &mut fresh,
                    &mut out,
                    &queue,
                    reader.pos(),
                    &metrics,
                )?;
                pending = 0;
                last_ckpt = Instant::now();
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                db.prune()?;
                last_prune = Instant::now();
            }
            if stop.load(Ordering::Acquire) && queue.committed() <= reader.pos() {
                return Ok(());
            }
            queue.wait_past(reader.pos(), Duration::from_millis(200));
            continue;
        };
        let mut err = None;
        let (stats, _errors) = source::read_stream(name.clone(), &batch[..], &mut |ev, rec| {
            engine.push(ev, Some(rec), &mut alerts);
            for a in alerts.drain(..) {
                if !dedup.fresh(&a) {
                    continue;
                }
                metrics.alert(a.code);
                line.clear();
                if serde_json::to_writer(&mut line, &a).is_ok() {
                    if let Err(e) = out.write_line(&line)
                        && err.is_none()
                    {
                        err = Some(e);
                    }
                    fresh.push(NewAlert::new(
                        &a,
                        String::from_utf8_lossy(&line).into_owned(),
                    ));
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        Metrics::inc(&metrics.events_parsed, stats.events);
        Metrics::inc(&metrics.events_dropped, stats.bad_records);
        pending += 1;
        if pending >= CHECKPOINT_BATCHES || last_ckpt.elapsed() >= CHECKPOINT_EVERY {
            commit(
                &mut db,
                &mut fresh,
                &mut out,
                &queue,
                reader.pos(),
                &metrics,
            )?;
            pending = 0;
            last_ckpt = Instant::now();
        }
    }
}
