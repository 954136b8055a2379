//! Attack-graph benchmark on a generated cluster.
//!
//! ```text
//! cargo run --release -p kubeward-rbac --example paths_bench -- [pods sas bindings roles seed]
//! ```
//!
//! Defaults: 10000 pods, 2000 service accounts, 5000 bindings, 1000 roles, seed 1. Prints the
//! time of each phase and the peak resident memory (`VmHWM` of /proc/self/status).

use kubeward_rbac::graph::{Graph, synthetic::synthetic_cluster};
use kubeward_rbac::{Rbac, Request};
use std::time::Instant;

// The allocator of the `kubeward` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

fn rss_mib() -> f64 {
    status_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: pods sas bindings roles seed"))
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (pods, sas, bindings, roles) =
        (arg(0, 10_000), arg(1, 2_000), arg(2, 5_000), arg(3, 1_000));
    let seed = arg(4, 1) as u64;

    let t = Instant::now();
    let yaml = synthetic_cluster(seed, pods, sas, bindings, roles);
    let generate = t.elapsed();

    let t = Instant::now();
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "synthetic.yaml".into(),
        yaml.as_bytes(),
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    let load = t.elapsed();
    assert!(loaded.errors.is_empty(), "{:?}", &loaded.errors[..1]);
    let objects = loaded.objects;
    drop(yaml);
    let rss_objects = rss_mib();

    let t = Instant::now();
    let rbac = Rbac::new(&objects);
    let rbac_time = t.elapsed();

    let t = Instant::now();
    let graph = Graph::build(&objects, &rbac);
    let build = t.elapsed();
    let rss_graph = rss_mib();

    let t = Instant::now();
    let paths = graph.critical_paths();
    let path_time = t.elapsed();

    let t = Instant::now();
    let req = Request::Resource {
        verb: "create".into(),
        group: "".into(),
        resource: "pods".into(),
        subresource: Some("exec".into()),
        name: None,
        namespace: Some("ns-1".into()),
    };
    let who = rbac.who_can(&req);
    let who_time = t.elapsed();

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "cluster: {pods} pods, {sas} service accounts, {bindings} bindings, {roles} roles ({} objects)",
        objects.len()
    );
    println!(
        "graph: {} vertices, {} edges ({} stored), {} entries",
        graph.vertex_count(),
        graph.edge_count(),
        graph.stored_edge_count(),
        graph.entries().count()
    );
    let count = |s: &str| paths.iter().filter(|p| p.severity.as_str() == s).count();
    println!(
        "paths: {} (critical {}, high {}, medium {})",
        paths.len(),
        count("critical"),
        count("high"),
        count("medium")
    );
    println!("generate:        {:9.1} ms", ms(generate));
    println!("load (parse):    {:9.1} ms", ms(load));
    println!("rbac (index):    {:9.1} ms", ms(rbac_time));
    println!("graph build:     {:9.1} ms", ms(build));
    println!("critical paths:  {:9.1} ms", ms(path_time));
    println!("build + paths:   {:9.1} ms", ms(build) + ms(path_time));
    println!(
        "who-can create pods/exec -n ns-1: {:.2} ms ({} grants)",
        ms(who_time),
        who.len()
    );
    if std::env::var_os("PATHS_BENCH_EDGES").is_some() {
        let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in graph.edges() {
            *by.entry(e.technique.name()).or_default() += 1;
        }
        for (t, n) in by {
            println!("  {t:<24} {n}");
        }
    }
    println!("RSS after load: {rss_objects:.1} MiB, after graph build: {rss_graph:.1} MiB");
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
}
