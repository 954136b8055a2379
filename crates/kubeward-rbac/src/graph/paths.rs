//! Shortest paths from entry points to critical targets.

use super::{EvidenceItem, Exposure, Graph, TargetClass, Technique, VertexInfo, VertexKind};
use crate::eval::implied_groups;
use kubeward_core::Severity;
use serde::{Serialize, Serializer};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

const UNREACHED: u32 = u32::MAX;

/// The result of one reverse BFS: for every vertex, its distance to the nearest target of a
/// class and the edge to take towards it.
#[derive(Debug)]
pub(crate) struct Reach {
    dist: Vec<u32>,
    /// The item to take (index into `Graph::items`); `UNREACHED` for targets and unreached
    /// vertices.
    next_item: Vec<u32>,
    /// The vertex it leads to (a member of the item's list for a group item).
    next_to: Vec<u32>,
}

/// A vertex in a hop: id, kind, name.
#[derive(Debug, Clone)]
pub struct VertexRef(pub Arc<VertexInfo>);

impl Serialize for VertexRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Vertex", 3)?;
        st.serialize_field("id", &*self.0.id)?;
        st.serialize_field("kind", &self.0.kind)?;
        st.serialize_field("name", &self.0.name)?;
        st.end()
    }
}

/// One step of a path.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub technique: Technique,
    pub from: VertexRef,
    pub to: VertexRef,
    pub evidence: Arc<[EvidenceItem]>,
}

/// A shortest path from an entry point to a critical target.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    pub severity: Severity,
    /// How the entry is exposed (a start vertex that is not an entry counts as `pod`).
    pub exposure: Exposure,
    /// The class of the target reached; `None` for [`Graph::shortest_path`] to a non-target.
    pub target_class: Option<TargetClass>,
    /// Number of hops.
    pub length: usize,
    /// Hops that are attacker actions (see [`Technique::is_structural`]).
    pub steps: usize,
    pub entry: Arc<VertexInfo>,
    pub target: Arc<VertexInfo>,
    pub hops: Vec<Hop>,
}

/// Severity of a path (module docs): exposure and number of steps.
pub fn severity(exposure: Exposure, steps: usize) -> Severity {
    match (exposure, steps <= 3) {
        (Exposure::Internet | Exposure::Anonymous | Exposure::Authenticated, true) => {
            Severity::Critical
        }
        (Exposure::Internet | Exposure::Anonymous | Exposure::Authenticated, false) => {
            Severity::High
        }
        (Exposure::Pod, true) => Severity::High,
        (Exposure::Pod, false) => Severity::Medium,
    }
}

/// Counts for the JSON output.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub vertices: usize,
    pub edges: usize,
    pub entries: usize,
    pub paths: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    /// Paths per target class.
    pub cluster_admin: usize,
    pub node_root: usize,
    pub kube_system_secrets: usize,
}

/// The JSON document of `kubeward paths --format json` (see `docs/paths.md`).
#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    /// Format version: 1.
    pub version: u32,
    pub summary: Summary,
    pub paths: Vec<Path>,
}

impl Paths {
    pub fn new(graph: &Graph, paths: Vec<Path>) -> Paths {
        let mut s = Summary {
            vertices: graph.vertex_count(),
            edges: graph.edge_count(),
            entries: graph.entries.len(),
            paths: paths.len(),
            ..Summary::default()
        };
        for p in &paths {
            match p.severity {
                Severity::Critical => s.critical += 1,
                Severity::High => s.high += 1,
                _ => s.medium += 1,
            }
            match p.target_class {
                Some(TargetClass::ClusterAdmin) => s.cluster_admin += 1,
                Some(TargetClass::NodeRoot) => s.node_root += 1,
                Some(TargetClass::KubeSystemSecrets) => s.kube_system_secrets += 1,
                None => {}
            }
        }
        Paths {
            version: 1,
            summary: s,
            paths,
        }
    }
}

/// Where `--from` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySpec {
    /// `pod:<ns>/<name>` (every workload kind with that name) or `pod:<ns>/<Kind>/<name>`.
    Pod {
        namespace: String,
        kind: Option<String>,
        name: String,
    },
    /// `identity:<user>` (`alice`, `system:serviceaccount:ns:name`, `system:anonymous`);
    /// `sa:<ns>/<name>` is a shorthand for a service account.
    Identity(String),
    /// `group:<name>`.
    Group(String),
    /// `vertex:<id>`: any vertex by its id.
    Vertex(String),
}

impl FromStr for EntrySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "bad --from `{s}`: expected pod:<namespace>/<name>, identity:<user>, group:<name>, sa:<namespace>/<name> or vertex:<id>"
            )
        };
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        match kind {
            "pod" => {
                let parts: Vec<&str> = rest.split('/').collect();
                match parts.as_slice() {
                    [ns, name] if !ns.is_empty() && !name.is_empty() => Ok(EntrySpec::Pod {
                        namespace: ns.to_string(),
                        kind: None,
                        name: name.to_string(),
                    }),
                    [ns, kind, name] if !ns.is_empty() && !name.is_empty() => Ok(EntrySpec::Pod {
                        namespace: ns.to_string(),
                        kind: Some(kind.to_string()),
                        name: name.to_string(),
                    }),
                    _ => Err(bad()),
                }
            }
            "identity" | "user" => Ok(EntrySpec::Identity(rest.to_string())),
            "sa" => match rest.split_once('/') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() => Ok(EntrySpec::Identity(
                    format!("system:serviceaccount:{ns}:{name}"),
                )),
                _ => Err(bad()),
            },
            "group" => Ok(EntrySpec::Group(rest.to_string())),
            "vertex" => Ok(EntrySpec::Vertex(rest.to_string())),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for EntrySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntrySpec::Pod {
                namespace,
                kind: Some(k),
                name,
            } => write!(f, "pod:{namespace}/{k}/{name}"),
            EntrySpec::Pod {
                namespace, name, ..
            } => write!(f, "pod:{namespace}/{name}"),
            EntrySpec::Identity(u) => write!(f, "identity:{u}"),
            EntrySpec::Group(g) => write!(f, "group:{g}"),
            EntrySpec::Vertex(v) => write!(f, "vertex:{v}"),
        }
    }
}

impl Graph {
    fn reach(&self) -> &[Reach] {
        self.reach.get_or_init(|| {
            TargetClass::ALL
                .iter()
                .map(|&c| self.compute_reach(c))
                .collect()
        })
    }

    /// Reverse BFS from every target of `class`. Paths never pass through a cluster-admin
    /// target on their way to another class (cluster-admin already gives everything).
    ///
    /// A group item (one source, a shared list of targets) is followed backwards once per list:
    /// the first member of a list the BFS reaches is the nearest, and every owner of the list is
    /// one step further. O(vertices + items + list memberships).
    fn compute_reach(&self, class: TargetClass) -> Reach {
        let n = self.vertices.len();
        let mut dist = vec![UNREACHED; n];
        // Per list: its member reached first (the nearest), once the list is expanded.
        let mut trigger = vec![UNREACHED; self.lists.start.len().saturating_sub(1)];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for (v, info) in self.vertices.iter().enumerate() {
            if info.critical == Some(class) {
                dist[v] = 0;
                queue.push_back(v as u32);
            }
        }
        let blocked = |v: usize| {
            class != TargetClass::ClusterAdmin
                && self.vertices[v].critical == Some(TargetClass::ClusterAdmin)
        };
        while let Some(w) = queue.pop_front() {
            let d = dist[w as usize] + 1;
            for &i in self.in_items.row(w) {
                let v = self.items[i as usize].from as usize;
                if dist[v] == UNREACHED && !blocked(v) {
                    dist[v] = d;
                    queue.push_back(v as u32);
                }
            }
            for &l in self.member_of.row(w) {
                if trigger[l as usize] != UNREACHED {
                    continue;
                }
                trigger[l as usize] = w;
                for &i in self.list_owners.row(l) {
                    let v = self.items[i as usize].from as usize;
                    if v != w as usize && dist[v] == UNREACHED && !blocked(v) {
                        dist[v] = d;
                        queue.push_back(v as u32);
                    }
                }
            }
        }
        // The next hop: the first item (in insertion order) that gets one step closer.
        let mut next_item = vec![UNREACHED; n];
        let mut next_to = vec![UNREACHED; n];
        for v in 0..n {
            let d = dist[v];
            if d == UNREACHED || d == 0 {
                continue;
            }
            for i in self.item_range(v as u32) {
                let it = &self.items[i];
                let to = if it.group {
                    trigger[it.to as usize]
                } else {
                    it.to
                };
                if to != UNREACHED && to as usize != v && dist[to as usize] == d - 1 {
                    next_item[v] = i as u32;
                    next_to[v] = to;
                    break;
                }
            }
        }
        Reach {
            dist,
            next_item,
            next_to,
        }
    }

    fn exposure_of(&self, v: u32) -> Exposure {
        self.vertices[v as usize].entry.unwrap_or(Exposure::Pod)
    }

    /// The path of `(item, target)` steps starting at `start`.
    fn make_path(&self, start: u32, steps: &[(u32, u32)], class: Option<TargetClass>) -> Path {
        let mut hops = Vec::with_capacity(steps.len());
        let mut end = start;
        for &(i, to) in steps {
            let it = &self.items[i as usize];
            hops.push(Hop {
                technique: it.technique,
                from: VertexRef(self.vertices[it.from as usize].clone()),
                to: VertexRef(self.vertices[to as usize].clone()),
                evidence: self.evidence[it.evidence as usize].clone(),
            });
            end = to;
        }
        let steps = hops.iter().filter(|h| !h.technique.is_structural()).count();
        let exposure = self.exposure_of(start);
        Path {
            severity: severity(exposure, steps),
            exposure,
            target_class: class.or(self.vertices[end as usize].critical),
            length: hops.len(),
            steps,
            entry: self.vertices[start as usize].clone(),
            target: self.vertices[end as usize].clone(),
            hops,
        }
    }

    /// The shortest path from `start` to the nearest target of `class`.
    fn path_to_class(&self, start: u32, class: TargetClass) -> Option<Path> {
        let reach = &self.reach()[class.index()];
        if reach.dist[start as usize] == UNREACHED {
            return None;
        }
        let mut steps = Vec::new();
        let mut v = start;
        while reach.dist[v as usize] > 0 {
            let i = reach.next_item[v as usize];
            if i == UNREACHED {
                return None; // cannot happen: every reached vertex has a next hop
            }
            steps.push((i, reach.next_to[v as usize]));
            v = reach.next_to[v as usize];
        }
        Some(self.make_path(start, &steps, Some(class)))
    }

    /// Every path from every entry point to each class of critical target: one per entry ×
    /// class, most severe first.
    pub fn critical_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        for &e in &self.entries {
            for class in TargetClass::ALL {
                if let Some(p) = self.path_to_class(e, class) {
                    out.push(p);
                }
            }
        }
        sort_paths(&mut out);
        out
    }

    /// The paths from one start (`--from`), one per target class. An identity the graph does
    /// not know (named in no binding) gets the paths of the groups the API server puts it in.
    pub fn paths_from(&self, spec: &EntrySpec) -> Result<Vec<Path>, String> {
        let starts = self.resolve(spec)?;
        let mut out = Vec::new();
        for s in starts {
            for class in TargetClass::ALL {
                if let Some(p) = self.path_to_class(s, class) {
                    out.push(p);
                }
            }
        }
        sort_paths(&mut out);
        Ok(out)
    }

    /// The vertices an [`EntrySpec`] names.
    pub fn resolve(&self, spec: &EntrySpec) -> Result<Vec<u32>, String> {
        let found: Vec<u32> = match spec {
            EntrySpec::Pod {
                namespace,
                kind,
                name,
            } => {
                let all = self
                    .pods
                    .get(&(namespace.as_str().into(), name.as_str().into()))
                    .cloned()
                    .unwrap_or_default();
                match kind {
                    None => all,
                    Some(k) => all
                        .into_iter()
                        .filter(|&v| {
                            self.vertices[v as usize]
                                .id
                                .starts_with(&format!("pod:{namespace}/{k}/"))
                        })
                        .collect(),
                }
            }
            EntrySpec::Identity(user) => {
                let id = match user.strip_prefix("system:serviceaccount:") {
                    Some(rest) => match rest.split_once(':') {
                        Some((ns, name)) => format!("sa:{ns}/{name}"),
                        None => format!("user:{user}"),
                    },
                    None => format!("user:{user}"),
                };
                match self.find(&id) {
                    Some(v) => vec![v],
                    None => implied_groups(user)
                        .iter()
                        .filter_map(|g| self.find(&format!("group:{g}")))
                        .collect(),
                }
            }
            EntrySpec::Group(g) => self.find(&format!("group:{g}")).into_iter().collect(),
            EntrySpec::Vertex(id) => self.find(id).into_iter().collect(),
        };
        if found.is_empty() {
            return Err(format!("--from {spec}: no such vertex in the graph"));
        }
        Ok(found)
    }

    /// The shortest path (fewest hops) between two vertices by id, whatever they are
    /// (forward BFS); `None` if `to` is unreachable or an id is unknown.
    pub fn shortest_path(&self, from: &str, to: &str) -> Option<Path> {
        let (a, b) = (self.find(from)?, self.find(to)?);
        let n = self.vertices.len();
        // prev[v] = (item, from) of the step that reached v.
        let mut prev: Vec<(u32, u32)> = vec![(UNREACHED, UNREACHED); n];
        let mut seen = vec![false; n];
        let mut list_done = vec![false; self.lists.start.len().saturating_sub(1)];
        seen[a as usize] = true;
        let mut queue = VecDeque::from([a]);
        'bfs: while let Some(v) = queue.pop_front() {
            for i in self.item_range(v) {
                let it = &self.items[i];
                let targets: &[u32] = if it.group {
                    if list_done[it.to as usize] {
                        continue;
                    }
                    list_done[it.to as usize] = true;
                    self.lists.row(it.to)
                } else {
                    std::slice::from_ref(&it.to)
                };
                for &t in targets {
                    if !seen[t as usize] {
                        seen[t as usize] = true;
                        prev[t as usize] = (i as u32, v);
                        if t == b {
                            break 'bfs;
                        }
                        queue.push_back(t);
                    }
                }
            }
        }
        if !seen[b as usize] {
            return None;
        }
        let mut steps = Vec::new();
        let mut v = b;
        while v != a {
            let (i, from) = prev[v as usize];
            steps.push((i, v));
            v = from;
        }
        steps.reverse();
        let class = self.vertices[b as usize].critical;
        Some(self.make_path(a, &steps, class))
    }

    /// The number of hops from a vertex to the nearest target of a class (`None`: unreachable).
    pub fn distance_to(&self, id: &str, class: TargetClass) -> Option<usize> {
        let v = self.find(id)?;
        let d = self.reach()[class.index()].dist[v as usize];
        (d != UNREACHED).then_some(d as usize)
    }

    /// Vertices of a kind.
    pub fn vertices_of(&self, kind: VertexKind) -> impl Iterator<Item = &VertexInfo> {
        self.vertices().filter(move |v| v.kind == kind)
    }
}

fn sort_paths(paths: &mut [Path]) {
    paths.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.exposure.cmp(&b.exposure))
            .then(a.steps.cmp(&b.steps))
            .then(a.length.cmp(&b.length))
            .then_with(|| a.entry.id.cmp(&b.entry.id))
            .then(a.target_class.cmp(&b.target_class))
    });
}
