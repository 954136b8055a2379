//! Times parse-only and full analysis (every detection) of audit log files in this process.
//!
//! `audit_bench parse FILE...` / `audit_bench analyze FILE...` / `audit_bench report FILE...`
//! Prints events, seconds, events/s and MB/s. Run it pinned to one core
//! (`taskset -c 1`) under `/usr/bin/time -v` for the peak RSS.

use kubeward_audit::analyze::{analyze, parse_only};
use kubeward_audit::config::AuditConfig;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let paths: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let start = Instant::now();
    let (events, bytes, alerts) = match mode.as_str() {
        "parse" => {
            let (read, _) = parse_only(&paths);
            (read.events, read.bytes, 0)
        }
        "analyze" | "report" => {
            let a = analyze(&paths, Arc::new(AuditConfig::default()), mode == "report");
            (a.read.events, a.read.bytes, a.alerts.len())
        }
        _ => {
            eprintln!("usage: audit_bench parse|analyze|report FILE...");
            std::process::exit(2);
        }
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode}: {events} events, {:.1} MB, {secs:.3} s, {:.0} events/s, {:.1} MB/s, {alerts} alerts",
        bytes as f64 / 1e6,
        events as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
