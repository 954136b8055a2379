//! Exposure: per workload, what it accepts traffic from and what it may send to, which
//! policies decide, what their rules would also admit (pods that do not exist yet), and flags
//! for the dangerous cases.

use crate::conn::ConnSet;
use crate::engine::{Analysis, Endpoint, Matrix};
use crate::model::{Direction, Model, Peer, PortSpec, Rule};
use std::net::IpAddr;

/// The cloud metadata endpoints (AWS, GCP, Azure, ... IPv4; AWS IPv6).
pub const METADATA_ADDRESSES: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];

/// A rule of a policy selecting the workload, in words: who it admits and on which ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRule {
    pub policy: usize,
    pub rule: usize,
    /// `any pod in any namespace`, `pods app=web in namespace shop`, `10.0.0.0/8`, ...
    pub peers: Vec<String>,
    /// `all ports`, `TCP 80`, `TCP http`.
    pub ports: String,
    /// Admits every pod of every namespace (and, with no peers at all, every address).
    pub whole_cluster: bool,
}

/// One direction of a workload's exposure.
#[derive(Debug, Clone)]
pub struct Side {
    /// Selected by a NetworkPolicy for this direction (or by an admin policy).
    pub protected: bool,
    /// NetworkPolicies selecting it (indices in `Model::policies`).
    pub policies: Vec<usize>,
    /// The actual peers and what is allowed with each (other workloads and address ranges).
    pub peers: Vec<(Endpoint, ConnSet)>,
    /// What the selecting policies' rules admit, pods not in the input included.
    pub rules: Vec<OpenRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// No policy isolates it for ingress: every pod and every address may connect.
    UnprotectedIngress,
    /// No policy isolates it for egress: it may connect anywhere.
    UnprotectedEgress,
    /// Some address outside the cluster may connect to it.
    IngressFromExternal,
    /// A rule admits every pod of every namespace.
    IngressFromAllNamespaces,
    /// It may connect to the cloud metadata address.
    EgressToMetadata,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::UnprotectedIngress => "unprotected-ingress",
            Flag::UnprotectedEgress => "unprotected-egress",
            Flag::IngressFromExternal => "ingress-from-external",
            Flag::IngressFromAllNamespaces => "ingress-from-all-namespaces",
            Flag::EgressToMetadata => "egress-to-metadata",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Flag::UnprotectedIngress => {
                "no policy selects it for ingress: every pod and every address may connect to it"
            }
            Flag::UnprotectedEgress => {
                "no policy selects it for egress: it may connect to anything"
            }
            Flag::IngressFromExternal => "addresses outside the cluster may connect to it",
            Flag::IngressFromAllNamespaces => "a rule admits every pod of every namespace",
            Flag::EgressToMetadata => {
                "it may reach the cloud metadata address 169.254.169.254 (node credentials)"
            }
        }
    }
}

/// The exposure of one workload.
#[derive(Debug, Clone)]
pub struct Exposure {
    pub workload: usize,
    pub ingress: Side,
    pub egress: Side,
    pub flags: Vec<Flag>,
}

/// The exposure of every workload.
pub fn exposure(analysis: &Analysis<'_, '_>, matrix: &Matrix) -> Vec<Exposure> {
    let model = analysis.model;
    let n = model.workloads.len();
    let metadata: Vec<IpAddr> = METADATA_ADDRESSES
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    (0..n)
        .map(|w| {
            let mut ingress_peers = Vec::new();
            for (x, r) in matrix.sources.iter().enumerate() {
                let c = matrix.from_external(x, w);
                if !c.is_empty() {
                    ingress_peers.push((Endpoint::External(*r), c.clone()));
                }
            }
            let mut egress_peers = Vec::new();
            for o in (0..n).filter(|&o| o != w) {
                let c = matrix.between(o, w);
                if !c.is_empty() {
                    ingress_peers.push((Endpoint::Workload(o), c.clone()));
                }
                let c = matrix.between(w, o);
                if !c.is_empty() {
                    egress_peers.push((Endpoint::Workload(o), c.clone()));
                }
            }
            for (y, r) in matrix.destinations.iter().enumerate() {
                let c = matrix.to_external(w, y);
                if !c.is_empty() {
                    egress_peers.push((Endpoint::External(*r), c.clone()));
                }
            }
            let side = |d: Direction, peers: Vec<(Endpoint, ConnSet)>| {
                let policies: Vec<usize> = analysis
                    .selecting(d, w)
                    .iter()
                    .map(|&p| p as usize)
                    .collect();
                let rules = policies
                    .iter()
                    .flat_map(|&p| {
                        model.policies[p]
                            .rules(d)
                            .iter()
                            .map(move |r| open_rule(model, p, r, d))
                    })
                    .collect();
                Side {
                    protected: !policies.is_empty()
                        || !analysis.admin_selecting(w).is_empty()
                        || analysis.baseline_selects(w),
                    policies,
                    peers,
                    rules,
                }
            };
            let ingress = side(Direction::Ingress, ingress_peers);
            let egress = side(Direction::Egress, egress_peers);
            let mut flags = Vec::new();
            if !ingress.protected {
                flags.push(Flag::UnprotectedIngress);
            }
            if !egress.protected {
                flags.push(Flag::UnprotectedEgress);
            }
            if ingress
                .peers
                .iter()
                .any(|(e, _)| matches!(e, Endpoint::External(_)))
            {
                flags.push(Flag::IngressFromExternal);
            }
            if ingress.rules.iter().any(|r| r.whole_cluster) {
                flags.push(Flag::IngressFromAllNamespaces);
            }
            if egress.peers.iter().any(|(e, _)| match e {
                Endpoint::External(r) => metadata.iter().any(|a| r.contains(*a)),
                Endpoint::Workload(_) => false,
            }) {
                flags.push(Flag::EgressToMetadata);
            }
            Exposure {
                workload: w,
                ingress,
                egress,
                flags,
            }
        })
        .collect()
}

/// A rule in words.
pub fn open_rule(model: &Model<'_>, policy: usize, r: &Rule, d: Direction) -> OpenRule {
    let p = &model.policies[policy];
    let own = &model.namespaces[p.namespace].name;
    let mut whole_cluster = r.peers.is_empty();
    let peers = if r.peers.is_empty() {
        vec![match d {
            Direction::Ingress => "anyone (any pod, any address)".to_string(),
            Direction::Egress => "anywhere (any pod, any address)".to_string(),
        }]
    } else {
        r.peers
            .iter()
            .map(|peer| {
                if is_whole_cluster(peer) {
                    whole_cluster = true;
                }
                describe_peer(peer, own)
            })
            .collect()
    };
    OpenRule {
        policy,
        rule: r.index,
        peers,
        ports: describe_ports(&r.ports),
        whole_cluster,
    }
}

/// Does this peer name every pod of every namespace?
pub fn is_whole_cluster(peer: &Peer) -> bool {
    matches!(peer, Peer::Pods { namespaces: Some(ns), pods } if ns.is_empty() && pods.as_ref().is_none_or(|p| p.is_empty()))
}

/// A peer in words, relative to the policy's namespace `own`.
pub fn describe_peer(peer: &Peer, own: &str) -> String {
    match peer {
        Peer::Pods { namespaces, pods } => {
            let who = match pods {
                None => "any pod".to_string(),
                Some(s) if s.is_empty() => "any pod".to_string(),
                Some(s) => format!("pods {s}"),
            };
            let wher = match namespaces {
                None => format!("in namespace {own}"),
                Some(s) if s.is_empty() => "in any namespace".to_string(),
                Some(s) => format!("in namespaces {s}"),
            };
            format!("{who} {wher}")
        }
        Peer::IpBlock { cidr, except, .. } => {
            if except.is_empty() {
                cidr.to_string()
            } else {
                let ex: Vec<&str> = except.iter().map(|s| s.as_str()).collect();
                format!("{cidr} except {}", ex.join(", "))
            }
        }
    }
}

/// Ports in words: `all ports`, `TCP 80, UDP 53, TCP http`.
pub fn describe_ports(ports: &[PortSpec]) -> String {
    if ports.is_empty() {
        return "all ports".to_string();
    }
    let parts: Vec<String> = ports
        .iter()
        .map(|p| match p {
            PortSpec::All(proto) => format!("{proto} (all ports)"),
            PortSpec::Range(proto, s, e) if s == e => format!("{proto} {s}"),
            PortSpec::Range(proto, s, e) => format!("{proto} {s}-{e}"),
            PortSpec::Named(proto, name) => format!("{proto} {name}"),
        })
        .collect();
    parts.join(", ")
}
