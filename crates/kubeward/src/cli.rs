//! Command-line interface.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use kubeward_core::Severity;
use kubeward_load::{Input, Options};
use kubeward_report::{Format, RenderOptions};
use kubeward_rules::config::{self, Config};
use kubeward_rules::exceptions::{Date, Exceptions};
use kubeward_rules::scan::Scan;
use kubeward_rules::{Engine, registry, select};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Secures Kubernetes: finds what attackers use against a cluster, in manifests, before it ships.
///
/// Every finding names the exact file:line, the rule (KWxxx), its severity and the MITRE ATT&CK
/// tactic it enables. See `kubeward rules` and `kubeward explain KW101`.
#[derive(Debug, Parser)]
#[command(name = "kubeward", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Kubernetes manifests (files, directories, `-` for stdin) for security problems.
    ///
    /// Exit status: 0 when nothing at or above --fail-on was found, 1 when something was,
    /// 2 on an error (bad flags or config, unreadable or malformed input; the other inputs are
    /// still scanned and reported).
    Scan(ScanArgs),
    /// List every rule: code, name, severity, category, frameworks.
    Rules(RulesArgs),
    /// Show a rule's full documentation.
    Explain {
        /// Rule code (KW101) or name (privileged-container).
        rule: String,
    },
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files and directories to scan (directories recursively: .yaml, .yml, .json); `-` reads
    /// standard input (e.g. `helm template x ./chart | kubeward scan -`).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "sarif", "junit"])]
    format: String,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Exit with status 1 when a finding at or above this severity remains.
    #[arg(long, default_value = "info", value_name = "SEVERITY",
          value_parser = ["critical", "high", "medium", "low", "info", "never"])]
    fail_on: String,

    /// Run only the rules of these frameworks (repeatable).
    #[arg(long, value_name = "FRAMEWORK", value_delimiter = ',',
          value_parser = ["pss-baseline", "pss-restricted", "nsa", "cis", "mitre"])]
    framework: Vec<String>,

    /// Run only these rules: codes (KW101), code prefixes (KW1) or names; repeatable or
    /// comma-separated.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    select: Vec<String>,

    /// Skip these rules: codes, code prefixes or names; repeatable or comma-separated.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Config file with severity overrides and exceptions (default: ./kubeward.yaml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Ignore ./kubeward.yaml.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,

    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Largest input accepted, e.g. 256MiB; larger files are reported as errors.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "markdown"])]
    format: String,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a size like 256MiB, got `{s}`"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit in `{s}` (use B, KiB, MiB, GiB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

pub fn run() -> Result<u8> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(args) => rules(&args),
        Command::Explain { rule } => explain(&rule),
    }
}

fn load_config(args: &ScanArgs) -> Result<Config> {
    let path = match (&args.config, args.no_config) {
        (_, true) => return Ok(Config::default()),
        (Some(p), _) => p.clone(),
        (None, _) => {
            let p = PathBuf::from(config::DEFAULT_FILE);
            if !p.exists() {
                return Ok(Config::default());
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    Config::parse(path.display().to_string().into(), &text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid config:\n  {}", lines.join("\n  "))
    })
}

fn scan(args: ScanArgs) -> Result<u8> {
    let rules =
        select::select(&args.select, &args.ignore, &args.framework).map_err(anyhow::Error::msg)?;
    if rules.is_empty() {
        bail!("the selection (--select/--ignore/--framework) leaves no rule to run");
    }
    let config = load_config(&args)?;
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let fail_on: Option<Severity> = match args.fail_on.as_str() {
        "never" => None,
        s => Some(s.parse().map_err(anyhow::Error::msg)?),
    };

    let engine = Engine::new(
        &rules,
        &config.severity,
        Exceptions::new(config.exceptions, Date::today()),
    );
    let opts = Options {
        max_file_size: args.max_file_size,
        ..Options::default()
    };
    let (inputs, discover_errors) = kubeward_load::discover(&args.paths);
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        bail!("`-` (standard input) given more than once");
    }
    let mut scan = Scan::new(engine);
    for e in discover_errors {
        scan.add_error(e);
    }
    for input in &inputs {
        scan.add_input(input, &opts);
    }
    let result = scan.finish();

    let to_stdout = args.output.is_none();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_stdout && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let render_opts = RenderOptions {
        color,
        version: env!("CARGO_PKG_VERSION"),
    };
    // Errors and exception problems go to standard error whatever the format, like ripgrep.
    for e in &result.errors {
        eprintln!("kubeward: error: {e}");
    }
    for p in &result.exception_problems {
        eprintln!("kubeward: warning: {p}");
    }
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            kubeward_report::render(format, &result, &render_opts, &mut w)?;
            w.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            kubeward_report::render(format, &result, &render_opts, &mut w)?;
            w.flush()?;
        }
    }

    if !result.errors.is_empty() {
        return Ok(2);
    }
    let failing = fail_on.is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failing))
}

fn rules(args: &RulesArgs) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match args.format.as_str() {
        "markdown" => w.write_all(kubeward_rules::docs::rules_markdown().as_bytes())?,
        "json" => {
            let list: Vec<serde_json::Value> = registry()
                .iter()
                .map(|r| {
                    let m = &r.meta;
                    serde_json::json!({
                        "code": m.code,
                        "name": m.name,
                        "severity": m.severity,
                        "category": m.category,
                        "summary": m.summary,
                        "remediation": m.remediation,
                        "frameworks": {
                            "mitre": m.mitre,
                            "nsa": m.nsa,
                            "cis": m.cis,
                            "pss": m.pss,
                        },
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut w, &list)?;
            writeln!(w)?;
        }
        _ => {
            writeln!(
                w,
                "{:<6} {:<36} {:<9} {:<28} FRAMEWORKS",
                "CODE", "NAME", "SEVERITY", "CATEGORY"
            )?;
            for r in registry() {
                let m = &r.meta;
                writeln!(
                    w,
                    "{:<6} {:<36} {:<9} {:<28} {}",
                    m.code,
                    m.name,
                    m.severity,
                    m.category.title(),
                    kubeward_rules::docs::framework_labels(m).join(", ")
                )?;
            }
            writeln!(
                w,
                "\n{} rules. `kubeward explain CODE` shows one in full.",
                registry().len()
            )?;
        }
    }
    w.flush()?;
    Ok(0)
}

fn explain(code: &str) -> Result<u8> {
    let Some(rule) = kubeward_rules::find(code) else {
        bail!("unknown rule `{code}` (see `kubeward rules`)");
    };
    let m = &rule.meta;
    let mut out = String::new();
    out.push_str(&format!("{} {} — {}\n\n", m.code, m.name, m.summary));
    out.push_str(&format!(
        "Severity: {}   Category: {}\n",
        m.severity,
        m.category.title()
    ));
    let labels = kubeward_rules::docs::framework_labels(m);
    if !labels.is_empty() {
        out.push_str(&format!("Frameworks: {}\n", labels.join(", ")));
    }
    out.push_str(&format!("Fix: {}\n\n", m.remediation));
    out.push_str(&m.doc_text());
    out.push('\n');
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(out.as_bytes())?;
    Ok(0)
}
