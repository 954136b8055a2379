//! Permission sets and the edges RBAC gives them.
//!
//! Each role is evaluated once against a fixed set of technique requests ([`Caps`], with
//! `rule_allows`, the evaluator's own rule matcher); each binding's scope is decided by the
//! evaluator's `binding_reaches`; a permission set's edges combine the two. Rules limited by
//! `resourceNames` are evaluated name by name against the names they list.

use super::build::{Builder, ListKey, Placement};
use super::{EvidenceItem, TargetClass, Technique, VertexKind};
use crate::eval::{
    Grant, Request, Scope, binding_reaches, implied_groups, rule_allows, subject_covers,
};
use crate::model::{Binding, Role, RoleKind, RoleRef, Rule, RuleOrigin, Subject};
use kubeward_core::Str;
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

/// One technique request, without name and namespace.
#[derive(Debug, Clone, Copy)]
struct Probe {
    verbs: &'static [&'static str],
    group: &'static str,
    resource: &'static str,
    sub: Option<&'static str>,
}

impl Probe {
    const fn new(
        verbs: &'static [&'static str],
        group: &'static str,
        resource: &'static str,
        sub: Option<&'static str>,
    ) -> Probe {
        Probe {
            verbs,
            group,
            resource,
            sub,
        }
    }

    fn request(&self, verb: &str, name: Option<&str>, namespace: Option<&str>) -> Request {
        Request::Resource {
            verb: verb.into(),
            group: self.group.into(),
            resource: self.resource.into(),
            subresource: self.sub.map(Str::from),
            name: name.map(Str::from),
            namespace: namespace.map(Str::from),
        }
    }
}

const CREATE: &[&str] = &["create"];
const PATCH: &[&str] = &["patch", "update"];
const UPDATE: &[&str] = &["update", "patch"];
const WRITE: &[&str] = &["create", "update", "patch"];

/// POD_CREATE: KubeHound's resources (pods and every pod controller).
const POD_CREATE: [Probe; 8] = [
    Probe::new(CREATE, "", "pods", None),
    Probe::new(CREATE, "apps", "deployments", None),
    Probe::new(CREATE, "apps", "daemonsets", None),
    Probe::new(CREATE, "apps", "statefulsets", None),
    Probe::new(CREATE, "apps", "replicasets", None),
    Probe::new(CREATE, "", "replicationcontrollers", None),
    Probe::new(CREATE, "batch", "jobs", None),
    Probe::new(CREATE, "batch", "cronjobs", None),
];
const EXEC: Probe = Probe::new(CREATE, "", "pods", Some("exec"));
const ATTACH: Probe = Probe::new(CREATE, "", "pods", Some("attach"));
/// POD_PATCH: the resource, and the workload kinds patching it reaches (empty: all).
const POD_PATCH: [(Probe, &[&str]); 9] = [
    (Probe::new(PATCH, "", "pods", None), &[]),
    (
        Probe::new(PATCH, "", "pods", Some("ephemeralcontainers")),
        &[],
    ),
    (
        Probe::new(PATCH, "apps", "deployments", None),
        &["Deployment"],
    ),
    (
        Probe::new(PATCH, "apps", "statefulsets", None),
        &["StatefulSet"],
    ),
    (
        Probe::new(PATCH, "apps", "daemonsets", None),
        &["DaemonSet"],
    ),
    (
        Probe::new(PATCH, "apps", "replicasets", None),
        &["ReplicaSet"],
    ),
    (
        Probe::new(PATCH, "", "replicationcontrollers", None),
        &["ReplicationController"],
    ),
    (Probe::new(PATCH, "batch", "jobs", None), &["Job"]),
    (Probe::new(PATCH, "batch", "cronjobs", None), &["CronJob"]),
];
const SECRETS_GET: Probe = Probe::new(&["get"], "", "secrets", None);
const SECRETS_LIST: Probe = Probe::new(&["list", "watch"], "", "secrets", None);
const SA_TOKEN: Probe = Probe::new(CREATE, "", "serviceaccounts", Some("token"));
const IMP_USERS: Probe = Probe::new(&["impersonate"], "", "users", None);
const IMP_GROUPS: Probe = Probe::new(&["impersonate"], "", "groups", None);
const IMP_SAS: Probe = Probe::new(&["impersonate"], "", "serviceaccounts", None);
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const BIND_CR: Probe = Probe::new(&["bind"], RBAC_GROUP, "clusterroles", None);
const BIND_R: Probe = Probe::new(&["bind"], RBAC_GROUP, "roles", None);
const CREATE_CRB: Probe = Probe::new(CREATE, RBAC_GROUP, "clusterrolebindings", None);
const CREATE_RB: Probe = Probe::new(CREATE, RBAC_GROUP, "rolebindings", None);
const ESC_CR: Probe = Probe::new(&["escalate"], RBAC_GROUP, "clusterroles", None);
const ESC_R: Probe = Probe::new(&["escalate"], RBAC_GROUP, "roles", None);
const UPD_CR: Probe = Probe::new(UPDATE, RBAC_GROUP, "clusterroles", None);
const UPD_R: Probe = Probe::new(UPDATE, RBAC_GROUP, "roles", None);
const NODE_PROXY: Probe = Probe::new(&["get", "create"], "", "nodes", Some("proxy"));
const CSR_GROUP: &str = "certificates.k8s.io";
const CSR_CREATE: Probe = Probe::new(CREATE, CSR_GROUP, "certificatesigningrequests", None);
const CSR_APPROVAL: Probe = Probe::new(
    &["update"],
    CSR_GROUP,
    "certificatesigningrequests",
    Some("approval"),
);
const SIGNER: Probe = Probe::new(&["approve"], CSR_GROUP, "signers", None);
/// The signer names the API server checks `approve` against for client certificates.
const SIGNER_NAMES: [&str; 2] = ["kubernetes.io/kube-apiserver-client", "kubernetes.io/*"];
const WEBHOOK: Probe = Probe::new(
    WRITE,
    "admissionregistration.k8s.io",
    "mutatingwebhookconfigurations",
    None,
);
const STAR: Probe = Probe::new(&["*"], "*", "*", None);
const POD_LOGS: Probe = Probe::new(&["get"], "", "pods", Some("log"));

/// The rule (index in the role) and verb that allow a probe.
#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: usize,
    verb: &'static str,
}

/// Which names a role allows a probe for.
#[derive(Debug, Clone, Default)]
enum Allowed {
    #[default]
    No,
    /// Any name (a rule without `resourceNames`).
    Any(Hit),
    /// Only these (the `resourceNames` of the rules that allow it).
    Names(Vec<(Str, Hit)>),
}

impl Allowed {
    fn is_no(&self) -> bool {
        matches!(self, Allowed::No)
    }

    /// The rule allowing the probe for `name`.
    fn hit_for(&self, name: &str) -> Option<Hit> {
        match self {
            Allowed::No => None,
            Allowed::Any(h) => Some(*h),
            Allowed::Names(list) => list.iter().find(|(n, _)| n == name).map(|(_, h)| *h),
        }
    }

    /// Any rule allowing it for some name.
    fn any_hit(&self) -> Option<Hit> {
        match self {
            Allowed::No => None,
            Allowed::Any(h) => Some(*h),
            Allowed::Names(list) => list.first().map(|(_, h)| *h),
        }
    }
}

/// Does `role` allow `p`, for which names?
fn check(role: &Role, p: &Probe) -> Allowed {
    for verb in p.verbs {
        let req = p.request(verb, None, None);
        if let Some(rule) = role.rules.iter().position(|r| rule_allows(r, &req)) {
            return Allowed::Any(Hit { rule, verb });
        }
    }
    let mut names: Vec<&Str> = role
        .rules
        .iter()
        .flat_map(|r| r.resource_names.iter())
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        for verb in p.verbs {
            let req = p.request(verb, Some(name), None);
            if let Some(rule) = role.rules.iter().position(|r| rule_allows(r, &req)) {
                out.push((name.clone(), Hit { rule, verb }));
                break;
            }
        }
    }
    if out.is_empty() {
        Allowed::No
    } else {
        Allowed::Names(out)
    }
}

/// `check` for a request without a name (`create`, `list`): only `Any` can allow it.
fn check_unnamed(role: &Role, p: &Probe) -> Option<Hit> {
    match check(role, p) {
        Allowed::Any(h) => Some(h),
        _ => None,
    }
}

/// What a role allows, for every technique request.
#[derive(Debug, Default)]
struct Caps {
    star: Option<Hit>,
    pod_create: Option<(Hit, Probe)>,
    exec: Allowed,
    attach: Allowed,
    patch: Vec<(Probe, &'static [&'static str], Allowed)>,
    secrets_get: Allowed,
    secrets_list: Option<Hit>,
    sa_token: Allowed,
    imp_users: Allowed,
    imp_groups: Allowed,
    imp_sas: Allowed,
    bind_cr: Allowed,
    bind_r: Allowed,
    create_crb: Option<Hit>,
    create_rb: Option<Hit>,
    esc_cr: Allowed,
    esc_r: Allowed,
    upd_cr: Allowed,
    upd_r: Allowed,
    node_proxy: Allowed,
    csr_create: Option<Hit>,
    csr_approval: Allowed,
    signer: Option<(Hit, &'static str)>,
    webhook: Allowed,
}

impl Caps {
    fn of(role: &Role) -> Caps {
        let signer = SIGNER_NAMES.iter().find_map(|name| {
            let req = SIGNER.request("approve", Some(name), None);
            role.rules
                .iter()
                .position(|r| rule_allows(r, &req))
                .map(|rule| {
                    (
                        Hit {
                            rule,
                            verb: "approve",
                        },
                        *name,
                    )
                })
        });
        Caps {
            star: check_unnamed(role, &STAR),
            pod_create: POD_CREATE
                .iter()
                .find_map(|p| check_unnamed(role, p).map(|h| (h, *p))),
            exec: check(role, &EXEC),
            attach: check(role, &ATTACH),
            patch: POD_PATCH
                .iter()
                .map(|(p, kinds)| (*p, *kinds, check(role, p)))
                .filter(|(_, _, a)| !a.is_no())
                .collect(),
            secrets_get: check(role, &SECRETS_GET),
            secrets_list: check_unnamed(role, &SECRETS_LIST),
            sa_token: check(role, &SA_TOKEN),
            imp_users: check(role, &IMP_USERS),
            imp_groups: check(role, &IMP_GROUPS),
            imp_sas: check(role, &IMP_SAS),
            bind_cr: check(role, &BIND_CR),
            bind_r: check(role, &BIND_R),
            create_crb: check_unnamed(role, &CREATE_CRB),
            create_rb: check_unnamed(role, &CREATE_RB),
            esc_cr: check(role, &ESC_CR),
            esc_r: check(role, &ESC_R),
            upd_cr: check(role, &UPD_CR),
            upd_r: check(role, &UPD_R),
            node_proxy: check(role, &NODE_PROXY),
            csr_create: check_unnamed(role, &CSR_CREATE),
            csr_approval: check(role, &CSR_APPROVAL),
            signer,
            webhook: check(role, &WEBHOOK),
        }
    }

    /// Does the role give any technique at all? (Roles that do not are not worth binding.)
    fn useful(&self) -> bool {
        self.star.is_some()
            || self.pod_create.is_some()
            || !self.exec.is_no()
            || !self.attach.is_no()
            || !self.patch.is_empty()
            || !self.secrets_get.is_no()
            || self.secrets_list.is_some()
            || !self.sa_token.is_no()
            || !self.imp_users.is_no()
            || !self.imp_sas.is_no()
            || (!self.bind_cr.is_no() || !self.bind_r.is_no())
                && (self.create_crb.is_some() || self.create_rb.is_some())
            || !self.esc_cr.is_no()
            || !self.esc_r.is_no()
            || !self.node_proxy.is_no()
            || (self.csr_create.is_some() && self.signer.is_some())
            || !self.webhook.is_no()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RoleId {
    Real(usize),
    Virtual(usize),
}

#[derive(Debug, Clone, Copy)]
enum BindingId {
    Real(usize),
    Virtual(usize),
}

/// Where a permission set applies to namespaced resources.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NsScope {
    All,
    One(Str),
}

impl NsScope {
    fn contains(&self, ns: &str) -> bool {
        match self {
            NsScope::All => true,
            NsScope::One(n) => n == ns,
        }
    }

    fn request_ns(&self) -> Option<&str> {
        match self {
            NsScope::All => None,
            NsScope::One(n) => Some(n),
        }
    }
}

/// The scope of a binding an attacker would create.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NewScope {
    Cluster,
    /// A RoleBinding in every namespace.
    EveryNamespace,
    Namespace(Str),
}

#[derive(Debug, Clone)]
struct PermSet {
    vertex: u32,
    binding: BindingId,
    role: RoleId,
    /// Namespaced resources: where.
    ns: Option<NsScope>,
    /// Cluster-scoped resources.
    cluster: bool,
    /// The "any permission in a namespace" set of ROLE_ESCALATE.
    admin_ns: bool,
    critical: bool,
}

/// A borrowed or owned value.
enum Handle<'r, T> {
    Borrowed(&'r T),
    Owned(Rc<T>),
}

impl<T> Deref for Handle<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Handle::Borrowed(t) => t,
            Handle::Owned(t) => t,
        }
    }
}

/// RBAC state of a build.
struct Rb<'r> {
    roles: &'r [Role],
    bindings: &'r [Binding],
    role_index: FxHashMap<(RoleKind, Option<Str>, Str), usize>,
    virtual_roles: Vec<Rc<Role>>,
    virtual_bindings: Vec<Rc<Binding>>,
    caps: FxHashMap<RoleId, Rc<Caps>>,
    permsets: Vec<PermSet>,
    new_permsets: FxHashMap<(RoleId, NewScope), usize>,
    admin_roles: FxHashMap<Str, usize>,
    /// The roles bindings resolve to (the first of duplicates), by kind, and Roles by name.
    cluster_roles: Vec<usize>,
    ns_roles: Vec<usize>,
    roles_by_name: FxHashMap<Str, Vec<usize>>,
}

impl<'r> Rb<'r> {
    fn role(&self, id: RoleId) -> Handle<'r, Role> {
        match id {
            RoleId::Real(i) => Handle::Borrowed(&self.roles[i]),
            RoleId::Virtual(i) => Handle::Owned(self.virtual_roles[i].clone()),
        }
    }

    fn binding(&self, id: BindingId) -> Handle<'r, Binding> {
        match id {
            BindingId::Real(i) => Handle::Borrowed(&self.bindings[i]),
            BindingId::Virtual(i) => Handle::Owned(self.virtual_bindings[i].clone()),
        }
    }

    fn caps(&mut self, id: RoleId) -> Rc<Caps> {
        if let Some(c) = self.caps.get(&id) {
            return c.clone();
        }
        let c = Rc::new(Caps::of(&self.role(id)));
        self.caps.insert(id, c.clone());
        c
    }

    /// The roles of `kind` in `scope` that `allowed` (a `bind` check) lets one bind, with the
    /// rule that allows it: by name when the rule names them, else every one.
    fn candidates(&self, allowed: &Allowed, kind: RoleKind, scope: &NsScope) -> Vec<(usize, Hit)> {
        let in_scope = |i: &usize| match (&self.roles[*i].namespace, scope) {
            (_, NsScope::All) => true,
            (Some(rns), NsScope::One(n)) => rns == n,
            (None, _) => true,
        };
        match allowed {
            Allowed::No => Vec::new(),
            Allowed::Any(h) => {
                let all = match kind {
                    RoleKind::ClusterRole => &self.cluster_roles,
                    RoleKind::Role => &self.ns_roles,
                };
                all.iter()
                    .filter(|i| in_scope(i))
                    .map(|&i| (i, *h))
                    .collect()
            }
            Allowed::Names(list) => {
                let mut out = Vec::new();
                for (name, h) in list {
                    match kind {
                        RoleKind::ClusterRole => {
                            if let Some(&i) = self.role_index.get(&(kind, None, name.clone())) {
                                out.push((i, *h));
                            }
                        }
                        RoleKind::Role => {
                            for &i in self.roles_by_name.get(name).into_iter().flatten() {
                                if in_scope(&i) {
                                    out.push((i, *h));
                                }
                            }
                        }
                    }
                }
                out
            }
        }
    }

    fn role_of(&self, b: &Binding) -> Option<usize> {
        let ns = match b.role_ref.kind {
            RoleKind::ClusterRole => None,
            RoleKind::Role => b.namespace.clone(),
        };
        self.role_index
            .get(&(b.role_ref.kind, ns, b.role_ref.name.clone()))
            .copied()
    }
}

/// Why an identity is in a group the API server implies.
fn group_membership(g: &str) -> String {
    match g {
        "system:authenticated" => "every authenticated user and service account is in it".into(),
        "system:unauthenticated" => "system:anonymous is in it".into(),
        "system:serviceaccounts" => "every service account is in it".into(),
        "system:nodes" => "every node identity is in it".into(),
        g => match g.strip_prefix("system:serviceaccounts:") {
            Some(ns) => format!("every service account of namespace {ns} is in it"),
            None => format!("member of {g}"),
        },
    }
}

/// Where a binding's source is.
fn source_of(b: &Binding) -> (Option<Arc<str>>, Option<u32>) {
    match &b.source {
        Some(r) => (Some(r.file.clone()), Some(r.pos.line).filter(|l| *l > 0)),
        None => (None, None),
    }
}

/// Evidence for a grant the evaluator returned.
pub(super) fn grant_item(req: &Request, g: &Grant<'_>) -> EvidenceItem {
    let (file, line) = source_of(g.binding);
    EvidenceItem::Grant {
        request: req.describe(),
        binding: g.binding.display(),
        role: g.role.display(),
        scope: g.scope.display(),
        text: g.evidence(),
        file,
        line,
    }
}

impl Builder<'_> {
    /// `get pods/log` for a service account in a namespace (CE_VAR_LOG_SYMLINK), through
    /// [`crate::Rbac::can`].
    pub(super) fn pods_log_grant(&mut self, sa: u32, ns: &str) -> Option<EvidenceItem> {
        if let Some(g) = self.log_grants.get(&sa) {
            return g.clone();
        }
        let rbac = self.rbac;
        if self.bindings_by_subject.is_empty() {
            for (i, b) in rbac.bindings.iter().enumerate() {
                for s in &b.subjects {
                    self.bindings_by_subject
                        .entry(s.clone())
                        .or_default()
                        .push(i);
                }
            }
        }
        let req = POD_LOGS.request("get", None, Some(ns));
        let subject = self
            .subject_of
            .get(&sa)
            .map(|&i| self.identity_list[i].1.clone());
        // `Rbac::can`, over the bindings that name the account or one of its groups.
        let found = subject.and_then(|subject| {
            let user = subject.user_name()?;
            let groups = implied_groups(&user);
            let mut candidates: Vec<usize> = groups
                .iter()
                .map(|g| Subject::Group(g.clone()))
                .chain([subject])
                .flat_map(|s| {
                    self.bindings_by_subject
                        .get(&s)
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            candidates.into_iter().find_map(|bi| {
                let binding = &rbac.bindings[bi];
                let role = rbac.role_of(binding)?;
                let scope = binding_reaches(binding, role, &req)?;
                let rule = role.rules.iter().find(|r| rule_allows(r, &req))?;
                let subject = binding
                    .subjects
                    .iter()
                    .find(|s| subject_covers(s, &user, &groups))?;
                Some(grant_item(
                    &req,
                    &Grant {
                        subject,
                        binding,
                        role,
                        rule,
                        scope,
                    },
                ))
            })
        });
        self.log_grants.insert(sa, found.clone());
        found
    }

    /// Members of a group the API server implies, among the identities of the graph.
    fn members(&self, group: &str) -> Vec<u32> {
        match group {
            "system:authenticated" => {
                let mut v = self.users.clone();
                v.extend(&self.all_sas);
                v
            }
            "system:unauthenticated" => vec![self.anonymous],
            "system:serviceaccounts" => self.all_sas.clone(),
            "system:nodes" => self.node_identities.clone(),
            g => match g.strip_prefix("system:serviceaccounts:") {
                Some(ns) => self.sas_by_ns.get(ns).cloned().unwrap_or_default(),
                None => Vec::new(),
            },
        }
    }

    /// The list of service accounts in a scope.
    fn sa_list(&mut self, scope: &NsScope) -> u32 {
        let key = ListKey::ServiceAccounts(scope.request_ns().map(Str::from));
        self.list(key, |b| b.sas_in(scope))
    }

    /// The list of workloads of `kinds` (empty: all) in a scope.
    fn pod_list(&mut self, scope: &NsScope, kinds: &'static [&'static str]) -> u32 {
        let key = ListKey::Pods(scope.request_ns().map(Str::from), kinds);
        self.list(key, |b| {
            b.pods_in(scope)
                .into_iter()
                .map(|i| &b.workloads[i])
                .filter(|w| kinds.is_empty() || kinds.contains(&w.kind.as_str()))
                .map(|w| w.vertex)
                .collect()
        })
    }

    fn sas_in(&self, scope: &NsScope) -> Vec<u32> {
        match scope {
            NsScope::All => self.all_sas.clone(),
            NsScope::One(n) => self.sas_by_ns.get(n).cloned().unwrap_or_default(),
        }
    }

    /// Workload indices in a scope.
    fn pods_in(&self, scope: &NsScope) -> Vec<usize> {
        match scope {
            NsScope::All => (0..self.workloads.len()).collect(),
            NsScope::One(n) => self.pods_by_ns.get(n).cloned().unwrap_or_default(),
        }
    }

    /// A namespace in the scope where a privileged pod is admitted (no Pod Security
    /// `enforce: baseline|restricted` label on it).
    fn privileged_ns(&self, scope: &NsScope) -> Option<Str> {
        match scope {
            NsScope::One(n) => (!self.psa_enforced.contains(n)).then(|| n.clone()),
            NsScope::All => self
                .namespaces
                .iter()
                .find(|n| !self.psa_enforced.contains(*n))
                .cloned(),
        }
    }

    /// Adds permission sets, PERMISSION_DISCOVER edges, every RBAC technique edge, and marks
    /// cluster-admin identities.
    pub(super) fn add_rbac(&mut self) {
        let rbac = self.rbac;
        for (i, w) in self.workloads.iter().enumerate() {
            self.workloads_by_name
                .entry(w.name.clone())
                .or_default()
                .push(i);
        }
        let mut rb = Rb {
            roles: &rbac.roles,
            bindings: &rbac.bindings,
            role_index: FxHashMap::default(),
            virtual_roles: Vec::new(),
            virtual_bindings: Vec::new(),
            caps: FxHashMap::default(),
            permsets: Vec::new(),
            new_permsets: FxHashMap::default(),
            admin_roles: FxHashMap::default(),
            cluster_roles: Vec::new(),
            ns_roles: Vec::new(),
            roles_by_name: FxHashMap::default(),
        };
        for (i, r) in rbac.roles.iter().enumerate() {
            let key = (r.kind, r.namespace.clone(), r.name.clone());
            if rb.role_index.contains_key(&key) {
                continue;
            }
            rb.role_index.insert(key, i);
            match r.kind {
                RoleKind::ClusterRole => rb.cluster_roles.push(i),
                RoleKind::Role => {
                    rb.ns_roles.push(i);
                    rb.roles_by_name.entry(r.name.clone()).or_default().push(i);
                }
            }
        }
        // Two representative requests: a namespaced resource in the binding's namespace (all
        // namespaces for a ClusterRoleBinding), and a cluster-scoped one.
        let at = |namespace: Option<Str>| Request::Resource {
            verb: "get".into(),
            group: "".into(),
            resource: "pods".into(),
            subresource: None,
            name: None,
            namespace,
        };
        let probe = at(None);
        // Groups whose members already have their GROUP_MEMBER edges.
        let mut linked: FxHashSet<Str> = FxHashSet::default();
        for (bi, b) in rbac.bindings.iter().enumerate() {
            if b.subjects.is_empty() {
                continue;
            }
            let Some(ri) = rb.role_of(b) else {
                continue;
            };
            let role = &rbac.roles[ri];
            let ns = match binding_reaches(b, role, &at(b.namespace.clone())) {
                Some(Scope::Cluster) => Some(NsScope::All),
                Some(Scope::Namespace(n)) => Some(NsScope::One(n)),
                None => None,
            };
            let cluster = binding_reaches(b, role, &probe).is_some();
            if ns.is_none() && !cluster {
                continue; // a RoleBinding to a Role of another namespace grants nothing
            }
            let v = self.vertex(
                format!("permset:{}", b.display()),
                VertexKind::PermissionSet,
                format!("{} via {}", role.display(), b.display()),
                b.namespace.clone(),
                None,
            );
            let (file, line) = source_of(b);
            self.vertices[v as usize].object = b
                .source
                .as_ref()
                .map(|s| Arc::<str>::from(s.display_name()));
            self.vertices[v as usize].file = file;
            self.vertices[v as usize].line = line;
            self.vertices[v as usize].binding_index = Some(bi);
            let pi = rb.permsets.len();
            rb.permsets.push(PermSet {
                vertex: v,
                binding: BindingId::Real(bi),
                role: RoleId::Real(ri),
                ns,
                cluster,
                admin_ns: false,
                critical: false,
            });
            self.mark_admin_permset(&mut rb, pi);
            // PERMISSION_DISCOVER.
            let (file, line) = source_of(b);
            for s in &b.subjects {
                let direct = self.identity(s, &[]);
                let item = EvidenceItem::Binding {
                    binding: b.display(),
                    role: role.display(),
                    subject: s.display(),
                    via_group: None,
                    file: file.clone(),
                    line,
                };
                let ev = self.ev(vec![item.clone()]);
                self.edge(direct, v, Technique::PermissionDiscover, ev);
                // The identities the API server puts in the group reach it by one GROUP_MEMBER
                // edge each, once per group: linear, however many bindings name the group.
                if let Subject::Group(g) = s
                    && linked.insert(g.clone())
                {
                    let members = self.members(g);
                    if members.is_empty() {
                        continue;
                    }
                    let ev = self.ev(vec![EvidenceItem::Note {
                        text: format!("{g}: {}", group_membership(g)),
                    }]);
                    for m in members {
                        self.edge(m, direct, Technique::GroupMember, ev);
                    }
                }
            }
        }
        // Technique edges; virtual permission sets are appended as they are found.
        let mut i = 0;
        while i < rb.permsets.len() {
            if !rb.permsets[i].critical {
                self.permset_edges(&mut rb, i);
            }
            i += 1;
        }
        self.mark_admin_identities();
    }

    /// A permission set whose rules allow `*` on `*` cluster-wide is a cluster-admin target.
    fn mark_admin_permset(&mut self, rb: &mut Rb<'_>, pi: usize) {
        let ps = rb.permsets[pi].clone();
        if !ps.cluster {
            return;
        }
        let caps = rb.caps(ps.role);
        if let Some(h) = caps.star {
            let item = self.grant_ev(rb, &ps, h, &STAR, None, None);
            self.critical(ps.vertex, TargetClass::ClusterAdmin, vec![item]);
            rb.permsets[pi].critical = true;
        }
    }

    /// Identities allowed `*` on `*` cluster-wide (one `who_can` of that request).
    fn mark_admin_identities(&mut self) {
        let req = STAR.request("*", None, None);
        let grants = self.rbac.who_can(&req);
        if grants.is_empty() {
            return;
        }
        let list = self.identity_list.clone();
        for (v, s, extra) in list {
            let found = match &s {
                Subject::Group(g) => grants
                    .iter()
                    .find(|gr| matches!(gr.subject, Subject::Group(x) if x == g)),
                _ => {
                    let Some(user) = s.user_name() else {
                        continue;
                    };
                    let mut groups = implied_groups(&user);
                    groups.extend(extra.iter().cloned());
                    grants
                        .iter()
                        .find(|gr| subject_covers(gr.subject, &user, &groups))
                }
            };
            if let Some(g) = found {
                let item = grant_item(&req, g);
                self.critical(v, TargetClass::ClusterAdmin, vec![item]);
            }
        }
    }

    /// Evidence: the grant of `probe` (verb of `hit`) to a permission set.
    fn grant_ev(
        &mut self,
        rb: &Rb<'_>,
        ps: &PermSet,
        hit: Hit,
        probe: &Probe,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> EvidenceItem {
        let binding = rb.binding(ps.binding);
        let role = rb.role(ps.role);
        let req = probe.request(hit.verb, name, namespace);
        let Some(rule) = role.rules.get(hit.rule) else {
            return Self::note(req.describe());
        };
        let nobody = Subject::User(Str::default());
        let scope = match (&ps.ns, ps.cluster) {
            (_, true) | (Some(NsScope::All), _) => Scope::Cluster,
            (Some(NsScope::One(n)), false) => Scope::Namespace(n.clone()),
            (None, false) => Scope::Cluster,
        };
        let g = Grant {
            subject: &nobody,
            binding: &binding,
            role: &role,
            rule,
            scope,
        };
        let mut item = grant_item(&req, &g);
        if let EvidenceItem::Grant { scope, .. } = &mut item
            && matches!(ps.ns, Some(NsScope::All))
            && !ps.cluster
        {
            *scope = "every namespace (a RoleBinding in each)".into();
        }
        item
    }

    /// One evidence entry shared by several edges.
    fn ev_of(&mut self, items: Vec<EvidenceItem>) -> u32 {
        self.ev(items)
    }

    /// A permission set for a role bound by a binding the attacker creates.
    fn new_permset(&mut self, rb: &mut Rb<'_>, role: RoleId, scope: NewScope) -> usize {
        if let Some(&i) = rb.new_permsets.get(&(role, scope.clone())) {
            return i;
        }
        let r = rb.role(role);
        let (namespace, ns, cluster, where_) = match &scope {
            NewScope::Cluster => (None, Some(NsScope::All), true, "cluster".to_string()),
            NewScope::EveryNamespace => (
                Some(Str::from("*")),
                Some(NsScope::All),
                false,
                "every-namespace".to_string(),
            ),
            NewScope::Namespace(n) => (
                Some(n.clone()),
                Some(NsScope::One(n.clone())),
                false,
                format!("ns/{n}"),
            ),
        };
        let binding = Binding {
            cluster,
            namespace: namespace.clone(),
            name: "(new binding)".into(),
            role_ref: RoleRef {
                kind: r.kind,
                name: r.name.clone(),
            },
            subjects: Vec::new(),
            source: None,
            default: false,
            role_ref_pos: kubeward_core::Pos::UNKNOWN,
            subject_entries: Vec::new(),
        };
        let label = match &scope {
            NewScope::Cluster => format!("{} bound cluster-wide (new binding)", r.display()),
            NewScope::EveryNamespace => {
                format!("{} bound in every namespace (new bindings)", r.display())
            }
            NewScope::Namespace(n) => {
                format!("{} bound in namespace {n} (new binding)", r.display())
            }
        };
        let v = self.vertex(
            format!("permset:new:{}@{where_}", r.display()),
            VertexKind::PermissionSet,
            label,
            namespace.filter(|n| n != "*"),
            None,
        );
        rb.virtual_bindings.push(Rc::new(binding));
        let pi = rb.permsets.len();
        rb.permsets.push(PermSet {
            vertex: v,
            binding: BindingId::Virtual(rb.virtual_bindings.len() - 1),
            role,
            ns,
            cluster,
            admin_ns: false,
            critical: false,
        });
        rb.new_permsets.insert((role, scope), pi);
        self.mark_admin_permset(rb, pi);
        pi
    }

    /// "Any permission in namespace `ns`": the outcome of ROLE_ESCALATE on a Role.
    fn admin_permset(&mut self, rb: &mut Rb<'_>, ns: &Str) -> usize {
        if let Some(&i) = rb.admin_roles.get(ns) {
            return i;
        }
        let name: Str = "(escalated: any permission)".into();
        let role = Role {
            kind: RoleKind::Role,
            namespace: Some(ns.clone()),
            name: name.clone(),
            labels: Vec::new(),
            rules: vec![Rule {
                verbs: vec!["*".into()],
                api_groups: vec!["*".into()],
                resources: vec!["*".into()],
                origin: RuleOrigin {
                    role: name.clone(),
                    index: 0,
                },
                ..Rule::default()
            }],
            aggregation: None,
            source: None,
            default: false,
            rule_pos: Vec::new(),
        };
        rb.virtual_roles.push(Rc::new(role));
        let rid = RoleId::Virtual(rb.virtual_roles.len() - 1);
        rb.virtual_bindings.push(Rc::new(Binding {
            cluster: false,
            namespace: Some(ns.clone()),
            name: "(escalated role)".into(),
            role_ref: RoleRef {
                kind: RoleKind::Role,
                name,
            },
            subjects: Vec::new(),
            source: None,
            default: false,
            role_ref_pos: kubeward_core::Pos::UNKNOWN,
            subject_entries: Vec::new(),
        }));
        let v = self.vertex(
            format!("permset:escalated:{ns}"),
            VertexKind::PermissionSet,
            format!("any permission in namespace {ns} (escalated role)"),
            Some(ns.clone()),
            None,
        );
        let pi = rb.permsets.len();
        rb.permsets.push(PermSet {
            vertex: v,
            binding: BindingId::Virtual(rb.virtual_bindings.len() - 1),
            role: rid,
            ns: Some(NsScope::One(ns.clone())),
            cluster: false,
            admin_ns: true,
            critical: false,
        });
        rb.admin_roles.insert(ns.clone(), pi);
        pi
    }

    /// Every technique edge of one permission set.
    fn permset_edges(&mut self, rb: &mut Rb<'_>, pi: usize) {
        let ps = rb.permsets[pi].clone();
        let caps = rb.caps(ps.role);
        let role = rb.role(ps.role);
        let from = ps.vertex;
        let ns_req = ps.ns.as_ref().and_then(|s| s.request_ns()).map(Str::from);
        let ns_req = ns_req.as_deref();

        // ROLE_ESCALATE: escalate + update on the role this set is bound through.
        if !ps.admin_ns {
            let own = role.name.as_str();
            if ps.cluster && role.kind == RoleKind::ClusterRole {
                if let (Some(e), Some(u)) = (caps.esc_cr.hit_for(own), caps.upd_cr.hit_for(own)) {
                    let items = vec![
                        self.grant_ev(rb, &ps, e, &ESC_CR, Some(own), None),
                        self.grant_ev(rb, &ps, u, &UPD_CR, Some(own), None),
                    ];
                    let ev = self.ev_of(items);
                    self.edge(from, self.cluster_admin, Technique::RoleEscalate, ev);
                }
            } else if let (Some(NsScope::One(n)), RoleKind::Role) = (&ps.ns, role.kind)
                && let (Some(e), Some(u)) = (caps.esc_r.hit_for(own), caps.upd_r.hit_for(own))
            {
                let items = vec![
                    self.grant_ev(rb, &ps, e, &ESC_R, Some(own), Some(n)),
                    self.grant_ev(rb, &ps, u, &UPD_R, Some(own), Some(n)),
                ];
                let ev = self.ev_of(items);
                let admin = self.admin_permset(rb, &n.clone());
                let to = rb.permsets[admin].vertex;
                self.edge(from, to, Technique::RoleEscalate, ev);
            }
        }

        if ps.cluster {
            // CSR_APPROVE.
            if let (Some(c), Some(a), Some((s, signer))) =
                (caps.csr_create, caps.csr_approval.any_hit(), caps.signer)
            {
                let items = vec![
                    self.grant_ev(rb, &ps, c, &CSR_CREATE, None, None),
                    self.grant_ev(rb, &ps, a, &CSR_APPROVAL, None, None),
                    self.grant_ev(rb, &ps, s, &SIGNER, Some(signer), None),
                    Self::note(
                        "a client certificate with O=system:masters is a member of system:masters",
                    ),
                ];
                let ev = self.ev_of(items);
                self.edge(from, self.masters, Technique::CsrApprove, ev);
            }
            // WEBHOOK_WRITE.
            if let Some(h) = caps.webhook.any_hit() {
                let items = vec![
                    self.grant_ev(rb, &ps, h, &WEBHOOK, None, None),
                    Self::note(
                        "a mutating webhook rewrites every admitted pod: privileged, any service account, any node",
                    ),
                ];
                let ev = self.ev_of(items);
                self.edge(from, self.cluster_admin, Technique::WebhookWrite, ev);
            }
        }

        // IDENTITY_IMPERSONATE.
        {
            let mut can_user = false;
            if ps.cluster {
                match &caps.imp_users {
                    Allowed::No => {}
                    Allowed::Any(h) => {
                        can_user = true;
                        let item = self.grant_ev(rb, &ps, *h, &IMP_USERS, None, None);
                        let ev = self.ev_of(vec![item]);
                        let list = self.list(ListKey::Users, |b| b.users.clone());
                        self.group_edge(from, list, Technique::IdentityImpersonate, ev);
                    }
                    Allowed::Names(list) => {
                        can_user = true;
                        for (n, h) in list {
                            if let Some(&u) = self.identities.get(&Subject::User(n.clone())) {
                                let item = self.grant_ev(rb, &ps, *h, &IMP_USERS, Some(n), None);
                                let ev = self.ev_of(vec![item]);
                                self.edge(from, u, Technique::IdentityImpersonate, ev);
                            }
                        }
                    }
                }
            }
            if let Some(scope) = &ps.ns {
                match &caps.imp_sas {
                    Allowed::No => {}
                    Allowed::Any(h) => {
                        can_user = true;
                        let item = self.grant_ev(rb, &ps, *h, &IMP_SAS, None, ns_req);
                        let ev = self.ev_of(vec![item]);
                        let list = self.sa_list(scope);
                        self.group_edge(from, list, Technique::IdentityImpersonate, ev);
                    }
                    Allowed::Names(list) => {
                        can_user = true;
                        for s in self.sas_in(scope) {
                            let (sns, sname) = self.sa_key(s);
                            if let Some(h) = list.iter().find(|(n, _)| *n == sname).map(|x| x.1) {
                                let item =
                                    self.grant_ev(rb, &ps, h, &IMP_SAS, Some(&sname), Some(&sns));
                                let ev = self.ev_of(vec![item]);
                                self.edge(from, s, Technique::IdentityImpersonate, ev);
                            }
                        }
                    }
                }
            }
            // Impersonate-Group needs Impersonate-User (or a service account) too.
            if ps.cluster && can_user {
                match &caps.imp_groups {
                    Allowed::No => {}
                    Allowed::Any(h) => {
                        let item = self.grant_ev(rb, &ps, *h, &IMP_GROUPS, None, None);
                        let ev = self.ev_of(vec![item]);
                        let list = self.list(ListKey::Groups, |b| {
                            let mut groups = vec![b.masters];
                            groups.extend(b.groups.iter().filter(|g| **g != b.masters));
                            groups
                        });
                        self.group_edge(from, list, Technique::IdentityImpersonate, ev);
                    }
                    Allowed::Names(list) => {
                        for (n, h) in list {
                            if let Some(&g) = self.identities.get(&Subject::Group(n.clone())) {
                                let item = self.grant_ev(rb, &ps, *h, &IMP_GROUPS, Some(n), None);
                                let ev = self.ev_of(vec![item]);
                                self.edge(from, g, Technique::IdentityImpersonate, ev);
                            }
                        }
                    }
                }
            }
        }

        if let Some(scope) = ps.ns.clone() {
            // SA_TOKEN_CREATE.
            match &caps.sa_token {
                Allowed::No => {}
                Allowed::Any(h) => {
                    let item = self.grant_ev(rb, &ps, *h, &SA_TOKEN, None, ns_req);
                    let ev = self.ev_of(vec![item]);
                    let list = self.sa_list(&scope);
                    self.group_edge(from, list, Technique::SaTokenCreate, ev);
                }
                Allowed::Names(list) => {
                    for s in self.sas_in(&scope) {
                        let (sns, sname) = self.sa_key(s);
                        if let Some(h) = list.iter().find(|(n, _)| *n == sname).map(|x| x.1) {
                            let item =
                                self.grant_ev(rb, &ps, h, &SA_TOKEN, Some(&sname), Some(&sns));
                            let ev = self.ev_of(vec![item]);
                            self.edge(from, s, Technique::SaTokenCreate, ev);
                        }
                    }
                }
            }

            // POD_CREATE.
            if let Some((h, probe)) = caps.pod_create {
                let grant = self.grant_ev(rb, &ps, h, &probe, None, ns_req);
                if let Some(pns) = self.privileged_ns(&scope) {
                    let ev = self.ev_of(vec![
                        grant.clone(),
                        Self::note(format!(
                            "a privileged pod (hostPID, hostPath /) pinned with nodeName; namespace {pns} has no Pod Security enforce label that forbids it"
                        )),
                    ]);
                    let list = self.list(ListKey::Nodes, |b| {
                        b.nodes.iter().map(|n| n.vertex).collect()
                    });
                    self.group_edge(from, list, Technique::PodCreate, ev);
                }
                if scope.contains("kube-system") {
                    let ev = self.ev_of(vec![
                        grant.clone(),
                        Self::note("a pod in kube-system may mount any secret of kube-system"),
                    ]);
                    self.edge(from, self.kube_system_secrets, Technique::PodCreate, ev);
                }
                let ev = self.ev_of(vec![
                    grant,
                    Self::note("a pod may run as any service account of its namespace"),
                ]);
                let list = self.sa_list(&scope);
                self.group_edge(from, list, Technique::PodCreate, ev);
            }
        }

        // NODE_PROXY.
        if ps.cluster {
            match &caps.node_proxy {
                Allowed::No => {}
                Allowed::Any(h) => {
                    let item = self.grant_ev(rb, &ps, *h, &NODE_PROXY, None, None);
                    let ev = self.ev_of(vec![
                        item,
                        Self::note("the kubelet API (exec, run) of every node, unaudited"),
                    ]);
                    let list = self.pod_list(&NsScope::All, &[]);
                    self.group_edge(from, list, Technique::NodeProxy, ev);
                }
                Allowed::Names(list) => {
                    for (n, h) in list {
                        let Some(&ni) = self.node_index.get(n) else {
                            continue;
                        };
                        let item = self.grant_ev(rb, &ps, *h, &NODE_PROXY, Some(n), None);
                        let ev = self.ev_of(vec![item]);
                        let pods: Vec<u32> = self
                            .workloads
                            .iter()
                            .filter(|w| {
                                matches!(w.placement, Placement::Every)
                                    || w.placement == Placement::Named(ni)
                            })
                            .map(|w| w.vertex)
                            .collect();
                        for p in pods {
                            self.edge(from, p, Technique::NodeProxy, ev);
                        }
                    }
                }
            }
        }

        if let Some(scope) = ps.ns.clone() {
            // POD_EXEC, POD_ATTACH.
            for (probe, allowed, t) in [
                (EXEC, &caps.exec, Technique::PodExec),
                (ATTACH, &caps.attach, Technique::PodAttach),
            ] {
                let rules = [(probe, &[][..], allowed.clone())];
                self.pod_edges(rb, &ps, &scope, &rules, t);
            }
            // POD_PATCH.
            self.pod_edges(rb, &ps, &scope, &caps.patch, Technique::PodPatch);

            // Secrets.
            let list = caps.secrets_list;
            let get_any = match caps.secrets_get {
                Allowed::Any(h) => Some(h),
                _ => None,
            };
            if scope.contains("kube-system") {
                let read = list
                    .map(|h| (h, &SECRETS_LIST))
                    .or(get_any.map(|h| (h, &SECRETS_GET)));
                if let Some((h, probe)) = read {
                    let item = self.grant_ev(rb, &ps, h, probe, None, Some("kube-system"));
                    let ev = self.ev_of(vec![item]);
                    self.edge(from, self.kube_system_secrets, Technique::SecretRead, ev);
                }
            }
            if let Allowed::Names(names) = &caps.secrets_get {
                for (n, h) in names {
                    let namespaces: Vec<Str> = match &scope {
                        NsScope::One(ns) => vec![ns.clone()],
                        NsScope::All => self.namespaces.iter().cloned().collect(),
                    };
                    for sns in namespaces {
                        if let Some(s) = self.secret(&sns, n) {
                            let item =
                                self.grant_ev(rb, &ps, *h, &SECRETS_GET, Some(n), Some(&sns));
                            let ev = self.ev_of(vec![item]);
                            self.edge(from, s, Technique::SecretRead, ev);
                        }
                    }
                }
            }
            if let Some(h) = list {
                let item = self.grant_ev(rb, &ps, h, &SECRETS_LIST, None, ns_req);
                let ev = self.ev_of(vec![
                    item,
                    Self::note("list returns every secret with its data: service account token secrets included"),
                ]);
                let list = self.sa_list(&scope);
                self.group_edge(from, list, Technique::TokenList, ev);
            }
            if let Some(h) = get_any {
                let item = self.grant_ev(rb, &ps, h, &SECRETS_GET, None, ns_req);
                let ev = self.ev_of(vec![
                    item,
                    Self::note("legacy token secret names (<account>-token-xxxxx) can be guessed"),
                ]);
                let list = self.sa_list(&scope);
                self.group_edge(from, list, Technique::TokenBruteforce, ev);
            }
        }

        // ROLE_BIND.
        if !ps.admin_ns {
            self.role_bind(rb, &ps, &caps);
        }
    }

    fn sa_key(&self, v: u32) -> (Str, Str) {
        match self.subject_of.get(&v).map(|&i| &self.identity_list[i].1) {
            Some(Subject::ServiceAccount { namespace, name }) => (namespace.clone(), name.clone()),
            _ => (Str::default(), Str::default()),
        }
    }

    /// Edges to the workloads in `scope` that requests on pod resources reach: each rule is
    /// the probe, the workload kinds it reaches (empty: every kind) and what the role allows.
    /// Any name: one group edge to the shared list; names (`resourceNames`): the workloads of
    /// that name (a bare Pod for `pods`, a controller of the kind for the others) not already
    /// reached.
    fn pod_edges(
        &mut self,
        rb: &Rb<'_>,
        ps: &PermSet,
        scope: &NsScope,
        rules: &[(Probe, &'static [&'static str], Allowed)],
        t: Technique,
    ) {
        let mut covered_all = false;
        let mut covered: Vec<&str> = Vec::new();
        // Rules for every kind first: they make the per-kind lists redundant.
        let mut any: Vec<&(Probe, &'static [&'static str], Allowed)> = rules
            .iter()
            .filter(|(_, _, a)| matches!(a, Allowed::Any(_)))
            .collect();
        any.sort_by_key(|(_, kinds, _)| !kinds.is_empty());
        for (probe, kinds, allowed) in any {
            let Allowed::Any(h) = allowed else {
                continue;
            };
            if covered_all || (!kinds.is_empty() && kinds.iter().all(|k| covered.contains(k))) {
                continue;
            }
            let item = self.grant_ev(rb, ps, *h, probe, None, scope.request_ns());
            let ev = self.ev_of(vec![item]);
            let list = self.pod_list(scope, kinds);
            self.group_edge(ps.vertex, list, t, ev);
            if kinds.is_empty() {
                covered_all = true;
            } else {
                covered.extend(kinds.iter());
            }
        }
        if covered_all {
            return;
        }
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        for (probe, kinds, allowed) in rules {
            let Allowed::Names(names) = allowed else {
                continue;
            };
            for (name, h) in names {
                let matches: Vec<usize> = self
                    .workloads_by_name
                    .get(name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&wi| {
                        let w = &self.workloads[wi];
                        let kind_ok = if kinds.is_empty() {
                            w.kind == "Pod"
                        } else {
                            kinds.contains(&w.kind.as_str())
                        };
                        kind_ok && scope.contains(&w.ns) && !covered.contains(&w.kind.as_str())
                    })
                    .collect();
                for wi in matches {
                    let (v, wns) = (self.workloads[wi].vertex, self.workloads[wi].ns.clone());
                    if seen.insert(v) {
                        let item = self.grant_ev(rb, ps, *h, probe, Some(name), Some(&wns));
                        let ev = self.ev_of(vec![item]);
                        self.edge(ps.vertex, v, t, ev);
                    }
                }
            }
        }
    }

    /// ROLE_BIND: create (Cluster)RoleBindings + `bind` on the referenced role (the API
    /// server checks `bind` on the role, in the binding's namespace).
    fn role_bind(&mut self, rb: &mut Rb<'_>, ps: &PermSet, caps: &Caps) {
        // A set allowed `*` on `*` already has every permission a binding in its scope could
        // give (and a cluster-wide one is a cluster-admin target).
        if (caps.bind_cr.is_no() && caps.bind_r.is_no()) || caps.star.is_some() {
            return;
        }
        let mut cluster_bound: FxHashSet<usize> = FxHashSet::default();
        let mut targets: Vec<(RoleId, NewScope, Vec<EvidenceItem>)> = Vec::new();
        if ps.cluster
            && let Some(c) = caps.create_crb
        {
            for (i, h) in rb.candidates(&caps.bind_cr, RoleKind::ClusterRole, &NsScope::All) {
                if RoleId::Real(i) == ps.role || !rb.caps(RoleId::Real(i)).useful() {
                    continue;
                }
                cluster_bound.insert(i);
                let name = rb.roles[i].name.clone();
                let items = vec![
                    self.grant_ev(rb, ps, c, &CREATE_CRB, None, None),
                    self.grant_ev(rb, ps, h, &BIND_CR, Some(&name), None),
                ];
                targets.push((RoleId::Real(i), NewScope::Cluster, items));
            }
        }
        if let Some(scope) = ps.ns.clone()
            && let Some(c) = caps.create_rb
        {
            let mut found = Vec::new();
            for (i, h) in rb.candidates(&caps.bind_cr, RoleKind::ClusterRole, &scope) {
                if !cluster_bound.contains(&i) {
                    let target = match &scope {
                        NsScope::All => NewScope::EveryNamespace,
                        NsScope::One(n) => NewScope::Namespace(n.clone()),
                    };
                    found.push((i, h, &BIND_CR, target));
                }
            }
            for (i, h) in rb.candidates(&caps.bind_r, RoleKind::Role, &scope) {
                if let Some(rns) = rb.roles[i].namespace.clone() {
                    found.push((i, h, &BIND_R, NewScope::Namespace(rns)));
                }
            }
            for (i, h, probe, target_scope) in found {
                if RoleId::Real(i) == ps.role || !rb.caps(RoleId::Real(i)).useful() {
                    continue;
                }
                let bns = match &target_scope {
                    NewScope::Namespace(n) => Some(n.clone()),
                    _ => None,
                };
                let name = rb.roles[i].name.clone();
                let items = vec![
                    self.grant_ev(rb, ps, c, &CREATE_RB, None, bns.as_deref()),
                    self.grant_ev(rb, ps, h, probe, Some(&name), bns.as_deref()),
                ];
                targets.push((RoleId::Real(i), target_scope, items));
            }
        }
        for (role, scope, items) in targets {
            let pi = self.new_permset(rb, role, scope);
            let to = rb.permsets[pi].vertex;
            let ev = self.ev_of(items);
            self.edge(ps.vertex, to, Technique::RoleBind, ev);
        }
    }
}
