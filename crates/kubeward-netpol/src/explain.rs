//! Why a connection is allowed or denied: for each direction, the policies that select the
//! subject pod and the rules that admit (or the admin rules that decide) the connection.

use crate::admin::{Action, AdminPolicy, AdminRule};
use crate::conn::{ConnSet, Protocol};
use crate::engine::{Analysis, Endpoint};
use crate::model::Direction;
use kubeward_core::Str;

/// A NetworkPolicy rule that admits the peer, with what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    /// Index in `Model::policies`.
    pub policy: usize,
    /// Index in the policy's `ingress` / `egress` list.
    pub rule: usize,
    pub conns: ConnSet,
}

/// An admin rule (ANP or BANP) that names the peer and decides part of the traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminHit {
    pub kind: &'static str,
    pub policy: Str,
    pub priority: Option<i64>,
    pub rule: usize,
    pub rule_name: Str,
    pub action: Action,
    /// What this rule decided (the part no earlier rule had decided).
    pub conns: ConnSet,
}

/// One direction of a connection, explained.
#[derive(Debug, Clone)]
pub struct Side {
    pub direction: Direction,
    /// The pod the direction's policies apply to (`None`: an external address, no policy).
    pub subject: Option<usize>,
    /// What this direction allows.
    pub conns: ConnSet,
    /// NetworkPolicies selecting the subject for this direction (indices in `Model::policies`).
    pub selecting: Vec<usize>,
    /// Their rules that admit the peer.
    pub rules: Vec<RuleHit>,
    /// AdminNetworkPolicy rules that named the peer, in evaluation order.
    pub admin: Vec<AdminHit>,
    /// BaselineAdminNetworkPolicy rules that named the peer (consulted only when no
    /// NetworkPolicy selects the subject).
    pub baseline: Vec<AdminHit>,
}

impl Side {
    /// Is the subject isolated for this direction by a NetworkPolicy?
    pub fn isolated(&self) -> bool {
        !self.selecting.is_empty()
    }
}

/// A connection question answered.
#[derive(Debug, Clone)]
pub struct Reach {
    pub src: Endpoint,
    pub dst: Endpoint,
    /// Every allowed (protocol, port).
    pub conns: ConnSet,
    pub egress: Side,
    pub ingress: Side,
}

impl Reach {
    /// Is this (protocol, port) allowed? Without a port: is anything?
    pub fn allows(&self, port: Option<(Protocol, u16)>) -> bool {
        match port {
            Some((p, n)) => self.conns.contains(p, n),
            None => !self.conns.is_empty(),
        }
    }
}

impl Analysis<'_, '_> {
    /// Explains the connections from `src` to `dst`.
    pub fn explain(&self, src: &Endpoint, dst: &Endpoint) -> Reach {
        let egress = match src {
            Endpoint::Workload(s) => self.explain_side(Direction::Egress, *s, dst, dst),
            Endpoint::External(_) => open_side(Direction::Egress),
        };
        let ingress = match dst {
            Endpoint::Workload(d) => self.explain_side(Direction::Ingress, *d, src, dst),
            Endpoint::External(_) => open_side(Direction::Ingress),
        };
        Reach {
            src: *src,
            dst: *dst,
            conns: self.allowed(src, dst),
            egress,
            ingress,
        }
    }

    fn explain_side(&self, d: Direction, subject: usize, peer: &Endpoint, dst: &Endpoint) -> Side {
        let model = self.model;
        let selecting: Vec<usize> = self
            .selecting(d, subject)
            .iter()
            .map(|&p| p as usize)
            .collect();
        let mut rules = Vec::new();
        for &pi in &selecting {
            let p = &model.policies[pi];
            for r in p.rules(d) {
                if self.rule_matches(p.namespace, r, peer) {
                    let conns = self.rule_conns(r, dst);
                    rules.push(RuleHit {
                        policy: pi,
                        rule: r.index,
                        conns,
                    });
                }
            }
        }
        let mut undecided = ConnSet::all();
        let mut admin = Vec::new();
        for &ai in self.admin_selecting(subject) {
            let a = &model.admin[ai as usize];
            for r in rules_of(a, d) {
                let m = self.admin_rule_conns(r, peer, dst).intersect(&undecided);
                if !m.is_empty() {
                    undecided = undecided.subtract(&m);
                    admin.push(hit(a, r, m));
                }
            }
        }
        let mut baseline = Vec::new();
        if selecting.is_empty()
            && self.baseline_selects(subject)
            && let Some(b) = &model.baseline
        {
            let mut left = ConnSet::all();
            for r in rules_of(b, d) {
                let m = self.admin_rule_conns(r, peer, dst).intersect(&left);
                if !m.is_empty() {
                    left = left.subtract(&m);
                    baseline.push(hit(b, r, m));
                }
            }
        }
        Side {
            direction: d,
            subject: Some(subject),
            conns: self.direction(d, subject, peer, dst),
            selecting,
            rules,
            admin,
            baseline,
        }
    }
}

fn open_side(d: Direction) -> Side {
    Side {
        direction: d,
        subject: None,
        conns: ConnSet::all(),
        selecting: Vec::new(),
        rules: Vec::new(),
        admin: Vec::new(),
        baseline: Vec::new(),
    }
}

fn rules_of<'p>(a: &'p AdminPolicy<'_>, d: Direction) -> &'p [AdminRule] {
    match d {
        Direction::Ingress => &a.ingress,
        Direction::Egress => &a.egress,
    }
}

fn hit(a: &AdminPolicy<'_>, r: &AdminRule, conns: ConnSet) -> AdminHit {
    AdminHit {
        kind: a.kind(),
        policy: a.name.clone(),
        priority: a.priority,
        rule: r.index,
        rule_name: r.name.clone(),
        action: r.action,
        conns,
    }
}

/// Parses `5432/TCP`, `53/udp` or `8080` (TCP).
pub fn parse_port(s: &str) -> Result<(Protocol, u16), String> {
    let (num, proto) = match s.split_once('/') {
        Some((n, p)) => (n, p.to_ascii_uppercase()),
        None => (s, "TCP".to_string()),
    };
    let port: u16 = num
        .parse()
        .ok()
        .filter(|&p| p >= 1)
        .ok_or_else(|| format!("`{s}`: expected a port number 1-65535, e.g. 5432/TCP"))?;
    let proto = Protocol::parse(&proto)
        .ok_or_else(|| format!("`{s}`: unknown protocol `{proto}` (TCP, UDP or SCTP)"))?;
    Ok((proto, port))
}
