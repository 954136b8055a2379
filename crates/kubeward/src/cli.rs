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

/// Secures Kubernetes: finds what attackers use against a cluster, in manifests before they
/// ship and in live clusters.
///
/// Every finding names the exact file:line (or, on a live cluster, the object and its uid), the
/// rule (KWxxx), its severity and the MITRE ATT&CK tactic it enables. See `kubeward rules` and
/// `kubeward explain KW101`.
#[derive(Debug, Parser)]
#[command(name = "kubeward", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Kubernetes manifests (files, directories, `-` for stdin, snapshot files) or a live
    /// cluster (`--cluster`) for security problems.
    ///
    /// Exit status: 0 when nothing at or above --fail-on was found, 1 when something was,
    /// 2 on an error (bad flags or config, unreadable or malformed input: the other inputs are
    /// still scanned and reported; a cluster that cannot be reached or refuses the credentials).
    /// Lists a cluster refuses (403) are reported as not visible, not as errors.
    Scan(ScanArgs),
    /// Save what a cluster scan collects to a snapshot file (no Secret values), to scan later
    /// offline with `kubeward scan FILE`, diff, or attach to a ticket.
    ///
    /// Exit status: 0 when saved, 2 when the cluster could not be read at all.
    Snapshot(SnapshotArgs),
    /// Print the manifests that run `kubeward scan --cluster` periodically in the cluster:
    /// Namespace, ServiceAccount, read-only ClusterRole and binding, NetworkPolicy, CronJob.
    ///
    /// `kubeward install-manifests --image REPO@sha256:... | kubectl apply -f -`
    InstallManifests(InstallArgs),
    /// RBAC questions answered with the API server's semantics (aggregation, RoleBinding
    /// scoping, subresources, resourceNames, Kubernetes' default roles included).
    #[command(subcommand)]
    Rbac(RbacCommand),
    /// Attack paths: how an attacker gets from an exposed workload, any pod, or an anonymous or
    /// authenticated user to cluster-admin, root on a node, or kube-system's secrets.
    ///
    /// One shortest path per entry point and target, each hop with its technique and evidence.
    /// Exit status: 0 when no path was found, 1 when one was, 2 on an error.
    Paths(PathsArgs),
    /// The admission webhook: enforce the same rules when objects are created or updated.
    #[command(subcommand)]
    Admission(crate::admission_cmd::AdmissionCommand),
    /// NetworkPolicy analysis: which workloads can reach which, and why.
    #[command(subcommand)]
    Netpol(crate::netpol_cmd::NetpolCommand),
    /// API server audit logs: detections (KW7xx) and the audit report.
    #[command(subcommand)]
    Audit(crate::audit_cmd::AuditCommand),
    /// Check a node (control plane or worker) against the CIS Kubernetes Benchmark.
    Node(crate::node_cmd::NodeArgs),
    /// Check etcd: client authentication, transport, and whether Secrets are encrypted at rest.
    Etcd(crate::node_cmd::EtcdArgs),
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
    /// standard input (e.g. `helm template x ./chart | kubeward scan -`). A snapshot file saved
    /// by `kubeward snapshot` is scanned like a manifest.
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    cluster: ClusterArgs,

    /// Output format. `policyreport` writes wgpolicyk8s.io/v1alpha2 PolicyReports (a List to
    /// pipe into `kubectl apply -f -`).
    #[arg(long, short = 'f', default_value = "table",
          value_parser = ["table", "json", "sarif", "junit", "policyreport"])]
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

    /// Most workload objects (pods included) the attack-path rules KW230-KW232 analyse; past
    /// it they are skipped with a warning (the graph's memory grows with the input). 0 turns
    /// them off.
    #[arg(long, value_name = "N", default_value_t = kubeward_rules::scan::DEFAULT_PATHS_LIMIT)]
    paths_limit: usize,
}

/// Where and how to read a live cluster.
#[derive(Debug, Args)]
struct ClusterArgs {
    #[command(flatten)]
    conn: ClusterConn,

    /// Only these namespaces (repeatable or comma-separated); cluster-scoped objects are
    /// still read.
    #[arg(
        long,
        short = 'n',
        value_name = "NAMESPACE",
        value_delimiter = ',',
        requires = "cluster"
    )]
    namespace: Vec<String>,
}

/// How to connect to a live cluster.
#[derive(Debug, Args)]
struct ClusterConn {
    /// Read the live cluster of the current kubeconfig context (or the in-cluster service
    /// account) instead of files. Needs only get/list: see `kubeward install-manifests`.
    #[arg(long)]
    cluster: bool,

    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    context: Option<String>,

    /// Also request Secret values, for credential rules. Values are never printed nor saved.
    #[arg(long, requires = "cluster")]
    read_secret_values: bool,

    /// Deadline of each API request, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        requires = "cluster"
    )]
    request_timeout: u64,

    /// Client-side rate limit in requests per second (0 = none).
    #[arg(long, value_name = "QPS", default_value_t = 50.0, requires = "cluster")]
    qps: f64,

    /// Lists in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "cluster")]
    concurrency: usize,

    /// Objects per list page.
    #[arg(long, value_name = "N", default_value_t = 500, requires = "cluster")]
    page_size: u32,
}

impl ClusterConn {
    fn options(&self, namespaces: &[String]) -> kubeward_cluster::Options {
        kubeward_cluster::Options {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespaces: namespaces.to_vec(),
            read_secret_values: self.read_secret_values,
            page_size: self.page_size,
            concurrency: self.concurrency,
            qps: self.qps,
            timeout: std::time::Duration::from_secs(self.request_timeout.max(1)),
            progress: std::io::stderr().is_terminal(),
            ..kubeward_cluster::Options::default()
        }
    }

    /// Collects, with one clear error line when the cluster cannot be read at all.
    fn collect(&self, namespaces: &[String]) -> Result<kubeward_cluster::Collection> {
        let collection = kubeward_cluster::collect_blocking(&self.options(namespaces))?;
        let stats = collection.stats;
        eprintln!(
            "kubeward: collected {} objects of `{}` in {:.2}s ({} requests, {} retried)",
            stats.objects,
            collection.name,
            stats.elapsed.as_secs_f64(),
            stats.requests,
            stats.retried
        );
        for nv in not_visible(&collection) {
            eprintln!("kubeward: warning: not visible: {nv}");
        }
        Ok(collection)
    }
}

impl ClusterArgs {
    fn cluster(&self) -> bool {
        self.conn.cluster
    }

    fn collect(&self) -> Result<kubeward_cluster::Collection> {
        self.conn.collect(&self.namespace)
    }
}

/// The refused lists of a collection, one line each.
fn not_visible(collection: &kubeward_cluster::Collection) -> Vec<String> {
    collection
        .not_visible()
        .iter()
        .map(|nv| format!("{} ({} {})", nv.what(), nv.status, nv.reason))
        .collect()
}

#[derive(Debug, Subcommand)]
enum RbacCommand {
    /// Who may make a request: every subject, with the binding, role and rule that allow it.
    ///
    /// `kubeward rbac who-can create pods/exec -n prod k8s/`. Exit status 0 (2 on an error).
    WhoCan {
        /// Verb: get, list, watch, create, update, patch, delete, bind, escalate, impersonate...
        verb: String,
        /// `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale`, or a
        /// non-resource URL such as `/metrics`.
        resource: String,
        #[command(flatten)]
        query: RbacQuery,
    },
    /// May a user make a request, and through which binding.
    ///
    /// `kubeward rbac can system:serviceaccount:ci:deployer get secrets -n prod k8s/`.
    /// Exit status 0 when allowed, 1 when not (like `kubectl auth can-i`), 2 on an error.
    Can {
        /// User name (`alice`, `system:serviceaccount:NS:NAME`, `system:anonymous`).
        user: String,
        verb: String,
        resource: String,
        /// Groups the user is in (repeatable); `system:authenticated` and the service-account
        /// groups are added as the API server does.
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
        #[command(flatten)]
        query: RbacQuery,
    },
    /// Risky grants as findings: the RBAC rules (KW2xx) of `scan` alone.
    Risks(ScanArgs),
}

#[derive(Debug, Args)]
struct RbacQuery {
    /// Namespace of the request (omit for cluster-wide: only ClusterRoleBindings then apply).
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    namespace: Option<String>,

    /// Name of the object, for rules limited by resourceNames.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    format: String,

    #[command(flatten)]
    input: Inputs,
}

/// Every object of the inputs (or of the live cluster); any load error is an error.
fn read_objects(paths: &[PathBuf], cluster: &ClusterConn) -> Result<Vec<kubeward_core::Object>> {
    if cluster.cluster {
        let collection = cluster.collect(&[])?;
        return Ok(collection.objects().collect());
    }
    let (inputs, discover_errors) = kubeward_load::discover(paths);
    let mut loaded = kubeward_load::Loaded::default();
    for input in &inputs {
        kubeward_load::load_input(input, &Options::default(), &mut loaded);
    }
    let errors: Vec<String> = discover_errors
        .iter()
        .chain(&loaded.errors)
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    Ok(loaded.objects)
}

#[derive(Debug, Args)]
struct PathsArgs {
    /// Start only from here: `pod:NS/NAME`, `pod:NS/KIND/NAME`, `identity:USER`
    /// (`system:serviceaccount:NS:NAME`, `system:anonymous`), `sa:NS/NAME`, `group:NAME`.
    #[arg(long, value_name = "ENTRY")]
    from: Option<String>,

    /// Output format: a table, JSON (docs/paths.md), Graphviz DOT or Mermaid.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json", "dot", "mermaid"])]
    format: String,

    /// With dot or mermaid: draw the whole graph, not only the paths.
    #[arg(long)]
    whole_graph: bool,

    #[command(flatten)]
    input: Inputs,
}

/// Where the objects of `rbac` and `paths` come from.
#[derive(Debug, Args)]
pub(crate) struct Inputs {
    /// Manifests (files, directories, `-`) or snapshot files.
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    cluster: ClusterConn,
}

impl Inputs {
    /// Every object of the inputs (or of the live cluster); any load error is an error.
    pub(crate) fn objects(&self) -> Result<Vec<kubeward_core::Object>> {
        read_objects(&self.paths, &self.cluster)
    }
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// Namespace to run in (created by the output).
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = crate::install::DEFAULT_NAMESPACE)]
    namespace: String,

    /// kubeward image; pin it by digest (`REPO@sha256:...`), KW502 flags a tag.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,

    /// CronJob schedule (cron syntax or a macro such as @daily).
    #[arg(long, value_name = "CRON", default_value = crate::install::DEFAULT_SCHEDULE)]
    schedule: String,

    /// Report format the scan writes to the pod's log.
    #[arg(long, short = 'f', default_value = crate::install::DEFAULT_FORMAT,
          value_parser = ["table", "json", "sarif", "junit", "policyreport"])]
    format: String,

    /// Also grant `list` on secrets, so their metadata (names, types, annotations) is
    /// scanned. RBAC cannot restrict this to metadata: the account could read values (a scan
    /// of these manifests reports it: KW208, and attack paths from kubeward's own pod).
    #[arg(long)]
    with_secret_metadata: bool,
}

#[derive(Debug, Args)]
struct SnapshotArgs {
    #[command(flatten)]
    cluster: ClusterArgs,

    /// Write the snapshot to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
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
        Command::Snapshot(args) => snapshot(&args),
        Command::InstallManifests(args) => install_manifests(args),
        Command::Rbac(cmd) => rbac(cmd),
        Command::Admission(cmd) => crate::admission_cmd::run(cmd),
        Command::Netpol(cmd) => crate::netpol_cmd::run(cmd),
        Command::Audit(cmd) => crate::audit_cmd::run(cmd),
        Command::Node(args) => crate::node_cmd::run_node(args),
        Command::Etcd(args) => crate::node_cmd::run_etcd(args),
        Command::Paths(args) => paths(&args),
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
    let mut scan = Scan::new(engine);
    scan.set_paths_limit(args.paths_limit);
    if args.cluster.cluster() {
        let collection = args.cluster.collect()?;
        for object in collection.objects() {
            scan.add_object(object);
        }
    } else {
        let (inputs, discover_errors) = kubeward_load::discover(&args.paths);
        if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
            bail!("`-` (standard input) given more than once");
        }
        for e in discover_errors {
            scan.add_error(e);
        }
        for input in &inputs {
            scan.add_input(input, &opts);
        }
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
    for s in &result.skipped {
        eprintln!("kubeward: warning: {s}");
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

fn snapshot(args: &SnapshotArgs) -> Result<u8> {
    if !args.cluster.cluster() {
        bail!("`kubeward snapshot` reads a live cluster: add --cluster");
    }
    let collection = args.cluster.collect()?;
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            kubeward_cluster::write_snapshot(&collection, &mut w)?;
            w.flush()?;
            eprintln!(
                "kubeward: saved {} objects of `{}` to {}",
                collection.stats.objects,
                collection.name,
                path.display(),
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            kubeward_cluster::write_snapshot(&collection, &mut w)?;
            w.flush()?;
        }
    }
    Ok(0)
}

fn paths(args: &PathsArgs) -> Result<u8> {
    use kubeward_rbac::graph::{DiagramOptions, EntrySpec, Graph};
    let from: Option<EntrySpec> = match &args.from {
        Some(s) => Some(s.parse().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let objects = args.input.objects()?;
    let rbac = kubeward_rbac::Rbac::new(&objects);
    let graph = Graph::build(&objects, &rbac);
    let found = match &from {
        Some(spec) => graph.paths_from(spec).map_err(anyhow::Error::msg)?,
        None => graph.critical_paths(),
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let diagram = DiagramOptions {
        whole_graph: args.whole_graph,
    };
    match args.format.as_str() {
        "json" => kubeward_rbac::graph::write_json(&mut w, &graph, &found)?,
        "dot" => kubeward_rbac::graph::write_dot(&mut w, &graph, &found, diagram)?,
        "mermaid" => kubeward_rbac::graph::write_mermaid(&mut w, &graph, &found, diagram)?,
        _ => kubeward_rbac::graph::write_table(&mut w, &found)?,
    }
    w.flush()?;
    Ok(u8::from(!found.is_empty()))
}

fn rbac(cmd: RbacCommand) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let code = match cmd {
        RbacCommand::WhoCan {
            verb,
            resource,
            query,
        } => {
            let req = crate::rbac_cmd::parse_request(
                &verb,
                &resource,
                query.namespace.as_deref(),
                query.name.as_deref(),
            )?;
            let objects = query.input.objects()?;
            let rbac = crate::rbac_cmd::rbac_of(&objects);
            let grants = rbac.who_can(&req);
            let title = format!("who can {}:", req.describe());
            crate::rbac_cmd::write_grants(&mut w, query.format == "json", &title, &req, &grants)?;
            0
        }
        RbacCommand::Can {
            user,
            verb,
            resource,
            groups,
            query,
        } => {
            let req = crate::rbac_cmd::parse_request(
                &verb,
                &resource,
                query.namespace.as_deref(),
                query.name.as_deref(),
            )?;
            let objects = query.input.objects()?;
            let rbac = crate::rbac_cmd::rbac_of(&objects);
            let groups: Vec<kubeward_core::Str> =
                groups.iter().map(|g| g.as_str().into()).collect();
            let grants = rbac.can(&user, &groups, &req);
            let verdict = if grants.is_empty() { "no" } else { "yes" };
            let title = format!(
                "{verdict}: {user} may{} {}",
                if grants.is_empty() { " not" } else { "" },
                req.describe()
            );
            crate::rbac_cmd::write_grants(&mut w, query.format == "json", &title, &req, &grants)?;
            u8::from(grants.is_empty())
        }
        RbacCommand::Risks(mut args) => {
            drop(w);
            args.select.push("KW2".to_string());
            return scan(args);
        }
    };
    w.flush()?;
    Ok(code)
}

fn install_manifests(args: InstallArgs) -> Result<u8> {
    let mut opts = crate::install::InstallOptions {
        namespace: args.namespace,
        schedule: args.schedule,
        format: args.format,
        with_secret_metadata: args.with_secret_metadata,
        ..Default::default()
    };
    if let Some(image) = args.image {
        opts.image = image;
    }
    opts.validate().map_err(anyhow::Error::msg)?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(crate::install::install_manifests(&opts).as_bytes())?;
    w.flush()?;
    Ok(0)
}

/// Every rule's metadata, by code: the scan's rules and the node and etcd checks
/// (`kubeward node`, `kubeward etcd`), which share the finding model.
fn all_rules() -> Vec<&'static kubeward_core::RuleMeta> {
    let mut all: Vec<&'static kubeward_core::RuleMeta> = registry()
        .iter()
        .map(|r| &r.meta)
        .chain(kubeward_node::rules::ALL.iter().copied())
        .collect();
    all.sort_by_key(|m| m.code);
    all
}

fn rules(args: &RulesArgs) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match args.format.as_str() {
        "markdown" => w.write_all(kubeward_rules::docs::rules_markdown().as_bytes())?,
        "json" => {
            let list: Vec<serde_json::Value> = all_rules()
                .into_iter()
                .map(|m| {
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
            let all = all_rules();
            for m in &all {
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
                "\n{} rules (KW6xx node and etcd checks run in `kubeward node` and `kubeward etcd`; \
                 the audit detections are listed by `kubeward audit rules`). \
                 `kubeward explain CODE` shows one in full.",
                all.len()
            )?;
        }
    }
    w.flush()?;
    Ok(0)
}

fn explain(code: &str) -> Result<u8> {
    let m = match kubeward_rules::find(code) {
        Some(rule) => &rule.meta,
        None => match kubeward_node::rules::ALL
            .iter()
            .find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
        {
            Some(m) => *m,
            None => bail!("unknown rule `{code}` (see `kubeward rules`)"),
        },
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency checks (unique flags, valid requirements) on every subcommand.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
