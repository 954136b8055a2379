//! What the webhook reads from the API server: namespaces' labels, and the role a binding
//! names.
//!
//! An AdmissionReview does not carry the labels of the request's namespace, so the server
//! keeps its own small copy: every namespace's name and the two labels kubeward reads
//! (`kubeward.io/enforce`, `pod-security.kubernetes.io/enforce`), nothing else.
//!
//! - The whole list is read at start and then every `--namespace-refresh` (metadata only, in
//!   pages of 500), through kube-rs with the kubeconfig or the in-cluster service account
//!   (`get`/`list` on namespaces). A failed refresh keeps the last list.
//! - A namespace not in the list (created since the last refresh) is read once with a GET,
//!   within the request's deadline, and remembered (at most [`MAX_READ_BETWEEN_LISTS`]
//!   between two lists).
//! - Without access to the API server the webhook still works: levels come from the
//!   configuration and `defaultLevel`.
//!
//! - A RoleBinding or ClusterRoleBinding is judged with the role it names, read with a GET
//!   when the binding is reviewed (roles change: nothing is cached). Without access, only
//!   Kubernetes' default roles are known, and a binding to another role is judged on its
//!   own (the role itself was judged when it was written).
//!
//! A few thousand namespaces cost a few hundred kilobytes: this is not an informer cache of
//! whole objects (what made Kubewarden's and Kyverno's memory grow with the cluster).

use crate::config::{ENFORCE_LABEL, PSS_ENFORCE_LABEL};
use crate::judge::NamespaceLabels;
use crate::judge::RoleRef;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How to reach the API server.
#[derive(Debug, Clone, Default)]
pub struct KubeOptions {
    /// A kubeconfig file; default `KUBECONFIG`, `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; default its current one.
    pub context: Option<String>,
}

/// Why the API server cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NamespaceError {
    #[error("cannot configure the API client: {0}")]
    Config(String),
    #[error("reading namespaces from the API server failed: {0}")]
    Request(String),
    #[error("reading namespaces took longer than {0:?}")]
    Timeout(Duration),
}

/// What is known of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Known(NamespaceLabels),
    /// The namespace does not exist (a request in it will fail anyway).
    Absent,
    /// Not in the list: ask the API server.
    Unknown,
}

/// The namespaces' labels, and the client that reads them.
pub struct Namespaces {
    client: Option<kube::Client>,
    cache: RwLock<FxHashMap<String, Option<NamespaceLabels>>>,
    /// Completed full lists.
    refreshes: AtomicU64,
    /// Namespaces read one by one since the last list (at most [`MAX_READ_BETWEEN_LISTS`]).
    read_since_list: AtomicU64,
    page_size: u32,
}

/// How many namespaces may be read one by one between two lists. Requests naming more unknown
/// namespaces (only a client that is not the API server would) get the default level without
/// a read, so no client can make the webhook flood the API server or grow without bound.
pub const MAX_READ_BETWEEN_LISTS: u64 = 1000;

impl std::fmt::Debug for Namespaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespaces")
            .field("online", &self.client.is_some())
            .field("known", &self.len())
            .finish_non_exhaustive()
    }
}

impl Namespaces {
    /// No API server: every lookup answers from what was inserted.
    pub fn offline() -> Namespaces {
        Namespaces {
            client: None,
            cache: RwLock::new(FxHashMap::default()),
            refreshes: AtomicU64::new(0),
            read_since_list: AtomicU64::new(0),
            page_size: 500,
        }
    }

    /// A client for the API server of `opts`. Reads nothing yet.
    pub async fn connect(opts: &KubeOptions) -> Result<Namespaces, NamespaceError> {
        let err = |e: &dyn std::fmt::Display| NamespaceError::Config(e.to_string());
        let mut config = match (&opts.kubeconfig, &opts.context) {
            (Some(path), context) => {
                let kc = Kubeconfig::read_from(path).map_err(|e| {
                    NamespaceError::Config(format!(
                        "cannot read kubeconfig {}: {e}",
                        path.display()
                    ))
                })?;
                let options = KubeConfigOptions {
                    context: context.clone(),
                    ..KubeConfigOptions::default()
                };
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| err(&e))?
            }
            (None, Some(context)) => {
                let options = KubeConfigOptions {
                    context: Some(context.clone()),
                    ..KubeConfigOptions::default()
                };
                kube::Config::from_kubeconfig(&options)
                    .await
                    .map_err(|e| err(&e))?
            }
            (None, None) => kube::Config::infer().await.map_err(|e| err(&e))?,
        };
        config.connect_timeout = Some(Duration::from_secs(5));
        config.read_timeout = Some(Duration::from_secs(30));
        let client = kube::Client::try_from(config).map_err(|e| err(&e))?;
        Ok(Namespaces {
            client: Some(client),
            ..Namespaces::offline()
        })
    }

    /// Does this read the API server?
    pub fn online(&self) -> bool {
        self.client.is_some()
    }

    /// How many namespaces are known.
    pub fn len(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completed full lists so far.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Records a namespace's labels (tests, offline reviews).
    pub fn insert(&self, name: &str, labels: NamespaceLabels) {
        if let Ok(mut c) = self.cache.write() {
            c.insert(name.to_string(), Some(labels));
        }
    }

    /// What is known of `name`.
    pub fn get(&self, name: &str) -> Lookup {
        match self.cache.read().ok().and_then(|c| c.get(name).cloned()) {
            Some(Some(labels)) => Lookup::Known(labels),
            Some(None) => Lookup::Absent,
            // Offline, an unlisted namespace is simply one without labels.
            None if self.client.is_none() => Lookup::Known(NamespaceLabels::default()),
            None => Lookup::Unknown,
        }
    }

    /// Reads one namespace from the API server (within `timeout`) and remembers it.
    pub async fn fetch(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<Option<NamespaceLabels>, NamespaceError> {
        let Some(client) = &self.client else {
            return Ok(Some(NamespaceLabels::default()));
        };
        if self.read_since_list.fetch_add(1, Ordering::Relaxed) >= MAX_READ_BETWEEN_LISTS {
            return Err(NamespaceError::Request(format!(
                "more than {MAX_READ_BETWEEN_LISTS} unknown namespaces since the last list; {name} is not read"
            )));
        }
        let api: Api<Namespace> = Api::all(client.clone());
        let got = tokio::time::timeout(timeout, api.get_metadata_opt(name))
            .await
            .map_err(|_| NamespaceError::Timeout(timeout))?
            .map_err(request_error)?;
        let labels = got.map(|m| labels_of(m.metadata.labels.as_ref()));
        if let Ok(mut c) = self.cache.write() {
            c.insert(name.to_string(), labels.clone());
        }
        Ok(labels)
    }

    /// Reads the role a binding names (within `timeout`): its JSON, `None` when it does not
    /// exist or nothing can be read.
    pub async fn fetch_role(
        &self,
        role: &RoleRef,
        timeout: Duration,
    ) -> Result<Option<serde_json::Value>, NamespaceError> {
        let Some(client) = &self.client else {
            return Ok(None);
        };
        let json = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| NamespaceError::Request(format!("role {}: {e}", role.name)))
        };
        let got = if role.cluster {
            let api: Api<ClusterRole> = Api::all(client.clone());
            let r = tokio::time::timeout(timeout, api.get_opt(&role.name))
                .await
                .map_err(|_| NamespaceError::Timeout(timeout))?
                .map_err(request_error)?;
            r.map(|r| json(serde_json::to_value(r))).transpose()?
        } else {
            let api: Api<Role> = Api::namespaced(client.clone(), &role.namespace);
            let r = tokio::time::timeout(timeout, api.get_opt(&role.name))
                .await
                .map_err(|_| NamespaceError::Timeout(timeout))?
                .map_err(request_error)?;
            r.map(|r| json(serde_json::to_value(r))).transpose()?
        };
        Ok(got)
    }

    /// Lists every namespace and replaces what is known. Returns how many there are.
    pub async fn refresh(&self) -> Result<usize, NamespaceError> {
        let Some(client) = &self.client else {
            return Ok(self.len());
        };
        let api: Api<Namespace> = Api::all(client.clone());
        let mut fresh: FxHashMap<String, Option<NamespaceLabels>> = FxHashMap::default();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(self.page_size);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let page = api.list_metadata(&params).await.map_err(request_error)?;
            for item in &page.items {
                if let Some(name) = &item.metadata.name {
                    fresh.insert(name.clone(), Some(labels_of(item.metadata.labels.as_ref())));
                }
            }
            token = page.metadata.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        let n = fresh.len();
        if let Ok(mut c) = self.cache.write() {
            *c = fresh;
        }
        self.read_since_list.store(0, Ordering::Relaxed);
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        Ok(n)
    }
}

/// The API server's own words for a refusal (`namespaces is forbidden: ...` (403)), not the
/// client's debug dump.
fn request_error(e: kube::Error) -> NamespaceError {
    match e {
        kube::Error::Api(status) => NamespaceError::Request(format!(
            "{} ({} {})",
            status.message, status.code, status.reason
        )),
        other => NamespaceError::Request(other.to_string()),
    }
}

fn labels_of(labels: Option<&BTreeMap<String, String>>) -> NamespaceLabels {
    let get = |k: &str| labels.and_then(|l| l.get(k)).cloned();
    NamespaceLabels {
        enforce: get(ENFORCE_LABEL),
        pss_enforce: get(PSS_ENFORCE_LABEL),
    }
}
