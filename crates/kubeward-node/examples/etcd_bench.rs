//! Benchmark: classify N Secrets in a real etcd (Debian's etcd-server, 3.4).
//!
//! ```text
//! cargo build --release -p kubeward --example etcd_bench -p kubeward-node
//! target/release/examples/etcd_bench [--keys 100000] [--tls] [--page-size 1000] \
//!     [--kubeward target/release/kubeward] [--runs 3]
//! ```
//!
//! Starts etcd on loopback with a temporary data directory, writes N keys under
//! `/registry/secrets/` in the API server's formats (70 % kms v2, 10 % aescbc, 5 % aesgcm, 5 %
//! secretbox, 8 % protobuf and 2 % JSON plain text; values of 300–2,300 bytes, 1 KiB on
//! average, spread over 200 namespaces), then times the classification: in this process
//! through the library, and, with `--kubeward`, as the real CLI under `/usr/bin/time` (wall
//! time and peak RSS of that process alone). Prints one line per run.

#[path = "../tests/common/etcd_server.rs"]
mod etcd_server;

use etcd_client::{PutOptions, Txn, TxnOp};
use etcd_server::{Etcd, values};
use kubeward_node::etcd::{EtcdOptions, check};
use std::process::Command;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn value(i: u64) -> Vec<u8> {
    let marker = "bench";
    let len = 300 + ((i * 7919) % 2000) as usize;
    match i % 100 {
        0..=69 => values::encrypted("kms:v2", "vault", marker, len),
        70..=79 => values::encrypted("aescbc:v1", "key1", marker, len),
        80..=84 => values::encrypted("aesgcm:v1", "key1", marker, len),
        85..=89 => values::encrypted("secretbox:v1", "key1", marker, len),
        90..=97 => {
            let mut v = values::protobuf(marker);
            v.resize(len, b'x');
            v
        }
        _ => {
            let mut v = values::json(marker);
            v.resize(len, b' ');
            v
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let keys: u64 = arg(&args, "--keys", 100_000);
    let page: i64 = arg(&args, "--page-size", 1000);
    let runs: u32 = arg(&args, "--runs", 3);
    let tls = args.iter().any(|a| a == "--tls");
    let kubeward: Option<String> = args
        .iter()
        .position(|a| a == "--kubeward")
        .and_then(|i| args.get(i + 1).cloned());

    let etcd = if tls {
        Etcd::start_tls()
    } else {
        Etcd::start_plain()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let bytes: u64 = rt.block_on(async {
        let client = etcd.client().await;
        let mut total = 0u64;
        let mut tasks = Vec::new();
        let per_task = keys.div_ceil(8);
        for t in 0..8u64 {
            let mut c = client.clone();
            let (from, to) = (t * per_task, ((t + 1) * per_task).min(keys));
            tasks.push(tokio::spawn(async move {
                let mut written = 0u64;
                let mut i = from;
                while i < to {
                    let end = (i + 128).min(to);
                    let ops: Vec<TxnOp> = (i..end)
                        .map(|k| {
                            let v = value(k);
                            written += v.len() as u64;
                            TxnOp::put(
                                format!("/registry/secrets/ns-{:03}/secret-{k:07}", k % 200),
                                v,
                                None::<PutOptions>,
                            )
                        })
                        .collect();
                    c.txn(Txn::new().and_then(ops)).await.unwrap();
                    i = end;
                }
                written
            }));
        }
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    println!(
        "etcd {} with {keys} secrets ({:.0} MiB of values) loaded in {:.1} s",
        if tls {
            "TLS + client certificates"
        } else {
            "plain"
        },
        bytes as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );

    let mut opts = EtcdOptions {
        endpoint: etcd.url.clone(),
        page_size: page,
        timeout: Duration::from_secs(60),
        skip_probes: true,
        ..EtcdOptions::default()
    };
    if let Some(p) = &etcd.pki {
        opts.cacert = Some(p.ca.clone());
        opts.cert = Some(p.client_cert.clone());
        opts.key = Some(p.client_key.clone());
    }
    for run in 1..=runs {
        let t = Instant::now();
        let r = check(&opts).unwrap();
        let s = r.secrets.as_ref().expect("classified");
        assert_eq!(s.total, keys);
        println!(
            "library run {run}: {:.2} s ({} pages of {page}); plain text {}, encrypted {:?}",
            t.elapsed().as_secs_f64(),
            s.pages,
            s.plaintext,
            s.encrypted
        );
    }
    if let Some(bin) = kubeward {
        for run in 1..=runs {
            let mut cmd = Command::new("/usr/bin/time");
            cmd.args([
                "-f",
                "%e %M %U %S",
                &bin,
                "etcd",
                "--endpoints",
                &etcd.url,
                "--skip-probes",
                "-f",
                "json",
            ])
            .args(["--page-size", &page.to_string(), "--timeout", "60s"]);
            if let Some(p) = &etcd.pki {
                cmd.arg("--cacert")
                    .arg(&p.ca)
                    .arg("--cert")
                    .arg(&p.client_cert)
                    .arg("--key")
                    .arg(&p.client_key);
            }
            let out = cmd.output().expect("run /usr/bin/time kubeward");
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or_default().to_string();
            let mut f = last.split_whitespace();
            let (wall, rss) = (f.next().unwrap_or("?"), f.next().unwrap_or("?"));
            let cpu: f64 = f.filter_map(|x| x.parse::<f64>().ok()).sum();
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            println!(
                "CLI run {run}: wall {wall} s, CPU (user+sys) {cpu:.2} s, peak RSS {} MiB, total {}, exit {:?}",
                rss.parse::<f64>()
                    .map_or_else(|_| "?".into(), |k| format!("{:.1}", k / 1024.0)),
                j["secrets"]["total"],
                out.status.code()
            );
        }
    }
}
