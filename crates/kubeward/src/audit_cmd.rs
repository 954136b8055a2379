//! `kubeward audit analyze | report | rules | explain | serve`: Kubernetes API server audit logs.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kubeward_audit::analyze::{Analysis, analyze};
use kubeward_audit::config::AuditConfig;
use kubeward_audit::detect::{DETECTIONS, Mode};
use kubeward_audit::report::alert_text;
use kubeward_core::Severity;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Run the KW7xx detections over audit logs and print the alerts.
    ///
    /// Reads JSON lines (the API server's log backend), JSON arrays, EventLists (webhook
    /// batches), gzip (rotated logs), EKS logs exported from CloudWatch, GKE Cloud Audit
    /// LogEntries and AKS diagnostic records; the shape is detected per file. `-` reads standard
    /// input. A bad record is reported with its file and line and the rest is still read.
    ///
    /// Exit status: 0 when no alert is at or above --fail-on, 1 when one is, 2 on an error
    /// (unreadable input, a bad record, a bad config); an error wins over alerts.
    Analyze(AnalyzeArgs),
    /// The audit report: requests per resource type, per identity and per kind of identity,
    /// the important operations (exec/attach/port-forward, secret reads, deletions, RBAC
    /// changes), refused and anonymous requests, a timeline, and the alerts.
    ///
    /// `--format html` writes one self-contained page with charts (no external assets).
    /// Exit status: 0, or 1 with --fail-on when an alert reaches it, 2 on an error.
    Report(ReportArgs),
    /// List the detections: code, name, catalogue entry, severity, MITRE technique.
    Rules(RulesArgs),
    /// Show a detection's documentation.
    Explain {
        /// Detection code (KW701) or name (exec-into-pod).
        detection: String,
    },
    /// The real-time receiver: an HTTPS endpoint for the API server's audit webhook backend.
    ///
    /// Each EventList batch is written durably (append + fsync) to the queue directory before
    /// it is acknowledged; 429 when the queue is full. The detections run on the queue and
    /// every new alert is written as one JSON line to --output (or standard output) and stored
    /// in the alert database (--db). The config's `sinks:` send alerts to chat webhooks
    /// (Slack's payload), JSON webhooks and Alertmanager, with rate limits (docs/audit.md).
    /// Stops on SIGTERM or Ctrl-C after processing what was queued; a restart resumes from
    /// the queue.
    Serve(ServeArgs),
    /// Alerts the receiver stored (its SQLite database), newest last.
    Alerts(AlertsArgs),
    /// Everything to run the receiver in a cluster, from one run (they share its certificates):
    /// receiver.yaml (Namespace, Deployment, Service with a fixed ClusterIP, PVC for the queue,
    /// certificates, NetworkPolicies), the API server's audit-webhook.kubeconfig and an
    /// audit-policy.yaml. `--out DIR` writes the three files; see docs/audit-manifests.md.
    Manifests(crate::audit_manifests::ManifestsArgs),
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Only alerts whose last event is at most this old (`90s`, `30m`, `24h`, `7d`) or at or
    /// after this time (RFC 3339, `2026-11-24T08:00:00Z`).
    #[arg(long, value_name = "AGE|TIME")]
    since: Option<String>,
    /// The receiver's alert database (default: alerts.db in --queue-dir).
    #[arg(long, value_name = "FILE", required_unless_present = "queue_dir")]
    db: Option<PathBuf>,
    /// The receiver's queue directory (its database is alerts.db there).
    #[arg(long, value_name = "DIR")]
    queue_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9443", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Serving certificate chain (PEM); reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// Serving private key (PEM).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Accept API servers presenting a client certificate signed by this CA (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "token_file")]
    client_ca: Option<PathBuf>,
    /// Accept API servers sending `Authorization: Bearer <token>` with the token in FILE.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Queue directory (durable; keep it on a persistent volume).
    #[arg(long, value_name = "DIR")]
    queue_dir: PathBuf,
    /// Bytes waiting in the queue above which batches are answered 429.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    max_queue_bytes: u64,
    /// Largest batch accepted, in bytes.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    max_body: usize,
    /// Audit config: allow-lists, thresholds, severity overrides (see docs/audit.md).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Append alerts (JSON lines) to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// The alert database (SQLite) that `kubeward audit alerts` and the sinks read
    /// [default: alerts.db in --queue-dir].
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Delete alerts stored longer ago than this (`30d`, `12h`; `0` keeps them all).
    #[arg(long, default_value = "30d", value_name = "AGE")]
    retention: String,
    /// Queue only, do not process (for tests and maintenance).
    #[arg(long, hide = true)]
    hold: bool,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Audit log files (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Audit config: allow-lists, thresholds, severity overrides (see docs/audit.md).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Exit with status 1 when an alert at or above this severity was raised.
    #[arg(long, default_value = "info", value_name = "SEVERITY",
          value_parser = ["critical", "high", "medium", "low", "info", "never"])]
    fail_on: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "html"])]
    format: String,
    /// Exit with status 1 when an alert at or above this severity was raised.
    #[arg(long, default_value = "never", value_name = "SEVERITY",
          value_parser = ["critical", "high", "medium", "low", "info", "never"])]
    fail_on: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (`markdown` is the table of docs/audit.md).
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "markdown"])]
    format: String,
}

pub fn run(cmd: AuditCommand) -> Result<u8> {
    match cmd {
        AuditCommand::Analyze(a) => run_analyze(a),
        AuditCommand::Report(r) => run_report(r),
        AuditCommand::Rules(r) => rules(&r.format),
        AuditCommand::Explain { detection } => explain(&detection),
        AuditCommand::Serve(s) => serve(s),
        AuditCommand::Alerts(a) => alerts(a),
        AuditCommand::Manifests(m) => crate::audit_manifests::run(m),
    }
}

fn serve(args: ServeArgs) -> Result<u8> {
    use kubeward_audit_server as srv;
    let cfg = load_config(args.config.as_deref())?;
    let token = match &args.token_file {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read token file {}", p.display()))?;
            let t = t.trim().to_string();
            if t.is_empty() {
                bail!("token file {} is empty", p.display());
            }
            Some(t)
        }
        None => None,
    };
    let retention = match args.retention.as_str() {
        "0" => None,
        r => match kubeward_audit::time::parse_duration(r) {
            Some(d) if d > 0 => Some(d),
            _ => bail!("--retention: expected a duration such as 30d or 12h, or 0, got `{r}`"),
        },
    };
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| args.queue_dir.join("alerts.db"));
    let sc = srv::ServeConfig {
        server: srv::ServerOptions {
            listen: args.listen,
            cert: args.cert,
            key: args.key,
            auth: srv::Auth {
                client_ca: args.client_ca,
                token,
            },
            max_body: args.max_body,
            cert_reload: std::time::Duration::from_secs(10),
        },
        queue_dir: args.queue_dir,
        queue_limit: args.max_queue_bytes,
        output: match args.output {
            Some(p) => srv::Output::File(p),
            None => srv::Output::Stdout,
        },
        db,
        retention,
        hold: args.hold,
    };
    match srv::run_until_signal(sc, Arc::new(cfg)) {
        Ok(()) => Ok(0),
        Err(e) => bail!("{e}"),
    }
}

/// `--since`: an age back from now, or a time; microseconds since the Unix epoch.
fn since_micros(s: &str, now: i64) -> Result<i64> {
    use kubeward_audit::time;
    if let Some(d) = time::parse_duration(s) {
        return Ok(now.saturating_sub(d));
    }
    match time::parse(s) {
        Some(t) => Ok(t),
        None => bail!(
            "--since: expected an age (90s, 30m, 24h, 7d) or a time (2026-11-24T08:00:00Z), got `{s}`"
        ),
    }
}

fn alerts(args: AlertsArgs) -> Result<u8> {
    use kubeward_audit_server::store::{Store, now_micros};
    let db = match (&args.db, &args.queue_dir) {
        (Some(db), _) => db.clone(),
        (None, Some(q)) => q.join("alerts.db"),
        (None, None) => bail!("give --db FILE or --queue-dir DIR"),
    };
    let since = match &args.since {
        Some(s) => since_micros(s, now_micros())?,
        None => i64::MIN,
    };
    let store = Store::open_read(&db).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = store.since(since).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = String::new();
    if args.format == "json" {
        out.push_str("{\"alerts\": [");
        for (i, r) in rows.iter().enumerate() {
            out.push_str(if i == 0 { "\n  " } else { ",\n  " });
            out.push_str(&r.json);
        }
        out.push_str(if rows.is_empty() { "]" } else { "\n]" });
        out.push_str(&format!(", \"count\": {}}}\n", rows.len()));
    } else {
        use kubeward_audit::time::format;
        if !rows.is_empty() {
            out.push_str(&format!(
                "{:<20} {:<8} {:<6} {:<30} {:<32} {}\n",
                "LAST SEEN", "SEVERITY", "CODE", "NAME", "IDENTITY", "MESSAGE"
            ));
        }
        for r in &rows {
            let mut when = format(r.last_time);
            when.truncate(19);
            out.push_str(&format!(
                "{:<20} {:<8} {:<6} {:<30} {:<32} {}\n",
                when, r.severity, r.code, r.name, r.identity, r.message
            ));
        }
        let mut by_sev = Vec::new();
        for s in Severity::ALL {
            let n = rows.iter().filter(|r| r.severity == s.as_str()).count();
            if n > 0 {
                by_sev.push(format!("{n} {s}"));
            }
        }
        out.push_str(&format!(
            "{} alert{}{}{}\n",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            if by_sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_sev.join(", "))
            },
            match &args.since {
                Some(s) => format!(" since {s}"),
                None => String::new(),
            }
        ));
    }
    emit(None, out.as_bytes())?;
    Ok(0)
}

fn load_config(path: Option<&Path>) -> Result<AuditConfig> {
    let Some(path) = path else {
        return Ok(AuditConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    match AuditConfig::parse(path.display().to_string().into(), &text) {
        Ok(c) => Ok(c),
        Err(errors) => {
            let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
            bail!("invalid config:\n  {}", msgs.join("\n  "))
        }
    }
}

fn fail_threshold(s: &str) -> Option<Severity> {
    if s == "never" { None } else { s.parse().ok() }
}

/// Writes to `--output` or standard output.
fn emit(output: Option<&Path>, text: &[u8]) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Prints the parse errors to standard error; returns whether there were any.
fn report_errors(a: &Analysis) -> bool {
    for e in &a.errors {
        eprintln!("kubeward: {e}");
    }
    let shown = a.errors.len() as u64;
    if a.error_count > shown {
        eprintln!(
            "kubeward: ... and {} more bad records",
            a.error_count - shown
        );
    }
    a.error_count > 0 || a.read.bad_inputs > 0
}

fn exit_code(a: &Analysis, errors: bool, fail_on: &str) -> u8 {
    if errors {
        return 2;
    }
    match fail_threshold(fail_on) {
        Some(min) if a.alerts.iter().any(|al| al.severity >= min) => 1,
        _ => 0,
    }
}

/// Writes JSON to `--output` or standard output, streaming.
fn emit_json(
    output: Option<&Path>,
    to_json: impl Fn(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let write = |w: &mut dyn Write| -> Result<()> {
        let mut w = std::io::BufWriter::new(w);
        to_json(&mut w)?;
        w.write_all(b"\n")?;
        w.flush()?;
        Ok(())
    };
    match output {
        Some(p) => {
            let mut f = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            write(&mut f)
        }
        None => write(&mut std::io::stdout().lock()),
    }
}

fn run_analyze(args: AnalyzeArgs) -> Result<u8> {
    let cfg = load_config(args.common.config.as_deref())?;
    let a = analyze(&args.common.files, Arc::new(cfg), false);
    let errors = report_errors(&a);
    match args.format.as_str() {
        "json" => emit_json(args.common.output.as_deref(), |w| a.write_json(w))?,
        _ => emit(args.common.output.as_deref(), analyze_table(&a).as_bytes())?,
    }
    Ok(exit_code(&a, errors, &args.fail_on))
}

fn analyze_table(a: &Analysis) -> String {
    let mut o = String::new();
    for al in &a.alerts {
        alert_text(al, &mut o);
    }
    let mut by_sev = Vec::new();
    for s in Severity::ALL {
        let n = a.alerts.iter().filter(|al| al.severity == s).count();
        if n > 0 {
            by_sev.push(format!("{n} {s}"));
        }
    }
    o.push_str(&format!(
        "{} alert{} ({}) from {} requests ({} events) in {} input{}",
        a.alerts.len(),
        if a.alerts.len() == 1 { "" } else { "s" },
        if by_sev.is_empty() {
            "none".to_string()
        } else {
            by_sev.join(", ")
        },
        a.engine.requests,
        a.read.events,
        a.inputs.len(),
        if a.inputs.len() == 1 { "" } else { "s" },
    ));
    if a.read.bad_records > 0 {
        o.push_str(&format!("; {} bad records", a.read.bad_records));
    }
    o.push('\n');
    if a.engine.writes_without_body > 0 {
        o.push_str(&format!(
            "note: {} writes came without a request body (Metadata-level audit policy): detections that read objects could not judge them\n",
            a.engine.writes_without_body
        ));
    }
    o
}

fn run_report(args: ReportArgs) -> Result<u8> {
    let cfg = load_config(args.common.config.as_deref())?;
    let a = analyze(&args.common.files, Arc::new(cfg), true);
    let errors = report_errors(&a);
    let Some(report) = a.report.as_ref() else {
        bail!("internal error: no report built");
    };
    match args.format.as_str() {
        "json" => emit_json(args.common.output.as_deref(), |w| {
            report.write_json(&a.inputs, w)
        })?,
        "html" => emit(
            args.common.output.as_deref(),
            kubeward_audit::html::render(report, &a.inputs).as_bytes(),
        )?,
        _ => emit(
            args.common.output.as_deref(),
            report.to_text(&a.inputs).as_bytes(),
        )?,
    }
    Ok(exit_code(&a, errors, &args.fail_on))
}

fn mode_text(m: Mode) -> &'static str {
    match m {
        Mode::On => "on",
        Mode::Activity => "activity",
        Mode::Configured => "configured",
    }
}

fn rules(format: &str) -> Result<u8> {
    let text = match format {
        "json" => {
            let mut s = serde_json::to_string_pretty(&DETECTIONS.iter().map(|d| {
                json!({"code": d.code, "name": d.name, "catalogue": d.catalogue, "severity": d.severity, "mode": d.mode,
                       "mitre": d.mitre, "summary": d.summary, "doc": d.doc})
            }).collect::<Vec<_>>())?;
            s.push('\n');
            s
        }
        "markdown" => {
            let mut s = String::from(
                "| code | name | implements | severity | runs | MITRE (tactic · technique · ATT&CK) | what it finds |\n|---|---|---|---|---|---|---|\n",
            );
            for d in DETECTIONS {
                let m: Vec<String> = d
                    .mitre
                    .iter()
                    .map(|m| format!("{} · {} · {}", m.tactic.title(), m.technique, m.id))
                    .collect();
                s.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} | {} | {} |\n",
                    d.code,
                    d.name,
                    d.catalogue,
                    d.severity,
                    mode_text(d.mode),
                    m.join("<br>"),
                    d.summary
                ));
            }
            s
        }
        _ => {
            let mut s = String::new();
            s.push_str(&format!(
                "{:<6} {:<32} {:<4} {:<8} {:<10} {}\n",
                "CODE", "NAME", "CAT", "SEVERITY", "RUNS", "MITRE"
            ));
            for d in DETECTIONS {
                let m = d.mitre.first().map_or(String::new(), |m| {
                    format!("{} / {} ({})", m.tactic.title(), m.technique, m.id)
                });
                s.push_str(&format!(
                    "{:<6} {:<32} {:<4} {:<8} {:<10} {m}\n",
                    d.code,
                    d.name,
                    d.catalogue,
                    d.severity.as_str(),
                    mode_text(d.mode)
                ));
            }
            s
        }
    };
    emit(None, text.as_bytes())?;
    Ok(0)
}

fn explain(what: &str) -> Result<u8> {
    let Some(d) = kubeward_audit::detect::find(what) else {
        bail!("unknown detection `{what}` (see `kubeward audit rules`)");
    };
    let m: Vec<String> = d
        .mitre
        .iter()
        .map(|m| format!("{} / {} ({})", m.tactic.title(), m.technique, m.id))
        .collect();
    let text = format!(
        "{} {}: {}\n\nimplements: {} (shared/reference/audit-logs.md)\nseverity: {}\nruns: {}\nMITRE: {}\n\n{}\n",
        d.code,
        d.name,
        d.summary,
        d.catalogue,
        d.severity,
        mode_text(d.mode),
        m.join("; "),
        d.doc
    );
    emit(None, text.as_bytes())?;
    Ok(0)
}
