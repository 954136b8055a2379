//! `kubeward admission`: the validating admission webhook (`serve`), one AdmissionReview
//! answered offline (`review`), and the manifests that install the webhook (`manifests`).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kubeward_admission::config::Settings;
use kubeward_admission::judge::{Judge, NamespaceLabels};
use kubeward_admission::manifests::{self, ManifestOptions};
use kubeward_admission::namespaces::{KubeOptions, Namespaces};
use kubeward_admission::server::{self, ServeOptions};
use kubeward_admission::{Outcome, review};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum AdmissionCommand {
    /// Run the validating admission webhook: HTTPS only, `POST /validate` (AdmissionReview
    /// admission.k8s.io/v1), `GET /healthz`, `/readyz` and `/metrics` (Prometheus).
    ///
    /// CREATE and UPDATE requests are judged by the same rules as `kubeward scan`; per rule
    /// or severity a violation is enforced (denied), warned about or audited (see the
    /// `admission:` section of the config, docs/admission.md). A namespace's level comes
    /// from its `kubeward.io/enforce` label (restricted, baseline, privileged), read from the
    /// API server (kubeconfig or in-cluster) unless --offline. The certificate
    /// files are reloaded when they change. SIGTERM or Ctrl-C stops the server gracefully
    /// (requests in flight are finished). Exit status: 0 after a clean stop, 2 on an error.
    Serve(ServeArgs),
    /// Answer one AdmissionReview offline, as `serve --offline` would, and print the response
    /// AdmissionReview (JSON). For CI and tests: `kubeward admission review < review.json`.
    ///
    /// Nothing is read from a cluster: give the namespace's labels with --namespace-label; a
    /// binding is judged with its role only when that is one of Kubernetes' defaults.
    ///
    /// Exit status: 0 allowed, 1 denied, 2 on an error (unreadable input, not an
    /// admission.k8s.io/v1 AdmissionReview, bad config).
    Review(ReviewArgs),
    /// Print everything that runs the webhook in a cluster (Namespace, ServiceAccount, RBAC
    /// to read namespaces and roles, ConfigMap, TLS Secret or cert-manager certificates, Service,
    /// NetworkPolicy, Deployment with 2 replicas, PodDisruptionBudget,
    /// ValidatingWebhookConfiguration): `kubeward admission manifests | kubectl apply -f -`.
    ///
    /// The webhook fails open (failurePolicy Ignore) unless --fail-closed, times out after 3
    /// seconds, and never sees kube-system, kube-node-lease or its own namespace. Without
    /// --cert-manager a new CA and serving certificate (2 years) are generated each time.
    Manifests(ManifestsArgs),
}

/// Where the configuration comes from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Config file: severity overrides, exceptions and the `admission:` section
    /// (default: ./kubeward.yaml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Ignore ./kubeward.yaml: built-in defaults only.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
}

impl ConfigArgs {
    fn load(&self) -> Result<Settings> {
        let path = match (&self.config, self.no_config) {
            (_, true) => return Ok(Settings::default()),
            (Some(p), _) => p.clone(),
            (None, _) => {
                let p = PathBuf::from(kubeward_rules::config::DEFAULT_FILE);
                if !p.exists() {
                    return Ok(Settings::default());
                }
                p
            }
        };
        Ok(Settings::load(&path)?)
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,

    /// Serving certificate chain (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,

    /// Private key of the certificate (PEM), reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,

    #[command(flatten)]
    config: ConfigArgs,

    /// Kubeconfig to read the API server with: namespaces' labels, and the role each binding
    /// names (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
    #[arg(long, value_name = "FILE", conflicts_with = "offline")]
    kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME", conflicts_with = "offline")]
    context: Option<String>,

    /// Do not read the API server: levels come from the config only, and a binding is judged
    /// with its role only when that is one of Kubernetes' defaults.
    #[arg(long)]
    offline: bool,

    /// How often the namespaces' labels are listed again.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    namespace_refresh: Duration,

    /// Answer every request within this time (from its arrival); a request not answered in
    /// time gets 504 and the webhook's failurePolicy decides. Keep it under the webhook's
    /// timeoutSeconds (3s in `admission manifests`).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    deadline: Duration,

    /// Largest request body accepted; larger ones get 413.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = parse_size)]
    max_body_size: usize,

    /// Requests handled at once; more get 503 at once.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_in_flight: usize,

    /// Threads serving connections and judging requests; also how many requests larger than
    /// 256 KiB are judged at once (default: the CPUs).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,

    /// How often the certificate files are checked for changes.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    cert_reload_interval: Duration,

    /// On SIGTERM, keep accepting connections this long (readiness already failing) before
    /// closing the listener, while the Service's endpoints are updated.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    shutdown_delay: Duration,

    /// How long requests in flight may take to finish during a shutdown.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    shutdown_grace: Duration,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The AdmissionReview (JSON); `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,

    #[command(flatten)]
    config: ConfigArgs,

    /// A label of the request's namespace, as the server would read it
    /// (`kubeward.io/enforce=baseline`); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    namespace_label: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Namespace to run the webhook in (created by the output, and excluded from the
    /// webhook).
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = manifests::DEFAULT_NAMESPACE)]
    namespace: String,

    /// kubeward image; pin it by digest (`REPO@sha256:...`), KW502 flags a tag.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,

    /// failurePolicy Fail: requests are refused while no replica answers (default: Ignore,
    /// they are let through).
    #[arg(long)]
    fail_closed: bool,

    /// Have cert-manager issue and renew the certificate (and inject the CA) instead of
    /// generating them now.
    #[arg(long)]
    cert_manager: bool,
}

pub fn run(cmd: AdmissionCommand) -> Result<u8> {
    match cmd {
        AdmissionCommand::Serve(args) => serve(args),
        AdmissionCommand::Review(args) => review(&args),
        AdmissionCommand::Manifests(args) => print_manifests(args),
    }
}

fn serve(args: ServeArgs) -> Result<u8> {
    if args.deadline.is_zero() {
        bail!("--deadline must be longer than 0s");
    }
    let settings = args.config.load()?;
    let judge = Arc::new(Judge::new(settings));
    for e in judge.expired_exceptions() {
        eprintln!(
            "kubeward admission: warning: {}:{}: exception for {} expired on {}: it no longer applies",
            e.location.file,
            e.location.line,
            e.rules.join(","),
            e.expires.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    let opts = ServeOptions {
        listen: args.listen,
        cert: args.cert,
        key: args.key,
        max_body: args.max_body_size,
        deadline: args.deadline,
        max_in_flight: args.max_in_flight.max(1),
        workers: args
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .max(1),
        cert_reload: args.cert_reload_interval,
        namespace_refresh: args.namespace_refresh,
        shutdown_delay: args.shutdown_delay,
        shutdown_grace: args.shutdown_grace,
        log_denials: true,
    };
    let explicit = args.kubeconfig.is_some() || args.context.is_some();
    let kube = KubeOptions {
        kubeconfig: args.kubeconfig,
        context: args.context,
    };
    let offline = args.offline;
    server::run_until_signal(opts, judge, || async {
        if offline {
            eprintln!("kubeward admission: the API server is not read (--offline)");
            return Ok(Arc::new(Namespaces::offline()));
        }
        match Namespaces::connect(&kube).await {
            Ok(n) => Ok(Arc::new(n)),
            // Asked for by name: not reading it is an error.
            Err(e) if explicit => Err(server::ServeError::Api(e.to_string())),
            Err(e) => {
                eprintln!(
                    "kubeward admission: warning: the API server will not be read ({e}): levels come from the config, bindings are judged without their role (--offline silences this)"
                );
                Ok(Arc::new(Namespaces::offline()))
            }
        }
    })?;
    Ok(0)
}

/// Largest AdmissionReview `review` reads.
const MAX_REVIEW: u64 = 64 << 20;

fn review(args: &ReviewArgs) -> Result<u8> {
    let settings = args.config.load()?;
    let mut labels: Option<NamespaceLabels> = None;
    for kv in &args.namespace_label {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--namespace-label takes KEY=VALUE, got `{kv}`");
        };
        let l = labels.get_or_insert_with(NamespaceLabels::default);
        match k {
            kubeward_admission::config::ENFORCE_LABEL => l.enforce = Some(v.to_string()),
            kubeward_admission::config::PSS_ENFORCE_LABEL => l.pss_enforce = Some(v.to_string()),
            _ => {} // other labels do not change a decision
        }
    }
    let mut body = Vec::new();
    match args.input.as_deref() {
        None => std::io::stdin()
            .lock()
            .take(MAX_REVIEW + 1)
            .read_to_end(&mut body)
            .context("reading standard input")?,
        Some(p) if p.as_os_str() == "-" => std::io::stdin()
            .lock()
            .take(MAX_REVIEW + 1)
            .read_to_end(&mut body)
            .context("reading standard input")?,
        Some(p) => std::fs::File::open(p)
            .and_then(|f| f.take(MAX_REVIEW + 1).read_to_end(&mut body))
            .with_context(|| format!("cannot read {}", p.display()))?,
    };
    if body.len() as u64 > MAX_REVIEW {
        bail!("the AdmissionReview is larger than {MAX_REVIEW} bytes");
    }
    let request = review::decode(&body)?;
    let judge = Judge::new(settings);
    let facts = kubeward_admission::Facts { labels, role: None };
    let decision = judge.decide(request, &facts);
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    serde_json::to_writer_pretty(&mut w, &decision.response.to_json())?;
    writeln!(w)?;
    w.flush()?;
    Ok(u8::from(decision.outcome == Outcome::Denied))
}

fn print_manifests(args: ManifestsArgs) -> Result<u8> {
    let mut opts = ManifestOptions {
        namespace: args.namespace,
        fail_closed: args.fail_closed,
        cert_manager: args.cert_manager,
        ..ManifestOptions::default()
    };
    if let Some(image) = args.image {
        opts.image = image;
    }
    opts.validate().map_err(anyhow::Error::msg)?;
    let yaml = manifests::manifests(&opts)?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    w.write_all(yaml.as_bytes())?;
    w.flush()?;
    Ok(0)
}

/// `2s`, `500ms`, `1m`, `1h`; a bare number is seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 2s or 500ms, got `{s}`"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("unknown unit in `{s}` (use ms, s, m or h)")),
    };
    Ok(d)
}

/// `8MiB`, `512KiB`, `1048576`.
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("expected a size like 8MiB, got `{s}`"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit in `{s}` (use B, KiB, MiB, GiB)")),
    };
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("size `{s}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("2 weeks").is_err());
        assert!(parse_duration("fast").is_err());
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1PB").is_err());
    }
}
