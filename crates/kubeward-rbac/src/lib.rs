//! Kubernetes RBAC with the API server's semantics.
//!
//! [`Rbac`] holds the roles and bindings of a set of objects (manifests, a live cluster, a
//! snapshot) plus, unless told otherwise, Kubernetes' default ClusterRoles and
//! ClusterRoleBindings (`data/defaults.yaml`), which offline manifests never contain. Aggregated
//! ClusterRoles (`aggregationRule`) get the rules of every ClusterRole their selectors match,
//! computed here because offline manifests lack what the controller materialises. Queries:
//! [`Rbac::who_can`] (every subject allowed a request, with the binding and rule that allow it)
//! and [`Rbac::can`] (may this user do it, and why).

pub mod eval;
pub mod graph;
pub mod model;

pub use eval::{Grant, Request, Scope, implied_groups, rule_allows, subject_covers};
pub use model::{Binding, Role, RoleKind, RoleRef, Rule, Selector, Subject, SubjectEntry};

use kubeward_core::{Object, Str};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// Kubernetes' default RBAC objects (see `data/README.md`).
pub const DEFAULTS_YAML: &str = include_str!("../data/defaults.yaml");

/// The default roles and bindings, parsed once.
fn defaults() -> &'static (Vec<Role>, Vec<Binding>) {
    static DEFAULTS: OnceLock<(Vec<Role>, Vec<Binding>)> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let mut loaded = kubeward_load::Loaded::default();
        kubeward_load::load_bytes(
            "kubeward:defaults.yaml".into(),
            DEFAULTS_YAML.as_bytes(),
            false,
            &kubeward_load::Options::default(),
            &mut loaded,
        );
        let roles = loaded
            .objects
            .iter()
            .filter_map(|o| Role::from_object(o, true))
            .collect();
        let bindings = loaded
            .objects
            .iter()
            .filter_map(|o| Binding::from_object(o, true))
            .collect();
        (roles, bindings)
    })
}

/// Roles and bindings, with aggregation resolved and indexes for queries.
#[derive(Debug, Clone, Default)]
pub struct Rbac {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    cluster_roles: FxHashMap<Str, usize>,
    roles_by_ns: FxHashMap<(Str, Str), usize>,
}

impl Rbac {
    /// The RBAC objects among `objects`, plus Kubernetes' defaults where the objects do not
    /// define a role or binding of the same name.
    pub fn new<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Rbac {
        Rbac::build(objects, true)
    }

    /// Like [`Rbac::new`], choosing whether to add the defaults.
    pub fn build<'a>(objects: impl IntoIterator<Item = &'a Object>, with_defaults: bool) -> Rbac {
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for o in objects {
            if let Some(r) = Role::from_object(o, false) {
                roles.push(r);
            } else if let Some(b) = Binding::from_object(o, false) {
                bindings.push(b);
            }
        }
        Rbac::from_parts(roles, bindings, with_defaults)
    }

    /// From roles and bindings already read (a scan keeps these instead of the objects' trees).
    pub fn from_parts(
        mut roles: Vec<Role>,
        mut bindings: Vec<Binding>,
        with_defaults: bool,
    ) -> Rbac {
        if with_defaults {
            let (default_roles, default_bindings) = defaults();
            let have_role = |r: &Role, roles: &[Role]| {
                roles
                    .iter()
                    .any(|x| x.kind == r.kind && x.name == r.name && x.namespace == r.namespace)
            };
            let extra: Vec<Role> = default_roles
                .iter()
                .filter(|r| !have_role(r, &roles))
                .cloned()
                .collect();
            roles.extend(extra);
            let extra: Vec<Binding> = default_bindings
                .iter()
                .filter(|b| {
                    !bindings
                        .iter()
                        .any(|x| x.cluster == b.cluster && x.name == b.name)
                })
                .cloned()
                .collect();
            bindings.extend(extra);
        }
        let mut rbac = Rbac {
            roles,
            bindings,
            ..Rbac::default()
        };
        rbac.aggregate();
        rbac.index();
        rbac
    }

    /// Fills aggregated ClusterRoles: each gets its own rules plus the rules of every
    /// ClusterRole a selector matches, to a fixed point (aggregated roles can feed others, as
    /// `edit` feeds `admin`). The controller *replaces* the rules of an aggregated role; a
    /// manifest's own `rules` on one are kept too, since the controller would overwrite them
    /// only in a cluster where it runs.
    fn aggregate(&mut self) {
        let aggregated: Vec<usize> = (0..self.roles.len())
            .filter(|&i| self.roles[i].aggregation.is_some())
            .collect();
        if aggregated.is_empty() {
            return;
        }
        for _round in 0..self.roles.len().min(64) {
            let mut changed = false;
            for &i in &aggregated {
                let selectors = self.roles[i].aggregation.clone().unwrap_or_default();
                let mut add = Vec::new();
                for (j, other) in self.roles.iter().enumerate() {
                    if j == i || other.kind != RoleKind::ClusterRole {
                        continue;
                    }
                    if selectors.iter().any(|s| s.matches(&other.labels)) {
                        for rule in &other.rules {
                            if !self.roles[i].rules.contains(rule) && !add.contains(rule) {
                                add.push(rule.clone());
                            }
                        }
                    }
                }
                if !add.is_empty() {
                    changed = true;
                    self.roles[i].rules.extend(add);
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn index(&mut self) {
        self.cluster_roles.clear();
        self.roles_by_ns.clear();
        for (i, r) in self.roles.iter().enumerate() {
            match (&r.kind, &r.namespace) {
                (RoleKind::ClusterRole, _) => {
                    self.cluster_roles.entry(r.name.clone()).or_insert(i);
                }
                (RoleKind::Role, Some(ns)) => {
                    self.roles_by_ns
                        .entry((ns.clone(), r.name.clone()))
                        .or_insert(i);
                }
                (RoleKind::Role, None) => {}
            }
        }
    }

    /// The role a binding refers to, if it exists.
    pub fn role_of(&self, b: &Binding) -> Option<&Role> {
        let i = match b.role_ref.kind {
            RoleKind::ClusterRole => self.cluster_roles.get(&b.role_ref.name)?,
            RoleKind::Role => self
                .roles_by_ns
                .get(&(b.namespace.clone()?, b.role_ref.name.clone()))?,
        };
        self.roles.get(*i)
    }

    /// A ClusterRole by name.
    pub fn cluster_role(&self, name: &str) -> Option<&Role> {
        self.cluster_roles
            .get(name)
            .and_then(|&i| self.roles.get(i))
    }

    /// Every (binding, role, rule, scope) that allows `req`, whoever the subjects are.
    pub fn grants_for<'a>(
        &'a self,
        req: &Request,
    ) -> Vec<(&'a Binding, &'a Role, &'a Rule, Scope)> {
        let mut out = Vec::new();
        for b in &self.bindings {
            let Some(role) = self.role_of(b) else {
                continue;
            };
            let Some(scope) = eval::binding_reaches(b, role, req) else {
                continue;
            };
            if let Some(rule) = role.rules.iter().find(|r| rule_allows(r, req)) {
                out.push((b, role, rule, scope));
            }
        }
        out
    }

    /// Every subject allowed `req`, each with one grant per binding that allows it.
    pub fn who_can(&self, req: &Request) -> Vec<Grant<'_>> {
        let mut out: Vec<Grant<'_>> = self
            .grants_for(req)
            .into_iter()
            .flat_map(|(binding, role, rule, scope)| {
                binding.subjects.iter().map(move |subject| Grant {
                    subject,
                    binding,
                    role,
                    rule,
                    scope: scope.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| (a.subject, a.binding.display()).cmp(&(b.subject, b.binding.display())));
        out
    }

    /// May `user` (in `groups`, plus the groups the API server implies) make `req`? The
    /// grants that allow it; empty when it is denied.
    pub fn can(&self, user: &str, groups: &[Str], req: &Request) -> Vec<Grant<'_>> {
        let mut all: Vec<Str> = groups.to_vec();
        all.extend(implied_groups(user));
        self.who_can(req)
            .into_iter()
            .filter(|g| subject_covers(g.subject, user, &all))
            .collect()
    }
}

/// The API group of a built-in resource (`deployments` → `apps`), for requests written without
/// one. `None` for resources kubeward does not know (write them as `resource.group`).
pub fn group_of(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "pods"
        | "services"
        | "secrets"
        | "configmaps"
        | "serviceaccounts"
        | "namespaces"
        | "nodes"
        | "persistentvolumes"
        | "persistentvolumeclaims"
        | "endpoints"
        | "events"
        | "replicationcontrollers"
        | "podtemplates"
        | "limitranges"
        | "resourcequotas"
        | "bindings"
        | "componentstatuses" => "",
        "deployments" | "statefulsets" | "daemonsets" | "replicasets" | "controllerrevisions" => {
            "apps"
        }
        "jobs" | "cronjobs" => "batch",
        "ingresses" | "networkpolicies" | "ingressclasses" => "networking.k8s.io",
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => {
            "rbac.authorization.k8s.io"
        }
        "validatingwebhookconfigurations"
        | "mutatingwebhookconfigurations"
        | "validatingadmissionpolicies"
        | "validatingadmissionpolicybindings" => "admissionregistration.k8s.io",
        "certificatesigningrequests" => "certificates.k8s.io",
        "poddisruptionbudgets" => "policy",
        "horizontalpodautoscalers" => "autoscaling",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "tokenreviews" => "authentication.k8s.io",
        "subjectaccessreviews" | "selfsubjectaccessreviews" | "localsubjectaccessreviews" => {
            "authorization.k8s.io"
        }
        "storageclasses" | "csidrivers" | "csinodes" | "volumeattachments" => "storage.k8s.io",
        "leases" => "coordination.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "priorityclasses" => "scheduling.k8s.io",
        "runtimeclasses" => "node.k8s.io",
        "signers" => "certificates.k8s.io",
        _ => return None,
    })
}

/// Is a built-in resource namespaced? (`None` when unknown.)
pub fn is_namespaced(resource: &str) -> Option<bool> {
    group_of(resource)?;
    Some(!matches!(
        resource,
        "namespaces"
            | "nodes"
            | "persistentvolumes"
            | "componentstatuses"
            | "clusterroles"
            | "clusterrolebindings"
            | "validatingwebhookconfigurations"
            | "mutatingwebhookconfigurations"
            | "validatingadmissionpolicies"
            | "validatingadmissionpolicybindings"
            | "certificatesigningrequests"
            | "customresourcedefinitions"
            | "tokenreviews"
            | "subjectaccessreviews"
            | "selfsubjectaccessreviews"
            | "storageclasses"
            | "csidrivers"
            | "csinodes"
            | "volumeattachments"
            | "priorityclasses"
            | "runtimeclasses"
            | "ingressclasses"
            | "signers"
    ))
}
