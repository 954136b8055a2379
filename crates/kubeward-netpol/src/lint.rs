//! Policy checks for the KW3xx rules of `kubeward scan`. Each function returns the offending
//! object, the JSON pointer of the offending field and a message; the rules crate wires them
//! as rules (severity, documentation, framework mappings).
//!
//! Only what the input shows is judged: a namespace, pod or Service that exists in the cluster
//! but not in the input cannot be seen (the rules decide whether to run on partial inputs).

use crate::conn::{ConnSet, Protocol};
use crate::engine::{Analysis, Endpoint};
use crate::exposure::{METADATA_ADDRESSES, describe_peer, is_whole_cluster};
use crate::ip::IpRange;
use crate::model::{Direction, Model, Peer, PortSpec, Rule, escape};
use crate::selector::{Op, Selector};
use kubeward_core::Object;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// Which check produced a lint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// A NetworkPolicy whose podSelector matches no workload of its namespace.
    PolicySelectsNoPod,
    /// A workload no NetworkPolicy (nor admin policy) selects.
    WorkloadNotSelected,
    /// A namespace with workloads and no default-deny ingress policy.
    NoDefaultDenyIngress,
    /// A namespace with workloads and no default-deny egress policy.
    NoDefaultDenyEgress,
    /// An ingress rule allowing every port from every pod of every namespace (or from anyone).
    AllowAllFromAllNamespaces,
    /// An egress rule that allows the cloud metadata address (169.254.169.254).
    EgressToMetadata,
    /// An ingress rule admitting the whole internet (`0.0.0.0/0`, `::/0`, or no `from`) to
    /// workloads that nothing exposes outside the cluster.
    IngressFromInternetToNonEdge,
    /// A named port no container of the pods it resolves on defines.
    NamedPortUndefined,
    /// A namespaceSelector matching no namespace of the input.
    NamespaceSelectorMatchesNothing,
}

/// One finding of a check.
#[derive(Debug, Clone)]
pub struct Lint<'a> {
    pub check: Check,
    pub object: &'a Object,
    /// JSON pointer of the offending field in `object`.
    pub pointer: String,
    pub message: String,
}

fn rule_ptr(d: Direction, r: &Rule) -> String {
    format!("/spec/{}/{}", d.field(), r.index)
}

/// The position of each peer / port in its list (the model drops invalid ones, so indices are
/// those of the source when the input is valid, which `Model::build` guarantees).
fn peer_ptr(d: Direction, r: &Rule, j: usize) -> String {
    format!("{}/{}/{j}", rule_ptr(d, r), d.peers_field())
}

fn nice_rule(d: Direction, r: &Rule) -> String {
    format!("{} rule #{}", d.field(), r.index + 1)
}

/// Policies whose podSelector matches no workload of their namespace.
pub fn policy_selects_no_pod<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let by_ns = workloads_by_namespace(a);
    let mut out = Vec::new();
    for p in &m.policies {
        let any = by_ns[p.namespace]
            .iter()
            .any(|&w| p.pod_selector.matches(&m.workloads[w].labels));
        if !any {
            out.push(Lint {
                check: Check::PolicySelectsNoPod,
                object: p.object,
                pointer: "/spec/podSelector".into(),
                message: format!(
                    "podSelector `{}` matches no workload of namespace `{}`: the policy has no effect",
                    p.pod_selector, m.namespaces[p.namespace].name
                ),
            });
        }
    }
    out
}

/// The workloads of each namespace, ascending.
fn workloads_by_namespace(a: &Analysis<'_, '_>) -> Vec<Vec<usize>> {
    let m = a.model;
    let mut out = vec![Vec::new(); m.namespaces.len()];
    for (wi, w) in m.workloads.iter().enumerate() {
        if let Some(v) = out.get_mut(w.namespace) {
            v.push(wi);
        }
    }
    out
}

/// Workloads that no NetworkPolicy selects (for either direction) and no admin policy has as
/// its subject.
pub fn workload_not_selected<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let mut out = Vec::new();
    for (i, w) in m.workloads.iter().enumerate() {
        let selected = !a.selecting(Direction::Ingress, i).is_empty()
            || !a.selecting(Direction::Egress, i).is_empty()
            || !a.admin_selecting(i).is_empty()
            || a.baseline_selects(i);
        if selected {
            continue;
        }
        let pointer = if w.labels.is_empty() {
            w.meta_ptr.to_string()
        } else {
            format!("{}/labels", w.meta_ptr)
        };
        out.push(Lint {
            check: Check::WorkloadNotSelected,
            object: w.object,
            pointer,
            message: format!(
                "no NetworkPolicy selects {}: it accepts connections from every pod and address, and may connect anywhere",
                m.workload_name(i)
            ),
        });
    }
    out
}

/// Namespaces with workloads but no default-deny policy (`podSelector: {}`, the direction in
/// its policyTypes, no rules) for ingress, and for egress, where some workload is not isolated
/// for that direction (when policies select every workload, a default deny changes nothing
/// today). The finding is on the Namespace when it is in the input, else on the first
/// workload's `metadata.namespace`.
pub fn namespace_without_default_deny<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let by_ns = workloads_by_namespace(a);
    let mut policies_by_ns: Vec<Vec<usize>> = vec![Vec::new(); m.namespaces.len()];
    for (pi, p) in m.policies.iter().enumerate() {
        if let Some(v) = policies_by_ns.get_mut(p.namespace) {
            v.push(pi);
        }
    }
    let mut out = Vec::new();
    for (nsi, ns) in m.namespaces.iter().enumerate() {
        let Some(first) = by_ns[nsi].first().map(|&w| &m.workloads[w]) else {
            continue;
        };
        for (d, check) in [
            (Direction::Ingress, Check::NoDefaultDenyIngress),
            (Direction::Egress, Check::NoDefaultDenyEgress),
        ] {
            let has = policies_by_ns[nsi].iter().any(|&pi| {
                let p = &m.policies[pi];
                p.pod_selector.is_empty() && p.affects(d) && p.rules(d).is_empty()
            });
            // Every workload already isolated for the direction (policies select them all):
            // a default deny would change nothing today.
            let all_isolated = by_ns[nsi].iter().all(|&wi| !a.selecting(d, wi).is_empty());
            if has || all_isolated {
                continue;
            }
            let (object, pointer) = match ns.object {
                Some(o) => (o, String::new()),
                None => (first.object, "/metadata/namespace".to_string()),
            };
            out.push(Lint {
                check,
                object,
                pointer,
                message: format!(
                    "namespace `{}` has no default-deny {} policy (podSelector: {{}}, policyTypes: [{}], no rules): {} not allowed explicitly is allowed",
                    ns.name,
                    d.field(),
                    d.as_str(),
                    match d {
                        Direction::Ingress => "any connection to its pods",
                        Direction::Egress => "any connection from its pods",
                    }
                ),
            });
        }
    }
    out
}

/// Ingress rules that allow every port from every pod of every namespace: a peer with
/// `namespaceSelector: {}` and no (or an empty) podSelector, or no `from` at all (everyone,
/// addresses included).
pub fn allow_all_from_all_namespaces<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let mut out = Vec::new();
    for p in m.policies.iter().filter(|p| p.affects_ingress) {
        for r in p.ingress.iter().filter(|r| r.ports.is_empty()) {
            if r.peers.is_empty() {
                out.push(Lint {
                    check: Check::AllowAllFromAllNamespaces,
                    object: p.object,
                    pointer: rule_ptr(Direction::Ingress, r),
                    message: format!(
                        "{} has no `from`: it allows every port from every pod of every namespace and from every address",
                        nice_rule(Direction::Ingress, r)
                    ),
                });
                continue;
            }
            for (j, peer) in r.peers.iter().enumerate() {
                if is_whole_cluster(peer) {
                    out.push(Lint {
                        check: Check::AllowAllFromAllNamespaces,
                        object: p.object,
                        pointer: peer_ptr(Direction::Ingress, r, j),
                        message: format!(
                            "{} allows every port from any pod in any namespace (namespaceSelector: {{}})",
                            nice_rule(Direction::Ingress, r)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// The connections a rule allows towards an address (named ports never resolve there).
fn conns_to_address(a: &Analysis<'_, '_>, r: &Rule, addr: IpAddr) -> ConnSet {
    let v = match addr {
        IpAddr::V4(x) => u128::from(u32::from(x)),
        IpAddr::V6(x) => u128::from(x),
    };
    let range = IpRange {
        family: match addr {
            IpAddr::V4(_) => crate::ip::Family::V4,
            IpAddr::V6(_) => crate::ip::Family::V6,
        },
        start: v,
        end: v,
    };
    a.rule_conns(r, &Endpoint::External(range))
}

/// Egress rules that allow the cloud metadata address (169.254.169.254, fd00:ec2::254) on
/// TCP 80: no `to` at all, or an ipBlock that contains it (e.g. `0.0.0.0/0` without it in
/// `except`).
pub fn egress_to_metadata<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let addrs: Vec<IpAddr> = METADATA_ADDRESSES
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut out = Vec::new();
    for p in m.policies.iter().filter(|p| p.affects_egress) {
        for r in &p.egress {
            for &addr in &addrs {
                if !conns_to_address(a, r, addr).contains(Protocol::Tcp, 80) {
                    continue;
                }
                let hit = if r.peers.is_empty() {
                    Some((
                        rule_ptr(Direction::Egress, r),
                        "has no `to`: it allows every address".to_string(),
                    ))
                } else {
                    r.peers.iter().enumerate().find_map(|(j, peer)| match peer {
                        Peer::IpBlock { set, .. } if set.contains(addr) => Some((
                            format!("{}/ipBlock/cidr", peer_ptr(Direction::Egress, r, j)),
                            format!("allows {}", describe_peer(peer, "")),
                        )),
                        _ => None,
                    })
                };
                if let Some((pointer, what)) = hit {
                    out.push(Lint {
                        check: Check::EgressToMetadata,
                        object: p.object,
                        pointer,
                        message: format!(
                            "{} {what}, which includes the cloud metadata address {addr}: pods can fetch the node's cloud credentials (add {addr}/{} to `except`)",
                            nice_rule(Direction::Egress, r),
                            if addr.is_ipv4() { 32 } else { 128 }
                        ),
                    });
                    break;
                }
            }
        }
    }
    out
}

/// Ingress rules admitting the whole internet (an ipBlock of a whole address family, or no
/// `from`) to workloads that nothing exposes outside the cluster (no LoadBalancer or NodePort
/// Service, no Service with externalIPs, no Ingress or Route selects them).
pub fn ingress_from_internet_to_non_edge<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let selected_by = a.selected_by(Direction::Ingress);
    let mut out = Vec::new();
    for (pi, p) in m
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.affects_ingress)
    {
        let targets: Vec<usize> = selected_by[pi]
            .iter()
            .copied()
            .filter(|&w| !m.workloads[w].edge)
            .collect();
        if targets.is_empty() {
            continue;
        }
        let names: Vec<String> = targets.iter().map(|&w| m.workload_name(w)).collect();
        for r in &p.ingress {
            let hit = if r.peers.is_empty() {
                Some((
                    rule_ptr(Direction::Ingress, r),
                    "has no `from`: it admits every address".to_string(),
                ))
            } else {
                r.peers.iter().enumerate().find_map(|(j, peer)| match peer {
                    Peer::IpBlock { cidr, .. } if cidr.ends_with("/0") => Some((
                        format!("{}/ipBlock/cidr", peer_ptr(Direction::Ingress, r, j)),
                        format!("admits {}", describe_peer(peer, "")),
                    )),
                    _ => None,
                })
            };
            if let Some((pointer, what)) = hit {
                out.push(Lint {
                    check: Check::IngressFromInternetToNonEdge,
                    object: p.object,
                    pointer,
                    message: format!(
                        "{} {what} (the internet) to {}, which no LoadBalancer or NodePort Service, Ingress or Route exposes",
                        nice_rule(Direction::Ingress, r),
                        names.join(", ")
                    ),
                });
            }
        }
    }
    out
}

/// Named ports that no container of the pods they resolve on defines: for an ingress rule, the
/// pods the policy selects; for an egress rule, the pods its peers name (every pod without
/// `to`). A rule whose pods are all missing from the input is not judged.
pub fn named_port_undefined<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    let selected_by = a.selected_by(Direction::Ingress);
    let mut out = Vec::new();
    for (pi, p) in m.policies.iter().enumerate() {
        for d in [Direction::Ingress, Direction::Egress] {
            if !p.affects(d) {
                continue;
            }
            for r in p.rules(d) {
                // Only rules with a named port are judged: find their pods only then.
                if !r
                    .ports
                    .iter()
                    .any(|port| matches!(port, PortSpec::Named(..)))
                {
                    continue;
                }
                let pods: Vec<usize> = match d {
                    Direction::Ingress => selected_by[pi].clone(),
                    Direction::Egress => (0..m.workloads.len())
                        .filter(|&w| a.rule_matches(p.namespace, r, &Endpoint::Workload(w)))
                        .collect(),
                };
                if pods.is_empty() {
                    continue;
                }
                for (k, port) in r.ports.iter().enumerate() {
                    let PortSpec::Named(proto, name) = port else {
                        continue;
                    };
                    let defined = pods.iter().any(|&w| {
                        m.workloads[w].ports.iter().any(|c| {
                            c.name.as_deref() == Some(name.as_str()) && c.protocol == *proto
                        })
                    });
                    if defined {
                        continue;
                    }
                    let shown: Vec<String> =
                        pods.iter().take(5).map(|&w| m.workload_name(w)).collect();
                    let more = if pods.len() > 5 {
                        format!(" and {} more", pods.len() - 5)
                    } else {
                        String::new()
                    };
                    out.push(Lint {
                        check: Check::NamedPortUndefined,
                        object: p.object,
                        pointer: format!("{}/ports/{k}/port", rule_ptr(d, r)),
                        message: format!(
                            "named port `{name}` ({proto}) is defined by no container of {}{more}: {} allows nothing on it",
                            shown.join(", "),
                            nice_rule(d, r)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// Non-empty namespaceSelectors that match no namespace of the input (namespaces referenced
/// without a Namespace object count, with their `kubernetes.io/metadata.name` label).
pub fn namespace_selector_matches_nothing<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let m = a.model;
    // Testing every peer's selector against every namespace was quadratic on large inputs:
    // an `In` requirement (matchLabels included) names the only values a matching namespace
    // can have, so only the namespaces with one of them are tested; and each distinct
    // selector is judged once.
    let mut by_pair: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
    for (i, ns) in m.namespaces.iter().enumerate() {
        for (k, v) in ns.labels.iter() {
            by_pair.entry((k, v)).or_default().push(i);
        }
    }
    let matches_some = |sel: &Selector| {
        let narrow = sel.requirements.iter().find_map(|r| match &r.op {
            Op::In(values) => Some((r.key.as_str(), values)),
            _ => None,
        });
        match narrow {
            Some((key, values)) => values
                .iter()
                .filter_map(|v| by_pair.get(&(key, v.as_str())))
                .flatten()
                .any(|&i| sel.matches(&m.namespaces[i].labels)),
            None => m.namespaces.iter().any(|ns| sel.matches(&ns.labels)),
        }
    };
    let mut judged: FxHashMap<&Selector, bool> = FxHashMap::default();
    let mut out = Vec::new();
    for p in &m.policies {
        for d in [Direction::Ingress, Direction::Egress] {
            for r in p.rules(d) {
                for (j, peer) in r.peers.iter().enumerate() {
                    let Peer::Pods {
                        namespaces: Some(sel),
                        ..
                    } = peer
                    else {
                        continue;
                    };
                    if sel.is_empty() || *judged.entry(sel).or_insert_with(|| matches_some(sel)) {
                        continue;
                    }
                    out.push(Lint {
                        check: Check::NamespaceSelectorMatchesNothing,
                        object: p.object,
                        pointer: format!("{}/namespaceSelector", peer_ptr(d, r, j)),
                        message: format!(
                            "namespaceSelector `{sel}` matches no namespace of the input ({}): {} admits nobody through it",
                            namespace_list(m),
                            nice_rule(d, r)
                        ),
                    });
                }
            }
        }
    }
    out
}

fn namespace_list(m: &Model<'_>) -> String {
    let names: Vec<&str> = m
        .namespaces
        .iter()
        .take(8)
        .map(|n| n.name.as_str())
        .collect();
    let more = m.namespaces.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Every check.
pub fn all<'a>(a: &Analysis<'_, 'a>) -> Vec<Lint<'a>> {
    let mut out = policy_selects_no_pod(a);
    out.extend(workload_not_selected(a));
    out.extend(namespace_without_default_deny(a));
    out.extend(allow_all_from_all_namespaces(a));
    out.extend(egress_to_metadata(a));
    out.extend(ingress_from_internet_to_non_edge(a));
    out.extend(named_port_undefined(a));
    out.extend(namespace_selector_matches_nothing(a));
    out
}

/// Escapes a label key for a pointer (re-exported for the rules).
pub fn pointer_key(key: &str) -> String {
    escape(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    fn objects(yaml: &str) -> Vec<Object> {
        let mut loaded = kubeward_load::Loaded::default();
        kubeward_load::load_bytes(
            "t.yaml".into(),
            yaml.as_bytes(),
            false,
            &Default::default(),
            &mut loaded,
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.objects
    }

    /// Runs one check; returns (check, object name, pointer, line of the pointed field, message).
    fn run(
        yaml: &str,
        f: for<'m, 'a> fn(&'m Analysis<'m, 'a>) -> Vec<Lint<'a>>,
    ) -> Vec<(Check, String, String, u32, String)> {
        let o = objects(yaml);
        let m = Model::build(&o).unwrap();
        let a = Analysis::new(&m);
        f(&a)
            .into_iter()
            .map(|l| {
                let line = l.object.locate(&l.pointer).line;
                (
                    l.check,
                    l.object.name.to_string(),
                    l.pointer,
                    line,
                    l.message,
                )
            })
            .collect()
    }

    const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: i
        ports: [{name: http, containerPort: 8080}]
";

    fn policy(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n{spec}\n"
        )
    }

    #[test]
    fn policy_selecting_no_pod() {
        let y = format!(
            "{WEB}{}{}",
            policy("typo", "  podSelector: {matchLabels: {app: wbe}}"),
            policy("ok", "  podSelector: {matchLabels: {app: web}}")
        );
        let l = run(&y, policy_selects_no_pod);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].0, l[0].1.as_str(), l[0].2.as_str(), l[0].3),
            (Check::PolicySelectsNoPod, "typo", "/spec/podSelector", 18)
        );
        assert!(l[0].4.contains("app=wbe"), "{}", l[0].4);
    }

    #[test]
    fn workload_selected_by_no_policy() {
        let other = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: lone, namespace: shop, labels: {app: lone}}\nspec: {containers: [{name: c, image: i}]}\n";
        let y = format!(
            "{WEB}{other}{}",
            policy("p", "  podSelector: {matchLabels: {app: web}}")
        );
        let l = run(&y, workload_not_selected);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].1.as_str(), l[0].2.as_str(), l[0].3),
            ("lone", "/metadata/labels", 16)
        );
        assert!(l[0].4.contains("shop/lone[Pod]"));
    }

    #[test]
    fn namespace_without_default_deny_per_direction() {
        let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
        let y = format!(
            "{WEB}{ns}{}",
            policy("deny-in", "  podSelector: {}\n  policyTypes: [Ingress]")
        );
        let l = run(&y, namespace_without_default_deny);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].0, l[0].1.as_str(), l[0].2.as_str(), l[0].3),
            (Check::NoDefaultDenyEgress, "shop", "", 14)
        );
        // A policy that selects every workload isolates them all: a default deny would change
        // nothing, so nothing is reported.
        let y = format!(
            "{WEB}{}",
            policy(
                "allow",
                "  podSelector: {}\n  ingress: [{}]\n  egress: [{}]"
            )
        );
        assert!(run(&y, namespace_without_default_deny).is_empty());
        // A policy that selects another app leaves web open; without a Namespace object the
        // finding is on the first workload's namespace field.
        let y = format!(
            "{WEB}{}",
            policy(
                "other",
                "  podSelector: {matchLabels: {app: other}}\n  ingress: [{}]\n  egress: [{}]"
            )
        );
        let l = run(&y, namespace_without_default_deny);
        assert_eq!(l.len(), 2, "{l:?}");
        assert!(
            l.iter()
                .all(|x| x.1 == "web" && x.2 == "/metadata/namespace" && x.3 == 3)
        );
        let y = format!(
            "{WEB}{}",
            policy(
                "deny",
                "  podSelector: {}\n  policyTypes: [Ingress, Egress]"
            )
        );
        assert!(run(&y, namespace_without_default_deny).is_empty());
    }

    #[test]
    fn allow_all_ingress_from_every_namespace() {
        let spec = "  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {}
  - from:
    - namespaceSelector: {}
      podSelector: {matchLabels: {app: x}}
  - from:
    - namespaceSelector: {}
    ports: [{port: 443}]
  - {}";
        let y = format!("{WEB}{}", policy("p", spec));
        let l = run(&y, allow_all_from_all_namespaces);
        let got: Vec<(&str, u32)> = l.iter().map(|x| (x.2.as_str(), x.3)).collect();
        assert_eq!(
            got,
            [("/spec/ingress/0/from/0", 21), ("/spec/ingress/3", 28)]
        );
    }

    #[test]
    fn egress_that_includes_the_metadata_address() {
        let spec = "  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 0.0.0.0/0}
  - to:
    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}
  - to:
    - ipBlock: {cidr: 169.254.0.0/16}
    ports: [{port: 443}]
  - ports: [{port: 80}]";
        let y = format!("{WEB}{}", policy("p", spec));
        let l = run(&y, egress_to_metadata);
        let got: Vec<(&str, u32)> = l.iter().map(|x| (x.2.as_str(), x.3)).collect();
        assert_eq!(
            got,
            [
                ("/spec/egress/0/to/0/ipBlock/cidr", 21),
                ("/spec/egress/3", 27)
            ]
        );
        assert!(l[0].4.contains("169.254.169.254"), "{}", l[0].4);
    }

    #[test]
    fn internet_ingress_to_workloads_nothing_exposes() {
        let spec = "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}";
        let y = format!("{WEB}{}", policy("p", spec));
        let l = run(&y, ingress_from_internet_to_non_edge);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].2.as_str(), l[0].3),
            ("/spec/ingress/0/from/0/ipBlock/cidr", 21)
        );
        // A LoadBalancer Service selecting web makes it an edge workload.
        let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports: [{port: 80}]\n";
        assert!(run(&format!("{y}{svc}"), ingress_from_internet_to_non_edge).is_empty());
        // So does an Ingress in front of a ClusterIP Service.
        let ing = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: web, port: {number: 80}}}\n";
        assert!(run(&format!("{y}{ing}"), ingress_from_internet_to_non_edge).is_empty());
    }

    #[test]
    fn named_ports_no_container_defines() {
        let db = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\nspec: {containers: [{name: c, image: i, ports: [{name: pg, containerPort: 5432}]}]}\n";
        let spec = "  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: http}, {port: htp}, {port: http, protocol: UDP}]
  egress:
  - to:
    - podSelector: {matchLabels: {app: db}}
    ports: [{port: pg}, {port: postgres}]";
        let y = format!("{WEB}{db}{}", policy("p", spec));
        let l = run(&y, named_port_undefined);
        let got: Vec<&str> = l.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(
            got,
            [
                "/spec/ingress/0/ports/1/port",
                "/spec/ingress/0/ports/2/port",
                "/spec/egress/0/ports/1/port"
            ]
        );
        assert!(
            l[0].4.contains("`htp`") && l[0].4.contains("shop/web[Deployment]"),
            "{}",
            l[0].4
        );
        assert!(l[2].4.contains("shop/db[Pod]"), "{}", l[2].4);
    }

    #[test]
    fn namespace_selectors_matching_no_namespace() {
        let spec = "  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: ghost}}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
    - namespaceSelector: {}";
        let y = format!("{WEB}{}", policy("p", spec));
        let l = run(&y, namespace_selector_matches_nothing);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(
            (l[0].2.as_str(), l[0].3),
            ("/spec/ingress/0/from/0/namespaceSelector", 21)
        );
        assert!(
            l[0].4.contains("team=ghost") && l[0].4.contains("(shop)"),
            "{}",
            l[0].4
        );
    }

    #[test]
    fn namespace_selectors_are_judged_by_every_requirement_and_every_value() {
        // Namespaces: shop (no labels but its name), ops {team: ops, env: prod},
        // dev {team: ops, env: dev}.
        let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops, env: prod}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev, labels: {team: ops, env: dev}}\n";
        let spec = "  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [qa, dev]}]}
    - namespaceSelector: {matchLabels: {team: ops}, matchExpressions: [{key: env, operator: NotIn, values: [prod, dev]}]}
    - namespaceSelector: {matchExpressions: [{key: env, operator: Exists}]}
    - namespaceSelector: {matchExpressions: [{key: tier, operator: Exists}]}
    - namespaceSelector: {matchLabels: {team: ops, env: prod}}
    - namespaceSelector: {matchLabels: {team: ops, env: qa}}
    - namespaceSelector: {matchLabels: {team: ops, env: qa}}";
        let y = format!("{WEB}{ns}{}", policy("p", spec));
        let l = run(&y, namespace_selector_matches_nothing);
        let at: Vec<&str> = l.iter().map(|x| x.2.as_str()).collect();
        // Matched: a later value of an `In` (dev), `Exists`, both labels of ops. Not matched:
        // a NotIn that excludes every candidate of the In, a missing key, a value no namespace
        // has (reported at both peers that repeat it).
        assert_eq!(
            at,
            [
                "/spec/ingress/0/from/1/namespaceSelector",
                "/spec/ingress/0/from/3/namespaceSelector",
                "/spec/ingress/0/from/5/namespaceSelector",
                "/spec/ingress/0/from/6/namespaceSelector"
            ]
        );
    }

    #[test]
    fn all_runs_every_check() {
        let y = format!(
            "{WEB}{}",
            policy("typo", "  podSelector: {matchLabels: {app: wbe}}")
        );
        let o = objects(&y);
        let m = Model::build(&o).unwrap();
        let a = Analysis::new(&m);
        let checks: std::collections::BTreeSet<Check> = all(&a).iter().map(|l| l.check).collect();
        assert_eq!(
            checks.into_iter().collect::<Vec<_>>(),
            [
                Check::PolicySelectsNoPod,
                Check::WorkloadNotSelected,
                Check::NoDefaultDenyIngress,
                Check::NoDefaultDenyEgress
            ]
        );
    }
}
