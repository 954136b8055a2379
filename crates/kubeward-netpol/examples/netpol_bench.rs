//! Benchmark: a generated cluster of 2,000 workloads in 50 namespaces with 500
//! NetworkPolicies; times the full workload-to-workload matrix (see BENCHMARKS.md).
//!
//! ```text
//! cargo run --release -p kubeward-netpol --example netpol_bench               # typical
//! cargo run --release -p kubeward-netpol --example netpol_bench -- --worst    # every workload distinct
//! cargo run --release -p kubeward-netpol --example netpol_bench -- --write DIR  # the manifests, for the CLI
//! ```
//!
//! `--worst` gives one policy per namespace a peer for each of 40 workloads, by their unique
//! `app` label (2,000 peers in all), so no two workloads are alike to the policies: 2,000
//! classes, 4,000,000 pairs.

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/cluster_gen/mod.rs"]
mod generator;

use kubeward_netpol::{Analysis, Model};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let worst = args.iter().any(|a| a == "--worst");
    let text = generator::generate(2000, 50, worst);
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let dir = args.get(i + 1).expect("--write DIR");
        std::fs::create_dir_all(dir).expect("create the directory");
        let path = format!("{dir}/cluster.yaml");
        std::fs::write(&path, &text).expect("write the manifests");
        eprintln!("wrote {path} ({} bytes)", text.len());
        return;
    }
    let t0 = Instant::now();
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "bench.yaml".into(),
        text.as_bytes(),
        false,
        &Default::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
    let t_load = t0.elapsed();

    let t1 = Instant::now();
    let model = Model::build(&loaded.objects).unwrap_or_else(|e| panic!("{e}"));
    let analysis = Analysis::new(&model);
    let matrix = analysis.matrix();
    let t_matrix = t1.elapsed();

    let t2 = Instant::now();
    let conns = kubeward_netpol::list::connections(&analysis, &matrix);
    let t_list = t2.elapsed();

    // Every pair, read per workload: what a consumer of the matrix does.
    let t3 = Instant::now();
    let n = model.workloads.len();
    let mut allowed_pairs = 0usize;
    for s in 0..n {
        for d in 0..n {
            if s != d && !matrix.between(s, d).is_empty() {
                allowed_pairs += 1;
            }
        }
    }
    let t_read = t3.elapsed();

    println!(
        "{} workloads, {} namespaces, {} policies ({}), {} external source ranges, {} destination ranges",
        n,
        model.namespaces.len(),
        model.policies.len(),
        if worst { "worst case" } else { "typical" },
        matrix.sources.len(),
        matrix.destinations.len()
    );
    println!(
        "classes: {} (pairs computed: {}), distinct connection sets: {}",
        matrix.classes,
        matrix.classes * matrix.classes,
        matrix.distinct_conns()
    );
    println!(
        "load (generated YAML):            {:>8.3} s",
        t_load.as_secs_f64()
    );
    println!(
        "model + matrix:                   {:>8.3} s",
        t_matrix.as_secs_f64()
    );
    println!(
        "read all {} pairs:           {:>8.3} s ({allowed_pairs} allowed)",
        n * n,
        t_read.as_secs_f64()
    );
    println!(
        "connection list ({} entries): {:>8.3} s",
        conns.len(),
        t_list.as_secs_f64()
    );
}
