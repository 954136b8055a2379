//! A fixture Kubernetes API server for tests and benchmarks: HTTPS on `127.0.0.1`, speaking
//! the real REST wire format of kube-apiserver v1.26.
//!
//! Nothing here is invented where a real response exists: the shapes come from responses
//! recorded from a real v1.26.5 apiserver (`/work/shared/data/apiserver-recordings`; the
//! discovery ones are embedded from `recordings/`) and from the apiserver's source:
//!
//! | part | mirrors |
//! |---|---|
//! | `pki` | kubeadm-style PKI: CA, serving cert with IP SAN `127.0.0.1` and DNS `localhost`, client certs CN=user O=group; client certs optional (`VerifyClientCertIfGiven`), 127.0.0.1 with HTTP/1.1 and h2 (ALPN) |
//! | `server` authn | x509 authenticator, then static bearer tokens; bad token → 401 even with anonymous on; anonymous → `system:anonymous` |
//! | `server` faults | API Priority and Fairness rejections (429 `text/plain` + `Retry-After`, before authorization) and injected 500/503 Status bodies |
//! | `server` authz | RBAC denial texts (`secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "prod"`) |
//! | `model` | `/version`, `/api`, `/apis`, `/apis/{g}`, APIResourceLists (recorded ones verbatim, others in the same shape, CRD shape for custom resources) |
//! | `store` | objects as the apiserver stores and prints them: server-set metadata, Go field order, sorted keys for custom resources, etcd key order |
//! | `paging`, `gojson` | `limit`/`continue`/`remainingItemCount`, continue tokens byte-identical to the real ones, 400/410 texts of bad and expired tokens |
//! | `server` negotiation | `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (secret, namespace, CRD and default printers) and `as=PartialObjectMetadataList` |
//! | `server` patch | server-side apply (`application/apply-patch+yaml`, `fieldManager` required, 201 on create), JSON merge patch |
//! | `status` | every error body (`metav1.Status`) field for field |
//! | `json` | Go `encoding/json` output: HTML-safe escapes, trailing newline, pretty `/version` |
//!
//! Not mirrored: watch, create/update/delete verbs, field and label selectors, protobuf and
//! YAML output, aggregated discovery (off by default in 1.26), server-side defaulting beyond
//! metadata/Secrets/Namespaces, managedFields of applied objects, printers other than those
//! named above (pods etc. get the default `Name`/`Created At` columns), consistent snapshots of
//! paged lists (a page shows the current objects). `admissionregistration.k8s.io/v1` also
//! serves ValidatingAdmissionPolicies (v1 since Kubernetes 1.30; 1.26 had them in v1alpha1).
//!
//! ```no_run
//! use kubeward_fixture_api::{FixtureConfig, FixtureServer, Identity};
//! let server = FixtureServer::start_blocking(
//!     FixtureConfig::new().yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod}\n"),
//! )
//! .unwrap();
//! let kubeconfig = server.kubeconfig(Identity::admin());
//! # drop(kubeconfig);
//! ```

mod config;
mod gojson;
mod json;
mod kubeconfig;
mod model;
mod paging;
mod pki;
mod server;
mod status;
mod store;
mod timefmt;

pub use config::{
    ADMIN_TOKEN, ADMIN_USER, Fault, FixtureConfig, ForbidRule, Identity, RecordedRequest, Scope,
    Slow, Source, ThrottleBody, User,
};
pub use kubeconfig::KubeconfigContext;

use anyhow::{Context, Result, bail};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use server::State;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, RwLock};
use store::{Fill, Store};

/// A running fixture API server. It listens on `127.0.0.1:<ephemeral port>` on its own
/// multi-threaded runtime and stops when dropped (or on [`shutdown`](Self::shutdown)).
pub struct FixtureServer {
    addr: SocketAddr,
    state: Arc<State>,
    ca_pem: String,
    client_certs: Vec<pki::ClientCert>,
    cluster_name: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl FixtureServer {
    /// Loads the objects, generates the PKI and starts serving.
    ///
    /// The server runs on its own runtime thread, so it works from any runtime flavour
    /// (including `#[tokio::test]`'s current-thread one) and from blocking code alike.
    pub async fn start(cfg: FixtureConfig) -> Result<FixtureServer> {
        FixtureServer::start_blocking(cfg)
    }

    /// [`start`](Self::start) for synchronous callers (tests without a runtime, benchmarks).
    pub fn start_blocking(cfg: FixtureConfig) -> Result<FixtureServer> {
        let objects = load_sources(&cfg)?;
        let model = model::Model::build(&objects)?;
        let store = build_store(&model, objects, &cfg)?;
        let pki = pki::generate(&cfg.client_certs)?;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let state = Arc::new(State {
            version_body: model::Model::version_body(&cfg.git_version),
            api_body: model::Model::api_body(&addr.to_string()),
            apis_body: model.apis_body(),
            model,
            store: RwLock::new(store),
            tokens: cfg.tokens.iter().cloned().collect::<HashMap<_, _>>(),
            anonymous: cfg.anonymous.clone(),
            forbid: cfg.forbid.clone(),
            faults: cfg
                .faults
                .iter()
                .cloned()
                .map(|f| (f, AtomicUsize::new(0)))
                .collect(),
            slow: cfg.slow.clone(),
            page_size_max: cfg.page_size_max.filter(|n| *n > 0),
            expire_continue_tokens: cfg.expire_continue_tokens,
            creation_timestamp: cfg.creation_timestamp.clone(),
            requests: Mutex::new(Vec::new()),
            audit_seq: AtomicU64::new(0),
        });

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.worker_threads.max(1))
            .thread_name("fixture-api")
            .enable_all()
            .build()
            .context("building the server runtime")?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config.clone());
        let issued = pki.issued.clone();
        let serve_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("fixture-api".into())
            .spawn(move || {
                runtime.block_on(accept_loop(listener, acceptor, issued, serve_state, rx));
                runtime.shutdown_background();
            })
            .context("spawning the server thread")?;

        Ok(FixtureServer {
            addr,
            state,
            ca_pem: pki.ca_pem,
            client_certs: pki.client_certs,
            cluster_name: cfg.cluster_name,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The cluster CA certificate (PEM).
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// The client certificate and key (PEM) generated for `user`.
    pub fn client_cert_pem(&self, user: &str) -> Option<(String, String)> {
        self.client_certs
            .iter()
            .find(|c| c.user.name == user)
            .map(|c| (c.cert_pem.clone(), c.key_pem.clone()))
    }

    /// A complete kubeconfig with one context, `<user>@<cluster>`, for `identity`.
    pub fn kubeconfig(&self, identity: Identity) -> String {
        let user = match &identity {
            Identity::Token(t) => self
                .state
                .tokens
                .get(t)
                .map_or_else(|| "token-user".to_string(), |u| u.name.clone()),
            Identity::ClientCert(u) => u.clone(),
            Identity::Anonymous => "anonymous".to_string(),
        };
        let name = format!("{user}@{}", self.cluster_name);
        self.kubeconfig_with(&[KubeconfigContext::new(name.clone(), identity)], &name)
    }

    /// A kubeconfig with several contexts (each with its own user entry) and `current` as
    /// `current-context`.
    pub fn kubeconfig_with(&self, contexts: &[KubeconfigContext], current: &str) -> String {
        let entries: Vec<_> = contexts
            .iter()
            .map(|c| {
                let creds = match &c.identity {
                    Identity::Token(t) => kubeconfig::Credentials::Token(t),
                    Identity::ClientCert(u) => {
                        match self.client_certs.iter().find(|x| &x.user.name == u) {
                            Some(cert) => kubeconfig::Credentials::Cert {
                                cert_pem: &cert.cert_pem,
                                key_pem: &cert.key_pem,
                            },
                            None => kubeconfig::Credentials::None,
                        }
                    }
                    Identity::Anonymous => kubeconfig::Credentials::None,
                };
                (c, creds)
            })
            .collect();
        kubeconfig::render(
            &self.url(),
            &self.ca_pem,
            &self.cluster_name,
            &entries,
            current,
        )
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        if let Ok(mut r) = self.state.requests.lock() {
            r.clear();
        }
    }

    /// The cluster's current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store().rv
    }

    /// Simulates an etcd compaction: every continue token issued so far answers 410 Expired.
    pub fn compact(&self) {
        let mut store = self
            .state
            .store
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        store.compacted = i64::try_from(store.rv).unwrap_or(i64::MAX);
    }

    /// A stored object as `GET` would return it.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let ti = self.state.model.by_kind(api_version, kind)?;
        let rt = &self.state.model.types[ti];
        let ns = if rt.namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        let obj = self.store().get(ti, ns, name)?;
        Some(obj.value(rt))
    }

    /// Number of stored objects.
    pub fn object_count(&self) -> usize {
        self.store().collections.iter().map(|c| c.len()).sum()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn store(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.state
            .store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    issued: Arc<HashMap<Vec<u8>, User>>,
    state: Arc<State>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let issued = issued.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let cert_user = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|der| pki::Pki::user_of(&issued, der))
                .map(Arc::new);
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                let cert_user = cert_user.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(server::handle(state, cert_user, req).await)
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    }
}

/// Reads every configured source into raw objects.
fn load_sources(cfg: &FixtureConfig) -> Result<Vec<Value>> {
    let opts = kubeward_load::Options::default();
    let mut loaded = kubeward_load::Loaded::default();
    let mut objects = Vec::new();
    for (i, source) in cfg.sources.iter().enumerate() {
        match source {
            Source::Text(text) => {
                let json = text.trim_start().starts_with(['{', '[']);
                kubeward_load::load_bytes(
                    format!("source-{i}").into(),
                    text.as_bytes(),
                    json,
                    &opts,
                    &mut loaded,
                );
            }
            Source::Path(path) => {
                let (inputs, errors) = kubeward_load::discover(std::slice::from_ref(path));
                loaded.errors.extend(errors);
                for input in &inputs {
                    kubeward_load::load_input(input, &opts, &mut loaded);
                }
            }
            Source::Json(v) => {
                objects.extend(
                    std::mem::take(&mut loaded.objects)
                        .into_iter()
                        .map(|o| o.root.to_json()),
                );
                objects.push(v.clone());
            }
        }
        objects.extend(
            std::mem::take(&mut loaded.objects)
                .into_iter()
                .map(|o| o.root.to_json()),
        );
    }
    if !loaded.errors.is_empty() {
        let messages: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        bail!("loading fixture objects: {}", messages.join("; "));
    }
    Ok(objects)
}

/// Stores the objects (and the namespaces they need), assigning resourceVersions in order.
fn build_store(
    model: &model::Model,
    mut objects: Vec<Value>,
    cfg: &FixtureConfig,
) -> Result<Store> {
    if cfg.auto_namespaces {
        let mut namespaces: BTreeSet<String> =
            ["default", "kube-node-lease", "kube-public", "kube-system"]
                .into_iter()
                .map(String::from)
                .collect();
        let mut existing = BTreeSet::new();
        for obj in &objects {
            let (api_version, kind) = (
                obj["apiVersion"].as_str().unwrap_or_default(),
                obj["kind"].as_str().unwrap_or_default(),
            );
            if api_version == "v1" && kind == "Namespace" {
                if let Some(n) = obj["metadata"]["name"].as_str() {
                    existing.insert(n.to_string());
                }
            } else if let Some(ti) = model.by_kind(api_version, kind)
                && model.types[ti].namespaced
            {
                let ns = obj["metadata"]["namespace"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("default");
                namespaces.insert(ns.to_string());
            }
        }
        let created: Vec<Value> = namespaces
            .difference(&existing)
            .map(|n| serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}))
            .collect();
        objects.splice(0..0, created);
    }

    let mut store = Store::new(model.types.len());
    let mut rv: u64 = 100;
    let mut highest: u64 = 0;
    for obj in objects {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let Some(ti) = model.by_kind(&api_version, &kind) else {
            bail!("no resource serves {api_version} {kind}");
        };
        rv += 1;
        let fill = Fill {
            rv,
            force_rv: false,
            creation_timestamp: &cfg.creation_timestamp,
            uid: None,
        };
        let what = format!("{kind} {}", obj["metadata"]["name"]);
        let stored = store::prepare(&model.types[ti], obj, &fill)
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        highest = highest.max(stored.resource_version.parse().unwrap_or(0));
        store.insert(ti, stored);
    }
    store.rv = cfg.resource_version.unwrap_or(highest.max(rv));
    Ok(store)
}
