//! Building the graph from objects: vertices, and every edge that does not come from RBAC
//! (those are in `rbac_edges`).

use super::{
    Csr, EvidenceItem, Exposure, Graph, Item, TargetClass, Technique, VertexInfo, VertexKind,
};
use crate::Rbac;
use crate::model::Subject;
use kubeward_core::{ContainerList, ContainerView, Node, Object, PodView, Str};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

/// Where a workload's pods run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Placement {
    /// Not pinned: the `node:*` vertex.
    Any,
    /// `spec.nodeName`: index into `Builder::nodes`.
    Named(usize),
    /// A DaemonSet: every node.
    Every,
}

/// A node vertex.
#[derive(Debug, Clone)]
pub(super) struct NodeV {
    pub vertex: u32,
    /// `None` for `node:*`.
    pub name: Option<Str>,
}

/// A workload vertex.
#[derive(Debug, Clone)]
pub(super) struct WorkloadV {
    pub vertex: u32,
    pub ns: Str,
    pub kind: Str,
    pub name: Str,
    pub placement: Placement,
    pub labels: Vec<(Str, Str)>,
    /// Regular containers (ENDPOINT_EXPLOIT targets).
    pub app_containers: Vec<u32>,
}

/// A ServiceAccount object's `automountServiceAccountToken`.
#[derive(Debug, Clone, Copy)]
struct SaObject {
    obj: usize,
    automount: Option<bool>,
}

/// The state of a build.
pub(super) struct Builder<'a> {
    pub objects: &'a [Object],
    pub rbac: &'a Rbac,
    pub vertices: Vec<VertexInfo>,
    pub items: Vec<Item>,
    /// Shared target lists of group items, and their keys.
    pub lists: Vec<Vec<u32>>,
    pub list_keys: FxHashMap<ListKey, u32>,
    pub evidence: Vec<Arc<[EvidenceItem]>>,
    pub ids: FxHashMap<Arc<str>, u32>,
    pub entries: Vec<u32>,
    obj_names: Vec<Option<Arc<str>>>,
    /// Evidence that is one fixed note, shared.
    notes: FxHashMap<&'static str, u32>,
    // Identities.
    pub identities: FxHashMap<Subject, u32>,
    /// Every identity vertex with its subject and the groups it is in beyond the implied ones.
    pub identity_list: Vec<(u32, Subject, Vec<Str>)>,
    /// Index into `identity_list` by vertex.
    pub subject_of: FxHashMap<u32, usize>,
    pub sas_by_ns: FxHashMap<Str, Vec<u32>>,
    pub all_sas: Vec<u32>,
    /// Users (node identities included, `system:anonymous` excluded).
    pub users: Vec<u32>,
    pub groups: Vec<u32>,
    pub node_identities: Vec<u32>,
    pub anonymous: u32,
    pub masters: u32,
    // Nodes and pods.
    pub nodes: Vec<NodeV>,
    /// Index into `nodes` by node name.
    pub node_index: FxHashMap<Str, usize>,
    pub workloads: Vec<WorkloadV>,
    pub pods_by_ns: FxHashMap<Str, Vec<usize>>,
    /// Workload indices by name (for `resourceNames`), filled before the RBAC edges.
    pub workloads_by_name: FxHashMap<Str, Vec<usize>>,
    pub namespaces: BTreeSet<Str>,
    /// Namespaces whose Pod Security admission `enforce` level forbids privileged pods.
    pub psa_enforced: FxHashSet<Str>,
    // Secrets.
    /// Known service account token secrets: (namespace, name) → (object, service account).
    token_secrets: FxHashMap<(Str, Str), (usize, Str)>,
    pub secret_vertices: FxHashMap<(Str, Str), u32>,
    pub kube_system_secrets: u32,
    pub cluster_admin: u32,
    sa_objects: FxHashMap<(Str, Str), SaObject>,
    /// Token volumes of unpinned pods, of pods pinned to a named node, of DaemonSets.
    tokvols_any: Vec<u32>,
    tokvols_named: FxHashMap<usize, Vec<u32>>,
    tokvols_every: Vec<u32>,
    /// Pods and volumes of unpinned workloads and of DaemonSets (see `add_node_lists`).
    unpinned_pods: Vec<u32>,
    unpinned_volumes: Vec<u32>,
    daemon_pods: Vec<u32>,
    daemon_volumes: Vec<u32>,
    /// hostPath volumes above the kubelet's pod directory, with their placement.
    traverse: Vec<(u32, Placement, EvidenceItem)>,
    /// `get pods/log` grants by service account vertex (CE_VAR_LOG_SYMLINK).
    pub log_grants: FxHashMap<u32, Option<EvidenceItem>>,
    /// Binding indices by subject (for `pods_log_grant`), built on first use.
    pub bindings_by_subject: FxHashMap<Subject, Vec<usize>>,
}

impl Graph {
    /// The attack graph of `objects`, with the RBAC of `rbac` (normally `Rbac::new(objects)`).
    pub fn build(objects: &[Object], rbac: &Rbac) -> Graph {
        Graph::build_in(objects, rbac, std::iter::empty())
    }

    /// [`Graph::build`], knowing that `namespaces` exist besides those the objects name (a
    /// scan that kept only what the graph reads, [`super::prune`], passes the namespaces of
    /// everything it saw).
    pub fn build_in(
        objects: &[Object],
        rbac: &Rbac,
        namespaces: impl IntoIterator<Item = Str>,
    ) -> Graph {
        let mut b = Builder::new(objects, rbac);
        b.namespaces.extend(namespaces);
        let workloads = b.scan();
        b.add_nodes(&workloads);
        b.add_identities(&workloads);
        for w in &workloads {
            b.add_workload(w);
        }
        b.add_node_lists();
        b.add_traverse();
        b.add_endpoints();
        b.add_rbac();
        b.finish()
    }
}

/// A workload found in the input, before it gets vertices.
pub(super) struct Src<'a> {
    obj: usize,
    view: PodView<'a>,
    ns: Str,
    sa: Str,
    node_name: Option<Str>,
}

/// Volumes that matter for the graph, by name.
#[derive(Debug, Clone, Default)]
struct Vol {
    index: usize,
    vertex: Option<u32>,
    host_path: Option<String>,
    /// A projected `serviceAccountToken` source for the API server (no custom audience).
    token: bool,
    secrets: Vec<u32>,
}

/// A host path a container mounts.
struct HostMount {
    path: String,
    read_only: bool,
    vol_ptr: String,
    mount_ptr: String,
    volume_vertex: Option<u32>,
}

impl<'a> Builder<'a> {
    fn new(objects: &'a [Object], rbac: &'a Rbac) -> Builder<'a> {
        Builder {
            objects,
            rbac,
            vertices: Vec::new(),
            items: Vec::new(),
            lists: Vec::new(),
            list_keys: FxHashMap::default(),
            evidence: Vec::new(),
            ids: FxHashMap::default(),
            entries: Vec::new(),
            obj_names: vec![None; objects.len()],
            notes: FxHashMap::default(),
            identities: FxHashMap::default(),
            identity_list: Vec::new(),
            subject_of: FxHashMap::default(),
            sas_by_ns: FxHashMap::default(),
            all_sas: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            node_identities: Vec::new(),
            anonymous: 0,
            masters: 0,
            nodes: Vec::new(),
            node_index: FxHashMap::default(),
            workloads: Vec::new(),
            pods_by_ns: FxHashMap::default(),
            workloads_by_name: FxHashMap::default(),
            namespaces: BTreeSet::new(),
            psa_enforced: FxHashSet::default(),
            token_secrets: FxHashMap::default(),
            secret_vertices: FxHashMap::default(),
            kube_system_secrets: 0,
            cluster_admin: 0,
            sa_objects: FxHashMap::default(),
            tokvols_any: Vec::new(),
            unpinned_pods: Vec::new(),
            unpinned_volumes: Vec::new(),
            daemon_pods: Vec::new(),
            daemon_volumes: Vec::new(),
            tokvols_named: FxHashMap::default(),
            tokvols_every: Vec::new(),
            traverse: Vec::new(),
            log_grants: FxHashMap::default(),
            bindings_by_subject: FxHashMap::default(),
        }
    }

    // ----- primitives -------------------------------------------------------------------

    /// The vertex with this id, created if new.
    pub fn vertex(
        &mut self,
        id: String,
        kind: VertexKind,
        name: String,
        namespace: Option<Str>,
        obj: Option<usize>,
    ) -> u32 {
        if let Some(&v) = self.ids.get(id.as_str()) {
            return v;
        }
        let id: Arc<str> = id.into();
        let (object, file, line) = match obj {
            Some(i) => {
                let o = &self.objects[i];
                (
                    Some(self.obj_name(i)),
                    Some(o.source.file.clone()),
                    Some(o.root.pos.line).filter(|l| *l > 0),
                )
            }
            None => (None, None, None),
        };
        let v = self.vertices.len() as u32;
        self.vertices.push(VertexInfo {
            id: id.clone(),
            kind,
            name,
            namespace,
            object,
            file,
            line,
            entry: None,
            critical: None,
            why_critical: None,
            object_index: obj,
            binding_index: None,
        });
        self.ids.insert(id, v);
        v
    }

    pub fn entry(&mut self, v: u32, exposure: Exposure) {
        if self.vertices[v as usize].entry.is_none() {
            self.vertices[v as usize].entry = Some(exposure);
            self.entries.push(v);
        }
    }

    pub fn critical(&mut self, v: u32, class: TargetClass, why: Vec<EvidenceItem>) {
        let info = &mut self.vertices[v as usize];
        if info.critical.is_none() {
            info.critical = Some(class);
            if !why.is_empty() {
                info.why_critical = Some(why.into());
            }
        }
    }

    pub fn ev(&mut self, items: Vec<EvidenceItem>) -> u32 {
        self.evidence.push(items.into());
        (self.evidence.len() - 1) as u32
    }

    pub fn edge(&mut self, from: u32, to: u32, technique: Technique, evidence: u32) {
        if from != to {
            self.items.push(Item {
                from,
                to,
                technique,
                group: false,
                evidence,
            });
        }
    }

    /// An edge from `from` to every vertex of a list (see [`ListKey`]).
    pub fn group_edge(&mut self, from: u32, list: u32, technique: Technique, evidence: u32) {
        if !self.lists[list as usize].is_empty() {
            self.items.push(Item {
                from,
                to: list,
                technique,
                group: true,
                evidence,
            });
        }
    }

    /// The list with this key, made by `make` the first time.
    pub fn list(&mut self, key: ListKey, make: impl FnOnce(&Self) -> Vec<u32>) -> u32 {
        if let Some(&l) = self.list_keys.get(&key) {
            return l;
        }
        let members = make(self);
        self.lists.push(members);
        let l = (self.lists.len() - 1) as u32;
        self.list_keys.insert(key, l);
        l
    }

    /// `Deployment/prod/web`.
    pub fn obj_name(&mut self, i: usize) -> Arc<str> {
        if let Some(n) = &self.obj_names[i] {
            return n.clone();
        }
        let o = &self.objects[i];
        let n: Arc<str> = match &o.namespace {
            Some(ns) => format!("{}/{}/{}", o.kind, ns, o.name).into(),
            None => format!("{}/{}", o.kind, o.name).into(),
        };
        self.obj_names[i] = Some(n.clone());
        n
    }

    /// Evidence made of one fixed note, created once.
    pub fn note_ev(&mut self, text: &'static str) -> u32 {
        if let Some(&e) = self.notes.get(text) {
            return e;
        }
        let e = self.ev(vec![Self::note(text)]);
        self.notes.insert(text, e);
        e
    }

    /// Evidence: the field at `ptr` of object `i`.
    pub fn field(&mut self, i: usize, ptr: String, value: String) -> EvidenceItem {
        let loc = self.objects[i].locate(&ptr);
        EvidenceItem::Field {
            object: self.obj_name(i),
            pointer: ptr,
            value,
            file: loc.file,
            line: loc.line,
            column: loc.column,
        }
    }

    pub fn note(text: impl Into<String>) -> EvidenceItem {
        EvidenceItem::Note { text: text.into() }
    }

    // ----- objects ------------------------------------------------------------------------

    /// Reads namespaces, service accounts, secrets; returns the workloads (controllers
    /// standing for the objects they own).
    fn scan(&mut self) -> Vec<Src<'a>> {
        let objects = self.objects;
        let mut owners: FxHashSet<&str> = FxHashSet::default();
        for o in objects {
            if o.builtin
                && is_workload(&o.kind)
                && let Some(uid) = &o.uid
            {
                owners.insert(uid.as_str());
            }
        }
        let mut out = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            if !o.builtin {
                continue;
            }
            let ns = || o.namespace.clone().unwrap_or_else(|| "default".into());
            match o.kind.as_str() {
                "Namespace" => {
                    self.namespaces.insert(o.name.clone());
                    let level = o.label("pod-security.kubernetes.io/enforce");
                    if matches!(level, Some("baseline" | "restricted")) {
                        self.psa_enforced.insert(o.name.clone());
                    }
                    continue;
                }
                "ServiceAccount" => {
                    let automount = o
                        .root
                        .get("automountServiceAccountToken")
                        .and_then(Node::as_bool);
                    self.sa_objects
                        .insert((ns(), o.name.clone()), SaObject { obj: i, automount });
                }
                "Secret" => {
                    let ty = o.root.get("type").and_then(Node::as_str);
                    let sa = o.annotation("kubernetes.io/service-account.name");
                    if ty == Some("kubernetes.io/service-account-token")
                        && let Some(sa) = sa.filter(|s| !s.is_empty())
                    {
                        self.token_secrets
                            .insert((ns(), o.name.clone()), (i, Str::from(sa)));
                    }
                }
                _ => {}
            }
            if o.namespace.is_some() || is_workload(&o.kind) {
                self.namespaces.insert(ns());
            }
            if !is_workload(&o.kind) {
                continue;
            }
            if o.owner
                .as_ref()
                .is_some_and(|u| owners.contains(u.as_str()))
            {
                continue; // its controller stands for it
            }
            let Some(view) = PodView::of(o) else {
                continue;
            };
            let sa = view
                .get("serviceAccountName")
                .or_else(|| view.get("serviceAccount"))
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("default");
            let node_name = view
                .get("nodeName")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(Str::from);
            out.push(Src {
                obj: i,
                ns: ns(),
                sa: Str::from(sa),
                node_name,
                view,
            });
        }
        for fixed in ["default", "kube-system"] {
            self.namespaces.insert(fixed.into());
        }
        out
    }

    fn add_nodes(&mut self, workloads: &[Src<'a>]) {
        self.cluster_admin = self.vertex(
            "cluster-admin".into(),
            VertexKind::ClusterAdmin,
            "cluster-admin (every permission)".into(),
            None,
            None,
        );
        self.critical(
            self.cluster_admin,
            TargetClass::ClusterAdmin,
            vec![Self::note("every action on every resource")],
        );
        self.kube_system_secrets = self.vertex(
            "secret:kube-system/*".into(),
            VertexKind::Secret,
            "every secret in kube-system".into(),
            Some("kube-system".into()),
            None,
        );
        self.critical(
            self.kube_system_secrets,
            TargetClass::KubeSystemSecrets,
            vec![Self::note(
                "kube-system secrets: control-plane and controller credentials",
            )],
        );
        let any = self.vertex(
            "node:*".into(),
            VertexKind::Node,
            "any node (pods without nodeName)".into(),
            None,
            None,
        );
        self.nodes.push(NodeV {
            vertex: any,
            name: None,
        });
        let mut named: BTreeSet<Str> = BTreeSet::new();
        for w in workloads {
            if let Some(n) = &w.node_name {
                named.insert(n.clone());
            }
        }
        for n in named {
            let v = self.vertex(
                format!("node:{n}"),
                VertexKind::Node,
                format!("node {n}"),
                None,
                None,
            );
            self.node_index.insert(n.clone(), self.nodes.len());
            self.nodes.push(NodeV {
                vertex: v,
                name: Some(n),
            });
        }
        for i in 0..self.nodes.len() {
            let v = self.nodes[i].vertex;
            self.critical(
                v,
                TargetClass::NodeRoot,
                vec![Self::note(
                    "root on a node: every pod, volume and secret on it",
                )],
            );
        }
    }

    /// An identity vertex, created if new.
    pub fn identity(&mut self, s: &Subject, extra_groups: &[&str]) -> u32 {
        if let Some(&v) = self.identities.get(s) {
            return v;
        }
        let (id, ns) = match s {
            Subject::User(u) => (format!("user:{u}"), None),
            Subject::Group(g) => (format!("group:{g}"), None),
            Subject::ServiceAccount { namespace, name } => {
                (format!("sa:{namespace}/{name}"), Some(namespace.clone()))
            }
        };
        let obj = match s {
            Subject::ServiceAccount { namespace, name } => self
                .sa_objects
                .get(&(namespace.clone(), name.clone()))
                .map(|x| x.obj),
            _ => None,
        };
        let v = self.vertex(id, VertexKind::Identity, s.display(), ns, obj);
        self.identities.insert(s.clone(), v);
        self.subject_of.insert(v, self.identity_list.len());
        self.identity_list.push((
            v,
            s.clone(),
            extra_groups.iter().map(|g| Str::from(*g)).collect(),
        ));
        match s {
            Subject::User(u) if u == "system:anonymous" => {}
            Subject::User(_) => self.users.push(v),
            Subject::Group(_) => self.groups.push(v),
            Subject::ServiceAccount { namespace, .. } => {
                self.all_sas.push(v);
                self.sas_by_ns.entry(namespace.clone()).or_default().push(v);
            }
        }
        v
    }

    pub fn sa(&mut self, ns: &str, name: &str) -> u32 {
        self.identity(
            &Subject::ServiceAccount {
                namespace: ns.into(),
                name: name.into(),
            },
            &[],
        )
    }

    fn add_identities(&mut self, workloads: &[Src<'a>]) {
        self.anonymous = self.identity(&Subject::User("system:anonymous".into()), &[]);
        self.entry(self.anonymous, Exposure::Anonymous);
        let authenticated = self.identity(&Subject::Group("system:authenticated".into()), &[]);
        self.entry(authenticated, Exposure::Authenticated);
        self.masters = self.identity(&Subject::Group("system:masters".into()), &[]);
        self.critical(
            self.masters,
            TargetClass::ClusterAdmin,
            vec![Self::note(
                "members of system:masters bypass RBAC: every request is allowed",
            )],
        );
        // Node identities (kubelet credentials).
        for i in 0..self.nodes.len() {
            let user = match &self.nodes[i].name {
                Some(n) => format!("system:node:{n}"),
                None => "system:node:*".to_string(),
            };
            let ident = self.identity(&Subject::User(user.as_str().into()), &["system:nodes"]);
            self.node_identities.push(ident);
            let node = self.nodes[i].vertex;
            let ev = self.ev(vec![Self::note(format!(
                "the kubelet's client credentials on the node authenticate as {user} (group system:nodes)"
            ))]);
            self.edge(node, ident, Technique::IdentityAssume, ev);
        }
        let mut sas: Vec<(Str, Str)> = self.sa_objects.keys().cloned().collect();
        sas.sort();
        for (ns, name) in sas {
            self.sa(&ns, &name);
        }
        for w in workloads {
            self.sa(&w.ns.clone(), &w.sa.clone());
        }
        let mut token_sas: Vec<(Str, Str)> = self
            .token_secrets
            .iter()
            .map(|((ns, _), (_, sa))| (ns.clone(), sa.clone()))
            .collect();
        token_sas.sort();
        for (ns, sa) in token_sas {
            self.sa(&ns, &sa);
        }
        let rbac = self.rbac;
        for b in &rbac.bindings {
            for s in &b.subjects {
                self.identity(s, &[]);
            }
        }
    }

    /// The vertex of a secret a pod mounts or a rule names, when it matters: a kube-system
    /// secret (critical) or a known service account token secret (leads to the account).
    pub fn secret(&mut self, ns: &str, name: &str) -> Option<u32> {
        let key = (Str::from(ns), Str::from(name));
        if let Some(&v) = self.secret_vertices.get(&key) {
            return Some(v);
        }
        let token = self.token_secrets.get(&key).cloned();
        if ns != "kube-system" && token.is_none() {
            return None;
        }
        let v = self.vertex(
            format!("secret:{ns}/{name}"),
            VertexKind::Secret,
            format!("Secret {ns}/{name}"),
            Some(ns.into()),
            token.as_ref().map(|(obj, _)| *obj),
        );
        self.secret_vertices.insert(key, v);
        if ns == "kube-system" {
            self.critical(
                v,
                TargetClass::KubeSystemSecrets,
                vec![Self::note("a secret of kube-system")],
            );
        }
        if let Some((obj, sa)) = token {
            let to = self.sa(ns, &sa);
            let items = vec![
                self.field(
                    obj,
                    "/type".into(),
                    "kubernetes.io/service-account-token".into(),
                ),
                self.field(
                    obj,
                    format!(
                        "/metadata/annotations/{}",
                        kubeward_core::pointer::escape("kubernetes.io/service-account.name")
                    ),
                    sa.to_string(),
                ),
            ];
            let ev = self.ev(items);
            self.edge(v, to, Technique::TokenSteal, ev);
        }
        Some(v)
    }

    /// The list of every node vertex.
    pub fn node_list(&mut self) -> u32 {
        self.list(ListKey::Nodes, |b| {
            b.nodes.iter().map(|n| n.vertex).collect()
        })
    }

    /// POD_ATTACH and VOLUME_ACCESS from the nodes to unpinned pods (on `node:*`) and to
    /// DaemonSets (on every node), through shared lists.
    fn add_node_lists(&mut self) {
        let place_any = self
            .note_ev("no nodeName: the pod may run on any node (worst case: on the attacker's)");
        let place_every = self.note_ev("a DaemonSet runs a pod on every node");
        let access = self.note_ev(ACCESS_NOTE);
        let unpinned_pods = std::mem::take(&mut self.unpinned_pods);
        let unpinned_volumes = std::mem::take(&mut self.unpinned_volumes);
        let daemon_pods = std::mem::take(&mut self.daemon_pods);
        let daemon_volumes = std::mem::take(&mut self.daemon_volumes);
        let any = self.nodes[0].vertex;
        let l = self.list(ListKey::NodePods(Placement::Any), |_| unpinned_pods);
        self.group_edge(any, l, Technique::PodAttach, place_any);
        let l = self.list(ListKey::NodeVolumes(Placement::Any), |_| unpinned_volumes);
        self.group_edge(any, l, Technique::VolumeAccess, access);
        let pods = self.list(ListKey::NodePods(Placement::Every), |_| daemon_pods);
        let vols = self.list(ListKey::NodeVolumes(Placement::Every), |_| daemon_volumes);
        for i in 0..self.nodes.len() {
            let n = self.nodes[i].vertex;
            self.group_edge(n, pods, Technique::PodAttach, place_every);
            self.group_edge(n, vols, Technique::VolumeAccess, access);
        }
    }

    // ----- workloads ------------------------------------------------------------------------

    fn add_workload(&mut self, w: &Src<'a>) {
        let o = &self.objects[w.obj];
        let view = &w.view;
        let ns = w.ns.clone();
        let id = format!("pod:{ns}/{}/{}", o.kind, o.name);
        if self.ids.contains_key(id.as_str()) {
            return; // the same workload twice in the input
        }
        let pod = self.vertex(
            id,
            VertexKind::Pod,
            format!("{} {ns}/{}", o.kind, o.name),
            Some(ns.clone()),
            Some(w.obj),
        );
        self.entry(pod, Exposure::Pod);
        let placement = match &w.node_name {
            Some(n) => Placement::Named(self.node_index.get(n).copied().unwrap_or(0)),
            None if o.kind == "DaemonSet" => Placement::Every,
            None => Placement::Any,
        };
        let labels: Vec<(Str, Str)> = view
            .meta
            .and_then(|m| m.get("labels"))
            .map(|l| {
                l.entries()
                    .iter()
                    .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), Str::from(v))))
                    .collect()
            })
            .unwrap_or_default();
        let windex = self.workloads.len();
        self.workloads.push(WorkloadV {
            vertex: pod,
            ns: ns.clone(),
            kind: o.kind.clone(),
            name: o.name.clone(),
            placement,
            labels,
            app_containers: Vec::new(),
        });
        self.pods_by_ns.entry(ns.clone()).or_default().push(windex);

        // Where the pod runs.
        match placement {
            Placement::Named(i) => {
                let n = self.nodes[i].vertex;
                let name = w.node_name.clone().unwrap_or_default();
                let item = self.field(w.obj, view.ptr("nodeName").to_string(), name.to_string());
                let place_ev = self.ev(vec![item]);
                self.edge(n, pod, Technique::PodAttach, place_ev);
            }
            // Shared lists, linked to the node vertices once every workload is known.
            Placement::Any => self.unpinned_pods.push(pod),
            Placement::Every => self.daemon_pods.push(pod),
        }

        // Service account and its token.
        let sa = self.sa(&ns, &w.sa);
        let sa_ev = match view.get("serviceAccountName") {
            Some(n) => self.field(
                w.obj,
                view.ptr("serviceAccountName").to_string(),
                n.scalar_text().unwrap_or_default(),
            ),
            None => match view.get("serviceAccount") {
                Some(n) => self.field(
                    w.obj,
                    view.ptr("serviceAccount").to_string(),
                    n.scalar_text().unwrap_or_default(),
                ),
                None => Self::note(format!(
                    "no serviceAccountName: the pod runs as `{ns}/default`"
                )),
            },
        };
        let pod_auto = view
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool);
        let sa_obj = self.sa_objects.get(&(ns.clone(), w.sa.clone())).copied();
        let automount = match pod_auto {
            Some(b) => b,
            None => sa_obj.and_then(|s| s.automount).unwrap_or(true),
        };
        let auto_ev = match (pod_auto, sa_obj.and_then(|s| s.automount)) {
            (Some(_), _) => self.field(
                w.obj,
                view.ptr("automountServiceAccountToken").to_string(),
                "true".into(),
            ),
            (None, Some(_)) => {
                let obj = sa_obj.map(|s| s.obj).unwrap_or(w.obj);
                self.field(obj, "/automountServiceAccountToken".into(), "true".into())
            }
            (None, None) => Self::note(
                "automountServiceAccountToken is not false (pod nor ServiceAccount): the token is mounted in every container",
            ),
        };

        // Volumes.
        let mut vols: FxHashMap<&str, Vol> = FxHashMap::default();
        let mut token_volumes: Vec<u32> = Vec::new();
        let mut has_api_access_volume = false;
        for (i, v) in view.volumes() {
            let Some(name) = v.get("name").and_then(Node::as_str) else {
                continue;
            };
            if name.starts_with("kube-api-access-") {
                has_api_access_volume = true;
            }
            let mut vol = Vol {
                index: i,
                ..Vol::default()
            };
            let vid = |b: &Self| format!("volume:{ns}/{}/{}/{name}", b.objects[w.obj].kind, o.name);
            if let Some(path) = v.path(&["hostPath", "path"]).and_then(Node::as_str) {
                let p = normalize(path);
                let id = vid(self);
                let vv = self.vertex(
                    id,
                    VertexKind::Volume,
                    format!(
                        "hostPath volume `{name}` ({p}) of {} {ns}/{}",
                        o.kind, o.name
                    ),
                    Some(ns.clone()),
                    Some(w.obj),
                );
                vol.vertex = Some(vv);
                vol.host_path = Some(p);
            }
            if let Some(secret) = v.path(&["secret", "secretName"]).and_then(Node::as_str)
                && let Some(s) = self.secret(&ns, secret)
            {
                vol.secrets.push(s);
            }
            for src in v
                .path(&["projected", "sources"])
                .map(Node::items)
                .unwrap_or_default()
            {
                if let Some(secret) = src.path(&["secret", "name"]).and_then(Node::as_str)
                    && let Some(s) = self.secret(&ns, secret)
                {
                    vol.secrets.push(s);
                }
                if let Some(tok) = src.get("serviceAccountToken") {
                    let audience = tok.get("audience").and_then(Node::as_str).unwrap_or("");
                    if audience.is_empty() {
                        vol.token = true;
                    }
                }
            }
            if vol.token {
                let id = vid(self);
                let vv = self.vertex(
                    id,
                    VertexKind::Volume,
                    format!(
                        "projected token volume `{name}` of {} {ns}/{}",
                        o.kind, o.name
                    ),
                    Some(ns.clone()),
                    Some(w.obj),
                );
                vol.vertex = Some(vv);
                token_volumes.push(vv);
                let item = self.field(
                    w.obj,
                    view.ptr(&format!("volumes/{i}/projected")).to_string(),
                    "serviceAccountToken".into(),
                );
                let ev = self.ev(vec![item, sa_ev.clone()]);
                self.edge(vv, sa, Technique::TokenSteal, ev);
            }
            vols.insert(name, vol);
        }
        let auto_volume = if automount && !has_api_access_volume {
            let vv = self.vertex(
                format!("volume:{ns}/{}/{}/kube-api-access", o.kind, o.name),
                VertexKind::Volume,
                format!(
                    "automounted token volume (kube-api-access) of {} {ns}/{}",
                    o.kind, o.name
                ),
                Some(ns.clone()),
                Some(w.obj),
            );
            token_volumes.push(vv);
            let ev = self.ev(vec![sa_ev.clone(), auto_ev.clone()]);
            self.edge(vv, sa, Technique::TokenSteal, ev);
            Some((vv, ev))
        } else {
            None
        };
        // The node reads every volume of its pods.
        let mut pod_volumes: Vec<u32> = vols.values().filter_map(|v| v.vertex).collect();
        pod_volumes.sort_unstable();
        pod_volumes.extend(auto_volume.map(|(v, _)| v));
        match placement {
            Placement::Named(i) => {
                let n = self.nodes[i].vertex;
                let access_ev = self.note_ev(ACCESS_NOTE);
                for &v in &pod_volumes {
                    self.edge(n, v, Technique::VolumeAccess, access_ev);
                }
            }
            Placement::Any => self.unpinned_volumes.extend(pod_volumes),
            Placement::Every => self.daemon_volumes.extend(pod_volumes),
        }
        for &v in &token_volumes {
            match placement {
                Placement::Any => self.tokvols_any.push(v),
                Placement::Named(i) => self.tokvols_named.entry(i).or_default().push(v),
                Placement::Every => self.tokvols_every.push(v),
            }
        }

        // Containers.
        let host_pid = view.get("hostPID").is_some_and(Node::is_true);
        let share_pns = view.get("shareProcessNamespace").is_some_and(Node::is_true);
        let escapes_allowed = !view.is_windows() && !view.user_namespaced();
        let mut containers: Vec<u32> = Vec::new();
        let attach_ev = self.note_ev("a pod's containers");
        let auto_discover_ev = auto_volume.map(|_| self.ev(vec![auto_ev.clone()]));
        for c in view.containers() {
            let cname = c.name();
            let cv = self.vertex(
                format!("container:{ns}/{}/{}/{cname}", o.kind, o.name),
                VertexKind::Container,
                format!("{} of {} {ns}/{}", c.describe(), o.kind, o.name),
                Some(ns.clone()),
                Some(w.obj),
            );
            if containers.contains(&cv) {
                continue; // two containers with one name
            }
            containers.push(cv);
            if c.list == ContainerList::Containers {
                self.workloads[windex].app_containers.push(cv);
            }
            self.edge(pod, cv, Technique::ContainerAttach, attach_ev);

            // Mounts.
            let mut host_mounts: Vec<HostMount> = Vec::new();
            let mut token_mount: Option<EvidenceItem> = None;
            for (j, m) in c
                .get("volumeMounts")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let Some(vol) = m
                    .get("name")
                    .and_then(Node::as_str)
                    .and_then(|n| vols.get(n))
                else {
                    continue;
                };
                let mount_ptr = c.field_ptr(&format!("volumeMounts/{j}")).to_string();
                let mut mount_item: Option<EvidenceItem> = None;
                if let Some(vv) = vol.vertex {
                    let item = self.field(
                        w.obj,
                        mount_ptr.clone(),
                        m.get("mountPath")
                            .and_then(Node::scalar_text)
                            .unwrap_or_default(),
                    );
                    mount_item = Some(item.clone());
                    let ev = self.ev(vec![item]);
                    self.edge(cv, vv, Technique::VolumeDiscover, ev);
                }
                if vol.token && token_mount.is_none() {
                    token_mount = mount_item.clone();
                }
                if !vol.secrets.is_empty() {
                    let item = self.field(
                        w.obj,
                        view.ptr(&format!("volumes/{}", vol.index)).to_string(),
                        String::new(),
                    );
                    let ev = self.ev(vec![item]);
                    for &s in &vol.secrets.clone() {
                        self.edge(cv, s, Technique::SecretMount, ev);
                    }
                }
                if let Some(base) = &vol.host_path {
                    let sub = m
                        .get("subPath")
                        .and_then(Node::as_str)
                        .filter(|s| !s.is_empty());
                    let path = match sub {
                        Some(s) => normalize(&format!("{base}/{s}")),
                        None => base.clone(),
                    };
                    host_mounts.push(HostMount {
                        path,
                        read_only: m.get("readOnly").is_some_and(Node::is_true),
                        vol_ptr: view
                            .ptr(&format!("volumes/{}/hostPath/path", vol.index))
                            .to_string(),
                        mount_ptr,
                        volume_vertex: vol.vertex,
                    });
                }
            }
            // Secrets through the environment.
            self.env_secrets(w.obj, &ns, &c, cv);

            // Identity.
            let has_token = if let (Some((av, assume_ev)), Some(discover_ev)) =
                (auto_volume, auto_discover_ev)
            {
                self.edge(cv, av, Technique::VolumeDiscover, discover_ev);
                self.edge(cv, sa, Technique::IdentityAssume, assume_ev);
                true
            } else if let Some(m) = token_mount {
                let ev = self.ev(vec![sa_ev.clone(), m]);
                self.edge(cv, sa, Technique::IdentityAssume, ev);
                true
            } else {
                false
            };

            // Escapes to the node(s).
            self.escapes(
                w,
                &c,
                cv,
                placement,
                EscapeCx {
                    host_pid,
                    escapes_allowed,
                    has_token,
                    sa,
                },
                &host_mounts,
            );
            for hm in &host_mounts {
                if let Some(vv) = hm.volume_vertex
                    && is_traverse(&hm.path)
                {
                    let item = self.field(w.obj, hm.vol_ptr.clone(), hm.path.clone());
                    self.traverse.push((vv, placement, item));
                }
            }
        }
        if share_pns && containers.len() > 1 {
            let item = self.field(
                w.obj,
                view.ptr("shareProcessNamespace").to_string(),
                "true".into(),
            );
            let ev = self.ev(vec![item]);
            for &a in &containers {
                for &b in &containers {
                    self.edge(a, b, Technique::ShareProcessNamespace, ev);
                }
            }
        }
    }

    /// SECRET_MOUNT edges for `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef`.
    fn env_secrets(&mut self, obj: usize, ns: &str, c: &ContainerView<'a>, cv: u32) {
        let mut found: Vec<(String, String)> = Vec::new();
        for (j, e) in c
            .get("env")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(name) = e
                .path(&["valueFrom", "secretKeyRef", "name"])
                .and_then(Node::as_str)
            {
                found.push((
                    c.field_ptr(&format!("env/{j}/valueFrom/secretKeyRef/name"))
                        .to_string(),
                    name.to_string(),
                ));
            }
        }
        for (j, e) in c
            .get("envFrom")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(name) = e.path(&["secretRef", "name"]).and_then(Node::as_str) {
                found.push((
                    c.field_ptr(&format!("envFrom/{j}/secretRef/name"))
                        .to_string(),
                    name.to_string(),
                ));
            }
        }
        for (ptr, name) in found {
            if let Some(s) = self.secret(ns, &name) {
                let item = self.field(obj, ptr, name);
                let ev = self.ev(vec![item]);
                self.edge(cv, s, Technique::SecretMount, ev);
            }
        }
    }

    fn escapes(
        &mut self,
        w: &Src<'a>,
        c: &ContainerView<'a>,
        cv: u32,
        placement: Placement,
        cx: EscapeCx,
        mounts: &[HostMount],
    ) {
        let view = &w.view;
        let obj = w.obj;
        let privileged = c.sc("privileged").is_some_and(Node::is_true);
        let caps: Vec<String> = c
            .sc("capabilities")
            .and_then(|n| n.get("add"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .map(|s| {
                let s = s.to_ascii_uppercase();
                s.strip_prefix("CAP_").map(str::to_string).unwrap_or(s)
            })
            .collect();
        let has_cap = |name: &str| caps.iter().any(|c| c == name || c == "ALL");
        let mut found: Vec<(Technique, Vec<EvidenceItem>)> = Vec::new();
        let priv_item =
            |b: &mut Self| b.field(obj, c.sc_ptr("privileged").to_string(), "true".into());
        let caps_item = |b: &mut Self| {
            b.field(
                obj,
                c.sc_ptr("capabilities/add").to_string(),
                format!("[{}]", caps.join(", ")),
            )
        };
        let pid_item = |b: &mut Self| b.field(obj, view.ptr("hostPID").to_string(), "true".into());
        if cx.escapes_allowed {
            if privileged && cx.host_pid {
                let items = vec![priv_item(self), pid_item(self)];
                found.push((Technique::CeNsenter, items));
            }
            if privileged {
                let items = vec![priv_item(self)];
                found.push((Technique::CePrivMount, items));
            }
            if privileged || has_cap("SYS_MODULE") {
                let items = if privileged {
                    vec![priv_item(self)]
                } else {
                    vec![caps_item(self)]
                };
                found.push((Technique::CeModuleLoad, items));
            }
            if cx.host_pid && (privileged || (has_cap("SYS_PTRACE") && has_cap("SYS_ADMIN"))) {
                let unconfined = if privileged {
                    Some(priv_item(self))
                } else {
                    self.apparmor_unconfined(w, c)
                };
                if let Some(aa) = unconfined {
                    let mut items = vec![pid_item(self)];
                    if !privileged {
                        items.push(caps_item(self));
                    }
                    items.push(aa);
                    found.push((Technique::CeSysPtrace, items));
                }
            }
            let root = c
                .effective_sc(view, "runAsUser")
                .filter(|(n, _)| n.as_i64() == Some(0))
                .map(|(_, p)| p.to_string());
            if let Some(root_ptr) = root
                && let Some(m) = mounts.iter().find(|m| PROC_LIST.contains(&m.path.as_str()))
            {
                let items = vec![
                    self.field(obj, root_ptr, "0".into()),
                    self.field(obj, m.vol_ptr.clone(), m.path.clone()),
                    self.field(obj, m.mount_ptr.clone(), String::new()),
                ];
                found.push((Technique::CeUmhCorePattern, items));
            }
        }
        if cx.has_token
            && let Some(m) = mounts
                .iter()
                .find(|m| VAR_LOG_LIST.contains(&m.path.as_str()))
            && let Some(grant) = self.pods_log_grant(cx.sa, &w.ns)
        {
            let items = vec![
                self.field(obj, m.vol_ptr.clone(), m.path.clone()),
                self.field(obj, m.mount_ptr.clone(), String::new()),
                grant,
            ];
            found.push((Technique::CeVarLogSymlink, items));
        }
        if let Some(m) = mounts.iter().find(|m| is_runtime_socket(&m.path)) {
            let items = vec![self.field(obj, m.vol_ptr.clone(), m.path.clone())];
            found.push((Technique::ExploitContainerdSock, items));
        }
        if let Some(m) = mounts
            .iter()
            .find(|m| !m.read_only && !SAFE_WRITE_LIST.contains(&m.path.as_str()))
        {
            let items = vec![
                self.field(obj, m.vol_ptr.clone(), m.path.clone()),
                self.field(obj, m.mount_ptr.clone(), "no readOnly: writable".into()),
            ];
            found.push((Technique::ExploitHostWrite, items));
        }
        if let Some(m) = mounts
            .iter()
            .find(|m| m.read_only && is_sensitive_read(&m.path))
        {
            let items = vec![
                self.field(obj, m.vol_ptr.clone(), m.path.clone()),
                self.field(obj, format!("{}/readOnly", m.mount_ptr), "true".into()),
            ];
            found.push((Technique::ExploitHostRead, items));
        }
        for (t, items) in found {
            let ev = self.ev(items);
            match placement {
                Placement::Any => self.edge(cv, self.nodes[0].vertex, t, ev),
                Placement::Named(i) => self.edge(cv, self.nodes[i].vertex, t, ev),
                Placement::Every => {
                    let list = self.node_list();
                    self.group_edge(cv, list, t, ev);
                }
            }
        }
    }

    /// AppArmor `Unconfined` for the container: `securityContext.appArmorProfile.type`
    /// (container or pod) or the beta annotation.
    fn apparmor_unconfined(&mut self, w: &Src<'a>, c: &ContainerView<'a>) -> Option<EvidenceItem> {
        let from_sc = c
            .effective_sc(&w.view, "appArmorProfile")
            .and_then(|(n, p)| {
                (n.get("type").and_then(Node::as_str) == Some("Unconfined"))
                    .then(|| format!("{p}/type"))
            });
        if let Some(ptr) = from_sc {
            return Some(self.field(w.obj, ptr, "Unconfined".into()));
        }
        let key = format!(
            "container.apparmor.security.beta.kubernetes.io/{}",
            c.name()
        );
        if w.view.annotation(&key) == Some("unconfined") {
            let ptr = format!(
                "{}/annotations/{}",
                w.view.meta_ptr,
                kubeward_core::pointer::escape(&key)
            );
            return Some(self.field(w.obj, ptr, "unconfined".into()));
        }
        None
    }

    /// EXPLOIT_HOST_TRAVERSE: a hostPath at or above `/var/lib/kubelet/pods` reaches the token
    /// volumes of every pod on the same node(s).
    fn add_traverse(&mut self) {
        let traverse = std::mem::take(&mut self.traverse);
        for (vv, placement, item) in traverse {
            let ev = self.ev(vec![
                item,
                Self::note("token volumes live in /var/lib/kubelet/pods/<uid>/volumes"),
            ]);
            let list = self.list(ListKey::TokenVolumes(placement), |b| {
                let mut targets: Vec<u32> = Vec::new();
                match placement {
                    Placement::Any => targets.extend(&b.tokvols_any),
                    Placement::Named(i) => {
                        targets.extend(b.tokvols_named.get(&i).into_iter().flatten())
                    }
                    Placement::Every => {
                        targets.extend(&b.tokvols_any);
                        let mut named: Vec<_> = b.tokvols_named.iter().collect();
                        named.sort_by_key(|(i, _)| **i);
                        for (_, v) in named {
                            targets.extend(v);
                        }
                    }
                }
                targets.extend(&b.tokvols_every);
                targets
            });
            // The volume's own pod's tokens are among them; the edge to itself is skipped.
            self.group_edge(vv, list, Technique::ExploitHostTraverse, ev);
        }
    }

    // ----- endpoints ------------------------------------------------------------------------

    fn add_endpoints(&mut self) {
        let objects = self.objects;
        // Services by (namespace, name).
        let mut services: FxHashMap<(Str, Str), usize> = FxHashMap::default();
        for (i, o) in objects.iter().enumerate() {
            if o.builtin && o.kind == "Service" {
                let ns = o.namespace.clone().unwrap_or_else(|| "default".into());
                services.entry((ns, o.name.clone())).or_insert(i);
            }
        }
        for (i, o) in objects.iter().enumerate() {
            if !o.builtin {
                continue;
            }
            let ns = o.namespace.clone().unwrap_or_else(|| "default".into());
            match o.kind.as_str() {
                "Service" => {
                    let ty = o.root.path(&["spec", "type"]).and_then(Node::as_str);
                    if !matches!(ty, Some("NodePort" | "LoadBalancer")) {
                        continue;
                    }
                    let ty_item = self.field(i, "/spec/type".into(), ty.unwrap_or("").into());
                    let targets = self.service_targets(i, &ns);
                    if targets.is_empty() {
                        continue;
                    }
                    let ep = self.vertex(
                        format!("endpoint:Service/{ns}/{}", o.name),
                        VertexKind::Endpoint,
                        format!("Service {ns}/{} ({})", o.name, ty.unwrap_or("")),
                        Some(ns.clone()),
                        Some(i),
                    );
                    self.entry(ep, Exposure::Internet);
                    for (sel_item, containers) in targets {
                        let ev = self.ev(vec![ty_item.clone(), sel_item]);
                        for c in containers {
                            self.edge(ep, c, Technique::EndpointExploit, ev);
                        }
                    }
                }
                "Ingress" => {
                    let backends = ingress_backends(o);
                    let mut ep: Option<u32> = None;
                    for (ptr, svc) in backends {
                        let Some(&si) = services.get(&(ns.clone(), Str::from(svc.as_str()))) else {
                            continue;
                        };
                        let targets = self.service_targets(si, &ns);
                        if targets.is_empty() {
                            continue;
                        }
                        let ep = *ep.get_or_insert_with(|| {
                            let v = self.vertex(
                                format!("endpoint:Ingress/{ns}/{}", o.name),
                                VertexKind::Endpoint,
                                format!("Ingress {ns}/{}", o.name),
                                Some(ns.clone()),
                                Some(i),
                            );
                            self.entry(v, Exposure::Internet);
                            v
                        });
                        let backend_item = self.field(i, ptr, svc.clone());
                        for (sel_item, containers) in targets {
                            let ev = self.ev(vec![backend_item.clone(), sel_item]);
                            for c in containers {
                                self.edge(ep, c, Technique::EndpointExploit, ev);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The regular containers of the workloads a Service's selector matches, grouped by
    /// workload, each with the selector as evidence.
    fn service_targets(&mut self, svc: usize, ns: &str) -> Vec<(EvidenceItem, Vec<u32>)> {
        let o = &self.objects[svc];
        let Some(sel) = o.root.path(&["spec", "selector"]) else {
            return Vec::new();
        };
        let selector: Vec<(Str, String)> = sel
            .entries()
            .iter()
            .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), v)))
            .collect();
        if selector.is_empty() {
            return Vec::new();
        }
        let text = format!(
            "{{{}}}",
            selector
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut out = Vec::new();
        let pods = self.pods_by_ns.get(ns).cloned().unwrap_or_default();
        let mut matched = false;
        for wi in pods {
            let w = &self.workloads[wi];
            let ok = selector
                .iter()
                .all(|(k, v)| w.labels.iter().any(|(lk, lv)| lk == k && lv == v));
            if ok && !w.app_containers.is_empty() {
                matched = true;
                out.push(w.app_containers.clone());
            }
        }
        if !matched {
            return Vec::new();
        }
        let item = self.field(svc, "/spec/selector".into(), text);
        out.into_iter().map(|c| (item.clone(), c)).collect()
    }

    // ----- the end ----------------------------------------------------------------------------

    fn finish(mut self) -> Graph {
        let n = self.vertices.len();
        // Items by source (a stable counting sort keeps insertion order within a vertex).
        let mut out_start = vec![0u32; n + 1];
        for it in &self.items {
            out_start[it.from as usize + 1] += 1;
        }
        for i in 0..n {
            out_start[i + 1] += out_start[i];
        }
        let order = Csr::build(
            n,
            self.items
                .iter()
                .enumerate()
                .map(|(i, it)| (it.from, i as u32)),
        );
        let items: Vec<Item> = order
            .values
            .iter()
            .map(|&i| self.items[i as usize])
            .collect();
        self.items = Vec::new();
        // A group item never leads to its own source.
        let in_items = Csr::build(
            n,
            items
                .iter()
                .enumerate()
                .filter(|(_, it)| !it.group)
                .map(|(i, it)| (it.to, i as u32)),
        );
        let lists = Csr::build(
            self.lists.len(),
            self.lists
                .iter()
                .enumerate()
                .flat_map(|(l, m)| m.iter().map(move |&v| (l as u32, v))),
        );
        let list_owners = Csr::build(
            self.lists.len(),
            items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.group)
                .map(|(i, it)| (it.to, i as u32)),
        );
        let member_of = Csr::build(
            n,
            self.lists
                .iter()
                .enumerate()
                .flat_map(|(l, m)| m.iter().map(move |&v| (v, l as u32))),
        );
        let edge_count = items
            .iter()
            .map(|it| {
                if it.group {
                    lists.row(it.to).iter().filter(|&&v| v != it.from).count()
                } else {
                    1
                }
            })
            .sum();
        let mut pods: FxHashMap<(Str, Str), Vec<u32>> = FxHashMap::default();
        for w in &self.workloads {
            pods.entry((w.ns.clone(), w.name.clone()))
                .or_default()
                .push(w.vertex);
        }
        Graph {
            vertices: self.vertices.into_iter().map(Arc::new).collect(),
            items,
            out_start,
            in_items,
            lists,
            list_owners,
            member_of,
            edge_count,
            evidence: self.evidence,
            ids: self.ids,
            entries: self.entries,
            pods,
            reach: OnceLock::new(),
        }
    }
}

/// What a shared target list holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum ListKey {
    /// Workloads in a namespace (`None`: all), of some kinds (empty: all).
    Pods(Option<Str>, &'static [&'static str]),
    /// Service accounts in a namespace (`None`: all).
    ServiceAccounts(Option<Str>),
    Nodes,
    Users,
    /// `system:masters` first, then every other group.
    Groups,
    /// Token volumes on the node(s) of a placement.
    TokenVolumes(Placement),
    /// Pods and volumes of unpinned workloads (`Any`) or of DaemonSets (`Every`).
    NodePods(Placement),
    NodeVolumes(Placement),
}

/// What the escape checks need to know about the pod.
#[derive(Debug, Clone, Copy)]
struct EscapeCx {
    host_pid: bool,
    /// Not a Windows pod, not in a user namespace: capability-based escapes apply.
    escapes_allowed: bool,
    has_token: bool,
    sa: u32,
}

fn is_workload(kind: &str) -> bool {
    matches!(
        kind,
        "Pod"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job"
            | "CronJob"
    )
}

/// `//var//log/` → `/var/log`.
pub(super) fn normalize(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.is_empty() {
        "/".into()
    } else {
        format!("/{}", parts.join("/"))
    }
}

const ACCESS_NOTE: &str = "the node holds the pod's volumes (/var/lib/kubelet/pods)";

/// KubeHound's `ProcMountList` (CE_UMH_CORE_PATTERN).
const PROC_LIST: [&str; 4] = ["/", "/proc", "/proc/sys", "/proc/sys/kernel"];
/// CE_VAR_LOG_SYMLINK mounts.
const VAR_LOG_LIST: [&str; 3] = ["/", "/var", "/var/log"];
/// KubeHound's `SafeWriteMountList` (EXPLOIT_HOST_WRITE exceptions).
const SAFE_WRITE_LIST: [&str; 5] = [
    "/var/run/datadog-agent",
    "/etc/datadog-agent",
    "/etc/datadog-agent/auth",
    "/etc/datadog",
    "/run/xtables.lock",
];

/// KubeHound's `UnsafeReadMountlist` (EXPLOIT_HOST_READ), with `^/home/[a-zA-Z0-9]*/\.ssh$`.
fn is_sensitive_read(p: &str) -> bool {
    if matches!(p, "/" | "/home" | "/root" | "/root/.ssh" | "/proc" | "/etc") {
        return true;
    }
    p.strip_prefix("/home/")
        .and_then(|rest| rest.strip_suffix("/.ssh"))
        .is_some_and(|user| user.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// KubeHound's `TokenMountList` and `^/var/lib/kubelet/pods/.*` (EXPLOIT_HOST_TRAVERSE).
fn is_traverse(p: &str) -> bool {
    matches!(
        p,
        "/" | "/var" | "/var/lib" | "/var/lib/kubelet" | "/var/lib/kubelet/pods"
    ) || p.starts_with("/var/lib/kubelet/pods/")
}

/// A container runtime socket, or a directory that holds one.
fn is_runtime_socket(p: &str) -> bool {
    const SOCKETS: [&str; 5] = [
        "containerd.sock",
        "crio.sock",
        "dockershim.sock",
        "cri-dockerd.sock",
        "docker.sock",
    ];
    const DIRS: [&str; 9] = [
        "/run",
        "/var/run",
        "/run/containerd",
        "/var/run/containerd",
        "/run/crio",
        "/var/run/crio",
        "/run/docker",
        "/var/run/docker",
        "/run/k3s/containerd",
    ];
    SOCKETS.iter().any(|s| p.rsplit('/').next() == Some(*s)) || DIRS.contains(&p)
}

/// `(pointer, service name)` of every backend of an Ingress (v1 and v1beta1 forms).
fn ingress_backends(o: &Object) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut backend = |n: &Node, ptr: String| {
        if let Some(name) = n.path(&["service", "name"]).and_then(Node::as_str) {
            out.push((format!("{ptr}/service/name"), name.to_string()));
        } else if let Some(name) = n.get("serviceName").and_then(Node::as_str) {
            out.push((format!("{ptr}/serviceName"), name.to_string()));
        }
    };
    if let Some(spec) = o.root.get("spec") {
        for key in ["defaultBackend", "backend"] {
            if let Some(b) = spec.get(key) {
                backend(b, format!("/spec/{key}"));
            }
        }
        for (i, rule) in spec
            .get("rules")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            for (j, p) in rule
                .path(&["http", "paths"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                if let Some(b) = p.get("backend") {
                    backend(b, format!("/spec/rules/{i}/http/paths/{j}/backend"));
                }
            }
        }
    }
    out
}
