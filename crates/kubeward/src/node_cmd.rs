//! `kubeward node`: the CIS benchmark on a node's real configuration; `kubeward node
//! manifests`: the DaemonSet (or Job) that runs it on every node; `kubeward etcd`: a live
//! etcd's transport, client authentication and encryption at rest (`docs/node.md`).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kubeward_node::etcd::{self, EtcdOptions};
use kubeward_node::manifests::{self, ManifestOptions};
use kubeward_node::{Benchmark, NodeOptions};
use std::io::Write;
use std::path::PathBuf;

/// Check a node (control plane or worker) against the CIS Kubernetes Benchmark.
///
/// Reads the node's effective configuration: static pod manifests and running processes for
/// the API server, controller manager, scheduler and etcd; for the kubelet its systemd unit,
/// drop-ins, environment files and the config file it really uses (flags override the file).
/// Every value names its source (file:line, process argument, or default).
///
/// Exit status: 0 when no check failed, 1 when one did (or, with --fail-on-warn, warned),
/// 2 on an error (unreadable root, a configuration file that does not parse).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    #[command(subcommand)]
    command: Option<NodeCommand>,

    /// The node's root filesystem: DIR is treated as `/` (a copy of a node's disk, or the
    /// host's filesystem mounted into a pod).
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,

    /// Where the node's process table is (default ROOT/proc; `/proc` in a pod with hostPID
    /// that mounts the node's files under --root).
    #[arg(long = "proc", value_name = "DIR")]
    proc_dir: Option<PathBuf>,

    /// The benchmark version (default: from the Kubernetes version of the control-plane
    /// images, else the newest).
    #[arg(long, value_name = "BENCHMARK",
          value_parser = ["cis-1.8", "cis-1.9", "cis-1.10", "cis-1.11", "cis-1.12"])]
    benchmark: Option<String>,

    /// The Kubernetes version (`1.30`), to choose the benchmark where the node does not show
    /// it (workers).
    #[arg(
        long = "kubernetes-version",
        visible_alias = "k8s-version",
        value_name = "VERSION"
    )]
    kubernetes_version: Option<String>,

    /// Output format (JSON: docs/node.md).
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "sarif"])]
    format: String,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit with status 1 when a check warns (manual checks, undecidable ones) too.
    #[arg(long)]
    fail_on_warn: bool,

    /// Repeat the check every DURATION (`30m`, `6h`, `1d`), one report per run, until
    /// stopped (the DaemonSet of `kubeward node manifests` does this).
    #[arg(long, value_name = "DURATION")]
    every: Option<String>,
}

#[derive(Debug, Subcommand)]
enum NodeCommand {
    /// Print the manifests that run the node check on every node: Namespace, ServiceAccount
    /// (no token), a deny-all NetworkPolicy, and a DaemonSet (or, with --job NODE, a Job)
    /// with hostPID and read-only host paths, each privilege explained in a comment.
    ///
    /// `kubeward node manifests --image REPO@sha256:... | kubectl apply -f -`
    Manifests(ManifestArgs),
}

#[derive(Debug, Args)]
struct ManifestArgs {
    /// Namespace of the objects (created by the output).
    #[arg(long, default_value = manifests::DEFAULT_NAMESPACE)]
    namespace: String,
    /// The kubeward image; pin it by digest (`...@sha256:<digest>`).
    #[arg(long)]
    image: Option<String>,
    /// How often the DaemonSet repeats the check.
    #[arg(long, default_value = manifests::DEFAULT_INTERVAL, value_name = "DURATION")]
    interval: String,
    /// Output format of the check (written to the pod's log).
    #[arg(long, short = 'f', default_value = "json", value_parser = ["json", "table", "sarif"])]
    format: String,
    /// Also mount etcd's data directory (e.g. /var/lib/etcd) to check its mode and owner
    /// (CIS 1.1.11/1.1.12). This exposes the etcd database to the pod.
    #[arg(long, value_name = "DIR")]
    etcd_data_dir: Option<String>,
    /// Another host path to mount read-only (repeatable), e.g. /etc/sysconfig on RPM-based
    /// nodes, or a kubelet config file outside /etc/kubernetes and /var/lib/kubelet.
    #[arg(long, value_name = "PATH")]
    extra_host_path: Vec<String>,
    /// Print a Job that checks this one node once, instead of the DaemonSet.
    #[arg(long, value_name = "NODE")]
    job: Option<String>,
}

/// Check a live etcd: client authentication, plain HTTP, foreign client certificates, and
/// whether Secrets are encrypted at rest (every key under PREFIX/secrets/, values never
/// printed or kept).
///
/// Exit status: 0 when nothing was found, 1 when something was, 2 when etcd could not be
/// read with the given credentials (or bad flags).
#[derive(Debug, Args)]
pub struct EtcdArgs {
    /// The etcd client URL: https://HOST:PORT (or http://HOST:PORT).
    #[arg(long, value_name = "URL", required = true)]
    endpoints: String,
    /// CA certificate that signed etcd's serving certificate (PEM).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate (PEM), e.g. the API server's etcd client certificate.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Client key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The API server's --etcd-prefix.
    #[arg(long, default_value = "/registry")]
    prefix: String,
    /// Keys read per request.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    page_size: i64,
    /// Plain-text Secrets named in the report at most (all are counted).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    list_limit: usize,
    /// Time allowed per request.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    timeout: String,
    /// Skip the probes (no client certificate, plain HTTP, foreign CA).
    #[arg(long)]
    skip_probes: bool,
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "sarif"])]
    format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

fn write_out(output: &Option<PathBuf>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

fn render_node(r: &kubeward_node::Report, format: &str) -> String {
    match format {
        "json" => format!("{}\n", r.to_json()),
        "sarif" => format!("{}\n", r.to_sarif()),
        _ => r.to_table(),
    }
}

pub fn run_node(args: NodeArgs) -> Result<u8> {
    if let Some(NodeCommand::Manifests(m)) = args.command {
        let opts = ManifestOptions {
            namespace: m.namespace,
            image: m.image.unwrap_or_else(manifests::default_image),
            interval: m.interval,
            format: m.format,
            etcd_data_dir: m.etcd_data_dir,
            extra_host_paths: m.extra_host_path,
            job_node: m.job,
        };
        opts.validate().map_err(anyhow::Error::msg)?;
        write_out(&None, &manifests::manifests(&opts))?;
        return Ok(0);
    }
    let benchmark = args
        .benchmark
        .as_deref()
        .map(Benchmark::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = NodeOptions {
        root: args.root.clone(),
        proc_dir: args.proc_dir.clone(),
        benchmark,
        kubernetes_version: args.kubernetes_version.clone(),
    };
    let every = args
        .every
        .as_deref()
        .map(manifests::parse_duration)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let Some(every) = every else {
        let report = kubeward_node::check_node(&opts)?;
        write_out(&args.output, &render_node(&report, &args.format))?;
        if !report.errors.is_empty() {
            for e in &report.errors {
                eprintln!("kubeward: error: {e}");
            }
        }
        return Ok(report.exit_code(args.fail_on_warn));
    };
    // Repeat until stopped; a failed run is reported and the next one still happens.
    loop {
        match kubeward_node::check_node(&opts) {
            Ok(report) => write_out(&args.output, &render_node(&report, &args.format))?,
            Err(e) => eprintln!("kubeward: error: {e}"),
        }
        std::thread::sleep(every);
    }
}

pub fn run_etcd(args: EtcdArgs) -> Result<u8> {
    let endpoints: Vec<&str> = args
        .endpoints
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let [endpoint] = endpoints.as_slice() else {
        bail!(
            "give one endpoint (the keyspace is read once; run the command per member to probe each): got {}",
            endpoints.len()
        );
    };
    let timeout = manifests::parse_duration(&args.timeout).map_err(anyhow::Error::msg)?;
    let opts = EtcdOptions {
        endpoint: endpoint.to_string(),
        cacert: args.cacert,
        cert: args.cert,
        key: args.key,
        prefix: args.prefix,
        page_size: args.page_size,
        list_limit: args.list_limit,
        timeout,
        skip_probes: args.skip_probes,
        ..EtcdOptions::default()
    };
    let report = etcd::check(&opts)?;
    let text = match args.format.as_str() {
        "json" => format!("{}\n", report.to_json()),
        "sarif" => format!("{}\n", report.to_sarif()),
        _ => report.to_table(),
    };
    write_out(&args.output, &text)?;
    for e in &report.errors {
        eprintln!("kubeward: error: {e}");
    }
    Ok(report.exit_code())
}
