//! The model the analysis runs on, built from Kubernetes objects: namespaces with their labels,
//! workloads with their pod-template labels and container ports, and the NetworkPolicies
//! parsed with the API server's validation.

use crate::admin::{self, AdminPolicy};
use crate::conn::Protocol;
use crate::error::{Error, Errors};
use crate::ip::{Family, IpSet, parse_cidr};
use crate::selector::{Labels, Op, Requirement, Selector, check_key, check_value};
use kubeward_core::view::pod_paths;
use kubeward_core::{Node, Object, Str, Value};
use rustc_hash::FxHashMap;
use std::fmt;

/// The label the API server puts on every namespace (Kubernetes 1.21+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Debug, Clone)]
pub struct Namespace<'a> {
    pub name: Str,
    /// Labels, with `kubernetes.io/metadata.name` added as the API server does.
    pub labels: Labels,
    /// The Namespace object, when it is in the input. Namespaces only referenced by other
    /// objects exist with just the name label, as Kubernetes would create them.
    pub object: Option<&'a Object>,
}

/// A named or numbered port of a container (`spec.containers[*].ports`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<Str>,
    pub port: u16,
    pub protocol: Protocol,
}

/// The unit of the analysis: a controller (Deployment, StatefulSet, DaemonSet, ReplicaSet,
/// ReplicationController, Job, CronJob) or a Pod without one. Pods whose controller is in the
/// input, and controllers owned by another controller in the input (a Deployment's
/// ReplicaSets), are folded into the top controller; pods whose controller is not in the input
/// are grouped under it (`shop/web-7d9f[ReplicaSet]`).
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub namespace: usize,
    pub name: Str,
    pub kind: Str,
    /// The pod (template) labels.
    pub labels: Labels,
    /// Ports of the regular containers and of native sidecars (init containers with
    /// `restartPolicy: Always`): what named ports resolve against.
    pub ports: Vec<ContainerPort>,
    /// The object the workload was read from (the controller, or the first of its pods).
    pub object: &'a Object,
    /// JSON pointer of the pod (template) metadata in `object`.
    pub meta_ptr: &'static str,
    /// Exposed outside the cluster: selected by a LoadBalancer or NodePort Service (or one
    /// with externalIPs), or behind an Ingress or Route.
    pub edge: bool,
}

/// One endpoint a rule names (`from` / `to` items).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector`. `namespaces: None` means the policy's own
    /// namespace; `pods: None` means every pod of the selected namespaces.
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    /// `ipBlock`: `cidr` minus `except`.
    IpBlock {
        cidr: Str,
        except: Vec<Str>,
        set: IpSet,
    },
}

/// One port item of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortSpec {
    /// `protocol` without `port`: every port of the protocol.
    All(Protocol),
    /// `port` (and `endPort`).
    Range(Protocol, u16, u16),
    /// A named port, resolved on the destination pod.
    Named(Protocol, Str),
}

/// An ingress or egress rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Index in `spec.ingress` / `spec.egress`.
    pub index: usize,
    /// Empty: every peer (pods of every namespace and every address).
    pub peers: Vec<Peer>,
    /// Empty: every port of every protocol.
    pub ports: Vec<PortSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The spec field of the rules (`ingress`, `egress`).
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The field of a rule's peers (`from`, `to`).
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A NetworkPolicy.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    pub namespace: usize,
    pub name: Str,
    pub object: &'a Object,
    pub pod_selector: Selector,
    /// Does the policy isolate the pods it selects for ingress (`policyTypes`, or by default)?
    pub affects_ingress: bool,
    /// ... for egress (`policyTypes`, or by default when it has egress rules)?
    pub affects_egress: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl Policy<'_> {
    pub fn affects(&self, d: Direction) -> bool {
        match d {
            Direction::Ingress => self.affects_ingress,
            Direction::Egress => self.affects_egress,
        }
    }

    pub fn rules(&self, d: Direction) -> &[Rule] {
        match d {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// Everything the analysis needs from the input.
#[derive(Debug, Clone, Default)]
pub struct Model<'a> {
    /// Sorted by name.
    pub namespaces: Vec<Namespace<'a>>,
    /// Sorted by namespace, name, kind.
    pub workloads: Vec<Workload<'a>>,
    pub policies: Vec<Policy<'a>>,
    /// AdminNetworkPolicies, by priority (lowest number first).
    pub admin: Vec<AdminPolicy<'a>>,
    /// The BaselineAdminNetworkPolicy (a singleton named `default`).
    pub baseline: Option<AdminPolicy<'a>>,
    /// Problems the analysis worked around (an invalid container port is left out, an invalid
    /// ownerReference ignored): reported, not fatal.
    pub warnings: Vec<Error>,
    ns_index: FxHashMap<Str, usize>,
}

/// Collects the errors of one object.
pub(crate) struct Cx<'e, 'a> {
    pub obj: &'a Object,
    pub errors: &'e mut Vec<Error>,
}

impl Cx<'_, '_> {
    pub fn err(&mut self, ptr: &str, msg: impl Into<String>) {
        self.errors.push(Error::at(self.obj, ptr, msg));
    }
}

fn namespace_of(obj: &Object) -> &str {
    obj.namespace.as_deref().unwrap_or("default")
}

/// The controller owner reference of an object (`controller: true`; a Node owner, as static
/// pods have, is no controller here).
fn controller_of<'o>(obj: &'o Object, warnings: &mut Vec<Error>) -> Option<(&'o str, &'o str)> {
    let refs = obj.root.path(&["metadata", "ownerReferences"])?;
    let (i, r) = refs
        .items()
        .iter()
        .enumerate()
        .find(|(_, r)| r.get("controller").is_some_and(Node::is_true))?;
    let kind = r.get("kind").and_then(Node::as_str).unwrap_or_default();
    let name = r.get("name").and_then(Node::as_str).unwrap_or_default();
    if kind.is_empty() || name.is_empty() {
        warnings.push(Error::at(
            obj,
            &format!("/metadata/ownerReferences/{i}"),
            "an ownerReference needs `kind` and `name` (the API server rejects it): ignored, the pod is its own workload",
        ));
        return None;
    }
    (kind != "Node").then_some((kind, name))
}

const WORKLOAD_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Parses a label map (`metadata.labels`); values must be strings, keys and values valid.
/// `strict`: check key and value syntax (selectors); an object's own labels are taken as
/// written (a value the API server would refuse can only fail to match).
pub(crate) fn parse_labels(
    cx: &mut Cx<'_, '_>,
    node: Option<&Node>,
    ptr: &str,
    strict: bool,
) -> Labels {
    let Some(node) = node else {
        return Labels::default();
    };
    if !node.is_map() {
        cx.err(
            ptr,
            format!("expected a mapping of labels, found {}", node.type_name()),
        );
        return Labels::default();
    }
    let mut pairs = Vec::new();
    for e in node.entries() {
        let p = format!("{ptr}/{}", escape(&e.key));
        if strict && let Err(why) = check_key(&e.key) {
            cx.err(&p, why);
            continue;
        }
        let value = match &e.value.value {
            Value::Str(s) => s.clone(),
            Value::Null => Str::default(),
            _ => {
                cx.err(
                    &p,
                    format!(
                        "expected a string label value, found {} (quote it: \"{}\")",
                        e.value.type_name(),
                        e.value.scalar_text().unwrap_or_default()
                    ),
                );
                continue;
            }
        };
        if strict && let Err(why) = check_value(&value) {
            cx.err(&p, why);
            continue;
        }
        pairs.push((e.key.clone(), value));
    }
    Labels::new(pairs)
}

/// Escapes a key for a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses a label selector (`{matchLabels, matchExpressions}`).
pub(crate) fn parse_selector(cx: &mut Cx<'_, '_>, node: &Node, ptr: &str) -> Selector {
    if node.is_null() {
        return Selector::everything();
    }
    if !node.is_map() {
        cx.err(
            ptr,
            format!(
                "expected a label selector (a mapping), found {}",
                node.type_name()
            ),
        );
        return Selector::everything();
    }
    let mut requirements = Vec::new();
    for e in node.entries() {
        if !matches!(e.key.as_str(), "matchLabels" | "matchExpressions") {
            cx.err(
                &format!("{ptr}/{}", escape(&e.key)),
                format!("unknown field `{}` in a label selector (expected matchLabels or matchExpressions)", e.key),
            );
        }
    }
    let ml_ptr = format!("{ptr}/matchLabels");
    for (k, v) in parse_labels(cx, node.get("matchLabels"), &ml_ptr, true).iter() {
        requirements.push(Requirement {
            key: k.into(),
            op: Op::In(vec![v.into()]),
        });
    }
    if let Some(exprs) = node.get("matchExpressions") {
        let ptr = format!("{ptr}/matchExpressions");
        if !matches!(exprs.value, Value::Seq(_)) {
            cx.err(
                &ptr,
                format!(
                    "expected a list of expressions, found {}",
                    exprs.type_name()
                ),
            );
        }
        for (i, x) in exprs.items().iter().enumerate() {
            let xp = format!("{ptr}/{i}");
            if let Some(r) = parse_requirement(cx, x, &xp) {
                requirements.push(r);
            }
        }
    }
    Selector { requirements }
}

fn parse_requirement(cx: &mut Cx<'_, '_>, x: &Node, xp: &str) -> Option<Requirement> {
    if !x.is_map() {
        cx.err(
            xp,
            format!(
                "expected an expression {{key, operator, values}}, found {}",
                x.type_name()
            ),
        );
        return None;
    }
    let Some(key) = x.get("key").and_then(Node::as_str) else {
        cx.err(xp, "expected a `key` (a string)");
        return None;
    };
    if let Err(why) = check_key(key) {
        cx.err(&format!("{xp}/key"), why);
        return None;
    }
    let Some(op) = x.get("operator").and_then(Node::as_str) else {
        cx.err(
            xp,
            "expected an `operator`: In, NotIn, Exists or DoesNotExist",
        );
        return None;
    };
    let vp = format!("{xp}/values");
    let mut values = Vec::new();
    if let Some(vs) = x.get("values") {
        if !matches!(vs.value, Value::Seq(_)) {
            cx.err(
                &vp,
                format!("expected a list of values, found {}", vs.type_name()),
            );
            return None;
        }
        for (j, v) in vs.items().iter().enumerate() {
            match v.as_str() {
                Some(s) => {
                    if let Err(why) = check_value(s) {
                        cx.err(&format!("{vp}/{j}"), why);
                        return None;
                    }
                    values.push(Str::from(s));
                }
                None => {
                    cx.err(
                        &format!("{vp}/{j}"),
                        format!("expected a string value, found {}", v.type_name()),
                    );
                    return None;
                }
            }
        }
    }
    let op = match op {
        "In" | "NotIn" => {
            if values.is_empty() {
                cx.err(&vp, format!("operator {op} needs at least one value"));
                return None;
            }
            if op == "In" {
                Op::In(values)
            } else {
                Op::NotIn(values)
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                cx.err(&vp, format!("operator {op} takes no values"));
                return None;
            }
            if op == "Exists" {
                Op::Exists
            } else {
                Op::DoesNotExist
            }
        }
        other => {
            cx.err(
                &format!("{xp}/operator"),
                format!("unknown operator `{other}` (expected In, NotIn, Exists or DoesNotExist)"),
            );
            return None;
        }
    };
    Some(Requirement {
        key: key.into(),
        op,
    })
}

/// Parses `port` as a number (1-65535).
fn port_number(n: &Node) -> Option<u16> {
    n.as_i64()
        .and_then(|v| u16::try_from(v).ok())
        .filter(|&v| v >= 1)
}

/// Is `s` a valid port name (IANA service name: at most 15 characters, lower-case letters,
/// digits and `-`, at least one letter, no `-` at either end or twice in a row)?
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn parse_protocol(cx: &mut Cx<'_, '_>, node: Option<&Node>, ptr: &str) -> Protocol {
    match node {
        None => Protocol::Tcp,
        Some(n) => match n.as_str().and_then(Protocol::parse) {
            Some(p) => p,
            None => {
                cx.err(
                    ptr,
                    format!(
                        "unknown protocol `{}` (expected TCP, UDP or SCTP)",
                        n.scalar_text().unwrap_or_else(|| n.type_name().into())
                    ),
                );
                Protocol::Tcp
            }
        },
    }
}

/// The container ports a named port resolves against.
fn container_ports(cx: &mut Cx<'_, '_>, spec: &Node, spec_ptr: &str) -> Vec<ContainerPort> {
    let mut out = Vec::new();
    for list in ["containers", "initContainers"] {
        let Some(items) = spec.get(list) else {
            continue;
        };
        if !matches!(items.value, Value::Seq(_)) {
            cx.err(
                &format!("{spec_ptr}/{list}"),
                format!(
                    "expected a list of containers, found {}; their ports are left out",
                    items.type_name()
                ),
            );
        }
        for (ci, c) in items.items().iter().enumerate() {
            // Init containers keep running, with their ports, only as native sidecars.
            if list == "initContainers"
                && c.get("restartPolicy").and_then(Node::as_str) != Some("Always")
            {
                continue;
            }
            let Some(ports) = c.get("ports") else {
                continue;
            };
            if !matches!(ports.value, Value::Seq(_)) {
                cx.err(
                    &format!("{spec_ptr}/{list}/{ci}/ports"),
                    format!(
                        "expected a list of ports, found {}; the container's ports are left out",
                        ports.type_name()
                    ),
                );
            }
            for (pi, p) in ports.items().iter().enumerate() {
                let pp = format!("{spec_ptr}/{list}/{ci}/ports/{pi}");
                let Some(number) = p.get("containerPort") else {
                    cx.err(
                        &pp,
                        "expected `containerPort` (a number 1-65535); the port is left out",
                    );
                    continue;
                };
                let Some(port) = port_number(number) else {
                    cx.err(
                        &format!("{pp}/containerPort"),
                        format!(
                            "expected a port number 1-65535, found `{}`; the port is left out",
                            number
                                .scalar_text()
                                .unwrap_or_else(|| number.type_name().into())
                        ),
                    );
                    continue;
                };
                let protocol = parse_protocol(cx, p.get("protocol"), &format!("{pp}/protocol"));
                let name = match p.get("name") {
                    None => None,
                    Some(n) => match n.as_str() {
                        Some(s) if is_port_name(s) => Some(Str::from(s)),
                        _ => {
                            cx.err(
                                &format!("{pp}/name"),
                                format!(
                                    "invalid port name `{}`: at most 15 lower-case letters, digits and `-`, with a letter",
                                    n.scalar_text().unwrap_or_default()
                                ),
                            );
                            None
                        }
                    },
                };
                out.push(ContainerPort {
                    name,
                    port,
                    protocol,
                });
            }
        }
    }
    out
}

/// A workload read from one object, before grouping.
struct Found<'a> {
    obj: &'a Object,
    ns: Str,
    labels: Labels,
    ports: Vec<ContainerPort>,
    meta_ptr: &'static str,
    /// (kind, name) of the workload it belongs to.
    key: (Str, Str),
}

impl<'a> Model<'a> {
    /// Builds the model from every object of the input; objects of other kinds are ignored.
    /// Every invalid field of a relevant object is an error (all of them are reported).
    pub fn build<I>(objects: I) -> Result<Model<'a>, Errors>
    where
        I: IntoIterator<Item = &'a Object>,
    {
        let (m, errors) = Model::build_lenient(objects);
        if errors.0.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }

    /// [`Model::build`] that goes on past invalid input: the model of everything that is valid
    /// (an invalid policy, peer, port or workload is left out) and every error. For checks that
    /// should still judge the rest of a large input (the scan's KW3xx rules).
    pub fn build_lenient<I>(objects: I) -> (Model<'a>, Errors)
    where
        I: IntoIterator<Item = &'a Object>,
    {
        let mut errors = Vec::new();
        let mut m = Model::default();
        let objects: Vec<&'a Object> = objects.into_iter().collect();

        // Namespaces.
        for obj in objects
            .iter()
            .copied()
            .filter(|o| o.builtin && o.kind == "Namespace")
        {
            let mut cx = Cx {
                obj,
                errors: &mut errors,
            };
            let mut labels = parse_labels(
                &mut cx,
                obj.root.path(&["metadata", "labels"]),
                "/metadata/labels",
                false,
            );
            if obj.name.is_empty() {
                cx.err("/metadata", "a Namespace needs `metadata.name`");
                continue;
            }
            labels.insert_default(NAMESPACE_NAME_LABEL, &obj.name);
            if !m.ns_index.contains_key(&obj.name) {
                m.ns_index.insert(obj.name.clone(), m.namespaces.len());
                m.namespaces.push(Namespace {
                    name: obj.name.clone(),
                    labels,
                    object: Some(obj),
                });
            }
        }

        // Workloads.
        let present: FxHashMap<(Str, Str, Str), &Object> = objects
            .iter()
            .filter(|o| o.builtin && WORKLOAD_KINDS.contains(&o.kind.as_str()) && o.kind != "Pod")
            .map(|o| {
                (
                    (Str::from(namespace_of(o)), o.kind.clone(), o.name.clone()),
                    *o,
                )
            })
            .collect();
        let mut found: Vec<Found<'a>> = Vec::new();
        for obj in objects
            .iter()
            .copied()
            .filter(|o| o.builtin && WORKLOAD_KINDS.contains(&o.kind.as_str()))
        {
            let mut cx = Cx {
                obj,
                errors: &mut errors,
            };
            let Some(paths) = pod_paths(&obj.kind) else {
                continue;
            };
            let ns = Str::from(namespace_of(obj));
            // The top controller present in the input.
            let mut key = (obj.kind.clone(), obj.name.clone());
            let mut cur = obj;
            for _ in 0..8 {
                let Some((kind, name)) = controller_of(cur, &mut m.warnings) else {
                    break;
                };
                match present.get(&(ns.clone(), Str::from(kind), Str::from(name))) {
                    Some(owner) => {
                        key = (owner.kind.clone(), owner.name.clone());
                        cur = owner;
                    }
                    None => {
                        // A pod whose controller is not in the input: the workload is that
                        // controller. A controller whose owner is missing stands for itself.
                        if cur.kind == "Pod" {
                            key = (kind.into(), name.into());
                        }
                        break;
                    }
                }
            }
            if obj.name.is_empty() {
                cx.err("/metadata", format!("a {} needs `metadata.name`", obj.kind));
                continue;
            }
            let Some(spec) = obj.root.path(paths.spec).filter(|n| n.is_map()) else {
                cx.err(
                    paths.spec_ptr,
                    format!(
                        "a {} needs a pod spec at `{}`",
                        obj.kind,
                        paths.spec_ptr.trim_start_matches('/').replace('/', ".")
                    ),
                );
                continue;
            };
            let labels_ptr = format!("{}/labels", paths.meta_ptr);
            let labels = parse_labels(
                &mut cx,
                obj.root.path(paths.meta).and_then(|m| m.get("labels")),
                &labels_ptr,
                false,
            );
            let ports = container_ports(
                &mut Cx {
                    obj,
                    errors: &mut m.warnings,
                },
                spec,
                paths.spec_ptr,
            );
            found.push(Found {
                obj,
                ns,
                labels,
                ports,
                meta_ptr: paths.meta_ptr,
                key,
            });
        }
        // Group: the controller's own entry wins over its pods; pods of a controller that is
        // not in the input are grouped under it (first pod's labels and ports).
        let mut groups: FxHashMap<(Str, Str, Str), Vec<Found<'a>>> = FxHashMap::default();
        for f in found {
            groups
                .entry((f.ns.clone(), f.key.0.clone(), f.key.1.clone()))
                .or_default()
                .push(f);
        }
        let mut variants: Vec<(usize, Vec<Found<'a>>)> = Vec::new();
        let mut keys: Vec<(Str, Str, Str)> = groups.keys().cloned().collect();
        keys.sort_by(|a, b| (&a.0, &a.2, &a.1).cmp(&(&b.0, &b.2, &b.1)));
        for key in keys {
            let Some(mut members) = groups.remove(&key) else {
                continue;
            };
            let (ns, kind, name) = key;
            // The controller itself, if present, else the first pod.
            let pick = members
                .iter()
                .position(|f| f.obj.kind == kind && f.obj.name == name)
                .unwrap_or(0);
            let chosen = members.swap_remove(pick);
            let nsi = m.ensure_namespace(&ns);
            let idx = m.workloads.len();
            m.workloads.push(Workload {
                namespace: nsi,
                name,
                kind,
                labels: chosen.labels,
                ports: chosen.ports,
                object: chosen.obj,
                meta_ptr: chosen.meta_ptr,
                edge: false,
            });
            // Pods grouped under a controller that is not in the input may disagree on labels.
            let owner_present = chosen.obj.kind == m.workloads[idx].kind;
            if !owner_present {
                let others: Vec<Found<'a>> = members
                    .into_iter()
                    .filter(|f| f.labels != m.workloads[idx].labels)
                    .collect();
                if !others.is_empty() {
                    variants.push((idx, others));
                }
            }
        }

        // NetworkPolicies.
        let mut seen: FxHashMap<(Str, Str), &Object> = FxHashMap::default();
        for obj in objects
            .iter()
            .copied()
            .filter(|o| o.builtin && o.kind == "NetworkPolicy")
        {
            let ns = Str::from(namespace_of(obj));
            if let Some(first) = seen.get(&(ns.clone(), obj.name.clone())) {
                let l = first.locate("");
                errors.push(Error::at(
                    obj,
                    "/metadata/name",
                    format!(
                        "a second NetworkPolicy named {ns}/{} (the first is at {}:{}); each policy needs its own name",
                        obj.name, l.file, l.line
                    ),
                ));
                continue;
            }
            seen.insert((ns.clone(), obj.name.clone()), obj);
            let nsi = m.ensure_namespace(&ns);
            let mut cx = Cx {
                obj,
                errors: &mut errors,
            };
            if let Some(p) = parse_policy(&mut cx, nsi) {
                m.policies.push(p);
            }
        }

        // AdminNetworkPolicies and the BaselineAdminNetworkPolicy.
        admin::parse_all(&objects, &mut m, &mut errors);

        // Pods of one controller with different labels: the workload is ambiguous when a
        // selector looks at a label they disagree on.
        for (idx, others) in variants {
            let w = &m.workloads[idx];
            for other in others {
                let differing: Vec<&str> = label_diff(&w.labels, &other.labels);
                if let Some(key) = differing
                    .iter()
                    .find(|k| m.selector_keys().any(|s| s == **k))
                {
                    let first = w.object.locate("");
                    errors.push(Error::at(
                        other.obj,
                        &format!("{}/labels", other.meta_ptr),
                        format!(
                            "pods of {}/{}[{}] have different values for label `{key}`, which a policy selects on (this pod: {:?}, the pod at {}:{}: {:?}); the analysis is per workload, so its pods must agree",
                            m.namespaces[w.namespace].name,
                            w.name,
                            w.kind,
                            other.labels.get(key).unwrap_or("<absent>"),
                            first.file,
                            first.line,
                            w.labels.get(key).unwrap_or("<absent>"),
                        ),
                    ));
                    break;
                }
            }
        }

        m.warnings.dedup();
        m.mark_edges(&objects);
        m.namespaces.sort_by(|a, b| a.name.cmp(&b.name));
        let remap: Vec<usize> = {
            let mut old_to_new = vec![0; m.namespaces.len()];
            for (new, ns) in m.namespaces.iter().enumerate() {
                if let Some(&old) = m.ns_index.get(&ns.name) {
                    old_to_new[old] = new;
                }
            }
            old_to_new
        };
        for w in &mut m.workloads {
            w.namespace = remap[w.namespace];
        }
        for p in &mut m.policies {
            p.namespace = remap[p.namespace];
        }
        for (new, ns) in m.namespaces.iter().enumerate() {
            m.ns_index.insert(ns.name.clone(), new);
        }
        m.workloads
            .sort_by(|a, b| (a.namespace, &a.name, &a.kind).cmp(&(b.namespace, &b.name, &b.kind)));
        (m, Errors(errors))
    }

    fn ensure_namespace(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ns_index.get(name) {
            return i;
        }
        let mut labels = Labels::default();
        labels.insert_default(NAMESPACE_NAME_LABEL, name);
        self.ns_index.insert(name.into(), self.namespaces.len());
        self.namespaces.push(Namespace {
            name: name.into(),
            labels,
            object: None,
        });
        self.namespaces.len() - 1
    }

    /// The index of a namespace by name.
    pub fn namespace(&self, name: &str) -> Option<usize> {
        self.ns_index.get(name).copied()
    }

    /// Every pod label key any selector (policy target or rule peer) looks at.
    fn selector_keys(&self) -> impl Iterator<Item = &str> {
        let np = self.policies.iter().flat_map(|p| {
            let rules = p.ingress.iter().chain(&p.egress);
            p.pod_selector.keys().chain(rules.flat_map(|r| {
                r.peers
                    .iter()
                    .flat_map(|peer| match peer {
                        Peer::Pods { pods: Some(s), .. } => Some(s.keys()),
                        _ => None,
                    })
                    .flatten()
            }))
        });
        let anp = self
            .admin
            .iter()
            .chain(&self.baseline)
            .flat_map(AdminPolicy::pod_selector_keys);
        np.chain(anp)
    }

    /// `ns/name[Kind]`, the way workloads are named in every output.
    pub fn workload_name(&self, w: usize) -> String {
        let w = &self.workloads[w];
        format!(
            "{}/{}[{}]",
            self.namespaces[w.namespace].name, w.name, w.kind
        )
    }

    /// `ns/name`, the policy's name.
    pub fn policy_name(&self, p: usize) -> String {
        let p = &self.policies[p];
        format!("{}/{}", self.namespaces[p.namespace].name, p.name)
    }

    /// Finds a workload by `ns/name`, `ns/Kind/name`, `ns/name[Kind]` or `name` (when unique).
    pub fn find_workload(&self, spec: &str) -> Result<usize, String> {
        let (ns, rest) = match spec.split_once('/') {
            Some((ns, rest)) => (Some(ns), rest),
            None => (None, spec),
        };
        let (kind, name) = if let Some((k, n)) = rest.split_once('/') {
            (Some(k), n)
        } else if let Some(open) = rest.find('[').filter(|_| rest.ends_with(']')) {
            (Some(&rest[open + 1..rest.len() - 1]), &rest[..open])
        } else {
            (None, rest)
        };
        let hits: Vec<usize> = (0..self.workloads.len())
            .filter(|&i| {
                let w = &self.workloads[i];
                w.name == name
                    && ns.is_none_or(|n| self.namespaces[w.namespace].name == n)
                    && kind.is_none_or(|k| w.kind.eq_ignore_ascii_case(k))
            })
            .collect();
        match hits.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "no workload `{spec}` in the input (write it as NAMESPACE/NAME)"
            )),
            many => Err(format!(
                "`{spec}` is ambiguous: {}",
                many.iter()
                    .map(|&i| self.workload_name(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Marks workloads exposed outside the cluster (LoadBalancer/NodePort Services or ones
    /// with externalIPs, Services behind an Ingress or a Route).
    fn mark_edges(&mut self, objects: &[&Object]) {
        let mut exposed: Vec<(Str, Str)> = Vec::new();
        for o in objects {
            let ns = Str::from(namespace_of(o));
            match (o.kind.as_str(), o.group()) {
                ("Ingress", "networking.k8s.io" | "extensions") => {
                    let spec = o.root.get("spec");
                    let mut names = Vec::new();
                    if let Some(b) =
                        spec.and_then(|s| s.get("defaultBackend").or_else(|| s.get("backend")))
                    {
                        names.extend(backend_service(b));
                    }
                    for r in spec
                        .and_then(|s| s.get("rules"))
                        .map(Node::items)
                        .unwrap_or_default()
                    {
                        for p in r
                            .path(&["http", "paths"])
                            .map(Node::items)
                            .unwrap_or_default()
                        {
                            if let Some(b) = p.get("backend") {
                                names.extend(backend_service(b));
                            }
                        }
                    }
                    exposed.extend(names.into_iter().map(|n| (ns.clone(), n)));
                }
                ("Route", "route.openshift.io") => {
                    let spec = o.root.get("spec");
                    let mut targets: Vec<&Node> =
                        spec.and_then(|s| s.get("to")).into_iter().collect();
                    targets.extend(
                        spec.and_then(|s| s.get("alternateBackends"))
                            .map(Node::items)
                            .unwrap_or_default(),
                    );
                    for t in targets {
                        if let Some(n) = t.get("name").and_then(Node::as_str) {
                            exposed.push((ns.clone(), n.into()));
                        }
                    }
                }
                _ => {}
            }
        }
        // Looked up per Service, and workloads per namespace: both loops were quadratic
        // (every Service against every exposure, every exposed Service against every workload).
        let exposed: rustc_hash::FxHashSet<(Str, Str)> = exposed.into_iter().collect();
        let mut by_ns: Vec<Vec<usize>> = vec![Vec::new(); self.namespaces.len()];
        for (wi, w) in self.workloads.iter().enumerate() {
            if let Some(v) = by_ns.get_mut(w.namespace) {
                v.push(wi);
            }
        }
        for o in objects.iter().filter(|o| o.builtin && o.kind == "Service") {
            let ns = namespace_of(o);
            let Some(spec) = o.root.get("spec") else {
                continue;
            };
            let ty = spec
                .get("type")
                .and_then(Node::as_str)
                .unwrap_or("ClusterIP");
            let external = matches!(ty, "LoadBalancer" | "NodePort")
                || !spec
                    .get("externalIPs")
                    .map(Node::items)
                    .unwrap_or_default()
                    .is_empty()
                || exposed.contains(&(Str::from(ns), Str::from(o.name.as_str())));
            if !external {
                continue;
            }
            let Some(sel) = spec.get("selector").filter(|s| !s.entries().is_empty()) else {
                continue;
            };
            let want: Vec<(&str, String)> = sel
                .entries()
                .iter()
                .map(|e| (e.key.as_str(), e.value.scalar_text().unwrap_or_default()))
                .collect();
            let Some(nsi) = self.namespace(ns) else {
                continue;
            };
            for &wi in by_ns.get(nsi).map(Vec::as_slice).unwrap_or_default() {
                let w = &mut self.workloads[wi];
                if want
                    .iter()
                    .all(|(k, v)| w.labels.get(k) == Some(v.as_str()))
                {
                    w.edge = true;
                }
            }
        }
    }
}

fn backend_service(b: &Node) -> Option<Str> {
    b.path(&["service", "name"])
        .or_else(|| b.get("serviceName"))
        .and_then(Node::as_str)
        .map(Str::from)
}

fn label_diff<'l>(a: &'l Labels, b: &'l Labels) -> Vec<&'l str> {
    let mut keys: Vec<&str> = a
        .iter()
        .filter(|(k, v)| b.get(k) != Some(v))
        .map(|(k, _)| k)
        .chain(b.iter().filter(|(k, _)| a.get(k).is_none()).map(|(k, _)| k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn parse_policy<'a>(cx: &mut Cx<'_, 'a>, namespace: usize) -> Option<Policy<'a>> {
    let obj = cx.obj;
    if obj.name.is_empty() {
        cx.err("/metadata", "a NetworkPolicy needs `metadata.name`");
        return None;
    }
    let Some(spec) = obj.root.get("spec") else {
        cx.err(
            "/spec",
            "a NetworkPolicy needs a `spec` with at least `podSelector`",
        );
        return None;
    };
    if !spec.is_map() {
        cx.err(
            "/spec",
            format!(
                "expected `spec` to be a mapping, found {}",
                spec.type_name()
            ),
        );
        return None;
    }
    let pod_selector = match spec.entry("podSelector") {
        Some(e) => parse_selector(cx, &e.value, "/spec/podSelector"),
        None => {
            cx.err(
                "/spec",
                "`spec.podSelector` is required (write `podSelector: {}` to select every pod of the namespace)",
            );
            Selector::everything()
        }
    };
    let mut types: Option<(bool, bool)> = None;
    if let Some(pt) = spec.get("policyTypes") {
        if !matches!(pt.value, Value::Seq(_)) {
            cx.err(
                "/spec/policyTypes",
                format!(
                    "expected a list (Ingress, Egress), found {}",
                    pt.type_name()
                ),
            );
        } else if !pt.items().is_empty() {
            let (mut i, mut e) = (false, false);
            for (k, t) in pt.items().iter().enumerate() {
                match t.as_str() {
                    Some("Ingress") => i = true,
                    Some("Egress") => e = true,
                    _ => cx.err(
                        &format!("/spec/policyTypes/{k}"),
                        format!(
                            "unknown policy type `{}` (expected Ingress or Egress)",
                            t.scalar_text().unwrap_or_else(|| t.type_name().into())
                        ),
                    ),
                }
            }
            types = Some((i, e));
        }
    }
    let ingress = parse_rules(cx, spec, Direction::Ingress);
    let egress = parse_rules(cx, spec, Direction::Egress);
    // Without policyTypes: Ingress always, Egress when there are egress rules.
    let (affects_ingress, affects_egress) = types.unwrap_or((true, !egress.is_empty()));
    Some(Policy {
        namespace,
        name: obj.name.clone(),
        object: obj,
        pod_selector,
        affects_ingress,
        affects_egress,
        ingress,
        egress,
    })
}

fn parse_rules(cx: &mut Cx<'_, '_>, spec: &Node, d: Direction) -> Vec<Rule> {
    let Some(list) = spec.get(d.field()) else {
        return Vec::new();
    };
    let ptr = format!("/spec/{}", d.field());
    if !matches!(list.value, Value::Seq(_)) {
        cx.err(
            &ptr,
            format!("expected a list of rules, found {}", list.type_name()),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, r) in list.items().iter().enumerate() {
        let rp = format!("{ptr}/{i}");
        if r.is_null() {
            // `- ` with nothing: an empty rule, like `{}`.
            out.push(Rule {
                index: i,
                peers: Vec::new(),
                ports: Vec::new(),
            });
            continue;
        }
        if !r.is_map() {
            cx.err(
                &rp,
                format!("expected a rule (a mapping), found {}", r.type_name()),
            );
            continue;
        }
        let mut peers = Vec::new();
        if let Some(ps) = r.get(d.peers_field()) {
            let pp = format!("{rp}/{}", d.peers_field());
            if !matches!(ps.value, Value::Seq(_)) {
                cx.err(
                    &pp,
                    format!("expected a list of peers, found {}", ps.type_name()),
                );
            }
            for (j, p) in ps.items().iter().enumerate() {
                if let Some(peer) = parse_peer(cx, p, &format!("{pp}/{j}")) {
                    peers.push(peer);
                }
            }
        }
        let mut ports = Vec::new();
        if let Some(ps) = r.get("ports") {
            let pp = format!("{rp}/ports");
            if !matches!(ps.value, Value::Seq(_)) {
                cx.err(
                    &pp,
                    format!("expected a list of ports, found {}", ps.type_name()),
                );
            }
            for (j, p) in ps.items().iter().enumerate() {
                if let Some(port) = parse_port(cx, p, &format!("{pp}/{j}")) {
                    ports.push(port);
                }
            }
        }
        out.push(Rule {
            index: i,
            peers,
            ports,
        });
    }
    out
}

fn parse_peer(cx: &mut Cx<'_, '_>, p: &Node, ptr: &str) -> Option<Peer> {
    if !p.is_map() {
        cx.err(
            ptr,
            format!(
                "expected a peer (podSelector, namespaceSelector or ipBlock), found {}",
                p.type_name()
            ),
        );
        return None;
    }
    // A selector written with no value (`podSelector:`) is an empty selector, as in the API.
    let pods = p
        .entry("podSelector")
        .map(|e| parse_selector(cx, &e.value, &format!("{ptr}/podSelector")));
    let namespaces = p
        .entry("namespaceSelector")
        .map(|e| parse_selector(cx, &e.value, &format!("{ptr}/namespaceSelector")));
    let ip = p.get("ipBlock");
    if ip.is_some() && (pods.is_some() || namespaces.is_some()) {
        cx.err(
            ptr,
            "a peer may have an ipBlock or selectors (podSelector, namespaceSelector), not both: write them as two peers",
        );
        return None;
    }
    if let Some(ip) = ip {
        return parse_ip_block(cx, ip, &format!("{ptr}/ipBlock"));
    }
    if pods.is_none() && namespaces.is_none() {
        cx.err(
            ptr,
            "a peer needs podSelector, namespaceSelector or ipBlock (an empty peer is rejected by the API server; omit `from`/`to` to allow everyone)",
        );
        return None;
    }
    Some(Peer::Pods { namespaces, pods })
}

fn parse_ip_block(cx: &mut Cx<'_, '_>, ip: &Node, ptr: &str) -> Option<Peer> {
    let Some(cidr) = ip.get("cidr").and_then(Node::as_str) else {
        cx.err(ptr, "an ipBlock needs `cidr` (e.g. 10.0.0.0/8)");
        return None;
    };
    let (family, range) = match parse_cidr(cidr) {
        Ok(x) => x,
        Err(why) => {
            cx.err(&format!("{ptr}/cidr"), why);
            return None;
        }
    };
    let mut set = IpSet::default();
    match family {
        Family::V4 => set.v4 = range.clone(),
        Family::V6 => set.v6 = range.clone(),
    }
    let mut except = Vec::new();
    for (k, e) in ip
        .get("except")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let ep = format!("{ptr}/except/{k}");
        let Some(text) = e.as_str() else {
            cx.err(
                &ep,
                format!("expected a CIDR string, found {}", e.type_name()),
            );
            continue;
        };
        match parse_cidr(text) {
            Ok((f, r)) if f == family && r.is_subset(&range) && r != range => {
                let mut hole = IpSet::default();
                match f {
                    Family::V4 => hole.v4 = r,
                    Family::V6 => hole.v6 = r,
                }
                set = set.subtract(&hole);
                except.push(Str::from(text));
            }
            Ok(_) => cx.err(
                &ep,
                format!("except `{text}` must be a strict subset of cidr `{cidr}`"),
            ),
            Err(why) => cx.err(&ep, why),
        }
    }
    Some(Peer::IpBlock {
        cidr: cidr.into(),
        except,
        set,
    })
}

fn parse_port(cx: &mut Cx<'_, '_>, p: &Node, ptr: &str) -> Option<PortSpec> {
    if !p.is_map() {
        cx.err(
            ptr,
            format!(
                "expected a port (protocol, port, endPort), found {}",
                p.type_name()
            ),
        );
        return None;
    }
    let protocol = parse_protocol(cx, p.get("protocol"), &format!("{ptr}/protocol"));
    let end = p.get("endPort");
    let Some(port) = p.get("port") else {
        if end.is_some() {
            cx.err(&format!("{ptr}/endPort"), "endPort needs a numeric `port`");
            return None;
        }
        return Some(PortSpec::All(protocol));
    };
    if let Some(name) = port.as_str() {
        if end.is_some() {
            cx.err(
                &format!("{ptr}/endPort"),
                format!("endPort cannot be used with a named port (`{name}`)"),
            );
            return None;
        }
        if !is_port_name(name) {
            cx.err(
                &format!("{ptr}/port"),
                format!("invalid port name `{name}`: at most 15 lower-case letters, digits and `-`, with a letter (write numbers without quotes)"),
            );
            return None;
        }
        return Some(PortSpec::Named(protocol, name.into()));
    }
    let Some(start) = port_number(port) else {
        cx.err(
            &format!("{ptr}/port"),
            format!(
                "expected a port number 1-65535 or a port name, found `{}`",
                port.scalar_text()
                    .unwrap_or_else(|| port.type_name().into())
            ),
        );
        return None;
    };
    let end = match end {
        None => start,
        Some(e) => match port_number(e) {
            Some(e) if e >= start => e,
            _ => {
                cx.err(
                    &format!("{ptr}/endPort"),
                    format!(
                        "endPort must be a port number from port ({start}) to 65535, found `{}`",
                        e.scalar_text().unwrap_or_else(|| e.type_name().into())
                    ),
                );
                return None;
            }
        },
    };
    Some(PortSpec::Range(protocol, start, end))
}
