//! What the RBAC rules share: the [`Rbac`] of a snapshot (built once per scan and cached), the
//! classification of Kubernetes' own defaults, and the driver that evaluates a risk on every
//! binding and every unbound role.
//!
//! Every judgement goes through `kubeward_rbac` with real [`Request`]s (`rule_allows` on the
//! rules of the role a binding reaches), so wildcards, `*/subresource`, `resourceNames`,
//! apiGroups, aggregation and RoleBinding scoping are the API server's. A rule is described by
//! the requests ([`Ask`]s) that make up its risk and a `judge` that decides, from which of them
//! a grant allows, whether the grant is risky and what it lets its subjects do.

use crate::{Cx, Keep};
use kubeward_core::{Object, ObjectRef, Snapshot, Str};
use kubeward_rbac::{Binding, Grant, Rbac, Request, Role, RoleKind, Rule, Scope, Subject};
use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

/// What every RBAC rule keeps of a manifest scan.
pub(super) const RETAIN: &[(&str, Keep)] = &[
    ("Role", Keep::Rbac),
    ("ClusterRole", Keep::Rbac),
    ("RoleBinding", Keep::Rbac),
    ("ClusterRoleBinding", Keep::Rbac),
];

/// The same, and Namespaces' labels (for their Pod Security level).
pub(super) const RETAIN_NAMESPACES: &[(&str, Keep)] = &[
    ("Role", Keep::Rbac),
    ("ClusterRole", Keep::Rbac),
    ("RoleBinding", Keep::Rbac),
    ("ClusterRoleBinding", Keep::Rbac),
    ("Namespace", Keep::Metadata),
];

/// The namespace whose service accounts and pods are the control plane's.
pub(super) const KUBE_SYSTEM: &str = "kube-system";

/// Where a grant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// Through a ClusterRoleBinding (or, for an unbound ClusterRole, wherever it may be bound).
    Cluster,
    /// Through a RoleBinding in this namespace (or an unbound Role of this namespace).
    Namespace(&'a str),
}

impl Target<'_> {
    /// `cluster-wide`, `in namespace shop`; kube-system says why it counts as cluster-wide.
    pub(super) fn describe(self) -> String {
        match self {
            Target::Cluster => "cluster-wide".to_string(),
            Target::Namespace(KUBE_SYSTEM) => "in namespace kube-system (as good as cluster-wide: \
                 the control plane's service accounts and pods live there)"
                .to_string(),
            Target::Namespace(ns) => format!("in namespace {ns}"),
        }
    }
}

/// Where the object of a request lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    /// A namespaced resource, in the grant's namespace (every namespace for a cluster grant).
    Namespaced,
    /// A cluster-scoped resource: only ClusterRoleBindings grant it.
    ClusterScoped,
    /// A `namespaces` object: a RoleBinding in namespace X reaches the Namespace X itself (the
    /// API server gives a request on `/api/v1/namespaces/X` the namespace X).
    OwnNamespace,
    /// A namespaced resource in this namespace only (`kube-system`).
    In(&'static str),
}

/// One request that is (part of) a risk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ask {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub sub: Option<&'static str>,
    /// The object's name, when the risk is about one object (`aws-auth`) or the check must
    /// see through `resourceNames` (`bind` on `cluster-admin`). `None`: any object.
    pub name: Option<&'static str>,
    pub at: At,
}

impl Ask {
    /// A request for any object (no name) in the grant's namespace.
    pub(super) const fn ns(verb: &'static str, group: &'static str, resource: &'static str) -> Ask {
        Ask {
            verb,
            group,
            resource,
            sub: None,
            name: None,
            at: At::Namespaced,
        }
    }

    /// A request for any object of a cluster-scoped resource.
    pub(super) const fn cluster(
        verb: &'static str,
        group: &'static str,
        resource: &'static str,
    ) -> Ask {
        Ask {
            at: At::ClusterScoped,
            ..Ask::ns(verb, group, resource)
        }
    }

    pub(super) const fn sub(self, sub: &'static str) -> Ask {
        Ask {
            sub: Some(sub),
            ..self
        }
    }

    pub(super) const fn named(self, name: &'static str) -> Ask {
        Ask {
            name: Some(name),
            ..self
        }
    }

    pub(super) const fn at(self, at: At) -> Ask {
        Ask { at, ..self }
    }

    /// The request this ask makes for a grant at `target`; `None` when the grant cannot reach
    /// it (a RoleBinding and a cluster-scoped resource, or another namespace).
    pub(super) fn request(&self, target: Target<'_>) -> Option<Request> {
        let (namespace, name): (Option<&str>, Option<&str>) = match (self.at, target) {
            (At::Namespaced, Target::Cluster) => (None, self.name),
            (At::Namespaced, Target::Namespace(ns)) => (Some(ns), self.name),
            (At::ClusterScoped, Target::Cluster) => (None, self.name),
            (At::ClusterScoped, Target::Namespace(_)) => return None,
            (At::OwnNamespace, Target::Cluster) => (None, self.name),
            (At::OwnNamespace, Target::Namespace(ns)) => (Some(ns), Some(ns)),
            (At::In(want), Target::Cluster) => (Some(want), self.name),
            (At::In(want), Target::Namespace(ns)) if ns == want => (Some(ns), self.name),
            (At::In(_), Target::Namespace(_)) => return None,
        };
        Some(Request::Resource {
            verb: self.verb.into(),
            group: self.group.into(),
            resource: self.resource.into(),
            subresource: self.sub.map(Str::from),
            name: name.map(Str::from),
            namespace: namespace.map(Str::from),
        })
    }
}

/// A request only a rule with `*` verbs, `*` apiGroups and `*` resources (and no
/// `resourceNames`) allows: "everything" (cluster-admin and its equivalents).
pub(super) const EVERYTHING: Ask = Ask::ns("kubeward-any-verb", "kubeward.invalid", "kubeward-any");

/// [`EVERYTHING`], then each read and write verb on a resource of a group nobody names: a
/// role that allows all of the latter reads and writes every resource of every API group,
/// current and future (every secret, workload and RBAC object), which is cluster-admin in
/// all but name.
pub(super) static EVERYTHING_ASKS: [Ask; 8] = [
    EVERYTHING,
    Ask::ns("get", "kubeward.invalid", "kubeward-any"),
    Ask::ns("list", "kubeward.invalid", "kubeward-any"),
    Ask::ns("watch", "kubeward.invalid", "kubeward-any"),
    Ask::ns("create", "kubeward.invalid", "kubeward-any"),
    Ask::ns("update", "kubeward.invalid", "kubeward-any"),
    Ask::ns("patch", "kubeward.invalid", "kubeward-any"),
    Ask::ns("delete", "kubeward.invalid", "kubeward-any"),
];

/// Do [`EVERYTHING_ASKS`] allowed mean everything: `*` verbs, or every read and write verb?
pub(super) fn is_everything(a: &Allowed<'_>) -> bool {
    a.has(0) || (1..EVERYTHING_ASKS.len()).all(|i| a.has(i))
}

/// Kubernetes' `cluster-admin`: the API server restores its `*` rules at every start
/// (reconciliation of the default roles), whatever an input defines under that name.
pub(super) fn is_cluster_admin(r: &Role) -> bool {
    r.kind == RoleKind::ClusterRole && r.name == "cluster-admin"
}

/// Per ask, the first rule that allows it.
pub(super) type AllowedRules<'a> = Rc<[Option<&'a Rule>]>;

/// Which of a risk's asks a grant allows, each with the rule that allows it.
#[derive(Debug)]
pub(super) struct Allowed<'a> {
    /// The role whose rules are judged.
    pub role: &'a Role,
    pub asks: &'static [Ask],
    pub rules: AllowedRules<'a>,
    pub target: Target<'a>,
}

impl Allowed<'_> {
    /// Is ask `i` allowed?
    pub(super) fn has(&self, i: usize) -> bool {
        self.rules.get(i).is_some_and(Option::is_some)
    }

    /// Are any of `range` allowed?
    pub(super) fn any(&self, range: std::ops::Range<usize>) -> bool {
        range.into_iter().any(|i| self.has(i))
    }

    /// The allowed asks among `range`, verbs grouped by resource: `create pods,
    /// create/update/patch deployments`.
    pub(super) fn summary(&self, range: std::ops::Range<usize>) -> String {
        self.summary_of(range)
    }

    /// Like [`Allowed::summary`], of the asks `which`.
    pub(super) fn summary_of(&self, which: impl IntoIterator<Item = usize>) -> String {
        let mut groups: Vec<(String, Vec<&'static str>)> = Vec::new();
        for i in which {
            if !self.has(i) {
                continue;
            }
            let a = &self.asks[i];
            let mut what = a.resource.to_string();
            if let Some(s) = a.sub {
                what.push('/');
                what.push_str(s);
            }
            if let Some(n) = a.name {
                let _ = write!(what, " `{n}`");
            }
            match groups.iter_mut().find(|(w, _)| *w == what) {
                Some((_, verbs)) => {
                    if !verbs.contains(&a.verb) {
                        verbs.push(a.verb);
                    }
                }
                None => groups.push((what, vec![a.verb])),
            }
        }
        groups
            .iter()
            .map(|(what, verbs)| format!("{} {what}", verbs.join("/")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The allowed verbs of the asks in `range`, in order, without repeats.
    pub(super) fn verbs(&self, range: std::ops::Range<usize>) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Vec::new();
        for i in range {
            if self.has(i) && !v.contains(&self.asks[i].verb) {
                v.push(self.asks[i].verb);
            }
        }
        v
    }
}

/// What a grant that a judge found risky lets its subjects do.
#[derive(Debug)]
pub(super) struct Verdict {
    /// `read every secret (get, list, watch)`: completes "<subjects> can ...".
    pub what: String,
    /// Which asks to cite as evidence (their rules); empty: every allowed ask.
    pub cite: Vec<usize>,
    /// Appended to the message after the role (`: namespace shop enforces no ...`).
    pub note: String,
}

impl Verdict {
    pub(super) fn new(what: impl Into<String>) -> Verdict {
        Verdict {
            what: what.into(),
            cite: Vec::new(),
            note: String::new(),
        }
    }

    pub(super) fn note(self, note: impl Into<String>) -> Verdict {
        Verdict {
            note: note.into(),
            ..self
        }
    }
}

/// Context a judge may need besides the grant.
#[derive(Debug)]
pub(super) struct Env<'a> {
    pub analysis: &'a Analysis,
}

/// One RBAC risk: the requests that make it up and how to judge a grant.
#[derive(Debug)]
pub(super) struct Risk {
    pub asks: &'static [Ask],
    pub judge: fn(&Allowed<'_>, &Env<'_>) -> Option<Verdict>,
    /// Skip grants of everything (KW201 reports them once, instead of every rule).
    pub skip_everything: bool,
    /// Judge grants that allow none of the asks too (KW201: a binding to `cluster-admin`).
    pub always_judge: bool,
}

/// The RBAC of a snapshot, with what the rules need to report and to leave defaults alone.
#[derive(Debug)]
pub(crate) struct Analysis {
    pub rbac: Rbac,
    /// Per binding: one of Kubernetes' own (never reported).
    binding_default: Vec<bool>,
    /// Per role: some binding reaches it (directly, or through a role that aggregates it).
    role_bound: Vec<bool>,
    /// Per role: the aggregated ClusterRoles its labels feed.
    aggregated_into: Vec<Vec<usize>>,
    /// Per binding: the index of the role it refers to, when that exists.
    binding_role: Vec<Option<usize>>,
    /// Per role: its rules allow everything (KW201's), which other rules leave alone.
    everything: Vec<bool>,
    /// Namespaces of the snapshot and their `pod-security.kubernetes.io/enforce` label.
    pub namespaces: FxHashMap<Str, Option<Str>>,
}

impl Analysis {
    fn new(snapshot: &Snapshot) -> Analysis {
        // A scan keeps RBAC objects in compact form (`Keep::Rbac`); a snapshot built by hand
        // has them in `objects`.
        let rbac = match crate::scan::rbac_input(snapshot).and_then(|input| input.take()) {
            Some((roles, bindings)) => Rbac::from_parts(roles, bindings, true),
            None => Rbac::new(snapshot.objects.iter().filter(|o| is_rbac(o))),
        };
        let binding_default = rbac
            .bindings
            .iter()
            .map(|b| is_default_binding(b, b.source.is_some()))
            .collect();
        let binding_role: Vec<Option<usize>> = rbac
            .bindings
            .iter()
            .map(|b| rbac.role_of(b).map(|r| role_index(&rbac, r)))
            .collect();
        // Aggregation: which aggregated roles each ClusterRole feeds.
        let mut aggregated_into = vec![Vec::new(); rbac.roles.len()];
        for (i, agg) in rbac.roles.iter().enumerate() {
            let Some(selectors) = &agg.aggregation else {
                continue;
            };
            for (j, r) in rbac.roles.iter().enumerate() {
                if i != j
                    && r.kind == RoleKind::ClusterRole
                    && selectors.iter().any(|s| s.matches(&r.labels))
                {
                    aggregated_into[j].push(i);
                }
            }
        }
        let mut role_bound = vec![false; rbac.roles.len()];
        for r in binding_role.iter().flatten() {
            role_bound[*r] = true;
        }
        // A role is reached when a role it feeds is, to a fixed point (edit feeds admin).
        for _ in 0..rbac.roles.len().min(64) {
            let mut changed = false;
            for j in 0..rbac.roles.len() {
                if !role_bound[j] && aggregated_into[j].iter().any(|&i| role_bound[i]) {
                    role_bound[j] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let namespaces = snapshot
            .objects
            .iter()
            .filter(|o| o.builtin && o.kind == "Namespace")
            .map(|o| {
                (
                    o.name.clone(),
                    o.label("pod-security.kubernetes.io/enforce").map(Str::from),
                )
            })
            .collect();
        // Whether a rule allows a request does not depend on where it is granted: only
        // whether the binding reaches it does, and the "everything" request is namespaced.
        let everything = rbac
            .roles
            .iter()
            .map(|r| is_cluster_admin(r) || allows_everything(r, false))
            .collect();
        Analysis {
            rbac,
            everything,
            binding_default,
            role_bound,
            aggregated_into,
            binding_role,
            namespaces,
        }
    }

    /// The bindings rules judge: not Kubernetes' own, in the input, with a role and subjects;
    /// each with its role, the role's index and the binding's object.
    pub(super) fn bindings(
        &self,
    ) -> impl Iterator<Item = (&Binding, &Role, usize, &Arc<ObjectRef>)> + '_ {
        self.rbac
            .bindings
            .iter()
            .enumerate()
            .filter(|(i, b)| !self.binding_default[*i] && !b.subjects.is_empty())
            .filter_map(|(i, b)| {
                let r = self.binding_role[i]?;
                let role = self.rbac.roles.get(r)?;
                let obj = b.source.as_ref()?;
                Some((b, role, r, obj))
            })
    }

    /// The bindings of the input that are not Kubernetes' own, whether or not their role
    /// exists, with their object.
    pub(super) fn user_bindings(
        &self,
    ) -> impl Iterator<Item = (&Binding, Option<&Role>, &Arc<ObjectRef>)> + '_ {
        self.rbac
            .bindings
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.binding_default[*i])
            .filter_map(|(i, b)| {
                let obj = b.source.as_ref()?;
                let role = self.binding_role[i].and_then(|r| self.rbac.roles.get(r));
                Some((b, role, obj))
            })
    }

    /// The roles of the input that nothing binds (and that are not Kubernetes' own), with
    /// their object and the aggregated roles they feed.
    pub(super) fn unbound_roles(
        &self,
    ) -> impl Iterator<Item = (&Role, &Arc<ObjectRef>, Vec<&Role>)> + '_ {
        self.rbac
            .roles
            .iter()
            .enumerate()
            .filter(|(i, r)| !r.default && !self.role_bound[*i] && !is_builtin_role(r))
            .filter_map(|(i, r)| {
                let obj = r.source.as_ref()?;
                let feeds = self.aggregated_into[i]
                    .iter()
                    .filter_map(|&j| self.rbac.roles.get(j))
                    .collect();
                Some((r, obj, feeds))
            })
    }

    /// The Pod Security level a namespace enforces: `Some(None)` when the Namespace is in the
    /// input without the label, `None` when it is not in the input.
    pub(super) fn pod_security(&self, ns: &str) -> Option<Option<&str>> {
        self.namespaces.get(ns).map(|l| l.as_deref())
    }
}

fn is_rbac(o: &Object) -> bool {
    o.builtin
        && matches!(
            o.kind.as_str(),
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
}

/// The index of a role of `rbac.roles` from a reference into it.
fn role_index(rbac: &Rbac, role: &Role) -> usize {
    let base = rbac.roles.as_ptr() as usize;
    (role as *const Role as usize - base) / std::mem::size_of::<Role>().max(1)
}

/// Kubernetes' defaults alone, indexed by name.
#[derive(Debug)]
struct Builtin {
    rbac: Rbac,
    /// (ClusterRoleBinding?, namespace, name) -> index in `rbac.bindings`.
    bindings: FxHashMap<(bool, Option<Str>, Str), usize>,
    /// (kind, namespace, name) of every default role.
    roles: rustc_hash::FxHashSet<(RoleKind, Option<Str>, Str)>,
}

fn builtin() -> &'static Builtin {
    static BUILTIN: OnceLock<Builtin> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let rbac = Rbac::new(std::iter::empty());
        let bindings = rbac
            .bindings
            .iter()
            .enumerate()
            .map(|(i, b)| ((b.cluster, b.namespace.clone(), b.name.clone()), i))
            .collect();
        let roles = rbac
            .roles
            .iter()
            .map(|r| (r.kind, r.namespace.clone(), r.name.clone()))
            .collect();
        Builtin {
            rbac,
            bindings,
            roles,
        }
    })
}

/// Kubernetes' own binding of the same kind, namespace and name as `b`.
fn builtin_binding(b: &Binding) -> Option<&'static Binding> {
    let d = builtin();
    let i = d
        .bindings
        .get(&(b.cluster, b.namespace.clone(), b.name.clone()))?;
    d.rbac.bindings.get(*i)
}

/// Is a role of the input one of Kubernetes' own by name (`admin`, `system:node`...)? One
/// that nothing binds is not reported: it is Kubernetes' role (the API server reconciles the
/// defaults at startup), and bindings to it are judged like any.
fn is_builtin_role(r: &Role) -> bool {
    builtin()
        .roles
        .contains(&(r.kind, r.namespace.clone(), r.name.clone()))
}

/// Is a binding one of Kubernetes' own defaults? Built-in ones are. One of the input that
/// carries `kubernetes.io/bootstrapping: rbac-defaults` (a live cluster's, or a snapshot's) is
/// when it matches the built-in binding of its name (same role, no subject the default lacks),
/// or, for one kubeward does not know (another Kubernetes version), when it binds a `system:`
/// role to `system:` users and groups and kube-system service accounts only. Anything else
/// wearing the label is judged like any binding: the label is not a licence.
fn is_default_binding(b: &Binding, in_input: bool) -> bool {
    if !b.default {
        return false;
    }
    if !in_input {
        return true;
    }
    match builtin_binding(b) {
        Some(d) => d.role_ref == b.role_ref && b.subjects.iter().all(|s| d.subjects.contains(s)),
        None => {
            b.role_ref.name.starts_with("system:")
                && b.subjects.iter().all(|s| match s {
                    Subject::User(n) | Subject::Group(n) => n.starts_with("system:"),
                    Subject::ServiceAccount { namespace, .. } => namespace == KUBE_SYSTEM,
                })
        }
    }
}

/// The analysis of `snapshot`, computed once for all RBAC rules of a scan (the snapshot's memo).
pub(crate) fn analysis(snapshot: &Snapshot) -> Arc<Analysis> {
    snapshot
        .memo
        .get_or_init("kubeward-rules/rbac", || Analysis::new(snapshot))
}

/// Which of `asks` a role allows at `target`, each with the first rule that allows it.
pub(super) fn allowed<'a>(
    role: &'a Role,
    asks: &'static [Ask],
    target: Target<'a>,
    own_rules_only: bool,
) -> Allowed<'a> {
    let rules: AllowedRules<'_> = asks
        .iter()
        .map(|ask| {
            let req = ask.request(target)?;
            role.rules
                .iter()
                .filter(|r| !own_rules_only || r.origin.role == role.name)
                .find(|r| kubeward_rbac::rule_allows(r, &req))
        })
        .collect();
    Allowed {
        role,
        asks,
        rules,
        target,
    }
}

/// Does a role grant everything (see [`EVERYTHING_ASKS`])? Where it is granted does not
/// matter: the requests are namespaced, and rules do not depend on the namespace.
pub(super) fn allows_everything(role: &Role, own_rules_only: bool) -> bool {
    is_everything(&allowed(
        role,
        &EVERYTHING_ASKS,
        Target::Cluster,
        own_rules_only,
    ))
}

/// The target of a binding.
pub(super) fn target_of(b: &Binding) -> Target<'_> {
    match &b.namespace {
        Some(ns) => Target::Namespace(ns),
        None => Target::Cluster,
    }
}

/// `ServiceAccount `shop/ci``, `User `alice``, `Group `devs``.
pub(super) fn subject_text(s: &Subject) -> String {
    match s {
        Subject::User(u) => format!("User `{u}`"),
        Subject::Group(g) => format!("Group `{g}`"),
        Subject::ServiceAccount { namespace, name } => {
            format!("ServiceAccount `{namespace}/{name}`")
        }
    }
}

/// Subjects for a message: up to three, then how many more.
pub(super) fn subjects_text(subjects: &[&Subject]) -> String {
    let mut parts: Vec<String> = subjects.iter().take(3).map(|s| subject_text(s)).collect();
    if subjects.len() > 3 {
        parts.push(format!("{} more", subjects.len() - 3));
    }
    list(&parts)
}

/// Kubernetes' own binding of the same name, kind, namespace and role as `b`, if any.
fn default_twin(b: &Binding) -> Option<&'static Binding> {
    builtin_binding(b).filter(|d| d.role_ref == b.role_ref)
}

/// The subjects a binding of the input adds: all of them, except for a binding that is one of
/// Kubernetes' own with subjects added (a tampered `cluster-admin` binding), whose default
/// subjects are by design.
fn added_subjects(b: &Binding) -> (Vec<&Subject>, bool) {
    match default_twin(b) {
        Some(d) => (
            b.subjects
                .iter()
                .filter(|s| !d.subjects.contains(s))
                .collect(),
            true,
        ),
        None => (b.subjects.iter().collect(), false),
    }
}

/// `ClusterRole `edit``, `Role `deployer``.
pub(super) fn role_text(r: &Role) -> String {
    format!("{} `{}`", r.kind.as_str(), r.name)
}

/// The evidence of a grant: each cited rule once, as `Grant::evidence` writes it.
fn binding_evidence(b: &Binding, role: &Role, allowed: &Allowed<'_>, cite: &[usize]) -> String {
    let scope = match &b.namespace {
        Some(ns) => Scope::Namespace(ns.clone()),
        None => Scope::Cluster,
    };
    let mut seen: Vec<*const Rule> = Vec::new();
    let mut parts = Vec::new();
    let mut rules = cited(allowed, cite);
    // In the role's order.
    rules.sort_by_key(|r| {
        role.rules
            .iter()
            .position(|x| std::ptr::eq(x, *r))
            .unwrap_or(usize::MAX)
    });
    for rule in rules {
        if seen.contains(&(rule as *const Rule)) {
            continue;
        }
        seen.push(rule);
        let Some(subject) = b.subjects.first() else {
            continue;
        };
        let g = Grant {
            subject,
            binding: b,
            role,
            rule,
            scope: scope.clone(),
        };
        parts.push(g.evidence());
    }
    parts.join("; ")
}

/// The rules of the cited asks (every allowed ask when `cite` is empty).
fn cited<'a>(allowed: &Allowed<'a>, cite: &[usize]) -> Vec<&'a Rule> {
    let all: Vec<usize> = if cite.is_empty() {
        (0..allowed.rules.len()).collect()
    } else {
        cite.to_vec()
    };
    all.into_iter()
        .filter_map(|i| allowed.rules.get(i).copied().flatten())
        .collect()
}

/// Runs a risk over a snapshot: one finding per binding of the input that grants it (at
/// `/roleRef/name`), and one per role of the input that grants it but that nothing binds (at
/// the rule that grants it).
pub(super) fn check(snapshot: &Snapshot, cx: &mut Cx<'_>, risk: &Risk) {
    let analysis = analysis(snapshot);
    let env = Env {
        analysis: &analysis,
    };
    // Many bindings share a role (edit, view, a chart's ClusterRole): which asks a role
    // allows is computed once per role and kind of grant. The namespace matters only to asks
    // tied to one namespace (kube-system, a Namespace object).
    let by_namespace = risk
        .asks
        .iter()
        .any(|a| matches!(a.at, At::In(_) | At::OwnNamespace));
    let mut memo: FxHashMap<(usize, Option<&str>, bool), AllowedRules<'_>> = FxHashMap::default();
    for (b, role, r, obj) in analysis.bindings() {
        cx.evaluated(1);
        let target = target_of(b);
        if risk.skip_everything && analysis.everything.get(r).copied().unwrap_or(false) {
            continue;
        }
        let key = match target {
            Target::Cluster => (r, None, true),
            Target::Namespace(ns) => (r, by_namespace.then_some(ns), false),
        };
        let rules = memo
            .entry(key)
            .or_insert_with(|| allowed(role, risk.asks, target, false).rules)
            .clone();
        if !risk.always_judge && rules.iter().all(Option::is_none) {
            continue;
        }
        let allowed = Allowed {
            role,
            asks: risk.asks,
            rules,
            target,
        };
        let (subjects, twin) = added_subjects(b);
        if subjects.is_empty() {
            continue;
        }
        let Some(verdict) = (risk.judge)(&allowed, &env) else {
            continue;
        };
        let mut message = format!(
            "{} can {} {} through {}{}",
            subjects_text(&subjects),
            verdict.what,
            target.describe(),
            role_text(role),
            verdict.note
        );
        if twin {
            message.push_str(&format!(
                " (added to Kubernetes' own binding `{}`, which does not grant it to them)",
                b.name
            ));
        }
        let mut evidence = binding_evidence(b, role, &allowed, &verdict.cite);
        if evidence.is_empty() {
            evidence = format!("{} -> {}", b.display(), role.display());
        }
        cx.report_located(obj, b.role_ref_pos, "/roleRef/name", message)
            .evidence(evidence);
    }
    for (role, obj, feeds) in analysis.unbound_roles() {
        cx.evaluated(1);
        let target = match (&role.kind, &role.namespace) {
            (RoleKind::Role, Some(ns)) => Target::Namespace(ns),
            _ => Target::Cluster,
        };
        if risk.skip_everything && allows_everything(role, true) {
            continue;
        }
        let allowed = allowed(role, risk.asks, target, true);
        if !risk.always_judge && allowed.rules.iter().all(Option::is_none) {
            continue;
        }
        let Some(verdict) = (risk.judge)(&allowed, &env) else {
            continue;
        };
        let mut rules = cited(&allowed, &verdict.cite);
        rules.sort_by_key(|r| r.origin.index);
        let first = rules.first().map(|r| r.origin.index);
        let ptr = first
            .map(|i| format!("/rules/{i}"))
            .unwrap_or_else(|| "/rules".to_string());
        let pos = first
            .and_then(|i| role.rule_pos.get(i as usize).copied())
            .unwrap_or(kubeward_core::Pos::UNKNOWN);
        let scope = match target {
            Target::Namespace(_) => format!(" {}", target.describe()),
            Target::Cluster => String::new(),
        };
        let mut message = format!(
            "{} lets whoever it is bound to {}{scope}{}; nothing in the input binds it",
            role_text(role),
            verdict.what,
            verdict.note
        );
        if !feeds.is_empty() {
            let names: Vec<String> = feeds.iter().map(|r| role_text(r)).collect();
            let _ = write!(
                message,
                ", but its labels aggregate it into {}, so whoever is bound to {} can too",
                names.join(", "),
                if feeds.len() == 1 {
                    "that role"
                } else {
                    "those roles"
                }
            );
        }
        let mut evidence = String::new();
        let mut seen: Vec<u32> = Vec::new();
        for r in rules {
            if seen.contains(&r.origin.index) {
                continue;
            }
            seen.push(r.origin.index);
            if !evidence.is_empty() {
                evidence.push_str("; ");
            }
            let _ = write!(evidence, "rules[{}]: {}", r.origin.index, r.describe());
        }
        cx.report_located(obj, pos, ptr, message).evidence(evidence);
    }
}

/// `a, b and c`.
pub(super) fn list(items: &[impl AsRef<str>]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// A risk in who a binding names rather than in what it grants.
#[derive(Debug)]
pub(super) struct SubjectRisk {
    /// Is the subject entry (`kind`, `name`) the risk?
    pub matches: fn(&str, &str) -> bool,
    /// Roles that are fine to bind to those subjects (Kubernetes' discovery roles).
    pub exempt: fn(&Role) -> bool,
    /// The message for one subject entry.
    pub message: fn(&SubjectHit<'_>) -> String,
}

/// One subject entry of a binding that a [`SubjectRisk`] matches.
#[derive(Debug)]
pub(super) struct SubjectHit<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    /// `ClusterRole `view`` (also when the role is not in the input).
    pub role_text: String,
    /// `cluster-wide`, `in namespace shop`.
    pub scope: String,
    /// What the role grants, in a few words: `everything`, `its 3 rules`.
    pub grants: String,
}

/// The default roles Kubernetes binds to every authenticated user: API discovery,
/// self-review, version and health, service-account issuer discovery.
pub(super) fn is_discovery_role(r: &Role) -> bool {
    r.default
        && r.kind == RoleKind::ClusterRole
        && matches!(
            r.name.as_str(),
            "system:discovery"
                | "system:basic-user"
                | "system:public-info-viewer"
                | "system:service-account-issuer-discovery"
        )
}

/// The default roles fine for anonymous users: version and health (bound to
/// `system:unauthenticated` by default), and service-account issuer discovery (which the
/// Kubernetes docs suggest binding to it to publish the OIDC documents). Discovery itself has
/// not been granted to anonymous users since Kubernetes 1.14.
pub(super) fn is_public_role(r: &Role) -> bool {
    r.default
        && r.kind == RoleKind::ClusterRole
        && matches!(
            r.name.as_str(),
            "system:public-info-viewer" | "system:service-account-issuer-discovery"
        )
}

/// Runs a subject risk: one finding per matching subject entry of each binding of the input
/// that is not Kubernetes' own, at the entry.
pub(super) fn check_subjects(snapshot: &Snapshot, cx: &mut Cx<'_>, risk: &SubjectRisk) {
    let analysis = analysis(snapshot);
    for (b, role, obj) in analysis.user_bindings() {
        cx.evaluated(1);
        if role.is_some_and(risk.exempt) {
            continue;
        }
        let target = target_of(b);
        // A binding of the input that Kubernetes also creates (a tampered `cluster-admin`
        // binding, say): the subjects the default has are not this binding's doing.
        let default = default_twin(b);
        for entry in &b.subject_entries {
            let (i, kind, name) = (entry.index, entry.kind.as_str(), entry.name.as_str());
            if !(risk.matches)(kind, name) {
                continue;
            }
            let subject = match kind {
                "User" => Some(Subject::User(name.into())),
                "Group" => Some(Subject::Group(name.into())),
                _ => None,
            };
            if let (Some(d), Some(s)) = (default, &subject)
                && d.subjects.contains(s)
            {
                continue;
            }
            let role_text = match role {
                Some(r) => role_text(r),
                None => format!("{} `{}`", b.role_ref.kind.as_str(), b.role_ref.name),
            };
            let grants = match role {
                None => format!("whatever {role_text} grants (it is not in the input)"),
                Some(r) if is_cluster_admin(r) || allows_everything(r, false) => {
                    format!("everything, through {role_text},")
                }
                Some(r) if r.rules.is_empty() => format!("{role_text}, which has no rules yet,"),
                Some(r) => format!(
                    "what {role_text} grants ({} rule{})",
                    r.rules.len(),
                    if r.rules.len() == 1 { "" } else { "s" }
                ),
            };
            let hit = SubjectHit {
                kind,
                name,
                role_text: role_text.clone(),
                scope: target.describe(),
                grants,
            };
            let message = (risk.message)(&hit);
            let mut evidence = format!(
                "subjects[{i}]: {kind} {name}; roleRef: {} {}",
                b.role_ref.kind.as_str(),
                b.role_ref.name
            );
            match role {
                None => evidence.push_str(" (not in the input)"),
                Some(r) if r.rules.len() <= 2 => {
                    let shown: Vec<String> = r.rules.iter().map(Rule::describe).collect();
                    if !shown.is_empty() {
                        let _ = write!(evidence, ": {}", shown.join("; "));
                    }
                }
                Some(r) => {
                    let _ = write!(evidence, " ({} rules)", r.rules.len());
                }
            }
            cx.report_located(obj, entry.pos, format_args!("/subjects/{i}"), message)
                .evidence(evidence);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns_of(r: &Request) -> (Option<&str>, Option<&str>) {
        match r {
            Request::Resource {
                namespace, name, ..
            } => (namespace.as_deref(), name.as_deref()),
            Request::NonResource { .. } => (None, None),
        }
    }

    #[test]
    fn asks_become_the_requests_a_grant_can_reach() {
        let pods = Ask::ns("create", "", "pods");
        let req = pods.request(Target::Namespace("dev")).unwrap();
        assert_eq!(ns_of(&req), (Some("dev"), None));
        assert_eq!(ns_of(&pods.request(Target::Cluster).unwrap()), (None, None));
        // Cluster-scoped resources: only through ClusterRoleBindings.
        let nodes = Ask::cluster("patch", "", "nodes");
        assert!(nodes.request(Target::Namespace("dev")).is_none());
        assert!(nodes.request(Target::Cluster).is_some());
        // A RoleBinding in dev reaches the Namespace dev itself, by name.
        let own = Ask::ns("patch", "", "namespaces").at(At::OwnNamespace);
        let req = own.request(Target::Namespace("dev")).unwrap();
        assert_eq!(ns_of(&req), (Some("dev"), Some("dev")));
        // Asks tied to kube-system: a RoleBinding there, or a ClusterRoleBinding.
        let ks = Ask::ns("create", "", "secrets").at(At::In(KUBE_SYSTEM));
        assert!(ks.request(Target::Namespace("dev")).is_none());
        assert_eq!(
            ns_of(&ks.request(Target::Namespace(KUBE_SYSTEM)).unwrap()),
            (Some(KUBE_SYSTEM), None)
        );
        assert_eq!(
            ns_of(&ks.request(Target::Cluster).unwrap()),
            (Some(KUBE_SYSTEM), None)
        );
    }

    fn binding(name: &str, role: &str, subjects: Vec<Subject>, default: bool) -> Binding {
        Binding {
            cluster: true,
            namespace: None,
            name: name.into(),
            role_ref: kubeward_rbac::RoleRef {
                kind: RoleKind::ClusterRole,
                name: role.into(),
            },
            subjects,
            source: None,
            default,
            role_ref_pos: kubeward_core::Pos::UNKNOWN,
            subject_entries: Vec::new(),
        }
    }

    #[test]
    fn only_kubernetes_own_bindings_are_defaults() {
        let masters = Subject::Group("system:masters".into());
        let mallory = Subject::User("mallory".into());
        // Built in: always.
        assert!(is_default_binding(
            &binding(
                "cluster-admin",
                "cluster-admin",
                vec![masters.clone()],
                true
            ),
            false
        ));
        // In the input with the label and the default's subjects.
        assert!(is_default_binding(
            &binding(
                "cluster-admin",
                "cluster-admin",
                vec![masters.clone()],
                true
            ),
            true
        ));
        // With a subject added, or another role, or without the label: not Kubernetes' own.
        assert!(!is_default_binding(
            &binding(
                "cluster-admin",
                "cluster-admin",
                vec![masters.clone(), mallory.clone()],
                true
            ),
            true
        ));
        assert!(!is_default_binding(
            &binding("cluster-admin", "edit", vec![masters.clone()], true),
            true
        ));
        assert!(!is_default_binding(
            &binding("cluster-admin", "cluster-admin", vec![masters], false),
            true
        ));
        // A labelled binding kubeward does not know: system roles to system identities only.
        let ctrl = Subject::ServiceAccount {
            namespace: KUBE_SYSTEM.into(),
            name: "future-controller".into(),
        };
        assert!(is_default_binding(
            &binding(
                "system:controller:future",
                "system:controller:future",
                vec![ctrl.clone()],
                true
            ),
            true
        ));
        assert!(!is_default_binding(
            &binding(
                "system:controller:future",
                "cluster-admin",
                vec![ctrl],
                true
            ),
            true
        ));
        assert!(!is_default_binding(
            &binding(
                "system:controller:future",
                "system:controller:future",
                vec![mallory],
                true
            ),
            true
        ));
    }

    #[test]
    fn subject_lists_stay_short() {
        let users: Vec<Subject> = (0..5)
            .map(|i| Subject::User(format!("u{i}").into()))
            .collect();
        let refs: Vec<&Subject> = users.iter().collect();
        assert_eq!(subjects_text(&refs[..1]), "User `u0`");
        assert_eq!(subjects_text(&refs[..2]), "User `u0` and User `u1`");
        assert_eq!(
            subjects_text(&refs),
            "User `u0`, User `u1`, User `u2` and 2 more"
        );
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
    }
}
