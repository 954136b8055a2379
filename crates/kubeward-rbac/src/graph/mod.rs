//! The attack graph: how an attacker who holds one thing (an exposed service, a container, an
//! identity) reaches cluster-admin, root on a node, or the secrets of `kube-system`.
//!
//! The model is KubeHound's (DataDog/KubeHound; `shared/reference/rbac-and-attack-paths.md`
//! §1.2), computed in memory from manifests or a snapshot, plus the techniques KubeHound lacks.
//! Every RBAC-derived edge is decided by this crate's evaluator (`rule_allows` and the binding
//! scope of [`crate::Rbac`]), so `resourceNames`, `*/subresource`, apiGroups, aggregation and
//! RoleBinding scope are respected.
//!
//! # API
//!
//! ```no_run
//! use kubeward_rbac::{Rbac, graph::{Graph, EntrySpec, DiagramOptions, render_table, render_dot}};
//! # let objects: Vec<kubeward_core::Object> = Vec::new();
//! let rbac = Rbac::new(&objects);
//! let graph = Graph::build(&objects, &rbac);
//! let paths = graph.critical_paths();              // every entry × every target class
//! print!("{}", render_table(&paths));
//! let from: EntrySpec = "pod:prod/web".parse().unwrap();
//! let mine = graph.paths_from(&from).unwrap();      // `--from`
//! print!("{}", render_dot(&graph, &mine, DiagramOptions::default()));
//! ```
//!
//! - [`Graph::build`]`(objects, rbac)`; [`Graph::critical_paths`]; [`Graph::paths_from`]
//!   ([`EntrySpec`]: `pod:<ns>/<name>`, `pod:<ns>/<Kind>/<name>`, `identity:<user>`,
//!   `group:<name>`, `sa:<ns>/<name>`, `vertex:<id>`); [`Graph::shortest_path`] between any two
//!   vertex ids.
//! - Renderers: [`render_table`], [`render_json`] (format in `docs/paths.md`), [`render_dot`],
//!   [`render_mermaid`], and `write_*` twins writing to a `dyn Write`.
//! - [`synthetic::synthetic_cluster`]: a generated cluster for benchmarks
//!   (`cargo run --release -p kubeward-rbac --example paths_bench`).
//!
//! # Vertices
//!
//! | kind | one per | id |
//! |---|---|---|
//! | identity | service account, user, group named anywhere; `system:anonymous`, `system:authenticated`, `system:masters`; one node identity per node vertex | `sa:<ns>/<name>`, `user:<name>`, `group:<name>` |
//! | permission set | binding (a role *as bound*: its rules in the binding's scope); plus virtual ones: a role an attacker can bind (`ROLE_BIND`), "any permission in a namespace" (`ROLE_ESCALATE`) | `permset:<Binding>/...`, `permset:new:...`, `permset:escalated:<ns>` |
//! | pod | workload: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob — its pod template stands for all its pods. An object whose controller (`ownerReferences`) is also in the input is skipped: its controller stands for it | `pod:<ns>/<Kind>/<name>` |
//! | container | container of a pod (init, regular, ephemeral) | `container:<ns>/<Kind>/<name>/<container>` |
//! | node | `node:<name>` for each `spec.nodeName` a pod is pinned to, and one `node:*` ("any node") for every pod that is not pinned (see below) | `node:<name>`, `node:*` |
//! | volume | hostPath volume; projected volume with a `serviceAccountToken` source; the token volume Kubernetes adds when the token is automounted (`kube-api-access`) | `volume:<ns>/<Kind>/<name>/<volume>` |
//! | secret | `secret:kube-system/*` (every kube-system secret); a kube-system secret or a service account token secret that a pod mounts or a rule names | `secret:<ns>/<name>` |
//! | endpoint | Service of type NodePort or LoadBalancer; Ingress (its backends' Services) | `endpoint:Service/<ns>/<name>`, `endpoint:Ingress/<ns>/<name>` |
//! | cluster-admin | the outcome of techniques that give every permission at once | `cluster-admin` |
//!
//! **Nodes.** Manifests rarely say where a pod runs. A pod with `spec.nodeName` is on that
//! node. Every other pod is placed on the single `node:*` vertex: the worst case in which any
//! two unpinned pods may share a node (the scheduler may co-locate them, and an attacker can
//! often steer scheduling); `nodeSelector` and affinity are not evaluated. A DaemonSet runs on
//! every node: its pods are reachable from every node vertex, and its containers escape to every
//! node vertex. `POD_CREATE` reaches every node vertex (a pod can be pinned with `nodeName`).
//!
//! # Edges
//!
//! One per [`Technique`]; the exact condition of each, and its source (KubeHound's code or
//! kubeward's addition), is in `docs/paths.md`. In short:
//! - container → node: `CE_NSENTER` (privileged + hostPID), `CE_PRIV_MOUNT` (privileged),
//!   `CE_MODULE_LOAD` (privileged or SYS_MODULE), `CE_SYS_PTRACE` (hostPID + SYS_PTRACE +
//!   SYS_ADMIN + AppArmor unconfined), `CE_UMH_CORE_PATTERN` (root + hostPath /proc...),
//!   `CE_VAR_LOG_SYMLINK` (hostPath /var/log + `get pods/log`), `EXPLOIT_CONTAINERD_SOCK`
//!   (runtime socket, docker.sock included), `EXPLOIT_HOST_WRITE` (writable hostPath),
//!   `EXPLOIT_HOST_READ` (read-only sensitive hostPath);
//! - structure: `CONTAINER_ATTACH` (pod → container), `IDENTITY_ASSUME` (container → its
//!   service account when the token is mounted; node → node identity), `GROUP_MEMBER`
//!   (identity → a group the API server puts it in, once per identity and group),
//!   `PERMISSION_DISCOVER` (identity → permission set), `VOLUME_DISCOVER`,
//!   `VOLUME_ACCESS`, `POD_ATTACH` (node → its pods), `SHARE_PS_NAMESPACE`, `ENDPOINT_EXPLOIT`
//!   (Service/Ingress → selected containers), `TOKEN_STEAL` (token volume or token secret →
//!   account), `EXPLOIT_HOST_TRAVERSE` (hostPath above the kubelet's pod directory → token
//!   volumes on the node), `SECRET_MOUNT`;
//! - RBAC (permission set → ...): `POD_CREATE` (→ nodes, the namespace's accounts, kube-system
//!   secrets), `POD_EXEC`, `POD_ATTACH`, `POD_PATCH`, `NODE_PROXY` (→ pods), `TOKEN_LIST`,
//!   `TOKEN_BRUTEFORCE`, `SA_TOKEN_CREATE` (→ accounts in scope), `SECRET_READ`,
//!   `IDENTITY_IMPERSONATE`, `ROLE_BIND` (→ the role bound by a new binding), `ROLE_ESCALATE`,
//!   `CSR_APPROVE` (→ `system:masters`), `WEBHOOK_WRITE` (→ cluster-admin).
//!
//! An edge to many vertices at once (a binding that may exec into every pod of a namespace)
//! is stored once, pointing at a shared list of targets; [`Graph::edges`] expands them. The
//! graph stays linear in the size of the cluster.
//!
//! Every edge carries evidence ([`EvidenceItem`]): the fields it rests on (JSON pointer in an
//! object, value, file:line), the grants (`Grant::evidence()`: binding, role, rule), the
//! binding that names an identity, or a note.
//!
//! # Entries, targets, paths
//!
//! Entries: exposed endpoints (exposure `internet`), every pod (`pod`: assume compromise of any
//! of its containers), `system:anonymous` (`anonymous`) and `system:authenticated`
//! (`authenticated`). Targets, in three classes ([`TargetClass`]):
//! - `cluster-admin`: an identity allowed `*` on `*` in `*` cluster-wide (one `who_can` probe
//!   of that request) or a member of `system:masters`; a permission set whose rules allow `*`
//!   on `*` cluster-wide; the `cluster-admin` vertex;
//! - `node-root`: every node vertex;
//! - `kube-system-secrets`: `secret:kube-system/*` and every kube-system secret vertex.
//!
//! One shortest path (BFS, fewest hops) per entry × target class, ending at the nearest target
//! of the class. Paths may pass through other entries and targets of other classes, never
//! through a cluster-admin target (which already gives everything). Computed by one reverse BFS
//! per class from all its targets (O(vertices + stored edges + list memberships) per class), so
//! the number of entries does not matter.
//!
//! **Severity** counts *steps*: hops that are attacker actions (all but `CONTAINER_ATTACH`,
//! `GROUP_MEMBER`, `PERMISSION_DISCOVER` and `VOLUME_DISCOVER`).
//!
//! | entry exposure | ≤ 3 steps | more |
//! |---|---|---|
//! | internet (NodePort/LoadBalancer Service, Ingress), anonymous, authenticated | critical | high |
//! | pod (assumed compromise), or a `--from` start that is not an entry | high | medium |
//!
//! # Approximations
//!
//! Listed in `docs/paths.md`: placement (`node:*`), admission (Pod Security labels only),
//! permissions combined within one binding only, ROLE_ESCALATE on the bound role only,
//! TOKEN_LIST/TOKEN_BRUTEFORCE to every account in scope (as KubeHound), ports of
//! ENDPOINT_EXPLOIT ignored.

mod build;
mod paths;
mod rbac_edges;
mod render;
mod retain;
pub mod synthetic;
mod technique;

pub use paths::{EntrySpec, Hop, Path, Paths, Summary, VertexRef, severity};
pub use render::{
    DiagramOptions, render_dot, render_json, render_mermaid, render_table, write_dot, write_json,
    write_mermaid, write_table,
};
pub use retain::{GRAPH_KINDS, prune};
pub use technique::Technique;

use kubeward_core::Str;
use serde::Serialize;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// What a vertex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VertexKind {
    Identity,
    PermissionSet,
    Pod,
    Container,
    Node,
    Volume,
    Secret,
    Endpoint,
    ClusterAdmin,
}

impl VertexKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VertexKind::Identity => "identity",
            VertexKind::PermissionSet => "permission-set",
            VertexKind::Pod => "pod",
            VertexKind::Container => "container",
            VertexKind::Node => "node",
            VertexKind::Volume => "volume",
            VertexKind::Secret => "secret",
            VertexKind::Endpoint => "endpoint",
            VertexKind::ClusterAdmin => "cluster-admin",
        }
    }
}

/// How an entry point is reachable by an attacker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exposure {
    /// A NodePort or LoadBalancer Service, or an Ingress backend.
    Internet,
    /// `system:anonymous`: anyone who reaches the API server.
    Anonymous,
    /// `system:authenticated`: anyone with any credential.
    Authenticated,
    /// A pod: assume one of its containers is compromised.
    Pod,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Internet => "internet",
            Exposure::Anonymous => "anonymous",
            Exposure::Authenticated => "authenticated",
            Exposure::Pod => "pod",
        }
    }
}

/// A class of critical targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetClass {
    /// Every permission in the cluster.
    ClusterAdmin,
    /// Root on a node.
    NodeRoot,
    /// The secrets of `kube-system`.
    KubeSystemSecrets,
}

impl TargetClass {
    pub const ALL: [TargetClass; 3] = [
        TargetClass::ClusterAdmin,
        TargetClass::NodeRoot,
        TargetClass::KubeSystemSecrets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetClass::ClusterAdmin => "cluster-admin",
            TargetClass::NodeRoot => "node-root",
            TargetClass::KubeSystemSecrets => "kube-system-secrets",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One vertex.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexInfo {
    /// Stable, unique id (`pod:prod/Deployment/web`).
    pub id: Arc<str>,
    pub kind: VertexKind,
    /// Human name (`Deployment prod/web`).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Str>,
    /// `Kind/namespace/name` of the object the vertex comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Set on entry points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Exposure>,
    /// Set on critical targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<TargetClass>,
    /// Why the vertex is critical (for identities: the grant of `*` on `*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_critical: Option<Arc<[EvidenceItem]>>,
    /// The index, in the objects the graph was built from, of the object the vertex comes from.
    #[serde(skip)]
    pub object_index: Option<usize>,
    /// For a binding's permission set: the binding's index in the evaluator's `bindings`.
    #[serde(skip)]
    pub binding_index: Option<usize>,
}

/// Why an edge exists: one item per fact it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EvidenceItem {
    /// A field of an object: JSON pointer, value as written, and where.
    #[serde(rename_all = "camelCase")]
    Field {
        object: Arc<str>,
        pointer: String,
        value: String,
        file: Arc<str>,
        line: u32,
        column: u32,
    },
    /// An RBAC grant: the binding, the role and the rule that allow the request.
    #[serde(rename_all = "camelCase")]
    Grant {
        /// The request it allows (`create pods/exec in namespace prod`).
        request: String,
        binding: String,
        role: String,
        scope: String,
        /// `Grant::evidence()`: `binding -> role rules[i]: the rule`.
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<Arc<str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// A binding names the identity, directly or through a group the identity is in.
    #[serde(rename_all = "camelCase")]
    Binding {
        binding: String,
        role: String,
        subject: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        via_group: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<Arc<str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
    },
    /// Reasoning that points at no single field.
    Note { text: String },
}

impl fmt::Display for EvidenceItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = |file: &Option<Arc<str>>, line: &Option<u32>| match (file, line) {
            (Some(file), Some(line)) if *line > 0 => format!(" ({file}:{line})"),
            (Some(file), _) => format!(" ({file})"),
            _ => String::new(),
        };
        match self {
            EvidenceItem::Field {
                object,
                pointer,
                value,
                file,
                line,
                column,
            } => {
                write!(f, "{object} {pointer}")?;
                if !value.is_empty() {
                    write!(f, ": {value}")?;
                }
                if *line > 0 {
                    write!(f, " ({file}:{line}:{column})")
                } else {
                    write!(f, " ({file})")
                }
            }
            EvidenceItem::Grant {
                request,
                text,
                file,
                line,
                ..
            } => write!(f, "{request}: {text}{}", place(file, line)),
            EvidenceItem::Binding {
                binding,
                role,
                subject,
                via_group,
                file,
                line,
            } => {
                write!(f, "{binding} -> {role} names {subject}")?;
                if let Some(g) = via_group {
                    write!(f, " ({g})")?;
                }
                f.write_str(&place(file, line))
            }
            EvidenceItem::Note { text } => f.write_str(text),
        }
    }
}

/// One edge: `from` reaches `to` by `technique`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub technique: Technique,
    pub(crate) evidence: u32,
}

/// An edge as stored: to one vertex, or (`group`) to every vertex of a shared target list
/// (the pods of a namespace, the service accounts of the cluster...). Lists keep the graph
/// linear in the cluster's size: a binding that may exec into every pod is one item, not one
/// edge per pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item {
    pub from: u32,
    /// A vertex, or a list index when `group`.
    pub to: u32,
    pub technique: Technique,
    pub group: bool,
    pub evidence: u32,
}

/// Compressed sparse rows: the values of row `r` are `values[start[r]..start[r + 1]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub start: Vec<u32>,
    pub values: Vec<u32>,
}

impl Csr {
    /// Rows `0..rows` from `(row, value)` pairs, values in the order given.
    pub fn build(rows: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> Csr {
        let mut start = vec![0u32; rows + 1];
        for (r, _) in pairs.clone() {
            start[r as usize + 1] += 1;
        }
        for i in 0..rows {
            start[i + 1] += start[i];
        }
        let mut pos: Vec<u32> = start[..rows].to_vec();
        let mut values = vec![0u32; start[rows] as usize];
        for (r, v) in pairs {
            let p = &mut pos[r as usize];
            values[*p as usize] = v;
            *p += 1;
        }
        Csr { start, values }
    }

    pub fn row(&self, r: u32) -> &[u32] {
        let (a, b) = (
            self.start[r as usize] as usize,
            self.start[r as usize + 1] as usize,
        );
        &self.values[a..b]
    }
}

/// The attack graph. Build with [`Graph::build`]; vertices are numbered `0..vertex_count()`.
pub struct Graph {
    pub(crate) vertices: Vec<Arc<VertexInfo>>,
    /// Items sorted by `from` (insertion order kept within a vertex).
    pub(crate) items: Vec<Item>,
    /// `items[out_start[v]..out_start[v + 1]]` leave `v`.
    pub(crate) out_start: Vec<u32>,
    /// Per vertex: the direct items that enter it.
    pub(crate) in_items: Csr,
    /// Target lists of group items.
    pub(crate) lists: Csr,
    /// Per list: the group items that point at it.
    pub(crate) list_owners: Csr,
    /// Per vertex: the lists it is in.
    pub(crate) member_of: Csr,
    /// Number of edges, group items expanded.
    pub(crate) edge_count: usize,
    pub(crate) evidence: Vec<Arc<[EvidenceItem]>>,
    pub(crate) ids: rustc_hash::FxHashMap<Arc<str>, u32>,
    pub(crate) entries: Vec<u32>,
    /// Workload vertices by (namespace, name).
    pub(crate) pods: rustc_hash::FxHashMap<(Str, Str), Vec<u32>>,
    /// Reverse-BFS results, one per target class, computed on first use.
    pub(crate) reach: OnceLock<Vec<paths::Reach>>,
}

impl fmt::Debug for Graph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("vertices", &self.vertices.len())
            .field("edges", &self.edge_count)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Graph {
    pub fn vertex_count(&self) -> usize {
        self.vertices.len()
    }

    /// The number of edges (each vertex a group item reaches counts).
    pub fn edge_count(&self) -> usize {
        self.edge_count
    }

    /// The number of stored items (group items count once): the graph's real size.
    pub fn stored_edge_count(&self) -> usize {
        self.items.len()
    }

    /// A vertex by number.
    pub fn vertex(&self, v: u32) -> &VertexInfo {
        &self.vertices[v as usize]
    }

    /// Every vertex, numbered by position.
    pub fn vertices(&self) -> impl Iterator<Item = &VertexInfo> {
        self.vertices.iter().map(|v| &**v)
    }

    /// A vertex number by id.
    pub fn find(&self, id: &str) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub(crate) fn item_range(&self, v: u32) -> std::ops::Range<usize> {
        self.out_start[v as usize] as usize..self.out_start[v as usize + 1] as usize
    }

    /// The edges an item stands for.
    pub(crate) fn expand(&self, it: &Item) -> impl Iterator<Item = Edge> + '_ {
        let (targets, single): (&[u32], Option<u32>) = if it.group {
            (self.lists.row(it.to), None)
        } else {
            (&[], Some(it.to))
        };
        let (from, technique, evidence) = (it.from, it.technique, it.evidence);
        targets
            .iter()
            .copied()
            .chain(single)
            .filter(move |&to| to != from)
            .map(move |to| Edge {
                from,
                to,
                technique,
                evidence,
            })
    }

    /// Every edge (group items expanded), by source vertex.
    pub fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        self.items.iter().flat_map(|it| self.expand(it))
    }

    /// The edges leaving `v`, in the order they were found.
    pub fn out_edges(&self, v: u32) -> Vec<Edge> {
        self.items[self.item_range(v)]
            .iter()
            .flat_map(|it| self.expand(it))
            .collect()
    }

    /// The evidence of an edge.
    pub fn evidence(&self, e: &Edge) -> &Arc<[EvidenceItem]> {
        &self.evidence[e.evidence as usize]
    }

    /// The entry points.
    pub fn entries(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().copied()
    }

    /// The edges from `from` to `to` (several techniques may link the same pair).
    pub fn edges_between(&self, from: &str, to: &str) -> Vec<Edge> {
        match (self.find(from), self.find(to)) {
            (Some(a), Some(b)) => self
                .out_edges(a)
                .into_iter()
                .filter(|e| e.to == b)
                .collect(),
            _ => Vec::new(),
        }
    }
}
