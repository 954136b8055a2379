//! `kubeward-bench`: generate a manifest corpus, time parse-only and full scans.
//!
//! ```text
//! kubeward-bench gen --objects N --out FILE [--seed S]
//! kubeward-bench gen --dir DIR --files K --objects N [--seed S]
//! kubeward-bench gen --dir DIR --size 1GiB [--per-file M] [--seed S]
//! kubeward-bench parse [--repeat R] PATH...
//! kubeward-bench scan [--repeat R] PATH...
//! kubeward-bench compare [--repeat R] PATH...
//! kubeward-bench serve --objects N --out KUBECONFIG [--seed S]
//! kubeward-bench audit-load --url URL --ca CA.pem [--cert C --key K | --token T] [--rate R]
//!     [--seconds S] [--batch B] [--connections N] [--http2] [--events FILE]
//! kubeward-bench audit-certs --dir DIR
//! ```
//!
//! `serve` starts the fixture API server (`kubeward-fixture-api`) with N generated objects,
//! writes a kubeconfig for it and serves until killed, so `kubeward scan --cluster` can be timed
//! as its own process.
//!
//! Everything runs on one thread. `compare` alternates parse-only and scan runs over the same
//! input `R` times and reports the best of each and their ratio.

/// The same allocator as the `kubeward` binary, so the numbers describe what users run.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit_load;

use kubeward_bench::generate::Generator;
use kubeward_bench::{RunStats, inputs, parse_only, parse_size, peak_rss, scan_all};
use kubeward_load::Options;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage:
  kubeward-bench gen --objects N --out FILE [--seed S]
  kubeward-bench gen --dir DIR --files K --objects N [--seed S]
  kubeward-bench gen --dir DIR --size 1GiB [--per-file M] [--seed S]
  kubeward-bench parse [--repeat R] PATH...
  kubeward-bench scan [--repeat R] PATH...
  kubeward-bench compare [--repeat R] PATH...
  kubeward-bench serve --objects N --out KUBECONFIG [--seed S]
  kubeward-bench audit-load --url https://127.0.0.1:PORT/ --ca CA.pem [--cert C.pem --key K.pem | --token T | --token-file F]
      [--rate 20000] [--seconds 60] [--batch 400] [--connections 4] [--http2] [--events FILE] [--seed S]
  kubeward-bench audit-certs --dir DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kubeward-bench: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, Default)]
struct Args {
    objects: Option<u64>,
    out: Option<PathBuf>,
    dir: Option<PathBuf>,
    files: Option<u64>,
    size: Option<u64>,
    per_file: Option<u64>,
    seed: u64,
    repeat: u32,
    paths: Vec<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        repeat: 1,
        seed: 42,
        ..Args::default()
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let num = |s: String, name: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {s}"))
        };
        match arg.as_str() {
            "--objects" => a.objects = Some(num(value(arg)?, arg)?),
            "--out" => a.out = Some(value(arg)?.into()),
            "--dir" => a.dir = Some(value(arg)?.into()),
            "--files" => a.files = Some(num(value(arg)?, arg)?),
            "--per-file" => a.per_file = Some(num(value(arg)?, arg)?),
            "--seed" => a.seed = num(value(arg)?, arg)?,
            "--repeat" => a.repeat = num(value(arg)?, arg)?.clamp(1, 1000) as u32,
            "--size" => {
                let v = value(arg)?;
                a.size = Some(parse_size(&v).ok_or_else(|| format!("--size: bad size {v}"))?);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => a.paths.push(s.into()),
        }
    }
    Ok(a)
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command".into());
    };
    match cmd.as_str() {
        "audit-load" => return audit_load::load_main(rest),
        "audit-certs" => return audit_load::certs_main(rest),
        _ => {}
    }
    let a = parse_args(rest)?;
    match cmd.as_str() {
        "gen" => generate(&a),
        "parse" | "scan" | "compare" => measure(cmd, &a),
        "serve" => serve(&a),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other}")),
    }
}

/// Serves N objects from the fixture API server until killed: generated manifests, each
/// Deployment followed, as in a running cluster, by its ReplicaSet and two Pods (with uids,
/// `ownerReferences` and a status).
fn serve(a: &Args) -> Result<(), String> {
    let n = a.objects.ok_or("serve needs --objects N")?;
    let out = a.out.as_ref().ok_or("serve needs --out KUBECONFIG")?;
    let objects = live_objects(a.seed, n);
    let mut cfg = kubeward_fixture_api::FixtureConfig::new();
    for o in objects {
        cfg = cfg.object(o);
    }
    let server = kubeward_fixture_api::FixtureServer::start_blocking(cfg)
        .map_err(|e| format!("cannot start the fixture server: {e}"))?;
    std::fs::write(
        out,
        server.kubeconfig(kubeward_fixture_api::Identity::admin()),
    )
    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "serving {} objects at {} (kubeconfig {}); Ctrl-C to stop",
        server.object_count(),
        server.url(),
        out.display()
    );
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// `n` objects as a running cluster holds them.
fn live_objects(seed: u64, n: u64) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut g = Generator::new(seed);
    let mut out: Vec<serde_json::Value> = Vec::with_capacity(n as usize);
    let mut text = String::new();
    let mut serial = 0u64;
    let mut uid = || {
        serial += 1;
        format!("00000000-0000-4000-8000-{serial:012x}")
    };
    while (out.len() as u64) < n {
        text.clear();
        g.next_object(&mut text);
        let mut loaded = kubeward_load::Loaded::default();
        kubeward_load::load_bytes(
            "gen.yaml".into(),
            text.as_bytes(),
            false,
            &Options::default(),
            &mut loaded,
        );
        for object in loaded.objects {
            let mut v = object.root.to_json();
            if object.kind != "Deployment" {
                out.push(v);
                continue;
            }
            let ns = object.namespace.as_deref().unwrap_or("default").to_string();
            let name = object.name.to_string();
            let d_uid = uid();
            v["metadata"]["uid"] = json!(d_uid);
            let template = v["spec"]["template"].clone();
            let rs_name = format!("{name}-5d8f7c9b4");
            let rs_uid = uid();
            let rs = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid,
                    "labels": template["metadata"]["labels"].clone(),
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                        "name": name, "uid": d_uid, "controller": true, "blockOwnerDeletion": true}]},
                "spec": {"replicas": 2, "selector": v["spec"]["selector"].clone(), "template": template},
                "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2},
            });
            out.push(v);
            out.push(rs);
            for p in ["x2x9q", "k7m4d"] {
                let mut spec = template["spec"].clone();
                spec["nodeName"] = json!("node-1");
                out.push(json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{rs_name}-{p}"), "namespace": ns, "uid": uid(),
                        "labels": template["metadata"]["labels"].clone(),
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                            "name": rs_name, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}]},
                    "spec": spec,
                    "status": {"phase": "Running", "hostIP": "10.0.0.11", "podIP": "10.244.1.17",
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                            "image": "registry.example.com/shop/app:1.0",
                            "imageID": "registry.example.com/shop/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            "containerID": "containerd://0123456789abcdef"}]},
                }));
            }
        }
    }
    out.truncate(n as usize);
    out
}

fn generate(a: &Args) -> Result<(), String> {
    let mut g = Generator::new(a.seed);
    match (&a.out, &a.dir) {
        (Some(out), None) => {
            let n = a.objects.ok_or("--out needs --objects")?;
            let bytes = write_file(&mut g, out, n)?;
            println!("wrote {n} objects, {bytes} bytes to {}", out.display());
        }
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let (mut files, mut bytes) = (0u64, 0u64);
            match (a.size, a.files, a.objects) {
                (Some(size), None, None) => {
                    let per_file = a.per_file.unwrap_or(500).max(1);
                    while bytes < size {
                        bytes += write_file(&mut g, &corpus_file(dir, files), per_file)?;
                        files += 1;
                    }
                }
                (None, Some(k), Some(n)) => {
                    let k = k.max(1);
                    for f in 0..k {
                        // Spread n objects over k files as evenly as possible.
                        let count = n / k + u64::from(f < n % k);
                        bytes += write_file(&mut g, &corpus_file(dir, f), count)?;
                    }
                    files = k;
                }
                _ => return Err("--dir needs either --size, or --files and --objects".into()),
            }
            println!(
                "wrote {} objects, {files} files, {bytes} bytes ({}) to {}",
                g.objects,
                kubeward_load::human_size(bytes),
                dir.display()
            );
        }
        _ => return Err("gen needs exactly one of --out FILE or --dir DIR".into()),
    }
    Ok(())
}

fn corpus_file(dir: &Path, i: u64) -> PathBuf {
    // Two levels so no directory gets too large.
    let sub = dir.join(format!("ns-{:03}", i / 100));
    let _ = std::fs::create_dir_all(&sub);
    sub.join(format!("manifests-{i:05}.yaml"))
}

fn write_file(g: &mut Generator, path: &Path, objects: u64) -> Result<u64, String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(err)?;
    let mut w = std::io::BufWriter::new(file);
    let mut buf = String::new();
    let mut bytes = 0u64;
    w.write_all(b"# generated by kubeward-bench\n")
        .map_err(err)?;
    bytes += 30;
    for _ in 0..objects {
        buf.clear();
        g.next_object(&mut buf);
        w.write_all(buf.as_bytes()).map_err(err)?;
        bytes += buf.len() as u64;
    }
    w.flush().map_err(err)?;
    Ok(bytes)
}

fn measure(cmd: &str, a: &Args) -> Result<(), String> {
    if a.paths.is_empty() {
        return Err(format!("{cmd} needs at least one path"));
    }
    let (inputs, bytes) = inputs(&a.paths)?;
    let opts = Options::default();
    let mut best_parse: Option<RunStats> = None;
    let mut best_scan: Option<RunStats> = None;
    let keep_best = |best: &mut Option<RunStats>, s: RunStats| {
        if best.is_none_or(|b| s.elapsed < b.elapsed) {
            *best = Some(s);
        }
    };
    for round in 0..a.repeat {
        if cmd != "scan" {
            let s = parse_only(&inputs, bytes, &opts);
            if a.repeat > 1 {
                eprintln!("round {round}: parse {:.3} s", s.elapsed.as_secs_f64());
            }
            keep_best(&mut best_parse, s);
        }
        if cmd != "parse" {
            let (s, result) = scan_all(&inputs, bytes, &opts);
            if a.repeat > 1 {
                eprintln!("round {round}: scan {:.3} s", s.elapsed.as_secs_f64());
            }
            // Dropping the result is part of a real run too, but keep it out of the timing.
            drop(result);
            keep_best(&mut best_scan, s);
        }
    }
    if let Some(s) = best_parse {
        report("parse", &s);
    }
    if let Some(s) = best_scan {
        report("scan", &s);
    }
    if let (Some(p), Some(s)) = (best_parse, best_scan) {
        println!(
            "ratio: scan/parse = {:.2}x",
            s.elapsed.as_secs_f64() / p.elapsed.as_secs_f64().max(1e-9)
        );
    }
    if let Some(rss) = peak_rss() {
        println!(
            "peak_rss: {} ({} bytes, {:.2}x input)",
            kubeward_load::human_size(rss),
            rss,
            rss as f64 / bytes.max(1) as f64
        );
    }
    Ok(())
}

fn report(what: &str, s: &RunStats) {
    let finish = if what == "scan" {
        format!(
            " (finish: {:.3} s; {} rules)",
            s.finish.as_secs_f64(),
            kubeward_rules::registry().len()
        )
    } else {
        String::new()
    };
    println!(
        "{what}: files={} objects={} bytes={} errors={} findings={} seconds={:.3} objects/s={:.0} MB/s={:.1}{finish}",
        s.files,
        s.objects,
        s.bytes,
        s.errors,
        s.findings,
        s.elapsed.as_secs_f64(),
        s.objects_per_sec(),
        s.mb_per_sec()
    );
}
