//! The on-disk queue between the HTTPS receiver and the detections.
//!
//! A batch is appended to the current segment file and `fsync`ed before the receiver answers
//! 200, so whatever the API server believes delivered survives a crash. Appends commit in
//! groups: a batch is written under the writer lock, then its thread waits until the data is
//! durable up to its end; the first waiting thread runs one `fdatasync` for everything written
//! so far, outside the lock, while later batches keep writing and then share the next one. Positions are logical
//! byte offsets over all segments; a segment is named by the offset of its first byte
//! (`00000000000000000000.seg`). A record is `KWQ1`, the payload length (u32 LE), an FNV-1a
//! hash of the payload (u64 LE), then the payload. At startup the last segment is scanned and
//! cut at the first incomplete or damaged record (a write torn by a crash: never acknowledged).
//!
//! The processor records how far it got in `checkpoint.json` (written to a temporary file,
//! `fsync`ed and renamed), together with the length of the alert output file at that point, so
//! a restart resumes where the last checkpoint was and drops alerts written after it.
//! Segments wholly before the checkpoint are deleted.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

const MAGIC: &[u8; 4] = b"KWQ1";
const HEADER: u64 = 16;
/// A new segment is started when the current one would grow past this.
pub const SEGMENT_SIZE: u64 = 64 << 20;

/// Why a batch was not queued.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("the queue is full ({depth} bytes waiting, limit {limit})")]
    Full { depth: u64, limit: u64 },
    #[error("cannot write the queue: {0}")]
    Io(#[from] io::Error),
}

/// Where the processor got to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Queue offset of the first record not processed.
    pub queue: u64,
    /// Length of the alert output file when `queue` was reached (0 for standard output).
    pub output: u64,
}

#[derive(Debug)]
struct Writer {
    /// Shared with the thread that syncs it outside the lock.
    file: Arc<File>,
    seg_start: u64,
    /// End of the data written, durable or not.
    end: u64,
    /// The file could not be cut back after a failed write or sync: its end is unknown, so
    /// nothing more is appended until a restart scans it.
    broken: bool,
}

/// Group commit state.
#[derive(Debug, Default)]
struct Commit {
    /// End of the durable data.
    durable: u64,
    /// A thread is syncing.
    syncing: bool,
    /// Where the data was cut back after each failed sync (the durable end then). A record
    /// written before the k-th cut and ending past `cuts[k]` is gone: its append fails.
    cuts: Vec<u64>,
}

/// The queue: one writer at a time (the receiver's appends, serialised by a lock, durable in
/// groups), one reader (the processor).
#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    writer: Mutex<Writer>,
    commit: Mutex<Commit>,
    /// Signalled when a sync ends.
    synced: Condvar,
    /// End of the durable data (the reader's limit; `commit.durable` as an atomic).
    committed: AtomicU64,
    /// Offset the processor has reached (in memory; the checkpoint is the durable copy).
    processed: AtomicU64,
    limit: u64,
    segment_size: u64,
    /// How many times data was cut back after a failed sync: readers then drop what they
    /// buffered past the durable end.
    cut_count: Arc<AtomicU64>,
    signal: (Mutex<()>, Condvar),
    /// Tests: how many of the next syncs fail.
    #[cfg(test)]
    fail_syncs: std::sync::atomic::AtomicU32,
    /// Tests: segment start -> its length at its last successful sync.
    #[cfg(test)]
    synced_len: Mutex<std::collections::HashMap<u64, u64>>,
    /// Tests: the next sync says it started, then waits for a go.
    #[cfg(test)]
    pause_sync: Mutex<Option<(std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>)>>,
}

fn hash(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn seg_name(start: u64) -> String {
    format!("{start:020}.seg")
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Segment start offsets in the directory, ascending.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".seg")
            && let Ok(v) = n.parse::<u64>()
        {
            out.push(v);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Reads one record at the reader's position; `Ok(None)` at the end of the file or at an
/// incomplete or damaged record.
fn read_record(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut head = [0u8; HEADER as usize];
    let mut got = 0;
    while got < head.len() {
        let n = r.read(&mut head[got..])?;
        if n == 0 {
            return Ok(None);
        }
        got += n;
    }
    if &head[..4] != MAGIC {
        return Ok(None);
    }
    let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let mut h = [0u8; 8];
    h.copy_from_slice(&head[8..16]);
    let mut payload = vec![0u8; len];
    if let Err(e) = r.read_exact(&mut payload) {
        return if e.kind() == io::ErrorKind::UnexpectedEof {
            Ok(None)
        } else {
            Err(e)
        };
    }
    if hash(&payload) != u64::from_le_bytes(h) {
        return Ok(None);
    }
    Ok(Some(payload))
}

impl Queue {
    /// Opens (or creates) the queue in `dir`; `limit` is the most bytes waiting to be
    /// processed before appends are refused.
    pub fn open(dir: &Path, limit: u64) -> io::Result<Queue> {
        Queue::open_with(dir, limit, SEGMENT_SIZE)
    }

    fn open_with(dir: &Path, limit: u64, segment_size: u64) -> io::Result<Queue> {
        std::fs::create_dir_all(dir)?;
        let ckpt = read_checkpoint(dir)?;
        let segs = segments(dir)?;
        let seg_start = segs.last().copied().unwrap_or(ckpt.queue);
        let path = dir.join(seg_name(seg_start));
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        // Keep the complete records; cut a torn tail.
        let mut valid = 0u64;
        {
            let mut r = io::BufReader::new(&mut file);
            r.seek(SeekFrom::Start(0))?;
            while let Some(p) = read_record(&mut r)? {
                valid += HEADER + p.len() as u64;
            }
        }
        if file.metadata()?.len() != valid {
            file.set_len(valid)?;
            file.sync_all()?;
        }
        sync_dir(dir)?;
        let end = seg_start + valid;
        let processed = ckpt.queue.min(end);
        Ok(Queue {
            dir: dir.to_path_buf(),
            writer: Mutex::new(Writer {
                file: Arc::new(file),
                seg_start,
                end,
                broken: false,
            }),
            commit: Mutex::new(Commit {
                durable: end,
                ..Commit::default()
            }),
            synced: Condvar::new(),
            committed: AtomicU64::new(end),
            processed: AtomicU64::new(processed),
            limit,
            segment_size,
            cut_count: Arc::default(),
            signal: (Mutex::new(()), Condvar::new()),
            #[cfg(test)]
            fail_syncs: std::sync::atomic::AtomicU32::new(0),
            #[cfg(test)]
            synced_len: Mutex::default(),
            #[cfg(test)]
            pause_sync: Mutex::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes written and not yet processed.
    pub fn depth(&self) -> u64 {
        self.committed
            .load(Ordering::Acquire)
            .saturating_sub(self.processed.load(Ordering::Acquire))
    }

    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_commit(&self) -> MutexGuard<'_, Commit> {
        self.commit.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sync(&self, file: &File, seg_start: u64) -> io::Result<()> {
        #[cfg(test)]
        {
            let pause = self
                .pause_sync
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            if let Some((started, go)) = pause {
                let _ = started.send(());
                let _ = go.recv();
            }
            if self
                .fail_syncs
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(io::Error::other("injected sync failure"));
            }
            let len = file.metadata()?.len();
            file.sync_data()?;
            let mut synced = self.synced_len.lock().unwrap_or_else(|e| e.into_inner());
            let l = synced.entry(seg_start).or_default();
            *l = (*l).max(len);
            Ok(())
        }
        #[cfg(not(test))]
        {
            let _ = seg_start;
            file.sync_data()
        }
    }

    /// Records that the data up to `end` is durable and wakes the appenders and the reader.
    fn advance(&self, c: &mut Commit, end: u64) {
        if end > c.durable {
            c.durable = end;
            self.committed.store(end, Ordering::Release);
            let _g = self.signal.0.lock().unwrap_or_else(|e| e.into_inner());
            self.signal.1.notify_all();
        }
    }

    /// After a failed sync: drops everything past the durable end (its appends fail), so
    /// nothing answered with an error is processed later.
    fn cut(&self, w: &mut Writer, c: &mut Commit) {
        let keep = c.durable;
        if w.end > keep && w.file.set_len(keep - w.seg_start).is_err() {
            w.broken = true;
        }
        w.end = w.end.min(keep);
        c.cuts.push(keep);
        // Before anything is written again (and committed) at the offsets cut.
        self.cut_count.fetch_add(1, Ordering::AcqRel);
        #[cfg(test)]
        if let Some(l) = self
            .synced_len
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&w.seg_start)
        {
            *l = (*l).min(keep - w.seg_start);
        }
    }

    /// Appends one record and makes it durable; returns the offset after it. Concurrent
    /// appends are written in the order they take the lock and share `fdatasync`s; none
    /// returns before the sync that covers its bytes.
    pub fn append(&self, payload: &[u8]) -> Result<u64, AppendError> {
        let len = HEADER + payload.len() as u64;
        let plen = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        let mut rec = Vec::with_capacity(len as usize);
        rec.extend_from_slice(MAGIC);
        rec.extend_from_slice(&plen.to_le_bytes());
        rec.extend_from_slice(&hash(payload).to_le_bytes());
        rec.extend_from_slice(payload);

        let (end, generation) = {
            let mut w = self.lock_writer();
            if w.broken {
                return Err(io::Error::other(
                    "the queue could not be repaired after a write error",
                )
                .into());
            }
            let depth = w.end.saturating_sub(self.processed.load(Ordering::Acquire));
            if depth + len > self.limit {
                return Err(AppendError::Full {
                    depth,
                    limit: self.limit,
                });
            }
            if w.end > w.seg_start && w.end - w.seg_start + len > self.segment_size {
                // A sync covers only the current segment: make the old one durable first.
                if let Err(e) = self.sync(&w.file, w.seg_start) {
                    let mut c = self.lock_commit();
                    self.cut(&mut w, &mut c);
                    self.synced.notify_all();
                    return Err(e.into());
                }
                let end = w.end;
                self.advance(&mut self.lock_commit(), end);
                self.synced.notify_all();
                let file = OpenOptions::new()
                    .create(true)
                    .read(true)
                    .append(true)
                    .open(self.dir.join(seg_name(w.end)))?;
                sync_dir(&self.dir)?;
                w.seg_start = w.end;
                w.file = Arc::new(file);
            }
            let generation = self.lock_commit().cuts.len();
            if let Err(e) = (&*w.file).write_all(&rec) {
                // Cut what may have been written so the next record starts clean (and a
                // reader drops what it buffered of it).
                let keep = w.end - w.seg_start;
                if w.file.set_len(keep).is_err() {
                    w.broken = true;
                }
                self.cut_count.fetch_add(1, Ordering::AcqRel);
                return Err(e.into());
            }
            w.end += len;
            (w.end, generation)
        };
        self.wait_durable(end, generation)?;
        Ok(end)
    }

    /// Waits until the data is durable up to `end` (written while `generation` cuts had been
    /// made), syncing when no other thread is.
    fn wait_durable(&self, end: u64, generation: usize) -> io::Result<()> {
        let mut c = self.lock_commit();
        loop {
            if let Some(&cut) = c.cuts.get(generation) {
                if cut >= end {
                    return Ok(());
                }
                return Err(io::Error::other(
                    "the queue could not sync this batch to disk",
                ));
            }
            if c.durable >= end {
                return Ok(());
            }
            if c.syncing {
                c = self.synced.wait(c).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            c.syncing = true;
            drop(c);
            // Everything written up to `target` is in this file (a new segment is started
            // only after the old one is durable).
            let (file, seg_start, target, cuts) = {
                let w = self.lock_writer();
                let cuts = self.lock_commit().cuts.len();
                (w.file.clone(), w.seg_start, w.end, cuts)
            };
            let res = self.sync(&file, seg_start);
            c = if res.is_ok() {
                let mut c = self.lock_commit();
                // A cut meanwhile (a failed sync when a segment was started) may have
                // replaced bytes before `target`: then this sync proves nothing; go again.
                if c.cuts.len() == cuts {
                    self.advance(&mut c, target);
                }
                c
            } else {
                let mut w = self.lock_writer();
                let mut c = self.lock_commit();
                self.cut(&mut w, &mut c);
                c
            };
            c.syncing = false;
            self.synced.notify_all();
        }
    }

    /// Waits until data past `pos` is committed, or `timeout` passes.
    pub fn wait_past(&self, pos: u64, timeout: Duration) -> bool {
        let g = self.signal.0.lock().unwrap_or_else(|e| e.into_inner());
        if self.committed() > pos {
            return true;
        }
        let _ = self
            .signal
            .1
            .wait_timeout(g, timeout)
            .unwrap_or_else(|e| e.into_inner());
        self.committed() > pos
    }

    /// Wakes a reader waiting in [`Queue::wait_past`].
    pub fn wake(&self) {
        let _g = self.signal.0.lock().unwrap_or_else(|e| e.into_inner());
        self.signal.1.notify_all();
    }

    /// The durable checkpoint.
    pub fn checkpoint(&self) -> io::Result<Checkpoint> {
        read_checkpoint(&self.dir)
    }

    /// Records the checkpoint durably, then deletes the segments wholly before it.
    pub fn save_checkpoint(&self, c: Checkpoint) -> io::Result<()> {
        let tmp = self.dir.join("checkpoint.json.tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(&c).map_err(io::Error::other)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, self.dir.join("checkpoint.json"))?;
        sync_dir(&self.dir)?;
        self.processed.store(c.queue, Ordering::Release);
        let segs = segments(&self.dir)?;
        for pair in segs.windows(2) {
            if pair[1] <= c.queue {
                let _ = std::fs::remove_file(self.dir.join(seg_name(pair[0])));
            }
        }
        Ok(())
    }

    /// A reader starting at `pos`.
    pub fn reader(&self, pos: u64) -> QueueReader {
        QueueReader {
            dir: self.dir.clone(),
            pos,
            cur: None,
            cuts: self.cut_count.clone(),
            seen_cuts: self.cut_count.load(Ordering::Acquire),
        }
    }
}

fn read_checkpoint(dir: &Path) -> io::Result<Checkpoint> {
    match std::fs::read(dir.join("checkpoint.json")) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("checkpoint: {e}"))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Checkpoint::default()),
        Err(e) => Err(e),
    }
}

/// Reads records in order.
#[derive(Debug)]
pub struct QueueReader {
    dir: PathBuf,
    pos: u64,
    cur: Option<(u64, io::BufReader<File>)>,
    /// The queue's cut count, and its value when `cur` was last known good: the buffer may
    /// hold bytes past the durable end that a failed sync cut and new records replaced.
    cuts: Arc<AtomicU64>,
    seen_cuts: u64,
}

impl QueueReader {
    pub fn pos(&self) -> u64 {
        self.pos
    }

    fn open_at(&mut self, pos: u64) -> io::Result<()> {
        let segs = segments(&self.dir)?;
        let Some(&start) = segs.iter().rev().find(|&&s| s <= pos) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no queue segment holds offset {pos}"),
            ));
        };
        let mut f =
            io::BufReader::with_capacity(1 << 20, File::open(self.dir.join(seg_name(start)))?);
        f.seek(SeekFrom::Start(pos - start))?;
        self.cur = Some((start, f));
        Ok(())
    }

    /// The next record, when one is committed before `committed`.
    pub fn next(&mut self, committed: u64) -> io::Result<Option<Vec<u8>>> {
        if self.pos >= committed {
            return Ok(None);
        }
        // `committed` was loaded after any cut below it was counted.
        let cuts = self.cuts.load(Ordering::Acquire);
        if cuts != self.seen_cuts {
            self.seen_cuts = cuts;
            self.cur = None;
        }
        for _ in 0..2 {
            if self.cur.is_none() {
                self.open_at(self.pos)?;
            }
            let Some((_, f)) = self.cur.as_mut() else {
                continue;
            };
            if let Some(p) = read_record(f)? {
                self.pos += HEADER + p.len() as u64;
                return Ok(Some(p));
            }
            // End of this segment: the next one starts at `pos`.
            self.cur = None;
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("queue damaged at offset {}", self.pos),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_reopen_and_torn_tails_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 1 << 20).unwrap();
        q.append(b"one").unwrap();
        let end = q.append(b"two").unwrap();
        drop(q);
        // A torn record after the good ones.
        let seg = dir.path().join(seg_name(0));
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"KWQ1\x10\0\0\0garbage").unwrap();
        drop(f);
        let q = Queue::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(q.committed(), end);
        let mut r = q.reader(0);
        assert_eq!(r.next(q.committed()).unwrap().unwrap(), b"one");
        assert_eq!(r.next(q.committed()).unwrap().unwrap(), b"two");
        assert!(r.next(q.committed()).unwrap().is_none());
        q.save_checkpoint(Checkpoint {
            queue: r.pos(),
            output: 0,
        })
        .unwrap();
        assert_eq!(q.depth(), 0);
        assert_eq!(q.checkpoint().unwrap().queue, end);
    }

    /// One thread's appends: each payload and what its append returned.
    type Outcomes = Vec<(Vec<u8>, Result<u64, String>)>;

    /// Every record in the queue directory, in order, after reopening it.
    fn reopen_and_read(dir: &Path) -> Vec<(Vec<u8>, u64)> {
        let q = Queue::open(dir, u64::MAX).unwrap();
        let mut r = q.reader(0);
        let mut out = Vec::new();
        while let Some(p) = r.next(q.committed()).unwrap() {
            out.push((p, r.pos()));
        }
        assert_eq!(r.pos(), q.committed());
        out
    }

    /// Appends from `threads` threads at once; per thread, the payloads and what each append
    /// returned. Checks that an append returns only once its bytes are committed.
    fn hammer(q: &Arc<Queue>, threads: usize, per_thread: usize) -> Vec<Outcomes> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let q = q.clone();
                std::thread::spawn(move || {
                    let mut out = Vec::new();
                    for i in 0..per_thread {
                        // Lengths vary so records straddle the small segments differently.
                        let p = format!("t{t}-{i:05}-{}", "x".repeat((t * 7 + i * 13) % 300))
                            .into_bytes();
                        let r = q.append(&p).map_err(|e| e.to_string());
                        if let Ok(end) = r {
                            assert!(q.committed() >= end, "acknowledged before committed");
                            // Its segment was synced at least up to its end.
                            let synced = q.synced_len.lock().unwrap();
                            let (seg, len) = synced
                                .iter()
                                .filter(|&(&seg, _)| seg < end)
                                .max_by_key(|&(&seg, _)| seg)
                                .expect("acknowledged before any sync");
                            assert!(*seg + *len >= end, "acknowledged before its sync");
                        }
                        out.push((p, r));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    }

    /// What `hammer` acknowledged is exactly what is on disk after a reopen, each record at
    /// the offset its append returned, each thread's records in the order it appended them.
    fn check_exact(dir: &Path, results: &[Outcomes]) -> usize {
        let on_disk = reopen_and_read(dir);
        let at: std::collections::HashMap<&[u8], (usize, u64)> = on_disk
            .iter()
            .enumerate()
            .map(|(i, (p, end))| (p.as_slice(), (i, *end)))
            .collect();
        assert_eq!(at.len(), on_disk.len(), "a record is on disk twice");
        let mut acked = 0;
        for thread in results {
            let mut last = None;
            for (p, r) in thread {
                match r {
                    Ok(end) => {
                        let Some(&(i, disk_end)) = at.get(p.as_slice()) else {
                            panic!("acknowledged record {} lost", String::from_utf8_lossy(p));
                        };
                        assert_eq!(disk_end, *end, "{}", String::from_utf8_lossy(p));
                        assert!(last < Some(i), "records of one thread out of order");
                        last = Some(i);
                        acked += 1;
                    }
                    Err(_) => assert!(
                        !at.contains_key(p.as_slice()),
                        "refused record {} is on disk",
                        String::from_utf8_lossy(p)
                    ),
                }
            }
        }
        assert_eq!(
            acked,
            on_disk.len(),
            "records on disk that were never acknowledged"
        );
        acked
    }

    #[test]
    fn concurrent_appends_are_all_durable_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        // Small segments: many appends start a new one while others wait for a sync.
        let q = Arc::new(Queue::open_with(dir.path(), u64::MAX, 8192).unwrap());
        let results = hammer(&q, 8, 250);
        assert!(results.iter().flatten().all(|(_, r)| r.is_ok()));
        let total: u64 = results
            .iter()
            .flatten()
            .map(|(p, _)| HEADER + p.len() as u64)
            .sum();
        assert_eq!(q.committed(), total);
        assert_eq!(q.lock_commit().durable, total);
        drop(q);
        assert!(segments(dir.path()).unwrap().len() > 10, "no new segments");
        assert_eq!(check_exact(dir.path(), &results), 2000);
    }

    #[test]
    fn a_failed_sync_refuses_exactly_the_batches_it_did_not_make_durable() {
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(Queue::open_with(dir.path(), u64::MAX, 8192).unwrap());
        let first = q.append(b"first").unwrap();
        q.fail_syncs.store(1, Ordering::Release);
        assert!(q.append(b"refused").is_err());
        assert_eq!(q.committed(), first);
        assert_eq!(q.append(b"second").unwrap(), first + HEADER + 6);
        // Failures while eight threads append (some of them when a segment is started).
        q.fail_syncs.store(2, Ordering::Release);
        // The processor's view: it must never see a refused record.
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (q, done) = (q.clone(), done.clone());
            std::thread::spawn(move || {
                let mut r = q.reader(0);
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(Ordering::Acquire);
                    while let Some(p) = r.next(q.committed()).unwrap() {
                        seen.push(p);
                    }
                    if finished {
                        return seen;
                    }
                    q.wait_past(r.pos(), Duration::from_millis(5));
                }
            })
        };
        let injector = {
            let q = q.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    std::thread::sleep(Duration::from_millis(2));
                    q.fail_syncs.fetch_add(1, Ordering::AcqRel);
                }
            })
        };
        let mut results = hammer(&q, 8, 250);
        injector.join().unwrap();
        done.store(true, Ordering::Release);
        let seen = reader.join().unwrap();
        let acked: std::collections::HashSet<&[u8]> = results
            .iter()
            .flatten()
            .filter(|(_, r)| r.is_ok())
            .map(|(p, _)| p.as_slice())
            .chain([&b"first"[..], &b"second"[..]])
            .collect();
        assert_eq!(
            seen.len(),
            acked.len(),
            "the reader missed or repeated records"
        );
        for p in &seen {
            assert!(
                acked.contains(p.as_slice()),
                "the reader saw a refused record"
            );
        }
        q.fail_syncs.store(0, Ordering::Release);
        let refused = results.iter().flatten().filter(|(_, r)| r.is_err()).count();
        assert!(refused > 0, "no append was refused");
        // The queue keeps working after failed syncs.
        let last = q.append(b"last").unwrap();
        assert_eq!(q.committed(), last);
        drop(q);
        results.push(vec![
            (b"first".to_vec(), Ok(first)),
            (b"refused".to_vec(), Err(String::new())),
            (b"second".to_vec(), Ok(first + HEADER + 6)),
            (b"last".to_vec(), Ok(last)),
        ]);
        let acked = check_exact(dir.path(), &results);
        assert_eq!(acked, 2000 - refused + 3);
    }

    #[test]
    fn a_sync_overtaken_by_a_cut_does_not_commit_what_replaced_its_bytes() {
        use std::sync::mpsc::channel;
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(Queue::open_with(dir.path(), u64::MAX, 200).unwrap());
        let first = q.append(b"first").unwrap();
        let (started_tx, started) = channel();
        let (go, go_rx) = channel();
        *q.pause_sync.lock().unwrap() = Some((started_tx, go_rx));
        let spawn = |p: Vec<u8>| {
            let q = q.clone();
            std::thread::spawn(move || q.append(&p).map_err(|e| e.to_string()))
        };
        let wait_written = |end: u64| {
            while q.lock_writer().end != end {
                std::thread::sleep(Duration::from_millis(1));
            }
        };
        // A is written and its thread starts syncing, then pauses.
        let a = spawn(vec![b'a'; 120]);
        started.recv().unwrap();
        // The processor reads the first record; its buffer takes A's bytes along.
        let mut r = q.reader(0);
        assert_eq!(r.next(q.committed()).unwrap().unwrap(), b"first");
        assert!(r.next(q.committed()).unwrap().is_none());
        // B needs a new segment; syncing the old one fails, so A's bytes are cut.
        q.fail_syncs.store(1, Ordering::Release);
        assert!(spawn(vec![b'b'; 100]).join().unwrap().is_err());
        assert_eq!(q.lock_writer().end, first);
        // C is written where A was and waits for a sync.
        let c = spawn(vec![b'c'; 40]);
        wait_written(first + HEADER + 40);
        // A's sync now succeeds: it must not commit up to A's old end (past C's).
        go.send(()).unwrap();
        assert!(a.join().unwrap().is_err(), "A was cut");
        assert_eq!(c.join().unwrap(), Ok(first + HEADER + 40));
        assert_eq!(q.committed(), first + HEADER + 40);
        // The processor reads C, not what it had buffered of A.
        assert_eq!(r.next(q.committed()).unwrap().unwrap(), vec![b'c'; 40]);
        assert!(r.next(q.committed()).unwrap().is_none());
    }

    #[test]
    fn refuses_when_full() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 40).unwrap();
        q.append(b"0123456789").unwrap();
        assert!(matches!(
            q.append(b"0123456789"),
            Err(AppendError::Full { .. })
        ));
    }
}
