//! `kubeward netpol list | reach | matrix | exposure`: NetworkPolicy analysis of manifests.

use crate::cli::Inputs;
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use kubeward_core::Object;
use kubeward_netpol::engine::Endpoint;
use kubeward_netpol::ip::{Family, IpRange, parse_cidr};
use kubeward_netpol::{Analysis, Model, render};
use std::io::Write;
use std::net::IpAddr;

#[derive(Debug, Subcommand)]
pub enum NetpolCommand {
    /// Every allowed connection, workload to workload and to/from external address ranges,
    /// with its ports.
    ///
    /// `kubeward netpol list k8s/`. Exit status 0 (2 on an error).
    List(ListArgs),
    /// May one workload (or address) connect to another, and why: the policies selecting each
    /// end and the rules that allow it, or the policies that isolate it and allow none.
    ///
    /// `kubeward netpol reach --from web/frontend --to db/postgres --port 5432/TCP k8s/`.
    /// Exit status 0 when allowed, 1 when not, 2 on an error.
    Reach(ReachArgs),
    /// The full matrix: sources (rows) by destinations (columns). `--format html` writes a
    /// self-contained page with a colored grid.
    ///
    /// Exit status 0 (2 on an error).
    Matrix(MatrixArgs),
    /// Per workload: what it accepts connections from and may connect to, which policies
    /// decide, and flags for unprotected workloads and dangerous openings.
    ///
    /// Exit status 0 (2 on an error).
    Exposure(ExposureArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
    #[command(flatten)]
    input: Inputs,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Source: a workload (`NAMESPACE/NAME`, `NAMESPACE/KIND/NAME`) or an address / CIDR.
    #[arg(long, value_name = "WORKLOAD|IP")]
    from: String,
    /// Destination: a workload or an address / CIDR.
    #[arg(long, value_name = "WORKLOAD|IP")]
    to: String,
    /// `PORT/PROTOCOL` (`5432/TCP`, `53/UDP`; TCP when omitted). Without it: whether any
    /// connection is allowed, and which.
    #[arg(long, value_name = "PORT[/PROTO]")]
    port: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    format: String,
    #[command(flatten)]
    input: Inputs,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "csv", "html"])]
    format: String,
    #[command(flatten)]
    input: Inputs,
}

#[derive(Debug, Args)]
pub struct ExposureArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    format: String,
    #[command(flatten)]
    input: Inputs,
}

/// Every object of the inputs (manifests, snapshot files, or the live cluster with
/// `--cluster`); any load error is an error (with file:line:column).
fn load(input: &Inputs) -> Result<Vec<Object>> {
    input.objects()
}

/// The model of the objects; problems it worked around are printed as warnings.
fn model(objects: &[Object]) -> Result<Model<'_>> {
    let model = Model::build(objects).map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &model.warnings {
        eprintln!("kubeward: warning: {w}");
    }
    Ok(model)
}

/// A workload of the model or an external address (`10.1.2.3`, `10.0.0.0/8`).
fn endpoint(model: &Model<'_>, spec: &str) -> Result<Endpoint> {
    if let Ok(addr) = spec.parse::<IpAddr>() {
        let (family, v) = match addr {
            IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (Family::V6, u128::from(a)),
        };
        return Ok(Endpoint::External(IpRange {
            family,
            start: v,
            end: v,
        }));
    }
    if let Ok((family, set)) = parse_cidr(spec)
        && let Some(&(start, end)) = set.ranges().first()
    {
        return Ok(Endpoint::External(IpRange { family, start, end }));
    }
    model
        .find_workload(spec)
        .map(Endpoint::Workload)
        .map_err(anyhow::Error::msg)
}

pub fn run(cmd: NetpolCommand) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let code = match cmd {
        NetpolCommand::List(args) => {
            let objects = load(&args.input)?;
            let model = model(&objects)?;
            let analysis = Analysis::new(&model);
            let matrix = analysis.matrix();
            let conns = kubeward_netpol::list::connections(&analysis, &matrix);
            render::write_list(&mut w, &model, &conns, &args.format)?;
            0
        }
        NetpolCommand::Reach(args) => {
            let port = match &args.port {
                Some(p) => {
                    Some(kubeward_netpol::explain::parse_port(p).map_err(anyhow::Error::msg)?)
                }
                None => None,
            };
            let objects = load(&args.input)?;
            let model = model(&objects)?;
            let src = endpoint(&model, &args.from).map_err(|e| e.context("--from"))?;
            let dst = endpoint(&model, &args.to).map_err(|e| e.context("--to"))?;
            if matches!((src, dst), (Endpoint::External(_), Endpoint::External(_))) {
                bail!("--from and --to are both addresses: one end must be a workload");
            }
            let analysis = Analysis::new(&model);
            let reach = analysis.explain(&src, &dst);
            render::write_reach(&mut w, &analysis, &reach, port, &args.format)?;
            u8::from(!reach.allows(port))
        }
        NetpolCommand::Matrix(args) => {
            let objects = load(&args.input)?;
            let model = model(&objects)?;
            let analysis = Analysis::new(&model);
            let matrix = analysis.matrix();
            render::write_matrix(&mut w, &model, &matrix, &args.format)?;
            0
        }
        NetpolCommand::Exposure(args) => {
            let objects = load(&args.input)?;
            let model = model(&objects)?;
            let analysis = Analysis::new(&model);
            let matrix = analysis.matrix();
            let list = kubeward_netpol::exposure::exposure(&analysis, &matrix);
            render::write_exposure(&mut w, &model, &list, &args.format)?;
            0
        }
    };
    w.flush()?;
    Ok(code)
}
