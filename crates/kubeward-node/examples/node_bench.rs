//! Benchmark: a full node check of the hardened control-plane fixture (every CIS section,
//! 97 checks), in process.
//!
//! ```text
//! cargo build --release -p kubeward-node --example node_bench
//! target/release/examples/node_bench [--fixture control-plane] [--runs 200] [--write DIR]
//! ```
//!
//! Materializes the fixture root (modes and owners applied: run as root), then times
//! `check_node` + the JSON rendering, and prints min / median / max. `--write DIR` keeps the
//! materialized root in DIR (for timing the CLI: `kubeward node --root DIR`).

#[path = "../tests/common/fixture.rs"]
mod fixture;

use kubeward_node::{NodeOptions, check_node};
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let name = get("--fixture").unwrap_or_else(|| "control-plane".into());
    let runs: usize = get("--runs").and_then(|r| r.parse().ok()).unwrap_or(200);
    let root = fixture::materialize(&name);
    let opts = NodeOptions {
        root: root.path().to_path_buf(),
        ..NodeOptions::default()
    };
    let mut times = Vec::with_capacity(runs);
    let mut checks = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = check_node(&opts).unwrap();
        let json = r.to_json().to_string();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        checks = r.checks.len();
        assert!(json.len() > 1000);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name}: {checks} checks, {runs} runs: min {:.2} ms, median {:.2} ms, max {:.2} ms",
        times[0],
        times[runs / 2],
        times[runs - 1]
    );
    if let Some(dir) = get("--write") {
        let status = std::process::Command::new("cp")
            .args(["-a", &format!("{}/.", root.path().display()), &dir])
            .status()
            .unwrap();
        assert!(status.success());
        println!("root written to {dir}");
    }
}
