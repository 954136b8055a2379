//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`):
//! cluster-scoped policies evaluated before (ANP, by priority) and after (BANP) the
//! NetworkPolicies, with explicit Allow, Deny and Pass actions.

use crate::conn::Protocol;
use crate::error::Error;
use crate::ip::{Family, IpSet, parse_cidr};
use crate::model::{Cx, Model, is_port_name, parse_selector};
use crate::selector::Selector;
use kubeward_core::{Node, Object, Str, Value};

pub const GROUP: &str = "policy.networking.k8s.io";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Allow,
    Deny,
    /// Skip the remaining AdminNetworkPolicies: the NetworkPolicies (then the baseline) decide.
    Pass,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
        }
    }
}

/// Which pods a subject or a peer names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PodSet {
    /// Every pod of the namespaces matching the selector.
    Namespaces(Selector),
    /// The pods matching `pods` in the namespaces matching `namespaces`.
    Pods {
        namespaces: Selector,
        pods: Selector,
    },
}

impl PodSet {
    pub fn pod_selector(&self) -> Option<&Selector> {
        match self {
            PodSet::Namespaces(_) => None,
            PodSet::Pods { pods, .. } => Some(pods),
        }
    }

    pub fn namespace_selector(&self) -> &Selector {
        match self {
            PodSet::Namespaces(s) => s,
            PodSet::Pods { namespaces, .. } => namespaces,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AdminPeer {
    Pods(PodSet),
    /// `networks`: CIDRs (egress only).
    Networks(IpSet),
}

/// One port item: `portNumber`, `portRange` or `namedPort`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AdminPort {
    Range(Protocol, u16, u16),
    /// Resolved on the destination pod, with the protocol of its container port.
    Named(Str),
}

#[derive(Debug, Clone)]
pub struct AdminRule {
    pub index: usize,
    pub name: Str,
    pub action: Action,
    pub peers: Vec<AdminPeer>,
    /// `None`: every port.
    pub ports: Option<Vec<AdminPort>>,
}

#[derive(Debug, Clone)]
pub struct AdminPolicy<'a> {
    pub name: Str,
    pub object: &'a Object,
    /// `None` for the baseline.
    pub priority: Option<i64>,
    pub subject: PodSet,
    pub ingress: Vec<AdminRule>,
    pub egress: Vec<AdminRule>,
}

impl AdminPolicy<'_> {
    pub fn is_baseline(&self) -> bool {
        self.priority.is_none()
    }

    pub fn kind(&self) -> &'static str {
        if self.is_baseline() {
            "BaselineAdminNetworkPolicy"
        } else {
            "AdminNetworkPolicy"
        }
    }

    /// The pod label keys its selectors look at.
    pub fn pod_selector_keys(&self) -> impl Iterator<Item = &str> {
        let rules = self.ingress.iter().chain(&self.egress);
        self.subject
            .pod_selector()
            .into_iter()
            .flat_map(Selector::keys)
            .chain(rules.flat_map(|r| {
                r.peers
                    .iter()
                    .flat_map(|p| match p {
                        AdminPeer::Pods(ps) => ps.pod_selector().map(Selector::keys),
                        AdminPeer::Networks(_) => None,
                    })
                    .flatten()
            }))
    }
}

/// Parses every ANP and the BANP of the input into `m`.
pub(crate) fn parse_all<'a>(objects: &[&'a Object], m: &mut Model<'a>, errors: &mut Vec<Error>) {
    let is = |o: &Object, kind: &str| o.kind == kind && o.group() == GROUP;
    for obj in objects
        .iter()
        .copied()
        .filter(|o| is(o, "AdminNetworkPolicy"))
    {
        if let Some(prev) = m.admin.iter().find(|a| a.name == obj.name) {
            let l = prev.object.locate("");
            errors.push(Error::at(
                obj,
                "/metadata/name",
                format!(
                    "a second AdminNetworkPolicy named `{}` (the first is at {}:{})",
                    obj.name, l.file, l.line
                ),
            ));
            continue;
        }
        let mut cx = Cx { obj, errors };
        if let Some(p) = parse_policy(&mut cx, false) {
            m.admin.push(p);
        }
    }
    // Two ANPs at one priority: the order between them is undefined in Kubernetes.
    let mut by_priority: Vec<usize> = (0..m.admin.len()).collect();
    by_priority.sort_by_key(|&i| m.admin[i].priority);
    for w in by_priority.windows(2) {
        let (a, b) = (&m.admin[w[0]], &m.admin[w[1]]);
        if a.priority == b.priority {
            let l = a.object.locate("/spec/priority");
            errors.push(Error::at(
                b.object,
                "/spec/priority",
                format!(
                    "AdminNetworkPolicies `{}` and `{}` (at {}:{}) have the same priority {}: which one wins is undefined; give each its own priority",
                    b.name,
                    a.name,
                    l.file,
                    l.line,
                    b.priority.unwrap_or_default()
                ),
            ));
        }
    }
    m.admin.sort_by_key(|a| a.priority);
    for obj in objects
        .iter()
        .copied()
        .filter(|o| is(o, "BaselineAdminNetworkPolicy"))
    {
        if let Some(prev) = &m.baseline {
            let l = prev.object.locate("");
            errors.push(Error::at(
                obj,
                "",
                format!(
                    "a second BaselineAdminNetworkPolicy (the first is at {}:{}): there is one per cluster, named `default`",
                    l.file, l.line
                ),
            ));
            continue;
        }
        let mut cx = Cx { obj, errors };
        if obj.name != "default" {
            cx.err(
                "/metadata/name",
                format!(
                    "a BaselineAdminNetworkPolicy must be named `default`, not `{}`",
                    obj.name
                ),
            );
            continue;
        }
        if let Some(p) = parse_policy(&mut cx, true) {
            m.baseline = Some(p);
        }
    }
}

fn parse_policy<'a>(cx: &mut Cx<'_, 'a>, baseline: bool) -> Option<AdminPolicy<'a>> {
    let obj = cx.obj;
    let kind = obj.kind.clone();
    if obj.name.is_empty() {
        cx.err("/metadata", format!("a {kind} needs `metadata.name`"));
        return None;
    }
    let Some(spec) = obj.root.get("spec").filter(|s| s.is_map()) else {
        cx.err("/spec", format!("a {kind} needs a `spec` with a `subject`"));
        return None;
    };
    let priority = if baseline {
        None
    } else {
        match spec.get("priority").and_then(Node::as_i64) {
            Some(p) if (0..=1000).contains(&p) => Some(p),
            Some(p) => {
                cx.err(
                    "/spec/priority",
                    format!("priority must be 0-1000, found {p}"),
                );
                return None;
            }
            None => {
                cx.err(
                    "/spec",
                    "an AdminNetworkPolicy needs `priority` (a number 0-1000)",
                );
                return None;
            }
        }
    };
    let subject = match spec.get("subject") {
        Some(s) => parse_pod_set(cx, s, "/spec/subject", "subject")?,
        None => {
            cx.err(
                "/spec",
                format!("a {kind} needs a `subject` (namespaces or pods)"),
            );
            return None;
        }
    };
    let ingress = parse_rules(cx, spec, "ingress", baseline)?;
    let egress = parse_rules(cx, spec, "egress", baseline)?;
    Some(AdminPolicy {
        name: obj.name.clone(),
        object: obj,
        priority,
        subject,
        ingress,
        egress,
    })
}

/// `{namespaces: selector}` or `{pods: {namespaceSelector, podSelector}}`, exactly one.
fn parse_pod_set(cx: &mut Cx<'_, '_>, n: &Node, ptr: &str, what: &str) -> Option<PodSet> {
    let ns = n.entry("namespaces");
    let pods = n.entry("pods");
    match (ns, pods) {
        (Some(e), None) => Some(PodSet::Namespaces(parse_selector(
            cx,
            &e.value,
            &format!("{ptr}/namespaces"),
        ))),
        (None, Some(e)) => {
            // A selector left out is empty (every namespace, every pod), as the API decodes it.
            let pp = format!("{ptr}/pods");
            let sel = |cx: &mut Cx<'_, '_>, key: &str| match e.value.get(key) {
                Some(n) => parse_selector(cx, n, &format!("{pp}/{key}")),
                None => Selector::everything(),
            };
            Some(PodSet::Pods {
                namespaces: sel(cx, "namespaceSelector"),
                pods: sel(cx, "podSelector"),
            })
        }
        _ => {
            cx.err(
                ptr,
                format!("a {what} needs exactly one of `namespaces` or `pods`"),
            );
            None
        }
    }
}

fn parse_rules(
    cx: &mut Cx<'_, '_>,
    spec: &Node,
    field: &str,
    baseline: bool,
) -> Option<Vec<AdminRule>> {
    let Some(list) = spec.get(field) else {
        return Some(Vec::new());
    };
    let ptr = format!("/spec/{field}");
    if !matches!(list.value, Value::Seq(_)) {
        cx.err(
            &ptr,
            format!("expected a list of rules, found {}", list.type_name()),
        );
        return None;
    }
    let peers_field = if field == "ingress" { "from" } else { "to" };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, r) in list.items().iter().enumerate() {
        let rp = format!("{ptr}/{i}");
        if !r.is_map() {
            cx.err(
                &rp,
                format!("expected a rule (a mapping), found {}", r.type_name()),
            );
            ok = false;
            continue;
        }
        let name = r.get("name").and_then(Node::as_str).unwrap_or_default();
        let action = match r.get("action").and_then(Node::as_str) {
            Some("Allow") => Action::Allow,
            Some("Deny") => Action::Deny,
            Some("Pass") if !baseline => Action::Pass,
            other => {
                let allowed = if baseline {
                    "Allow or Deny"
                } else {
                    "Allow, Deny or Pass"
                };
                match other {
                    Some(a) => cx.err(
                        &format!("{rp}/action"),
                        format!("unknown action `{a}` (expected {allowed})"),
                    ),
                    None => cx.err(&rp, format!("a rule needs an `action` ({allowed})")),
                }
                ok = false;
                continue;
            }
        };
        let pp = format!("{rp}/{peers_field}");
        let peers_node = r.get(peers_field).filter(|p| !p.items().is_empty());
        let Some(peers_node) = peers_node else {
            cx.err(
                &rp,
                format!("a rule needs at least one peer in `{peers_field}`"),
            );
            ok = false;
            continue;
        };
        let mut peers = Vec::new();
        for (j, p) in peers_node.items().iter().enumerate() {
            let ptr = format!("{pp}/{j}");
            match parse_peer(cx, p, &ptr, field == "egress") {
                Some(Some(peer)) => peers.push(peer),
                Some(None) => {} // `nodes`: not modelled
                None => ok = false,
            }
        }
        let ports = match r.get("ports") {
            None => None,
            Some(ps) => {
                let mut v = Vec::new();
                for (j, p) in ps.items().iter().enumerate() {
                    match parse_port(cx, p, &format!("{rp}/ports/{j}")) {
                        Some(port) => v.push(port),
                        None => ok = false,
                    }
                }
                Some(v)
            }
        };
        out.push(AdminRule {
            index: i,
            name: name.into(),
            action,
            peers,
            ports,
        });
    }
    ok.then_some(out)
}

/// `Some(None)` for a peer kubeward does not model (`nodes`).
fn parse_peer(cx: &mut Cx<'_, '_>, p: &Node, ptr: &str, egress: bool) -> Option<Option<AdminPeer>> {
    let keys: Vec<&str> = p
        .entries()
        .iter()
        .filter(|e| !e.value.is_null())
        .map(|e| e.key.as_str())
        .collect();
    match keys.as_slice() {
        ["namespaces"] | ["pods"] => {
            parse_pod_set(cx, p, ptr, "peer").map(|s| Some(AdminPeer::Pods(s)))
        }
        ["networks"] if egress => {
            let mut set = IpSet::default();
            for (k, c) in p
                .get("networks")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let cp = format!("{ptr}/networks/{k}");
                match c.as_str().map(parse_cidr) {
                    Some(Ok((Family::V4, r))) => set.v4.union_with(&r),
                    Some(Ok((Family::V6, r))) => set.v6.union_with(&r),
                    Some(Err(why)) => {
                        cx.err(&cp, why);
                        return None;
                    }
                    None => {
                        cx.err(
                            &cp,
                            format!("expected a CIDR string, found {}", c.type_name()),
                        );
                        return None;
                    }
                }
            }
            Some(Some(AdminPeer::Networks(set)))
        }
        ["nodes"] if egress => Some(None),
        _ => {
            let allowed = if egress {
                "namespaces, pods, networks or nodes"
            } else {
                "namespaces or pods"
            };
            cx.err(ptr, format!("a peer needs exactly one of {allowed}"));
            None
        }
    }
}

fn parse_port(cx: &mut Cx<'_, '_>, p: &Node, ptr: &str) -> Option<AdminPort> {
    let keys: Vec<&str> = p
        .entries()
        .iter()
        .filter(|e| !e.value.is_null())
        .map(|e| e.key.as_str())
        .collect();
    let protocol = |cx: &mut Cx<'_, '_>, n: &Node, pp: &str| -> Option<Protocol> {
        match n.get("protocol") {
            None => Some(Protocol::Tcp),
            Some(v) => match v.as_str().and_then(Protocol::parse) {
                Some(p) => Some(p),
                None => {
                    cx.err(
                        &format!("{pp}/protocol"),
                        "unknown protocol (expected TCP, UDP or SCTP)",
                    );
                    None
                }
            },
        }
    };
    let number = |n: Option<&Node>| {
        n.and_then(Node::as_i64)
            .and_then(|v| u16::try_from(v).ok())
            .filter(|&v| v >= 1)
    };
    match keys.as_slice() {
        ["portNumber"] => {
            let pp = format!("{ptr}/portNumber");
            let n = p.get("portNumber")?;
            let proto = protocol(cx, n, &pp)?;
            match number(n.get("port")) {
                Some(port) => Some(AdminPort::Range(proto, port, port)),
                None => {
                    cx.err(&format!("{pp}/port"), "expected a port number 1-65535");
                    None
                }
            }
        }
        ["portRange"] => {
            let pp = format!("{ptr}/portRange");
            let n = p.get("portRange")?;
            let proto = protocol(cx, n, &pp)?;
            match (number(n.get("start")), number(n.get("end"))) {
                (Some(s), Some(e)) if s <= e => Some(AdminPort::Range(proto, s, e)),
                _ => {
                    cx.err(
                        &pp,
                        "a portRange needs `start` and `end` (1-65535, start <= end)",
                    );
                    None
                }
            }
        }
        ["namedPort"] => match p.get("namedPort").and_then(Node::as_str) {
            Some(name) if is_port_name(name) => Some(AdminPort::Named(name.into())),
            _ => {
                cx.err(
                    &format!("{ptr}/namedPort"),
                    "expected a port name (at most 15 lower-case letters, digits and `-`)",
                );
                None
            }
        },
        _ => {
            cx.err(
                ptr,
                "a port needs exactly one of portNumber, portRange or namedPort",
            );
            None
        }
    }
}
