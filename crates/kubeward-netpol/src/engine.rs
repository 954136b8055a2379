//! The analysis: what each workload may send to each other workload and to external address
//! ranges, with Kubernetes' semantics.
//!
//! For one direction (ingress to the destination pod, egress from the source pod):
//! AdminNetworkPolicies selecting the pod are walked by priority, rule by rule, and decide the
//! (protocol, port) pairs their matching rules name (Allow, Deny, or Pass to the next layer).
//! What they leave undecided goes to the NetworkPolicies: when at least one selects the pod for
//! that direction, only what some rule of theirs allows is allowed (the union of the policies);
//! when none does, the BaselineAdminNetworkPolicy decides, and what it does not name is
//! allowed. A connection is allowed when both directions allow it.
//!
//! The whole matrix is computed on classes of workloads that no policy can tell apart (same
//! selecting policies, same match with every rule peer, same named ports), so its cost grows
//! with the number of distinct classes, not of workloads.

use crate::admin::{Action, AdminPeer, AdminPort, AdminRule, PodSet};
use crate::conn::{ConnSet, Protocol};
use crate::ip::{IpRange, IpSet, partition};
use crate::model::{Direction, Model, Peer, PortSpec, Rule};
use crate::selector::Selector;
use rustc_hash::FxHashMap;
use std::hash::Hash;

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Workload(usize),
    /// An address range outside the cluster.
    External(IpRange),
}

/// Interns values, giving each distinct one a dense id.
#[derive(Debug)]
struct Interner<T: Hash + Eq + Clone> {
    ids: FxHashMap<T, u32>,
    values: Vec<T>,
}

impl<T: Hash + Eq + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            ids: FxHashMap::default(),
            values: Vec::new(),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    fn id(&mut self, v: T) -> u32 {
        if let Some(&id) = self.ids.get(&v) {
            return id;
        }
        let id = self.values.len() as u32;
        self.ids.insert(v.clone(), id);
        self.values.push(v);
        id
    }
}

/// The policies that apply to a workload as the subject of one direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct Profile {
    netpols: Vec<u32>,
    admin: Vec<u32>,
    baseline: bool,
}

/// The analysis of one model.
#[derive(Debug)]
pub struct Analysis<'m, 'a> {
    pub model: &'m Model<'a>,
    /// NetworkPolicies selecting each workload, for ingress and for egress.
    selected: [Vec<Vec<u32>>; 2],
    /// AdminNetworkPolicies whose subject is each workload (in priority order).
    admin_subject: Vec<Vec<u32>>,
    /// Is each workload a subject of the BaselineAdminNetworkPolicy?
    baseline_subject: Vec<bool>,
    /// External address ranges as sources: the address space split by every ingress ipBlock.
    pub sources: Vec<IpRange>,
    /// External address ranges as destinations: split by every egress ipBlock and network.
    pub destinations: Vec<IpRange>,
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl<'m, 'a> Analysis<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Analysis<'m, 'a> {
        let n = model.workloads.len();
        let mut selected = [vec![Vec::new(); n], vec![Vec::new(); n]];
        // Policies per namespace, so each workload is only tested against its own.
        let mut by_ns: Vec<Vec<u32>> = vec![Vec::new(); model.namespaces.len()];
        for (i, p) in model.policies.iter().enumerate() {
            by_ns[p.namespace].push(i as u32);
        }
        for (wi, w) in model.workloads.iter().enumerate() {
            for &pi in &by_ns[w.namespace] {
                let p = &model.policies[pi as usize];
                if !p.pod_selector.matches(&w.labels) {
                    continue;
                }
                for d in [Direction::Ingress, Direction::Egress] {
                    if p.affects(d) {
                        selected[dir_index(d)][wi].push(pi);
                    }
                }
            }
        }
        let subject_of = |s: &PodSet, w: usize| pod_set_matches(model, s, w);
        let admin_subject = (0..n)
            .map(|w| {
                (0..model.admin.len() as u32)
                    .filter(|&a| subject_of(&model.admin[a as usize].subject, w))
                    .collect()
            })
            .collect();
        let baseline_subject = (0..n)
            .map(|w| {
                model
                    .baseline
                    .as_ref()
                    .is_some_and(|b| subject_of(&b.subject, w))
            })
            .collect();
        let mut src_blocks: Vec<&IpSet> = Vec::new();
        let mut dst_blocks: Vec<&IpSet> = Vec::new();
        for p in &model.policies {
            for r in &p.ingress {
                src_blocks.extend(r.peers.iter().filter_map(ip_set));
            }
            for r in &p.egress {
                dst_blocks.extend(r.peers.iter().filter_map(ip_set));
            }
        }
        for a in model.admin.iter().chain(&model.baseline) {
            for r in &a.egress {
                dst_blocks.extend(r.peers.iter().filter_map(|p| match p {
                    AdminPeer::Networks(s) => Some(s),
                    AdminPeer::Pods(_) => None,
                }));
            }
        }
        Analysis {
            model,
            selected,
            admin_subject,
            baseline_subject,
            sources: partition(&src_blocks),
            destinations: partition(&dst_blocks),
        }
    }

    /// The NetworkPolicies selecting workload `w` for direction `d`.
    pub fn selecting(&self, d: Direction, w: usize) -> &[u32] {
        &self.selected[dir_index(d)][w]
    }

    /// The inverse of [`Analysis::selecting`]: for each NetworkPolicy, the workloads it
    /// selects for `d`, ascending. One pass over the workloads (the lint rules used to test
    /// every workload against every policy).
    pub fn selected_by(&self, d: Direction) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.model.policies.len()];
        for (w, ps) in self.selected[dir_index(d)].iter().enumerate() {
            for &p in ps {
                if let Some(v) = out.get_mut(p as usize) {
                    v.push(w);
                }
            }
        }
        out
    }

    /// The AdminNetworkPolicies whose subject is workload `w`, by priority.
    pub fn admin_selecting(&self, w: usize) -> &[u32] {
        &self.admin_subject[w]
    }

    /// Is workload `w` a subject of the BaselineAdminNetworkPolicy?
    pub fn baseline_selects(&self, w: usize) -> bool {
        self.baseline_subject[w]
    }

    /// Does a NetworkPolicy rule peer name this endpoint?
    pub fn peer_matches(&self, policy_ns: usize, peer: &Peer, ep: &Endpoint) -> bool {
        match (peer, ep) {
            (Peer::Pods { namespaces, pods }, Endpoint::Workload(w)) => {
                let w = &self.model.workloads[*w];
                let ns_ok = match namespaces {
                    None => w.namespace == policy_ns,
                    Some(s) => s.matches(&self.model.namespaces[w.namespace].labels),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(&w.labels))
            }
            (Peer::IpBlock { set, .. }, Endpoint::External(r)) => set.contains_range(r),
            _ => false,
        }
    }

    /// Does a NetworkPolicy rule apply to this peer (no `from`/`to`: everyone)?
    pub fn rule_matches(&self, policy_ns: usize, rule: &Rule, ep: &Endpoint) -> bool {
        rule.peers.is_empty()
            || rule
                .peers
                .iter()
                .any(|p| self.peer_matches(policy_ns, p, ep))
    }

    /// The connections a NetworkPolicy rule allows to `dst` (named ports resolved on it).
    pub fn rule_conns(&self, rule: &Rule, dst: &Endpoint) -> ConnSet {
        if rule.ports.is_empty() {
            return ConnSet::all();
        }
        let mut c = ConnSet::none();
        for p in &rule.ports {
            match p {
                PortSpec::All(proto) => c.union_with(&ConnSet::protocol(*proto)),
                PortSpec::Range(proto, s, e) => c.union_with(&ConnSet::ports(*proto, *s, *e)),
                PortSpec::Named(proto, name) => {
                    if let Some((pp, port)) = self.named_port(dst, name)
                        && pp == *proto
                    {
                        c.union_with(&ConnSet::ports(pp, port, port));
                    }
                }
            }
        }
        c
    }

    /// The first container port of `ep` with this name.
    pub fn named_port(&self, ep: &Endpoint, name: &str) -> Option<(Protocol, u16)> {
        match ep {
            Endpoint::Workload(w) => self.model.workloads[*w]
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(name))
                .map(|p| (p.protocol, p.port)),
            Endpoint::External(_) => None,
        }
    }

    fn admin_peer_matches(&self, peer: &AdminPeer, ep: &Endpoint) -> bool {
        match (peer, ep) {
            (AdminPeer::Pods(s), Endpoint::Workload(w)) => pod_set_matches(self.model, s, *w),
            (AdminPeer::Networks(set), Endpoint::External(r)) => set.contains_range(r),
            _ => false,
        }
    }

    /// The connections an admin rule names towards `dst`, when its peers include `peer`.
    pub fn admin_rule_conns(&self, rule: &AdminRule, peer: &Endpoint, dst: &Endpoint) -> ConnSet {
        if !rule.peers.iter().any(|p| self.admin_peer_matches(p, peer)) {
            return ConnSet::none();
        }
        let Some(ports) = &rule.ports else {
            return ConnSet::all();
        };
        let mut c = ConnSet::none();
        for p in ports {
            match p {
                AdminPort::Range(proto, s, e) => c.union_with(&ConnSet::ports(*proto, *s, *e)),
                AdminPort::Named(name) => {
                    if let Some((proto, port)) = self.named_port(dst, name) {
                        c.union_with(&ConnSet::ports(proto, port, port));
                    }
                }
            }
        }
        c
    }

    /// What the NetworkPolicies allow in direction `d` for `subject` with `peer`; `None` when
    /// no NetworkPolicy selects the subject for that direction.
    pub fn netpol_direction(
        &self,
        d: Direction,
        subject: usize,
        peer: &Endpoint,
        dst: &Endpoint,
    ) -> Option<ConnSet> {
        let pols = self.selecting(d, subject);
        if pols.is_empty() {
            return None;
        }
        let mut c = ConnSet::none();
        for &pi in pols {
            let p = &self.model.policies[pi as usize];
            for r in p.rules(d) {
                if self.rule_matches(p.namespace, r, peer) {
                    c.union_with(&self.rule_conns(r, dst));
                    if c.is_all() {
                        return Some(c);
                    }
                }
            }
        }
        Some(c)
    }

    /// What direction `d` allows for `subject` (the destination for ingress, the source for
    /// egress) with the other end `peer`; `dst` is the destination (where named ports resolve).
    pub fn direction(
        &self,
        d: Direction,
        subject: usize,
        peer: &Endpoint,
        dst: &Endpoint,
    ) -> ConnSet {
        let admins = &self.admin_subject[subject];
        if admins.is_empty() && !self.baseline_subject[subject] {
            return self
                .netpol_direction(d, subject, peer, dst)
                .unwrap_or_else(ConnSet::all);
        }
        let mut allowed = ConnSet::none();
        let mut undecided = ConnSet::all();
        let mut passed = ConnSet::none();
        for &ai in admins {
            let a = &self.model.admin[ai as usize];
            for r in admin_rules(a, d) {
                let m = self.admin_rule_conns(r, peer, dst).intersect(&undecided);
                if m.is_empty() {
                    continue;
                }
                match r.action {
                    Action::Allow => allowed.union_with(&m),
                    Action::Deny => {}
                    Action::Pass => passed.union_with(&m),
                }
                undecided = undecided.subtract(&m);
            }
        }
        undecided.union_with(&passed);
        match self.netpol_direction(d, subject, peer, dst) {
            Some(np) => allowed.union_with(&undecided.intersect(&np)),
            None => {
                if self.baseline_subject[subject]
                    && let Some(b) = &self.model.baseline
                {
                    for r in admin_rules(b, d) {
                        let m = self.admin_rule_conns(r, peer, dst).intersect(&undecided);
                        if r.action == Action::Allow {
                            allowed.union_with(&m);
                        }
                        undecided = undecided.subtract(&m);
                    }
                }
                allowed.union_with(&undecided);
            }
        }
        allowed
    }

    /// Every connection allowed from `src` to `dst` (both directions must allow it). Two
    /// external ends are not analysed: nothing.
    pub fn allowed(&self, src: &Endpoint, dst: &Endpoint) -> ConnSet {
        let egress = match src {
            Endpoint::Workload(s) => self.direction(Direction::Egress, *s, dst, dst),
            Endpoint::External(_) => ConnSet::all(),
        };
        if egress.is_empty() {
            return egress;
        }
        let ingress = match dst {
            Endpoint::Workload(d) => self.direction(Direction::Ingress, *d, src, dst),
            Endpoint::External(_) if matches!(src, Endpoint::External(_)) => ConnSet::none(),
            Endpoint::External(_) => ConnSet::all(),
        };
        egress.intersect(&ingress)
    }

    /// The full matrix: workloads × workloads, external sources × workloads, and workloads ×
    /// external destinations.
    pub fn matrix(&self) -> Matrix {
        let model = self.model;
        let n = model.workloads.len();
        // Distinct rule peers (pods) of every policy: a workload's signature is which it matches.
        let mut matchers: Interner<Matcher> = Interner::default();
        for p in &model.policies {
            for r in p.ingress.iter().chain(&p.egress) {
                for peer in &r.peers {
                    if let Peer::Pods { namespaces, pods } = peer {
                        matchers.id(Matcher::NetPol {
                            own_ns: namespaces.is_none().then_some(p.namespace),
                            namespaces: namespaces.clone(),
                            pods: pods.clone(),
                        });
                    }
                }
            }
        }
        for a in model.admin.iter().chain(&model.baseline) {
            for r in a.ingress.iter().chain(&a.egress) {
                for peer in &r.peers {
                    if let AdminPeer::Pods(s) = peer {
                        matchers.id(Matcher::Admin(s.clone()));
                    }
                }
            }
        }
        let mut names: Interner<&str> = Interner::default();
        for p in &model.policies {
            for r in p.ingress.iter().chain(&p.egress) {
                for port in &r.ports {
                    if let PortSpec::Named(_, name) = port {
                        names.id(name.as_str());
                    }
                }
            }
        }
        for a in model.admin.iter().chain(&model.baseline) {
            for r in a.ingress.iter().chain(&a.egress) {
                for port in r.ports.iter().flatten() {
                    if let AdminPort::Named(name) = port {
                        names.id(name.as_str());
                    }
                }
            }
        }
        // Workloads with the same namespace and labels match the same peers: evaluate once.
        let mut sigs: Interner<Vec<u64>> = Interner::default();
        let mut sig_by_identity: FxHashMap<(usize, &crate::selector::Labels), u32> =
            FxHashMap::default();
        let mut port_sigs: Interner<Vec<Option<(Protocol, u16)>>> = Interner::default();
        let mut profiles: Interner<Profile> = Interner::default();
        let mut classes: Interner<[u32; 4]> = Interner::default();
        let mut class_of = Vec::with_capacity(n);
        let mut reps: Vec<usize> = Vec::new();
        let words = matchers.values.len().div_ceil(64);
        for (wi, w) in model.workloads.iter().enumerate() {
            let sig = *sig_by_identity
                .entry((w.namespace, &w.labels))
                .or_insert_with(|| {
                    let mut bits = vec![0u64; words];
                    for (mi, m) in matchers.values.iter().enumerate() {
                        if m.matches(model, wi) {
                            bits[mi / 64] |= 1 << (mi % 64);
                        }
                    }
                    sigs.id(bits)
                });
            let ep = Endpoint::Workload(wi);
            let ports: Vec<Option<(Protocol, u16)>> = names
                .values
                .iter()
                .map(|name| self.named_port(&ep, name))
                .collect();
            let ps = port_sigs.id(ports);
            let prof = |d: Direction| Profile {
                netpols: self.selecting(d, wi).to_vec(),
                admin: self.admin_subject[wi].clone(),
                baseline: self.baseline_subject[wi],
            };
            let ing = profiles.id(prof(Direction::Ingress));
            let eg = profiles.id(prof(Direction::Egress));
            let c = classes.id([eg, ing, sig, ps]);
            if c as usize == reps.len() {
                reps.push(wi);
            }
            class_of.push(c);
        }
        let nc = classes.values.len();
        let mut conns: Interner<ConnSet> = Interner::default();
        let empty = conns.id(ConnSet::none());
        let all = conns.id(ConnSet::all());
        debug_assert_eq!((empty, all), (EMPTY, 1));
        // Egress of a class towards a (signature, named ports) destination, and ingress of a
        // (profile, named ports) destination from a source signature, computed once each.
        let mut eg_memo: FxHashMap<(u32, u32, u32), u32> = FxHashMap::default();
        let mut in_memo: FxHashMap<(u32, u32, u32), u32> = FxHashMap::default();
        let mut meet: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut cells = vec![EMPTY; nc * nc];
        for (i, ki) in classes.values.iter().enumerate() {
            let si = reps[i];
            for (j, kj) in classes.values.iter().enumerate() {
                let dj = reps[j];
                let (src, dst) = (Endpoint::Workload(si), Endpoint::Workload(dj));
                let e = *eg_memo
                    .entry((ki[0], kj[2], kj[3]))
                    .or_insert_with(|| conns.id(self.direction(Direction::Egress, si, &dst, &dst)));
                if e == EMPTY {
                    continue;
                }
                let g = *in_memo.entry((kj[1], kj[3], ki[2])).or_insert_with(|| {
                    conns.id(self.direction(Direction::Ingress, dj, &src, &dst))
                });
                cells[i * nc + j] = if e == all {
                    g
                } else if g == all {
                    e
                } else {
                    *meet.entry((e.min(g), e.max(g))).or_insert_with(|| {
                        let c = conns.values[e as usize].intersect(&conns.values[g as usize]);
                        conns.id(c)
                    })
                };
            }
        }
        // External sources reach a class through its ingress only; a class reaches external
        // destinations through its egress only.
        let mut from_ext = vec![EMPTY; self.sources.len() * nc];
        for (x, r) in self.sources.iter().enumerate() {
            let src = Endpoint::External(*r);
            let mut memo: FxHashMap<(u32, u32), u32> = FxHashMap::default();
            for (j, kj) in classes.values.iter().enumerate() {
                let dj = reps[j];
                from_ext[x * nc + j] = *memo.entry((kj[1], kj[3])).or_insert_with(|| {
                    let dst = Endpoint::Workload(dj);
                    conns.id(self.direction(Direction::Ingress, dj, &src, &dst))
                });
            }
        }
        let nd = self.destinations.len();
        let mut to_ext = vec![EMPTY; nc * nd];
        for (y, r) in self.destinations.iter().enumerate() {
            let dst = Endpoint::External(*r);
            let mut memo: FxHashMap<u32, u32> = FxHashMap::default();
            for (i, ki) in classes.values.iter().enumerate() {
                let si = reps[i];
                to_ext[i * nd + y] = *memo
                    .entry(ki[0])
                    .or_insert_with(|| conns.id(self.direction(Direction::Egress, si, &dst, &dst)));
            }
        }
        Matrix {
            class_of,
            classes: nc,
            cells,
            from_ext,
            to_ext,
            sources: self.sources.clone(),
            destinations: self.destinations.clone(),
            conns: conns.values,
        }
    }
}

/// Id of the empty connection set in every [`Matrix`].
const EMPTY: u32 = 0;

fn admin_rules<'p>(a: &'p crate::admin::AdminPolicy<'_>, d: Direction) -> &'p [AdminRule] {
    match d {
        Direction::Ingress => &a.ingress,
        Direction::Egress => &a.egress,
    }
}

fn ip_set(p: &Peer) -> Option<&IpSet> {
    match p {
        Peer::IpBlock { set, .. } => Some(set),
        Peer::Pods { .. } => None,
    }
}

pub(crate) fn pod_set_matches(model: &Model<'_>, s: &PodSet, w: usize) -> bool {
    let w = &model.workloads[w];
    let ns = &model.namespaces[w.namespace].labels;
    match s {
        PodSet::Namespaces(sel) => sel.matches(ns),
        PodSet::Pods { namespaces, pods } => namespaces.matches(ns) && pods.matches(&w.labels),
    }
}

/// A distinct rule peer that names pods.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Matcher {
    NetPol {
        /// The policy's namespace, when the peer has no namespaceSelector.
        own_ns: Option<usize>,
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    Admin(PodSet),
}

impl Matcher {
    fn matches(&self, model: &Model<'_>, w: usize) -> bool {
        match self {
            Matcher::NetPol {
                own_ns,
                namespaces,
                pods,
            } => {
                let wl = &model.workloads[w];
                let ns_ok = match (own_ns, namespaces) {
                    (Some(ns), _) => wl.namespace == *ns,
                    (None, Some(s)) => s.matches(&model.namespaces[wl.namespace].labels),
                    (None, None) => true,
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(&wl.labels))
            }
            Matcher::Admin(s) => pod_set_matches(model, s, w),
        }
    }
}

/// What every endpoint may send to every other: computed per class of indistinguishable
/// workloads, read per workload.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// The class of each workload.
    pub class_of: Vec<u32>,
    /// Number of classes.
    pub classes: usize,
    cells: Vec<u32>,
    from_ext: Vec<u32>,
    to_ext: Vec<u32>,
    pub sources: Vec<IpRange>,
    pub destinations: Vec<IpRange>,
    conns: Vec<ConnSet>,
}

impl Matrix {
    /// Workload to workload.
    pub fn between(&self, src: usize, dst: usize) -> &ConnSet {
        let (i, j) = (self.class_of[src] as usize, self.class_of[dst] as usize);
        &self.conns[self.cells[i * self.classes + j] as usize]
    }

    /// External source range `x` (index in `sources`) to a workload.
    pub fn from_external(&self, x: usize, dst: usize) -> &ConnSet {
        let j = self.class_of[dst] as usize;
        &self.conns[self.from_ext[x * self.classes + j] as usize]
    }

    /// A workload to external destination range `y` (index in `destinations`).
    pub fn to_external(&self, src: usize, y: usize) -> &ConnSet {
        let i = self.class_of[src] as usize;
        &self.conns[self.to_ext[i * self.destinations.len() + y] as usize]
    }

    /// Number of distinct connection sets in the matrix.
    pub fn distinct_conns(&self) -> usize {
        self.conns.len()
    }
}
