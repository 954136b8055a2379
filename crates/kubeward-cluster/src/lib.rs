//! Live collection: reads what kubeward's rules need from a running cluster through kube-rs.
//!
//! - Connection: the kubeconfig (`KUBECONFIG` or `~/.kube/config`, or `--kubeconfig`) with any
//!   context, and every auth kube-rs supports (client certificates, tokens, exec plugins), or
//!   the in-cluster service account when there is no kubeconfig.
//! - Lists every kind in [`resources::RESOURCES`] in pages (`limit`/`continue`, relisting once
//!   when a continue token expires), a few kinds at a time, through a client-side rate limit,
//!   with a deadline per request and retries on 429 (honouring `Retry-After`) and 5xx.
//! - Secrets are listed in their metadata-only `Table` form (name, type, labels, annotations):
//!   values are never requested unless [`Options::read_secret_values`] is set, and a snapshot
//!   never contains them.
//! - A refused list (403, or a failure after retries) is recorded in the `Cluster` object's
//!   `status.notVisible` and collection goes on; a cluster-wide refusal falls back to listing
//!   namespace by namespace. Only an unreachable server or rejected credentials stop it.
//! - Also records what only a live cluster can tell: `/version`, and which requests the server
//!   answers without credentials (see `kubeward_core::cluster`).
//!
//! Each collected object is kept as compact JSON (with `apiVersion`/`kind` written back into
//! list items and `managedFields` dropped) so 20,000 objects cost little more than their size.

mod fetch;
pub mod resources;
mod snapshot;

pub use snapshot::{SNAPSHOT_API_VERSION, write_snapshot};

use fetch::{FetchError, Fetcher, Reply};
use futures::StreamExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kubeward_core::cluster::NotVisible;
use kubeward_core::{Node, Object, Source};
use resources::{RESOURCES, Resource};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to reach the cluster and how hard to push it.
#[derive(Debug, Clone)]
pub struct Options {
    /// A kubeconfig file; default `KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; default its current context.
    pub context: Option<String>,
    /// Only these namespaces (cluster-scoped kinds are still listed); empty = all.
    pub namespaces: Vec<String>,
    /// Request Secret values (for credential rules); they are never written or printed.
    pub read_secret_values: bool,
    /// Items per page.
    pub page_size: u32,
    /// Lists in flight at once.
    pub concurrency: usize,
    /// Client-side rate limit: requests per second (0 = none) and burst.
    pub qps: f64,
    pub burst: u32,
    /// Deadline of one request.
    pub timeout: Duration,
    /// Retries of one request (429, 5xx, dropped connections, timeouts).
    pub retries: u32,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Ask `/version`, `/api` and a list without credentials.
    pub probe_anonymous: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            read_secret_values: false,
            page_size: 500,
            concurrency: 4,
            qps: 50.0,
            burst: 100,
            timeout: Duration::from_secs(30),
            retries: 4,
            progress: false,
            probe_anonymous: true,
        }
    }
}

/// Why a collection could not happen at all (partial access is not an error).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{0}")]
    Config(String),
    #[error("cannot reach the API server at {server}: {cause}")]
    Unreachable { server: String, cause: String },
    #[error(
        "the API server at {server} rejected the credentials of context `{context}` (401 Unauthorized): they are missing, invalid or expired"
    )]
    Unauthorized { server: String, context: String },
}

/// Counts of one collection.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Requests sent, retries and probes included.
    pub requests: u64,
    /// Of which retries.
    pub retried: u64,
    pub objects: u64,
    pub elapsed: Duration,
}

/// What a collection gathered: kubeward's `Cluster` object, then the objects in output order.
#[derive(Debug)]
pub struct Collection {
    /// Name of the context (or `in-cluster`).
    pub name: String,
    /// The `kubeward.io/v1alpha1` `Cluster` object, as compact JSON.
    pub cluster: Vec<u8>,
    /// Each object as compact JSON with `apiVersion` and `kind`.
    pub items: Vec<Box<[u8]>>,
    pub stats: Stats,
}

impl Collection {
    /// The lists the server refused (from the `Cluster` object).
    pub fn not_visible(&self) -> Vec<NotVisible> {
        serde_json::from_slice::<Value>(&self.cluster)
            .ok()
            .and_then(|c| c.pointer("/status/notVisible").cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    /// Every object (the `Cluster` first) for the rule engine. Positions are unknown: findings
    /// name the object (kind, namespace, name, uid), not a line. Objects are parsed one at a
    /// time as the iterator is consumed.
    pub fn objects(&self) -> impl Iterator<Item = Object> + '_ {
        let file: Arc<str> = Arc::from(format!("cluster/{}", self.name));
        std::iter::once(&self.cluster[..])
            .chain(self.items.iter().map(|b| &b[..]))
            .enumerate()
            .filter_map(move |(i, bytes)| {
                let value: Value = serde_json::from_slice(bytes).ok()?;
                let source = Source {
                    file: file.clone(),
                    doc: 0,
                    item: Some(i as u32),
                };
                Some(Object::new(Node::from_json(&value), source))
            })
    }
}

/// Collects on a runtime of its own (for synchronous callers such as the CLI).
pub fn collect_blocking(opts: &Options) -> Result<Collection, ClusterError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Config(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(collect(opts))
}

/// Collects everything the rules need from the cluster `opts` names.
pub async fn collect(opts: &Options) -> Result<Collection, ClusterError> {
    let started = Instant::now();
    let (mut config, name) = config(opts).await?;
    config.default_retry = false; // retries are ours, counted and bounded
    config.connect_timeout = Some(opts.timeout.min(Duration::from_secs(10)));
    let server = config.cluster_url.to_string();
    let server = server.trim_end_matches('/').to_string();
    let anonymous = opts.probe_anonymous.then(|| {
        let mut anon = config.clone();
        anon.auth_info = Default::default();
        anon.headers.clear();
        anon
    });
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| {
        ClusterError::Config(format!(
            "cannot build a client for `{name}`: {}",
            fetch::describe(&e)
        ))
    })?;
    let fetcher = Fetcher::new(client, opts.qps, opts.burst, opts.timeout, opts.retries);

    // The first request tells whether the server is there and takes our credentials.
    let version = match fetcher.get_with("/version", JSON, 1).await {
        Err(e) => {
            return Err(ClusterError::Unreachable {
                server,
                cause: e.to_string(),
            });
        }
        Ok(Reply::Failed(f)) if f.code == 401 => {
            return Err(ClusterError::Unauthorized {
                server,
                context: name,
            });
        }
        Ok(Reply::Ok(body)) => serde_json::from_slice::<Value>(&body).ok(),
        Ok(Reply::Failed(_)) => None,
    };
    let served = discover(&fetcher).await?;

    let progress = Progress::new(opts.progress, RESOURCES.len() as u64);
    let mut c = Collector {
        fetcher: &fetcher,
        opts,
        served,
        not_visible: Vec::new(),
        not_served: Vec::new(),
        namespaces: None,
        progress: &progress,
        default_namespace,
        server: server.clone(),
        context: name.clone(),
    };

    // Namespaces first: a refused cluster-wide list falls back to them.
    let mut lists: Vec<(usize, Vec<Box<[u8]>>)> = Vec::new();
    let ns_index = 0;
    let ns_items = c.namespaces_first(&RESOURCES[ns_index]).await?;
    lists.push((ns_index, ns_items));
    let rest: Vec<(usize, Result<Listed, ClusterError>)> =
        futures::stream::iter(RESOURCES.iter().enumerate().skip(1).map(|(i, r)| {
            let c = &c;
            async move { (i, c.list_resource(r).await) }
        }))
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    for (i, listed) in rest {
        let listed = listed?;
        c.not_visible.extend(listed.not_visible);
        if listed.not_served {
            c.not_served.push(RESOURCES[i].display());
        }
        lists.push((i, listed.items));
    }
    progress.finish();
    lists.sort_by_key(|(i, _)| *i);
    let items: Vec<Box<[u8]>> = lists.into_iter().flat_map(|(_, items)| items).collect();

    let probes = match anonymous {
        Some(anon) => probe_anonymous(anon, opts.timeout).await,
        None => Vec::new(),
    };
    let mut not_visible = c.not_visible;
    not_visible.sort();
    let mut not_served = c.not_served;
    not_served.sort();
    let stats = Stats {
        requests: fetcher.requests() + probes.len() as u64,
        retried: fetcher.retried(),
        objects: items.len() as u64,
        elapsed: started.elapsed(),
    };
    // The uid of kube-system is the de-facto identity of a cluster (it lives as long as the
    // cluster does): the Cluster object takes it, so findings on it carry a uid too.
    let uid = lists_uid_of_kube_system(&items);
    let cluster = snapshot::cluster_object(&snapshot::ClusterFacts {
        name: &name,
        uid: uid.as_deref(),
        server: &server,
        namespaces: &opts.namespaces,
        version: version.as_ref(),
        anonymous: &probes,
        not_visible: &not_visible,
        not_served: &not_served,
        requests: stats.requests,
        secret_values: opts.read_secret_values,
    });
    Ok(Collection {
        name,
        cluster,
        items,
        stats,
    })
}

const JSON: &str = "application/json";
/// The metadata-only table form of a list (what `kubectl get` asks for), used for Secrets.
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// The kubeconfig (or in-cluster) configuration and the context's name.
async fn config(opts: &Options) -> Result<(kube::Config, String), ClusterError> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Some(Kubeconfig::read_from(path).map_err(|e| {
            ClusterError::Config(format!("cannot read kubeconfig {}: {e}", path.display()))
        })?),
        None => match Kubeconfig::read() {
            Ok(kc) => Some(kc),
            Err(_) if opts.context.is_none() => None,
            Err(e) => {
                return Err(ClusterError::Config(format!(
                    "cannot read a kubeconfig for context `{}`: {e}",
                    opts.context.as_deref().unwrap_or_default()
                )));
            }
        },
    };
    let Some(kubeconfig) = kubeconfig else {
        let config = kube::Config::incluster().map_err(|e| {
            ClusterError::Config(format!(
                "no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster: {e}"
            ))
        })?;
        return Ok((config, "in-cluster".to_string()));
    };
    let context = opts
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| {
            ClusterError::Config(
                "the kubeconfig has no current context: name one with --context".to_string(),
            )
        })?;
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        return Err(ClusterError::Config(format!(
            "context `{context}` is not in the kubeconfig (contexts: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| {
            ClusterError::Config(format!("context `{context}`: {}", fetch::describe(&e)))
        })?;
    Ok((config, context))
}

/// Served versions per API group, from `/apis` (one request). Without it every group is
/// assumed to serve its first listed version.
async fn discover(fetcher: &Fetcher) -> Result<Option<HashMap<String, Vec<String>>>, ClusterError> {
    let Ok(Reply::Ok(body)) = fetcher.get("/apis", JSON).await else {
        return Ok(None);
    };
    let Ok(list) = serde_json::from_slice::<Value>(&body) else {
        return Ok(None);
    };
    let mut served = HashMap::new();
    for group in list
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = group.get("name").and_then(Value::as_str) else {
            continue;
        };
        let versions = group
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
            .collect();
        served.insert(name.to_string(), versions);
    }
    Ok(Some(served))
}

/// The requests an anonymous user might be allowed, and what the server answered (0 = no
/// answer).
const ANONYMOUS_PROBES: &[&str] = &["/version", "/api", "/api/v1/namespaces?limit=1"];

async fn probe_anonymous(config: kube::Config, timeout: Duration) -> Vec<(String, u16)> {
    let Ok(client) = kube::Client::try_from(config) else {
        return Vec::new();
    };
    let fetcher = Fetcher::new(client, 0.0, 1, timeout, 0);
    let mut out = Vec::new();
    for path in ANONYMOUS_PROBES {
        let status = match fetcher.get(path, JSON).await {
            Ok(Reply::Ok(_)) => 200,
            Ok(Reply::Failed(f)) => f.code,
            Err(_) => 0,
        };
        out.push((path.split('?').next().unwrap_or(path).to_string(), status));
    }
    out
}

struct Collector<'a> {
    fetcher: &'a Fetcher,
    opts: &'a Options,
    served: Option<HashMap<String, Vec<String>>>,
    not_visible: Vec<NotVisible>,
    not_served: Vec<String>,
    /// Every namespace's name, when the namespace list could be read.
    namespaces: Option<Vec<String>>,
    progress: &'a Progress,
    /// The context's namespace: listed when nothing wider is allowed.
    default_namespace: String,
    server: String,
    context: String,
}

/// What listing one resource gave.
#[derive(Default)]
struct Listed {
    items: Vec<Box<[u8]>>,
    not_visible: Vec<NotVisible>,
    not_served: bool,
}

/// One list request's outcome.
enum Outcome {
    Items(Vec<Box<[u8]>>),
    Refused(NotVisible),
    NotServed,
}

impl Collector<'_> {
    fn version(&self, r: &Resource) -> Option<&'static str> {
        if r.group.is_empty() {
            return r.versions.first().copied();
        }
        match &self.served {
            None => r.versions.first().copied(),
            Some(served) => {
                let have = served.get(r.group)?;
                r.versions
                    .iter()
                    .copied()
                    .find(|v| have.iter().any(|h| h == v))
            }
        }
    }

    /// Namespaces: the ones asked for (by name), or the whole list.
    async fn namespaces_first(&mut self, r: &Resource) -> Result<Vec<Box<[u8]>>, ClusterError> {
        let mut items = Vec::new();
        if self.opts.namespaces.is_empty() {
            match self.list(r, "v1", None).await? {
                Outcome::Items(list) => {
                    self.namespaces = Some(list.iter().filter_map(|b| item_name(b)).collect());
                    items = list;
                }
                Outcome::Refused(nv) => self.not_visible.push(nv),
                Outcome::NotServed => {}
            }
        } else {
            for ns in &self.opts.namespaces {
                let path = format!("/api/v1/namespaces/{ns}");
                match self.fetcher.get(&path, JSON).await {
                    Ok(Reply::Ok(body)) => {
                        if let Some(item) =
                            RawValue::from_string(String::from_utf8_lossy(&body).into_owned())
                                .ok()
                                .and_then(|raw| finish_item(&raw, "v1", "Namespace"))
                        {
                            items.push(item);
                        }
                    }
                    Ok(Reply::Failed(f)) => {
                        self.not_visible
                            .push(refused(r, Some(ns), f.code, f.reason, f.message))
                    }
                    Err(e) => self.not_visible.push(failed(r, Some(ns), &e)),
                }
            }
            self.namespaces = Some(self.opts.namespaces.clone());
        }
        self.progress.step(r, items.len());
        Ok(items)
    }

    async fn list_resource(&self, r: &Resource) -> Result<Listed, ClusterError> {
        let mut out = Listed::default();
        let Some(version) = self.version(r) else {
            out.not_served = true;
            self.progress.step(r, 0);
            return Ok(out);
        };
        let scoped = r.namespaced && !self.opts.namespaces.is_empty();
        if !scoped {
            match self.list(r, version, None).await? {
                Outcome::Items(items) => out.items = items,
                Outcome::NotServed => out.not_served = true,
                Outcome::Refused(nv) if r.namespaced && nv.status == 403 => {
                    // Not allowed cluster-wide: go namespace by namespace.
                    match &self.namespaces {
                        Some(all) => self.per_namespace(r, version, all, &mut out).await?,
                        None => {
                            let own = self.fetcher_default_namespace();
                            let mut cluster_wide = nv;
                            let mut partial = Listed::default();
                            self.per_namespace(
                                r,
                                version,
                                std::slice::from_ref(&own),
                                &mut partial,
                            )
                            .await?;
                            if partial.not_visible.is_empty() {
                                cluster_wide.message = format!(
                                    "{}; listed namespace {own} only (the namespace list is not visible either)",
                                    cluster_wide.message
                                );
                            }
                            out.items = partial.items;
                            out.not_visible.push(cluster_wide);
                            out.not_visible.extend(partial.not_visible);
                        }
                    }
                }
                Outcome::Refused(nv) => out.not_visible.push(nv),
            }
        } else {
            let namespaces = self.opts.namespaces.clone();
            self.per_namespace(r, version, &namespaces, &mut out)
                .await?;
        }
        self.progress.step(r, out.items.len());
        Ok(out)
    }

    fn fetcher_default_namespace(&self) -> String {
        self.default_namespace.clone()
    }

    async fn per_namespace(
        &self,
        r: &Resource,
        version: &str,
        namespaces: &[String],
        out: &mut Listed,
    ) -> Result<(), ClusterError> {
        for ns in namespaces {
            match self.list(r, version, Some(ns)).await? {
                Outcome::Items(items) => out.items.extend(items),
                Outcome::Refused(nv) => out.not_visible.push(nv),
                Outcome::NotServed => out.not_served = true,
            }
        }
        Ok(())
    }

    /// Lists one resource (cluster-wide or in one namespace) page by page.
    async fn list(
        &self,
        r: &Resource,
        version: &str,
        namespace: Option<&str>,
    ) -> Result<Outcome, ClusterError> {
        let metadata_only = resources::is_secrets(r) && !self.opts.read_secret_values;
        let path = r.path(version, namespace);
        let api_version = r.api_version(version);
        let mut relisted = false;
        'relist: loop {
            let mut items = Vec::new();
            let mut token: Option<String> = None;
            loop {
                // After an expired continue token, one full list without `limit`, as
                // client-go's pager falls back to.
                let mut query = if relisted {
                    format!("{path}?")
                } else {
                    format!("{path}?limit={}", self.opts.page_size.max(1))
                };
                if metadata_only {
                    query.push_str("&includeObject=Metadata");
                }
                let query = query.replace("?&", "?");
                let mut query = query.trim_end_matches('?').to_string();
                if let Some(t) = &token {
                    query.push_str("&continue=");
                    query.push_str(&encode(t));
                }
                let accept = if metadata_only { TABLE } else { JSON };
                let body = match self.fetcher.get(&query, accept).await {
                    Ok(Reply::Ok(body)) => body,
                    Ok(Reply::Failed(f)) if f.code == 401 => {
                        return Err(ClusterError::Unauthorized {
                            server: self.server.clone(),
                            context: self.context.clone(),
                        });
                    }
                    Ok(Reply::Failed(f)) if f.code == 410 && token.is_some() && !relisted => {
                        // The continue token expired (the server compacted): start over once.
                        relisted = true;
                        continue 'relist;
                    }
                    Ok(Reply::Failed(f)) if f.code == 404 && token.is_none() => {
                        return Ok(if namespace.is_some() && r.namespaced {
                            // The namespace itself may be gone; the kind is served.
                            Outcome::Items(Vec::new())
                        } else {
                            Outcome::NotServed
                        });
                    }
                    Ok(Reply::Failed(f)) => {
                        return Ok(Outcome::Refused(refused(
                            r, namespace, f.code, f.reason, f.message,
                        )));
                    }
                    Err(e) => return Ok(Outcome::Refused(failed(r, namespace, &e))),
                };
                let next = match page_items(&body, &api_version, r.kind, &mut items) {
                    Ok(next) => next,
                    Err(e) => {
                        return Ok(Outcome::Refused(refused(
                            r,
                            namespace,
                            200,
                            "BadResponse".to_string(),
                            format!("the list could not be read: {e}"),
                        )));
                    }
                };
                match next {
                    Some(t) if !t.is_empty() => token = Some(t),
                    _ => return Ok(Outcome::Items(items)),
                }
            }
        }
    }
}

fn refused(
    r: &Resource,
    namespace: Option<&str>,
    status: u16,
    reason: String,
    message: String,
) -> NotVisible {
    NotVisible {
        group: r.group.to_string(),
        resource: r.plural.to_string(),
        // A namespaced kind's namespace, or the Namespace fetched by name.
        namespace: namespace
            .filter(|_| r.namespaced || r.plural == "namespaces")
            .map(str::to_string),
        status,
        reason,
        message,
    }
}

fn failed(r: &Resource, namespace: Option<&str>, e: &FetchError) -> NotVisible {
    let reason = match e {
        FetchError::Timeout(_) => "Timeout",
        FetchError::Transport(_) => "ConnectionFailed",
    };
    refused(r, namespace, 0, reason.to_string(), e.to_string())
}

/// Percent-encodes a continue token for a query string.
fn encode(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    for b in token.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A page of a list: plain items, or the rows of a metadata-only Table.
#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: Option<ListMeta>,
    #[serde(default, borrow)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(default, rename = "columnDefinitions")]
    columns: Vec<Column>,
    #[serde(default, borrow)]
    rows: Vec<Row<'a>>,
}

#[derive(serde::Deserialize)]
struct ListMeta {
    #[serde(default, rename = "continue")]
    next: Option<String>,
}

#[derive(serde::Deserialize)]
struct Column {
    #[serde(default)]
    name: String,
}

#[derive(serde::Deserialize)]
struct Row<'a> {
    #[serde(default)]
    cells: Vec<Value>,
    #[serde(default, borrow)]
    object: Option<&'a RawValue>,
}

/// Appends a page's objects to `out`; returns the continue token.
fn page_items(
    body: &[u8],
    api_version: &str,
    kind: &str,
    out: &mut Vec<Box<[u8]>>,
) -> Result<Option<String>, serde_json::Error> {
    let page: Page = serde_json::from_slice(body)?;
    if page.kind == "Table" {
        let type_col = page.columns.iter().position(|c| c.name == "Type");
        for row in page.rows {
            let Some(object) = row.object else { continue };
            let mut meta: Map<String, Value> = match serde_json::from_str::<Value>(object.get()) {
                Ok(Value::Object(mut o)) => match o.remove("metadata") {
                    Some(Value::Object(m)) => m,
                    _ => continue,
                },
                _ => continue,
            };
            clean_metadata(&mut meta, true);
            let mut secret = Map::new();
            secret.insert("apiVersion".into(), api_version.into());
            secret.insert("kind".into(), kind.into());
            secret.insert("metadata".into(), Value::Object(meta));
            if let Some(t) = type_col
                .and_then(|i| row.cells.get(i))
                .and_then(Value::as_str)
            {
                secret.insert("type".into(), t.into());
            }
            out.push(serde_json::to_vec(&Value::Object(secret))?.into_boxed_slice());
        }
    } else {
        for raw in page.items.unwrap_or_default() {
            if let Some(item) = finish_item(raw, api_version, kind) {
                out.push(item);
            }
        }
    }
    Ok(page.metadata.and_then(|m| m.next))
}

/// One list item as kubeward keeps it: `apiVersion` and `kind` first, no `managedFields`; a
/// Secret also loses the `last-applied-configuration` annotation (it holds the values).
fn finish_item(raw: &RawValue, api_version: &str, kind: &str) -> Option<Box<[u8]>> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(raw.get()) else {
        return None;
    };
    let mut out = Map::with_capacity(fields.len() + 2);
    out.insert("apiVersion".into(), api_version.into());
    out.insert("kind".into(), kind.into());
    for (key, value) in fields {
        if key != "apiVersion" && key != "kind" {
            out.insert(key, value);
        }
    }
    if let Some(Value::Object(meta)) = out.get_mut("metadata") {
        clean_metadata(meta, kind == "Secret");
    }
    serde_json::to_vec(&Value::Object(out))
        .ok()
        .map(Vec::into_boxed_slice)
}

fn clean_metadata(meta: &mut Map<String, Value>, secret: bool) {
    meta.remove("managedFields");
    if secret && let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// The uid of the `kube-system` Namespace among the collected objects.
fn lists_uid_of_kube_system(items: &[Box<[u8]>]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Item {
        kind: String,
        metadata: Meta,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        name: String,
        uid: Option<String>,
    }
    items
        .iter()
        .take_while(|b| b.starts_with(br#"{"apiVersion":"v1","kind":"Namespace""#))
        .filter_map(|b| serde_json::from_slice::<Item>(b).ok())
        .find(|i| i.kind == "Namespace" && i.metadata.name == "kube-system")
        .and_then(|i| i.metadata.uid)
}

/// `metadata.name` of a compact JSON object.
fn item_name(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        metadata: Meta,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        name: String,
    }
    serde_json::from_slice::<Named>(bytes)
        .ok()
        .map(|n| n.metadata.name)
}

/// A progress bar on stderr (when asked, on a terminal): kinds done, objects so far.
struct Progress(Option<indicatif::ProgressBar>, std::sync::atomic::AtomicU64);

impl Progress {
    fn new(show: bool, kinds: u64) -> Progress {
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(kinds),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} collecting {pos}/{len} kinds [{bar:20}] {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress(bar, std::sync::atomic::AtomicU64::new(0))
    }

    fn step(&self, r: &Resource, items: usize) {
        let total = self
            .1
            .fetch_add(items as u64, std::sync::atomic::Ordering::Relaxed)
            + items as u64;
        if let Some(bar) = &self.0 {
            bar.set_message(format!("{total} objects ({} done)", r.display()));
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
