//! The alert database: every alert the receiver raised, in SQLite (`<queue-dir>/alerts.db`).
//!
//! The processor inserts the alerts of a stretch of the queue in one transaction just before
//! it checkpoints. A batch processed again after a crash raises the same alerts again; each
//! alert has a key (its code, dedup key, first event's `auditID` and time), and a second
//! insert of a key is ignored, so the table holds every alert once. Sinks deliver from this
//! table in insertion order and remember, per sink, the last row they delivered
//! (`sink_cursor`), so a restart neither loses nor repeats deliveries, except the one that was
//! in flight. The database runs in WAL mode: `kubeward audit alerts` reads it while the
//! receiver writes.

use kubeward_audit::detect::Alert;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::time::Duration;

/// The schema's version, in `PRAGMA user_version`.
const VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    severity TEXT NOT NULL,
    rank INTEGER NOT NULL,
    identity TEXT NOT NULL,
    object TEXT NOT NULL,
    message TEXT NOT NULL,
    first_time INTEGER NOT NULL,
    last_time INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_last_time ON alerts(last_time);
CREATE INDEX IF NOT EXISTS alerts_stored_at ON alerts(stored_at);
CREATE TABLE IF NOT EXISTS sink_cursor (
    sink TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
";

/// An alert as stored: the columns queries filter on, and the alert's whole JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub severity: String,
    /// 0 (info) to 4 (critical).
    pub rank: i64,
    pub identity: String,
    pub object: String,
    pub message: String,
    /// Microseconds since the Unix epoch, of the first and last event behind the alert.
    pub first_time: i64,
    pub last_time: i64,
    /// When the receiver stored it (microseconds since the Unix epoch).
    pub stored_at: i64,
    /// The alert as `audit analyze --format json` prints it.
    pub json: String,
}

/// An alert ready to insert.
#[derive(Debug, Clone)]
pub struct NewAlert {
    key: String,
    code: String,
    name: String,
    severity: String,
    rank: i64,
    identity: String,
    object: String,
    message: String,
    first_time: i64,
    last_time: i64,
    json: String,
}

impl NewAlert {
    pub fn new(a: &Alert, json: String) -> NewAlert {
        let first_id = a.events.first().map_or("", |e| e.audit_id.as_str());
        NewAlert {
            key: format!(
                "{}\u{1f}{}\u{1f}{first_id}\u{1f}{}",
                a.code,
                a.dedup_key,
                a.first_time()
            ),
            code: a.code.to_string(),
            name: a.name.to_string(),
            severity: a.severity.as_str().to_string(),
            rank: a.severity as i64,
            identity: a.identity.user.clone(),
            object: a.object.describe(),
            message: a.message.clone(),
            first_time: a.first_time(),
            last_time: a.last_time(),
            json,
        }
    }
}

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
#[error("alert database {path}: {source}")]
pub struct StoreError {
    path: String,
    #[source]
    source: rusqlite::Error,
}

/// The alert database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: String,
}

/// Wraps a database error with the file it happened on.
fn on(path: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError {
        path: path.to_string(),
        source,
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl Store {
    /// Opens the database for writing, creating it and its tables.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        let err = on(&p);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(&err)?;
        // WAL lets readers (`audit alerts`, the sinks) read while the processor writes;
        // FULL makes a commit durable before the queue checkpoint that follows it.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(&err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(&err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&err)?;
        if version > VERSION {
            return Err(err(rusqlite::Error::InvalidParameterName(format!(
                "written by a newer kubeward (schema {version}, this one knows {VERSION})"
            ))));
        }
        conn.execute_batch(SCHEMA).map_err(&err)?;
        conn.pragma_update(None, "user_version", VERSION)
            .map_err(&err)?;
        Ok(Store {
            conn,
            path: p.clone(),
        })
    }

    /// Opens an existing database to read it (`audit alerts`, the sinks).
    pub fn open_read(path: &Path) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        let err = on(&p);
        if !path.exists() {
            return Err(err(rusqlite::Error::InvalidPath(path.to_path_buf())));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(&err)?;
        let has_alerts: Option<String> = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alerts'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        if has_alerts.is_none() {
            return Err(err(rusqlite::Error::InvalidParameterName(
                "not a kubeward alert database (no `alerts` table)".into(),
            )));
        }
        Ok(Store {
            conn,
            path: p.clone(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        on(&self.path)(source)
    }

    /// Inserts alerts in one transaction; returns how many were new.
    pub fn insert(&mut self, alerts: &[NewAlert]) -> Result<usize, StoreError> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let now = now_micros();
        let err = on(&self.path);
        let tx = self.conn.transaction().map_err(&err)?;
        let mut added = 0;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO alerts (key, code, name, severity, rank, identity, object, message, first_time, last_time, stored_at, json)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(&err)?;
            for a in alerts {
                added += st
                    .execute(params![
                        a.key,
                        a.code,
                        a.name,
                        a.severity,
                        a.rank,
                        a.identity,
                        a.object,
                        a.message,
                        a.first_time,
                        a.last_time,
                        now,
                        a.json
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(added)
    }

    fn rows(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Stored>, StoreError> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(args, |r| {
                Ok(Stored {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    name: r.get(2)?,
                    severity: r.get(3)?,
                    rank: r.get(4)?,
                    identity: r.get(5)?,
                    object: r.get(6)?,
                    message: r.get(7)?,
                    first_time: r.get(8)?,
                    last_time: r.get(9)?,
                    stored_at: r.get(10)?,
                    json: r.get(11)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Alerts whose last event is at or after `since` (microseconds), oldest first.
    pub fn since(&self, since: i64) -> Result<Vec<Stored>, StoreError> {
        self.rows(
            "SELECT id, code, name, severity, rank, identity, object, message, first_time, last_time, stored_at, json
             FROM alerts WHERE last_time >= ?1 ORDER BY last_time, id",
            params![since],
        )
    }

    /// Up to `limit` alerts after row `id`, in insertion order (for the sinks).
    pub fn after(&self, id: i64, limit: u32) -> Result<Vec<Stored>, StoreError> {
        self.rows(
            "SELECT id, code, name, severity, rank, identity, object, message, first_time, last_time, stored_at, json
             FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2",
            params![id, limit],
        )
    }

    /// The newest row's id (0 when empty).
    pub fn last_id(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM alerts", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The last row a sink delivered; a sink seen for the first time starts after the rows
    /// already stored (it is not flooded with history), which is recorded at once.
    pub fn cursor(&self, sink: &str) -> Result<i64, StoreError> {
        let got: Option<i64> = self
            .conn
            .query_row(
                "SELECT last_id FROM sink_cursor WHERE sink = ?1",
                params![sink],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match got {
            Some(id) => Ok(id),
            None => {
                let id = self.last_id()?;
                self.set_cursor(sink, id)?;
                Ok(id)
            }
        }
    }

    pub fn set_cursor(&self, sink: &str, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sink_cursor (sink, last_id) VALUES (?1, ?2)
                 ON CONFLICT(sink) DO UPDATE SET last_id = excluded.last_id",
                params![sink, id],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Deletes alerts stored before `before` (microseconds); returns how many.
    pub fn prune(&self, before: i64) -> Result<usize, StoreError> {
        self.conn
            .execute("DELETE FROM alerts WHERE stored_at < ?1", params![before])
            .map_err(|e| self.err(e))
    }

    /// How many alerts are stored.
    pub fn count(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(key: &str, code: &str, last: i64) -> NewAlert {
        NewAlert {
            key: key.into(),
            code: code.into(),
            name: "exec-into-pod".into(),
            severity: "high".into(),
            rank: 3,
            identity: "alice".into(),
            object: "pods/exec prod/web".into(),
            message: "alice ran a command in prod/web".into(),
            first_time: last - 10,
            last_time: last,
            json: format!("{{\"code\":\"{code}\"}}"),
        }
    }

    #[test]
    fn an_alert_replayed_after_a_crash_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.db");
        let mut s = Store::open(&path).unwrap();
        assert_eq!(
            s.insert(&[alert("a", "KW701", 100), alert("b", "KW702", 200)])
                .unwrap(),
            2
        );
        drop(s);
        let mut s = Store::open(&path).unwrap();
        assert_eq!(
            s.insert(&[alert("b", "KW702", 200), alert("c", "KW703", 300)])
                .unwrap(),
            1
        );
        assert_eq!(s.count().unwrap(), 3);
        let r = Store::open_read(&path).unwrap();
        let since: Vec<String> = r.since(200).unwrap().into_iter().map(|a| a.code).collect();
        assert_eq!(since, ["KW702", "KW703"]);
        let after: Vec<i64> = r.after(1, 10).unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(after, [2, 3]);
    }

    #[test]
    fn a_new_sink_starts_after_history_and_keeps_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.db");
        let mut s = Store::open(&path).unwrap();
        s.insert(&[alert("a", "KW701", 1), alert("b", "KW701", 2)])
            .unwrap();
        assert_eq!(s.cursor("slack").unwrap(), 2);
        s.insert(&[alert("c", "KW701", 3)]).unwrap();
        assert_eq!(s.cursor("slack").unwrap(), 2);
        s.set_cursor("slack", 3).unwrap();
        drop(s);
        let s = Store::open_read(&path).unwrap();
        assert_eq!(s.cursor("slack").unwrap(), 3);
    }

    #[test]
    fn refuses_files_that_are_not_alert_databases() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.db");
        assert!(Store::open_read(&missing).is_err());
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"this is not sqlite at all, not even close........").unwrap();
        let e = Store::open_read(&junk).unwrap_err().to_string();
        assert!(e.contains("junk.db"), "{e}");
        let empty = dir.path().join("empty.db");
        Connection::open(&empty).unwrap();
        let e = Store::open_read(&empty).unwrap_err().to_string();
        assert!(e.contains("not a kubeward alert database"), "{e}");
    }

    #[test]
    fn prunes_old_alerts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("a.db")).unwrap();
        s.insert(&[alert("a", "KW701", 1)]).unwrap();
        assert_eq!(s.prune(0).unwrap(), 0);
        assert_eq!(s.prune(now_micros() + 1).unwrap(), 1);
        assert_eq!(s.count().unwrap(), 0);
    }
}
