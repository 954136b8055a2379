//! What the NetworkPolicy rules (KW308–KW317) share: the analysis of `kubeward_netpol`, run
//! once per scan on the kept objects (the snapshot's memo), its lint results in owned form, and
//! the visibility limits of a cluster scan.
//!
//! A scan keeps workloads, Services and Ingresses cut down to what the analysis reads
//! ([`Keep::Pods`]: labels, owners, container ports; a test checks the analysis is unchanged)
//! and NetworkPolicies, admin policies and Routes whole.

use crate::{Cx, Keep};
use kubeward_core::cluster::{self, NotVisible};
use kubeward_core::{Object, Snapshot};
use kubeward_netpol::lint::Check;
use kubeward_netpol::{Analysis, Model, error::describe, lint};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// What every NetworkPolicy rule keeps of a manifest scan.
pub(super) const RETAIN: &[(&str, Keep)] = &[
    ("NetworkPolicy", Keep::Whole),
    ("AdminNetworkPolicy", Keep::Whole),
    ("BaselineAdminNetworkPolicy", Keep::Whole),
    ("Route", Keep::Whole),
    ("CiliumNetworkPolicy", Keep::Metadata),
    ("Namespace", Keep::Metadata),
    ("Cluster", Keep::Whole),
    ("Pod", Keep::Pods),
    ("Deployment", Keep::Pods),
    ("StatefulSet", Keep::Pods),
    ("DaemonSet", Keep::Pods),
    ("ReplicaSet", Keep::Pods),
    ("ReplicationController", Keep::Pods),
    ("Job", Keep::Pods),
    ("CronJob", Keep::Pods),
    ("Service", Keep::Pods),
    ("Ingress", Keep::Pods),
];

/// One lint, by object index.
#[derive(Debug)]
struct Found {
    check: Check,
    object: usize,
    pointer: String,
    message: String,
}

/// The analysis of a snapshot: its lints, and the invalid input it left out.
#[derive(Debug, Default)]
pub(super) struct PolicyAnalysis {
    found: Vec<Found>,
    /// Invalid input (left out of the analysis): object index, pointer, message.
    errors: Vec<(Option<usize>, String, String)>,
    /// Workloads and policies analysed (what the rules evaluated).
    workloads: u64,
    policies: u64,
}

fn analysis(snapshot: &Snapshot) -> Arc<PolicyAnalysis> {
    snapshot
        .memo
        .get_or_init("kubeward-rules/netpol", || analyse(snapshot))
}

fn analyse(snapshot: &Snapshot) -> PolicyAnalysis {
    let objects = &snapshot.objects;
    let index: FxHashMap<*const Object, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o as *const Object, i))
        .collect();
    // Invalid objects are left out of the model and reported (KW317 for policies); the
    // checks still judge the rest, but not the objects that had an error.
    let (model, errors) = Model::build_lenient(objects.iter());
    let mut invalid: rustc_hash::FxHashSet<usize> = rustc_hash::FxHashSet::default();
    let errors: Vec<(Option<usize>, String, String)> = errors
        .0
        .into_iter()
        .map(|e| {
            let obj = objects
                .iter()
                .position(|o| describe(o) == e.object && o.source.file == e.location.file);
            invalid.extend(obj);
            (obj, e.pointer, e.message)
        })
        .collect();
    let a = Analysis::new(&model);
    let found = lint::all(&a)
        .into_iter()
        .filter_map(|l| {
            let object = *index.get(&(l.object as *const Object))?;
            (!invalid.contains(&object)).then_some(Found {
                check: l.check,
                object,
                pointer: l.pointer,
                message: l.message,
            })
        })
        .collect();
    PolicyAnalysis {
        found,
        errors,
        workloads: snapshot.workloads.len() as u64,
        policies: objects
            .iter()
            .filter(|o| o.builtin && o.kind == "NetworkPolicy")
            .count() as u64,
    }
}

/// Does a check claim that something is absent (so it needs the whole namespace visible)?
fn claims_absence(check: Check) -> bool {
    matches!(
        check,
        Check::NoDefaultDenyIngress
            | Check::NoDefaultDenyEgress
            | Check::WorkloadNotSelected
            | Check::PolicySelectsNoPod
            | Check::NamedPortUndefined
            | Check::NamespaceSelectorMatchesNothing
    )
}

/// Namespaces where absence cannot be claimed: a cluster scan could not list policies, pods
/// or namespaces there, or policies of another engine (Calico, Cilium) also apply.
struct Limits {
    unseen: Vec<NotVisible>,
    other_engines: Vec<String>,
}

impl Limits {
    fn of(snapshot: &Snapshot) -> Limits {
        let unseen = snapshot
            .objects
            .iter()
            .filter(|o| cluster::is_cluster(o))
            .flat_map(cluster::not_visible)
            .filter(|nv| {
                matches!(
                    nv.resource.as_str(),
                    "networkpolicies"
                        | "pods"
                        | "namespaces"
                        | "deployments"
                        | "statefulsets"
                        | "daemonsets"
                        | "replicasets"
                        | "jobs"
                        | "cronjobs"
                        | "services"
                )
            })
            .collect();
        let other_engines = snapshot
            .objects
            .iter()
            .filter(|o| {
                super::missing_network_policy::is_policy(o)
                    && !(o.kind == "NetworkPolicy" && o.builtin)
            })
            .map(|o| o.namespace.as_deref().unwrap_or("default").to_string())
            .collect();
        Limits {
            unseen,
            other_engines,
        }
    }

    fn judged(&self, ns: &str) -> bool {
        !self
            .unseen
            .iter()
            .any(|nv| nv.namespace.as_deref().is_none_or(|n| n == ns))
            && !self.other_engines.iter().any(|n| n == ns)
    }
}

/// Reports every lint of `check`.
pub(super) fn check(snapshot: &Snapshot, cx: &mut Cx<'_>, which: Check) {
    let a = analysis(snapshot);
    cx.evaluated(match which {
        Check::WorkloadNotSelected | Check::IngressFromInternetToNonEdge => a.workloads,
        _ => a.policies,
    });
    let limits = claims_absence(which).then(|| Limits::of(snapshot));
    // A namespace with no policy at all is KW305's: these rules judge namespaces that have some.
    let needs_policy = matches!(
        which,
        Check::NoDefaultDenyIngress | Check::NoDefaultDenyEgress | Check::WorkloadNotSelected
    );
    let with_policies: rustc_hash::FxHashSet<&str> = snapshot
        .objects
        .iter()
        .filter(|o| super::missing_network_policy::is_policy(o))
        .map(|o| o.namespace.as_deref().unwrap_or("default"))
        .collect();
    for f in a.found.iter().filter(|f| f.check == which) {
        let Some(object) = snapshot.objects.get(f.object) else {
            continue;
        };
        let ns = match object.kind.as_str() {
            "Namespace" => object.name.as_str(),
            _ => object.namespace.as_deref().unwrap_or("default"),
        };
        if limits.as_ref().is_some_and(|l| !l.judged(ns)) {
            continue;
        }
        if needs_policy && !with_policies.contains(ns) {
            continue;
        }
        if which == Check::NamespaceSelectorMatchesNothing && names_namespaces(object, &f.pointer) {
            continue;
        }
        let r = cx.report_at(object, &f.pointer, &f.message);
        if let Some(e) = evidence(object, &f.pointer) {
            r.evidence(e);
        }
    }
}

/// The field a finding points at, as written (compact flow style, at most 160 characters).
fn evidence(object: &Object, ptr: &str) -> Option<String> {
    if ptr.is_empty() {
        return None;
    }
    let node = kubeward_core::pointer::get(&object.root, ptr)?;
    let mut parts = ptr.rsplit('/');
    let last = parts.next().unwrap_or_default();
    let key = match last.parse::<usize>() {
        Ok(i) => format!("{}[{i}]", parts.next().unwrap_or_default()),
        Err(_) => last.to_string(),
    };
    let mut text = format!("{key}: {}", flow(node, 0));
    if text.chars().count() > 160 {
        text = text.chars().take(157).collect::<String>() + "...";
    }
    Some(text)
}

fn flow(node: &kubeward_core::Node, depth: usize) -> String {
    use kubeward_core::Value;
    match &node.value {
        _ if depth > 4 => "...".into(),
        Value::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| flow(i, depth + 1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", e.key, flow(&e.value, depth + 1)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => node.scalar_text().unwrap_or_else(|| "null".into()),
    }
}

/// Does the namespaceSelector at `ptr` only name namespaces (`kubernetes.io/metadata.name`)? A
/// namespace named outright is meant to exist; a manifest scan often lacks its Namespace object
/// (ingress controllers, monitoring), so no absence is claimed for it.
fn names_namespaces(object: &Object, ptr: &str) -> bool {
    let Some(sel) = kubeward_core::pointer::get(&object.root, ptr) else {
        return false;
    };
    let name = "kubernetes.io/metadata.name";
    let labels = sel
        .get("matchLabels")
        .map(|m| m.entries())
        .unwrap_or_default();
    let exprs = sel
        .get("matchExpressions")
        .map(|m| m.items())
        .unwrap_or_default();
    (!labels.is_empty() || !exprs.is_empty())
        && labels.iter().all(|e| e.key == name)
        && exprs
            .iter()
            .all(|x| x.get("key").and_then(kubeward_core::Node::as_str) == Some(name))
}

/// Reports the invalid policies (KW317): errors on NetworkPolicies and admin policies. Other
/// objects with an error (a workload without a pod spec) are only left out of the analysis.
pub(super) fn check_errors(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    let a = analysis(snapshot);
    cx.evaluated(a.policies);
    for (obj, pointer, message) in &a.errors {
        let Some(object) = obj.and_then(|i| snapshot.objects.get(i)) else {
            continue;
        };
        if !matches!(
            object.kind.as_str(),
            "NetworkPolicy" | "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy"
        ) {
            continue;
        }
        let r = cx.report_at(object, pointer, message);
        if let Some(e) = evidence(object, pointer) {
            r.evidence(e);
        }
    }
}
