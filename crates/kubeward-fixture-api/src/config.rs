//! What a [`FixtureServer`](crate::FixtureServer) serves and how it misbehaves.

use std::path::PathBuf;
use std::time::Duration;

/// The bearer token of the administrator every default configuration knows.
pub const ADMIN_TOKEN: &str = "fixture-admin-token";
/// The user [`ADMIN_TOKEN`] authenticates as.
pub const ADMIN_USER: &str = "fixture-admin";

/// An authenticated user: a name and groups (`system:authenticated` is added to every
/// authenticated user, as the real server does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

impl User {
    pub fn new(name: impl Into<String>, groups: &[&str]) -> User {
        User {
            name: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }
}

/// The credentials a client presents, for [`FixtureServer::kubeconfig`](crate::FixtureServer::kubeconfig).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A bearer token. It need not be configured: an unknown token is answered with 401.
    Token(String),
    /// The client certificate the server generated for this configured user
    /// ([`FixtureConfig::client_cert`]); a user without one gets an empty user entry.
    ClientCert(String),
    /// No credentials at all.
    Anonymous,
}

impl Identity {
    /// The default administrator ([`ADMIN_TOKEN`]).
    pub fn admin() -> Identity {
        Identity::Token(ADMIN_TOKEN.to_string())
    }
}

/// Where a [`ForbidRule`] applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Requests in this namespace (`/api/v1/namespaces/prod/secrets`).
    Namespace(String),
    /// Requests without a namespace (`/api/v1/secrets`, cluster-scoped resources).
    Cluster,
    /// Every request for the resource.
    Any,
}

/// Denies requests with a 403 `Forbidden` Status worded exactly like RBAC's denials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForbidRule {
    /// User name or group the rule applies to; `None` for everyone.
    pub subject: Option<String>,
    /// Resource (`secrets`), qualified resource (`deployments.apps`) or `*`.
    pub resource: String,
    pub scope: Scope,
    /// Verbs (`list`, `get`, `watch`, `patch`, ...); empty for all.
    pub verbs: Vec<String>,
}

/// The body of an injected 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThrottleBody {
    /// What API Priority and Fairness (and max-in-flight) really send: `text/plain`
    /// `Too many requests, please try again later.` (Go's `http.Error`).
    #[default]
    PlainText,
    /// A `Status` JSON body (`reason: TooManyRequests`, `details.retryAfterSeconds`), as
    /// `apierrors.NewTooManyRequests` builds it.
    Status,
}

/// Answers the first `count` requests under `path_prefix` with an error instead of serving
/// them (after authentication, before authorization: where APF sits in the real filter chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub path_prefix: String,
    /// 429, 500 or 503 (any other code is sent as a 500-style `InternalError` Status with it).
    pub status: u16,
    pub count: usize,
    /// `Retry-After` seconds (429 always sends one; 0 means 1 for 429 and none otherwise).
    pub retry_after: u32,
    /// Body of a 429.
    pub body: ThrottleBody,
}

/// Delays every response under `path_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slow {
    pub path_prefix: String,
    pub delay: Duration,
}

/// One source of objects.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Multi-document YAML or JSON text.
    Text(String),
    /// A manifest file or a directory walked recursively (`.yaml`, `.yml`, `.json`).
    Path(PathBuf),
    /// One object.
    Json(serde_json::Value),
}

/// The configuration of a fixture API server. Every field has a working default; the builder
/// methods chain.
#[derive(Debug, Clone)]
pub struct FixtureConfig {
    /// Objects to serve (full manifests with `apiVersion` and `kind`).
    pub sources: Vec<Source>,
    /// `gitVersion` of `/version`; `major`/`minor` are derived from it.
    pub git_version: String,
    /// Bearer tokens and the users they authenticate. Default: [`ADMIN_TOKEN`] →
    /// [`ADMIN_USER`] in `system:masters`.
    pub tokens: Vec<(String, User)>,
    /// Users that get a client certificate signed by the server CA: CN = name, O = the first
    /// group (rcgen writes one value per attribute type). The server authenticates the
    /// certificates it issued with all of the user's groups, others by CN and O.
    pub client_certs: Vec<User>,
    /// `None`: anonymous requests are rejected with 401 (`--anonymous-auth=false`).
    /// `Some(paths)`: requests without credentials are served as `system:anonymous`, which is
    /// allowed only these paths (exact, or prefix when ending in `*`) and forbidden the rest.
    pub anonymous: Option<Vec<String>>,
    pub forbid: Vec<ForbidRule>,
    pub faults: Vec<Fault>,
    pub slow: Vec<Slow>,
    /// Largest page the server returns, whatever `limit` asks (a server may return fewer).
    pub page_size_max: Option<usize>,
    /// Every (otherwise valid) continue token is answered with 410 Expired, as after an etcd
    /// compaction.
    pub expire_continue_tokens: bool,
    /// The cluster's resourceVersion after loading; default: the highest assigned.
    pub resource_version: Option<u64>,
    /// `creationTimestamp` given to objects without one.
    pub creation_timestamp: String,
    /// Create the Namespace objects the loaded objects live in, plus `default`, `kube-system`,
    /// `kube-public` and `kube-node-lease`, as a real cluster has them.
    pub auto_namespaces: bool,
    /// Name of the cluster entry in generated kubeconfigs.
    pub cluster_name: String,
    /// Worker threads of the server's own runtime.
    pub worker_threads: usize,
}

impl Default for FixtureConfig {
    fn default() -> Self {
        FixtureConfig {
            sources: Vec::new(),
            git_version: "v1.26.5".into(),
            tokens: vec![(
                ADMIN_TOKEN.into(),
                User::new(ADMIN_USER, &["system:masters"]),
            )],
            client_certs: Vec::new(),
            anonymous: None,
            forbid: Vec::new(),
            faults: Vec::new(),
            slow: Vec::new(),
            page_size_max: None,
            expire_continue_tokens: false,
            resource_version: None,
            creation_timestamp: "2024-01-01T00:00:00Z".into(),
            auto_namespaces: true,
            cluster_name: "fixture".into(),
            worker_threads: 4,
        }
    }
}

impl FixtureConfig {
    pub fn new() -> FixtureConfig {
        FixtureConfig::default()
    }

    /// Adds the objects of a YAML (or JSON) text.
    pub fn yaml(mut self, text: impl Into<String>) -> Self {
        self.sources.push(Source::Text(text.into()));
        self
    }

    /// Adds the objects of a manifest file, or of every manifest under a directory.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.sources.push(Source::Path(path.into()));
        self
    }

    /// Adds one object.
    pub fn object(mut self, object: serde_json::Value) -> Self {
        self.sources.push(Source::Json(object));
        self
    }

    pub fn git_version(mut self, v: impl Into<String>) -> Self {
        self.git_version = v.into();
        self
    }

    /// Accepts `token` as `user` in `groups`.
    pub fn token(
        mut self,
        token: impl Into<String>,
        user: impl Into<String>,
        groups: &[&str],
    ) -> Self {
        self.tokens.push((token.into(), User::new(user, groups)));
        self
    }

    /// Generates a client certificate for `user` (CN) in `groups` (O), for
    /// [`Identity::ClientCert`] and [`FixtureServer::client_cert_pem`](crate::FixtureServer::client_cert_pem).
    pub fn client_cert(mut self, user: impl Into<String>, groups: &[&str]) -> Self {
        self.client_certs.push(User::new(user, groups));
        self
    }

    /// Enables anonymous requests, allowed on `paths` only.
    pub fn anonymous(mut self, paths: &[&str]) -> Self {
        self.anonymous = Some(paths.iter().map(|p| p.to_string()).collect());
        self
    }

    pub fn forbid(mut self, rule: ForbidRule) -> Self {
        self.forbid.push(rule);
        self
    }

    /// Forbids `subject` (`None`: everyone) every verb on `resource` in namespace `ns`.
    pub fn forbid_in(self, subject: Option<&str>, resource: &str, ns: &str) -> Self {
        self.forbid(ForbidRule {
            subject: subject.map(str::to_string),
            resource: resource.into(),
            scope: Scope::Namespace(ns.into()),
            verbs: Vec::new(),
        })
    }

    /// Forbids `subject` (`None`: everyone) every verb on `resource` at the cluster scope.
    pub fn forbid_cluster(self, subject: Option<&str>, resource: &str) -> Self {
        self.forbid(ForbidRule {
            subject: subject.map(str::to_string),
            resource: resource.into(),
            scope: Scope::Cluster,
            verbs: Vec::new(),
        })
    }

    /// The first `count` requests under `prefix` get 429 + `Retry-After: 1` with the real
    /// APF body (`text/plain`).
    pub fn throttle(self, prefix: &str, count: usize) -> Self {
        self.fault(Fault {
            path_prefix: prefix.into(),
            status: 429,
            count,
            retry_after: 1,
            body: ThrottleBody::PlainText,
        })
    }

    /// Like [`throttle`](Self::throttle) with a `Status` JSON body
    /// (`"reason":"TooManyRequests","code":429`).
    pub fn throttle_status(self, prefix: &str, count: usize) -> Self {
        self.fault(Fault {
            path_prefix: prefix.into(),
            status: 429,
            count,
            retry_after: 1,
            body: ThrottleBody::Status,
        })
    }

    /// The first `count` requests under `prefix` fail with `status` (500 or 503).
    pub fn fail(self, prefix: &str, status: u16, count: usize) -> Self {
        self.fault(Fault {
            path_prefix: prefix.into(),
            status,
            count,
            retry_after: 0,
            body: ThrottleBody::Status,
        })
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Delays responses under `prefix` by `delay`.
    pub fn slow(mut self, prefix: &str, delay: Duration) -> Self {
        self.slow.push(Slow {
            path_prefix: prefix.into(),
            delay,
        });
        self
    }

    pub fn page_size_max(mut self, n: usize) -> Self {
        self.page_size_max = Some(n);
        self
    }

    pub fn expire_continue_tokens(mut self, on: bool) -> Self {
        self.expire_continue_tokens = on;
        self
    }

    pub fn resource_version(mut self, rv: u64) -> Self {
        self.resource_version = Some(rv);
        self
    }

    pub fn creation_timestamp(mut self, ts: impl Into<String>) -> Self {
        self.creation_timestamp = ts.into();
        self
    }

    pub fn auto_namespaces(mut self, on: bool) -> Self {
        self.auto_namespaces = on;
        self
    }

    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.cluster_name = name.into();
        self
    }

    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw query string (without `?`).
    pub query: Option<String>,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    /// The authenticated user; `None` when authentication failed (401).
    pub user: Option<String>,
    pub groups: Vec<String>,
    /// The status code answered.
    pub status: u16,
}

impl RecordedRequest {
    /// A decoded query parameter (`limit`, `continue`, `fieldManager`, ...).
    pub fn param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        crate::server::query_pairs(query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Did the client ask for the `meta.k8s.io` Table form?
    pub fn wants_table(&self) -> bool {
        self.accept
            .as_deref()
            .is_some_and(|a| a.contains("as=Table"))
    }

    /// Did the client ask for metadata only (`PartialObjectMetadata[List]`)?
    pub fn wants_metadata(&self) -> bool {
        self.accept
            .as_deref()
            .is_some_and(|a| a.contains("as=PartialObjectMetadata"))
    }
}
