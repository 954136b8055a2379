//! The on-disk queue between the HTTPS receiver and the detections.
//!
//! A batch is appended to the current segment file and `fsync`ed before the receiver answers
//! 200, so whatever the API server believes delivered survives a crash. Positions are logical
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
use std::sync::{Condvar, Mutex};
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
    file: File,
    seg_start: u64,
    end: u64,
}

/// The queue: one writer (the receiver, serialised by a lock), one reader (the processor).
#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    writer: Mutex<Writer>,
    /// End of the durable data.
    committed: AtomicU64,
    /// Offset the processor has reached (in memory; the checkpoint is the durable copy).
    processed: AtomicU64,
    limit: u64,
    signal: (Mutex<()>, Condvar),
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
                file,
                seg_start,
                end,
            }),
            committed: AtomicU64::new(end),
            processed: AtomicU64::new(processed),
            limit,
            signal: (Mutex::new(()), Condvar::new()),
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

    /// Appends one record and makes it durable; returns the offset after it.
    pub fn append(&self, payload: &[u8]) -> Result<u64, AppendError> {
        let len = HEADER + payload.len() as u64;
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let depth = w.end.saturating_sub(self.processed.load(Ordering::Acquire));
        if depth + len > self.limit {
            return Err(AppendError::Full {
                depth,
                limit: self.limit,
            });
        }
        if w.end > w.seg_start && w.end - w.seg_start + len > SEGMENT_SIZE {
            let file = OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(self.dir.join(seg_name(w.end)))?;
            sync_dir(&self.dir)?;
            w.seg_start = w.end;
            w.file = file;
        }
        let plen = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        let mut rec = Vec::with_capacity(len as usize);
        rec.extend_from_slice(MAGIC);
        rec.extend_from_slice(&plen.to_le_bytes());
        rec.extend_from_slice(&hash(payload).to_le_bytes());
        rec.extend_from_slice(payload);
        if let Err(e) = w.file.write_all(&rec).and_then(|()| w.file.sync_data()) {
            // Cut what may have been written so the next record starts clean.
            let keep = w.end - w.seg_start;
            let _ = w.file.set_len(keep);
            return Err(e.into());
        }
        w.end += len;
        let end = w.end;
        self.committed.store(end, Ordering::Release);
        drop(w);
        let _g = self.signal.0.lock().unwrap_or_else(|e| e.into_inner());
        self.signal.1.notify_all();
        Ok(end)
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
