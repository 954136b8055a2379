//! What the attack-path rules share: the attack graph of the snapshot and its critical paths,
//! computed once per scan (the snapshot's memo), and the way a path becomes a finding.
//!
//! The graph is `kubeward_rbac::graph` (the one `kubeward paths` prints), built on the RBAC
//! evaluator of the RBAC rules' analysis. A scan keeps, of each workload, Service, Ingress,
//! ServiceAccount and Secret, only what the graph reads ([`Keep::Graph`]); a test checks that
//! the paths are the same as with the whole objects.

use crate::rules::rbac::common::analysis;
use crate::{Cx, Keep};
use kubeward_core::{Snapshot, Str};
use kubeward_rbac::graph::{EvidenceItem, Graph, Path, TargetClass, VertexKind};
use std::fmt::Write as _;
use std::sync::Arc;

/// What every attack-path rule keeps of a manifest scan.
pub(super) const RETAIN: &[(&str, Keep)] = &[
    ("Role", Keep::Rbac),
    ("ClusterRole", Keep::Rbac),
    ("RoleBinding", Keep::Rbac),
    ("ClusterRoleBinding", Keep::Rbac),
    ("Namespace", Keep::Metadata),
    ("Pod", Keep::Graph),
    ("Deployment", Keep::Graph),
    ("StatefulSet", Keep::Graph),
    ("DaemonSet", Keep::Graph),
    ("ReplicaSet", Keep::Graph),
    ("ReplicationController", Keep::Graph),
    ("Job", Keep::Graph),
    ("CronJob", Keep::Graph),
    ("Service", Keep::Graph),
    ("Ingress", Keep::Graph),
    ("ServiceAccount", Keep::Graph),
    ("Secret", Keep::Graph),
];

/// The critical paths of a snapshot.
#[derive(Debug)]
pub(super) struct PathAnalysis {
    paths: Vec<Path>,
    /// Entry points: what each rule evaluated (compliance counts them).
    entries: u64,
}

const MEMO: &str = "kubeward-rules/paths";

/// Marks the snapshot's paths as not computed (a scan past its limit): the rules report nothing.
pub(crate) fn skip(snapshot: &Snapshot) {
    snapshot.memo.get_or_init(MEMO, || PathAnalysis {
        paths: Vec::new(),
        entries: 0,
    });
}

/// The paths of `snapshot`, computed once for the three rules.
fn paths(snapshot: &Snapshot) -> Arc<PathAnalysis> {
    snapshot.memo.get_or_init(MEMO, || {
        let rbac = analysis(snapshot);
        let namespaces: Vec<Str> = snapshot.namespaces.iter().cloned().collect();
        let graph = Graph::build_in(&snapshot.objects, &rbac.rbac, namespaces);
        PathAnalysis {
            paths: graph.critical_paths(),
            entries: graph.entries().count() as u64,
        }
    })
}

/// Reports every path to a target of `class`: on the entry's object (at the first field of it
/// the path rests on), or for an identity entry (anonymous, every authenticated user) on the
/// binding that first grants it something.
pub(super) fn check(snapshot: &Snapshot, cx: &mut Cx<'_>, class: TargetClass) {
    let analysis = paths(snapshot);
    let rbac = self::analysis(snapshot);
    cx.evaluated(analysis.entries);
    for p in analysis
        .paths
        .iter()
        .filter(|p| p.target_class == Some(class))
    {
        let message = message(p);
        let evidence = evidence(p);
        if let Some(object) = p.entry.object_index.and_then(|i| snapshot.objects.get(i)) {
            let ptr = first_field(p).unwrap_or_default();
            cx.report_at(object, ptr, message)
                .severity(p.severity)
                .evidence(evidence);
            continue;
        }
        // An identity entry: the first binding on the path says who granted it.
        let Some((binding, subject)) = p.hops.iter().find_map(|h| {
            let b = rbac.rbac.bindings.get(h.to.0.binding_index?)?;
            let subject = h.evidence.iter().find_map(|e| match e {
                EvidenceItem::Binding { subject, .. } => Some(subject.as_str()),
                _ => None,
            });
            Some((b, subject))
        }) else {
            continue;
        };
        let Some(oref) = &binding.source else {
            continue; // Kubernetes' own binding: not the input's doing
        };
        let entry = subject.and_then(|s| {
            binding
                .subject_entries
                .iter()
                .find(|e| s.ends_with(e.name.as_str()))
        });
        let (pos, ptr) = match entry {
            Some(e) => (e.pos, format!("/subjects/{}", e.index)),
            None => (binding.role_ref_pos, "/subjects".to_string()),
        };
        cx.report_located(oref, pos, ptr, message)
            .severity(p.severity)
            .evidence(evidence);
    }
}

/// The JSON pointer of the first field of the entry's own object that the path rests on.
fn first_field(p: &Path) -> Option<String> {
    let object = p.entry.object.as_deref()?;
    p.hops
        .iter()
        .flat_map(|h| h.evidence.iter())
        .find_map(|e| match e {
            EvidenceItem::Field {
                object: o, pointer, ..
            } if &**o == object => Some(pointer.clone()),
            _ => None,
        })
}

/// `<entry>, <exposure>, reaches <target> in N steps: TECHNIQUE -> vertex, ...`.
fn message(p: &Path) -> String {
    let exposure = match p.exposure {
        kubeward_rbac::graph::Exposure::Internet => "exposed outside the cluster",
        kubeward_rbac::graph::Exposure::Anonymous => "anyone who reaches the API server",
        kubeward_rbac::graph::Exposure::Authenticated => "any authenticated user",
        kubeward_rbac::graph::Exposure::Pod => "if one of its containers is compromised",
    };
    let target = match p.target_class {
        Some(TargetClass::ClusterAdmin) if p.target.kind == VertexKind::ClusterAdmin => {
            p.target.name.clone()
        }
        Some(TargetClass::ClusterAdmin) => format!("cluster-admin as {}", p.target.name),
        Some(TargetClass::NodeRoot) => format!("root on {}", p.target.name),
        Some(TargetClass::KubeSystemSecrets) | None => p.target.name.clone(),
    };
    let mut m = format!(
        "{}, {exposure}, reaches {target} in {} step{}",
        p.entry.name,
        p.steps,
        if p.steps == 1 { "" } else { "s" }
    );
    if p.length != p.steps {
        let _ = write!(m, " ({} hops)", p.length);
    }
    m.push(':');
    for (i, h) in p.hops.iter().enumerate() {
        let sep = if i == 0 { " " } else { ", " };
        let _ = write!(m, "{sep}{} -> {}", h.technique.name(), h.to.0.name);
    }
    m
}

/// Each hop's evidence, numbered.
fn evidence(p: &Path) -> String {
    let mut out = String::new();
    for (i, h) in p.hops.iter().enumerate() {
        for e in h.evidence.iter() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            let _ = write!(out, "{}. {e}", i + 1);
        }
    }
    if let Some(why) = &p.target.why_critical {
        for e in why.iter() {
            let _ = write!(out, "; critical: {e}");
        }
    }
    out
}
