//! Reading audit logs: files (plain or gzip, detected by their magic bytes) and streams, in
//! any of the shapes in [`crate::wrappers`], one record at a time.
//!
//! * **JSON lines** (the API server's log backend, CloudWatch and Cloud Logging exports): read
//!   line by line into one reused buffer; memory is the longest line.
//! * **A JSON array, or an object holding a list under `items` / `records` / `logEvents` /
//!   `events`** (an `EventList`, a webhook batch, an export), possibly pretty-printed over many
//!   lines: a small structural scanner finds each element's bytes and each is parsed on its
//!   own, so memory is the largest element, not the file. Any other multi-line JSON value is
//!   read whole.
//!
//! A record that does not parse is counted and reported with its file and line, and reading
//! goes on with the next one.

use crate::event::Event;
use crate::wrappers::{self, Tally};
use flate2::read::MultiGzDecoder;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// The longest record accepted (a line, or one element of a list). The API server's own limits
/// are far lower (100 KiB per event, 10 MiB per webhook batch when truncation is on).
pub const MAX_RECORD: usize = 128 << 20;

/// How many parse errors are kept per input (the rest are counted).
pub const MAX_ERRORS_KEPT: usize = 100;

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'f> {
    pub file: &'f str,
    /// 1-based line where the record starts.
    pub line: u64,
}

/// A record that could not be used, or an input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: Arc<str>,
    /// 0 when the error is about the input as a whole (cannot open, not gzip...).
    pub line: u64,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// Counts for one or more inputs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadStats {
    /// Records read (lines or list elements), good or bad.
    pub records: u64,
    /// Audit events delivered.
    pub events: u64,
    /// Valid records that are not Kubernetes audit events (other services' log entries).
    pub skipped: u64,
    /// Records that could not be parsed.
    pub bad_records: u64,
    /// Inputs that could not be read at all.
    pub bad_inputs: u64,
    /// Bytes read (after decompression).
    pub bytes: u64,
}

impl ReadStats {
    pub fn add(&mut self, o: &ReadStats) {
        self.records += o.records;
        self.events += o.events;
        self.skipped += o.skipped;
        self.bad_records += o.bad_records;
        self.bad_inputs += o.bad_inputs;
        self.bytes += o.bytes;
    }
}

/// Errors of one read, the first [`MAX_ERRORS_KEPT`] kept.
#[derive(Debug, Default)]
pub struct Errors {
    pub kept: Vec<ParseError>,
    pub total: u64,
}

impl Errors {
    fn push(&mut self, e: ParseError) {
        self.total += 1;
        if self.kept.len() < MAX_ERRORS_KEPT {
            self.kept.push(e);
        }
    }
}

/// Reads a file (`-` is standard input), gzip or not.
pub fn read_path(path: &Path, sink: &mut dyn FnMut(&Event<'_>, Record<'_>)) -> (ReadStats, Errors) {
    let name: Arc<str> = path.display().to_string().into();
    if path.as_os_str() == "-" {
        return read_stream(name, io::stdin().lock(), sink);
    }
    match File::open(path) {
        Ok(f) => read_stream(name, f, sink),
        Err(e) => {
            let mut errors = Errors::default();
            errors.push(ParseError {
                file: name,
                line: 0,
                message: format!("cannot open: {e}"),
            });
            (
                ReadStats {
                    bad_inputs: 1,
                    ..ReadStats::default()
                },
                errors,
            )
        }
    }
}

/// Reads audit records from any byte stream; gzip is detected by its magic bytes.
pub fn read_stream(
    name: Arc<str>,
    input: impl Read,
    sink: &mut dyn FnMut(&Event<'_>, Record<'_>),
) -> (ReadStats, Errors) {
    let mut reader = BufReader::with_capacity(256 << 10, input);
    let gzip = match reader.fill_buf() {
        Ok(b) => b.starts_with(&[0x1f, 0x8b]),
        Err(_) => false,
    };
    let mut r = Reader {
        name,
        stats: ReadStats::default(),
        errors: Errors::default(),
        line: 0,
    };
    let res = if gzip {
        let dec = BufReader::with_capacity(256 << 10, MultiGzDecoder::new(reader));
        r.run(dec, sink)
    } else {
        r.run(reader, sink)
    };
    if let Err(e) = res {
        r.stats.bad_inputs += 1;
        let line = r.line;
        r.error(line, format!("read error: {e}"));
    }
    (r.stats, r.errors)
}

struct Reader {
    name: Arc<str>,
    stats: ReadStats,
    errors: Errors,
    /// Lines consumed so far.
    line: u64,
}

impl Reader {
    fn error(&mut self, line: u64, message: String) {
        self.errors.push(ParseError {
            file: self.name.clone(),
            line,
            message,
        });
    }

    /// Parses one record's bytes and dispatches its events.
    fn record(&mut self, bytes: &[u8], line: u64, sink: &mut dyn FnMut(&Event<'_>, Record<'_>)) {
        self.stats.records += 1;
        let name = self.name.clone();
        let origin = Record { file: &name, line };
        let mut tally = Tally::default();
        let res = match serde_json::from_slice::<Event<'_>>(bytes) {
            Ok(ev) => wrappers::dispatch(ev, 0, &mut |e| sink(e, origin), &mut tally),
            Err(e) => Err(describe(&e, line)),
        };
        self.stats.events += tally.events;
        self.stats.skipped += tally.skipped;
        if let Err(msg) = res {
            self.stats.bad_records += 1;
            self.error(line, msg);
        }
    }

    fn run(
        &mut self,
        mut input: impl BufRead,
        sink: &mut dyn FnMut(&Event<'_>, Record<'_>),
    ) -> io::Result<()> {
        let mut buf = Vec::with_capacity(64 << 10);
        // Skip a UTF-8 byte-order mark and leading blank space to see what the input is.
        let first = loop {
            let b = input.fill_buf()?;
            if b.is_empty() {
                return Ok(());
            }
            if b.starts_with(&[0xef, 0xbb, 0xbf]) {
                input.consume(3);
                continue;
            }
            match b.iter().position(|c| !c.is_ascii_whitespace()) {
                Some(i) => {
                    self.line += b[..i].iter().filter(|&&c| c == b'\n').count() as u64;
                    self.stats.bytes += i as u64;
                    input.consume(i);
                    break input.fill_buf()?[0];
                }
                None => {
                    let n = b.len();
                    self.line += b.iter().filter(|&&c| c == b'\n').count() as u64;
                    self.stats.bytes += n as u64;
                    input.consume(n);
                }
            }
        };
        if first == b'[' {
            return self.scan(input, Vec::new(), sink);
        }
        let mut first_record = true;
        loop {
            buf.clear();
            let start = self.line + 1;
            let (n, too_long) = read_line(&mut input, &mut buf, MAX_RECORD)?;
            if n == 0 {
                return Ok(());
            }
            self.stats.bytes += n as u64;
            self.line += 1;
            if too_long {
                self.stats.records += 1;
                self.stats.bad_records += 1;
                self.error(
                    start,
                    format!("record longer than {} MiB, skipped", MAX_RECORD >> 20),
                );
                continue;
            }
            let text = trim(&buf);
            if text.is_empty() {
                continue;
            }
            let is_first = std::mem::replace(&mut first_record, false);
            let name = self.name.clone();
            let origin = Record {
                file: &name,
                line: start,
            };
            let mut tally = Tally::default();
            let res = match serde_json::from_slice::<Event<'_>>(text) {
                Ok(ev) => wrappers::dispatch(ev, 0, &mut |e| sink(e, origin), &mut tally),
                // The first value does not end on its line and the line is a lone `{`: the
                // input is pretty-printed JSON (jq, kubectl -o json, json.dumps(indent=...)).
                // Scan it structurally from this line on. (A cut first line of JSON lines is
                // just a bad record.)
                Err(e) if e.is_eof() && is_first && text == b"{" => {
                    let pending = std::mem::take(&mut buf);
                    self.line = start - 1;
                    self.stats.bytes -= n as u64;
                    return self.scan(input, pending, sink);
                }
                Err(e) => Err(describe(&e, start)),
            };
            self.stats.records += 1;
            self.stats.events += tally.events;
            self.stats.skipped += tally.skipped;
            if let Err(msg) = res {
                self.stats.bad_records += 1;
                self.error(start, msg);
            }
        }
    }

    /// Structural scan of multi-line JSON: top-level values one after another; the elements
    /// of a top-level array, and of a list under `items`/`records`/`logEvents`/`events` in a
    /// top-level object, are parsed one at a time.
    fn scan(
        &mut self,
        mut input: impl BufRead,
        pending: Vec<u8>,
        sink: &mut dyn FnMut(&Event<'_>, Record<'_>),
    ) -> io::Result<()> {
        let mut sc = Scanner::new(self.line + 1);
        let mut out: Vec<Unit> = Vec::new();
        sc.feed(&pending, &mut out);
        self.stats.bytes += pending.len() as u64;
        self.drain(&mut out, sink);
        loop {
            let chunk = input.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len();
            sc.feed(chunk, &mut out);
            input.consume(n);
            self.stats.bytes += n as u64;
            self.drain(&mut out, sink);
            if sc.overflow {
                self.stats.records += 1;
                self.stats.bad_records += 1;
                let line = sc.unit_line;
                self.error(
                    line,
                    format!(
                        "record longer than {} MiB; the rest of the input is skipped",
                        MAX_RECORD >> 20
                    ),
                );
                self.line = sc.line;
                return Ok(());
            }
        }
        self.line = sc.line;
        let unfinished = sc.finish(&mut out);
        self.drain(&mut out, sink);
        if let Some(line) = unfinished {
            self.stats.records += 1;
            self.stats.bad_records += 1;
            self.error(
                line,
                "unexpected end of input inside a JSON value starting here".into(),
            );
        }
        Ok(())
    }

    fn drain(&mut self, out: &mut Vec<Unit>, sink: &mut dyn FnMut(&Event<'_>, Record<'_>)) {
        for u in out.drain(..) {
            self.record(&u.bytes, u.line, sink);
        }
    }
}

fn describe(e: &serde_json::Error, line: u64) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C" relative to the record; keep the column, the
    // line is the record's own line in the file.
    let msg = match msg.rsplit_once(" at line ") {
        Some((head, pos)) => match pos.split_once(" column ") {
            Some(("1", c)) => format!("{head} (column {c})"),
            Some((l, c)) => format!(
                "{head} (line {} column {c})",
                l.parse::<u64>().map_or(0, |l| l + line - 1)
            ),
            None => head.to_string(),
        },
        None => msg,
    };
    format!("not a valid audit record: {msg}")
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Reads up to and including the next `\n` into `buf`, at most `max` bytes kept (the rest of an
/// over-long line is consumed and dropped). Returns (bytes consumed, too long).
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<(usize, bool)> {
    let mut total = 0;
    let mut too_long = false;
    loop {
        let avail = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok((total, too_long));
        }
        let (used, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if buf.len() + used > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..used]);
            }
        }
        input.consume(used);
        total += used;
        if done {
            return Ok((total, too_long));
        }
    }
}

/// One value found by the scanner, with the line it starts on.
struct Unit {
    bytes: Vec<u8>,
    line: u64,
}

/// The keys whose array value is streamed element by element when they appear at the top
/// level of an object.
const LIST_KEYS: [&[u8]; 4] = [b"items", b"records", b"logEvents", b"events"];

/// A structural JSON scanner (strings, escapes, nesting) that cuts the input into units
/// without parsing them; serde parses (and validates) each unit afterwards.
struct Scanner {
    line: u64,
    /// Open brackets (0 = between top-level values).
    depth: u32,
    in_str: bool,
    esc: bool,
    /// Elements of the streamed array live at this depth.
    stream_depth: Option<u32>,
    /// The unit being collected (an element, a top-level object, or top-level garbage).
    cur: Vec<u8>,
    collecting: bool,
    unit_line: u64,
    /// Line where the current top-level value started.
    top_line: u64,
    top_obj: bool,
    top_scalar: bool,
    /// The string just read at depth 1 of a top-level object, and whether `:` followed it.
    key: Vec<u8>,
    key_building: bool,
    after_key: bool,
    overflow: bool,
}

impl Scanner {
    fn new(line: u64) -> Scanner {
        Scanner {
            line,
            depth: 0,
            in_str: false,
            esc: false,
            stream_depth: None,
            cur: Vec::new(),
            collecting: false,
            unit_line: line,
            top_line: line,
            top_obj: false,
            top_scalar: false,
            key: Vec::new(),
            key_building: false,
            after_key: false,
            overflow: false,
        }
    }

    fn start_unit(&mut self) {
        self.cur.clear();
        self.unit_line = self.line;
        self.collecting = true;
    }

    fn emit(&mut self, out: &mut Vec<Unit>) {
        self.collecting = false;
        let bytes = std::mem::take(&mut self.cur);
        if !trim(&bytes).is_empty() {
            out.push(Unit {
                bytes,
                line: self.unit_line,
            });
        }
    }

    fn feed(&mut self, chunk: &[u8], out: &mut Vec<Unit>) {
        for &c in chunk {
            if self.overflow {
                return;
            }
            if c == b'\n' {
                self.line += 1;
            }
            if self.in_str {
                if self.collecting {
                    self.cur.push(c);
                }
                if self.esc {
                    self.esc = false;
                    if self.key_building {
                        self.key.push(c);
                    }
                } else if c == b'\\' {
                    self.esc = true;
                    if self.key_building {
                        self.key.push(c);
                    }
                } else if c == b'"' {
                    self.in_str = false;
                    self.key_building = false;
                } else if self.key_building {
                    self.key.push(c);
                }
                continue;
            }
            if self.top_scalar {
                if c.is_ascii_whitespace() {
                    self.top_scalar = false;
                    self.emit(out);
                } else {
                    self.cur.push(c);
                }
                continue;
            }
            if !self.collecting {
                if self.depth == 0 {
                    self.top_line = self.line;
                    match c {
                        c if c.is_ascii_whitespace() => continue,
                        b'[' => {
                            self.depth = 1;
                            self.stream_depth = Some(1);
                            self.top_obj = false;
                            continue;
                        }
                        b'{' => {
                            self.start_unit();
                            self.top_obj = true;
                            self.key.clear();
                            self.after_key = false;
                        }
                        _ => {
                            self.start_unit();
                            self.top_scalar = true;
                            self.cur.push(c);
                            continue;
                        }
                    }
                } else if self.stream_depth == Some(self.depth) {
                    match c {
                        b',' => continue,
                        c if c.is_ascii_whitespace() => continue,
                        b']' => {
                            self.depth -= 1;
                            self.stream_depth = None;
                            if self.depth == 0 {
                                self.top_obj = false;
                            }
                            continue;
                        }
                        _ => self.start_unit(),
                    }
                }
            }
            if self.collecting {
                self.cur.push(c);
                if self.cur.len() > MAX_RECORD {
                    self.overflow = true;
                    return;
                }
            }
            match c {
                b'"' => {
                    self.in_str = true;
                    if self.top_obj && self.depth == 1 {
                        self.key.clear();
                        self.key_building = true;
                    }
                }
                b':' if self.top_obj && self.depth == 1 => self.after_key = true,
                b'[' if self.top_obj
                    && self.depth == 1
                    && self.after_key
                    && self.stream_depth.is_none()
                    && LIST_KEYS.contains(&self.key.as_slice()) =>
                {
                    // `"items": [` at the top of an object: the object is a container, its
                    // own bytes are dropped and the list's elements become the units.
                    self.collecting = false;
                    self.cur.clear();
                    self.depth = 2;
                    self.stream_depth = Some(2);
                    self.after_key = false;
                }
                b'{' | b'[' => {
                    self.after_key = false;
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.collecting && self.stream_depth == Some(self.depth) {
                        // A scalar element ends where its array closes.
                        self.cur.pop();
                        self.emit(out);
                        self.depth -= 1;
                        self.stream_depth = None;
                        continue;
                    }
                    self.depth = self.depth.saturating_sub(1);
                    if self.collecting && self.stream_depth == Some(self.depth) {
                        self.emit(out);
                    } else if self.depth == 0 {
                        if self.collecting {
                            self.emit(out);
                        }
                        self.top_obj = false;
                    }
                }
                b',' => {
                    if self.top_obj && self.depth == 1 {
                        self.after_key = false;
                    }
                    if self.collecting && self.stream_depth == Some(self.depth) {
                        // A scalar element ended.
                        self.cur.pop();
                        self.emit(out);
                    }
                }
                _ => {}
            }
        }
    }

    /// At end of input: emits a trailing bare scalar, or returns the line of a value left
    /// unfinished.
    fn finish(&mut self, out: &mut Vec<Unit>) -> Option<u64> {
        if self.top_scalar {
            self.top_scalar = false;
            self.emit(out);
            return None;
        }
        if self.depth > 0 || self.in_str || (self.collecting && !trim(&self.cur).is_empty()) {
            return Some(if self.collecting {
                self.unit_line
            } else {
                self.top_line
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> (Vec<(String, u64)>, ReadStats, Vec<String>) {
        let mut got = Vec::new();
        let (stats, errors) = read_stream("t".into(), text, &mut |ev, rec| {
            got.push((ev.audit_id().to_string(), rec.line));
        });
        (
            got,
            stats,
            errors.kept.iter().map(|e| e.to_string()).collect(),
        )
    }

    fn ev(id: &str) -> String {
        format!(r#"{{"kind":"Event","auditID":"{id}","stage":"ResponseComplete","verb":"get"}}"#)
    }

    #[test]
    fn json_lines_with_a_cut_line_in_the_middle() {
        let text = format!(
            "{}\n{{\"auditID\": \"z\", \"verb\"\n\n{}\r\n",
            ev("a"),
            ev("b")
        );
        let (got, stats, errors) = read(text.as_bytes());
        assert_eq!(got, vec![("a".to_string(), 1), ("b".to_string(), 4)]);
        assert_eq!(stats.bad_records, 1, "{errors:?}");
        assert_eq!(stats.records, 3);
        assert!(
            errors[0].starts_with("t:2: not a valid audit record: EOF while parsing"),
            "{errors:?}"
        );
    }

    #[test]
    fn json_lines_bad_line_does_not_stop_the_run() {
        let text = format!("{}\nnot json\n{}\n", ev("a"), ev("b"));
        let (got, stats, errors) = read(text.as_bytes());
        assert_eq!(got, vec![("a".to_string(), 1), ("b".to_string(), 3)]);
        assert_eq!(stats.bad_records, 1);
        assert!(
            errors[0].starts_with("t:2: not a valid audit record"),
            "{errors:?}"
        );
    }

    #[test]
    fn arrays_and_event_lists_pretty_printed() {
        let arr = format!("[\n  {},\n  {}\n]\n", ev("a"), ev("b"));
        let (got, stats, errors) = read(arr.as_bytes());
        assert_eq!(got, vec![("a".into(), 2), ("b".into(), 3)], "{errors:?}");
        assert_eq!(stats.records, 2);
        let list = format!(
            "{{\n \"kind\": \"EventList\",\n \"apiVersion\": \"audit.k8s.io/v1\",\n \"metadata\": {{}},\n \"items\": [\n  {},\n  {}\n ]\n}}\n",
            ev("a"),
            ev("b")
        );
        let (got, _, errors) = read(list.as_bytes());
        assert_eq!(got, vec![("a".into(), 6), ("b".into(), 7)], "{errors:?}");
        let one_line = format!(
            "{{\"kind\":\"EventList\",\"items\":[{},{}]}}\n",
            ev("a"),
            ev("b")
        );
        let (got, _, _) = read(one_line.as_bytes());
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn a_cut_first_line_does_not_swallow_the_file() {
        let text = format!("{{\"kind\":\"Event\",\"verb\":\n{}\n{}\n", ev("a"), ev("b"));
        let (got, stats, errors) = read(text.as_bytes());
        assert_eq!(got, vec![("a".to_string(), 2), ("b".to_string(), 3)]);
        assert_eq!(stats.bad_records, 1);
        assert!(
            errors[0].starts_with("t:1: not a valid audit record: EOF"),
            "{errors:?}"
        );
    }

    #[test]
    fn truncated_multiline_value_is_an_error_with_its_line() {
        let text = format!("[\n  {},\n  {{\n    \"auditID\": \"x\",\n", ev("a"));
        let (got, stats, errors) = read(text.as_bytes());
        assert_eq!(got, vec![("a".to_string(), 2)]);
        assert_eq!(stats.bad_records, 1);
        assert_eq!(
            errors,
            vec!["t:3: unexpected end of input inside a JSON value starting here"]
        );
    }

    #[test]
    fn pretty_printed_single_event_and_concatenated_values() {
        let text = format!(
            "{{\n  \"kind\": \"Event\",\n  \"auditID\": \"p\",\n  \"verb\": \"get\"\n}}\n{}\n",
            ev("q")
        );
        let (got, stats, errors) = read(text.as_bytes());
        assert_eq!(
            got,
            vec![("p".to_string(), 1), ("q".to_string(), 6)],
            "{errors:?}"
        );
        assert_eq!(stats.bad_records, 0);
    }

    #[test]
    fn gzip_is_detected() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(format!("{}\n{}\n", ev("a"), ev("b")).as_bytes())
            .unwrap();
        let gz = enc.finish().unwrap();
        let (got, _, _) = read(&gz);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn not_an_event() {
        let (got, stats, errors) = read(b"{\"kind\": 0}\n{\"hello\": 1}\n");
        assert!(got.is_empty());
        assert_eq!(stats.bad_records, 2);
        assert!(
            errors[0].contains("invalid type: integer `0`, expected a string"),
            "{errors:?}"
        );
        assert!(errors[1].contains("not an audit event"), "{errors:?}");
    }
}
